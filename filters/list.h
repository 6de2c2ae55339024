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

// What a list is asked about one flow. Views are valid for the duration of the call.
struct MatchInput {
  // Lower-case host name without port, trailing dot or brackets: the HTTP Host or the TLS SNI.
  // Empty when unknown (opaque TCP, TLS without SNI).
  std::string_view host;
  // "host/path?query" (no scheme, host as above), HTTP only; empty otherwise.
  std::string_view url;
  // The original destination (always set by the daemon; may be null in unit tests).
  const sockaddr_storage* destination = nullptr;
};

struct ListStats {
  size_t entries = 0;
  size_t skipped = 0;        // lines ignored (comments excluded): unsupported syntax, bad entries
  double loadMs = 0;
  size_t memoryBytes = 0;    // estimate of the compiled form
  double matchNs = 0;        // measured at load: mean time of one match() on probe inputs
  std::vector<std::string> warnings;  // "file:line: reason" for skipped lines (first few) and slow lists
};

class CompiledList {
 public:
  virtual ~CompiledList() = default;
  // The name rules refer to: the [list.NAME] name, or for a UT1 folder each category's folder
  // name (the list NAME is also usable and means "any of its categories").
  const std::string& name() const { return name_; }
  const std::string& category() const { return category_; }
  const std::string& format() const { return format_; }
  const ListStats& stats() const { return stats_; }
  // The first entry that matches, or nullopt.
  virtual std::optional<EntryOrigin> match(const MatchInput& input) const = 0;

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
// "www.", IDNA A-labels kept as they are (xn--...), rejects empty labels and bad characters.
// Returns false when `in` is not a valid host name.
bool normalizeHost(std::string_view in, std::string& out);

}  // namespace tollgate::filters
