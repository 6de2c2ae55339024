#include "daemon/captive_portal.h"

#include <arpa/inet.h>

#include <filesystem>
#include <stdexcept>

#include "captive/accounts.h"
#include "captive/client_id.h"
#include "captive/csrf.h"
#include "captive/login_limiter.h"
#include "captive/portal_logic.h"
#include "captive/portal_server.h"
#include "captive/radius_client.h"
#include "captive/vouchers.h"
#include "daemon/core/diag.h"
#include "daemon/log/log_format.h"
#include "nf/captive_sets.h"
#include "nf/neighbour_table.h"

namespace tollgate {
namespace {

using std::chrono::seconds;

std::optional<nf::HostAddress> hostAddress(const std::string& text) {
  nf::HostAddress a{};
  if (inet_pton(AF_INET, text.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET;
    return a;
  }
  if (inet_pton(AF_INET6, text.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET6;
    return a;
  }
  return std::nullopt;
}

// The nft element timeout for a session: what is left of it, at least a second (0 would mean
// "no timeout" to the kernel).
seconds timeLeft(const captive::Session& s, captive::UnixTime now) {
  auto left = s.expires - now;
  return left < seconds(1) ? seconds(1) : left;
}

bool uses(const config::CaptiveConfig& c, config::CaptiveAuth method) {
  for (auto m : c.auth)
    if (m == method) return true;
  return false;
}

void appendSession(std::string& out, const captive::Session& s, captive::UnixTime now) {
  out += "{\"mac\":\"" + s.mac + "\",\"method\":\"" + captive::toString(s.method) + "\",\"user\":";
  log::appendJsonString(s.user, out);
  out += ",\"start\":" + std::to_string(s.start.time_since_epoch().count());
  out += ",\"expires\":" + std::to_string(s.expires.time_since_epoch().count());
  out += ",\"seconds_left\":" + std::to_string(s.secondsLeft(now).count());
  out += ",\"idle_timeout\":" + std::to_string(s.idleTimeout.count());
  out += ",\"last_activity\":" + std::to_string(s.lastActivity.time_since_epoch().count());
  out += ",\"data_quota\":" + std::to_string(s.dataQuota);
  out += ",\"bytes_up\":" + std::to_string(s.bytesUp) + ",\"bytes_down\":" + std::to_string(s.bytesDown);
  out += ",\"addresses\":[";
  for (size_t i = 0; i < s.addresses.size(); ++i) {
    if (i) out += ',';
    log::appendJsonString(s.addresses[i], out);
  }
  out += "]}";
}

std::string error(const std::string& why) {
  std::string out = "{\"ok\":false,\"error\":";
  log::appendJsonString(why, out);
  return out + "}";
}

}  // namespace

CaptivePortal::CaptivePortal(config::ConfigPtr config, nf::NeighbourTable* neighbours,
                             bool manageSets, Publish publish)
    : config_(std::move(config)), neighbours_(neighbours), manageSets_(manageSets),
      publish_(std::move(publish)) {}

CaptivePortal::~CaptivePortal() { stop(); }

captive::UnixTime CaptivePortal::now() const {
  return std::chrono::floor<seconds>(std::chrono::system_clock::now());
}

void CaptivePortal::start() {
  const auto& c = config_->captive;
  const auto& r = config_->radius;
  std::error_code ec;
  auto dir = std::filesystem::path(c.database).parent_path();
  if (!dir.empty() && !std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) throw std::runtime_error("[captive] database: cannot create " + dir.string() + ": " + ec.message());
  }
  const auto t0 = std::chrono::steady_clock::now();
  db_ = std::make_shared<captive::Database>(c.database);
  if (db_->journalMode() != "wal")
    diag::warning("captive: " + c.database + " is not in WAL mode (" + db_->journalMode() + "): logins will be slower");
  store_ = std::make_unique<captive::SessionStore>(db_);
  restoreMs_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  vouchers_ = std::make_unique<captive::Vouchers>(db_);
  if (uses(c, config::CaptiveAuth::Accounts)) accounts_ = captive::Accounts::load(c.accounts);
  if (uses(c, config::CaptiveAuth::Radius) || r.accounting) {
    captive::RadiusClientConfig rc;
    for (const auto& s : r.servers) rc.servers.push_back({s.host, s.authPort, s.acctPort, r.secret});
    rc.nasIdentifier = r.nasIdentifier;
    rc.timeout = r.timeout;
    rc.tries = static_cast<int>(r.tries);
    rc.requireMessageAuthenticator = r.requireMessageAuthenticator;
    std::string err;
    radius_ = captive::RadiusClient::create(rc, err);
    if (!radius_) throw std::runtime_error("[radius]: " + err);
    if (!r.requireMessageAuthenticator)
      diag::warning("[radius] require_message_authenticator = false: answers without a "
                    "Message-Authenticator are accepted (BlastRADIUS, CVE-2024-3596)");
  }
  limiter_ = std::make_unique<captive::LoginLimiter>();
  csrf_ = std::make_unique<captive::CsrfTokens>();

  captive::PortalOptions options;
  options.listen = c.listen;
  options.httpsListen = c.httpsListen;
  options.certificate = c.certificate;
  options.key = c.key;
  options.portalUrl = c.portalUrl;
  options.apiUrl = c.apiUrl;
  options.venueInfoUrl = c.venueInfoUrl;
  options.auth = c.auth;
  options.sessionTimeout = std::chrono::duration_cast<seconds>(c.sessionTimeout);
  options.idleTimeout = std::chrono::duration_cast<seconds>(c.idleTimeout);
  options.dataQuota = c.dataQuota;
  options.templatesDir = c.templates;
  options.radiusAccounting = r.accounting;
  captive::PortalHooks hooks;
  hooks.macOf = [this](const std::string& address) { return macOf(address); };
  hooks.onLogin = [this](const captive::Session& s) { onLogin(s); };
  hooks.onLogout = [this](const captive::Session& s) { onEnded(s); };
  logic_ = std::make_unique<captive::PortalLogic>(
      options, *store_, uses(c, config::CaptiveAuth::Voucher) ? vouchers_.get() : nullptr,
      accounts_, radius_.get(), *limiter_, *csrf_, hooks);
  if (manageSets_) sets_ = std::make_unique<nf::CaptiveSets>();
  server_ = std::make_unique<captive::PortalServer>(*logic_, options);
  server_->start();
  publish();
  diag::info("captive portal: " + std::to_string(store_->size()) + " session(s) restored from " +
             c.database + " in " + std::to_string(static_cast<int>(restoreMs_)) + " ms; portal " +
             c.portalUrl + ", RFC 8908 API " + logic_->apiUrl());
}

void CaptivePortal::startTicking() {
  ticker_ = std::thread([this] { run(); });
}

void CaptivePortal::stop() {
  {
    std::lock_guard lock(tickMutex_);
    stopping_ = true;
  }
  tickWake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  if (server_) {
    server_->stop();
    server_.reset();
  }
  if (store_) {
    try {
      store_->flush();
    } catch (const std::exception& e) {
      diag::error(std::string("captive: writing the last accounting: ") + e.what());
    }
  }
}

std::optional<std::string> CaptivePortal::macOf(const std::string& address) const {
  if (!neighbours_) return std::nullopt;
  sockaddr_storage ss{};
  auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, address.c_str(), &sin->sin_addr) == 1) sin->sin_family = AF_INET;
  else if (inet_pton(AF_INET6, address.c_str(), &sin6->sin6_addr) == 1) sin6->sin6_family = AF_INET6;
  else return std::nullopt;
  auto mac = neighbours_->lookup(reinterpret_cast<const sockaddr*>(&ss));
  if (!mac) return std::nullopt;
  return captive::formatMac(*mac);
}

