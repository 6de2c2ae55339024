// The per-MAC attempt limiter on a fake monotonic clock: free attempts, the first lock, the
// doubling up to the cap, forgiveness after quiet, success, the memory cap, and threads.
#include "captive/login_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace tollgate::captive {
namespace {

using namespace std::chrono_literals;

constexpr const char* kMac = "02:00:00:00:00:0a";
constexpr const char* kOther = "02:00:00:00:00:0b";

class LoginLimiterTest : public ::testing::Test {
 protected:
  LoginLimiter make(LoginLimiter::Options options = {}) {
    return LoginLimiter(options, [this] { return now_; });
  }
  void advance(std::chrono::steady_clock::duration d) { now_ += d; }
  // Uses up the free attempts, the last of which starts the first lock.
  void burn(LoginLimiter& limiter, const char* mac = kMac) {
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(limiter.attempt(mac).allowed) << "attempt " << i;
  }

  std::chrono::steady_clock::time_point now_{std::chrono::hours(1000)};
};

TEST_F(LoginLimiterTest, FiveAttemptsAreFreeThenAMinuteLock) {
  auto limiter = make();
  burn(limiter);
  auto v = limiter.attempt(kMac);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.retryAfter, 60s);
  EXPECT_TRUE(limiter.attempt(kOther).allowed);  // strictly per MAC
  advance(59s);
  EXPECT_EQ(limiter.attempt(kMac).retryAfter, 1s);
  advance(1s);
  EXPECT_TRUE(limiter.attempt(kMac).allowed);
  auto c = limiter.counters();
  EXPECT_EQ(c.allowed, 7u);
  EXPECT_EQ(c.refused, 2u);
}

TEST_F(LoginLimiterTest, EachAttemptAfterALockDoublesItUpToFifteenMinutes) {
  auto limiter = make();
  burn(limiter);
  std::vector<std::chrono::seconds> locks;
  for (int i = 0; i < 6; ++i) {
    auto refused = limiter.attempt(kMac);
    ASSERT_FALSE(refused.allowed);
    locks.push_back(refused.retryAfter);
    advance(refused.retryAfter);
    ASSERT_TRUE(limiter.attempt(kMac).allowed);  // one try per lock, which earns the next
  }
  EXPECT_EQ(locks, (std::vector<std::chrono::seconds>{60s, 120s, 240s, 480s, 900s, 900s}));
}

TEST_F(LoginLimiterTest, RetryAfterIsRoundedUp) {
  auto limiter = make();
  burn(limiter);
  advance(59s + 500ms);
  auto v = limiter.attempt(kMac);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.retryAfter, 1s);  // not 0: that would invite an immediate retry
}

TEST_F(LoginLimiterTest, SuccessForgetsTheMacLockIncluded) {
  auto limiter = make();
  burn(limiter);
  limiter.success(kMac);
  EXPECT_EQ(limiter.size(), 0u);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.attempt(kMac).allowed);
}

TEST_F(LoginLimiterTest, AttemptsOutsideTheWindowAreFree) {
  auto limiter = make();
  for (int i = 0; i < 4; ++i) limiter.attempt(kMac);
  advance(5min);  // a new window: four old attempts no longer count
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(limiter.attempt(kMac).allowed);
  EXPECT_TRUE(limiter.attempt(kMac).allowed);  // the fifth in this window: allowed, then locks
  EXPECT_FALSE(limiter.attempt(kMac).allowed);
}

TEST_F(LoginLimiterTest, AWindowOfQuietAfterALockStartsOver) {
  auto limiter = make();
  burn(limiter);
  advance(60s);
  limiter.attempt(kMac);  // locks for 120 s
  advance(120s + 5min - 1s);
  limiter.attempt(kMac);  // not quiet long enough: locks for 240 s
  advance(240s + 5min);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.attempt(kMac).allowed) << i;
  EXPECT_EQ(limiter.attempt(kMac).retryAfter, 60s);  // back to the first step
}

TEST_F(LoginLimiterTest, MemoryIsCappedByDroppingTheLeastRecentlySeen) {
  LoginLimiter::Options options;
  options.maxClients = 3;
  auto limiter = make(options);
  burn(limiter, "02:00:00:00:00:01");
  limiter.attempt("02:00:00:00:00:02");
  limiter.attempt("02:00:00:00:00:03");
  EXPECT_FALSE(limiter.attempt("02:00:00:00:00:01").allowed);  // refreshed: now the newest
  limiter.attempt("02:00:00:00:00:04");                        // drops ...:02
  EXPECT_EQ(limiter.size(), 3u);
  EXPECT_EQ(limiter.counters().evicted, 1u);
  EXPECT_FALSE(limiter.attempt("02:00:00:00:00:01").allowed);  // still locked
}

TEST_F(LoginLimiterTest, ConcurrentAttemptsCannotOutrunTheCount) {
  // Attempts count as failures when allowed, so parallel requests from one MAC get exactly the
  // free attempts between them, however they interleave.
  auto limiter = make();
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (limiter.attempt(kMac).allowed) ++allowed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 5);
  EXPECT_EQ(limiter.counters().refused, 395u);
}

TEST(LoginLimiterOptionsTest, ZeroCapsAreRefused) {
  LoginLimiter::Options options;
  options.maxClients = 0;
  EXPECT_THROW(LoginLimiter{options}, std::invalid_argument);
}

}  // namespace
}  // namespace tollgate::captive
