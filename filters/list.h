#pragma once
// A compiled filter list: the contract between the list loaders/matchers (filters/lists/) and
// the policy engine (filters/engine*). Lists are built once on the control plane (start, reload)
// and are immutable afterwards: match() is const, thread-safe, allocation-free and never blocks.
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tollgate::filters {

// Where an entry came from, for `tollgatectl explain` and the decision log.
struct EntryOrigin {
  std::string file;
  int line = 0;
  std::string entry;  // the entry as written (normalised), e.g. "example.com" or "^ads\\."
};

// Why a list could not decide. A list never turns "could not decide" into a silent non-match:
// match() returns nullopt, sets *MatchInput::error and counts it in matchErrors(); the caller
// chooses to fail open or closed.
enum class MatchError { None, RegexOutOfMemory };

// What a list is asked about one flow. Views are valid for the duration of the call.
// Which field a list reads depends on its format:
//   domains, hosts, adblock, ut1 domains: host (or, when host is empty, the host part of url);
//   urls, ut1 urls, regex, ut1 expressions: url, or the host alone when url is empty (TLS: all we
//     know of the URL is its host, so only host-only entries / patterns can match);
//   sni_regex: host;  cidr: destination.
struct MatchInput {
  // Lower-case host name without port, trailing dot or brackets: the HTTP Host or the TLS SNI.
  // Empty when unknown (opaque TCP, TLS without SNI).
  std::string_view host;
  // "host/path?query" (no scheme, host as above), HTTP only; empty otherwise.
  std::string_view url;
  // The original destination (always set by the daemon; may be null in unit tests).
  const sockaddr_storage* destination = nullptr;
  // Optional: set to the reason when a list could not decide (see MatchError).
  MatchError* error = nullptr;
};

// A list's answer on the hot path: which entry matched, as the list numbers it (`part` says
// which of its matchers; `id` is that matcher's entry id, ordered like the file). Turning it
// into text (origin()) is left to the few callers that show it: explain, tests.
struct ListHit {
  uint32_t part = 0;
  uint32_t id = 0;
};

struct ListStats {
  size_t entries = 0;
  size_t skipped = 0;        // lines ignored (comments excluded): unsupported syntax, bad entries
  size_t duplicates = 0;     // entries already in the list (not counted in `entries`)
  double loadMs = 0;
  size_t memoryBytes = 0;    // estimate of the compiled form
  double matchNs = 0;        // measured at load: mean time of one match() on probe inputs
  std::vector<std::string> warnings;  // "file:line: reason" for skipped lines (first few) and slow lists
};

class CompiledList {
 public:
  virtual ~CompiledList() = default;
  // The name rules refer to. A plain list: name() == category() == the [list.NAME] name.
  // A UT1 folder yields one list per category with name() == "NAME/<category folder>" and
  // category() == "<category folder>"; rules may name "NAME" (any of its categories),
  // "NAME/<category>" or the bare "<category>".
  const std::string& name() const { return name_; }
  const std::string& category() const { return category_; }
  const std::string& format() const { return format_; }
  const ListStats& stats() const { return stats_; }
  // The first entry that matches, or nullopt. "First" is file order (lowest file, then line);
  // a UT1 category tries domains, then urls, then expressions. Never allocates.
  virtual std::optional<ListHit> find(const MatchInput& input) const = 0;
  // Where a hit of find() came from. Allocates; not for the per-request path.
  virtual EntryOrigin origin(ListHit hit) const = 0;
  std::optional<EntryOrigin> match(const MatchInput& input) const {
    std::optional<ListHit> hit = find(input);
    if (!hit) return std::nullopt;
    return origin(*hit);
  }
  // How many match() calls could not decide (MatchError other than None) since load.
  virtual uint64_t matchErrors() const { return 0; }

 protected:
  CompiledList(std::string name, std::string category, std::string format)
      : name_(std::move(name)), category_(std::move(category)), format_(std::move(format)) {}
  ListStats stats_;

 private:
  std::string name_;
  std::string category_;
  std::string format_;
};
using CompiledListPtr = std::shared_ptr<const CompiledList>;

// One [list.NAME] section as configured.
struct ListSpec {
  std::string name;
  std::string format;  // domains|hosts|adblock|ut1|urls|regex|sni_regex|cidr
  std::string path;    // file (optionally .gz) or, for ut1, a folder
  std::string configFile;  // where the section is, for errors
  int configLine = 0;
  // regex, sni_regex, ut1 expressions: DFA budget of each RE2::Set shard (<= 5,000 patterns).
  // A ceiling, not an allocation; below ~64 MiB a few thousand patterns thrash or fail.
  size_t regexMaxMemPerShard = size_t{64} << 20;
};

// Thrown by loaders and the policy builder: the message is "file:line: reason".
class FilterError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Loads and compiles one list section. A ut1 folder yields one list per category (plus none for
// the folder itself: rules naming the folder match any of them). Throws FilterError.
std::vector<CompiledListPtr> loadList(const ListSpec& spec);

// Host normalisation shared by loaders and the daemon: lower-case, no trailing dot, no leading
// "www." (only when at least two labels remain: "www.com" stays), IDNA A-labels kept as they
// are (xn--...), rejects empty labels and bad characters (allowed: a-z 0-9 '-' '_'; labels
// <= 63, name <= 253 bytes; U-labels are refused, convert to xn-- first).
// Returns false when `in` is not a valid host name.
bool normalizeHost(std::string_view in, std::string& out);

}  // namespace tollgate::filters