void CaptivePortal::publish() {
  std::lock_guard lock(publishMutex_);
  auto snapshot = store_->snapshot();
  if (snapshot->version() == lastPublished_ && lastPublished_ != 0) return;
  lastPublished_ = snapshot->version();
  publish_(std::move(snapshot));
}

void CaptivePortal::allowInSets(const captive::Session& s, captive::UnixTime now) {
  if (!sets_) return;
  auto mac = captive::parseMac(s.mac);
  if (!mac) return;
  nf::CaptiveSets::Batch batch;
  batch.allowMac(*mac, timeLeft(s, now));
  for (auto& text : s.addresses)
    if (auto a = hostAddress(text)) batch.allowAddress(*a, *mac, timeLeft(s, now));
  std::lock_guard lock(setsMutex_);
  if (auto err = sets_->commit(batch)) {
    ++setsFailures_;
    lastSetsError_ = *err;
    diag::error("captive: authorising " + s.mac + " in nft: " + *err);
  }
}

void CaptivePortal::revokeFromSets(const captive::Session& s) {
  if (!sets_) return;
  auto mac = captive::parseMac(s.mac);
  if (!mac) return;
  nf::CaptiveSets::Batch batch;
  batch.revokeMac(*mac);
  for (auto& text : s.addresses)
    if (auto a = hostAddress(text)) batch.revokeAddress(*a, *mac);
  std::lock_guard lock(setsMutex_);
  if (auto err = sets_->commit(batch)) {
    ++setsFailures_;
    lastSetsError_ = *err;
    diag::error("captive: removing " + s.mac + " from nft: " + *err);
  }
}

