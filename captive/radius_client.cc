// The RADIUS client's transport: one connected UDP socket per request, retransmission and
// failover, and the mapping of answers to outcomes. The packets themselves are
// daemon/inspect/radius_packet.cc's.
#include "captive/radius_client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tollgate::captive {

using inspect::RadiusError;

const char* toString(AuthOutcome o) {
  switch (o) {
    case AuthOutcome::Accept:
      return "accept";
    case AuthOutcome::Reject:
      return "reject";
    case AuthOutcome::Timeout:
      return "timeout";
    case AuthOutcome::Error:
      return "error";
  }
  return "unknown";
}

const char* toString(AcctOutcome o) {
  switch (o) {
    case AcctOutcome::Acknowledged:
      return "acknowledged";
    case AcctOutcome::Timeout:
      return "timeout";
    case AcctOutcome::Error:
      return "error";
  }
  return "unknown";
}

struct RadiusClient::Server {
  sockaddr_storage auth{};
  sockaddr_storage acct{};
  socklen_t length = 0;
  std::string secret;
};

struct RadiusClient::Exchange {
  enum class Result { Answered, NoAnswer, Failed };
  Result result = Result::Failed;
  inspect::RadiusReply reply;
  std::string detail;
};

class RadiusClient::Counters {
 public:
#define TOLLGATE_RADIUS_COUNTER_ATOMIC(name) std::atomic<uint64_t> name{0};
  TOLLGATE_RADIUS_CLIENT_COUNTERS(TOLLGATE_RADIUS_COUNTER_ATOMIC)
#undef TOLLGATE_RADIUS_COUNTER_ATOMIC
};

namespace {

void bump(std::atomic<uint64_t>& c) { c.fetch_add(1, std::memory_order_relaxed); }

// Takes errno as read right after the failing call: building the message allocates.
std::string errnoText(int err) { return std::strerror(err); }

// "192.0.2.1:1812", "[2001:db8::1]:1812": how error messages name a server.
std::string formatEndpoint(const sockaddr_storage& a) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (a.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&a);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
  }
  const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&a);
  inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
  return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
}

void setPort(sockaddr_storage& a, uint16_t port) {
  if (a.ss_family == AF_INET)
    reinterpret_cast<sockaddr_in*>(&a)->sin_port = htons(port);
  else
    reinterpret_cast<sockaddr_in6*>(&a)->sin6_port = htons(port);
}

// The connected socket already filters by source; this is the belt to those braces, and it
// also holds if the socket is ever shared or left unconnected.
bool sameEndpoint(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    const auto* x = reinterpret_cast<const sockaddr_in*>(&a);
    const auto* y = reinterpret_cast<const sockaddr_in*>(&b);
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  const auto* x = reinterpret_cast<const sockaddr_in6*>(&a);
  const auto* y = reinterpret_cast<const sockaddr_in6*>(&b);
  return x->sin6_port == y->sin6_port &&
         std::memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::optional<std::string> checkConfig(const RadiusClientConfig& c) {
  if (c.servers.empty()) return "radius: no server configured";
  for (const RadiusServer& s : c.servers) {
    if (s.host.empty()) return "radius server: empty address";
    if (s.secret.empty()) return "radius server " + s.host + ": empty secret";
    if (s.authPort == 0 || s.acctPort == 0) return "radius server " + s.host + ": port 0";
  }
  if (c.tries < 1 || c.tries > 10) return "radius tries must be 1..10";
  if (c.timeout.count() < 1 || c.timeout > std::chrono::minutes(1))
    return "radius timeout must be 1 ms..60 s";
  if (c.nasIdentifier.size() > inspect::kRadiusMaxValueSize)
    return "radius nas_identifier is longer than 253 bytes";
  if (!c.nasAddress.empty() && !inspect::RadiusIp::parse(c.nasAddress))
    return "radius nas_address '" + c.nasAddress + "' is not an IP address";
  if (c.nasIdentifier.empty() && c.nasAddress.empty())
    return "radius needs a nas_identifier or a nas_address (RFC 2865 §4.1)";
  return std::nullopt;
}

}  // namespace

inspect::RadiusIp radiusIpFromSockaddr(const sockaddr* address) {
  inspect::RadiusIp ip;
  if (address == nullptr) return ip;
  if (address->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(address);
    std::memcpy(ip.bytes.data(), &in->sin_addr, 4);
    ip.version = 4;
  } else if (address->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      std::memcpy(ip.bytes.data(), in6->sin6_addr.s6_addr + 12, 4);
      ip.version = 4;
    } else {
      std::memcpy(ip.bytes.data(), &in6->sin6_addr, 16);
      ip.version = 6;
    }
  }
  return ip;
}

