#pragma once
// A blocking RADIUS client for the captive portal's control plane: the login handler calls
// authenticate() and waits; the session code calls account() at Start, every interim interval
// and Stop. The data plane never calls it.
//
// Each request gets its own UDP socket, connect()ed to the server: the kernel then delivers
// only that server's datagrams (the source address is checked again on receipt), an ICMP port
// unreachable ends the wait at once (ECONNREFUSED), and each request has a fresh random source
// port, identifier and Request Authenticator. So concurrent calls share nothing but the
// counters and the index of the server that answered last, and an answer can only ever match
// the request it was made for. Retransmissions resend the identical datagram (RFC 5080
// §2.2.1), so a server that already answered replays its answer. A datagram that does not
// parse, fails the Response Authenticator or the Message-Authenticator, or answers another
// identifier is counted and ignored: waiting goes on, as a forged answer must not end a
// genuine exchange (and must not be taken for one either).
//
// Servers are tried in order, starting from the last one that answered: `tries` sends per
// server, `timeout` after each, then the next server with a fresh identifier and authenticator.
//
// Whether accounting is sent at all ([radius] accounting = true|false) is the caller's
// choice; this client sends what it is asked to.
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/inspect/radius_packet.h"

namespace tollgate::captive {

struct RadiusServer {
  std::string host;  // an IPv4 or IPv6 literal, or a name resolved once by create()
  uint16_t authPort = 1812;
  uint16_t acctPort = 1813;
  std::string secret;  // shared with this server; not empty
};

struct RadiusClientConfig {
  std::vector<RadiusServer> servers;        // tried in this order, at least one
  std::string nasIdentifier = "tollgate";   // NAS-Identifier; this or nasAddress is needed
  std::string nasAddress;                   // NAS-IP(v6)-Address literal, optional
  std::chrono::milliseconds timeout{2000};  // wait after each send
  int tries = 3;                            // sends per server, 1..10
  // Refuse Access-* answers without a Message-Authenticator (BlastRADIUS, CVE-2024-3596).
  // Servers patched in 2024 always send it; an older FreeRADIUS needs
  // "Message-Authenticator := 0x00" in its reply, or this set to false.
  bool requireMessageAuthenticator = true;
};

// Every outcome, one counter each; tests assert on them and metrics export them unchanged.
#define TOLLGATE_RADIUS_CLIENT_COUNTERS(X)                                                        \
  X(accessRequests)           /* authenticate() calls */                                          \
  X(accepts)                  /* Access-Accept */                                                 \
  X(rejects)                  /* Access-Reject */                                                 \
  X(challenges)               /* Access-Challenge, treated as a reject (RFC 2865 §4.4) */        \
  X(accountingRequests)       /* account() calls */                                               \
  X(accountingResponses)      /* Accounting-Response */                                           \
  X(retransmissions)          /* sends after the first to the same server */                      \
  X(failovers)                /* moves to the next server */                                      \
  X(refused)                  /* ICMP port unreachable from a server: moved on without waiting */ \
  X(sendErrors)               /* send()/connect() failures for a server: moved on */              \
  X(timeouts)                 /* calls no server answered validly */                              \
  X(invalidResponses)         /* dropped: bad length or attribute, authenticator, message-auth */ \
  X(unauthenticatedResponses) /* dropped: no Message-Authenticator though required */             \
  X(unmatchedResponses)       /* dropped: another identifier or source address */                 \
  X(errors)                   /* calls that failed locally: a bad argument, socket(), libcrypto */

struct RadiusClientCounters {
#define TOLLGATE_RADIUS_COUNTER_FIELD(name) uint64_t name = 0;
  TOLLGATE_RADIUS_CLIENT_COUNTERS(TOLLGATE_RADIUS_COUNTER_FIELD)
#undef TOLLGATE_RADIUS_COUNTER_FIELD
};

enum class AuthOutcome { Accept, Reject, Timeout, Error };
const char* toString(AuthOutcome o);

struct AuthResult {
  AuthOutcome outcome = AuthOutcome::Error;
  // Accept: Session-Timeout, Idle-Timeout, Class (keep for accounting), bandwidth...;
  // Reject (and Challenge): replyMessage. Default for Timeout and Error.
  inspect::RadiusReply reply;
  std::string detail;  // Error: what failed; Timeout: what each server did
};

enum class AcctOutcome { Acknowledged, Timeout, Error };
const char* toString(AcctOutcome o);

struct AcctResult {
  AcctOutcome outcome = AcctOutcome::Error;
  std::string detail;
};

// One login session as accounting reports it. The caller keeps it from Start to Stop.
struct AccountingSession {
  std::string sessionId;  // Acct-Session-Id, unique per session, the same in Start..Stop
  std::string userName;
  std::optional<inspect::MacAddress> mac;
  inspect::RadiusIp ip;
  uint64_t inputOctets = 0;   // from the client (upload)
  uint64_t outputOctets = 0;  // to the client (download)
  uint32_t sessionTime = 0;   // seconds since Start
  inspect::AcctTerminateCause terminateCause = inspect::AcctTerminateCause::None;  // for Stop
  std::vector<std::string> classes;  // AuthResult.reply.classes, echoed
};

// The address of a socket peer (the portal's client), IPv4-mapped IPv6 as IPv4; empty for
// other families.
inspect::RadiusIp radiusIpFromSockaddr(const sockaddr* address);

class RadiusClient {
 public:
  // Checks the config and resolves every server (getaddrinfo, which may block). Returns null
  // and sets `error` naming the option or the call that failed.
  static std::unique_ptr<RadiusClient> create(const RadiusClientConfig& config, std::string& error);
  ~RadiusClient();
  RadiusClient(const RadiusClient&) = delete;
  RadiusClient& operator=(const RadiusClient&) = delete;

  // PAP login of `user` from the client `mac`/`ip` (either may be unknown: nullopt / empty).
  // Blocks for at most servers × tries × timeout. Thread-safe.
  AuthResult authenticate(std::string_view user, std::string_view password,
                          const std::optional<inspect::MacAddress>& mac,
                          const inspect::RadiusIp& ip);

  // One Accounting-Request (Event-Timestamp from the system clock). Thread-safe.
  AcctResult account(inspect::AcctStatusType status, const AccountingSession& session);

  RadiusClientCounters counters() const;

 private:
  struct Server;    // a resolved RadiusServer (radius_client.cc)
  struct Exchange;  // one request's outcome across servers
  class Counters;   // the atomics behind RadiusClientCounters
  enum class Port { Auth, Acct };

  RadiusClient(const RadiusClientConfig& config, std::vector<Server> servers);

  // Builds a request for one server: identifier and authenticator fresh, secret the server's.
  using Encoder = std::function<inspect::RadiusError(
      uint8_t identifier, const inspect::RadiusAuthenticator& authenticator,
      std::string_view secret, std::string& out)>;
  // Sends what `encode` builds to each server in turn until one answers validly.
  Exchange exchange(Port port, const Encoder& encode);
  // One server: up to `tries` sends of `packet` on the connected socket `fd`. True once a
  // valid answer is in `reply`; otherwise `note` says what happened.
  bool attempt(int fd, const Server& server, const sockaddr_storage& to, std::string_view packet,
               inspect::RadiusReply& reply, std::string& note);

  RadiusClientConfig config_;
  inspect::RadiusNas nas_;
  std::vector<Server> servers_;
  std::atomic<size_t> preferred_{0};  // the server that answered last
  std::unique_ptr<Counters> counters_;
};

}  // namespace tollgate::captive
