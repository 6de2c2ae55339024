#pragma once
// The policy engine: the Policy the daemon asks, compiled from [list.*], [schedule.*],
// [group.*] and [filter] by buildPolicyEngine() on the control plane, immutable afterwards.
//
// One decision, in order:
//   1. the client's group (filters/groups.h: MAC first, then CIDR, then the default group);
//   2. [filter] never_block: destination host or address listed → allow, rule "never_block";
//   3. the group's block_ech: a TLS ClientHello with ECH → block, rule "block_ech" (the SNI
//      the rules would see is only ECH's public name, so no rule can judge such a flow);
//   4. the group's rules in order: the first whose schedule is active now and whose list matches
//      decides, so "allow homework" before "block social" carves homework out of social;
//   5. nothing matched → the group's default, rule "default".
// Then, for an HTTP flow that is allowed or logged in a safe_search group, safeSearchUrl.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "filters/groups.h"
#include "filters/list.h"
#include "filters/destination_set.h"
#include "filters/policy.h"
#include "filters/policy_spec.h"
#include "filters/rules.h"

namespace tollgate::filters {

// How one rule fared, for `tollgatectl explain`.
struct RuleTrace {
  std::string rule;             // as written
  std::string schedule;         // "" = unscheduled
  bool scheduleActive = true;
  bool matched = false;         // one of its lists matched (reported even when inactive)
  std::string list;
  std::string category;
  std::string entry;            // "file:line: entry"
  bool decided = false;         // this rule produced the verdict
};

struct Explanation {
  int64_t unixTime = 0;     // the time the decision used
  std::string localTime;    // "Mon 2024-05-06 06:00 CEST"
  std::string client;       // "10.0.0.7, MAC 02:00:00:00:00:01"
  std::string group;
  std::string groupReason;  // describeChoice()
  std::string neverBlock;   // "file:line: entry" when never_block matched, else ""
  bool blockEch = false;    // the group has block_ech = true
  bool echBlocked = false;  // ... and this flow was blocked for it
  std::vector<RuleTrace> rules;  // every rule of the group, in order
  Verdict verdict;
};

// Multi-line human text of an explanation, as `tollgatectl explain` prints it.
std::string formatExplanation(const Explanation& explanation);

// One compiled list, for `tollgatectl lists`.
struct ListReport {
  std::string name;      // CompiledList::name()
  std::string section;   // the [list.NAME] it came from
  std::string format;
  std::string category;
  ListStats stats;       // entries, skipped, loadMs, memoryBytes, matchNs, warnings
};

class PolicyEngine final : public Policy {
 public:
  // Use buildPolicyEngine(); this only assembles already validated parts.
  PolicyEngine(std::vector<LoadedList> lists, GroupTable groups, DestinationSet neverBlock,
               FilterSettings settings, Clock clock);

  // Const, thread-safe, lock-free (glibc's localtime_r takes its tz lock briefly, and only
  // when a scheduled rule is reached), allocates only the Verdict's strings (and whatever a
  // matching list allocates for its EntryOrigin).
  Verdict decide(const PolicyRequest& request) const override;

  // The same decision with every step recorded; evaluates all rules, even after the deciding
  // one. Allocates freely: control plane only.
  Explanation explain(const PolicyRequest& request) const;

  std::vector<ListReport> lists() const;
  const FilterSettings& settings() const { return settings_; }
  const GroupTable& groups() const { return groups_; }

 private:
  Verdict evaluate(const PolicyRequest& request, Explanation* trace) const;

  std::vector<LoadedList> lists_;
  GroupTable groups_;
  DestinationSet neverBlock_;
  FilterSettings settings_;
  Clock clock_;
};
using PolicyEnginePtr = std::shared_ptr<const PolicyEngine>;

// Turns a ListSpec into compiled lists; the default is loadList() (filters/list.h). Tests pass
// fakes so that the engine can be tested without real list files.
using ListLoader = std::function<std::vector<CompiledListPtr>(const ListSpec&)>;

// Loads every list (may take seconds: control plane only), parses schedules and groups, resolves
// every rule word and @schedule. Throws FilterError("file:line: reason") on the first error;
// nothing is returned half-built. An empty `clock` means the system clock.
PolicyEnginePtr buildPolicyEngine(const PolicySpec& spec, Clock clock,
                                  const ListLoader& loader = &loadList);

}  // namespace tollgate::filters
