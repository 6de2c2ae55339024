#pragma once
// A fixed-bucket latency histogram, one per worker inside its CounterBlock. Same discipline as
// the counters: the worker is the only writer, so an observation is a few relaxed load+store
// pairs (no locked RMW, no allocation); readers (metrics) load the buckets racily and sum the
// workers' snapshots. A reader may see a bucket without the matching sum for one scrape; the
// count is derived from the buckets, so count and the +Inf bucket always agree.
#include <array>
#include <atomic>
#include <cstdint>

namespace tollgate {

class LatencyHistogram {
 public:
  // Upper bounds in microseconds (Prometheus exports seconds): 0.5 ms .. 5 s, the range from a
  // LAN origin to a slow one across the world. Observations past the last go to +Inf.
  static constexpr std::array<uint64_t, 13> kBoundsUs = {500,     1000,    2000,   5000,   10000,
                                                         25000,   50000,   100000, 250000, 500000,
                                                         1000000, 2500000, 5000000};
  static constexpr size_t kBuckets = kBoundsUs.size() + 1;  // the last one is +Inf

  struct Snapshot {
    std::array<uint64_t, kBuckets> buckets{};  // per bucket, not cumulative
    uint64_t sumUs = 0;
    uint64_t count() const {
      uint64_t n = 0;
      for (auto b : buckets) n += b;
      return n;
    }
    Snapshot& operator+=(const Snapshot& other) {
      for (size_t i = 0; i < kBuckets; ++i) buckets[i] += other.buckets[i];
      sumUs += other.sumUs;
      return *this;
    }
  };

  // Worker thread only. Negative durations (a clock step) count as 0.
  void observeUs(int64_t us) {
    uint64_t v = us > 0 ? static_cast<uint64_t>(us) : 0;
    size_t i = 0;
    while (i < kBoundsUs.size() && v > kBoundsUs[i]) ++i;
    bump(buckets_[i], 1);
    bump(sumUs_, v);
  }
  // The loop clock has millisecond resolution, so most callers have milliseconds.
  void observeMs(int64_t ms) { observeUs(ms * 1000); }

  // Any thread.
  Snapshot snapshot() const {
    Snapshot s;
    for (size_t i = 0; i < kBuckets; ++i)
      s.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
    s.sumUs = sumUs_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  static void bump(std::atomic<uint64_t>& v, uint64_t n) {
    v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  std::array<std::atomic<uint64_t>, kBuckets> buckets_{};
  std::atomic<uint64_t> sumUs_{0};
};

}  // namespace tollgate
