#include "captive/login_limiter.h"

#include <algorithm>
#include <stdexcept>

namespace tollgate::captive {

LoginLimiter::LoginLimiter() : LoginLimiter(Options{}) {}

LoginLimiter::LoginLimiter(Options options, Clock clock)
    : options_(options), clock_(std::move(clock)) {
  // A zero cap would make every attempt evict itself; one free attempt is the least that
  // still lets a guest log in.
  if (options_.maxClients == 0 || options_.freeAttempts == 0) {
    throw std::invalid_argument("LoginLimiter needs maxClients and freeAttempts above 0");
  }
}

LoginLimiter::Verdict LoginLimiter::attempt(std::string_view mac) {
  const TimePoint now = clock_();
  std::lock_guard guard(mutex_);
  std::string key(mac);
  Entry* e;
  if (auto it = index_.find(key); it != index_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);  // iterators stay valid across splice
    e = &*it->second;
  } else {
    if (index_.size() >= options_.maxClients) {
      index_.erase(lru_.back().key);
      lru_.pop_back();
      ++counters_.evicted;
    }
    lru_.push_front(Entry{key, now, 0, 0, {}});
    index_.emplace(std::move(key), lru_.begin());
    e = &lru_.front();
  }

  if (now < e->lockedUntil) {
    ++counters_.refused;
    // Rounded up: a client told "retry after 0" while still locked would retry at once.
    auto wait = std::chrono::ceil<std::chrono::seconds>(e->lockedUntil - now);
    return Verdict{false, wait};
  }
  if (e->locks > 0 && now - e->lockedUntil >= options_.window) {
    // Quiet for a whole window since the last lock ended: start from scratch.
    e->locks = 0;
    e->attempts = 0;
    e->windowStart = now;
  }
  if (e->locks == 0 && now - e->windowStart >= options_.window) {
    e->attempts = 0;
    e->windowStart = now;
  }
  if (e->locks > 0) {
    lock(*e, now);  // after a lock, each attempt earns the next, longer one unless it succeeds
  } else if (++e->attempts >= options_.freeAttempts) {
    lock(*e, now);  // the last free attempt is allowed; the lock covers what follows it
  }
  ++counters_.allowed;
  return Verdict{true, std::chrono::seconds{0}};
}

void LoginLimiter::lock(Entry& e, TimePoint now) {
  // firstLock × 2^locks, capped; doubled step by step so no shift can overflow.
  auto step = std::chrono::duration_cast<std::chrono::steady_clock::duration>(options_.firstLock);
  const auto cap =
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(options_.maxLock);
  for (uint32_t i = 0; i < e.locks && step < cap; ++i) step *= 2;
  e.lockedUntil = now + std::min(step, cap);
  ++e.locks;
  ++counters_.locks;
}

void LoginLimiter::success(std::string_view mac) {
  std::lock_guard guard(mutex_);
  auto it = index_.find(std::string(mac));
  if (it == index_.end()) return;
  lru_.erase(it->second);
  index_.erase(it);
}

size_t LoginLimiter::size() const {
  std::lock_guard guard(mutex_);
  return index_.size();
}

LoginLimiter::Counters LoginLimiter::counters() const {
  std::lock_guard guard(mutex_);
  return counters_;
}

}  // namespace tollgate::captive
