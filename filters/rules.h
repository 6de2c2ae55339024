#pragma once
// The rule language of [group.NAME] rules = "ACTION WORD [@SCHEDULE]; ...".
//
// WORD names lists, resolved once at build time to every loaded list it can mean (the union,
// in [list.*] config order):
//   - a [list.NAME] section name: every list that section loaded (a UT1 folder: all categories);
//   - "NAME/category": the lists of section NAME whose category() (or name()) is "category";
//   - a bare category: any list, from any section, whose category() or name() equals it.
// So with [list.ads] (domains) and a UT1 folder holding an "ads" category, "block ads" blocks
// both. A word that resolves to nothing is a config error, never a silently dead rule.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filters/list.h"
#include "filters/policy.h"
#include "filters/schedule.h"

namespace tollgate::filters {

struct Rule {
  Action action = Action::Allow;
  std::string text;  // as written, blanks collapsed: "block social @school-nights"
  std::string word;
  std::vector<CompiledListPtr> lists;        // never empty
  std::shared_ptr<const Schedule> schedule;  // null = always active
};

// A loaded list and the [list.NAME] section it came from.
struct LoadedList {
  std::string section;
  CompiledListPtr list;
};

// What rule words and @schedules can refer to.
struct RuleContext {
  const std::vector<LoadedList>& lists;
  const std::map<std::string, std::shared_ptr<const Schedule>, std::less<>>& schedules;
};

std::optional<Action> parseAction(std::string_view word);

// Every list `word` means (see above); empty when it means none.
std::vector<CompiledListPtr> resolveWord(std::string_view word,
                                         const std::vector<LoadedList>& lists);

// Parses a whole rules value. `where` prefixes errors, e.g. "kids.conf:12: group.kids".
// Throws FilterError("where: rule 'block foo': unknown list or category 'foo'").
std::vector<Rule> parseRules(std::string_view text, const RuleContext& context,
                             const std::string& where);

}  // namespace tollgate::filters
