#include "filters/groups.h"

#include <cctype>
#include <string_view>

namespace tollgate::filters {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

void parseClients(const std::string& text, Group& group, const std::string& where) {
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = trim(rest.substr(0, comma));
    if (!item.empty()) {
      if (std::optional<MacAddress> mac = parseMac(item)) {
        group.macs.push_back(*mac);
      } else {
        std::string why;
        std::optional<Cidr> cidr = parseCidr(item, why);
        // A string shaped like a MAC but not quite one reads better as a MAC error.
        if (!cidr && item.size() == 17 && (item[2] == ':' || item[2] == '-')) {
          why = "'" + std::string(item) + "' is not a MAC address (aa:bb:cc:dd:ee:ff)";
        }
        if (!cidr) throw FilterError(where + ": clients: " + why);
        group.cidrs.push_back(*cidr);
        group.cidrTexts.emplace_back(item);
      }
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
}

}  // namespace

bool parseBool(const std::string& value, const std::string& where, const char* key) {
  std::string v(trim(value));
  for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v.empty() || v == "false" || v == "no" || v == "off" || v == "0") return false;
  if (v == "true" || v == "yes" || v == "on" || v == "1") return true;
  throw FilterError(where + ": " + key + ": '" + value + "' is not true or false");
}

Group parseGroup(const GroupSpec& spec, const RuleContext& context) {
  Group group;
  group.name = spec.name;
  group.origin = spec.configFile + ":" + std::to_string(spec.configLine);
  const std::string where = group.origin + ": group." + spec.name;
  parseClients(spec.clients, group, where);
  group.rules = parseRules(spec.rules, context, where);
  std::string_view def = trim(spec.defaultAction);
  if (!def.empty()) {
    std::optional<Action> action = parseAction(def);
    if (!action) {
      throw FilterError(where + ": default: '" + spec.defaultAction +
                        "' is not allow, block, log or redirect");
    }
    group.defaultAction = *action;
  }
  group.safeSearch = parseBool(spec.safeSearch, where, "safe_search");
  group.blockEch = parseBool(spec.blockEch, where, "block_ech");
  return group;
}

GroupTable::GroupTable(std::vector<Group> groups) : groups_(std::move(groups)) {
  for (size_t i = 0; i < groups_.size(); ++i) {
    if (groups_[i].name == "default") {
      default_ = i;
      return;
    }
  }
  Group implicit;
  implicit.name = "default";
  implicit.origin = "(implicit)";
  groups_.push_back(std::move(implicit));
  default_ = groups_.size() - 1;
}

GroupChoice GroupTable::select(const PolicyRequest& request) const {
  if (request.mac) {
    for (const Group& g : groups_) {
      for (size_t i = 0; i < g.macs.size(); ++i) {
        if (g.macs[i] == *request.mac) return {&g, SelectedBy::Mac, i};
      }
    }
  }
  if (request.client != nullptr) {
    for (const Group& g : groups_) {
      for (size_t i = 0; i < g.cidrs.size(); ++i) {
        if (g.cidrs[i].contains(request.client)) return {&g, SelectedBy::Cidr, i};
      }
    }
  }
  return {&groups_[default_], SelectedBy::Default, 0};
}

std::string describeChoice(const GroupChoice& choice, const PolicyRequest& request) {
  const Group& g = *choice.group;
  switch (choice.by) {
    case SelectedBy::Mac:
      return g.name + " (MAC " + formatMac(g.macs[choice.index]) + " listed in group." + g.name +
             " at " + g.origin + ")";
    case SelectedBy::Cidr:
      return g.name + " (address " + formatAddress(request.client) + " inside " +
             g.cidrTexts[choice.index] + " of group." + g.name + " at " + g.origin + ")";
    case SelectedBy::Default:
      break;
  }
  std::string who = "address " + formatAddress(request.client);
  if (request.mac) who += ", MAC " + formatMac(*request.mac);
  return g.name + " (" + who + " in no group; default group " + g.origin + ")";
}

}  // namespace tollgate::filters
