#pragma once
// What a connection may use of its worker: the loop, the counters, pools, the current config
// and policy snapshots. Owned by the Worker; everything here is touched by one thread only,
// except the limiter and neighbour table, which are built for sharing.
#include <cstdint>
#include <vector>

#include "daemon/cache/http_cache.h"
#include "daemon/cache/store_id.h"
#include "daemon/config/config.h"
#include "daemon/core/counters.h"
#include "daemon/core/event_loop.h"
#include "daemon/log/decision_log.h"
#include "daemon/net/pipe_pool.h"
#include "daemon/proxy/block_responses.h"
#include "daemon/proxy/captive_gate.h"
#include "daemon/proxy/captive_usage.h"
#include "daemon/proxy/client_limiter.h"
#include "filters/policy.h"

namespace tollgate::nf {
class NeighbourTable;
}

namespace tollgate::proxy {

class BackgroundFetch;
class Connection;

// What decides and what a refusal looks like: built together on the control plane and swapped
// together on reload, so a connection never pairs a new policy with an old block page.
struct Enforcement {
  filters::PolicyPtr policy;
  BlockResponsesPtr responses;
  cache::StoreIdRulesPtr storeIds;  // the cache's key rewriting ([storeid.NAME])
  CaptiveRulesPtr captive;          // [captive] enabled: who must log in first; null: nobody
};

struct WorkerContext {
  WorkerContext(unsigned index, CounterBlock& counters, log::RecordQueue& logQueue,
                ClientLimiter& limiter, nf::NeighbourTable* neighbours, size_t maxPipes)
      : index(index), counters(counters), logQueue(logQueue), limiter(limiter),
        neighbours(neighbours), pipes(maxPipes) {}

  unsigned index;
  EventLoop loop;
  CounterBlock& counters;
  log::RecordQueue& logQueue;
  ClientLimiter& limiter;
  nf::NeighbourTable* neighbours;  // may be null (tests, no netlink)
  cache::HttpCache* cache = nullptr;  // null when [cache] enabled = false; shared by workers
  net::PipePool pipes;
  config::ConfigPtr config;     // replaced on reload; connections keep the one they started with
  Enforcement enforcement;
  bool draining = false;
  Connection* connections = nullptr;  // intrusive list of live connections (for sweeps, drain)
  BackgroundFetch* fetches = nullptr;  // cache fetches no client waits for (range_miss)
  // The captive portal's logged-in guests, replaced on every login/logout (null: none yet),
  // and where their proxied bytes go (null when [captive] is off).
  captive::SessionSnapshotPtr captiveSessions;
  CaptiveUsage* captiveUsage = nullptr;
  CaptiveUsage::Map usageBatch;
  std::vector<int> lingering;  // drain: closed sockets whose send queue is still being delivered

  void log(log::DecisionRecord&& record) {
    if (logQueue.push(std::move(record))) counters.add(Counter::log_lines_queued);
    else counters.add(Counter::log_lines_dropped);
  }
};

}  // namespace tollgate::proxy
