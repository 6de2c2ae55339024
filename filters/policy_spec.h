#pragma once
// The filter configuration as the config parser hands it over: plain strings exactly as written,
// each section remembering where it is so that every error can say "file:line: reason".
// buildPolicyEngine() (filters/engine.h) validates and compiles all of it; nothing here is
// interpreted by the parser, so the filter layer owns the meaning of its own keys.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "filters/list.h"

namespace tollgate::filters {

// Unix seconds "now". Injected so tests and `tollgatectl explain --at` can pick the time.
using Clock = std::function<int64_t()>;

// [schedule.NAME]
struct ScheduleSpec {
  std::string name;
  std::string days;   // "mon-fri,sun"; empty = every day
  std::string hours;  // "21:00-07:00, 12:00-13:00"; empty = all day
  std::string configFile;
  int configLine = 0;
};

// [group.NAME]
struct GroupSpec {
  std::string name;
  std::string clients;        // "10.0.0.0/24, fd00::/64, 02:00:00:00:00:01"
  std::string rules;          // "block ads; block social @school-nights; allow homework"
  std::string defaultAction;  // allow|block|log|redirect; empty = allow
  std::string safeSearch;     // true|false; empty = false
  std::string blockEch;       // true|false; empty = false
  std::string configFile;
  int configLine = 0;
};

// [filter] keys the engine needs (the daemon reads the others, e.g. block_page, itself).
struct FilterSettings {
  std::string tlsBlock;       // alert|reset; empty = alert
  std::string blockPage;
  std::string blockRedirect;  // required when any rule or default says "redirect"
  std::string neverBlock;     // "gateway.lan, 10.0.0.1, 192.168.1.0/24"
  bool blockDoh = false;      // [dns] block_doh: known DoH endpoints blocked in filtering groups
  std::string configFile;
  int configLine = 0;
};

struct PolicySpec {
  std::vector<ListSpec> lists;
  std::vector<ScheduleSpec> schedules;
  std::vector<GroupSpec> groups;  // config order: it decides which group wins
  FilterSettings filter;
};

}  // namespace tollgate::filters
