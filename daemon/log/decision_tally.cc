#include "daemon/log/decision_tally.h"

namespace tollgate::log {

void DecisionTally::add(std::string_view action, std::string_view list, std::string_view group) {
  std::lock_guard lock(mutex_);
  // Heterogeneous lookup: the common case (a known label set) allocates nothing.
  auto it = counts_.find(std::make_tuple(action, list, group));
  if (it != counts_.end()) {
    ++it->second;
    return;
  }
  if (counts_.size() >= kMaxEntries) {
    ++overflowed_;
    list = "other";
    // Groups come from the config and are few, but a long run of reloads could still grow them.
    if (counts_.size() >= 2 * kMaxEntries) group = "other";
  }
  ++counts_[Key(action, list, group)];
}

std::vector<DecisionTally::Entry> DecisionTally::entries() const {
  std::lock_guard lock(mutex_);
  std::vector<Entry> out;
  out.reserve(counts_.size());
  for (auto& [key, n] : counts_)
    out.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), n});
  return out;
}

uint64_t DecisionTally::overflowed() const {
  std::lock_guard lock(mutex_);
  return overflowed_;
}

}  // namespace tollgate::log
