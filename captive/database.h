#pragma once
// The captive portal's SQLite file ([captive] database = PATH), opened through Poco::Data.
// Sessions, their addresses and vouchers share it, so one schema version (PRAGMA user_version)
// describes the whole file and every migration lives in database.cc.
//
// One connection, one mutex: the portal's HTTP threads, the control socket and the once-a-second
// accounting tick all go through it, and each operation is a few rows. Poco exceptions never
// leave this class: they become std::runtime_error("captive database PATH: WHAT: detail").
//
// Durability choices: WAL (readers never block the writer, one fsync per commit instead of two)
// with synchronous = NORMAL: a power cut may lose the last commits but never corrupts the file,
// the right trade for a router writing to flash. busy_timeout lets tollgatectl write vouchers
// into the same file while the daemon runs.
#include <Poco/Data/Session.h>
#include <Poco/Exception.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>

namespace tollgate::captive {

class Database {
 public:
  static constexpr int kSchemaVersion = 1;

  // Opens or creates `path` (":memory:" for a private in-memory database) and migrates it to
  // kSchemaVersion. Throws std::runtime_error naming the path if the file cannot be opened,
  // or was written by a newer Tollgate (a higher user_version).
  explicit Database(std::string path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  const std::string& path() const { return path_; }
  // "wal" for a file; "memory" for ":memory:". Anything else means the filesystem refused WAL
  // (some network and FUSE filesystems do): still correct, slower; the daemon should log it.
  const std::string& journalMode() const { return journalMode_; }
  int schemaVersion() const { return schemaVersion_; }

  // Runs fn(Poco::Data::Session&) inside one transaction, under the lock. Commits if fn
  // returns, rolls back if it throws. Poco exceptions are rethrown as std::runtime_error
  // naming the path and `what`; other exceptions pass through unchanged after the rollback.
  template <class Fn>
  std::invoke_result_t<Fn, Poco::Data::Session&> transaction(std::string_view what, Fn&& fn);

  // Runs fn(Poco::Data::Session&) under the lock without a transaction (single statements).
  template <class Fn>
  std::invoke_result_t<Fn, Poco::Data::Session&> query(std::string_view what, Fn&& fn) const;

 private:
  void migrate();
  void rollbackQuietly();
  [[noreturn]] void fail(std::string_view what, const std::string& detail) const;

  const std::string path_;
  std::string journalMode_;
  int schemaVersion_ = 0;
  mutable std::mutex mutex_;
  std::unique_ptr<Poco::Data::Session> session_;
};
using DatabasePtr = std::shared_ptr<Database>;

template <class Fn>
std::invoke_result_t<Fn, Poco::Data::Session&> Database::transaction(std::string_view what,
                                                                     Fn&& fn) {
  using R = std::invoke_result_t<Fn, Poco::Data::Session&>;
  std::lock_guard lock(mutex_);
  try {
    session_->begin();
    if constexpr (std::is_void_v<R>) {
      fn(*session_);
      session_->commit();
    } else {
      R result = fn(*session_);
      session_->commit();
      return result;
    }
  } catch (const Poco::Exception& e) {
    rollbackQuietly();
    fail(what, e.displayText());
  } catch (...) {
    rollbackQuietly();
    throw;
  }
}

template <class Fn>
std::invoke_result_t<Fn, Poco::Data::Session&> Database::query(std::string_view what,
                                                               Fn&& fn) const {
  std::lock_guard lock(mutex_);
  try {
    return fn(*session_);
  } catch (const Poco::Exception& e) {
    fail(what, e.displayText());
  }
}

}  // namespace tollgate::captive