void CaptivePortal::bindAddresses(const std::string& onlyMac, captive::UnixTime now) {
  if (!neighbours_) return;
  struct Seen {
    std::string mac, address;
  };
  std::vector<Seen> seen;
  auto snapshot = store_->snapshot();
  neighbours_->forEach([&](const sockaddr_storage& address, const nf::MacAddress& mac) {
    if (snapshot->byMac(mac, now) == nullptr) return;
    auto ip = captive::clientAddressFrom(reinterpret_cast<const sockaddr*>(&address));
    if (!ip) return;  // link-local and the like: never the source of forwarded traffic
    std::string text = captive::formatMac(mac);
    if (!onlyMac.empty() && text != onlyMac) return;
    seen.push_back({std::move(text), captive::formatAddress(*ip)});
  });
  nf::CaptiveSets::Batch batch;
  for (auto& s : seen) {
    auto change = store_->addAddress(s.mac, s.address, now);
    if (!change.bound) continue;
    auto mac = captive::parseMac(s.mac);
    auto session = snapshot->byMac(*mac, now);
    if (change.added && session)
      if (auto a = hostAddress(s.address)) batch.allowAddress(*a, *mac, std::max(seconds(1), session->expires - now));
    if (!change.previousOwner.empty())
      if (auto a = hostAddress(s.address); a && captive::parseMac(change.previousOwner))
        batch.revokeAddress(*a, *captive::parseMac(change.previousOwner));
    if (!change.evicted.empty())
      if (auto a = hostAddress(change.evicted)) batch.revokeAddress(*a, *mac);
  }
  if (!sets_ || batch.size() == 0) return;
  std::lock_guard lock(setsMutex_);
  if (auto err = sets_->commit(batch)) {
    ++setsFailures_;
    lastSetsError_ = *err;
    diag::error("captive: binding addresses in nft: " + *err);
  }
}

void CaptivePortal::onLogin(const captive::Session& session) {
  auto t = now();
  bindAddresses(session.mac, t);
  allowInSets(store_->find(session.mac).value_or(session), t);
  publish();
}

void CaptivePortal::onEnded(const captive::Session& session) {
  revokeFromSets(session);
  publish();
}

std::optional<std::string> CaptivePortal::rebuildSets() {
  if (!sets_ || !store_) return std::nullopt;
  auto t = now();
  nf::CaptiveSets::Batch batch;
  batch.flushAll();
  for (auto& s : store_->list()) {
    auto mac = captive::parseMac(s.mac);
    if (!mac || s.expires <= t) continue;
    batch.allowMac(*mac, timeLeft(s, t));
    for (auto& text : s.addresses)
      if (auto a = hostAddress(text)) batch.allowAddress(*a, *mac, timeLeft(s, t));
  }
  std::lock_guard lock(setsMutex_);
  nftCounted_.clear();  // the sets are new: their counters start from zero
  const auto t0 = std::chrono::steady_clock::now();
  if (auto err = sets_->commit(batch)) {
    ++setsFailures_;
    lastSetsError_ = *err;
    return "captive sets: " + *err;
  }
  rebuildMs_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  diag::info("captive: nft sets refilled with " + std::to_string(batch.size()) + " change(s) in " +
             std::to_string(static_cast<int>(rebuildMs_)) + " ms");
  return std::nullopt;
}

