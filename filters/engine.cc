#include "filters/engine.h"

#include <ctime>
#include <optional>

#include "filters/doh_endpoints.h"
#include "filters/safe_search.h"
#include "filters/schedule.h"

namespace tollgate::filters {

namespace {

std::string_view withoutScheme(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) == kScheme) url.remove_prefix(kScheme.size());
  return url;
}

std::string entryText(const EntryOrigin& origin) {
  return origin.file + ":" + std::to_string(origin.line) + ": " + origin.entry;
}

// The contract says category is the UT1 folder name, else the list name.
const std::string& categoryOf(const CompiledList& list) {
  return list.category().empty() ? list.name() : list.category();
}

std::string formatLocal(const std::tm& tm) {
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%a %Y-%m-%d %H:%M %Z", &tm);
  return std::string(buf, n);
}

}  // namespace

PolicyEngine::PolicyEngine(std::vector<LoadedList> lists, GroupTable groups,
                           DestinationSet neverBlock, FilterSettings settings, Clock clock)
    : lists_(std::move(lists)),
      groups_(std::move(groups)),
      neverBlock_(std::move(neverBlock)),
      settings_(std::move(settings)),
      clock_(std::move(clock)) {}

Verdict PolicyEngine::decide(const PolicyRequest& request) const {
  return evaluate(request, nullptr);
}

Explanation PolicyEngine::explain(const PolicyRequest& request) const {
  Explanation e;
  evaluate(request, &e);
  return e;
}

// decide() and explain() share this walk so that an explanation can never disagree with the
// decision it explains. With `trace` null it stops at the deciding step and touches no heap
// beyond the Verdict.
Verdict PolicyEngine::evaluate(const PolicyRequest& request, Explanation* trace) const {
  const GroupChoice choice = groups_.select(request);
  const Group& group = *choice.group;
  const int64_t now = request.unixTime != 0 ? request.unixTime : clock_();
  MatchError matchError = MatchError::None;
  const MatchInput input{request.host, withoutScheme(request.url), request.destination, &matchError};

  Verdict v;
  v.group = group.name;
  bool decided = false;
  // Local time is only worth its conversion when a scheduled rule is actually reached.
  std::optional<std::tm> local;
  if (trace != nullptr) {
    local = localTime(now);
    trace->unixTime = now;
    trace->localTime = formatLocal(*local);
    trace->client = formatAddress(request.client);
    if (request.mac) trace->client += ", MAC " + formatMac(*request.mac);
    trace->group = group.name;
    trace->groupReason = describeChoice(choice, request);
    trace->blockEch = group.blockEch;
  }

  if (const std::string* entry = neverBlock_.match(request.host, request.destination)) {
    v.action = Action::Allow;
    v.rule = "never_block";
    decided = true;
    if (trace != nullptr) {
      v.entry = neverBlock_.origin() + ": " + *entry;
      trace->neverBlock = v.entry;
    }
  }

  // DoH endpoints, for groups that filter: a browser resolving through one would bypass every
  // list and safe search (filters/doh_endpoints.h).
  const bool groupFilters = !group.rules.empty() || group.defaultAction != Action::Allow;
  if (!decided && settings_.blockDoh && groupFilters && isDohEndpoint(request.host)) {
    v.action = Action::Block;
    v.rule = "block_doh";
    decided = true;
  }

  const bool tlsLike = request.protocol == Protocol::Tls || request.protocol == Protocol::Quic;
  if (!decided && group.blockEch && tlsLike && request.hasEch) {
    v.action = Action::Block;
    v.rule = "block_ech";
    decided = true;
    if (trace != nullptr) trace->echBlocked = true;
  }

  for (const Rule& rule : group.rules) {
    if (decided && trace == nullptr) break;
    bool active = true;
    if (rule.schedule) {
      if (!local) local = localTime(now);
      active = rule.schedule->activeAt(*local);
    }
    // An explanation still reports whether an inactive rule's list would have matched.
    if (!active && trace == nullptr) continue;
    std::optional<ListHit> hit;
    bool undecidable = false;
    const CompiledList* hitList = nullptr;
    for (const CompiledListPtr& list : rule.lists) {
      hit = list->find(input);
      if (!hit && matchError != MatchError::None) {
        // The list could not decide (a regex set ran out of DFA memory). Never a silent
        // non-match: a block rule fails closed; an allow rule does not carve an exception.
        matchError = MatchError::None;
        if (rule.action == Action::Block || rule.action == Action::Redirect) {
          hit = ListHit{};
          undecidable = true;
        }
      }
      if (hit) {
        hitList = list.get();
        break;
      }
    }
    // Text for the hit only where someone reads it: the deciding rule and explanations.
    auto hitText = [&]() {
      return undecidable ? hitList->name() + ": (could not decide: regex memory exhausted)"
                         : entryText(hitList->origin(*hit));
    };
    const bool decides = !decided && active && hit.has_value();
    if (decides) {
      v.action = rule.action;
      v.rule = rule.text;
      v.list = hitList->name();
      v.category = categoryOf(*hitList);
      if (trace != nullptr) v.entry = hitText();
      decided = true;
    }
    if (trace != nullptr) {
      RuleTrace& t = trace->rules.emplace_back();
      t.rule = rule.text;
      t.schedule = rule.schedule ? rule.schedule->name() : "";
      t.scheduleActive = active;
      t.matched = hit.has_value();
      if (hit) {
        t.list = hitList->name();
        t.category = categoryOf(*hitList);
        t.entry = decides ? v.entry : hitText();
      }
      t.decided = decides;
    }
  }

  if (!decided) {
    v.action = group.defaultAction;
    v.rule = "default";
  }

  // Log relays like Allow, so a logged search must be made safe too.
  if (group.safeSearch && request.protocol == Protocol::Http &&
      (v.action == Action::Allow || v.action == Action::Log)) {
    v.safeSearchUrl = safeSearchUrl(request.host, request.url);
  }
  if (request.protocol == Protocol::Dns) {
    if (group.safeSearch && (v.action == Action::Allow || v.action == Action::Log))
      v.safeSearchHost = safeSearchDnsHost(request.host);
    v.groupFilters = groupFilters;
  }
  if (trace != nullptr) trace->verdict = v;
  return v;
}

