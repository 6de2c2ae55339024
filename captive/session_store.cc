#include "captive/session_store.h"

#include <Poco/Data/Statement.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <limits>
#include <map>
#include <stdexcept>

namespace tollgate::captive {
namespace {

using Poco::Int64;
namespace kw = Poco::Data::Keywords;  // qualified, so ADL never reaches std::bind

constexpr size_t kMaxUserLength = 256;  // a form field; SQLite would store megabytes happily

// SQLite integers are signed 64-bit. Byte counts and quotas saturate rather than wrap: a
// counter that wrapped to a small number would hand a client its quota back.
Int64 toDb(uint64_t v) {
  constexpr auto kMax = static_cast<uint64_t>(std::numeric_limits<Int64>::max());
  return static_cast<Int64>(std::min(v, kMax));
}
uint64_t fromDb(Int64 v) { return v < 0 ? 0 : static_cast<uint64_t>(v); }
Int64 toDb(UnixTime t) { return t.time_since_epoch().count(); }
UnixTime timeFromDb(Int64 v) { return UnixTime{Seconds{v}}; }

uint64_t saturatingAdd(uint64_t a, uint64_t b) {
  return a > std::numeric_limits<uint64_t>::max() - b ? std::numeric_limits<uint64_t>::max()
                                                      : a + b;
}

// Why a session ends at `now`, if it does; the time limit first, since it is what the guest
// was told, then idleness, then the quota.
std::optional<EndReason> endReason(const Session& s, UnixTime now) {
  if (now >= s.expires) return EndReason::Expired;
  if (s.idleTimeout > Seconds{0} && now - s.lastActivity >= s.idleTimeout) return EndReason::Idle;
  if (s.dataQuota != 0 && s.bytesUsed() >= s.dataQuota) return EndReason::Quota;
  return std::nullopt;
}

std::string requireMac(std::string_view mac) {
  auto canon = canonicalMac(mac);
  if (!canon) throw std::invalid_argument("not a unicast MAC address: '" + std::string(mac) + "'");
  return *canon;
}

}  // namespace

const char* toString(LoginMethod m) {
  switch (m) {
    case LoginMethod::ClickThrough: return "clickthrough";
    case LoginMethod::Voucher: return "voucher";
    case LoginMethod::Account: return "account";
    case LoginMethod::Radius: return "radius";
  }
  return "?";
}

std::optional<LoginMethod> parseLoginMethod(std::string_view text) {
  for (auto m : {LoginMethod::ClickThrough, LoginMethod::Voucher, LoginMethod::Account,
                 LoginMethod::Radius}) {
    if (text == toString(m)) return m;
  }
  return std::nullopt;
}

const char* toString(EndReason r) {
  switch (r) {
    case EndReason::Expired: return "expired";
    case EndReason::Idle: return "idle";
    case EndReason::Quota: return "quota";
    case EndReason::Kicked: return "kicked";
  }
  return "?";
}

Seconds Session::secondsLeft(UnixTime now) const {
  return expires > now ? expires - now : Seconds{0};
}

std::optional<uint64_t> Session::bytesLeft() const {
  if (dataQuota == 0) return std::nullopt;
  return dataQuota > bytesUsed() ? dataQuota - bytesUsed() : 0;
}

// The session as held in memory: addresses keyed by canonical text with when they were last
// seen (the eviction order), and whether its counters differ from the database. The binary
// forms are parsed once here so the index never parses text.
struct SessionStore::Live {
  struct Seen {
    UnixTime lastSeen;
    IpAddress ip;
  };
  Session session;  // its `addresses` stays empty; viewOf() fills it from the map
  MacAddress binary{};
  std::map<std::string, Seen> addresses;
  bool dirty = false;
};

// The snapshot's contents, kept current by every change, plus which shards changed since the
// last snapshot(). Same shard function as SessionSnapshot, so shard i here is shard i there.
struct SessionStore::Index {
  static constexpr size_t kShards = SessionSnapshot::kShards;
  std::array<std::unordered_map<MacAddress, SessionSnapshot::Entry, MacAddressHash>, kShards> macs;
  std::array<std::unordered_map<IpAddress, MacAddress, IpAddressHash>, kShards> addresses;
  std::bitset<kShards> macDirty, addressDirty;
  size_t addressCount = 0;
  uint64_t version = 0;
  SessionSnapshotPtr published;

