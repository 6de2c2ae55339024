#pragma once
// The captive portal's control plane inside tollgated: the session store, the portal's web
// server, the nft sets and the accounting tick, wired to the workers. Control plane only: it
// locks, writes SQLite and talks netlink, never on a worker thread.
//
// A login flows: portal POST → SessionStore::login (SQLite commit) → onLogin: bind the MAC's
// addresses from the neighbour table, one nft transaction (MAC + addresses, timeout = the time
// left), a new session snapshot posted to every worker → 303 to the original page. Logout,
// `tollgatectl sessions kick` and expiry run the same steps backwards.
//
// Once a second the tick: adds the bytes the workers proxied (CaptiveUsage) and the nft
// per-element counters (traffic the proxy does not see) to each session; binds addresses the
// neighbour table learnt for logged-in MACs (a new lease, an IPv6 privacy address); ends
// sessions past their time, idle or over quota (voucher usage and RADIUS Stop through
// PortalLogic::sessionEnded); publishes the snapshot when anything changed.
//
// The nft sets live in the table the daemon replaces on every ruleset load, so rebuildSets()
// refills them from the store after each load: at start (sessions survive a restart) and
// after every reload.
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "captive/session_store.h"
#include "daemon/config/config.h"
#include "daemon/proxy/captive_usage.h"

namespace tollgate::nf {
class NeighbourTable;
class CaptiveSets;
}  // namespace tollgate::nf

namespace tollgate::captive {
class Vouchers;
class Accounts;
class RadiusClient;
class LoginLimiter;
class CsrfTokens;
class PortalLogic;
class PortalServer;
}  // namespace tollgate::captive

namespace tollgate {

class CaptivePortal {
 public:
  using Publish = std::function<void(captive::SessionSnapshotPtr)>;

  // `manageSets`: the daemon installs the ruleset (gateway.manage_nftables), so the sets exist.
  CaptivePortal(config::ConfigPtr config, nf::NeighbourTable* neighbours, bool manageSets,
                Publish publish);
  ~CaptivePortal();  // stop()

  // Opens the database (sessions come back), the RADIUS client, the portal's listeners, and
  // publishes the first snapshot. Throws std::runtime_error with an admin-readable message.
  void start();
  // Starts the accounting tick; after the ruleset is installed and rebuildSets() ran.
  void startTicking();
  void stop();

  // Refills the nft sets from the store (after every ruleset load). Returns an error message,
  // or nullopt.
  std::optional<std::string> rebuildSets();

  proxy::CaptiveUsage& usage() { return usage_; }

  // `tollgatectl sessions list | show MAC | kick MAC | extend MAC DURATION`.
  std::string sessionsCommand(const std::vector<std::string>& words);
  // `tollgatectl voucher create --count N --duration D [--data SIZE] [--devices N] | list`.
  std::string voucherCommand(const std::vector<std::string>& words);
  // Every count, named as `tollgatectl status` and the metrics endpoint show it.
  std::vector<std::pair<std::string, int64_t>> statusFields() const;
  // ,"captive_...":N fields for `tollgatectl status`.
  void appendStatus(std::string& json) const;

 private:
  void onLogin(const captive::Session& session);
  void onEnded(const captive::Session& session);
  std::optional<std::string> macOf(const std::string& address) const;
  // Binds every neighbour-table address of a logged-in MAC (all of them when `onlyMac` is
  // empty) and queues the nft changes into `batchAdds`.
  void bindAddresses(const std::string& onlyMac, captive::UnixTime now);
  void allowInSets(const captive::Session& session, captive::UnixTime now);
  void revokeFromSets(const captive::Session& session);
  void publish();
  void tick();
  void run();
  captive::UnixTime now() const;

  config::ConfigPtr config_;
  nf::NeighbourTable* neighbours_;
  const bool manageSets_;
  Publish publish_;
  proxy::CaptiveUsage usage_;

  captive::DatabasePtr db_;
  std::unique_ptr<captive::SessionStore> store_;
  std::unique_ptr<captive::Vouchers> vouchers_;
  std::shared_ptr<const captive::Accounts> accounts_;
  std::unique_ptr<captive::RadiusClient> radius_;
  std::unique_ptr<captive::LoginLimiter> limiter_;
  std::unique_ptr<captive::CsrfTokens> csrf_;
  std::unique_ptr<captive::PortalLogic> logic_;
  std::unique_ptr<captive::PortalServer> server_;

  mutable std::mutex setsMutex_;  // the netlink socket, from portal threads, the tick, reloads
  std::unique_ptr<nf::CaptiveSets> sets_;
  std::string lastSetsError_;
  uint64_t setsFailures_ = 0;
  // nft per-element byte counts already added to sessions, by "mac" or "address/mac".
  std::map<std::string, uint64_t> nftCounted_;
  uint64_t lastPublished_ = 0;  // snapshot version
  double restoreMs_ = 0;        // opening the database and loading every session, at start
  double rebuildMs_ = 0;        // the last refill of the nft sets
  std::mutex publishMutex_;

  std::mutex tickMutex_;
  std::condition_variable tickWake_;
  bool stopping_ = false;
  std::thread ticker_;
};

}  // namespace tollgate