std::unique_ptr<RadiusClient> RadiusClient::create(const RadiusClientConfig& config,
                                                   std::string& error) {
  if (auto why = checkConfig(config)) {
    error = *why;
    return nullptr;
  }
  std::vector<Server> servers;
  for (const RadiusServer& s : config.servers) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* found = nullptr;
    if (int rc = getaddrinfo(s.host.c_str(), nullptr, &hints, &found); rc != 0) {
      error = "getaddrinfo(" + s.host + "): " + gai_strerror(rc);
      return nullptr;
    }
    Server server;
    // The first address only: failover is between configured servers, not a name's records.
    std::memcpy(&server.auth, found->ai_addr, found->ai_addrlen);
    server.length = found->ai_addrlen;
    freeaddrinfo(found);
    server.acct = server.auth;
    setPort(server.auth, s.authPort);
    setPort(server.acct, s.acctPort);
    server.secret = s.secret;
    servers.push_back(std::move(server));
  }
  return std::unique_ptr<RadiusClient>(new RadiusClient(config, std::move(servers)));
}

RadiusClient::RadiusClient(const RadiusClientConfig& config, std::vector<Server> servers)
    : config_(config), servers_(std::move(servers)), counters_(std::make_unique<Counters>()) {
  nas_.identifier = config.nasIdentifier;
  if (!config.nasAddress.empty()) nas_.address = *inspect::RadiusIp::parse(config.nasAddress);
}

RadiusClient::~RadiusClient() = default;

RadiusClientCounters RadiusClient::counters() const {
  RadiusClientCounters out;
#define TOLLGATE_RADIUS_COUNTER_COPY(name) \
  out.name = counters_->name.load(std::memory_order_relaxed);
  TOLLGATE_RADIUS_CLIENT_COUNTERS(TOLLGATE_RADIUS_COUNTER_COPY)
#undef TOLLGATE_RADIUS_COUNTER_COPY
  return out;
}

bool RadiusClient::attempt(int fd, const Server& server, const sockaddr_storage& to,
                           std::string_view packet, inspect::RadiusReply& reply,
                           std::string& note) {
  inspect::RadiusRequestInfo request;
  inspect::readRequestInfo(packet, request);
  // An answer is at most 4096 bytes; a longer datagram is cut, and its Length still fits.
  char buffer[inspect::kRadiusMaxPacketSize];
  for (int t = 0; t < config_.tries; ++t) {
    if (t > 0) bump(counters_->retransmissions);
    if (::send(fd, packet.data(), packet.size(), 0) < 0) {
      const int err = errno;
      // ECONNREFUSED here is the ICMP error of an earlier send, reported late.
      bump(err == ECONNREFUSED ? counters_->refused : counters_->sendErrors);
      note = "send(" + formatEndpoint(to) + "): " + errnoText(err);
      return false;
    }
    const auto deadline = std::chrono::steady_clock::now() + config_.timeout;
    for (;;) {
      const auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) break;
      pollfd p{fd, POLLIN, 0};
      const int ready = ::poll(
          &p, 1, static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count()));
      const int pollErr = errno;
      if (ready < 0 && pollErr == EINTR) continue;
      if (ready < 0) {
        bump(counters_->sendErrors);
        note = "poll(" + formatEndpoint(to) + "): " + errnoText(pollErr);
        return false;
      }
      if (ready == 0) break;
      sockaddr_storage from{};
      socklen_t fromLength = sizeof from;
      const ssize_t got =
          ::recvfrom(fd, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&from), &fromLength);
      if (got < 0) {
        const int err = errno;
        if (err == EINTR || err == EAGAIN) continue;
        bump(err == ECONNREFUSED ? counters_->refused : counters_->sendErrors);
        note = "recv(" + formatEndpoint(to) + "): " + errnoText(err);
        return false;
      }
      if (!sameEndpoint(from, to)) {
        bump(counters_->unmatchedResponses);
        continue;
      }
      const RadiusError e =
          inspect::parseRadiusResponse(std::string_view(buffer, static_cast<size_t>(got)), request,
                                       server.secret, config_.requireMessageAuthenticator, reply);
      if (e == RadiusError::None) return true;
      // Ignored, never fatal: whoever can reach the socket could send these.
      if (e == RadiusError::WrongIdentifier)
        bump(counters_->unmatchedResponses);
      else if (e == RadiusError::MissingMessageAuthenticator)
        bump(counters_->unauthenticatedResponses);
      else
        bump(counters_->invalidResponses);
      note = std::string("last answer dropped: ") + inspect::toString(e);
    }
  }
  if (note.empty()) note = "no answer";
  note += " after " + std::to_string(config_.tries) + " tries";
  return false;
}

