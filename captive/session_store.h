#pragma once
// Captive-portal sessions: who is logged in, until when, with how much data left.
//
// Where the state lives. SQLite (Database) is the record that survives a daemon restart and a
// firewall reload; this object also holds every live session in memory and answers every read
// from memory. A change is written to SQLite first and applied to memory only after the commit,
// so the two never disagree. The one exception is accounting: touch() changes memory only and
// the byte counters and last activity reach SQLite in one transaction per flushInterval (from
// the next touch()/expire() after it is due, from flush(), and from the destructor). Writing
// every active session every second would wear a router's flash for numbers a crash can lose
// by at most flushInterval.
//
// The data plane never calls this class: it locks and it may write to disk. It reads a
// SessionSnapshot (session_snapshot.h), an immutable MAC → expiry and address → MAC index.
// The control plane calls snapshot() after every change it makes (login, kick, extend,
// addAddress, each expire() tick) and, when the version changed, posts the pointer to every
// worker with EventLoop::post, as Enforcement is swapped on reload; workers hold it as a
// shared_ptr<const>. The store keeps the index up to date change by change, so snapshot()
// copies only the shards that changed (nothing changed: a lock and a pointer copy). Entries
// carry their expiry, so the time limit holds to the second between publications; idle and
// quota endings take effect at the next expire() tick. Bytes and last activity are not in the
// snapshot: they change every second and the data plane does not need them.
//
// Admin commands (tollgatectl sessions ...) must go through the daemon's control socket:
// another process writing the sessions table would not be seen by this in-memory copy.
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "captive/client_id.h"
#include "captive/database.h"
#include "captive/session_snapshot.h"

namespace tollgate::captive {

enum class LoginMethod { ClickThrough, Voucher, Account, Radius };
const char* toString(LoginMethod m);  // "clickthrough", "voucher", "account", "radius"
std::optional<LoginMethod> parseLoginMethod(std::string_view text);

struct Session {
  std::string mac;  // canonical, the identity
  LoginMethod method = LoginMethod::ClickThrough;
  std::string user;  // account or RADIUS name, voucher code; empty for click-through
  UnixTime start{};
  UnixTime expires{};
  Seconds idleTimeout{0};  // 0: no idle limit
  UnixTime lastActivity{};
  uint64_t dataQuota = 0;  // bytes up + down; 0: no quota
  uint64_t bytesUp = 0;
  uint64_t bytesDown = 0;
  std::vector<std::string> addresses;  // canonical, sorted

  uint64_t bytesUsed() const {  // saturating, like the counters: a wrap would reset the quota
    return bytesUp > UINT64_MAX - bytesDown ? UINT64_MAX : bytesUp + bytesDown;
  }
  // What RFC 8908 calls seconds-remaining / bytes-remaining (nullopt: no quota).
  Seconds secondsLeft(UnixTime now) const;
  std::optional<uint64_t> bytesLeft() const;
};

enum class EndReason { Expired, Idle, Quota, Kicked };
const char* toString(EndReason r);

struct EndedSession {
  Session session;  // with its final byte counts, for accounting and voucher usage
  EndReason reason;
};

// What addAddress changed, so the caller can update the nft sets element by element.
struct AddressChange {
  bool bound = false;         // false: no session for the MAC, or not a client address
  bool added = false;         // new for this MAC: add (mac, address) to the sets
  std::string previousOwner;  // the MAC that held it until now: remove (that MAC, address)
  std::string evicted;        // this MAC's least recently seen address, dropped for the cap
};

#define TOLLGATE_SESSION_COUNTERS(X)                                            \
  X(logins)            /* sessions started (a re-login replaces the session) */ \
  X(kicked)            /* ended by kick() */                                    \
  X(ended_expired)     /* ended by expire(): session_timeout reached */         \
  X(ended_idle)        /* ended by expire(): no traffic for idle_timeout */     \
  X(ended_quota)       /* ended by expire(): data quota used */                 \
  X(addresses_added)   /* an address new to its MAC */                          \
  X(addresses_moved)   /* taken from another MAC (lease reassigned) */          \
  X(addresses_evicted) /* dropped to stay under maxAddressesPerSession */       \
  X(flushes)           /* accounting transactions written */                    \
  X(snapshots)         /* snapshots built */

class SessionStore {
 public:
  struct Options {
    Seconds flushInterval{60};
    // IPv6 privacy addresses rotate; the cap keeps one client from filling the nft sets.
    size_t maxAddressesPerSession = 16;
  };
  struct Counters {
#define TOLLGATE_SESSION_FIELD(name) uint64_t name = 0;
    TOLLGATE_SESSION_COUNTERS(TOLLGATE_SESSION_FIELD)
#undef TOLLGATE_SESSION_FIELD
  };

