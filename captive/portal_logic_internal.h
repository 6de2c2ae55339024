#pragma once
// What portal_logic.cc and portal_login.cc share and nothing else includes: the per-request
// client view, the counters' atomics and a few formatting helpers.
#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "captive/portal_logic.h"

namespace tollgate::captive {

// One request's view of its client, read once so every step of a login sees the same thing.
struct PortalLogic::Client {
  std::string address;             // the TCP peer
  std::optional<std::string> mac;  // canonical; nullopt: unknown device
  std::optional<Session> session;  // the MAC's live session
  std::optional<Session> stale;    // a session past its end that expire() has not swept yet
  std::chrono::sys_seconds now{};
};

// What a login method decided: a session's terms, or why not.
struct PortalLogic::LoginResult {
  bool ok = false;
  int status = 403;     // failure: the login page's status
  std::string message;  // failure: shown to the guest (escaped by the template)
  LoginMethod method = LoginMethod::ClickThrough;
  std::string user;
  Seconds duration{0};
  Seconds idleTimeout{0};
  uint64_t dataQuota = 0;
  std::vector<std::string> classes;  // RADIUS Class, echoed in accounting

  static LoginResult refused(int status, std::string message) {
    LoginResult r;
    r.status = status;
    r.message = std::move(message);
    return r;
  }
};

// Relaxed atomics: each counter is read on its own, never as a consistent set.
struct PortalLogic::Counters {
#define TOLLGATE_PORTAL_ATOMIC(name) std::atomic<uint64_t> name{0};
  TOLLGATE_PORTAL_COUNTERS(TOLLGATE_PORTAL_ATOMIC)
#undef TOLLGATE_PORTAL_ATOMIC
  PortalCounters snapshot() const {
    PortalCounters out;
#define TOLLGATE_PORTAL_LOAD(name) out.name = name.load(std::memory_order_relaxed);
    TOLLGATE_PORTAL_COUNTERS(TOLLGATE_PORTAL_LOAD)
#undef TOLLGATE_PORTAL_LOAD
    return out;
  }
};

namespace portal_internal {

// Why a session has ended at `now`, if it has: SessionStore::expire()'s checks, in its order.
std::optional<EndReason> endedBy(const Session& s, std::chrono::sys_seconds now);
// The Acct-Terminate-Cause reported for a session that ended this way.
inspect::AcctTerminateCause terminateCause(EndReason r);
// "2 h 05 min", "3 d 4 h", "45 min", "30 s".
std::string humanDuration(std::chrono::seconds d);
// "512 B", "1.5 MB": decimal units, as phones and price lists show data.
std::string humanBytes(uint64_t bytes);
// Acct-Session-Id, User-Name, Calling-Station-Id and Framed-IP for `session`; the session id
// is made from the session alone, so a Stop after a restart matches its Start.
AccountingSession accountingFor(const Session& session, const std::string& clientAddress);

}  // namespace portal_internal
}  // namespace tollgate::captive
