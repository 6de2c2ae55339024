#pragma once
// The packet inspector ([nfqueue]): threads inside tollgated that serve the netfilter queues
// the ruleset fills with the first packets of each UDP flow to a QUIC port. Each thread owns
// one queue (nf/nfqueue.h), its flows and their verdicts (daemon/quic_flows.h), a netlink
// socket for the quic_blocked sets (nf/quic_blocked_set.h), a counter block and a decision log
// queue, so nothing on the packet path is shared but the policy snapshot, which it adopts
// between batches.
//
// The kernel side (nf/nfqueue_fallback.h): the inspector's chain is loaded into Tollgate's
// table after the table itself, at start and after every reload (the reload replaces the
// table), with nft's queue statement or, on kernels without it, iptables-nft NFQUEUE rules;
// the log says which. With fail_mode = open the queue rules carry `bypass` and the queues fail
// open, so UDP flows while no inspector listens; closed drops the queued packets instead.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "daemon/config/config.h"
#include "daemon/core/counters.h"
#include "daemon/log/decision_log.h"
#include "daemon/proxy/worker_context.h"
#include "daemon/packet/safe_search_addresses.h"
#include "nf/nfqueue_fallback.h"

namespace tollgate::nf {
class NeighbourTable;
}

namespace tollgate {

class PacketInspector {
 public:
  // Threads the config asks for: what the daemon reserves counter blocks and log queues for.
  static unsigned threadsFor(const config::Config& config) {
    return config.nfqueue.enabled ? config.nfqueue.threads : 0;
  }

  // `counters` and `logQueues`: one each per thread, owned by the daemon and outliving this.
  PacketInspector(config::ConfigPtr config, proxy::Enforcement enforcement,
                  const nf::NeighbourTable* neighbours, std::vector<CounterBlock*> counters,
                  std::vector<log::RecordQueue*> logQueues);
  ~PacketInspector();  // stop()
  PacketInspector(const PacketInspector&) = delete;
  PacketInspector& operator=(const PacketInspector&) = delete;

  // Binds the queues, loads the chain (manage_nftables) and starts the threads. Throws
  // std::runtime_error with an admin-readable message; nothing is left running then.
  void start();
  // Thread-safe: the policy for flows judged from now on (`tollgatectl reload lists`).
  void setEnforcement(proxy::Enforcement enforcement);
  // Thread-safe: the captive portal's sessions (DNS of a guest not logged in is not judged).
  void setCaptiveSessions(captive::SessionSnapshotPtr sessions);
  // After a reload loaded a new table: reloads the chain, re-adds the blocked flows still
  // remembered, and adopts the settings that follow a reload (enabled, queue and threads keep
  // their start values). Returns an error for the reload's log; the threads keep running.
  std::optional<std::string> reconfigure(config::ConfigPtr config, proxy::Enforcement enforcement);
  // Joins the threads and closes the queues; with fail_mode = open also removes an
  // iptables-nft fallback (the nft chain goes with the table). Idempotent.
  void stop();

  nf::QueueSteering steering() const { return steering_.load(); }

 private:
  struct Lane;

  config::ConfigPtr pinned(config::ConfigPtr config) const;
  std::optional<std::string> installRules(const config::Config& config);
  void run(Lane& lane);
  void adopt(Lane& lane);
  void addBlocked(Lane& lane);

  const nf::NeighbourTable* neighbours_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  int wakeFd_ = -1;  // eventfd: readable once stop() began
  std::atomic<bool> stopping_{false};
  std::atomic<nf::QueueSteering> steering_{nf::QueueSteering::None};
  bool started_ = false;

  std::mutex mutex_;  // guards config_ and enforcement_ between reconfigure() and the threads
  config::ConfigPtr config_;
  proxy::Enforcement enforcement_;
  captive::SessionSnapshotPtr sessions_;  // guarded by mutex_, adopted with the enforcement
  std::unique_ptr<packet::SafeSearchAddresses> safeSearch_;  // [nfqueue] dns: safe hosts
  std::atomic<uint64_t> generation_{1};       // bumped with every new config/enforcement
  std::atomic<uint64_t> rulesGeneration_{1};  // bumped after every chain load
};

}  // namespace tollgate
