#pragma once
// The Prometheus scrape endpoint ([metrics] listen, default 127.0.0.1:9750): a Poco HTTP server
// on the control plane answering GET /metrics (and HEAD) with the text format 0.0.4; anything
// else gets 404 (405 for another method on /metrics). Counted: requests served, and refused.
//
// Bounded like the portal's server, smaller: a scraper comes every 15 s or so, so kMaxThreads
// request threads, kMaxQueued connections waiting (beyond: closed), kTimeout per receive and
// send. The body is built on a request thread by `render`, which must be thread-safe and may
// block (it takes the daemon's locks); it never runs on a worker.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace tollgate::control {

class MetricsServer {
 public:
  static constexpr int kMaxThreads = 2;
  static constexpr int kMaxQueued = 16;
  static constexpr int kBacklog = 16;
  static constexpr std::chrono::seconds kTimeout{10};

  using Render = std::function<std::string()>;

  // `listen`: "ADDR:PORT" or "[ADDR6]:PORT", as [metrics] listen validated it.
  MetricsServer(std::string listen, Render render);
  ~MetricsServer();  // stop()
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds and starts serving. Throws std::runtime_error naming the address and the failure
  // ("metrics listen 127.0.0.1:9750: Address already in use").
  void start();
  // Stops accepting, aborts open connections, waits for requests in progress.
  void stop();
  // "ADDR:PORT" as bound (the kernel's port for :0); empty when not running.
  std::string address() const;

  uint64_t scrapes() const { return scrapes_.load(std::memory_order_relaxed); }
  uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }  // 404 / 405

 private:
  struct Running;  // the Poco server and its thread pool (metrics_server.cc)
  class Handler;
  class Factory;

  const std::string listen_;
  const Render render_;
  std::unique_ptr<Running> running_;
  std::atomic<uint64_t> scrapes_{0};
  std::atomic<uint64_t> refused_{0};
};

}  // namespace tollgate::control