RadiusClient::Exchange RadiusClient::exchange(Port port, const Encoder& encode) {
  Exchange ex;
  const size_t count = servers_.size();
  const size_t first = preferred_.load(std::memory_order_relaxed) % count;
  for (size_t k = 0; k < count; ++k) {
    const size_t index = (first + k) % count;
    const Server& server = servers_[index];
    const sockaddr_storage& to = port == Port::Auth ? server.auth : server.acct;
    if (k > 0) bump(counters_->failovers);

    // Fresh per server: a request moved to another server is a new request (RFC 5080 §2.2.1).
    uint8_t identifier = 0;
    inspect::RadiusAuthenticator authenticator;
    if (RAND_bytes(&identifier, 1) != 1 ||
        RAND_bytes(authenticator.data(), static_cast<int>(authenticator.size())) != 1) {
      ex.detail = "RAND_bytes failed";
      return ex;
    }
    std::string packet;
    if (RadiusError e = encode(identifier, authenticator, server.secret, packet);
        e != RadiusError::None) {
      ex.detail = std::string("cannot encode the request: ") + inspect::toString(e);
      return ex;
    }

    Fd fd(::socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) {
      const int err = errno;
      ex.detail = std::string("socket(") + (to.ss_family == AF_INET ? "AF_INET" : "AF_INET6") +
                  "): " + errnoText(err);
      return ex;
    }
    std::string note;
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&to), server.length) != 0) {
      const int err = errno;
      bump(counters_->sendErrors);
      note = "connect(" + formatEndpoint(to) + "): " + errnoText(err);
    } else if (attempt(fd.get(), server, to, packet, ex.reply, note)) {
      preferred_.store(index, std::memory_order_relaxed);
      ex.result = Exchange::Result::Answered;
      ex.detail.clear();
      return ex;
    }
    if (!ex.detail.empty()) ex.detail += "; ";
    ex.detail += formatEndpoint(to) + ": " + note;
  }
  ex.result = Exchange::Result::NoAnswer;
  return ex;
}

AuthResult RadiusClient::authenticate(std::string_view user, std::string_view password,
                                      const std::optional<inspect::MacAddress>& mac,
                                      const inspect::RadiusIp& ip) {
  bump(counters_->accessRequests);
  Exchange ex = exchange(Port::Auth,
                         [&](uint8_t identifier, const inspect::RadiusAuthenticator& authenticator,
                             std::string_view secret, std::string& out) {
                           inspect::AccessRequest r;
                           r.identifier = identifier;
                           r.authenticator = authenticator;
                           r.userName = user;
                           r.password = password;
                           r.callingStation = mac;
                           r.framedIp = ip;
                           return inspect::encodeAccessRequest(r, nas_, secret, out);
                         });
  AuthResult result;
  result.detail = std::move(ex.detail);
  switch (ex.result) {
    case Exchange::Result::Failed:
      bump(counters_->errors);
      result.outcome = AuthOutcome::Error;
      return result;
    case Exchange::Result::NoAnswer:
      bump(counters_->timeouts);
      result.outcome = AuthOutcome::Timeout;
      return result;
    case Exchange::Result::Answered:
      break;
  }
  result.reply = std::move(ex.reply);
  switch (result.reply.code) {
    case inspect::RadiusCode::AccessAccept:
      bump(counters_->accepts);
      result.outcome = AuthOutcome::Accept;
      break;
    case inspect::RadiusCode::AccessChallenge:
      // No challenge/response here (PAP only): RFC 2865 §4.4 says to treat it as a reject.
      bump(counters_->challenges);
      result.outcome = AuthOutcome::Reject;
      break;
    default:
      bump(counters_->rejects);
      result.outcome = AuthOutcome::Reject;
      break;
  }
  return result;
}

AcctResult RadiusClient::account(inspect::AcctStatusType status, const AccountingSession& session) {
  bump(counters_->accountingRequests);
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto timestamp =
      static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(now).count());
  Exchange ex = exchange(Port::Acct, [&](uint8_t identifier, const inspect::RadiusAuthenticator&,
                                         std::string_view secret, std::string& out) {
    // The authenticator drawn is unused: accounting's is a digest of the packet.
    inspect::AccountingRequest r;
    r.identifier = identifier;
    r.status = status;
    r.sessionId = session.sessionId;
    r.userName = session.userName;
    r.callingStation = session.mac;
    r.framedIp = session.ip;
    r.inputOctets = session.inputOctets;
    r.outputOctets = session.outputOctets;
    r.sessionTime = session.sessionTime;
    r.terminateCause = session.terminateCause;
    r.eventTimestamp = timestamp;
    r.classes = session.classes;
    return inspect::encodeAccountingRequest(r, nas_, secret, out);
  });
  AcctResult result;
  result.detail = std::move(ex.detail);
  switch (ex.result) {
    case Exchange::Result::Failed:
      bump(counters_->errors);
      result.outcome = AcctOutcome::Error;
      break;
    case Exchange::Result::NoAnswer:
      bump(counters_->timeouts);
      result.outcome = AcctOutcome::Timeout;
      break;
    case Exchange::Result::Answered:
      bump(counters_->accountingResponses);
      result.outcome = AcctOutcome::Acknowledged;
      break;
  }
  return result;
}

}  // namespace tollgate::captive