void CaptivePortal::tick() {
  auto t = now();
  for (auto& [mac, bytes] : usage_.take())
    store_->touch(captive::formatMac(mac), t, bytes.up, bytes.down);
  if (sets_) {
    std::vector<nf::CaptiveSets::ElementCounters> elements;
    std::optional<std::string> err;
    {
      std::lock_guard lock(setsMutex_);
      err = sets_->readCounters(&elements);
      if (!err) {
        for (auto& e : elements) {
          std::string mac = captive::formatMac(e.mac);
          std::string key = mac;
          std::string address;
          if (e.address) {
            char text[INET6_ADDRSTRLEN] = "";
            inet_ntop(e.address->family, e.address->bytes.data(), text, sizeof text);
            address = text;
            key = (e.download ? "down/" : "") + address + "/" + mac;
          }
          uint64_t& counted = nftCounted_[key];
          // A smaller count is a new element (re-added after a logout and login): all new.
          uint64_t delta = e.bytes >= counted ? e.bytes - counted : e.bytes;
          counted = e.bytes;
          if (delta == 0) continue;
          if (!e.download) {
            store_->touch(mac, t, delta, 0);  // the guest's own packets: upload
          } else if (auto owner = store_->findByAddress(address)) {
            store_->touch(owner->mac, t, 0, delta);
          }
        }
      }
    }
    if (err) diag::warning("captive: reading nft counters: " + *err);
  }
  bindAddresses("", t);
  for (auto& ended : store_->expire(t)) {
    logic_->sessionEnded(ended);
    revokeFromSets(ended.session);
    diag::info("captive: session of " + ended.session.mac + " ended (" + captive::toString(ended.reason) + ")");
  }
  publish();
}

