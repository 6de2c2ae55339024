#include "daemon/packet_inspector.h"

#include <arpa/inet.h>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "daemon/core/diag.h"
#include "daemon/core/event_loop.h"
#include "daemon/inspect/udp_packet.h"
#include "daemon/interception.h"
#include "daemon/packet/dns_judge.h"
#include "daemon/packet/raw_sender.h"
#include "daemon/quic_flows.h"
#include "nf/neighbour_table.h"
#include "nf/nfqueue.h"
#include "nf/quic_blocked_set.h"

namespace tollgate {
namespace {

// Undecided and allowed flows are forgotten after this much silence. Only a flow's first
// packets are queued, so an entry is needed for seconds; 30 s (conntrack's timeout for an
// unanswered UDP flow) covers a client that retransmits its Initials slowly.
constexpr int64_t kFlowTimeoutMs = 30000;
// Also how late a held packet may be released after its hold timeout.
constexpr int64_t kSweepIntervalMs = 250;
// A failing set add is reported at most this often per thread (it repeats per blocked flow).
constexpr int64_t kWarningIntervalMs = 10000;

int64_t wallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

QuicFlowSettings settingsFor(const config::Config& c) {
  QuicFlowSettings s;
  s.firstPackets = c.nfqueue.firstPackets;
  s.maxFlows = c.nfqueue.maxFlows;
  s.flowTimeoutMs = kFlowTimeoutMs;
  s.blockedTimeoutMs = c.nfqueue.blockTimeout.count();
  s.maxCryptoBytes = c.limits.maxClientHello;
  return s;
}

nf::RulesetSpec::Nfqueue::Quic quicOf(config::QuicMode m) {
  switch (m) {
    case config::QuicMode::Inspect: return nf::RulesetSpec::Nfqueue::Quic::Inspect;
    case config::QuicMode::Drop: return nf::RulesetSpec::Nfqueue::Quic::Drop;
    case config::QuicMode::Pass: return nf::RulesetSpec::Nfqueue::Quic::Pass;
  }
  return nf::RulesetSpec::Nfqueue::Quic::Pass;
}

packet::DnsSettings dnsSettingsFor(const config::Config& c) {
  packet::DnsSettings d;
  d.suppressHttps = c.dns.suppressHttps;
  if (!c.dns.blockAnswer.empty()) {
    sockaddr_storage ss{};
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (inet_pton(AF_INET, c.dns.blockAnswer.c_str(), &sin->sin_addr) == 1) sin->sin_family = AF_INET;
    else if (inet_pton(AF_INET6, c.dns.blockAnswer.c_str(), &sin6->sin6_addr) == 1) sin6->sin6_family = AF_INET6;
    if (ss.ss_family != 0) d.blockAddress = ss;
  }
  return d;
}

}  // namespace

struct PacketInspector::Lane final : nf::NfQueue::Handler {
  unsigned index = 0;
  // DNS ([nfqueue] dns): judged here, answers sent back through raw sockets.
  bool dns = false;
  packet::DnsSettings dnsSettings;
  proxy::Enforcement enforcement;
  captive::SessionSnapshotPtr sessions;
  const packet::SafeSearchAddresses* safeSearch = nullptr;
  const nf::NeighbourTable* neighbours = nullptr;
  log::RecordQueue* logQueue = nullptr;
  std::unique_ptr<packet::RawSender> raw;
  std::unique_ptr<nf::NfQueue> queue;
  std::unique_ptr<QuicFlows> flows;
  std::unique_ptr<nf::QuicBlockedSet> set;  // null when netlink is unavailable
  CounterBlock* counters = nullptr;
  std::thread thread;
  QuicFlowEffects effects;  // blocked flows are added to the sets after each batch
  std::chrono::milliseconds blockTimeout{300000};
  nf::NfQueue::Counters published;   // the queue's counts already added to `counters`
  uint64_t generation = 0;
  uint64_t rulesGeneration = 0;
  int64_t nowMs = 0;
  int64_t unixMs = 0;
  int64_t lastSweepMs = 0;
  int64_t lastWarningMs = -kWarningIntervalMs;

  nf::PacketVerdict onPacket(const nf::QueuedPacket& p) override {
    if (dns) {
      inspect::UdpPacket udp;
      if (inspect::parseUdpPacket(p.data, udp) == inspect::UdpPacketError::None && udp.dstPort == 53)
        return onDns(p);
    }
    nf::PacketVerdict v = flows->onPacket(p.data, p.id, nowMs, unixMs, &effects);
    releaseHeld();  // sent with this batch's verdicts
    return v;
  }

