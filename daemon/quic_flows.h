#pragma once
// The packet inspector's judgement for one queue: a bounded table of UDP flows, keyed by the
// 5-tuple and the Destination Connection ID of the client's long-header packets, each with a
// QuicInitialAssembler (daemon/inspect/quic_initial.h) until its ClientHello is whole; then the
// SNI is judged by the policy exactly as for TLS over TCP (protocol Quic), logged (proto quic)
// and the flow remembered with its verdict. No sockets: packets in, verdicts out, so tests feed
// it captured Initials wrapped in IP/UDP headers.
//
// While a flow is undecided its long-header packets are held (nf/nfqueue.h): when the verdict
// comes they are all accepted or all dropped, so not even the first half of a blocked
// ClientHello reaches the origin. A flow that stays undecided for holdTimeoutMs (a lost
// datagram) has its held packets accepted, unjudged.
//
// A datagram that cannot start a QUIC connection (it does not parse, is of another version, or
// its first Initial does not open) is accepted and forgotten: a server discards it as well, so
// letting it pass gives nothing away, and judging it would let a decoy settle the flow before
// the real Initial comes. A flow still undecided when its firstPackets-th packet arrives (the
// last the ruleset queues) is judged without SNI, like a TLS connection whose hello could not
// be read; so is an Initial whose CRYPTO data or ClientHello is broken.
//
// Single-threaded: one instance per inspector thread.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "daemon/core/counters.h"
#include "daemon/inspect/quic_initial.h"
#include "daemon/inspect/udp_packet.h"
#include "daemon/log/decision_log.h"
#include "daemon/proxy/worker_context.h"
#include "nf/nfqueue.h"
#include "nf/quic_blocked_set.h"

namespace tollgate::nf {
class NeighbourTable;
}

namespace tollgate {

struct QuicFlowSettings {
  uint32_t firstPackets = 4;         // [nfqueue] first_packets: the last queued packet decides
  size_t maxFlows = 4096;            // [nfqueue] max_flows
  int64_t flowTimeoutMs = 30000;     // undecided and allowed flows, idle
  int64_t blockedTimeoutMs = 300000; // [nfqueue] block_timeout: blocked flows are kept as long
                                     // as their set element, to re-add it after a table reload
  size_t maxCryptoBytes = 16 * 1024; // [limits] max_client_hello
  int64_t holdTimeoutMs = 1000;      // longest a packet waits for its flow's verdict
};

// What a packet's judgement asks of the caller besides its own verdict.
struct QuicFlowEffects {
  std::vector<nf::UdpFlow> blocked;  // flows to add to the quic_blocked sets
  std::vector<std::pair<uint32_t, nf::PacketVerdict>> released;  // held packets' verdicts
  void clear() {
    blocked.clear();
    released.clear();
  }
};

class QuicFlows {
 public:
  QuicFlows(QuicFlowSettings settings, CounterBlock& counters, log::RecordQueue& logQueue,
            const nf::NeighbourTable* neighbours);
  ~QuicFlows();
  QuicFlows(const QuicFlows&) = delete;
  QuicFlows& operator=(const QuicFlows&) = delete;

  // New settings apply to flows from now on (maxFlows shrinks the table at the next sweep).
  void setSettings(const QuicFlowSettings& settings) { settings_ = settings; }
  void setEnforcement(proxy::Enforcement enforcement) { enforcement_ = std::move(enforcement); }

  // One queued packet (queue id `id`), from its IP header on: Accept, Drop, or Hold until its
  // flow is decided. Flows blocked and held packets released by this call are appended to
  // *effects. nowMs is a steady clock, unixMs the wall clock (for the decision line).
  nf::PacketVerdict onPacket(std::string_view packet, uint32_t id, int64_t nowMs, int64_t unixMs,
                             QuicFlowEffects* effects);

  // Forgets flows idle past their timeout and the oldest beyond maxFlows, and releases
  // (accepts) packets held longer than holdTimeoutMs; releases go to *effects.
  void sweep(int64_t nowMs, QuicFlowEffects* effects);

  // Appends every remembered blocked flow (to re-add after the ruleset was reloaded).
  void blockedFlows(std::vector<nf::UdpFlow>* out) const;
  size_t size() const { return flows_.size(); }

 private:
  struct Key {
    uint8_t family = 0;
    uint8_t dcidLength = 0;
    uint16_t srcPort = 0;
    uint16_t dstPort = 0;
    std::array<uint8_t, 16> src{};
    std::array<uint8_t, 16> dst{};
    std::array<uint8_t, 20> dcid{};
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    uint64_t k0, k1;  // random per table: SipHash keys, so clients cannot aim collisions
    size_t operator()(const Key& key) const;
  };
  enum class State : uint8_t { Inspecting, Allowed, Blocked };
  struct Flow {
    State state = State::Inspecting;
    uint32_t packets = 0;
    uint64_t bytes = 0;
    int64_t firstMs = 0;
    int64_t firstUnixMs = 0;
    int64_t lastMs = 0;
    std::unique_ptr<inspect::QuicInitialAssembler> assembler;  // Inspecting only
    int64_t heldSinceMs = 0;
    uint8_t heldCount = 0;
    std::array<uint32_t, 32> held{};  // packet ids awaiting the verdict (firstPackets <= 32)
    // Intrusive recency list (oldest first): active_ for Inspecting/Allowed, blocked_ else.
    Flow* prev = nullptr;
    Flow* next = nullptr;
    const Key* key = nullptr;
  };
  struct List {
    Flow* head = nullptr;
    Flow* tail = nullptr;
  };
  using Map = std::unordered_map<Key, Flow, KeyHash>;

  Flow& admit(const Key& key, int64_t nowMs, int64_t unixMs, QuicFlowEffects* effects);
  void forget(Map::iterator it, QuicFlowEffects* effects);
  void release(Flow& flow, nf::PacketVerdict verdict, QuicFlowEffects* effects);
  nf::PacketVerdict feed(Flow& flow, const inspect::UdpPacket& packet, uint32_t id,
                         QuicFlowEffects* effects);
  nf::PacketVerdict judge(Flow& flow, const inspect::UdpPacket& packet, std::string sni,
                          bool hasEch, const char* note, QuicFlowEffects* effects);
  void countStats(const inspect::QuicInitialStats& before, const inspect::QuicInitialStats& after);
  static KeyHash randomHash();
  static void unlink(List& list, Flow* flow);
  static void append(List& list, Flow* flow);
  List& listOf(const Flow& flow) { return flow.state == State::Blocked ? blocked_ : active_; }

  QuicFlowSettings settings_;
  CounterBlock& counters_;
  log::RecordQueue& logQueue_;
  const nf::NeighbourTable* neighbours_;
  proxy::Enforcement enforcement_;
  Map flows_;
  List active_;
  List blocked_;
  int64_t nowMs_ = 0;  // of the packet being judged
  size_t holding_ = 0;  // flows with held packets
};

}  // namespace tollgate
