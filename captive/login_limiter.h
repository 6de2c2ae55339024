#pragma once
// Per-MAC limits on voucher and password attempts.
//
// Policy (defaults): 5 attempts per 5-minute window are free. The 5th starts a 1-minute lock;
// from then on every further attempt doubles it (2, 4, 8, then 15 minutes at most). A success
// forgets the MAC; so does a window's worth of quiet after the last lock ends.
//
// An attempt counts as failed from the moment it is allowed until success() says otherwise.
// Checking first and recording the failure after the password check would let a client fire
// a hundred requests in parallel during the ~0.2 s each PBKDF2 takes, all before the first
// failure is recorded.
//
// Bounded: at most maxClients MACs are tracked, the least recently seen dropped first. Someone
// who can forge MACs can start over with a fresh one anyway, so a dropped entry gives away
// nothing a forger does not have already.
//
// Thread-safe (one mutex: attempts are rare and the critical section is a hash lookup). The
// clock is injectable for tests; it must be monotonic (steady_clock), so a wall-clock step
// neither lifts nor extends a lock.
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tollgate::captive {

#define TOLLGATE_LIMITER_COUNTERS(X)                        \
  X(allowed) /* attempts let through */                     \
  X(refused) /* attempts refused while locked */            \
  X(locks)   /* locks started (each backoff step is one) */ \
  X(evicted) /* MACs forgotten to stay under maxClients */

class LoginLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  struct Options {
    uint32_t freeAttempts = 5;
    std::chrono::seconds window{300};
    std::chrono::seconds firstLock{60};
    std::chrono::seconds maxLock{900};
    size_t maxClients = 4096;
  };
  struct Counters {
#define TOLLGATE_LIMITER_FIELD(name) uint64_t name = 0;
    TOLLGATE_LIMITER_COUNTERS(TOLLGATE_LIMITER_FIELD)
#undef TOLLGATE_LIMITER_FIELD
  };
  struct Verdict {
    bool allowed = true;
    std::chrono::seconds retryAfter{0};  // when refused: the Retry-After to send, rounded up
  };

  LoginLimiter();
  explicit LoginLimiter(Options options, Clock clock = std::chrono::steady_clock::now);

  // Asks to make one attempt for `mac` (any stable key; the portal passes the canonical MAC).
  // If allowed, the attempt is counted as a failure until success().
  Verdict attempt(std::string_view mac);
  // The attempt succeeded: forget the MAC, lock included.
  void success(std::string_view mac);

  size_t size() const;
  Counters counters() const;

 private:
  using TimePoint = std::chrono::steady_clock::time_point;
  struct Entry {
    std::string key;
    TimePoint windowStart{};
    uint32_t attempts = 0;  // in the current window, before the first lock
    uint32_t locks = 0;     // backoff level: 0 until the first lock
    TimePoint lockedUntil{};
  };
  void lock(Entry& e, TimePoint now);

  const Options options_;
  const Clock clock_;
  mutable std::mutex mutex_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  Counters counters_;
};

}  // namespace tollgate::captive
