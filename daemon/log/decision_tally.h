#pragma once
// Decisions counted by (action, list, group), for the metrics endpoint. The logging thread
// already sees every record that was queued, so it counts there: the workers pay nothing. Label
// sets are bounded (kMaxEntries) because list names include UT1 categories and a metrics
// scraper must never see an unbounded series count: past the cap, new pairs count under
// list="other" (and group="other" past twice the cap), and each such record is counted in
// overflowed(). Records a worker dropped at a full queue are not here (log_lines_dropped).
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace tollgate::log {

class DecisionTally {
 public:
  static constexpr size_t kMaxEntries = 1000;

  struct Entry {
    std::string action;
    std::string list;  // empty: decided by a group default, no list matched
    std::string group;
    uint64_t count = 0;
  };

  // Logging thread. `action` is the record's (allow, block, log, redirect, error, portal...).
  void add(std::string_view action, std::string_view list, std::string_view group);
  // Any thread: every label set so far, in (action, list, group) order.
  std::vector<Entry> entries() const;
  uint64_t overflowed() const;

 private:
  using Key = std::tuple<std::string, std::string, std::string>;
  mutable std::mutex mutex_;  // logging thread vs. the metrics thread; never a worker
  std::map<Key, uint64_t, std::less<>> counts_;
  uint64_t overflowed_ = 0;
};

}  // namespace tollgate::log