  nf::PacketVerdict onDns(const nf::QueuedPacket& p) {
    const auto* bytes = reinterpret_cast<const uint8_t*>(p.data.data());
    auto macOf = [this](const sockaddr_storage& client) -> std::optional<std::array<uint8_t, 6>> {
      if (!neighbours) return std::nullopt;
      return neighbours->lookup(reinterpret_cast<const sockaddr*>(&client));
    };
    packet::DnsOutcome o = packet::judgeDns(bytes, p.data.size(), enforcement, dnsSettings,
                                            safeSearch, sessions.get(), macOf, unixMs);
    if (!o.judged) return nf::PacketVerdict::Accept;
    counters->add(Counter::dns_queries);
    std::string_view outcome = o.outcome;
    if (outcome == "blocked") counters->add(Counter::dns_blocked);
    else if (outcome == "safe_search") counters->add(Counter::dns_safe_search);
    else if (outcome == "safe_search_unresolved") counters->add(Counter::dns_safe_search_unresolved);
    else if (outcome == "https_suppressed") counters->add(Counter::dns_https_suppressed);
    else if (outcome == "captive") counters->add(Counter::dns_captive);
    nf::PacketVerdict verdict = nf::PacketVerdict::Accept;
    if (o.verdict == packet::DnsOutcome::Verdict::Answer) {
      std::string error;
      if (raw && raw->send(o.answer, &error)) {
        verdict = nf::PacketVerdict::Drop;  // the forged answer replaces the resolver's
        o.record.bytesDown = o.answer.size();
      } else {
        counters->add(Counter::dns_answer_failures);
        o.record.note = "answer_not_sent";
      }
    }
    o.record.bytesUp = p.data.size();
    if (logQueue->push(std::move(o.record))) counters->add(Counter::log_lines_queued);
    else counters->add(Counter::log_lines_dropped);
    return verdict;
  }

  void releaseHeld() {
    for (auto [id, verdict] : effects.released) queue->release(id, verdict);
    effects.released.clear();
  }

