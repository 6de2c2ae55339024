#include "filters/lists/line_formats.h"

#include <array>

#include "filters/address.h"
#include "filters/list.h"
#include "filters/lists/url_prefix_set.h"

namespace tollgate::filters::lists {

namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

// Drops a "#" comment and surrounding spaces. A UTF-8 BOM on the first line is dropped too:
// editors on Windows add one and it would make the first entry invalid.
std::string_view stripComment(std::string_view line) {
  if (line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
  size_t hash = line.find('#');
  if (hash != std::string_view::npos) line = line.substr(0, hash);
  return trimSpaces(line);
}

std::string_view nextToken(std::string_view& s) {
  size_t i = 0;
  while (i < s.size() && isSpace(s[i])) ++i;
  size_t start = i;
  while (i < s.size() && !isSpace(s[i])) ++i;
  std::string_view token = s.substr(start, i - start);
  s.remove_prefix(i);
  return token;
}

// Keeps the vector's capacity: a list of a million lines parses without a million allocations.
void reset(ParsedLine& out) {
  out.kind = LineKind::Blank;
  out.entries.clear();
  out.why.clear();
}

void skip(ParsedLine& out, std::string why) {
  out.kind = LineKind::Skipped;
  out.why = std::move(why);
}

void addName(std::string_view name, ParsedLine& out) {
  std::string normalised;
  if (!normalizeHost(name, normalised)) {
    skip(out, "invalid host name '" + std::string(name) + "'");
    return;
  }
  out.kind = LineKind::Entries;
  out.entries.push_back(std::move(normalised));
}

bool isBoilerplateHostName(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kNames = {
      "localhost",      "localhost.localdomain", "local",          "broadcasthost",
      "0.0.0.0",        "ip6-localhost",         "ip6-loopback",   "ip6-localnet",
      "ip6-mcastprefix", "ip6-allnodes",         "ip6-allrouters", "ip6-allhosts"};
  for (auto n : kNames) {
    if (name == n) return true;
  }
  return false;
}

bool isSinkAddress(std::string_view a) {
  return a == "0.0.0.0" || a == "127.0.0.1" || a == "::" || a == "::1";
}

}  // namespace

std::string_view trimSpaces(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return s;
}

void parseDomainsLine(std::string_view line, ParsedLine& out) {
  reset(out);
  std::string_view rest = stripComment(line);
  if (rest.empty()) return;
  std::string_view name = nextToken(rest);
  if (!trimSpaces(rest).empty()) {
    skip(out, "expected one name per line");
    return;
  }
  if (name.substr(0, 2) == "*.") name.remove_prefix(2);
  addName(name, out);
}

void parseHostsLine(std::string_view line, ParsedLine& out) {
  reset(out);
  std::string_view rest = stripComment(line);
  if (rest.empty()) return;
  std::string_view address = nextToken(rest);
  std::vector<std::string_view> names;
  bool boilerplate = false;
  for (std::string_view n = nextToken(rest); !n.empty(); n = nextToken(rest)) {
    if (isBoilerplateHostName(n)) {
      boilerplate = true;
    } else {
      names.push_back(n);
    }
  }
  if (names.empty()) {
    // "127.0.0.1 localhost" and friends are part of every hosts file: not worth a warning.
    if (!boilerplate) skip(out, "expected 'address name...'");
    return;
  }
  if (!isSinkAddress(address)) {
    skip(out, "address '" + std::string(address) +
                  "' is not a sinkhole (0.0.0.0, 127.0.0.1, ::, ::1)");
    return;
  }
  std::string firstBad;
  for (auto n : names) {
    ParsedLine one;
    addName(n, one);
    if (one.kind == LineKind::Entries) {
      out.entries.push_back(std::move(one.entries.front()));
    } else if (firstBad.empty()) {
      firstBad = std::move(one.why);
    }
  }
  if (out.entries.empty()) {
    skip(out, firstBad);
  } else {
    out.kind = LineKind::Entries;
  }
}

void parseAdblockLine(std::string_view line, ParsedLine& out) {
  reset(out);
  std::string_view s = trimSpaces(line);
  if (s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
  if (s.empty() || s.front() == '!' || s.front() == '[') return;
  // "# comment" lines occur in adblock-style DNS lists; "##", "#@#", "#?#", "#$#" are cosmetic
  // filters and must be counted as skipped.
  if (s.front() == '#' && (s.size() == 1 || (s[1] != '#' && s[1] != '@' && s[1] != '?' &&
                                             s[1] != '$'))) {
    return;
  }
  if (s.substr(0, 2) == "@@") return skip(out, "exception rule not supported");
  if (s.find("##") != std::string_view::npos || s.find("#@#") != std::string_view::npos ||
      s.find("#?#") != std::string_view::npos || s.find("#$#") != std::string_view::npos) {
    return skip(out, "element hiding rule not supported");
  }
  if (s.substr(0, 2) != "||") return skip(out, "only ||domain^ rules are supported");
  s.remove_prefix(2);
  size_t caret = s.find('^');
  if (caret == std::string_view::npos) return skip(out, "only ||domain^ rules are supported");
  std::string_view domain = s.substr(0, caret);
  std::string_view tail = s.substr(caret + 1);
  if (!tail.empty() && tail != "$important") {
    return skip(out, tail.front() == '$' ? "options narrow the rule ('" + std::string(tail) + "')"
                                         : "path or pattern after the domain");
  }
  if (domain.find_first_of("*/|:") != std::string_view::npos) {
    return skip(out, "wildcard or path in the domain");
  }
  addName(domain, out);
}

void parseUrlsLine(std::string_view line, ParsedLine& out) {
  reset(out);
  std::string_view s = trimSpaces(line);
  if (s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
  if (s.empty() || s.front() == '#') return;
  std::string key;
  std::string why;
  if (!normalizeUrlEntry(s, key, why)) return skip(out, why);
  out.kind = LineKind::Entries;
  out.entries.push_back(std::move(key));
}

void parseRegexLine(std::string_view line, ParsedLine& out) {
  reset(out);
  std::string_view s = trimSpaces(line);
  if (s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
  if (s.empty() || s.front() == '#') return;
  out.kind = LineKind::Entries;
  out.entries.emplace_back(s);
}

void parseCidrLine(std::string_view line, ParsedLine& out) {
  reset(out);
  std::string_view s = stripComment(line);
  if (s.empty()) return;
  std::string why;
  if (!parseCidr(s, why)) return skip(out, why);
  out.kind = LineKind::Entries;
  out.entries.emplace_back(s);
}

}  // namespace tollgate::filters::lists