void CaptivePortal::run() {
  std::unique_lock lock(tickMutex_);
  while (!stopping_) {
    tickWake_.wait_for(lock, seconds(1), [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    try {
      tick();
    } catch (const std::exception& e) {
      diag::error(std::string("captive: accounting tick: ") + e.what());
    }
    lock.lock();
  }
}

std::string CaptivePortal::sessionsCommand(const std::vector<std::string>& words) {
  try {
    auto t = now();
    std::string verb = words.size() > 1 ? words[1] : "list";
    if (verb == "list" && words.size() <= 2) {
      auto sessions = store_->list();
      std::string out = "{\"ok\":true,\"count\":" + std::to_string(sessions.size()) + ",\"sessions\":[";
      std::string text;
      for (size_t i = 0; i < sessions.size(); ++i) {
        if (i) out += ',';
        appendSession(out, sessions[i], t);
        const auto& s = sessions[i];
        text += s.mac + "  " + captive::toString(s.method) + "  " + (s.user.empty() ? "-" : s.user) +
                "  " + captive::formatDuration(s.secondsLeft(t)) + " left  " +
                std::to_string(s.bytesUp + s.bytesDown) + " bytes  " +
                std::to_string(s.addresses.size()) + " address(es)\n";
      }
      if (sessions.empty()) text = "no sessions\n";
      out += "],\"text\":";
      log::appendJsonString(text, out);
      return out + "}";
    }
    if (words.size() < 3) return error("usage: sessions list | show MAC | kick MAC | extend MAC DURATION");
    auto mac = captive::canonicalMac(words[2]);
    if (!mac) return error("'" + words[2] + "' is not a MAC address");
    if (verb == "show" && words.size() == 3) {
      auto s = store_->find(*mac);
      if (!s) return error("no session for " + *mac);
      std::string out = "{\"ok\":true,\"session\":";
      appendSession(out, *s, t);
      return out + "}";
    }
    if (verb == "kick" && words.size() == 3) {
      auto s = store_->kick(*mac);
      if (!s) return error("no session for " + *mac);
      logic_->sessionEnded({*s, captive::EndReason::Kicked});
      onEnded(*s);
      return "{\"ok\":true,\"kicked\":\"" + *mac + "\"}";
    }
    if (verb == "extend" && words.size() == 4) {
      auto by = std::chrono::duration_cast<seconds>(config::parseDuration(words[3]));
      auto s = store_->extend(*mac, by);
      if (!s) return error("no session for " + *mac);
      allowInSets(*s, t);  // the nft timeouts follow the new expiry
      publish();
      std::string out = "{\"ok\":true,\"session\":";
      appendSession(out, *s, t);
      return out + "}";
    }
    return error("usage: sessions list | show MAC | kick MAC | extend MAC DURATION");
  } catch (const std::exception& e) {
    return error(e.what());
  }
}

std::string CaptivePortal::voucherCommand(const std::vector<std::string>& words) {
  try {
    std::string verb = words.size() > 1 ? words[1] : "";
    if (verb == "list" && words.size() == 2) {
      auto all = vouchers_->list();
      std::string out = "{\"ok\":true,\"count\":" + std::to_string(all.size()) + ",\"text\":";
      log::appendJsonString(all.empty() ? "no vouchers\n" : captive::Vouchers::toText(all), out);
      return out + "}";
    }
    if (verb != "create") return error("usage: voucher create --count N --duration D [--data SIZE] [--devices N] | voucher list");
    uint32_t count = 1, devices = 1;
    seconds duration{0};
    uint64_t data = 0;
    for (size_t i = 2; i < words.size(); ++i) {
      const auto& w = words[i];
      if (i + 1 >= words.size()) return error("'" + w + "' needs a value");
      const auto& v = words[++i];
      if (w == "--count") count = static_cast<uint32_t>(std::stoul(v));
      else if (w == "--duration") duration = std::chrono::duration_cast<seconds>(config::parseDuration(v));
      else if (w == "--data") data = config::parseSize(v);
      else if (w == "--devices") devices = static_cast<uint32_t>(std::stoul(v));
      else return error("unknown option '" + w + "'");
    }
    if (duration.count() <= 0) return error("voucher create needs --duration (e.g. 24h)");
    auto made = vouchers_->create(count, duration, data, devices, now());
    std::string out = "{\"ok\":true,\"codes\":[";
    for (size_t i = 0; i < made.size(); ++i) {
      if (i) out += ',';
      log::appendJsonString(made[i].code, out);
    }
    out += "],\"text\":";
    log::appendJsonString(captive::Vouchers::toText(made), out);
    return out + "}";
  } catch (const std::exception& e) {
    return error(e.what());
  }
}

std::vector<std::pair<std::string, int64_t>> CaptivePortal::statusFields() const {
  std::vector<std::pair<std::string, int64_t>> out;
  if (!store_) return out;
  auto add = [&](std::string name, uint64_t v) { out.emplace_back(std::move(name), static_cast<int64_t>(v)); };
  add("captive_sessions", store_->size());
  add("captive_restore_ms", static_cast<uint64_t>(restoreMs_));
  auto sc = store_->counters();
#define TOLLGATE_ADD(name) add("captive_" #name, sc.name);
  TOLLGATE_SESSION_COUNTERS(TOLLGATE_ADD)
#undef TOLLGATE_ADD
  if (logic_) {
    auto pc = logic_->counters();
#define TOLLGATE_ADD(name) add("portal_" #name, pc.name);
    TOLLGATE_PORTAL_COUNTERS(TOLLGATE_ADD)
#undef TOLLGATE_ADD
  }
  std::lock_guard lock(setsMutex_);
  add("captive_nft_failures", setsFailures_);
  add("captive_sets_rebuild_ms", static_cast<uint64_t>(rebuildMs_));
  if (sets_) add("captive_nft_commits", sets_->counters().commits);
  return out;
}

void CaptivePortal::appendStatus(std::string& out) const {
  for (const auto& [name, value] : statusFields()) out += ",\"" + name + "\":" + std::to_string(value);
}

}  // namespace tollgate
