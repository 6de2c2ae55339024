#pragma once
// The running gateway: wiring of config, interception, workers, decision log, neighbour table
// and control socket, and the lifecycle (start, reload, drain, stop). Control plane only.
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "daemon/cache/http_cache.h"
#include "daemon/captive_portal.h"
#include "daemon/config/config.h"
#include "daemon/control/control_server.h"
#include "daemon/control/metrics_server.h"
#include "daemon/core/counters.h"
#include "daemon/log/decision_log.h"
#include "daemon/packet_inspector.h"
#include "daemon/proxy/client_limiter.h"
#include "daemon/proxy/worker.h"
#include "nf/neighbour_table.h"

namespace tollgate {

class Daemon {
 public:
  // `configPath` empty: the embedded default config.
  Daemon(std::string configPath, config::ConfigPtr config);
  ~Daemon();

  // Installs interception, opens listeners, starts every thread. Throws with an admin-readable
  // message; whatever was installed is removed again.
  void start();
  // Re-reads the config file; on any error the running config stays and the error is returned.
  // Established connections keep the config they started with.
  std::string reload();
  // `tollgatectl reload lists`: re-reads the list files of the running config only.
  std::string reloadLists();
  // SIGTERM: stop accepting, drain up to drain_timeout, stop threads, remove interception.
  void stop();
  void reopenLogs() { decisionLog_->reopen(); }

  std::string statusJson() const;
  uint64_t counter(Counter c) const;

 private:
  std::string cacheCommand(const std::vector<std::string>& words);
  // The Prometheus scrape body ([metrics] listen): the sums statusJson shows, and more.
  std::string metricsText() const;

  std::string configPath_;
  config::ConfigPtr config_;
  mutable std::mutex reloadMutex_;  // one reload at a time; guards config_
  int64_t startedMs_ = 0;
  std::vector<std::unique_ptr<CounterBlock>> counters_;
  std::unique_ptr<log::DecisionLog> decisionLog_;
  proxy::ClientLimiter limiter_;
  std::unique_ptr<nf::NeighbourTable> neighbours_;
  std::vector<std::unique_ptr<proxy::Worker>> workers_;
  std::unique_ptr<control::ControlServer> control_;
  std::unique_ptr<control::MetricsServer> metrics_;  // [metrics] listen set; stops during drain
  std::unique_ptr<cache::HttpCache> cache_;  // [cache] enabled; outlives the workers
  std::unique_ptr<CaptivePortal> captive_;   // [captive] enabled; stops before the workers
  std::mutex sessionsMutex_;                 // the last session snapshot, for the inspector
  captive::SessionSnapshotPtr lastSessions_;
  std::unique_ptr<PacketInspector> inspector_;  // [nfqueue] enabled; after the workers' blocks
  bool interceptionInstalled_ = false;
  std::atomic<uint64_t> reloads_{0};
  proxy::Enforcement enforcement_;  // what the workers enforce now (explain, lists)
  std::string lastPolicyError_;     // the last reload's failure, kept for `tollgatectl lists`
};

}  // namespace tollgate