  // The queue's own counters, as deltas into the block the daemon exports.
  void publish() {
    if (!queue) return;
    const nf::NfQueue::Counters& now = queue->counters();
    auto add = [&](Counter c, uint64_t a, uint64_t& b) {
      if (a != b) counters->add(c, a - b);
      b = a;
    };
    add(Counter::nfq_packets, now.packets, published.packets);
    add(Counter::nfq_accepted, now.accepted, published.accepted);
    add(Counter::nfq_dropped, now.dropped, published.dropped);
    add(Counter::nfq_verdict_batches, now.verdictBatches, published.verdictBatches);
    add(Counter::nfq_cut, now.cut, published.cut);
    add(Counter::nfq_malformed, now.malformed, published.malformed);
    add(Counter::nfq_overruns, now.overruns, published.overruns);
    add(Counter::nfq_send_failures, now.sendFailures, published.sendFailures);
    add(Counter::nfq_receive_errors, now.receiveErrors, published.receiveErrors);
  }
};

PacketInspector::PacketInspector(config::ConfigPtr config, proxy::Enforcement enforcement,
                                 const nf::NeighbourTable* neighbours,
                                 std::vector<CounterBlock*> counters,
                                 std::vector<log::RecordQueue*> logQueues)
    : neighbours_(neighbours), config_(std::move(config)), enforcement_(std::move(enforcement)) {
  const unsigned n = threadsFor(*config_);
  if (counters.size() < n || logQueues.size() < n)
    throw std::logic_error("packet inspector: fewer counter blocks or log queues than threads");
  for (unsigned i = 0; i < n; ++i) {
    auto lane = std::make_unique<Lane>();
    lane->index = i;
    lane->counters = counters[i];
    lane->flows = std::make_unique<QuicFlows>(settingsFor(*config_), *counters[i], *logQueues[i], neighbours_);
    lane->logQueue = logQueues[i];
    lane->neighbours = neighbours_;
    lanes_.push_back(std::move(lane));
  }
}

PacketInspector::~PacketInspector() { stop(); }

config::ConfigPtr PacketInspector::pinned(config::ConfigPtr config) const {
  // The queues and threads are bound once: a reload's values for them wait for a restart.
  auto c = std::make_shared<config::Config>(*config);
  c->nfqueue.enabled = true;
  c->nfqueue.queue = config_->nfqueue.queue;
  c->nfqueue.threads = config_->nfqueue.threads;
  return c;
}

std::optional<std::string> PacketInspector::installRules(const config::Config& config) {
  nf::RulesetSpec spec = rulesetSpecFor(config);
  auto& q = spec.nfqueue;
  q.enabled = true;
  q.quic = quicOf(config.nfqueue.quic);
  q.queue = config.nfqueue.queue;
  q.queues = static_cast<uint16_t>(config.nfqueue.threads);
  q.quicPorts = config.nfqueue.quicPorts;
  q.firstPackets = config.nfqueue.firstPackets;
  q.bypass = config.nfqueue.failMode == config::FailMode::Open;
  q.dns = config.nfqueue.dns;
  nf::SteeringResult r = nf::installQueueSteering(spec);
  if (r.error) return r.error;
  const nf::QueueSteering before = steering_.exchange(r.steering);
  if (r.steering == before && started_) return std::nullopt;  // said at start already
  const std::string queues =
      std::to_string(q.queue) + (q.queues > 1 ? "-" + std::to_string(q.queue + q.queues - 1) : "");
  switch (r.steering) {
    case nf::QueueSteering::Nft:
      diag::info("nfqueue: QUIC first packets queued to " + queues + " by nft's queue statement" +
                 (q.bypass ? " (bypass: fail open)" : " (fail closed)"));
      break;
    case nf::QueueSteering::Iptables:
      diag::warning("nfqueue: this kernel lacks nft's queue expression; QUIC first packets are "
                    "queued to " + queues + " by iptables-nft/ip6tables-nft NFQUEUE rules (mangle " +
                    "chain " + nf::kIptablesQueueChain + ", marked by the nft chain)");
      break;
    case nf::QueueSteering::None:
      diag::info(std::string("nfqueue: quic = ") +
                 (config.nfqueue.quic == config::QuicMode::Drop ? "drop: all QUIC dropped in the kernel"
                                                                : "pass: QUIC not inspected"));
      break;
  }
  return std::nullopt;
}

void PacketInspector::start() {
  const config::Config& cfg = *config_;
  if (cfg.nfqueue.dns) {
    safeSearch_ = std::make_unique<packet::SafeSearchAddresses>();
    safeSearch_->start();
  }
  wakeFd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wakeFd_ < 0) throw std::runtime_error(std::string("eventfd(packet inspector): ") + std::strerror(errno));
  for (auto& lane : lanes_) {
    nf::NfQueue::Options o;
    o.queue = static_cast<uint16_t>(cfg.nfqueue.queue + lane->index);
    o.failOpen = cfg.nfqueue.failMode == config::FailMode::Open;
    lane->queue = std::make_unique<nf::NfQueue>(o);  // throws, naming the queue
    lane->flows->setEnforcement(enforcement_);
    lane->enforcement = enforcement_;
    lane->dns = cfg.nfqueue.dns;
    lane->dnsSettings = dnsSettingsFor(cfg);
    lane->safeSearch = safeSearch_.get();
    if (lane->dns) lane->raw = std::make_unique<packet::RawSender>();
    lane->blockTimeout = cfg.nfqueue.blockTimeout;
    lane->generation = generation_.load();
    lane->rulesGeneration = rulesGeneration_.load();
    try {
      lane->set = std::make_unique<nf::QuicBlockedSet>();
    } catch (const std::exception& e) {
      // Degraded: blocked flows are still dropped while they are queued, not after.
      diag::warning(std::string("nfqueue: quic_blocked sets unavailable: ") + e.what());
      lane->counters->add(Counter::quic_block_set_failures);
    }
  }
  if (cfg.gateway.manageNftables) {
    if (auto err = installRules(cfg)) {
      for (auto& lane : lanes_) lane->queue.reset();
      throw std::runtime_error("nfqueue: " + *err);
    }
  }
  started_ = true;
  for (auto& lane : lanes_) {
    Lane* l = lane.get();
    l->thread = std::thread([this, l] { run(*l); });
  }
}

void PacketInspector::setCaptiveSessions(captive::SessionSnapshotPtr sessions) {
  std::lock_guard<std::mutex> lock(mutex_);
  sessions_ = std::move(sessions);
  generation_.fetch_add(1);
}

