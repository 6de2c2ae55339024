#pragma once
// The nftables ruleset that steers LAN TCP traffic into tollgated.
//
// Pure text generation: no I/O. The daemon builds a RulesetSpec from its config, validates it,
// renders it and hands the text to nf/nft_runner.h; `tollgatectl nft` shows the same text.
//
// Marks. Tollgate owns only the bits in markMask of the packet mark and of the conntrack mark;
// every rule matches `mark & markMask == value` and sets `mark = mark & ~markMask | value`, so an
// admin's own marks in the other bits survive. The policy routing rule (nf/policy_routing.h)
// must use the same value/mask pair: `fwmark interceptMark/markMask`.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tollgate::nf {

// The one table Tollgate owns; nothing outside it is ever touched.
inline constexpr const char* kTableFamily = "inet";
inline constexpr const char* kTableName = "tollgate";

struct RulesetSpec {
  enum class Mode {
    Tproxy,    // TPROXY + policy routing: the daemon sees the original destination as its local
               // address, IPv4 and IPv6 alike, and no NAT state is created.
    Redirect,  // NAT redirect to the listener: no policy routing, the daemon reads
               // SO_ORIGINAL_DST. For kernels or setups without TPROXY.
  };

  // Traffic is intercepted only when it arrives on one of these (matched by name, so an
  // interface may be recreated without reloading the ruleset). At least one.
  std::vector<std::string> lanInterfaces;
  // Destination ports to intercept; the generated rules use their union. Empty means no
  // interception (the table still loads, with its exclusions and the listener guard).
  std::vector<uint16_t> httpPorts;
  std::vector<uint16_t> tlsPorts;
  std::vector<uint16_t> tcpPorts;
  uint16_t listenPort = 0;  // the daemon's single listener, IPv4 and IPv6
  Mode mode = Mode::Tproxy;
  // Set on intercepted packets so policy routing delivers them locally (Tproxy mode).
  uint32_t interceptMark = 0x1;
  // The bits of the packet/conntrack mark Tollgate owns; both marks must lie inside it.
  uint32_t markMask = 0xff;
  // The daemon sets SO_MARK to this on its own upstream sockets; never intercepted.
  uint32_t upstreamMark = 0x2;
  // Routing table holding `local default dev lo` (Tproxy mode; used by nf/policy_routing.h).
  uint32_t routeTable = 100;
  // CIDR ("10.0.0.0/8", "2001:db8::/32") or single addresses, IPv4 and IPv6 mixed. Traffic
  // to bypassDst / from bypassSrc is never intercepted. Host bits must be zero.
  std::vector<std::string> bypassDst;
  std::vector<std::string> bypassSrc;
  // Tproxy mode: reset connections to intercepted ports when no listener takes them (daemon
  // down) instead of forwarding them untouched. Redirect mode always fails closed: the kernel
  // answers a redirected SYN with RST when nothing listens.
  bool failClosed = false;

  // The captive portal's forward filter. Guests are recognised by the sets the daemon fills
  // over netlink after every load (nf/captive_sets.h): captive_macs (ether_addr),
  // captive_v4/_v6 (address . ether_addr), all with timeouts and per-element counters.
  // Anyone else arriving on a LAN interface may forward only to DNS (dnsServers), to the walled
  // garden's addresses and DHCP; other TCP is reset (browsers and OSes fail fast), other
  // traffic dropped. Intercepted ports never get here: they go to the daemon, which redirects.
  struct Captive {
    bool enabled = false;
    std::vector<std::string> gardenCidrs;  // addresses/CIDRs, v4 and v6 mixed
    std::vector<std::string> dnsServers;   // addresses
  };
  Captive captive;

  // The packet inspector's chain (nf/nfqueue.h, daemon/packet_inspector.h), in the forward
  // hook just before mangle: UDP from the LAN interfaces to quicPorts. Flows in the
  // quic_blocked sets are dropped first, so a blocked flow's later packets never reach user
  // space; then, with Quic::Inspect, the first packets of each flow that carry a QUIC long
  // header are queued. Drop drops all of it in the kernel; Pass leaves only the set rules.
  // Bypass addresses are never touched. Rendered only when enabled.
  struct Nfqueue {
    enum class Quic { Inspect, Drop, Pass };
    bool enabled = false;
    Quic quic = Quic::Inspect;
    uint16_t queue = 0;   // the first queue
    uint16_t queues = 1;  // queue .. queue + queues - 1, balanced by the kernel's flow hash
    std::vector<uint16_t> quicPorts{443};
    uint32_t firstPackets = 4;  // `ct original packets 1-N`
    bool bypass = true;         // fail open: the kernel accepts while no one listens
    // false on kernels without nft's queue expression: the chain keeps its drop rules and
    // iptables-nft does the queueing (nf/nfqueue_fallback.h).
    bool queueInNft = true;
    // DNS queries (UDP/53) from the LAN interfaces, to the gateway or through it, are queued
    // too, from a prerouting chain of their own (kNfqueueDnsChain).
    bool dns = false;
  };
  Nfqueue nfqueue;
  // [dns] block_dot: DNS over TLS and over QUIC (port 853) from the LAN interfaces refused (a
  // TCP reset, UDP dropped) in a forward chain of its own, so devices fall back to plain DNS.
  bool blockDot = false;
};

// The sets of blocked QUIC flows (timeouts per element, added by the inspector over netlink):
// ip saddr . ip daddr . udp sport . udp dport, and the same for IPv6.
inline constexpr const char* kQuicBlockedV4Set = "quic_blocked4";
inline constexpr const char* kQuicBlockedV6Set = "quic_blocked6";
inline constexpr const char* kNfqueueChain = "nfqueue";
inline constexpr const char* kNfqueueDnsChain = "nfqueue_dns";

// The names of the captive sets in the rendered table.
inline constexpr const char* kCaptiveMacSet = "captive_macs";
inline constexpr const char* kCaptiveV4Set = "captive_v4";
inline constexpr const char* kCaptiveV6Set = "captive_v6";

// An error naming the offending field and value, or nullopt when renderNftRuleset will
// produce text nft accepts. Checks interface names (nft quoting, IFNAMSIZ), ports, marks
// against the mask, the route table, and every bypass entry.
std::optional<std::string> validateRulesetSpec(const RulesetSpec& spec);

// The complete `nft -f` input: the replace idiom (create-if-missing, delete, define) so
// applying it replaces any previous Tollgate table atomically in one nft transaction, then
// `table inet tollgate { ... }` with a comment on every rule. Deterministic for a given spec
// (ports sorted and deduplicated, bypass entries in spec order).
// Throws std::invalid_argument with validateRulesetSpec's message when the spec is invalid:
// this runs at start-up and on reload, never on the data path.
std::string renderNftRuleset(const RulesetSpec& spec);

// `nft -f` input that (re)defines only the packet inspector's chain and sets inside an existing
// Tollgate table (the one renderNftRuleset loaded: its bypass sets are referenced): the chain is
// replaced, the sets are created if missing and keep their elements. Empty when
// spec.nfqueue.enabled is false. Throws like renderNftRuleset.
std::string renderNfqueueRules(const RulesetSpec& spec);

// With spec.nfqueue.queueInNft false, the chain marks the packets it would queue with this
// value (inside markMask, the smallest that is neither interceptMark nor upstreamMark) for the
// iptables-nft fallback; 0 when the mask leaves none.
uint32_t nfqueueFallbackMark(const RulesetSpec& spec);

// `nft -f` input that removes the table and is not an error when it is absent.
std::string renderNftRemoval();

}  // namespace tollgate::nf
