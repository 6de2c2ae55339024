#include "nf/ruleset.h"

#include <arpa/inet.h>
#include <net/if.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace tollgate::nf {
namespace {

// nft rejects longer comments ("comment too long, 128 characters maximum allowed").
constexpr size_t kMaxCommentLength = 128;

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);  // the width `nft list` prints
  return buf;
}

// A bypass entry parsed and re-printed by inet_ntop, so nothing the admin typed reaches the
// nft text verbatim.
struct Cidr {
  int family = AF_UNSPEC;
  std::string text;  // canonical: "10.0.0.0/8", "2001:db8::/32", or a bare address
};

// Parses "addr" or "addr/len"; on failure returns nullopt and fills *error (without the
// field name, which the caller prepends).
std::optional<Cidr> parseCidr(const std::string& in, std::string* error) {
  std::string addr = in;
  int prefix = -1;
  if (size_t slash = in.find('/'); slash != std::string::npos) {
    addr = in.substr(0, slash);
    std::string len = in.substr(slash + 1);
    if (len.empty() || len.size() > 3 ||
        !std::all_of(len.begin(), len.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      *error = "prefix length is not a number";
      return std::nullopt;
    }
    prefix = std::stoi(len);
  }
  unsigned char bytes[16] = {};
  int family = AF_UNSPEC;
  size_t size = 0;
  if (inet_pton(AF_INET, addr.c_str(), bytes) == 1) {
    family = AF_INET;
    size = 4;
  } else if (inet_pton(AF_INET6, addr.c_str(), bytes) == 1) {
    family = AF_INET6;
    size = 16;
  } else {
    *error = "not an IPv4 or IPv6 address";
    return std::nullopt;
  }
  const int maxPrefix = static_cast<int>(size * 8);
  if (prefix > maxPrefix) {
    *error = "prefix length above " + std::to_string(maxPrefix);
    return std::nullopt;
  }
  char text[INET6_ADDRSTRLEN];
  if (prefix >= 0 && prefix < maxPrefix) {
    // nft silently clears host bits; an admin who wrote 10.1.2.3/8 more likely made a typo
    // than meant all of 10/8, so say so instead of guessing.
    unsigned char network[16];
    std::memcpy(network, bytes, size);
    for (int bit = prefix; bit < maxPrefix; ++bit) network[bit / 8] &= ~(0x80u >> (bit % 8));
    if (std::memcmp(network, bytes, size) != 0) {
      inet_ntop(family, network, text, sizeof text);
      *error =
          "host bits set (did you mean " + std::string(text) + "/" + std::to_string(prefix) + "?)";
      return std::nullopt;
    }
  }
  inet_ntop(family, bytes, text, sizeof text);
  Cidr out{family, text};
  if (prefix >= 0 && prefix < maxPrefix) out.text += "/" + std::to_string(prefix);
  return out;
}

// Linux's own rules (dev_valid_name) plus what nft's quoting cannot carry: a '"' would end
// the string and a trailing '*' would turn the name into a wildcard.
std::optional<std::string> checkInterfaceName(const std::string& name) {
  if (name.empty()) return "empty name";
  if (name.size() >= IFNAMSIZ) return "longer than " + std::to_string(IFNAMSIZ - 1) + " characters";
  if (name == "." || name == "..") return "not a valid interface name";
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= ' ' || u >= 0x7f || c == '/' || c == ':' || c == '"' || c == '\\' || c == '*')
      return "contains a character not allowed in an interface name";
  }
  return std::nullopt;
}

std::optional<std::string> checkMark(const char* field, uint32_t mark, uint32_t mask) {
  if (mark == 0) return std::string(field) + " must not be 0 (0 is every unmarked packet)";
  if ((mark & ~mask) != 0)
    return std::string(field) + " " + hex32(mark) + " has bits outside markMask " + hex32(mask);
  return std::nullopt;
}

std::vector<uint16_t> interceptedPorts(const RulesetSpec& spec) {
  std::vector<uint16_t> ports;
  for (const auto* list : {&spec.httpPorts, &spec.tlsPorts, &spec.tcpPorts})
    ports.insert(ports.end(), list->begin(), list->end());
  std::sort(ports.begin(), ports.end());
  ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
  return ports;
}

struct SplitCidrs {
  std::vector<std::string> v4, v6;
};

