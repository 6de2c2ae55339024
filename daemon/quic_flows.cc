#include "daemon/quic_flows.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <random>

#include "filters/policy.h"
#include "nf/neighbour_table.h"

namespace tollgate {
namespace {

// A QUIC long header (RFC 9000 §17.2), as far as the flow key needs it:
//   first byte (0x80 set) | version (4) | DCID length (1, at most 20) | DCID | ...
// Returns false when the packet is too short or the DCID too long: no version 1 or 2 packet.
bool readDcid(std::string_view payload, std::array<uint8_t, 20>& dcid, uint8_t& length) {
  if (payload.size() < 6) return false;
  length = static_cast<uint8_t>(payload[5]);
  if (length > 20 || payload.size() < 6u + length) return false;
  std::memcpy(dcid.data(), payload.data() + 6, length);
  return true;
}

sockaddr_storage toSockaddr(const inspect::UdpPacket& p, bool source) {
  sockaddr_storage ss{};
  const auto& address = source ? p.src : p.dst;
  const uint16_t port = htons(source ? p.srcPort : p.dstPort);
  if (p.family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_port = port;
    std::memcpy(&sin->sin_addr, address.data(), 4);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = port;
    std::memcpy(&sin6->sin6_addr, address.data(), 16);
  }
  return ss;
}

nf::UdpFlow toUdpFlow(const inspect::UdpPacket& p) {
  nf::UdpFlow f;
  f.family = p.family;
  f.src = p.src;
  f.dst = p.dst;
  f.srcPort = p.srcPort;
  f.dstPort = p.dstPort;
  return f;
}

uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

// SipHash-1-3 (the variant Rust's HashMap uses): keyed, so a client choosing its ports and
// connection IDs cannot pile flows into one bucket without knowing the table's random key.
uint64_t sipHash13(uint64_t k0, uint64_t k1, const uint8_t* in, size_t length) {
  uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
  uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
  auto round = [&] {
    v0 += v1, v1 = rotl(v1, 13), v1 ^= v0, v0 = rotl(v0, 32);
    v2 += v3, v3 = rotl(v3, 16), v3 ^= v2;
    v0 += v3, v3 = rotl(v3, 21), v3 ^= v0;
    v2 += v1, v1 = rotl(v1, 17), v1 ^= v2, v2 = rotl(v2, 32);
  };
  const size_t whole = length - length % 8;
  for (size_t i = 0; i < whole; i += 8) {
    uint64_t m;
    std::memcpy(&m, in + i, 8);
    v3 ^= m;
    round();
    v0 ^= m;
  }
  uint64_t last = static_cast<uint64_t>(length) << 56;
  for (size_t i = 0; i < length % 8; ++i) last |= static_cast<uint64_t>(in[whole + i]) << (8 * i);
  v3 ^= last;
  round();
  v0 ^= last;
  v2 ^= 0xff;
  round(), round(), round();
  return v0 ^ v1 ^ v2 ^ v3;
}

}  // namespace

size_t QuicFlows::KeyHash::operator()(const Key& key) const {
  // Key has no padding (byte arrays after 6 bytes of small integers) and is zero-initialised,
  // so its bytes are its value.
  static_assert(sizeof(Key) == 58);
  return sipHash13(k0, k1, reinterpret_cast<const uint8_t*>(&key), sizeof key);
}

QuicFlows::QuicFlows(QuicFlowSettings settings, CounterBlock& counters, log::RecordQueue& logQueue,
                     const nf::NeighbourTable* neighbours)
    : settings_(settings),
      counters_(counters),
      logQueue_(logQueue),
      neighbours_(neighbours),
      flows_(settings.maxFlows, randomHash()) {}

QuicFlows::KeyHash QuicFlows::randomHash() {
  std::random_device random;
  KeyHash hash;
  hash.k0 = (uint64_t{random()} << 32) | random();
  hash.k1 = (uint64_t{random()} << 32) | random();
  return hash;
}

QuicFlows::~QuicFlows() = default;

void QuicFlows::unlink(List& list, Flow* flow) {
  (flow->prev ? flow->prev->next : list.head) = flow->next;
  (flow->next ? flow->next->prev : list.tail) = flow->prev;
  flow->prev = flow->next = nullptr;
}

void QuicFlows::append(List& list, Flow* flow) {
  flow->prev = list.tail;
  flow->next = nullptr;
  (list.tail ? list.tail->next : list.head) = flow;
  list.tail = flow;
}

void QuicFlows::release(Flow& flow, nf::PacketVerdict verdict, QuicFlowEffects* effects) {
  if (flow.heldCount == 0) return;
  for (uint8_t i = 0; i < flow.heldCount; ++i) effects->released.emplace_back(flow.held[i], verdict);
  flow.heldCount = 0;
  --holding_;
}

void QuicFlows::forget(Map::iterator it, QuicFlowEffects* effects) {
  // Never strand a held packet: what was held goes on, unjudged.
  release(it->second, nf::PacketVerdict::Accept, effects);
  unlink(listOf(it->second), &it->second);
  flows_.erase(it);
}

QuicFlows::Flow& QuicFlows::admit(const Key& key, int64_t nowMs, int64_t unixMs,
                                  QuicFlowEffects* effects) {
  // Full: the least recently seen flow goes, undecided or allowed ones before blocked ones
  // (a blocked flow is also held by its set element; forgetting it only loses the re-add
  // after a reload).
  while (flows_.size() >= settings_.maxFlows && (active_.head || blocked_.head)) {
    Flow* oldest = active_.head ? active_.head : blocked_.head;
    counters_.add(Counter::quic_flows_evicted);
    forget(flows_.find(*oldest->key), effects);
  }
  auto [it, inserted] = flows_.try_emplace(key);
  Flow& flow = it->second;
  flow.key = &it->first;
  flow.firstMs = flow.lastMs = nowMs;
  flow.firstUnixMs = unixMs;
  inspect::QuicLimits limits;
  limits.maxCryptoBytes = settings_.maxCryptoBytes;
  flow.assembler = std::make_unique<inspect::QuicInitialAssembler>(limits);
  append(active_, &flow);
  return flow;
}

nf::PacketVerdict QuicFlows::onPacket(std::string_view packet, uint32_t id, int64_t nowMs,
                                      int64_t unixMs, QuicFlowEffects* effects) {
  nowMs_ = nowMs;
  inspect::UdpPacket udp;
  if (inspect::parseUdpPacket(packet, udp) != inspect::UdpPacketError::None) {
    counters_.add(Counter::nfq_not_udp);
    return nf::PacketVerdict::Accept;
  }
  if (udp.payload.empty() || (static_cast<uint8_t>(udp.payload[0]) & 0x80) == 0) {
    counters_.add(Counter::quic_short_header);
    return nf::PacketVerdict::Accept;
  }
  Key key;
  if (!readDcid(udp.payload, key.dcid, key.dcidLength)) {
    counters_.add(Counter::quic_not_initial);
    return nf::PacketVerdict::Accept;
  }
  key.family = static_cast<uint8_t>(udp.family);
  key.src = udp.src;
  key.dst = udp.dst;
  key.srcPort = udp.srcPort;
  key.dstPort = udp.dstPort;

  auto it = flows_.find(key);
  Flow* flow = nullptr;
  if (it != flows_.end()) {
    flow = &it->second;
    List& list = listOf(*flow);
    unlink(list, flow);
    append(list, flow);
    flow->lastMs = nowMs;
    if (flow->state == State::Blocked) {
      // Queued before its set element existed, or the element could not be added.
      counters_.add(Counter::quic_blocked_packets);
      return nf::PacketVerdict::Drop;
    }
    if (flow->state == State::Allowed) {
      counters_.add(Counter::quic_allowed_packets);
      return nf::PacketVerdict::Accept;
    }
  } else {
    flow = &admit(key, nowMs, unixMs, effects);
  }
  return feed(*flow, udp, id, effects);
}

nf::PacketVerdict QuicFlows::feed(Flow& flow, const inspect::UdpPacket& udp, uint32_t id,
                                  QuicFlowEffects* effects) {
  ++flow.packets;
  flow.bytes += udp.payload.size();
  auto& assembler = *flow.assembler;
  const inspect::QuicInitialStats before = assembler.stats();
  const inspect::ParseState state = assembler.feed(udp.payload);
  countStats(before, assembler.stats());
  const bool last = flow.packets >= settings_.firstPackets;
  switch (state) {
    case inspect::ParseState::Done: {
      const inspect::ClientHelloInfo& hello = assembler.info().hello;
      counters_.add(hello.sni.empty() ? Counter::quic_sni_missing : Counter::quic_sni_found);
      if (hello.hasEch) counters_.add(Counter::quic_ech_seen);
      return judge(flow, udp, hello.sni, hello.hasEch, hello.hasEch ? "ech" : nullptr, effects);
    }
    case inspect::ParseState::NeedMore:
      if (!last) {
        // Part of a ClientHello, or nothing yet (a skipped 0-RTT packet): wait for the verdict.
        if (flow.heldCount == 0) {
          flow.heldSinceMs = nowMs_;
          ++holding_;
        }
        if (flow.heldCount < flow.held.size()) {
          flow.held[flow.heldCount++] = id;
          counters_.add(Counter::quic_held_packets);
          return nf::PacketVerdict::Hold;
        }
        return nf::PacketVerdict::Accept;
      }
      counters_.add(Counter::quic_incomplete);
      return judge(flow, udp, "", false, "quic_incomplete", effects);
    case inspect::ParseState::Error:
      break;
  }
  if (assembler.info().version != 0) {
    // An Initial opened, then its CRYPTO stream or hello broke: the connection's ClientHello
    // is unreadable, as a TLS one that fails to parse.
    counters_.add(Counter::quic_hello_errors);
    return judge(flow, udp, "", false, inspect::toString(assembler.error()), effects);
  }
  // Nothing opened: a server drops this datagram too. Start the flow afresh so the real
  // Initial, if one follows, is read from a clean state.
  counters_.add(Counter::quic_not_initial);
  const char* why = inspect::toString(assembler.error());
  inspect::QuicLimits limits;
  limits.maxCryptoBytes = settings_.maxCryptoBytes;
  assembler = inspect::QuicInitialAssembler(limits);
  if (!last) return nf::PacketVerdict::Accept;
  return judge(flow, udp, "", false, why, effects);
}

nf::PacketVerdict QuicFlows::judge(Flow& flow, const inspect::UdpPacket& udp, std::string sni,
                                   bool hasEch, const char* note, QuicFlowEffects* effects) {
  log::DecisionRecord record;
  record.startUnixMs = flow.firstUnixMs;
  record.client = toSockaddr(udp, true);
  record.destination = toSockaddr(udp, false);
  if (neighbours_) record.mac = neighbours_->lookup(reinterpret_cast<const sockaddr*>(&record.client));
  if (!record.mac) counters_.add(Counter::mac_unknown);

  filters::Verdict verdict;
  if (enforcement_.policy) {
    filters::PolicyRequest req;
    req.protocol = filters::Protocol::Quic;
    req.client = &record.client;
    req.destination = &record.destination;
    req.mac = record.mac;
    req.host = sni;
    req.hasEch = hasEch;
    verdict = enforcement_.policy->decide(req);
  } else {
    verdict.rule = "default";  // no policy yet (tests): as AllowAllPolicy
  }
  const bool refuse =
      verdict.action == filters::Action::Block || verdict.action == filters::Action::Redirect;
  switch (verdict.action) {
    case filters::Action::Allow: counters_.add(Counter::decisions_allow); break;
    case filters::Action::Log: counters_.add(Counter::decisions_log); break;
    case filters::Action::Block: counters_.add(Counter::decisions_block); break;
    case filters::Action::Redirect: counters_.add(Counter::decisions_redirect); break;
  }
  record.proto = "quic";
  // Redirect has nothing to redirect to without decrypting: a block, logged as what the rule
  // said (as TLS does).
  record.action = filters::toString(verdict.action);
  record.rule = std::move(verdict.rule);
  record.list = std::move(verdict.list);
  record.category = std::move(verdict.category);
  record.group = std::move(verdict.group);
  record.host = sni;
  record.sni = std::move(sni);
  if (note) record.note = note;
  record.bytesUp = flow.bytes;
  record.durationMs = nowMs_ - flow.firstMs;
  if (logQueue_.push(std::move(record))) counters_.add(Counter::log_lines_queued);
  else counters_.add(Counter::log_lines_dropped);

  flow.assembler.reset();  // decided: the CRYPTO buffer is not needed any more
  unlink(active_, &flow);
  if (refuse) {
    flow.state = State::Blocked;
    append(blocked_, &flow);
    counters_.add(Counter::quic_flows_blocked);
    effects->blocked.push_back(toUdpFlow(udp));
    release(flow, nf::PacketVerdict::Drop, effects);
    return nf::PacketVerdict::Drop;
  }
  release(flow, nf::PacketVerdict::Accept, effects);
  flow.state = State::Allowed;
  append(active_, &flow);
  counters_.add(Counter::quic_flows_allowed);
  return nf::PacketVerdict::Accept;
}

void QuicFlows::countStats(const inspect::QuicInitialStats& a, const inspect::QuicInitialStats& b) {
  if (b.initialPackets != a.initialPackets)
    counters_.add(Counter::quic_initial_packets, b.initialPackets - a.initialPackets);
  if (b.cryptoFrames != a.cryptoFrames)
    counters_.add(Counter::quic_crypto_frames, b.cryptoFrames - a.cryptoFrames);
  if (b.skippedPackets != a.skippedPackets)
    counters_.add(Counter::quic_skipped_packets, b.skippedPackets - a.skippedPackets);
  if (b.undersizedDatagrams != a.undersizedDatagrams)
    counters_.add(Counter::quic_undersized_datagrams, b.undersizedDatagrams - a.undersizedDatagrams);
  if (b.undecryptablePackets != a.undecryptablePackets)
    counters_.add(Counter::quic_undecryptable_packets, b.undecryptablePackets - a.undecryptablePackets);
}

void QuicFlows::sweep(int64_t nowMs, QuicFlowEffects* effects) {
  if (holding_ > 0) {
    for (Flow* f = active_.head; f; f = f->next) {
      if (f->heldCount == 0 || f->heldSinceMs + settings_.holdTimeoutMs > nowMs) continue;
      counters_.add(Counter::quic_hold_timeouts, f->heldCount);
      release(*f, nf::PacketVerdict::Accept, effects);
    }
  }
  while (active_.head && (active_.head->lastMs + settings_.flowTimeoutMs <= nowMs ||
                          flows_.size() > settings_.maxFlows)) {
    counters_.add(active_.head->state == State::Inspecting ? Counter::quic_undecided_expired
                                                            : Counter::quic_flows_expired);
    forget(flows_.find(*active_.head->key), effects);
  }
  while (blocked_.head && (blocked_.head->lastMs + settings_.blockedTimeoutMs <= nowMs ||
                           flows_.size() > settings_.maxFlows)) {
    counters_.add(Counter::quic_flows_expired);
    forget(flows_.find(*blocked_.head->key), effects);
  }
}

void QuicFlows::blockedFlows(std::vector<nf::UdpFlow>* out) const {
  for (const Flow* f = blocked_.head; f; f = f->next) {
    nf::UdpFlow u;
    u.family = f->key->family;
    u.src = f->key->src;
    u.dst = f->key->dst;
    u.srcPort = f->key->srcPort;
    u.dstPort = f->key->dstPort;
    out->push_back(u);
  }
}

}  // namespace tollgate
