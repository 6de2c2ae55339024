#pragma once
// A set of destinations named by host or address: [filter] never_block (what no rule may
// block: the gateway's own services, the block page's host, an update server; checked before
// anything else, for every group) and [captive] walled_garden (what a guest reaches before login).
//
// A host entry matches the host itself and every subdomain ("lan" matches "router.lan"); an
// IP or CIDR entry matches the flow's original destination address. Entries never match the
// client: exempting a client is a group with default = allow.
#include <string>
#include <string_view>
#include <vector>

#include "filters/address.h"
#include "filters/policy_spec.h"

namespace tollgate::filters {

class DestinationSet {
 public:
  // `entries`: "gateway.lan, 10.0.0.1, 192.168.1.0/24". Throws FilterError("ORIGIN: LABEL:
  // reason") for a bad entry, ORIGIN being "file:line" and LABEL e.g. "[filter] never_block".
  static DestinationSet parse(std::string_view entries, std::string origin, std::string_view label);
  // [filter] never_block.
  static DestinationSet parseNeverBlock(const FilterSettings& settings);

  // The matching entry as written, or null. Allocation-free.
  const std::string* match(std::string_view host, const sockaddr_storage* destination) const;

  // "file:line" of the section, for Verdict::entry.
  const std::string& origin() const { return origin_; }
  bool empty() const { return hosts_.empty() && cidrs_.empty(); }
  const std::vector<Cidr>& cidrs() const { return cidrs_; }

 private:
  std::vector<std::string> hosts_;
  std::vector<Cidr> cidrs_;
  std::vector<std::string> cidrTexts_;
  std::string origin_;
};

}  // namespace tollgate::filters
