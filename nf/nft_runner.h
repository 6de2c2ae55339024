#pragma once
// Loads, checks and removes Tollgate's nftables table by running /usr/sbin/nft.
//
// nft is spawned directly (posix_spawn, no shell) with the ruleset on stdin and its output
// captured; libnftables would tie the daemon to one nft ABI and its parser's global state.
// Every function blocks until nft exits (bounded by a timeout); call them at start-up, on
// reload and on shutdown, never from the data path. Errors are one line an admin can act on.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tollgate::nf {

inline constexpr const char* kNftPath = "/usr/sbin/nft";

// What failed, as far as nft's stderr tells. The kernel reports a missing expression module
// as ENOENT on the rule that uses it, so the cause is read from the rule nft echoes back.
enum class NftFailure {
  Unknown,         // none of the below: nft's message is passed through unchanged
  NoPermission,    // EPERM: needs CAP_NET_ADMIN in the network namespace
  NoNfTables,      // nf_tables / nfnetlink missing altogether
  NoTproxy,        // nft_tproxy (CONFIG_NFT_TPROXY)
  NoSocketMatch,   // nft_socket (CONFIG_NFT_SOCKET)
  NoFib,           // nft_fib_inet (CONFIG_NFT_FIB_INET)
  NoReject,        // nft_reject_inet (CONFIG_NFT_REJECT_INET)
  NoNat,           // nft_chain_nat / nft_redir (CONFIG_NFT_NAT, CONFIG_NFT_REDIR)
  NoConntrack,     // nft_ct (CONFIG_NFT_CT)
  SyntaxError,     // nft could not parse the text: a generator bug or a too old nft
  NftNotRunnable,  // posix_spawn failed or nft was killed / timed out
};
const char* toString(NftFailure f);

struct NftDiagnosis {
  NftFailure cause = NftFailure::Unknown;
  std::string message;  // "kernel lacks TPROXY support (nft_tproxy): <nft's first error>"
};

// Turns nft's stderr (from a failed run) into a cause and a one-line message. Pure, so the
// mapping is unit-tested on captured samples.
NftDiagnosis classifyNftError(std::string_view nftStderr);

// The raw outcome of one nft run.
struct NftRun {
  std::optional<std::string> spawnError;  // "posix_spawn(/usr/sbin/nft): No such file ..."
  int exitStatus = -1;                    // exit code, or -1 when killed or not started
  std::string out;
  std::string err;
};

// Runs `nftPath args...` with stdinText on its stdin, LC_ALL=C and a minimal environment.
// Kills nft and reports a spawnError after timeoutMs.
NftRun runNft(const std::vector<std::string>& args, std::string_view stdinText,
              const char* nftPath = kNftPath, int timeoutMs = 30000);

// Loads text (from renderNftRuleset) with `nft -f -`: all of it or, on error, none of it.
// nullopt on success, else the classified message.
std::optional<std::string> applyRuleset(const std::string& text);

// Parses and validates text against the kernel without committing it (`nft -c -f -`).
// Still needs CAP_NET_ADMIN: nft reads the kernel's state to resolve references.
std::optional<std::string> checkRuleset(const std::string& text);

// Deletes the Tollgate table; succeeds when it does not exist.
std::optional<std::string> removeTable();

// The table as the kernel holds it (`nft list table inet tollgate`), counters included;
// for `tollgatectl nft`. On failure `error` is set and `text` is empty.
struct NftListing {
  std::string text;
  std::optional<std::string> error;
};
NftListing listTable();

// iifname matches by name, so nft happily loads rules for an interface that does not exist
// and they never match. Call before applyRuleset: names the first missing interface
// ("interface lan9 does not exist (if_nametoindex: No such device)").
std::optional<std::string> checkInterfacesExist(const std::vector<std::string>& names);

}  // namespace tollgate::nf