  // Loads every session (and its addresses) from the database. Throws std::runtime_error
  // naming the database path, here and in every method that writes.
  explicit SessionStore(DatabasePtr db);
  SessionStore(DatabasePtr db, Options options);
  ~SessionStore();  // flush(), errors swallowed: call flush() first to see them
  SessionStore(const SessionStore&) = delete;
  SessionStore& operator=(const SessionStore&) = delete;

  // Starts a session for `mac` lasting `duration` from `now`. A session already held by the
  // MAC is replaced (new clock, counters from zero) but keeps the addresses known for it.
  // Throws std::invalid_argument for a malformed MAC or a non-positive duration.
  Session login(std::string_view mac, LoginMethod method, std::string_view user, Seconds duration,
                Seconds idleTimeout, uint64_t dataQuota, UnixTime now);

  std::optional<Session> find(std::string_view mac) const;
  std::optional<Session> findByAddress(std::string_view address) const;

  // Adds one accounting interval (the caller sums a second's worth per MAC, from the daemon's
  // relays and the nft counters). Traffic refreshes last activity; a zero call does not.
  // False if the MAC has no session.
  bool touch(std::string_view mac, UnixTime now, uint64_t bytesUp, uint64_t bytesDown);

  // Records an address seen for `mac` (neighbour table, DHCP, the portal request itself).
  AddressChange addAddress(std::string_view mac, std::string_view address, UnixTime now);

  // Moves the expiry by `by` (negative shortens). The updated session, or nullopt if none.
  std::optional<Session> extend(std::string_view mac, Seconds by);

  // Ends the session now; the ended session (final counts) or nullopt if there was none.
  std::optional<Session> kick(std::string_view mac);

  // Every session, sorted by MAC (tollgatectl sessions list).
  std::vector<Session> list() const;

  // Ends every session past its expiry, idle for its idle timeout, or over its quota, checked
  // in that order; returns them with the reason. Call once per accounting tick.
  std::vector<EndedSession> expire(UnixTime now);

  // Writes pending byte counters and last activity now.
  void flush();

  // The current data-plane view, rebuilt only if something changed since the last call.
  SessionSnapshotPtr snapshot();

  size_t size() const;
  Counters counters() const;
  const Database& database() const { return *db_; }

 private:
  struct Live;   // a Session, its binary keys and its dirty flag; defined in the .cc
  struct Index;  // the snapshot's maps, updated in place, with the shards changed since the
                 // last snapshot(); defined in the .cc
  void load();
  void maybeFlush(UnixTime now);
  void flushLocked();
  void removeLocked(const std::string& mac);
  Session viewOf(const Live& live) const;

  const DatabasePtr db_;
  const Options options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::unique_ptr<Live>> sessions_;  // by canonical MAC
  std::unordered_map<std::string, std::string> addressOwner_;        // canonical address → MAC
  std::unique_ptr<Index> index_;
  UnixTime lastFlush_{};
  Counters counters_;
};

}  // namespace tollgate::captive
