#pragma once
// [filter] never_block: destinations no rule may block (the gateway's own services, the block
// page's host, an update server). Checked before anything else, for every group.
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

class NeverBlock {
 public:
  // Throws FilterError("file:line: [filter] never_block: reason") for a bad entry.
  static NeverBlock parse(const FilterSettings& settings);

  // The matching entry as written, or null. Allocation-free.
  const std::string* match(std::string_view host, const sockaddr_storage* destination) const;

  // "file:line" of the [filter] section, for Verdict::entry.
  const std::string& origin() const { return origin_; }

 private:
  std::vector<std::string> hosts_;
  std::vector<Cidr> cidrs_;
  std::vector<std::string> cidrTexts_;
  std::string origin_;
};

}  // namespace tollgate::filters
