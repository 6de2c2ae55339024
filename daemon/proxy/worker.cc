#include "daemon/proxy/worker.h"

#include "daemon/proxy/background_fetch.h"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

#include "daemon/core/diag.h"
#include "daemon/log/log_format.h"
#include "daemon/net/sockets.h"

namespace tollgate::proxy {

namespace {
constexpr auto kSweepPeriod = std::chrono::milliseconds(200);
}

Worker::Worker(unsigned index, CounterBlock& counters, log::RecordQueue& logQueue, ClientLimiter& limiter,
               nf::NeighbourTable* neighbours, config::ConfigPtr config, Enforcement enforcement)
    : ctx_(index, counters, logQueue, limiter, neighbours, config->limits.maxPipesPerWorker) {
  ctx_.config = std::move(config);
  ctx_.enforcement = std::move(enforcement);
  buildPortClasses();
}

Worker::~Worker() {
  join();
  closeListeners();
}

void Worker::buildPortClasses() {
  portClass_.assign(65536, 0);
  const auto& g = ctx_.config->gateway;
  for (auto p : g.httpPorts) portClass_[p] = 1 + static_cast<uint8_t>(PortClass::Http);
  for (auto p : g.tlsPorts) portClass_[p] = 1 + static_cast<uint8_t>(PortClass::Tls);
  for (auto p : g.tcpPorts) portClass_[p] = 1 + static_cast<uint8_t>(PortClass::Tcp);
}

void Worker::openListeners() {
  const auto& g = ctx_.config->gateway;
  bool transparent = g.intercept == config::InterceptMode::Tproxy;
  listeners_.reserve(2);
  for (int family : {AF_INET, AF_INET6}) {
    std::string error;
    int fd = net::openListener(family, g.listenPort, transparent, error);
    if (fd < 0) {
      // A gateway without IPv6 still serves IPv4; the reverse is an error.
      if (family == AF_INET6 && errno == EAFNOSUPPORT) {
        diag::warning("IPv6 unavailable, listening on IPv4 only: " + error);
        continue;
      }
      closeListeners();
      throw std::runtime_error(error);
    }
    listeners_.emplace_back();
    listeners_.back().fd = fd;
  }
}

void Worker::closeListeners() {
  for (auto& l : listeners_) {
    if (l.fd >= 0) {
      ctx_.loop.remove(l.fd);
      ::close(l.fd);
      l.fd = -1;
    }
  }
}

void Worker::start() {
  for (auto& l : listeners_) {
    l.owner = this;
    ctx_.loop.add(l.fd, EPOLLIN | EPOLLET, &l);
  }
  ctx_.loop.setTick(kSweepPeriod, [this] { sweep(); });
  thread_ = std::thread([this] { ctx_.loop.run(); });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::setCaptiveSessions(captive::SessionSnapshotPtr sessions) {
  ctx_.loop.post([this, sessions = std::move(sessions)]() mutable {
    ctx_.captiveSessions = std::move(sessions);
  });
}

void Worker::reconfigure(config::ConfigPtr config, Enforcement enforcement) {
  ctx_.loop.post([this, config = std::move(config), enforcement = std::move(enforcement)]() mutable {
    ctx_.config = std::move(config);
    ctx_.enforcement = std::move(enforcement);
    buildPortClasses();
  });
}

void Worker::drain() {
  ctx_.loop.post([this] {
    ctx_.draining = true;
    closeListeners();
    drainDeadlineMs_ = ctx_.loop.nowMs() + ctx_.config->limits.drainTimeout.count();
    for (auto* c = ctx_.connections; c;) {
      auto* next = c->next;
      c->onDrain();
      c = next;
    }
    sweep();
  });
}

void Worker::Listener::onIo(uint32_t) { owner->acceptFrom(fd); }

void Worker::acceptFrom(int listenFd) {
  const auto& cfg = *ctx_.config;
  bool redirect = cfg.gateway.intercept == config::InterceptMode::Redirect;
  while (true) {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    int fd = accept4(listenFd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) {
        // The backlog is not drained, so no new edge will come for it: the sweep retries.
        if (!acceptPaused_)
          diag::warning("accept4: out of file descriptors; raise LimitNOFILE or lower max_connections");
        acceptPaused_ = true;
      }
      return;  // EAGAIN: drained (edge-triggered)
    }
    ctx_.counters.add(Counter::connections_accepted);
    net::unmapV4(peer);
    sockaddr_storage dst{};
    if (!net::originalDestination(fd, redirect, dst)) {
      ctx_.counters.add(Counter::connections_no_origdst);
      ::close(fd);
      continue;
    }
    int port = log::addressPort(dst);
    uint8_t cls = portClass_[static_cast<uint16_t>(port)];
    if (port == cfg.gateway.listenPort || cls == 0) {
      // Addressed to the listener itself (not intercepted traffic): relaying would loop, and a
      // port we were not told to intercept has no policy to apply.
      ctx_.counters.add(Counter::connections_loop);
      ::close(fd);
      continue;
    }
    if (!ctx_.limiter.acquire(peer, cfg.limits.maxConnections, cfg.limits.maxConnectionsPerClient)) {
      ctx_.counters.add(Counter::connections_rejected_limit);
      linger l{1, 0};
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      ::close(fd);
      continue;
    }
    auto* conn = new Connection(ctx_, fd, peer, dst, static_cast<PortClass>(cls - 1));
    conn->start();
  }
}

void Worker::sweep() {
  int64_t now = ctx_.loop.nowMs();
  if (acceptPaused_ && !ctx_.draining) {
    acceptPaused_ = false;
    for (auto& l : listeners_)
      if (l.fd >= 0) acceptFrom(l.fd);
  }
  for (auto* c = ctx_.connections; c;) {
    auto* next = c->next;  // checkDeadline may close (unlink) c
    if (ctx_.captiveUsage) c->captiveAccount();  // before: a close accounts for itself
    c->checkDeadline(now);
    c = next;
  }
  if (ctx_.captiveUsage) ctx_.captiveUsage->merge(ctx_.usageBatch);
  for (auto* f = ctx_.fetches; f;) {
    auto* next = f->next;
    if (ctx_.draining) f->abort();  // nobody waits for it: never delay a shutdown
    else f->checkDeadline(now);
    f = next;
  }
  if (ctx_.draining) {
    bool expired = now >= drainDeadlineMs_;
    if (expired) {
      for (auto* c = ctx_.connections; c;) {
        auto* next = c->next;
        c->forceClose();
        c = next;
      }
    }
    auto& fds = ctx_.lingering;
    fds.erase(std::remove_if(fds.begin(), fds.end(),
                             [&](int fd) {
                               if (!expired && unsentBytes(fd) > 0) return false;
                               if (expired) {
                                 linger l{1, 0};
                                 setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
                               }
                               ::close(fd);
                               return true;
                             }),
              fds.end());
    if (!ctx_.connections && fds.empty()) ctx_.loop.stop();
  }
}

}  // namespace tollgate::proxy