  static size_t shardOf(const MacAddress& m) {
    return SessionSnapshot::shardOf(MacAddressHash{}(m));
  }
  static size_t shardOf(const IpAddress& a) { return SessionSnapshot::shardOf(IpAddressHash{}(a)); }

  void setSession(const MacAddress& mac, UnixTime expires) {
    const size_t i = shardOf(mac);
    macs[i][mac] = SessionSnapshot::Entry{mac, expires};
    macDirty.set(i);
  }
  void eraseSession(const MacAddress& mac) {
    const size_t i = shardOf(mac);
    if (macs[i].erase(mac)) macDirty.set(i);
  }
  void setAddress(const IpAddress& address, const MacAddress& mac) {
    const size_t i = shardOf(address);
    if (addresses[i].insert_or_assign(address, mac).second) ++addressCount;
    addressDirty.set(i);
  }
  void eraseAddress(const IpAddress& address) {
    const size_t i = shardOf(address);
    if (addresses[i].erase(address)) {
      --addressCount;
      addressDirty.set(i);
    }
  }
};

SessionStore::SessionStore(DatabasePtr db) : SessionStore(std::move(db), Options{}) {}

SessionStore::SessionStore(DatabasePtr db, Options options)
    : db_(std::move(db)), options_(options), index_(std::make_unique<Index>()) {
  if (!db_) throw std::invalid_argument("SessionStore needs a database");
  load();
}

SessionStore::~SessionStore() {
  try {
    flush();
  } catch (...) {
    // Nowhere to report from a destructor; the loss is at most one flushInterval of counters.
  }
}

void SessionStore::load() {
  std::vector<std::string> macs, methods, users;
  std::vector<Int64> started, expires, idle, last, quota, up, down;
  std::vector<std::string> addresses, owners;
  std::vector<Int64> seen;
  db_->query("load sessions", [&](Poco::Data::Session& s) {
    s << "SELECT mac, method, user, started, expires, idle_timeout, last_activity, data_quota,"
         " bytes_up, bytes_down FROM sessions",
        kw::into(macs), kw::into(methods), kw::into(users), kw::into(started), kw::into(expires),
        kw::into(idle), kw::into(last), kw::into(quota), kw::into(up), kw::into(down), kw::now;
    s << "SELECT address, mac, last_seen FROM session_addresses", kw::into(addresses),
        kw::into(owners), kw::into(seen), kw::now;
  });
  std::lock_guard lock(mutex_);
  for (size_t i = 0; i < macs.size(); ++i) {
    auto method = parseLoginMethod(methods[i]);
    // Rows are only ever written by this class; anything else means the file was edited or
    // belongs to something else, and guessing would grant or deny access wrongly.
    if (!method || !canonicalMac(macs[i])) {
      throw std::runtime_error("captive database " + db_->path() + ": load sessions: bad row" +
                               " (mac '" + macs[i] + "', method '" + methods[i] + "')");
    }
    auto live = std::make_unique<Live>();
    live->binary = *parseMac(macs[i]);
    Session& s = live->session;
    s.mac = macs[i];
    s.method = *method;
    s.user = users[i];
    s.start = timeFromDb(started[i]);
    s.expires = timeFromDb(expires[i]);
    s.idleTimeout = Seconds{idle[i]};
    s.lastActivity = timeFromDb(last[i]);
    s.dataQuota = fromDb(quota[i]);
    s.bytesUp = fromDb(up[i]);
    s.bytesDown = fromDb(down[i]);
    index_->setSession(live->binary, s.expires);
    sessions_.emplace(macs[i], std::move(live));
  }
  for (size_t i = 0; i < addresses.size(); ++i) {
    auto it = sessions_.find(owners[i]);
    auto ip = parseClientAddress(addresses[i]);
    if (it == sessions_.end() || !ip) continue;  // the foreign key and addAddress prevent both
    it->second->addresses[addresses[i]] = Live::Seen{timeFromDb(seen[i]), *ip};
    addressOwner_[addresses[i]] = owners[i];
    index_->setAddress(*ip, it->second->binary);
  }
}

Session SessionStore::login(std::string_view mac, LoginMethod method, std::string_view user,
                            Seconds duration, Seconds idleTimeout, uint64_t dataQuota,
                            UnixTime now) {
  std::string key = requireMac(mac);
  if (duration <= Seconds{0}) throw std::invalid_argument("session duration must be positive");
  if (idleTimeout < Seconds{0}) throw std::invalid_argument("idle timeout must not be negative");
  if (user.size() > kMaxUserLength) throw std::invalid_argument("user name too long");

  Session s;
  s.mac = key;
  s.method = method;
  s.user = std::string(user);
  s.start = now;
  s.expires = now + duration;
  s.idleTimeout = idleTimeout;
  s.lastActivity = now;  // the login itself is activity: the idle clock starts here
  s.dataQuota = dataQuota;

  std::lock_guard lock(mutex_);
  db_->transaction("login " + key, [&](Poco::Data::Session& db) {
    // An upsert, not INSERT OR REPLACE: REPLACE deletes the old row first, and the cascade
    // would take the client's known addresses with it.
    db << "INSERT INTO sessions (mac, method, user, started, expires, idle_timeout,"
          " last_activity, data_quota, bytes_up, bytes_down) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0)"
          " ON CONFLICT(mac) DO UPDATE SET method = excluded.method, user = excluded.user,"
          " started = excluded.started, expires = excluded.expires,"
          " idle_timeout = excluded.idle_timeout, last_activity = excluded.last_activity,"
          " data_quota = excluded.data_quota, bytes_up = 0, bytes_down = 0",
        kw::bind(key), kw::bind(std::string(toString(method))), kw::bind(s.user),
        kw::bind(toDb(s.start)), kw::bind(toDb(s.expires)),
        kw::bind(static_cast<Int64>(idleTimeout.count())), kw::bind(toDb(s.lastActivity)),
        kw::bind(toDb(dataQuota)), kw::now;
  });
  auto& slot = sessions_[key];
  if (!slot) {
    slot = std::make_unique<Live>();
    slot->binary = *parseMac(key);
  }
  slot->session = s;
  slot->dirty = false;
  index_->setSession(slot->binary, s.expires);
  ++counters_.logins;
  return viewOf(*slot);
}

std::optional<Session> SessionStore::find(std::string_view mac) const {
  auto key = canonicalMac(mac);
  if (!key) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(*key);
  if (it == sessions_.end()) return std::nullopt;
  return viewOf(*it->second);
}

std::optional<Session> SessionStore::findByAddress(std::string_view address) const {
  auto key = canonicalAddress(address);
  if (!key) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto owner = addressOwner_.find(*key);
  if (owner == addressOwner_.end()) return std::nullopt;
  return viewOf(*sessions_.at(owner->second));
}

bool SessionStore::touch(std::string_view mac, UnixTime now, uint64_t bytesUp, uint64_t bytesDown) {
  auto key = canonicalMac(mac);
  if (!key) return false;
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(*key);
  if (it == sessions_.end()) return false;
  Live& live = *it->second;
  if (bytesUp != 0 || bytesDown != 0) {
    live.session.bytesUp = saturatingAdd(live.session.bytesUp, bytesUp);
    live.session.bytesDown = saturatingAdd(live.session.bytesDown, bytesDown);
    // max: intervals may be reported late or out of order; activity never moves backwards.
    live.session.lastActivity = std::max(live.session.lastActivity, now);
    live.dirty = true;
  }
  maybeFlush(now);
  return true;
}

AddressChange SessionStore::addAddress(std::string_view mac, std::string_view address,
                                       UnixTime now) {
  AddressChange change;
  auto key = canonicalMac(mac);
  auto ip = parseClientAddress(address);
  if (!key || !ip) return change;
  const std::string addr = formatAddress(*ip);
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(*key);
  if (it == sessions_.end()) return change;
  Live& live = *it->second;
  change.bound = true;
  if (auto known = live.addresses.find(addr); known != live.addresses.end()) {
    // Refreshed in memory only: last_seen orders evictions, and a neighbour table that
    // re-reports a busy client must not turn into a disk write each time.
    known->second.lastSeen = std::max(known->second.lastSeen, now);
    return change;
  }
  if (auto owner = addressOwner_.find(addr); owner != addressOwner_.end()) {
    change.previousOwner = owner->second;
  }
  if (live.addresses.size() >= options_.maxAddressesPerSession && !live.addresses.empty()) {
    auto oldest = std::min_element(
        live.addresses.begin(), live.addresses.end(),
        [](const auto& a, const auto& b) { return a.second.lastSeen < b.second.lastSeen; });
    change.evicted = oldest->first;
  }
  db_->transaction("add address " + addr + " to " + *key, [&](Poco::Data::Session& db) {
    if (!change.evicted.empty()) {
      db << "DELETE FROM session_addresses WHERE address = ?", kw::bind(change.evicted), kw::now;
    }
    db << "INSERT INTO session_addresses (address, mac, last_seen) VALUES (?, ?, ?)"
          " ON CONFLICT(address) DO UPDATE SET mac = excluded.mac, last_seen = excluded.last_seen",
        kw::bind(addr), kw::bind(*key), kw::bind(toDb(now)), kw::now;
  });
  if (!change.previousOwner.empty()) {
    sessions_.at(change.previousOwner)->addresses.erase(addr);
    ++counters_.addresses_moved;
  }
  if (!change.evicted.empty()) {
    auto gone = live.addresses.find(change.evicted);
    index_->eraseAddress(gone->second.ip);
    live.addresses.erase(gone);
    addressOwner_.erase(change.evicted);
    ++counters_.addresses_evicted;
  }
  live.addresses[addr] = Live::Seen{now, *ip};
  addressOwner_[addr] = *key;
  index_->setAddress(*ip, live.binary);  // replaces the previous owner's entry, if any
  change.added = true;
  ++counters_.addresses_added;
  return change;
}

std::optional<Session> SessionStore::extend(std::string_view mac, Seconds by) {
  auto key = canonicalMac(mac);
  if (!key) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(*key);
  if (it == sessions_.end()) return std::nullopt;
  const UnixTime expires = it->second->session.expires + by;
  db_->transaction("extend " + *key, [&](Poco::Data::Session& db) {
    db << "UPDATE sessions SET expires = ? WHERE mac = ?", kw::bind(toDb(expires)), kw::bind(*key),
        kw::now;
  });
  it->second->session.expires = expires;
  index_->setSession(it->second->binary, expires);
  return viewOf(*it->second);
}

std::optional<Session> SessionStore::kick(std::string_view mac) {
  auto key = canonicalMac(mac);
  if (!key) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(*key);
  if (it == sessions_.end()) return std::nullopt;
  Session ended = viewOf(*it->second);
  db_->transaction("kick " + *key, [&](Poco::Data::Session& db) {
    // Addresses explicitly too: the cascade depends on a per-connection pragma, and a file
    // opened once without it must not keep an address owned by a session that is gone.
    db << "DELETE FROM session_addresses WHERE mac = ?", kw::bind(*key), kw::now;
    db << "DELETE FROM sessions WHERE mac = ?", kw::bind(*key), kw::now;
  });
  removeLocked(*key);
  ++counters_.kicked;
  return ended;
}

std::vector<Session> SessionStore::list() const {
  std::lock_guard lock(mutex_);
  std::vector<Session> out;
  out.reserve(sessions_.size());
  for (const auto& [mac, live] : sessions_) out.push_back(viewOf(*live));
  std::sort(out.begin(), out.end(),
            [](const Session& a, const Session& b) { return a.mac < b.mac; });
  return out;
}

std::vector<EndedSession> SessionStore::expire(UnixTime now) {
  std::lock_guard lock(mutex_);
  std::vector<EndedSession> ended;
  for (const auto& [mac, live] : sessions_) {
    if (auto reason = endReason(live->session, now)) ended.push_back({viewOf(*live), *reason});
  }
  if (!ended.empty()) {
    std::vector<std::string> macs;
    for (const auto& e : ended) macs.push_back(e.session.mac);
    db_->transaction("expire sessions", [&](Poco::Data::Session& db) {
      // A bound vector runs the statement once per element inside this one transaction.
      db << "DELETE FROM session_addresses WHERE mac = ?", kw::use(macs), kw::now;
      db << "DELETE FROM sessions WHERE mac = ?", kw::use(macs), kw::now;
    });
    for (const auto& e : ended) {
      removeLocked(e.session.mac);
      switch (e.reason) {
        case EndReason::Expired: ++counters_.ended_expired; break;
        case EndReason::Idle: ++counters_.ended_idle; break;
        case EndReason::Quota: ++counters_.ended_quota; break;
        case EndReason::Kicked: break;
      }
    }
    std::sort(ended.begin(), ended.end(), [](const EndedSession& a, const EndedSession& b) {
      return a.session.mac < b.session.mac;
    });
  }
  maybeFlush(now);
  return ended;
}

void SessionStore::flush() {
  std::lock_guard lock(mutex_);
  flushLocked();
}

void SessionStore::maybeFlush(UnixTime now) {
  if (lastFlush_ == UnixTime{}) lastFlush_ = now;  // the first tick starts the interval
  if (now - lastFlush_ < options_.flushInterval) return;
  flushLocked();
  lastFlush_ = now;
}

void SessionStore::flushLocked() {
  std::vector<std::string> macs;
  std::vector<Int64> last, up, down;
  std::vector<Live*> written;
  for (auto& [mac, live] : sessions_) {
    if (!live->dirty) continue;
    macs.push_back(mac);
    last.push_back(toDb(live->session.lastActivity));
    up.push_back(toDb(live->session.bytesUp));
    down.push_back(toDb(live->session.bytesDown));
    written.push_back(live.get());
  }
  if (macs.empty()) return;
  db_->transaction("flush accounting", [&](Poco::Data::Session& db) {
    db << "UPDATE sessions SET last_activity = ?, bytes_up = ?, bytes_down = ? WHERE mac = ?",
        kw::use(last), kw::use(up), kw::use(down), kw::use(macs), kw::now;
  });
  for (Live* live : written) live->dirty = false;  // only once the commit succeeded
  ++counters_.flushes;
}

void SessionStore::removeLocked(const std::string& mac) {
  auto it = sessions_.find(mac);
  if (it == sessions_.end()) return;
  for (const auto& [address, seen] : it->second->addresses) {
    addressOwner_.erase(address);
    index_->eraseAddress(seen.ip);
  }
  index_->eraseSession(it->second->binary);
  sessions_.erase(it);
}

Session SessionStore::viewOf(const Live& live) const {
  Session s = live.session;
  s.addresses.reserve(live.addresses.size());
  for (const auto& [address, seen] : live.addresses) s.addresses.push_back(address);
  return s;
}

SessionSnapshotPtr SessionStore::snapshot() {
  std::lock_guard lock(mutex_);
  Index& x = *index_;
  if (x.published && x.macDirty.none() && x.addressDirty.none()) return x.published;
  auto next = std::make_shared<SessionSnapshot>();
  next->version_ = ++x.version;
  next->sessions_ = sessions_.size();
  next->addressCount_ = x.addressCount;
  for (size_t i = 0; i < Index::kShards; ++i) {
    // Unchanged shards are shared with the previous snapshot: workers still reading it and
    // workers reading this one see the same immutable map.
    next->macs_[i] = x.published && !x.macDirty[i]
                         ? x.published->macs_[i]
                         : std::make_shared<const SessionSnapshot::MacShard>(x.macs[i]);
    next->addresses_[i] =
        x.published && !x.addressDirty[i]
            ? x.published->addresses_[i]
            : std::make_shared<const SessionSnapshot::AddressShard>(x.addresses[i]);
  }
  x.macDirty.reset();
  x.addressDirty.reset();
  x.published = std::move(next);
  ++counters_.snapshots;
  return x.published;
}

size_t SessionStore::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

SessionStore::Counters SessionStore::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

}  // namespace tollgate::captive
