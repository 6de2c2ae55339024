#include "nf/nft_runner.h"

#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "nf/ruleset.h"

namespace tollgate::nf {
namespace {

// A listing of a large bypass set is the biggest thing nft prints; anything past this is a
// runaway and is dropped rather than buffered.
constexpr size_t kMaxCapture = 16u << 20;

std::string errnoText(int err) { return std::strerror(err); }

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

bool contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> splitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

// nft prints an error as "<file>:<line>:<cols>: Error: <what>", then the offending source
// line, then a line of '^' (and '~' for related locations) under the culprit. The kernel
// names the failing expression by attribute offset, so when it can, the carets underline
// just that expression; otherwise the whole rule.
struct NftErrorBlock {
  std::string_view location;  // "/dev/stdin:4:5-35", may be empty
  std::string_view what;      // "Could not process rule: No such file or directory"
  std::string_view source;    // the echoed line, trimmed; may be empty
  std::string underlined;     // the part of source under the '^' marks
};

std::optional<NftErrorBlock> firstErrorBlock(std::string_view err) {
  std::vector<std::string_view> lines = splitLines(err);
  for (size_t i = 0; i < lines.size(); ++i) {
    size_t at = lines[i].find("Error: ");
    if (at == std::string_view::npos) continue;
    NftErrorBlock block;
    block.what = trim(lines[i].substr(at + 7));
    std::string_view prefix = trim(lines[i].substr(0, at));
    if (!prefix.empty() && prefix.back() == ':') prefix.remove_suffix(1);
    if (prefix != "netlink") block.location = prefix;
    if (i + 1 < lines.size() && !contains(lines[i + 1], "Error: ")) {
      std::string_view src = lines[i + 1];
      block.source = trim(src);
      if (i + 2 < lines.size()) {
        std::string_view marks = lines[i + 2];
        for (size_t c = 0; c < marks.size() && c < src.size(); ++c)
          if (marks[c] == '^') block.underlined += src[c];
      }
    }
    return block;
  }
  return std::nullopt;
}

// Which module a rule needs, by the keyword of its expression. Order matters: a tproxy rule
// also sets a mark and a socket rule also accepts, so the rarer expression is asked first.
NftFailure moduleFor(std::string_view text) {
  if (contains(text, "tproxy")) return NftFailure::NoTproxy;
  if (contains(text, "socket")) return NftFailure::NoSocketMatch;
  if (contains(text, "fib ")) return NftFailure::NoFib;
  if (contains(text, "reject")) return NftFailure::NoReject;
  if (contains(text, "redirect") || contains(text, "type nat") || contains(text, "_nat"))
    return NftFailure::NoNat;
  if (contains(text, "ct mark") || contains(text, "ct state")) return NftFailure::NoConntrack;
  return NftFailure::Unknown;
}

const char* causeText(NftFailure f) {
  switch (f) {
    case NftFailure::NoPermission:
      return "nft needs CAP_NET_ADMIN in this network namespace (run tollgated as root or grant "
             "the capability)";
    case NftFailure::NoNfTables:
      return "kernel lacks nf_tables (CONFIG_NF_TABLES, CONFIG_NF_TABLES_INET)";
    case NftFailure::NoTproxy:
      return "kernel lacks TPROXY support (nft_tproxy)";
    case NftFailure::NoSocketMatch:
      return "kernel lacks the socket match (nft_socket)";
    case NftFailure::NoFib:
      return "kernel lacks the fib expression (nft_fib_inet)";
    case NftFailure::NoReject:
      return "kernel lacks reject support (nft_reject_inet)";
    case NftFailure::NoNat:
      return "kernel lacks NAT redirect for inet tables (nft_chain_nat, nft_redir)";
    case NftFailure::NoConntrack:
      return "kernel lacks conntrack expressions (nft_ct)";
    case NftFailure::SyntaxError:
      return "nft could not parse the ruleset (nft too old for it, or a tollgate bug)";
    case NftFailure::NftNotRunnable:
      return "cannot run nft";
    case NftFailure::Unknown:
      break;
  }
  return "nft failed";
}

}  // namespace

const char* toString(NftFailure f) {
  switch (f) {
    case NftFailure::Unknown:
      return "Unknown";
    case NftFailure::NoPermission:
      return "NoPermission";
    case NftFailure::NoNfTables:
      return "NoNfTables";
    case NftFailure::NoTproxy:
      return "NoTproxy";
    case NftFailure::NoSocketMatch:
      return "NoSocketMatch";
    case NftFailure::NoFib:
      return "NoFib";
    case NftFailure::NoReject:
      return "NoReject";
    case NftFailure::NoNat:
      return "NoNat";
    case NftFailure::NoConntrack:
      return "NoConntrack";
    case NftFailure::SyntaxError:
      return "SyntaxError";
    case NftFailure::NftNotRunnable:
      return "NftNotRunnable";
  }
  return "?";
}

NftDiagnosis classifyNftError(std::string_view nftStderr) {
  NftDiagnosis d;
  std::optional<NftErrorBlock> block = firstErrorBlock(nftStderr);
  // Without nft's "Error:" marker, the first line is all an admin needs in a one-line message.
  std::string_view what =
      block ? block->what : trim(nftStderr).substr(0, trim(nftStderr).find('\n'));
  if (what.empty()) {
    d.message = "nft failed without a message";
    return d;
  }
  if (contains(what, "Operation not permitted")) {
    d.cause = NftFailure::NoPermission;
  } else if (contains(what, "Protocol not supported") ||
             contains(what, "Address family not supported")) {
    d.cause = NftFailure::NoNfTables;
  } else if (contains(what, "syntax error") || contains(what, "unexpected")) {
    d.cause = NftFailure::SyntaxError;
  } else if (block && contains(what, "No such file or directory")) {
    // ENOENT on a rule is how the kernel says "no such expression type" once module
    // autoloading has failed; on a chain, "no such chain type" (nat).
    d.cause = moduleFor(block->underlined);
    if (d.cause == NftFailure::Unknown) d.cause = moduleFor(block->source);
  } else if (block && contains(what, "Operation not supported") &&
             moduleFor(block->source) == NftFailure::NoNat) {
    d.cause = NftFailure::NoNat;  // pre-5.2 kernels: no NAT chains in inet tables
  }
  d.message = std::string(causeText(d.cause)) + ": " + std::string(what);
  if (block && !block->source.empty()) {
    d.message += " (";
    if (!block->location.empty()) d.message += std::string(block->location) + ": ";
    d.message += std::string(block->source) + ")";
  }
  return d;
}

NftRun runNft(const std::vector<std::string>& args, std::string_view stdinText, const char* nftPath,
              int timeoutMs) {
  NftRun run;
  // A memfd as stdin: nft can read it at its pace while we only have to drain stdout and
  // stderr, and a write can never block on a full pipe or raise SIGPIPE in the daemon.
  Fd in(memfd_create("tollgate-nft-stdin", MFD_CLOEXEC));
  if (in.get() < 0) {
    run.spawnError = "memfd_create(tollgate-nft-stdin): " + errnoText(errno);
    return run;
  }
  for (size_t done = 0; done < stdinText.size();) {
    ssize_t n = ::write(in.get(), stdinText.data() + done, stdinText.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      run.spawnError =
          "write(memfd, " + std::to_string(stdinText.size()) + " bytes): " + errnoText(errno);
      return run;
    }
    done += static_cast<size_t>(n);
  }
  ::lseek(in.get(), 0, SEEK_SET);

  int outPipe[2], errPipe[2];
  if (::pipe2(outPipe, O_CLOEXEC) != 0) {
    run.spawnError = "pipe2(nft stdout): " + errnoText(errno);
    return run;
  }
  Fd outRead(outPipe[0]), outWrite(outPipe[1]);
  if (::pipe2(errPipe, O_CLOEXEC) != 0) {
    run.spawnError = "pipe2(nft stderr): " + errnoText(errno);
    return run;
  }
  Fd errRead(errPipe[0]), errWrite(errPipe[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // dup2 clears close-on-exec on the copies, so only these three fds reach nft.
  posix_spawn_file_actions_adddup2(&actions, in.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, outWrite.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, errWrite.get(), 2);
  // The daemon blocks signals for its signalfd and ignores SIGPIPE; nft should not inherit
  // either, or it could not be stopped by the kill below or would ignore a broken pipe.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> argStore;
  argStore.push_back(nftPath);
  argStore.insert(argStore.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argStore) argv.push_back(a.data());
  argv.push_back(nullptr);
  // nft's messages are English anyway; LC_ALL=C keeps strerror() text stable for the classifier.
  char envLang[] = "LC_ALL=C";
  char envPath[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  char* envp[] = {envLang, envPath, nullptr};

  pid_t pid = -1;
  int rc = posix_spawn(&pid, nftPath, &actions, &attr, argv.data(), envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    run.spawnError = std::string("posix_spawn(") + nftPath + "): " + errnoText(rc);
    return run;
  }
  outWrite.reset();
  errWrite.reset();
  in.reset();

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  bool timedOut = false;
  struct Sink {
    Fd* fd;
    std::string* text;
  } sinks[2] = {{&outRead, &run.out}, {&errRead, &run.err}};
  while (outRead.get() >= 0 || errRead.get() >= 0) {
    pollfd pfds[2];
    int count = 0;
    Sink* owners[2];
    for (auto& s : sinks) {
      if (s.fd->get() < 0) continue;
      pfds[count] = {s.fd->get(), POLLIN, 0};
      owners[count++] = &s;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timedOut = true;
      break;
    }
    int n = ::poll(pfds, count, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;  // cannot happen with valid fds; fall through to reaping nft
    for (int i = 0; i < count; ++i) {
      if (pfds[i].revents == 0) continue;
      char buf[8192];
      ssize_t got = ::read(pfds[i].fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        owners[i]->fd->reset();
        continue;
      }
      if (owners[i]->text->size() < kMaxCapture) owners[i]->text->append(buf, got);
    }
  }
  if (timedOut) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timedOut) {
    run.spawnError = std::string(nftPath) + " timed out after " + std::to_string(timeoutMs) +
                     " ms and was killed";
  } else if (WIFEXITED(status)) {
    run.exitStatus = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    run.spawnError = std::string(nftPath) + " killed by signal " + std::to_string(WTERMSIG(status));
  }
  return run;
}

namespace {

std::optional<std::string> outcome(const NftRun& run) {
  if (run.spawnError)
    return std::string(causeText(NftFailure::NftNotRunnable)) + ": " + *run.spawnError;
  if (run.exitStatus == 0) return std::nullopt;
  NftDiagnosis d = classifyNftError(run.err);
  if (d.cause == NftFailure::Unknown && trim(run.err).empty())
    return "nft exited with status " + std::to_string(run.exitStatus) + " and no message";
  return d.message;
}

}  // namespace

std::optional<std::string> applyRuleset(const std::string& text) {
  return outcome(runNft({"-f", "-"}, text));
}

std::optional<std::string> checkRuleset(const std::string& text) {
  return outcome(runNft({"-c", "-f", "-"}, text));
}

std::optional<std::string> removeTable() {
  return outcome(runNft({"-f", "-"}, renderNftRemoval()));
}

NftListing listTable() {
  NftRun run = runNft({"list", "table", kTableFamily, kTableName}, "");
  NftListing listing;
  if (auto err = outcome(run)) {
    listing.error = contains(run.err, "No such file or directory")
                        ? "table inet tollgate is not loaded (" + *err + ")"
                        : std::move(*err);
  } else {
    listing.text = std::move(run.out);
  }
  return listing;
}

std::optional<std::string> checkInterfacesExist(const std::vector<std::string>& names) {
  for (const auto& name : names) {
    if (::if_nametoindex(name.c_str()) == 0) {
      return "interface " + name + " does not exist (if_nametoindex(" + name +
             "): " + errnoText(errno) + ")";
    }
  }
  return std::nullopt;
}

}  // namespace tollgate::nf
