// Connection lifecycle: sniff, decide, connect upstream, tunnel, close. The HTTP exchange lives in
// connection_http.cc.
#include "daemon/proxy/connection.h"

#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "daemon/inspect/client_hello.h"
#include "daemon/net/sockets.h"
#include "daemon/proxy/error_pages.h"
#include "nf/neighbour_table.h"

namespace tollgate::proxy {

namespace {
constexpr uint32_t kEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
constexpr int64_t kLingerMs = 2000;  // how long a closing connection drains the client's input

int64_t wallClockMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

int unsentBytes(int fd) {
  int n = 0;
  return ioctl(fd, SIOCOUTQ, &n) == 0 ? n : 0;
}

namespace {
// Closing with SO_LINGER 0 sends RST: the honest "no" for TLS and opaque TCP.
void resetAndClose(int fd) {
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}
}  // namespace

void Connection::Side::onIo(uint32_t events) {
  if (events & EPOLLIN) ep.readable = true;
  if (events & EPOLLOUT) ep.writable = true;
  if (events & (EPOLLRDHUP | EPOLLHUP)) {
    ep.readable = true;  // a read will return 0 (or the error)
    ep.peerHup = true;
  }
  if (events & EPOLLERR) {
    ep.readable = ep.writable = true;  // the next call reports the error
    ep.errorEvent = true;
  }
  owner->advance();
}

Connection::Connection(WorkerContext& ctx, int clientFd, const sockaddr_storage& client,
                       const sockaddr_storage& destination, PortClass portClass)
    : ctx_(ctx), config_(ctx.config), enforcement_(ctx.enforcement), client_(client),
      destination_(destination), portClass_(portClass) {
  clientSide_.owner = this;
  upstreamSide_.owner = this;
  clientSide_.ep.fd = clientFd;
  acceptMs_ = ctx.loop.nowMs();
  // Link into the worker's list.
  next = ctx.connections;
  if (next) next->prev = this;
  ctx.connections = this;
  ctx.counters.activeConnections.fetch_add(1, std::memory_order_relaxed);
  limiterHeld_ = true;  // the worker acquired the slot before constructing us
}

// Connections are always closed (and handed to deferDelete) before they are destroyed.
Connection::~Connection() = default;

void Connection::start() {
  int one = 1;
  setsockopt(clientSide_.ep.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  record_.startUnixMs = wallClockMs();
  record_.client = client_;
  record_.destination = destination_;
  if (ctx_.neighbours) {
    mac_ = ctx_.neighbours->lookup(reinterpret_cast<const sockaddr*>(&client_));
    if (!mac_) ctx_.counters.add(Counter::mac_unknown);
    record_.mac = mac_;
  }
  if (ctx_.loop.add(clientSide_.ep.fd, kEvents, &clientSide_) != 0) {
    close();
    return;
  }
  switch (portClass_) {
    case PortClass::Http: ctx_.counters.add(Counter::connections_http); break;
    case PortClass::Tls: ctx_.counters.add(Counter::connections_tls); break;
    case PortClass::Tcp: ctx_.counters.add(Counter::connections_tcp); break;
  }
  if (portClass_ == PortClass::Tcp) {
    decideOpaque("tcp", "", nullptr);
    return;
  }
  phase_ = Phase::Sniffing;
  setDeadline(config_->limits.sniffTimeout);
  advance();
}

void Connection::advance() {
  // Callbacks may re-enter (an event handler runs the state machine that writes to the other
  // socket); run the machine once more instead of recursing.
  if (phase_ == Phase::Closed) return;  // late events of this batch, or a runSoon call
  if (inAdvance_) {
    advanceAgain_ = true;
    return;
  }
  inAdvance_ = true;
  do {
    advanceAgain_ = false;
    uint64_t before = movedBytes();
    if (upstreamState_ == UpstreamState::Connecting && upstreamSide_.ep.writable) {
      // EPOLLOUT without EPOLLERR on a connecting socket means connected; ask why only on error.
      int err = 0;
      if (upstreamSide_.ep.errorEvent) {
        socklen_t len = sizeof err;
        getsockopt(upstreamSide_.ep.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == 0) err = ECONNRESET;
      }
      if (err == 0) onConnected();
      else onConnectFailed(err, false);
    }
    switch (phase_) {
      case Phase::Sniffing: sniff(); break;
      case Phase::Tunnel: runTunnel(); break;
      case Phase::Http: httpAdvance(); break;
      case Phase::Closing: {
        auto& ep = clientSide_.ep;
        if (closingSent_ < closingReply_.size()) {
          closingSent_ += ep.writeFrom(closingReply_.data() + closingSent_, closingReply_.size() - closingSent_);
          if (ep.failed) { close(); break; }
          if (closingSent_ < closingReply_.size()) break;
        }
        ep.shutdownWrite();
        // Lingering close, only when the client sent more than we read: unread input would turn
        // our close into an RST that destroys the reply in flight. Otherwise close now (nginx's
        // "lingering_close on" rule); the kernel delivers the tail.
        if (up_.buffer.empty() && !ep.readable) {
          close();
          break;
        }
        net::Buffer scratch;
        while (ep.readInto(scratch, net::Buffer::kChunk) > 0) scratch.consume(scratch.size());
        if (ep.readEof || ep.failed) close();
        break;
      }
      case Phase::Closed: break;
    }
    if (phase_ == Phase::Closed) break;
    if (movedBytes() != before &&
        (phase_ == Phase::Tunnel || (phase_ == Phase::Http && respState_ != ResponseState::Idle)) &&
        upstreamState_ != UpstreamState::Connecting)
      setDeadline(config_->limits.idleTimeout);
  } while (advanceAgain_);
  inAdvance_ = false;
  // A relay that spent its budget has more to move but will get no new edge: come back after
  // the other connections of this batch had their turn.
  if ((phase_ == Phase::Tunnel || phase_ == Phase::Http) &&
      (up_.yielded() || down_.yielded() || response_.yielded()))
    ctx_.loop.runSoon(&clientSide_);
}

void Connection::sniff() {
  auto& ep = clientSide_.ep;
  size_t cap = portClass_ == PortClass::Http ? config_->limits.maxHeadSize + 1
                                             : config_->limits.maxClientHello + 5;
  while (ep.readInto(up_.buffer, cap) > 0) {
  }
  if (up_.buffer.empty()) {
    if (ep.readEof || ep.failed) close();  // connected and left without a byte: nothing to decide
    return;
  }
  if (!headSeenFirstByte_) {
    headSeenFirstByte_ = true;
    setDeadline(config_->limits.requestTimeout);
  }
  if (portClass_ == PortClass::Http) {
    phase_ = Phase::Http;
    httpAdvance();
    return;
  }
  inspect::ClientHelloInfo hello;
  inspect::TlsError err = inspect::TlsError::None;
  inspect::TlsLimits limits{config_->limits.maxClientHello};
  switch (inspect::parseClientHello(up_.buffer.view(), limits, hello, err)) {
    case inspect::ParseState::NeedMore:
      if (ep.readEof || ep.failed) decideOpaque("tcp", "", "truncated_client_hello");
      return;
    case inspect::ParseState::Done:
      ctx_.counters.add(hello.sni.empty() ? Counter::tls_sni_missing : Counter::tls_sni_found);
      if (hello.hasEch) ctx_.counters.add(Counter::tls_ech_seen);
      decideOpaque("tls", std::move(hello.sni), hello.hasEch ? "ech" : nullptr, hello.hasEch);
      return;
    case inspect::ParseState::Error:
      if (err == inspect::TlsError::TooLarge) {
        ctx_.counters.add(Counter::tls_hello_too_large);
        decideOpaque("tls", "", "client_hello_too_large");
      } else if (err == inspect::TlsError::NotTls) {
        ctx_.counters.add(Counter::sniff_not_tls);
        decideOpaque("tcp", "", "not_tls");
      } else {
        decideOpaque("tls", "", inspect::toString(err));
      }
      return;
  }
}

void Connection::recordVerdict(filters::Verdict& verdict) {
  record_.rule = std::move(verdict.rule);
  record_.list = std::move(verdict.list);
  record_.category = std::move(verdict.category);
  record_.group = std::move(verdict.group);
  record_.action = filters::toString(verdict.action);
  switch (verdict.action) {
    case filters::Action::Allow: ctx_.counters.add(Counter::decisions_allow); break;
    case filters::Action::Log: ctx_.counters.add(Counter::decisions_log); break;
    case filters::Action::Block: ctx_.counters.add(Counter::decisions_block); break;
    case filters::Action::Redirect: ctx_.counters.add(Counter::decisions_redirect); break;
  }
}

void Connection::decideOpaque(const char* proto, std::string sni, const char* note, bool hasEch) {
  if (enforcement_.captive) {
    record_.proto = proto;
    record_.sni = sni;
    record_.host = sni;
    if (!captiveAdmits(sni, false)) return;
  }
  filters::PolicyRequest req;
  req.protocol = std::string_view(proto) == "tls" ? filters::Protocol::Tls : filters::Protocol::Tcp;
  req.client = &client_;
  req.destination = &destination_;
  req.mac = record_.mac;
  req.host = sni;
  req.hasEch = hasEch;
  auto verdict = enforcement_.policy->decide(req);
  record_.proto = proto;
  record_.sni = sni;
  record_.host = std::move(sni);
  if (note) record_.note = note;
  recordOpen_ = true;
  bool refuse = verdict.action == filters::Action::Block || verdict.action == filters::Action::Redirect;
  recordVerdict(verdict);
  if (refuse) {
    // No upstream connection is ever opened for a blocked flow. TLS gets an access_denied alert
    // (or a reset, per [filter] tls_block); opaque TCP has no way to say why: a reset.
    if (std::string_view(proto) == "tls" && enforcement_.responses->tlsAlert()) {
      ctx_.counters.add(Counter::tls_block_alerts);
      sendAndClose(BlockResponses::tlsAccessDeniedAlert());
      return;
    }
    resetOnClose_ = true;
    close();
    return;
  }
  phase_ = Phase::Tunnel;
  beginConnect();
}

void Connection::beginConnect() {
  int err = 0;
  const sockaddr_storage* source = config_->gateway.transparentUpstream ? &client_ : nullptr;
  connectStartMs_ = ctx_.loop.nowMs();
  int fd = net::startConnect(destination_, config_->gateway.upstreamMark, source, err);
  if (fd < 0) {
    onConnectFailed(err, false);
    return;
  }
  upstreamSide_.ep = net::Endpoint{};
  upstreamSide_.ep.fd = fd;
  upstreamState_ = UpstreamState::Connecting;
  if (ctx_.loop.add(fd, kEvents, &upstreamSide_) != 0) {
    onConnectFailed(errno, false);
    return;
  }
  setDeadline(config_->limits.connectTimeout);
}

void Connection::onConnected() {
  upstreamState_ = UpstreamState::Connected;
  ctx_.counters.add(Counter::upstream_connect_ok);
  connectMs_ = ctx_.loop.nowMs() - connectStartMs_;
  ctx_.counters.upstreamConnect.observeMs(connectMs_);
  if (record_.connectMs < 0) record_.connectMs = connectMs_;
  upstreamSide_.ep.readable = true;  // edge-triggered: data may already be waiting
  setDeadline(config_->limits.idleTimeout);
}

void Connection::onConnectFailed(int err, bool timedOut) {
  ctx_.counters.add(timedOut ? Counter::upstream_connect_timeout : Counter::upstream_connect_fail);
  resetUpstream();
  const char* note = timedOut ? "upstream_timeout" : (err == ECONNREFUSED ? "upstream_refused" : "upstream_unreachable");
  if (phase_ == Phase::Http) {
    record_.connectMs = -1;
    if (cache_ && cacheServeStaleOnError(note)) return;
    httpReject(timedOut ? 504 : 502, note);
    return;
  }
  record_.note = note;
  resetOnClose_ = true;  // TLS and opaque TCP: a reset is the honest "origin unreachable"
  close();
}

void Connection::resetUpstream() {
  if (upstreamSide_.ep.fd >= 0) ::close(upstreamSide_.ep.fd);
  upstreamBase_ += upstreamSide_.ep.bytesWritten;
  upstreamSide_.ep = net::Endpoint{};
  upstreamState_ = UpstreamState::None;
  down_.buffer.consume(down_.buffer.size());
}

void Connection::runTunnel() {
  if (upstreamState_ != UpstreamState::Connected) return;
  auto& c = clientSide_.ep;
  auto& u = upstreamSide_.ep;
  uint64_t unlimited = net::StreamPump::kUnlimited;
  if (!u.writeShut) {
    auto r = up_.run(c, u, unlimited, true, ctx_.pipes, ctx_.counters);
    if (r == net::StreamPump::Result::SrcEnded) u.shutdownWrite();  // half-close passes through
    if (r == net::StreamPump::Result::Failed) return close();
  }
  unlimited = net::StreamPump::kUnlimited;
  if (!c.writeShut) {
    bool awaitingFirstByte = u.bytesRead == 0;  // an upgraded HTTP connection has read its 101
    auto r = down_.run(u, c, unlimited, true, ctx_.pipes, ctx_.counters);
    if (awaitingFirstByte && u.bytesRead > 0)
      ctx_.counters.firstByte.observeMs(ctx_.loop.nowMs() - connectStartMs_);
    if (r == net::StreamPump::Result::SrcEnded) c.shutdownWrite();
    if (r == net::StreamPump::Result::Failed) return close();
  }
  if (u.writeShut && c.writeShut) close();
}

void Connection::checkDeadline(int64_t nowMs) {
  if (deadlineMs_ == 0 || nowMs < deadlineMs_ || phase_ == Phase::Closed) return;
  deadlineMs_ = 0;
  onDeadline();
  // A timeout may have queued a reply (408, 504): run the machine so it is written now.
  if (phase_ != Phase::Closed) advance();
}

void Connection::onDeadline() {
  if (upstreamState_ == UpstreamState::Connecting) {
    onConnectFailed(ETIMEDOUT, true);
    return;
  }
  switch (phase_) {
    case Phase::Sniffing:
      if (up_.buffer.empty()) {
        // The client waits for the server to speak first (SMTP, SSH, FTP...): relay it opaque.
        ctx_.counters.add(Counter::sniff_timeout_opaque);
        decideOpaque("tcp", "", "server_first");
        return;
      }
      ctx_.counters.add(Counter::idle_timeouts);
      close();  // a ClientHello that never completes
      return;
    case Phase::Http:
      if (respState_ == ResponseState::Idle && reqState_ == RequestState::Head && !up_.buffer.empty()) {
        ctx_.counters.add(Counter::idle_timeouts);
        httpReject(408, "request_timeout");
        return;
      }
      if (!(respState_ == ResponseState::Idle && up_.buffer.empty())) ctx_.counters.add(Counter::idle_timeouts);
      close();
      return;
    case Phase::Tunnel:
      ctx_.counters.add(Counter::idle_timeouts);
      record_.note = "idle_timeout";
      close();
      return;
    case Phase::Closing:
    case Phase::Closed:
      close();
      return;
  }
}

void Connection::onDrain() {
  if (phase_ == Phase::Http && reqState_ == RequestState::Head && respState_ == ResponseState::Idle &&
      up_.buffer.empty())
    close();
}

void Connection::forceClose() {
  if (record_.note.empty()) record_.note = "drain_timeout";
  resetOnClose_ = true;  // the peers learn at once that the transfer was cut, instead of hanging
  close();
}

void Connection::sendAndClose(std::string response) {
  closingReply_ = std::move(response);
  closingSent_ = 0;
  resetUpstream();
  phase_ = Phase::Closing;
  deadlineMs_ = ctx_.loop.nowMs() + kLingerMs;
  clientSide_.ep.writable = true;  // try at once; EAGAIN re-arms through the edge
  advanceAgain_ = true;
  if (!inAdvance_) advance();
}

void Connection::logRecord(uint64_t unsentReply) {
  if (!recordOpen_) return;
  recordOpen_ = false;
  record_.durationMs = wallClockMs() - record_.startUnixMs;
  // Bytes of this exchange (HTTP) or of the whole connection (exchange starts are 0).
  record_.bytesUp = bytesToUpstream() - exchangeUpStart_;
  record_.bytesDown = clientSide_.ep.bytesWritten - exchangeDownStart_ + unsentReply;
  ctx_.counters.add(Counter::bytes_client_to_upstream, record_.bytesUp);
  ctx_.counters.add(Counter::bytes_upstream_to_client, record_.bytesDown);
  ctx_.log(std::move(record_));
}

void Connection::close() {
  if (phase_ == Phase::Closed) return;
  logRecord();
  captiveAccount();
  phase_ = Phase::Closed;
  cache_.reset();  // an unfinished store is abandoned, its joiners released
  for (Side* side : {&clientSide_, &upstreamSide_}) {
    int fd = side->ep.fd;
    if (fd < 0) continue;
    side->ep.fd = -1;
    // close() drops the descriptor from epoll (no dup()s exist), so no EPOLL_CTL_DEL first.
    if (resetOnClose_) {
      resetAndClose(fd);
    } else if (ctx_.draining && unsentBytes(fd) > 0) {
      // The daemon is about to exit and remove the ruleset, after which the peer's ACKs no
      // longer reach an orphaned socket: keep the descriptor until the kernel has delivered
      // the tail (the worker's sweep closes it).
      ::shutdown(fd, SHUT_WR);
      ctx_.lingering.push_back(fd);
    } else {
      ::close(fd);
    }
  }
  up_.discard(ctx_.pipes);
  down_.discard(ctx_.pipes);
  upstreamState_ = UpstreamState::None;
  if (limiterHeld_) {
    ctx_.limiter.release(client_);
    limiterHeld_ = false;
  }
  ctx_.counters.activeConnections.fetch_sub(1, std::memory_order_relaxed);
  if (prev) prev->next = next;
  else if (ctx_.connections == this) ctx_.connections = next;
  if (next) next->prev = prev;
  prev = next = nullptr;
  ctx_.loop.deferDelete(std::unique_ptr<Deletable>(this));
}

}  // namespace tollgate::proxy
