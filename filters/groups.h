#pragma once
// Client groups: which [group.NAME] a flow's client belongs to.
//
// Selection: first the groups are tried in config order against the client's MAC, then in
// config order against its address (CIDRs). A MAC names one device, a CIDR a network, so a
// device listed by MAC in a later group still beats an earlier group covering its whole subnet.
// No match → [group.default]; without one, an implicit "default" group with no rules whose
// default is allow. [group.default] may list clients too and then also competes in order.
#include <cstddef>
#include <string>
#include <vector>

#include "filters/address.h"
#include "filters/policy.h"
#include "filters/policy_spec.h"
#include "filters/rules.h"

namespace tollgate::filters {

struct Group {
  std::string name;
  std::vector<MacAddress> macs;
  std::vector<Cidr> cidrs;
  std::vector<std::string> cidrTexts;  // as written, parallel to cidrs, for explanations
  std::vector<Rule> rules;
  Action defaultAction = Action::Allow;
  bool safeSearch = false;
  bool blockEch = false;
  std::string origin;  // "file:line" of the section, or "(implicit)"
};

// Throws FilterError("file:line: group.NAME: reason") for a bad client, rule, default or boolean.
Group parseGroup(const GroupSpec& spec, const RuleContext& context);

// "true"/"false" (also yes/no, on/off, 1/0). Throws FilterError("where: KEY: ...").
bool parseBool(const std::string& value, const std::string& where, const char* key);

enum class SelectedBy { Mac, Cidr, Default };

struct GroupChoice {
  const Group* group = nullptr;
  SelectedBy by = SelectedBy::Default;
  size_t index = 0;  // which macs[] / cidrs[] entry matched
};

class GroupTable {
 public:
  // `groups` in config order; adds the implicit default group when none is named "default".
  explicit GroupTable(std::vector<Group> groups);

  // Never fails: every client has a group. Allocation-free.
  GroupChoice select(const PolicyRequest& request) const;

  const std::vector<Group>& groups() const { return groups_; }

 private:
  std::vector<Group> groups_;
  size_t default_ = 0;
};

// One line for `tollgatectl explain`: "kids (MAC 02:00:00:00:00:01 listed at kids.conf:12)".
std::string describeChoice(const GroupChoice& choice, const PolicyRequest& request);

}  // namespace tollgate::filters
