#pragma once
// The policy routing TPROXY needs, installed over rtnetlink (libmnl), without forking `ip`.
//
// A TPROXY'd packet still has a foreign destination address; routing would forward it. The
// ruleset marks it (nf/ruleset.h, interceptMark) and these entries, for IPv4 and IPv6, send
// marked packets to a table whose only route declares every address local:
//
//   ip rule add fwmark MARK/MASK lookup TABLE priority PRIORITY
//   ip route add local default dev lo table TABLE        (and the same with -6)
//
// Both calls block briefly on the kernel's acknowledgements; call them at start-up, reload
// and shutdown. Redirect mode needs none of this.
#include <cstdint>
#include <optional>
#include <string>

namespace tollgate::nf {

struct PolicyRoutingSpec {
  uint32_t mark = 0x1;        // RulesetSpec::interceptMark
  uint32_t mask = 0xff;       // RulesetSpec::markMask
  uint32_t table = 100;       // RulesetSpec::routeTable; not 0, 253, 254 or 255
  uint32_t priority = 30000;  // before main (32766); after an admin's usual low numbers
};

// Installs the rule and the route for both families. Idempotent: entries that already exist
// are left as they are. On failure, entries this call added are removed again and the error
// names the request: "RTM_NEWRULE fwmark 0x1/0xff table 100 (ipv6): Operation not
// permitted", with the kernel's extended-ack text when it gives one.
std::optional<std::string> installPolicyRouting(const PolicyRoutingSpec& spec);

// Removes them; entries already gone are not an error. Tries all four and reports the first
// failure.
std::optional<std::string> removePolicyRouting(const PolicyRoutingSpec& spec);

}  // namespace tollgate::nf
