#include "filters/rules.h"

#include <algorithm>
#include <cctype>

namespace tollgate::filters {

namespace {

std::vector<std::string_view> splitBlanks(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t start = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

void addOnce(std::vector<CompiledListPtr>& out, const CompiledListPtr& list) {
  if (std::find(out.begin(), out.end(), list) == out.end()) out.push_back(list);
}

Rule parseOne(const std::vector<std::string_view>& tokens, const RuleContext& context,
              const std::string& where) {
  Rule rule;
  for (std::string_view t : tokens) {
    if (!rule.text.empty()) rule.text += ' ';
    rule.text += t;
  }
  auto fail = [&](const std::string& reason) {
    throw FilterError(where + ": rule '" + rule.text + "': " + reason);
  };
  std::optional<Action> action = parseAction(tokens[0]);
  if (!action) {
    fail("unknown action '" + std::string(tokens[0]) + "' (allow|block|log|redirect)");
  }
  rule.action = *action;
  if (tokens.size() < 2 || tokens[1].front() == '@') fail("missing list name");
  if (tokens.size() > 3) fail("expected ACTION WORD [@SCHEDULE]");
  rule.word = std::string(tokens[1]);
  rule.lists = resolveWord(rule.word, context.lists);
  if (rule.lists.empty()) fail("unknown list or category '" + rule.word + "'");
  if (tokens.size() == 3) {
    std::string_view at = tokens[2];
    if (at.front() != '@' || at.size() == 1) fail("expected @SCHEDULE, got '" + std::string(at) + "'");
    auto it = context.schedules.find(at.substr(1));
    if (it == context.schedules.end()) fail("unknown schedule '" + std::string(at.substr(1)) + "'");
    rule.schedule = it->second;
  }
  return rule;
}

}  // namespace

std::optional<Action> parseAction(std::string_view word) {
  if (word == "allow") return Action::Allow;
  if (word == "block") return Action::Block;
  if (word == "log") return Action::Log;
  if (word == "redirect") return Action::Redirect;
  return std::nullopt;
}

std::vector<CompiledListPtr> resolveWord(std::string_view word,
                                         const std::vector<LoadedList>& lists) {
  std::vector<CompiledListPtr> out;
  size_t slash = word.find('/');
  for (const LoadedList& l : lists) {
    const CompiledList& list = *l.list;
    bool hit = l.section == word || list.name() == word || list.category() == word;
    if (!hit && slash != std::string_view::npos && l.section == word.substr(0, slash)) {
      std::string_view category = word.substr(slash + 1);
      hit = list.category() == category || list.name() == category;
    }
    if (hit) addOnce(out, l.list);
  }
  return out;
}

std::vector<Rule> parseRules(std::string_view text, const RuleContext& context,
                             const std::string& where) {
  std::vector<Rule> rules;
  while (!text.empty()) {
    size_t semi = text.find(';');
    std::vector<std::string_view> tokens = splitBlanks(text.substr(0, semi));
    // Empty items ("a; ; b", a trailing ';') are harmless and common when editing by hand.
    if (!tokens.empty()) rules.push_back(parseOne(tokens, context, where));
    if (semi == std::string_view::npos) break;
    text.remove_prefix(semi + 1);
  }
  return rules;
}

}  // namespace tollgate::filters