// Validated input only: entries that do not parse were already reported by validation.
SplitCidrs splitByFamily(const std::vector<std::string>& entries) {
  SplitCidrs out;
  std::string ignored;
  for (const auto& entry : entries) {
    if (auto cidr = parseCidr(entry, &ignored))
      (cidr->family == AF_INET ? out.v4 : out.v6).push_back(cidr->text);
  }
  return out;
}

std::string joinList(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

std::string portSet(const std::vector<uint16_t>& ports) {
  std::vector<std::string> items;
  for (uint16_t p : ports) items.push_back(std::to_string(p));
  return "{ " + joinList(items) + " }";
}

std::string interfaceSet(const std::vector<std::string>& names) {
  std::vector<std::string> items;
  for (const auto& n : names) items.push_back("\"" + n + "\"");
  return "{ " + joinList(items) + " }";
}

// Accumulates the text; every rule carries a comment because admins read `nft list` output,
// where '#' comments from the input are gone but rule comments survive.
class Writer {
 public:
  void line(const std::string& text) { out_ += text + "\n"; }
  void raw(const std::string& text) { out_ += text; }
  void rule(const std::string& statement, const std::string& why) {
    if (why.size() > kMaxCommentLength || why.find('"') != std::string::npos)
      throw std::logic_error("rule comment unusable by nft: " + why);
    out_ += "\t\t" + statement + " comment \"" + why + "\"\n";
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

void writeSet(Writer& w, const char* name, const char* type,
              const std::vector<std::string>& elems) {
  w.line(std::string("\tset ") + name + " {");
  w.line(std::string("\t\ttype ") + type);
  w.line("\t\tflags interval");
  // Overlapping admin entries (10.0.0.0/8 and 10.1.0.0/16) would otherwise fail the whole
  // load with "conflicting intervals specified".
  w.line("\t\tauto-merge");
  if (!elems.empty()) w.line("\t\telements = { " + joinList(elems) + " }");
  w.line("\t}");
  w.line("");
}

// The exclusions shared by both modes, in the order they must run. Tproxy mode passes the
// mark-setting shortcut for flows that already have a transparent socket; it must follow the
// listener guard (the listener is itself a transparent socket) and precede the interface check:
// with full transparency (transparent_upstream) the origin's replies to the daemon's upstream
// socket arrive on the WAN side, addressed to the client, and must be delivered locally too.
void writeExclusions(Writer& w, const RulesetSpec& spec, const std::string& socketShortcut) {
  w.rule("meta l4proto != tcp return", "only TCP is intercepted");
  w.rule("fib daddr type local tcp dport " + std::to_string(spec.listenPort) +
             " counter reject with tcp reset",
         "clients may not connect to the listener directly: it would proxy to itself");
  if (!socketShortcut.empty())
    w.rule(socketShortcut,
           "flow with a transparent socket (intercepted, or a reply to a transparent upstream): "
           "deliver locally");
  w.rule("iifname != " + interfaceSet(spec.lanInterfaces) + " return",
         "only traffic arriving on the LAN interfaces is intercepted");
  w.rule("ct mark & " + hex32(spec.markMask) + " == " + hex32(spec.upstreamMark) + " return",
         "never intercept tollgated's own upstream connections (ct mark copied from SO_MARK)");
  w.rule("fib daddr type local return", "the gateway's own addresses are never intercepted");
  w.rule("ip saddr @bypass_src4 counter return", "bypass: IPv4 clients never intercepted");
  w.rule("ip6 saddr @bypass_src6 counter return", "bypass: IPv6 clients never intercepted");
  w.rule("ip daddr @bypass_dst4 counter return", "bypass: IPv4 destinations never intercepted");
  w.rule("ip6 daddr @bypass_dst6 counter return", "bypass: IPv6 destinations never intercepted");
}

void writeCaptive(Writer& w, const RulesetSpec& spec) {
  const SplitCidrs garden = splitByFamily(spec.captive.gardenCidrs);
  const SplitCidrs dns = splitByFamily(spec.captive.dnsServers);
  // Filled over netlink (nf/captive_sets.h); elements time out with their session, and each
  // counts the bytes that matched it.
  for (auto [name, type] : {std::pair{kCaptiveMacSet, "ether_addr"},
                            std::pair{kCaptiveV4Set, "ipv4_addr . ether_addr"},
                            std::pair{kCaptiveV6Set, "ipv6_addr . ether_addr"},
                            std::pair{"captive_down4", "ipv4_addr"},
                            std::pair{"captive_down6", "ipv6_addr"}}) {
    w.line(std::string("\tset ") + name + " {");
    w.line(std::string("\t\ttype ") + type);
    w.line("\t\tflags timeout");
    w.line("\t\tcounter");
    w.line("\t}");
    w.line("");
  }
  writeSet(w, "captive_garden4", "ipv4_addr", garden.v4);
  writeSet(w, "captive_garden6", "ipv6_addr", garden.v6);
  writeSet(w, "captive_dns4", "ipv4_addr", dns.v4);
  writeSet(w, "captive_dns6", "ipv6_addr", dns.v6);
  w.line("\tchain captive_forward {");
  w.line("\t\ttype filter hook forward priority filter; policy accept;");
  // Counting only (no verdict): the per-element counters are the download side of a guest's
  // data quota for traffic the proxy does not relay.
  w.rule("oifname " + interfaceSet(spec.lanInterfaces) + " ip daddr @captive_down4",
         "bytes to logged-in guests (per-element counter)");
  w.rule("oifname " + interfaceSet(spec.lanInterfaces) + " ip6 daddr @captive_down6",
         "bytes to logged-in guests (per-element counter)");
  w.rule("iifname != " + interfaceSet(spec.lanInterfaces) + " return",
         "only guests on the LAN interfaces are held");
  w.rule("ip saddr @bypass_src4 return", "bypass clients are never held");
  w.rule("ip6 saddr @bypass_src6 return", "bypass clients are never held");
  w.rule(std::string("ip saddr . ether saddr @") + kCaptiveV4Set + " accept",
         "logged in: address bound to its MAC (per-element counter: bytes the proxy does not see)");
  w.rule(std::string("ip6 saddr . ether saddr @") + kCaptiveV6Set + " accept",
         "logged in: address bound to its MAC (per-element counter)");
  w.rule(std::string("ether saddr @") + kCaptiveMacSet + " accept",
         "logged in, from an address the daemon has not bound yet (new lease, privacy address)");
  w.rule("udp dport { 67, 547 } accept", "DHCP relayed through the gateway");
  w.rule("meta l4proto { tcp, udp } th dport 53 ip daddr @captive_dns4 accept",
         "DNS to the configured resolvers");
  w.rule("meta l4proto { tcp, udp } th dport 53 ip6 daddr @captive_dns6 accept",
         "DNS to the configured resolvers");
  w.rule("ip daddr @captive_garden4 accept", "walled garden addresses");
  w.rule("ip6 daddr @captive_garden6 accept", "walled garden addresses");
  w.rule("meta l4proto tcp counter reject with tcp reset",
         "not logged in: TCP fails fast (OSes fall back to their HTTP probe)");
  w.rule("counter drop", "not logged in: other traffic (QUIC, other UDP, ICMP) dropped");
  w.line("\t}");
  w.line("");
}

// The inspector's sets and chain, inside the table body. Its own chain, in the forward hook at
// mangle - 1: before an iptables-nft fallback's queue rule (mangle FORWARD, priority mangle), so a
// blocked flow is dropped before anything queues it, and before the filter chains, so the
// packets user space accepts still meet the admin's forward rules (an accept from the queue
// ends only the chain that queued it).
// DNS queries in prerouting, so queries to the gateway's own resolver are seen as well as
// forwarded ones; only UDP (a TCP query is a follow-up to a truncated answer, which the
// inspector never forges).
void writeNfqueueDns(Writer& w, const RulesetSpec& spec) {
  const RulesetSpec::Nfqueue& q = spec.nfqueue;
  std::string target = "to " + std::to_string(q.queue);
  if (q.queues > 1) target += "-" + std::to_string(q.queue + q.queues - 1);
  w.line(std::string("\tchain ") + kNfqueueDnsChain + " {");
  w.line("\t\ttype filter hook prerouting priority mangle - 1; policy accept;");
  w.rule("iifname != " + interfaceSet(spec.lanInterfaces) + " return", "only queries from the LAN");
  w.rule("ip saddr @bypass_src4 return", "bypass clients are never inspected");
  w.rule("ip6 saddr @bypass_src6 return", "bypass clients are never inspected");
  if (q.queueInNft) {
    w.rule("udp dport 53 counter queue " + std::string(q.bypass ? "flags bypass " : "") + target,
           "DNS queries to the inspector (blocked names, safe search, HTTPS records)");
  } else {
    w.rule("udp dport 53 counter meta mark set meta mark & " + hex32(~spec.markMask) + " | " +
               hex32(nfqueueFallbackMark(spec)),
           "DNS queries: marked for the iptables-nft NFQUEUE rule in mangle PREROUTING");
  }
  w.line("\t}");
  w.line("");
}

void writeNfqueue(Writer& w, const RulesetSpec& spec) {
  using Quic = RulesetSpec::Nfqueue::Quic;
  const RulesetSpec::Nfqueue& q = spec.nfqueue;
  for (auto [name, type] :
       {std::pair{kQuicBlockedV4Set, "ipv4_addr . ipv4_addr . inet_service . inet_service"},
        std::pair{kQuicBlockedV6Set, "ipv6_addr . ipv6_addr . inet_service . inet_service"}}) {
    w.line(std::string("\tset ") + name + " {");
    w.line(std::string("\t\ttype ") + type);
    w.line("\t\tflags timeout");  // each element carries its own ([nfqueue] block_timeout)
    w.line("\t}");
    w.line("");
  }
  const std::string ports = portSet(q.quicPorts);
  w.line(std::string("\tchain ") + kNfqueueChain + " {");
  w.line("\t\ttype filter hook forward priority mangle - 1; policy accept;");
  w.rule("meta l4proto != udp return", "only UDP is inspected");
  w.rule("iifname != " + interfaceSet(spec.lanInterfaces) + " return",
         "only flows from the LAN interfaces");
  w.rule("ip saddr @bypass_src4 return", "bypass clients are never inspected");
  w.rule("ip6 saddr @bypass_src6 return", "bypass clients are never inspected");
  w.rule("ip daddr @bypass_dst4 return", "bypass destinations are never inspected");
  w.rule("ip6 daddr @bypass_dst6 return", "bypass destinations are never inspected");
  w.rule(std::string("ip saddr . ip daddr . udp sport . udp dport @") + kQuicBlockedV4Set +
             " counter drop",
         "QUIC flow blocked by the inspector: its later packets never reach user space");
  w.rule(std::string("ip6 saddr . ip6 daddr . udp sport . udp dport @") + kQuicBlockedV6Set +
             " counter drop",
         "QUIC flow blocked by the inspector: its later packets never reach user space");
  if (q.quic == Quic::Drop) {
    w.rule("udp dport " + ports + " counter drop",
           "[nfqueue] quic = drop: no HTTP/3, browsers fall back to TCP and the proxy");
  } else if (q.quic == Quic::Inspect) {
    std::string target = "to " + std::to_string(q.queue);
    if (q.queues > 1) target += "-" + std::to_string(q.queue + q.queues - 1);
    // The packet count needs conntrack accounting; the ct expression turns it on for the
    // namespace (nf_conntrack_acct) when the rule is loaded. Bit 0x80 of the first payload
    // byte is QUIC's long header (Initial, 0-RTT, Handshake): short-header packets never carry
    // a ClientHello. Without `fanout` the kernel spreads flows over the queues by address
    // hash, so every packet of a flow meets the same thread and its state.
    const std::string match = "udp dport " + ports + " ct original packets 1-" +
                              std::to_string(q.firstPackets) + " @th,64,8 & 0x80 == 0x80";
    if (q.queueInNft) {
      w.rule(match + " counter queue " + (q.bypass ? "flags bypass " : "") + target,
             q.bypass ? "first packets of a QUIC flow to the inspector; accepted while it is down"
                      : "first packets of a QUIC flow to the inspector; dropped while it is down");
    } else {
      // This kernel lacks nft's queue expression: mark instead, for the iptables-nft NFQUEUE
      // rule in mangle FORWARD that runs next (nf/nfqueue_fallback.h).
      w.rule(match + " counter meta mark set meta mark & " + hex32(~spec.markMask) + " | " +
                 hex32(nfqueueFallbackMark(spec)),
             "first packets of a QUIC flow: marked for the iptables-nft NFQUEUE rule");
    }
  }
  w.line("\t}");
  w.line("");
  if (q.dns) writeNfqueueDns(w, spec);
}

}  // namespace

std::optional<std::string> validateRulesetSpec(const RulesetSpec& spec) {
  if (spec.lanInterfaces.empty()) return "lanInterfaces: at least one interface is required";
  for (const auto& name : spec.lanInterfaces) {
    if (auto err = checkInterfaceName(name)) return "lanInterfaces \"" + name + "\": " + *err;
  }
  if (spec.listenPort == 0) return "listenPort: must not be 0";
  for (uint16_t p : interceptedPorts(spec)) {
    if (p == 0) return "ports: 0 is not a valid TCP port";
  }
  if (spec.markMask == 0) return "markMask: must not be 0";
  if (auto err = checkMark("interceptMark", spec.interceptMark, spec.markMask)) return err;
  if (auto err = checkMark("upstreamMark", spec.upstreamMark, spec.markMask)) return err;
  if (spec.interceptMark == spec.upstreamMark)
    return "interceptMark and upstreamMark must differ (both " + hex32(spec.upstreamMark) + ")";
  // 0 is "unspecified" to the kernel; 253-255 are default, main and local.
  if (spec.routeTable == 0 || (spec.routeTable >= 253 && spec.routeTable <= 255))
    return "routeTable: " + std::to_string(spec.routeTable) + " is reserved by the kernel";
  for (const auto* list : {&spec.bypassDst, &spec.bypassSrc, &spec.captive.gardenCidrs,
                           &spec.captive.dnsServers}) {
    const char* field = list == &spec.bypassDst   ? "bypassDst"
                        : list == &spec.bypassSrc ? "bypassSrc"
                        : list == &spec.captive.gardenCidrs ? "captive.gardenCidrs"
                                                            : "captive.dnsServers";
    for (const auto& entry : *list) {
      std::string error;
      if (!parseCidr(entry, &error)) return std::string(field) + " \"" + entry + "\": " + error;
    }
  }
  if (spec.nfqueue.enabled) {
    const RulesetSpec::Nfqueue& q = spec.nfqueue;
    if (q.queues == 0) return "nfqueue.queues: at least one queue";
    if (uint32_t{q.queue} + q.queues - 1 > 65535)
      return "nfqueue: queues " + std::to_string(q.queue) + " + " + std::to_string(q.queues) +
             " run past queue 65535";
    if (q.firstPackets == 0) return "nfqueue.firstPackets: must not be 0";
    if (!q.queueInNft && nfqueueFallbackMark(spec) == 0)
      return "markMask " + hex32(spec.markMask) + " leaves no value for the nfqueue fallback mark";
    if (q.quic != RulesetSpec::Nfqueue::Quic::Pass && q.quicPorts.empty())
      return "nfqueue.quicPorts: at least one port";
    for (uint16_t p : q.quicPorts)
      if (p == 0) return "nfqueue.quicPorts: 0 is not a valid UDP port";
  }
  return std::nullopt;
}

std::string renderNftRemoval() {
  // Declaring the table first makes the delete succeed when it is absent, and both run in one
  // transaction. nft 1.0.6 (Debian 12) has no `destroy table`, which would say this directly.
  return std::string("table ") + kTableFamily + " " + kTableName + " {}\n" + "delete table " +
         kTableFamily + " " + kTableName + "\n";
}

std::string renderNftRuleset(const RulesetSpec& spec) {
  if (auto err = validateRulesetSpec(spec)) throw std::invalid_argument(*err);
  const bool tproxy = spec.mode == RulesetSpec::Mode::Tproxy;
  const std::vector<uint16_t> ports = interceptedPorts(spec);
  const SplitCidrs dst = splitByFamily(spec.bypassDst);
  const SplitCidrs src = splitByFamily(spec.bypassSrc);
  const std::string mask = hex32(spec.markMask);
  const std::string keep = hex32(~spec.markMask);
  const std::string setIntercept =
      "meta mark set meta mark & " + keep + " | " + hex32(spec.interceptMark);
  const std::string listen = std::to_string(spec.listenPort);

  Writer w;
  w.line("# Tollgate interception ruleset, generated by tollgated. Do not edit: it is replaced");
  w.line("# as a whole on every start and reload. Tollgate owns only the bits " + mask);
  w.line("# of meta mark and ct mark; an admin's marks in the other bits are preserved.");
  w.line("# Loading this file replaces the previous Tollgate table in one transaction.");
  w.raw(renderNftRemoval());
  w.line(std::string("table ") + kTableFamily + " " + kTableName + " {");
  w.line(std::string("\tcomment \"managed by tollgated (mode ") + (tproxy ? "tproxy" : "redirect") +
         "); replaced on every reload\"");
  w.line("");
  writeSet(w, "bypass_dst4", "ipv4_addr", dst.v4);
  writeSet(w, "bypass_dst6", "ipv6_addr", dst.v6);
  writeSet(w, "bypass_src4", "ipv4_addr", src.v4);
  writeSet(w, "bypass_src6", "ipv6_addr", src.v6);
  if (spec.captive.enabled) writeCaptive(w, spec);
  if (spec.blockDot) {
    w.line("\tchain dot_block {");
    w.line("\t\ttype filter hook forward priority filter; policy accept;");
    w.rule("iifname " + interfaceSet(spec.lanInterfaces) + " tcp dport 853 counter reject with tcp reset",
           "[dns] block_dot: DNS over TLS refused, the device falls back to plain DNS");
    w.rule("iifname " + interfaceSet(spec.lanInterfaces) + " udp dport 853 counter drop",
           "[dns] block_dot: DNS over QUIC dropped");
    w.line("\t}");
    w.line("");
  }
  if (spec.nfqueue.enabled) writeNfqueue(w, spec);

  // The daemon marks its upstream sockets with SO_MARK; conntrack remembers it so replies,
  // which carry no socket mark, are recognised in prerouting too.
  w.line("\tchain output {");
  w.line("\t\ttype filter hook output priority mangle; policy accept;");
  w.rule("meta mark & " + mask + " == " + hex32(spec.upstreamMark) + " ct mark set ct mark & " +
             keep + " | " + hex32(spec.upstreamMark),
         "remember tollgated's upstream connections (SO_MARK) in conntrack");
  w.line("\t}");
  w.line("");

  if (tproxy) {
    w.line("\tchain prerouting {");
    w.line("\t\ttype filter hook prerouting priority mangle; policy accept;");
    writeExclusions(w, spec, "socket transparent 1 " + setIntercept + " accept");
    if (ports.empty()) {
      w.line("\t\t# no intercepted ports configured");
    } else {
      // `tproxy ip` alone would also work in an inet table (it breaks on IPv6 packets); the
      // explicit nfproto keeps each rule's family obvious in `nft list` and its counter.
      // A tproxy rule stops matching when no socket listens, so the mark and accept after it
      // apply only to packets actually handed to the daemon.
      w.rule("meta nfproto ipv4 tcp dport " + portSet(ports) + " counter tproxy ip to :" + listen +
                 " " + setIntercept + " accept",
             "intercept IPv4: hand to the listener, mark for local delivery by policy routing");
      w.rule("meta nfproto ipv6 tcp dport " + portSet(ports) + " counter tproxy ip6 to :" + listen +
                 " " + setIntercept + " accept",
             "intercept IPv6: hand to the listener, mark for local delivery by policy routing");
      if (spec.failClosed) {
        w.rule("tcp dport " + portSet(ports) + " counter reject with tcp reset",
               "fail closed: no listener took the packet (daemon down), reset instead of forward");
      }
    }
    w.line("\t}");
  } else {
    w.line("\tchain prerouting_nat {");
    w.line("\t\ttype nat hook prerouting priority dstnat; policy accept;");
    writeExclusions(w, spec, "");
    if (ports.empty()) {
      w.line("\t\t# no intercepted ports configured");
    } else {
      w.rule("tcp dport " + portSet(ports) + " counter redirect to :" + listen,
             "intercept: NAT to the listener, which reads SO_ORIGINAL_DST");
    }
    w.line("\t}");
  }
  w.line("}");
  return w.take();
}

uint32_t nfqueueFallbackMark(const RulesetSpec& spec) {
  for (uint32_t v = 1; v != 0 && (v & ~spec.markMask) == 0; ++v)
    if (v != spec.interceptMark && v != spec.upstreamMark) return v;
  return 0;
}

std::string renderNfqueueRules(const RulesetSpec& spec) {
  if (auto err = validateRulesetSpec(spec)) throw std::invalid_argument(*err);
  if (!spec.nfqueue.enabled) return "";
  const std::string table = std::string(kTableFamily) + " " + kTableName;
  Writer w;
  w.line("# Tollgate packet inspector chain, generated by tollgated; loaded after the table.");
  // Declaring the chain before deleting it makes the delete succeed on a fresh table, and the
  // three steps run in one transaction: no packet sees the table without the chain.
  w.line("table " + table + " {");
  w.line(std::string("\tchain ") + kNfqueueChain + " {");
  w.line("\t}");
  w.line(std::string("\tchain ") + kNfqueueDnsChain + " {");
  w.line("\t}");
  w.line("}");
  w.line("delete chain " + table + " " + kNfqueueChain);
  w.line("delete chain " + table + " " + kNfqueueDnsChain);
  w.line("table " + table + " {");
  writeNfqueue(w, spec);
  w.line("}");
  return w.take();
}

}  // namespace tollgate::nf
