#include "captive/database.h"

#include <Poco/Data/SQLite/Connector.h>

#include <mutex>
#include <stdexcept>
#include <vector>

namespace tollgate::captive {
namespace {

using namespace Poco::Data::Keywords;

// The schema, one entry per version: entry i takes a file from user_version i to i + 1. Append
// only; a released entry never changes, because files in the field already ran it.
//
// Times are Unix seconds, byte counts and quotas plain bytes (0 = no quota). A voucher's
// first_used and expires_at are 0 until its first redemption: its clock starts then.
const std::vector<std::vector<const char*>>& migrations() {
  static const std::vector<std::vector<const char*>> steps = {
      {
          // 0 → 1: sessions, the addresses seen for each, vouchers and the MACs bound to them.
          "CREATE TABLE sessions ("
          " mac TEXT PRIMARY KEY,"
          " method TEXT NOT NULL,"
          " user TEXT NOT NULL,"
          " started INTEGER NOT NULL,"
          " expires INTEGER NOT NULL,"
          " idle_timeout INTEGER NOT NULL,"
          " last_activity INTEGER NOT NULL,"
          " data_quota INTEGER NOT NULL,"
          " bytes_up INTEGER NOT NULL,"
          " bytes_down INTEGER NOT NULL)",
          // An address belongs to at most one session (its primary key): when a lease moves to
          // another device the row moves with it, so the old MAC cannot keep it authorised.
          "CREATE TABLE session_addresses ("
          " address TEXT PRIMARY KEY,"
          " mac TEXT NOT NULL REFERENCES sessions(mac) ON DELETE CASCADE,"
          " last_seen INTEGER NOT NULL)",
          "CREATE INDEX session_addresses_by_mac ON session_addresses(mac)",
          "CREATE TABLE vouchers ("
          " code TEXT PRIMARY KEY,"
          " duration INTEGER NOT NULL,"
          " data_quota INTEGER NOT NULL,"
          " devices INTEGER NOT NULL,"
          " created INTEGER NOT NULL,"
          " first_used INTEGER NOT NULL DEFAULT 0,"
          " expires_at INTEGER NOT NULL DEFAULT 0)",
          "CREATE TABLE voucher_devices ("
          " code TEXT NOT NULL REFERENCES vouchers(code) ON DELETE CASCADE,"
          " mac TEXT NOT NULL,"
          " bound_at INTEGER NOT NULL,"
          " bytes_used INTEGER NOT NULL DEFAULT 0,"
          " PRIMARY KEY (code, mac))",
      },
  };
  return steps;
}

void registerSqliteOnce() {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Data::SQLite::Connector::registerConnector(); });
}

}  // namespace

Database::Database(std::string path) : path_(std::move(path)) {
  registerSqliteOnce();
  try {
    // Login timeout 0: Poco retries a failed sqlite3_open_v2 until it runs out (60 s by
    // default), but opening takes no lock, so a missing directory or a permission problem
    // never clears up by waiting. Contention is handled by busy_timeout below.
    session_ = std::make_unique<Poco::Data::Session>(Poco::Data::SQLite::Connector::KEY, path_, 0);
    Poco::Data::Session& s = *session_;
    // Each pragma answers with a row; reading it also tells what the file actually accepted.
    s << "PRAGMA journal_mode = WAL", into(journalMode_), now;
    s << "PRAGMA synchronous = NORMAL", now;
    int busyMs = 0;
    s << "PRAGMA busy_timeout = 5000", into(busyMs), now;
    // Off by default in SQLite, per connection: without it ON DELETE CASCADE does nothing.
    s << "PRAGMA foreign_keys = ON", now;
  } catch (const Poco::Exception& e) {
    fail("open", e.displayText());
  }
  migrate();
}

Database::~Database() {
  try {
    if (session_) session_->close();
  } catch (const Poco::Exception&) {
    // Closing flushes nothing we have not committed; a failure here has no one to tell.
  }
}

void Database::migrate() {
  const auto& steps = migrations();
  int version = 0;
  try {
    *session_ << "PRAGMA user_version", into(version), now;
  } catch (const Poco::Exception& e) {
    fail("read user_version", e.displayText());
  }
  if (version > static_cast<int>(steps.size())) {
    fail("open", "schema version " + std::to_string(version) +
                     " was written by a newer tollgate (this one knows up to " +
                     std::to_string(steps.size()) + ")");
  }
  static_assert(kSchemaVersion == 1, "add a migration step with the new version");
  while (version < static_cast<int>(steps.size())) {
    const int target = version + 1;
    transaction("migrate to schema " + std::to_string(target), [&](Poco::Data::Session& s) {
      for (const char* sql : steps[version]) s << sql, now;
      // PRAGMA takes no bound parameters; the number is ours, not user input.
      s << "PRAGMA user_version = " + std::to_string(target), now;
    });
    version = target;
  }
  schemaVersion_ = version;
}

void Database::rollbackQuietly() {
  try {
    if (session_ && session_->isTransaction()) session_->rollback();
  } catch (const Poco::Exception&) {
    // The original error is the one worth reporting; SQLite rolls back on its own when a
    // statement inside the transaction failed badly enough to end it.
  }
}

void Database::fail(std::string_view what, const std::string& detail) const {
  throw std::runtime_error("captive database " + path_ + ": " + std::string(what) + ": " + detail);
}

}  // namespace tollgate::captive
