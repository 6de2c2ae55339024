#pragma once
// A worker thread: its own epoll loop, its own SO_REUSEPORT IP_TRANSPARENT listeners (v4, v6),
// its own connections, counters, pipes and log queue. Nothing on the per-connection path is
// shared with other workers except the connection limiter.
#include <array>
#include <memory>
#include <thread>
#include <vector>

#include "daemon/proxy/connection.h"
#include "daemon/proxy/worker_context.h"

namespace tollgate::proxy {

class Worker {
 public:
  Worker(unsigned index, CounterBlock& counters, log::RecordQueue& logQueue, ClientLimiter& limiter,
         nf::NeighbourTable* neighbours, config::ConfigPtr config, Enforcement enforcement);
  ~Worker();

  // Opens this worker's listeners (throws std::runtime_error naming the failing call).
  void openListeners();
  // Before start(): the shared HTTP cache (null: none).
  void setCache(cache::HttpCache* cache) { ctx_.cache = cache; }
  // Before start(): where logged-in guests' proxied bytes go ([captive] enabled).
  void setCaptiveUsage(CaptiveUsage* usage) { ctx_.captiveUsage = usage; }
  // Thread-safe: the captive portal's sessions after a login, logout or expiry; every
  // connection's next request or flow is judged against it.
  void setCaptiveSessions(captive::SessionSnapshotPtr sessions);
  void start();
  // Thread-safe: the worker adopts the new snapshots for connections accepted from now on.
  void reconfigure(config::ConfigPtr config, Enforcement enforcement);
  // Thread-safe: stop accepting, let connections finish up to drain_timeout, then exit.
  void drain();
  void join();

 private:
  struct Listener final : IoHandler {
    Worker* owner = nullptr;
    int fd = -1;
    void onIo(uint32_t events) override;
  };

  void acceptFrom(int listenFd);
  void sweep();
  void buildPortClasses();
  void closeListeners();

  WorkerContext ctx_;
  std::vector<Listener> listeners_;
  std::vector<uint8_t> portClass_;  // dst port → PortClass + 1; 0 = not intercepted
  std::thread thread_;
  int64_t drainDeadlineMs_ = 0;
  bool acceptPaused_ = false;  // accept4 hit EMFILE: the sweep retries the listeners
};

}  // namespace tollgate::proxy
