#include "daemon/core/sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "daemon/core/diag.h"

namespace tollgate::sd {

namespace {

std::string envOr(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// WATCHDOG_USEC applies to the main process only: a child started with our environment (or a
// process that was exec'd by a wrapper that kept the variable) must not ping for us.
std::chrono::microseconds watchdogFromEnvironment() {
  std::string usec = envOr("WATCHDOG_USEC");
  if (usec.empty()) return std::chrono::microseconds(0);
  std::string pid = envOr("WATCHDOG_PID");
  if (!pid.empty() && pid != std::to_string(::getpid())) return std::chrono::microseconds(0);
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(usec.c_str(), &end, 10);
  if (errno != 0 || end == usec.c_str() || *end != '\0') return std::chrono::microseconds(0);
  return std::chrono::microseconds(v);
}

// sockaddr_un for NOTIFY_SOCKET. An abstract name ('@' first) is the bytes after the '@' with a
// leading NUL and no terminator: the length given to sendto() is part of the name.
bool toSockaddr(const std::string& address, sockaddr_un* sa, socklen_t* len) {
  std::memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  if (address.size() < 2 || address.size() >= sizeof sa->sun_path) return false;
  if (address[0] == '@') {
    std::memcpy(sa->sun_path + 1, address.data() + 1, address.size() - 1);
    *len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size());
    return true;
  }
  if (address[0] != '/') return false;
  std::memcpy(sa->sun_path, address.data(), address.size());
  *len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size() + 1);
  return true;
}

}  // namespace

std::string_view notifyCounterName(NotifyCounter c) {
  switch (c) {
#define TOLLGATE_SD_NOTIFY_NAME(name) \
  case NotifyCounter::name:           \
    return "sd_notify_" #name;
    TOLLGATE_SD_NOTIFY_COUNTERS(TOLLGATE_SD_NOTIFY_NAME)
#undef TOLLGATE_SD_NOTIFY_NAME
    case NotifyCounter::kCount:
      break;
  }
  return "sd_notify_unknown";
}

Notifier::Notifier() : Notifier(envOr("NOTIFY_SOCKET"), watchdogFromEnvironment()) {}

Notifier::Notifier(std::string address, std::chrono::microseconds watchdog)
    : address_(std::move(address)), watchdog_(watchdog) {}

bool Notifier::send(std::string_view message) {
  if (address_.empty()) {
    bump(NotifyCounter::unset);
    return false;
  }
  sockaddr_un sa;
  socklen_t len = 0;
  if (!toSockaddr(address_, &sa, &len)) {
    bump(NotifyCounter::bad_address);
    if (!warned_) diag::warning("NOTIFY_SOCKET=" + address_ + ": not an absolute path or @name");
    warned_ = true;
    return false;
  }
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ssize_t n = -1;
  int err = 0;
  if (fd >= 0) {
    // MSG_NOSIGNAL: a manager gone away must not kill the daemon with SIGPIPE.
    n = ::sendto(fd, message.data(), message.size(), MSG_NOSIGNAL,
                 reinterpret_cast<const sockaddr*>(&sa), len);
    err = errno;
    ::close(fd);
  } else {
    err = errno;
  }
  if (n != static_cast<ssize_t>(message.size())) {
    bump(NotifyCounter::send_failed);
    if (!warned_) {
      diag::warning(
          std::string(fd < 0 ? "socket(AF_UNIX, SOCK_DGRAM)" : "sendto(" + address_ + ")") + ": " +
          std::strerror(err) + " (the service manager is not told our state)");
    }
    warned_ = true;
    return false;
  }
  bump(NotifyCounter::sent);
  return true;
}

bool Notifier::ready(std::string_view statusText) {
  std::string m = "READY=1";
  if (!statusText.empty()) m += "\nSTATUS=" + std::string(statusText);
  return send(m);
}

bool Notifier::reloading() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t usec =
      static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
  return send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

bool Notifier::stopping() { return send("STOPPING=1"); }

bool Notifier::status(std::string_view text) { return send("STATUS=" + std::string(text)); }

bool Notifier::watchdog() { return send("WATCHDOG=1"); }

std::chrono::milliseconds Notifier::watchdogPingInterval() const {
  if (watchdog_.count() <= 0) return std::chrono::milliseconds(0);
  // At least 1 ms, so a tiny WATCHDOG_USEC still yields a wait rather than "no watchdog".
  auto half = std::chrono::duration_cast<std::chrono::milliseconds>(watchdog_ / 2);
  return half.count() > 0 ? half : std::chrono::milliseconds(1);
}

bool underServiceManager() {
  return !envOr("NOTIFY_SOCKET").empty() || !envOr("INVOCATION_ID").empty();
}

}  // namespace tollgate::sd
