// buildPolicyEngine(): configuration sections → an immutable PolicyEngine. Runs on the control
// plane (start, reload); every error names the section's file:line, and nothing is returned
// until every list, schedule and group is valid.
#include <map>
#include <set>

#include "filters/engine.h"
#include "filters/schedule.h"

namespace tollgate::filters {

namespace {

std::string where(const std::string& file, int line) {
  return file + ":" + std::to_string(line);
}

std::vector<LoadedList> loadLists(const PolicySpec& spec, const ListLoader& loader) {
  std::vector<LoadedList> lists;
  std::set<std::string, std::less<>> seen;
  for (const ListSpec& ls : spec.lists) {
    const std::string at = where(ls.configFile, ls.configLine) + ": list." + ls.name;
    if (!seen.insert(ls.name).second) throw FilterError(at + ": defined twice");
    std::vector<CompiledListPtr> loaded;
    try {
      loaded = loader(ls);
    } catch (const FilterError&) {
      throw;  // already "file:line: reason", usually the list file's own line
    } catch (const std::exception& ex) {
      throw FilterError(at + ": " + ex.what());
    }
    for (CompiledListPtr& l : loaded) {
      if (!l) throw FilterError(at + ": loader returned no list");
      lists.push_back({ls.name, std::move(l)});
    }
  }
  return lists;
}

std::map<std::string, std::shared_ptr<const Schedule>, std::less<>> parseSchedules(
    const PolicySpec& spec) {
  std::map<std::string, std::shared_ptr<const Schedule>, std::less<>> schedules;
  for (const ScheduleSpec& ss : spec.schedules) {
    auto schedule = std::make_shared<const Schedule>(Schedule::parse(ss));
    if (!schedules.emplace(ss.name, std::move(schedule)).second) {
      throw FilterError(where(ss.configFile, ss.configLine) + ": schedule." + ss.name +
                        ": defined twice");
    }
  }
  return schedules;
}

// "redirect" sends HTTP to [filter] block_redirect; without one it would have nowhere to go.
void checkRedirectTarget(const Group& group, const GroupSpec& gs, const FilterSettings& filter) {
  if (!filter.blockRedirect.empty()) return;
  bool redirects = group.defaultAction == Action::Redirect;
  for (const Rule& r : group.rules) redirects = redirects || r.action == Action::Redirect;
  if (redirects) {
    throw FilterError(where(gs.configFile, gs.configLine) + ": group." + gs.name +
                      ": redirect needs [filter] block_redirect");
  }
}

}  // namespace

PolicyEnginePtr buildPolicyEngine(const PolicySpec& spec, Clock clock, const ListLoader& loader) {
  const FilterSettings& filter = spec.filter;
  if (!filter.tlsBlock.empty() && filter.tlsBlock != "alert" && filter.tlsBlock != "reset") {
    throw FilterError(where(filter.configFile, filter.configLine) + ": [filter] tls_block: '" +
                      filter.tlsBlock + "' is not alert or reset");
  }
  DestinationSet neverBlock = DestinationSet::parseNeverBlock(filter);
  // Schedules and groups first: they are cheap, and a typo there should not cost a long load.
  // Groups need the lists to resolve words, so they are checked for duplicates here and
  // parsed after loading.
  auto schedules = parseSchedules(spec);
  std::set<std::string, std::less<>> groupNames;
  for (const GroupSpec& gs : spec.groups) {
    if (!groupNames.insert(gs.name).second) {
      throw FilterError(where(gs.configFile, gs.configLine) + ": group." + gs.name +
                        ": defined twice");
    }
  }
  std::vector<LoadedList> lists = loadLists(spec, loader);

  const RuleContext context{lists, schedules};
  std::vector<Group> groups;
  groups.reserve(spec.groups.size());
  for (const GroupSpec& gs : spec.groups) {
    groups.push_back(parseGroup(gs, context));
    checkRedirectTarget(groups.back(), gs, filter);
  }
  if (!clock) clock = [] { return static_cast<int64_t>(std::time(nullptr)); };
  return std::make_shared<const PolicyEngine>(std::move(lists), GroupTable(std::move(groups)),
                                              std::move(neverBlock), filter, std::move(clock));
}

}  // namespace tollgate::filters
