#pragma once
// The one question the data plane asks: given who is talking to what, what do we do?
// The daemon builds a PolicyRequest once per HTTP request, per TLS connection and per opaque
// connection, always before any upstream connection is opened, and acts on the Verdict.
// Implementations are immutable after construction and shared by every worker: decide() is
// const, thread-safe and must not block.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <netinet/in.h>
#include <sys/socket.h>

namespace tollgate::filters {

// Quic: an HTTP/3 Initial's ClientHello (SNI), judged like TLS. Dns: a query name, judged like
// a host (the packet inspector answers blocked names itself).
enum class Protocol { Http, Tls, Tcp, Quic, Dns };
// Allow: relay. Block: HTTP 403 page (or 302 to block_redirect), TLS alert or reset, TCP reset.
// Log: relay, and the decision line says "log". Redirect: HTTP 302 to [filter] block_redirect
// (TLS and TCP are blocked: there is nothing to redirect without decrypting).
enum class Action { Allow, Block, Log, Redirect };

struct PolicyRequest {
  Protocol protocol = Protocol::Tcp;
  const sockaddr_storage* client = nullptr;
  const sockaddr_storage* destination = nullptr;
  std::optional<std::array<uint8_t, 6>> mac;
  std::string_view host;    // HTTP Host (lower-case, no port) or TLS SNI
  std::string_view method;  // HTTP only
  std::string_view url;     // HTTP only: absolute URL ("http://host/path?query")
  bool hasEch = false;      // TLS: the ClientHello carries encrypted_client_hello
  int64_t unixTime = 0;     // when the flow started (seconds); 0 = now (the engine's clock)
};

struct Verdict {
  Action action = Action::Allow;
  std::string rule;      // the rule that decided, for the log ("default" when none matched)
  std::string list;      // the list whose entry matched; empty for a default decision
  std::string category;  // the list's category (UT1 folder name, else the list name)
  std::string group;     // the client's group
  std::string entry;     // explain() only: the matching entry, as "file:line: entry" (decide()
                         // leaves it empty: finding a line number costs more than deciding)
  // HTTP only, with Action::Allow: safe search asks the client to go to this URL instead (302).
  std::string safeSearchUrl;
  // DNS only, with Action::Allow in a safe_search group: answer the query with this host's
  // addresses instead (forcesafesearch.google.com, strict.bing.com, safe.duckduckgo.com,
  // restrict.youtube.com): what makes safe search hold over HTTPS.
  std::string safeSearchHost;
  // DNS only: the client's group filters (has rules or a blocking default), so HTTPS (type 65)
  // answers are suppressed: without them a client cannot fetch ECH configs and hide its SNI.
  bool groupFilters = false;
};

class Policy {
 public:
  virtual ~Policy() = default;
  virtual Verdict decide(const PolicyRequest& request) const = 0;
};
using PolicyPtr = std::shared_ptr<const Policy>;

// The policy of a gateway with no filter rules configured: everything passes, and the decision
// is still logged under the rule name "default".
class AllowAllPolicy final : public Policy {
 public:
  Verdict decide(const PolicyRequest&) const override {
    Verdict v;
    v.rule = "default";
    return v;
  }
};

const char* toString(Action a);
const char* toString(Protocol p);

}  // namespace tollgate::filters
