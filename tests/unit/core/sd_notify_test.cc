// sd_notify without libsystemd: a datagram socket stands in for the service manager.
#include "daemon/core/sd_notify.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <string>

using tollgate::sd::Notifier;
using tollgate::sd::NotifyCounter;
using namespace std::chrono_literals;

namespace {

// A bound AF_UNIX datagram socket: a file under /tmp, or an abstract name.
class FakeManager {
 public:
  explicit FakeManager(bool abstract) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::string name =
        "tollgate-sd-notify-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++);
    socklen_t len;
    if (abstract) {
      address_ = "@" + name;
      std::memcpy(sa.sun_path + 1, name.data(), name.size());
      len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    } else {
      path_ = "/tmp/" + name;
      address_ = path_;
      std::memcpy(sa.sun_path, path_.data(), path_.size());
      len = sizeof sa;
    }
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), len) == 0;
    timeval tv{2, 0};  // a missing datagram fails the test instead of hanging it
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~FakeManager() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  bool bound() const { return bound_; }
  const std::string& address() const { return address_; }
  // One datagram, or "" after the timeout.
  std::string receive() {
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }

 private:
  static inline int counter_ = 0;
  int fd_ = -1;
  bool bound_ = false;
  std::string path_;
  std::string address_;
};

// Sets or unsets an environment variable for one test, restoring it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = ::getenv(name)) old_ = old, had_ = true;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (had_)
      ::setenv(name_, old_.c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

}  // namespace

TEST(SdNotify, ReadyReloadingStoppingReachAPathSocket) {
  FakeManager manager(false);
  ASSERT_TRUE(manager.bound());
  Notifier n(manager.address(), 0us);
  EXPECT_TRUE(n.active());
  EXPECT_TRUE(n.ready("running, config /etc/tollgate/tollgate.conf"));
  EXPECT_EQ(manager.receive(), "READY=1\nSTATUS=running, config /etc/tollgate/tollgate.conf");
  EXPECT_TRUE(n.reloading());
  std::string reloading = manager.receive();
  EXPECT_EQ(reloading.rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << reloading;
  EXPECT_TRUE(n.ready());
  EXPECT_EQ(manager.receive(), "READY=1");
  EXPECT_TRUE(n.stopping());
  EXPECT_EQ(manager.receive(), "STOPPING=1");
  EXPECT_EQ(n.count(NotifyCounter::sent), 4u);
  EXPECT_EQ(n.count(NotifyCounter::send_failed), 0u);
}

TEST(SdNotify, MonotonicUsecIsTheMonotonicClockNow) {
  FakeManager manager(false);
  ASSERT_TRUE(manager.bound());
  Notifier n(manager.address(), 0us);
  timespec before{}, after{};
  ::clock_gettime(CLOCK_MONOTONIC, &before);
  ASSERT_TRUE(n.reloading());
  ::clock_gettime(CLOCK_MONOTONIC, &after);
  std::string m = manager.receive();
  uint64_t usec = std::stoull(m.substr(m.find("MONOTONIC_USEC=") + 15));
  auto toUsec = [](const timespec& t) {
    return uint64_t(t.tv_sec) * 1000000 + uint64_t(t.tv_nsec) / 1000;
  };
  EXPECT_GE(usec, toUsec(before));
  EXPECT_LE(usec, toUsec(after));
}

TEST(SdNotify, AbstractSocketNamedWithAt) {
  FakeManager manager(true);
  ASSERT_TRUE(manager.bound());
  Notifier n(manager.address(), 0us);
  EXPECT_TRUE(n.watchdog());
  EXPECT_EQ(manager.receive(), "WATCHDOG=1");
  EXPECT_TRUE(n.status("draining"));
  EXPECT_EQ(manager.receive(), "STATUS=draining");
}

TEST(SdNotify, UnsetVariableIsACountedNoOp) {
  ScopedEnv socket("NOTIFY_SOCKET", nullptr);
  ScopedEnv usec("WATCHDOG_USEC", nullptr);
  Notifier n;
  EXPECT_FALSE(n.active());
  EXPECT_FALSE(n.ready());
  EXPECT_FALSE(n.stopping());
  EXPECT_EQ(n.count(NotifyCounter::unset), 2u);
  EXPECT_EQ(n.count(NotifyCounter::sent), 0u);
  EXPECT_EQ(n.watchdogPingInterval(), 0ms);
}

TEST(SdNotify, ReadsTheSocketFromTheEnvironment) {
  FakeManager manager(true);
  ASSERT_TRUE(manager.bound());
  ScopedEnv socket("NOTIFY_SOCKET", manager.address().c_str());
  Notifier n;
  EXPECT_TRUE(n.ready());
  EXPECT_EQ(manager.receive(), "READY=1");
}

TEST(SdNotify, RelativePathIsABadAddress) {
  Notifier n("relative/notify", 0us);
  EXPECT_FALSE(n.ready());
  EXPECT_EQ(n.count(NotifyCounter::bad_address), 1u);
}

TEST(SdNotify, NobodyListeningIsASendFailure) {
  Notifier n("/nonexistent/tollgate-notify", 0us);
  EXPECT_FALSE(n.ready());
  EXPECT_FALSE(n.watchdog());
  EXPECT_EQ(n.count(NotifyCounter::send_failed), 2u);
}

TEST(SdNotify, WatchdogPingsAtHalfTheInterval) {
  ScopedEnv usec("WATCHDOG_USEC", "30000000");
  ScopedEnv pid("WATCHDOG_PID", nullptr);
  EXPECT_EQ(Notifier().watchdogPingInterval(), 15000ms);
}

TEST(SdNotify, WatchdogForAnotherPidIsIgnored) {
  ScopedEnv usec("WATCHDOG_USEC", "30000000");
  ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str());
  EXPECT_EQ(Notifier().watchdogPingInterval(), 0ms);
}

TEST(SdNotify, WatchdogForThisPidIsHonoured) {
  ScopedEnv usec("WATCHDOG_USEC", "2000000");
  ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid()).c_str());
  EXPECT_EQ(Notifier().watchdogPingInterval(), 1000ms);
}

TEST(SdNotify, UnderServiceManagerWhenEitherVariableIsSet) {
  {
    ScopedEnv socket("NOTIFY_SOCKET", nullptr);
    ScopedEnv id("INVOCATION_ID", nullptr);
    EXPECT_FALSE(tollgate::sd::underServiceManager());
  }
  {
    ScopedEnv socket("NOTIFY_SOCKET", nullptr);
    ScopedEnv id("INVOCATION_ID", "0123456789abcdef0123456789abcdef");
    EXPECT_TRUE(tollgate::sd::underServiceManager());
  }
  {
    ScopedEnv socket("NOTIFY_SOCKET", "@x");
    ScopedEnv id("INVOCATION_ID", nullptr);
    EXPECT_TRUE(tollgate::sd::underServiceManager());
  }
}

TEST(SdNotify, CounterNamesArePrefixed) {
  EXPECT_EQ(tollgate::sd::notifyCounterName(NotifyCounter::sent), "sd_notify_sent");
  EXPECT_EQ(tollgate::sd::notifyCounterName(NotifyCounter::send_failed), "sd_notify_send_failed");
}
