#pragma once
// The service manager's notification protocol (sd_notify(3)) without libsystemd: one datagram
// of NAME=VALUE lines per message to $NOTIFY_SOCKET, a file-system path or, with a leading '@',
// an abstract socket. With the variable unset every call is a counted no-op, so the daemon runs
// the same from a shell, the lab or a Type=notify unit. Main thread only (not thread-safe).
#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace tollgate::sd {

// Every outcome of a notification, one counter each.
#define TOLLGATE_SD_NOTIFY_COUNTERS(X)                                         \
  X(sent)        /* the whole datagram reached the service manager's socket */ \
  X(unset)       /* no NOTIFY_SOCKET: nobody to tell, nothing sent */          \
  X(bad_address) /* NOTIFY_SOCKET is neither an absolute path nor @abstract */ \
  X(send_failed) /* socket() or sendto() failed (the first failure is logged) */

enum class NotifyCounter {
#define TOLLGATE_SD_NOTIFY_ENUM(name) name,
  TOLLGATE_SD_NOTIFY_COUNTERS(TOLLGATE_SD_NOTIFY_ENUM)
#undef TOLLGATE_SD_NOTIFY_ENUM
      kCount
};
std::string_view notifyCounterName(NotifyCounter c);

class Notifier {
 public:
  // From the environment systemd sets: NOTIFY_SOCKET, and WATCHDOG_USEC (honoured only when
  // WATCHDOG_PID is unset or names this process, as sd_watchdog_enabled(3) does).
  Notifier();
  // Explicit address ("" = none) and watchdog interval (0 = none): for tests.
  Notifier(std::string address, std::chrono::microseconds watchdog);

  bool active() const { return !address_.empty(); }

  // Each returns true when the datagram was sent; false when unset or failed (counted).
  // READY=1: start-up is complete, with an optional STATUS= line.
  bool ready(std::string_view status = {});
  // RELOADING=1 with MONOTONIC_USEC= (CLOCK_MONOTONIC now, as systemd 253+ wants for
  // Type=notify-reload; older managers ignore it). Follow with ready() when the reload is done.
  bool reloading();
  bool stopping();  // STOPPING=1: draining has begun
  bool status(std::string_view text);
  bool watchdog();  // WATCHDOG=1: the keep-alive ping

  // How often to ping: half of WATCHDOG_USEC (sd_watchdog_enabled(3)'s advice); 0 = no watchdog.
  std::chrono::milliseconds watchdogPingInterval() const;

  // Sends `message` verbatim (NAME=VALUE lines separated by '\n').
  bool send(std::string_view message);
  uint64_t count(NotifyCounter c) const { return counters_[static_cast<size_t>(c)]; }

 private:
  void bump(NotifyCounter c) { ++counters_[static_cast<size_t>(c)]; }

  std::string address_;
  std::chrono::microseconds watchdog_{0};
  std::array<uint64_t, static_cast<size_t>(NotifyCounter::kCount)> counters_{};
  bool warned_ = false;  // one diagnostic, not one per watchdog ping
};

// True when a service manager started this process (NOTIFY_SOCKET or INVOCATION_ID is set): it
// has applied the unit's User=, capabilities and directories already.
bool underServiceManager();

}  // namespace tollgate::sd
