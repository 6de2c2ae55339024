#include "daemon/daemon.h"

#include <algorithm>
#include <stdexcept>

#include "daemon/core/diag.h"
#include "daemon/core/event_loop.h"
#include "daemon/interception.h"
#include "daemon/log/log_format.h"
#include "daemon/control/policy_commands.h"
#include "daemon/control/prometheus_text.h"
#include "daemon/policy_builder.h"
#include "filters/policy.h"

#ifndef TOLLGATE_VERSION
#define TOLLGATE_VERSION "0.1.0"
#endif

namespace tollgate {

namespace {
// Builds what the workers enforce. Throws (with file:line) on any error, so start fails and a
// reload keeps the running policy.
proxy::Enforcement buildEnforcement(const config::Config& config) {
  proxy::Enforcement e;
  e.policy = buildPolicy(config);
  e.responses = proxy::BlockResponses::build(config.filter);
  e.storeIds = cache::StoreIdRules::build(config);
  if (config.captive.enabled) {
    e.captive = proxy::CaptiveRules::build(
        config.captive.portalUrl, config.captive.walledGarden,
        config.sourceName + ":" + std::to_string(config.captive.line));
  }
  return e;
}

// Keys that only take effect at start: a reload reports them instead of half-applying them.
std::vector<std::string> restartOnlyChanges(const config::Config& a, const config::Config& b) {
  std::vector<std::string> out;
  if (a.gateway.workers != b.gateway.workers) out.push_back("gateway.workers");
  if (a.gateway.listenPort != b.gateway.listenPort) out.push_back("gateway.listen_port");
  if (a.gateway.intercept != b.gateway.intercept) out.push_back("gateway.intercept");
  if (a.gateway.manageNftables != b.gateway.manageNftables) out.push_back("gateway.manage_nftables");
  if (a.gateway.user != b.gateway.user) out.push_back("gateway.user");
  if (a.control.socket != b.control.socket) out.push_back("control.socket");
  if (a.metrics.listen != b.metrics.listen) out.push_back("metrics.listen");
  if (a.log.queueSize != b.log.queueSize) out.push_back("log.queue_size");
  if (a.nfqueue.enabled != b.nfqueue.enabled || a.nfqueue.queue != b.nfqueue.queue ||
      a.nfqueue.threads != b.nfqueue.threads)
    out.push_back("nfqueue.enabled, nfqueue.queue, nfqueue.threads");
  const auto &x = a.cache, &y = b.cache;
  if (x.enabled != y.enabled || x.dir != y.dir || x.size != y.size || x.memory != y.memory ||
      x.memoryObjectMax != y.memoryObjectMax || x.maxObjectSize != y.maxObjectSize ||
      x.rangeMiss != y.rangeMiss || x.heuristicMax != y.heuristicMax ||
      x.verifyHost != y.verifyHost || x.admission != y.admission ||
      x.admissionMaxSize != y.admissionMaxSize) {
    out.push_back("cache.*");
  }
  // The portal's server, store and methods are built once; the walled garden and the DNS
  // servers (rules and ruleset) follow a reload.
  auto portalOf = [](const config::Config& c) {
    auto p = c.captive;
    p.walledGarden.clear();
    p.dnsServers.clear();
    p.line = 0;
    return std::make_tuple(p.enabled, p.listen, p.httpsListen, p.certificate, p.key, p.portalUrl,
                           p.apiUrl, p.venueInfoUrl, p.auth, p.sessionTimeout, p.idleTimeout,
                           p.dataQuota, p.database, p.accounts, p.templates);
  };
  if (portalOf(a) != portalOf(b)) out.push_back("captive.* (all but walled_garden, dns_servers)");
  const auto &r = a.radius, &q = b.radius;
  if (r.servers != q.servers || r.secret != q.secret || r.accounting != q.accounting ||
      r.nasIdentifier != q.nasIdentifier || r.timeout != q.timeout || r.tries != q.tries ||
      r.requireMessageAuthenticator != q.requireMessageAuthenticator) {
    out.push_back("radius.*");
  }
  return out;
}
}  // namespace

Daemon::Daemon(std::string configPath, config::ConfigPtr config)
    : configPath_(std::move(configPath)), config_(std::move(config)) {}

Daemon::~Daemon() { stop(); }

void Daemon::start() {
  const auto& cfg = *config_;
  diag::setLevel(cfg.log.level);
  startedMs_ = EventLoop::steadyMs();
  // The control socket first: it is the single-instance lock. A second tollgated must fail
  // before it touches the ruleset the first one installed.
  control_ = std::make_unique<control::ControlServer>(cfg.control.socket);
  control_->on("status", [this](const auto&) { return statusJson(); });
  control_->on("reload", [this](const std::vector<std::string>& words) {
    return words.size() > 1 && words[1] == "lists" ? reloadLists() : reload();
  });
  control_->on("explain", [this](const std::vector<std::string>& words) {
    std::lock_guard<std::mutex> lock(reloadMutex_);
    return control::explainJson(enforcement_.policy, words);
  });
  control_->on("lists", [this](const auto&) {
    std::lock_guard<std::mutex> lock(reloadMutex_);
    return control::listsJson(enforcement_.policy, lastPolicyError_);
  });
  control_->on("cache", [this](const std::vector<std::string>& words) { return cacheCommand(words); });
  // `tollgatectl log level LEVEL`: diagnostics verbosity until the next reload or restart (a
  // reload applies [log] level again).
  control_->on("log", [](const std::vector<std::string>& words) -> std::string {
    static const std::vector<std::string> kLevels = {"debug", "info", "warning", "error"};
    if (words.size() == 3 && words[1] == "level" &&
        std::find(kLevels.begin(), kLevels.end(), words[2]) != kLevels.end()) {
      diag::setLevel(words[2]);
      diag::info("log level set to " + words[2] + " by tollgatectl");
      return "{\"ok\":true,\"level\":\"" + words[2] + "\"}";
    }
    return "{\"ok\":false,\"error\":\"usage: log level debug|info|warning|error\"}";
  });
  auto noPortal = std::string("{\"ok\":false,\"error\":\"the captive portal is disabled ([captive] enabled = false)\"}");
  control_->on("sessions", [this, noPortal](const std::vector<std::string>& words) {
    return captive_ ? captive_->sessionsCommand(words) : noPortal;
  });
  control_->on("voucher", [this, noPortal](const std::vector<std::string>& words) {
    return captive_ ? captive_->voucherCommand(words) : noPortal;
  });
  control_->bindSocket();
  unsigned n = cfg.gateway.workers;
  // The packet inspector's threads get a counter block and a log queue each, after the workers'.
  const unsigned inspectors = PacketInspector::threadsFor(cfg);
  for (unsigned i = 0; i < n + inspectors; ++i) counters_.push_back(std::make_unique<CounterBlock>());
  decisionLog_ = std::make_unique<log::DecisionLog>(cfg.log, n + inspectors);
  decisionLog_->start();

  neighbours_ = std::make_unique<nf::NeighbourTable>();
  if (auto err = neighbours_->start()) {
    // Degraded, not fatal: decisions are logged without a MAC (counted as mac_unknown).
    diag::warning("neighbour table unavailable, MACs will be missing from the log: " + *err);
    neighbours_.reset();
  }

  auto enforcement = buildEnforcement(cfg);
  enforcement_ = enforcement;
  if (cfg.cache.enabled) {
    cache_ = std::make_unique<cache::HttpCache>(cfg.cache);
    cache_->open();  // logs what it found and dropped
  }
  for (unsigned i = 0; i < n; ++i) {
    workers_.push_back(std::make_unique<proxy::Worker>(i, *counters_[i], decisionLog_->queue(i), limiter_,
                                                       neighbours_.get(), config_, enforcement));
    workers_.back()->setCache(cache_.get());
    workers_.back()->openListeners();
  }
  if (cfg.captive.enabled) {
    // Sessions restored from the store reach the workers (posted) before they run.
    captive_ = std::make_unique<CaptivePortal>(
        config_, neighbours_.get(), cfg.gateway.manageNftables,
        [this](captive::SessionSnapshotPtr sessions) {
          for (auto& w : workers_) w->setCaptiveSessions(sessions);
          std::lock_guard<std::mutex> lock(sessionsMutex_);
          lastSessions_ = sessions;
          if (inspector_) inspector_->setCaptiveSessions(sessions);
        });
    for (auto& w : workers_) w->setCaptiveUsage(&captive_->usage());
    captive_->start();
  }
  // Listeners first, then the ruleset: the moment traffic is steered here, a socket takes it.
  if (cfg.gateway.manageNftables) {
    if (auto err = installInterception(cfg)) throw std::runtime_error("interception: " + *err);
    interceptionInstalled_ = true;
    if (captive_)
      if (auto err = captive_->rebuildSets()) throw std::runtime_error(*err);
  }
  if (inspectors > 0) {  // after the table: its chain goes into it
    std::vector<CounterBlock*> blocks;
    std::vector<log::RecordQueue*> queues;
    for (unsigned i = n; i < n + inspectors; ++i) {
      blocks.push_back(counters_[i].get());
      queues.push_back(&decisionLog_->queue(i));
    }
    auto inspector = std::make_unique<PacketInspector>(config_, enforcement, neighbours_.get(), blocks, queues);
    inspector->start();
    std::lock_guard<std::mutex> lock(sessionsMutex_);  // a login may publish meanwhile
    if (lastSessions_) inspector->setCaptiveSessions(lastSessions_);
    inspector_ = std::move(inspector);
  }
  for (auto& w : workers_) w->start();
  if (captive_) captive_->startTicking();
  control_->start();
  // Last: a scrape reads every component started above.
  if (!cfg.metrics.listen.empty()) {
    metrics_ = std::make_unique<control::MetricsServer>(cfg.metrics.listen, [this] { return metricsText(); });
    metrics_->start();
  }

  diag::info("started: " + std::to_string(n) + " workers, listening on port " +
             std::to_string(cfg.gateway.listenPort) + ", config " + cfg.sourceName);
}

std::string Daemon::reload() {
  std::lock_guard<std::mutex> lock(reloadMutex_);
  std::string body;
  try {
    auto loaded = configPath_.empty() ? config::loadConfigText("", "<default>") : config::loadConfigFile(configPath_);
    auto ignored = restartOnlyChanges(*config_, *loaded);
    // Keys bound to sockets and threads keep their running values until a restart: installing a
    // ruleset for a new listen_port while the listeners stay on the old one would send every
    // intercepted connection past the daemon.
    auto merged = std::make_shared<config::Config>(*loaded);
    merged->gateway.workers = config_->gateway.workers;
    merged->gateway.listenPort = config_->gateway.listenPort;
    merged->gateway.intercept = config_->gateway.intercept;
    merged->gateway.manageNftables = config_->gateway.manageNftables;
    merged->gateway.user = config_->gateway.user;  // privileges are dropped once, at start
    merged->control.socket = config_->control.socket;
    merged->metrics = config_->metrics;
    merged->log.queueSize = config_->log.queueSize;
    merged->cache = config_->cache;  // the store is opened once, at start
    merged->captive = config_->captive;  // the portal is built once, at start ...
    merged->captive.walledGarden = loaded->captive.walledGarden;  // ... but its garden follows
    merged->captive.dnsServers = loaded->captive.dnsServers;
    merged->radius = config_->radius;
    config::ConfigPtr next = merged;
    if (next->gateway.manageNftables) {
      if (auto err = installInterception(*next)) throw std::runtime_error("interception: " + *err);
      // The ruleset load replaced the table, and with it the guests' set elements.
      if (captive_)
        if (auto err = captive_->rebuildSets()) diag::error("reload: " + *err);
    }
    auto enforcement = buildEnforcement(*next);
    diag::setLevel(next->log.level);
    decisionLog_->reconfigure(next->log);
    for (auto& w : workers_) w->reconfigure(next, enforcement);
    if (inspector_)
      if (auto err = inspector_->reconfigure(next, enforcement)) diag::error("reload: nfqueue: " + *err);
    config_ = next;
    enforcement_ = enforcement;
    lastPolicyError_.clear();
    reloads_.fetch_add(1);
    std::string note;
    for (auto& k : ignored) note += (note.empty() ? "" : ", ") + k;
    if (!note.empty()) diag::warning("reload: changes to " + note + " take effect after a restart");
    diag::info("reloaded " + config_->sourceName);
    body = "{\"ok\":true,\"config\":";
    log::appendJsonString(config_->sourceName, body);
    body += ",\"restart_needed_for\":";
    log::appendJsonString(note, body);
    body += "}";
  } catch (const std::exception& e) {
    lastPolicyError_ = e.what();
    diag::error(std::string("reload failed, keeping the running config: ") + e.what());
    body = "{\"ok\":false,\"error\":";
    log::appendJsonString(e.what(), body);
    body += "}";
  }
  return body;
}

std::string Daemon::reloadLists() {
  std::lock_guard<std::mutex> lock(reloadMutex_);
  std::string body;
  try {
    auto enforcement = buildEnforcement(*config_);
    for (auto& w : workers_) w->reconfigure(config_, enforcement);
    if (inspector_) inspector_->setEnforcement(enforcement);
    enforcement_ = enforcement;
    lastPolicyError_.clear();
    reloads_.fetch_add(1);
    diag::info("reloaded lists");
    body = "{\"ok\":true}";
  } catch (const std::exception& e) {
    lastPolicyError_ = e.what();
    diag::error(std::string("list reload failed, keeping the running policy: ") + e.what());
    body = "{\"ok\":false,\"error\":";
    log::appendJsonString(e.what(), body);
    body += "}";
  }
  return body;
}

void Daemon::stop() {
  if (control_) {
    control_->stop();
    control_.reset();
  }
  if (captive_) captive_->stop();  // no login may publish to workers being torn down
  for (auto& w : workers_) w->drain();
  // Stopped while the workers drain, not before (Poco's accept loop takes up to 250 ms to notice,
  // which would keep the listeners open that long after SIGTERM), and before anything a scrape
  // reads is torn down.
  if (metrics_) {
    metrics_->stop();
    metrics_.reset();
  }
  for (auto& w : workers_) w->join();
  workers_.clear();
  inspector_.reset();  // joins its threads before the log they write to stops
  if (decisionLog_) decisionLog_->stop();
  cache_.reset();  // after the workers: finishes the disk threads
  if (neighbours_) neighbours_->stop();
  if (interceptionInstalled_) {
    if (auto err = removeInterception(*config_)) diag::warning("removing interception: " + *err);
    interceptionInstalled_ = false;
  }
}

uint64_t Daemon::counter(Counter c) const {
  uint64_t sum = 0;
  for (auto& block : counters_) sum += block->get(c);
  return sum;
}

// `tollgatectl cache stats` | `cache purge URL` | `cache purge --host H`.
std::string Daemon::cacheCommand(const std::vector<std::string>& words) {
  if (!cache_) return "{\"ok\":false,\"error\":\"the cache is disabled ([cache] enabled = false)\"}";
  if (words.size() >= 2 && words[1] == "stats") {
    return cache_->statsJson(counter(Counter::cache_hits) + counter(Counter::cache_refresh_unmodified),
                             counter(Counter::cache_misses) + counter(Counter::cache_refresh_modified),
                             counter(Counter::cache_hit_bytes), counter(Counter::cache_miss_bytes));
  }
  if (words.size() == 4 && words[1] == "purge" && words[2] == "--host") {
    size_t n = cache_->store().purgeHost(words[3]);
    return "{\"ok\":true,\"purged\":" + std::to_string(n) + "}";
  }
  if (words.size() == 3 && words[1] == "purge") {
    cache::StoreIdRulesPtr ids;
    {
      std::lock_guard<std::mutex> lock(reloadMutex_);
      ids = enforcement_.storeIds;
    }
    std::string url = cache::normalizeUrl(words[2]);
    size_t n = cache_->store().purgeKey(ids ? ids->keyFor(url) : url);
    return "{\"ok\":true,\"purged\":" + std::to_string(n) + "}";
  }
  return "{\"ok\":false,\"error\":\"usage: cache stats | cache purge URL | cache purge --host HOST\"}";
}

std::string Daemon::metricsText() const {
  // No reloadMutex_: a scrape must not wait for a reload loading lists; everything read here
  // lives from start() to stop() and is safe to read from any thread.
  control::MetricsSnapshot s;
  s.version = TOLLGATE_VERSION;
  for (unsigned i = 0; i < kCounterCount; ++i) s.counters[i] = counter(static_cast<Counter>(i));
  for (auto& block : counters_) {
    s.activeConnections += block->activeConnections.load(std::memory_order_relaxed);
    s.upstreamConnect += block->upstreamConnect.snapshot();
    s.firstByte += block->firstByte.snapshot();
  }
  s.workers = static_cast<unsigned>(workers_.size());
  s.uptimeSeconds = (EventLoop::steadyMs() - startedMs_) / 1000;
  s.reloads = reloads_.load();
  if (decisionLog_) {
    s.logLinesWritten = decisionLog_->linesWritten();
    s.logLinesFailed = decisionLog_->linesFailed();
    s.decisions = decisionLog_->tally().entries();
    s.decisionLabelOverflows = decisionLog_->tally().overflowed();
  }
  if (cache_) {
    s.cacheStore = cache_->store().stats();
    s.cacheDiskLimit = cache_->config().size;
  }
  if (neighbours_) s.neighbours = neighbours_->counters();
  if (captive_) s.captive = captive_->statusFields();
  if (metrics_) {
    s.metricsScrapes = metrics_->scrapes();
    s.metricsRefused = metrics_->refused();
  }
  return control::renderMetrics(s);
}

std::string Daemon::statusJson() const {
  std::lock_guard<std::mutex> lock(reloadMutex_);
  int64_t active = 0;
  for (auto& block : counters_) active += block->activeConnections.load(std::memory_order_relaxed);
  std::string out = "{\"ok\":true,\"version\":\"" TOLLGATE_VERSION "\"";
  out += ",\"uptime_s\":" + std::to_string((EventLoop::steadyMs() - startedMs_) / 1000);
  out += ",\"workers\":" + std::to_string(workers_.size());
  out += ",\"active_connections\":" + std::to_string(active);
  out += ",\"reloads\":" + std::to_string(reloads_.load());
  out += ",\"config\":";
  log::appendJsonString(config_->sourceName, out);
  out += ",\"log_lines_written\":" + std::to_string(decisionLog_ ? decisionLog_->linesWritten() : 0);
  out += ",\"log_lines_failed\":" + std::to_string(decisionLog_ ? decisionLog_->linesFailed() : 0);
  out += ",\"counters\":{";
  for (unsigned i = 0; i < kCounterCount; ++i) {
    if (i) out += ',';
    out += '"';
    out += counterName(static_cast<Counter>(i));
    out += "\":" + std::to_string(counter(static_cast<Counter>(i)));
  }
  if (cache_) {
    // The store's own counts, next to the workers' ones under the same naming.
    auto s = cache_->store().stats();
    out += ",\"cache_objects\":" + std::to_string(s.objects);
    out += ",\"cache_evictions\":" + std::to_string(s.evictions);
    out += ",\"cache_corrupt_dropped\":" + std::to_string(s.droppedCorrupt);
    out += ",\"cache_unfinished_dropped\":" + std::to_string(s.droppedTmp);
    out += ",\"cache_write_failures\":" + std::to_string(s.writeFailures);
    out += ",\"cache_backlog_give_ups\":" + std::to_string(s.backlogGiveUps);
    out += ",\"cache_refused_busy\":" + std::to_string(s.refusedBusy);
  }
  if (captive_) captive_->appendStatus(out);
  out += "}}";
  return out;
}

}  // namespace tollgate