std::vector<ListReport> PolicyEngine::lists() const {
  std::vector<ListReport> out;
  out.reserve(lists_.size());
  for (const LoadedList& l : lists_) {
    out.push_back({l.list->name(), l.section, l.list->format(), categoryOf(*l.list),
                   l.list->stats()});
  }
  return out;
}

std::string formatExplanation(const Explanation& e) {
  std::string out;
  out += "time:        " + e.localTime + " (" + std::to_string(e.unixTime) + ")\n";
  out += "client:      " + e.client + "\n";
  out += "group:       " + e.groupReason + "\n";
  out += "never_block: " + (e.neverBlock.empty() ? std::string("no match") : e.neverBlock) + "\n";
  out += "block_ech:   ";
  out += !e.blockEch ? "off" : e.echBlocked ? "on, ClientHello carries ECH: blocked" : "on";
  out += "\nrules:";
  if (e.rules.empty()) out += "       (none)";
  out += "\n";
  int n = 0;
  for (const RuleTrace& r : e.rules) {
    out += "  " + std::to_string(++n) + ". " + r.rule + ": ";
    if (!r.schedule.empty()) {
      out += "schedule " + r.schedule + (r.scheduleActive ? " active, " : " inactive, ");
    }
    out += r.matched ? "matched " + r.list + " (" + r.entry + ")" : std::string("no match");
    if (r.decided) out += "  <- decides";
    out += "\n";
  }
  const Verdict& v = e.verdict;
  out += "verdict:     " + std::string(toString(v.action)) + " by rule \"" + v.rule + "\"";
  if (!v.list.empty()) out += ", list " + v.list + ", category " + v.category;
  if (!v.entry.empty()) out += ", entry " + v.entry;
  out += "\n";
  if (!v.safeSearchUrl.empty()) out += "safe search: 302 to " + v.safeSearchUrl + "\n";
  return out;
}

}  // namespace tollgate::filters