void PacketInspector::setEnforcement(proxy::Enforcement enforcement) {
  std::lock_guard<std::mutex> lock(mutex_);
  enforcement_ = std::move(enforcement);
  generation_.fetch_add(1);
}

std::optional<std::string> PacketInspector::reconfigure(config::ConfigPtr config,
                                                        proxy::Enforcement enforcement) {
  config = pinned(std::move(config));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    config_ = config;
    enforcement_ = std::move(enforcement);
    generation_.fetch_add(1);
  }
  if (!config->gateway.manageNftables) return std::nullopt;
  auto err = installRules(*config);
  if (!err) rulesGeneration_.fetch_add(1);  // the threads re-add their blocked flows
  return err;
}

void PacketInspector::adopt(Lane& lane) {
  if (lane.generation != generation_.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> lock(mutex_);
    lane.flows->setEnforcement(enforcement_);
    lane.enforcement = enforcement_;
    lane.sessions = sessions_;
    lane.dnsSettings = dnsSettingsFor(*config_);
    lane.flows->setSettings(settingsFor(*config_));
    lane.blockTimeout = config_->nfqueue.blockTimeout;
    lane.generation = generation_.load();
  }
  if (lane.rulesGeneration != rulesGeneration_.load(std::memory_order_acquire)) {
    lane.rulesGeneration = rulesGeneration_.load();
    // The reload replaced the table and emptied the sets: what is still blocked goes back.
    lane.flows->blockedFlows(&lane.effects.blocked);
  }
}

void PacketInspector::addBlocked(Lane& lane) {
  std::optional<std::string> err;
  auto& blocked = lane.effects.blocked;
  if (!lane.set) err = "no netlink socket";
  else err = lane.set->add(blocked, lane.blockTimeout);
  if (err) {
    lane.counters->add(Counter::quic_block_set_failures, blocked.size());
    if (lane.nowMs - lane.lastWarningMs >= kWarningIntervalMs) {
      lane.lastWarningMs = lane.nowMs;
      diag::warning("nfqueue: blocked QUIC flows not added to the kernel's sets (their "
                    "retransmissions beyond the first packets will pass): " + *err);
    }
  } else {
    lane.counters->add(Counter::quic_block_set_adds, blocked.size());
  }
  blocked.clear();
}

void PacketInspector::run(Lane& lane) {
  try {
    while (!stopping_.load(std::memory_order_acquire)) {
      pollfd fds[2] = {{lane.queue->fd(), POLLIN, 0}, {wakeFd_, POLLIN, 0}};
      int n = ::poll(fds, 2, static_cast<int>(kSweepIntervalMs));
      if (stopping_.load(std::memory_order_acquire)) break;
      if (n < 0 && errno != EINTR) throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
      lane.nowMs = EventLoop::steadyMs();
      lane.unixMs = wallClockMs();
      adopt(lane);
      if (n > 0 && (fds[0].revents & (POLLIN | POLLERR))) lane.queue->receive(lane);
      if (!lane.effects.blocked.empty()) addBlocked(lane);
      if (lane.nowMs - lane.lastSweepMs >= kSweepIntervalMs) {
        lane.lastSweepMs = lane.nowMs;
        lane.flows->sweep(lane.nowMs, &lane.effects);
        lane.releaseHeld();
        lane.queue->flush();
      }
      lane.publish();
    }
  } catch (const std::exception& e) {
    // Closing the queue unbinds it: with bypass the kernel lets packets through from now on.
    diag::error("nfqueue " + std::to_string(lane.queue ? lane.queue->queue() : 0) +
                ": inspector thread stopped: " + e.what());
    lane.queue.reset();
  }
}

void PacketInspector::stop() {
  if (wakeFd_ < 0) return;
  stopping_.store(true, std::memory_order_release);
  uint64_t one = 1;
  (void)!::write(wakeFd_, &one, sizeof one);
  for (auto& lane : lanes_) {
    if (lane->thread.joinable()) lane->thread.join();
    lane->publish();
    lane->queue.reset();
  }
  ::close(wakeFd_);
  wakeFd_ = -1;
  bool failOpen;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    failOpen = config_->nfqueue.failMode == config::FailMode::Open;
  }
  if (steering_.load() == nf::QueueSteering::Iptables && failOpen) {
    nf::removeIptablesQueueRules();
  }
  if (safeSearch_) safeSearch_->stop();
}

}  // namespace tollgate
