#pragma once
// Voucher codes: `tollgatectl voucher create --count N --duration 24h [--data 2G] [--devices 1]`
// prints a list to hand out; a guest types one into the portal.
//
// A code is 10 characters from a 31-symbol alphabet without the look-alikes 0/O, 1/I/L, drawn
// from OpenSSL's CSPRNG (RAND_bytes): about 49.5 bits, shown as ABCD-EFGH-JK. Guessing is also
// rate-limited per MAC (LoginLimiter), so the code space is never the only defence.
//
// Rules, all enforced inside one SQLite transaction per redemption:
// - a voucher's clock starts at its first redemption (expires_at = first use + duration), so a
//   printed roll does not age in a drawer;
// - up to `devices` distinct MACs may redeem it; a MAC already bound redeems again freely (a
//   phone whose session went idle comes back without burning a device);
// - the data quota is per device and counts across that device's sessions: the portal calls
//   recordUsage() with a voucher session's bytes when it ends, so going idle and logging in
//   again does not reset the quota.
//
// Vouchers are not cached in memory: every call reads SQLite, so codes created by tollgatectl
// writing the same file are valid at once, while the daemon runs.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "captive/database.h"

namespace tollgate::captive {

struct Voucher {
  std::string code;  // display form, "ABCD-EFGH-JK"
  std::chrono::seconds duration{0};
  uint64_t dataQuota = 0;  // bytes per device; 0: none
  uint32_t devices = 1;
  std::chrono::sys_seconds created{};
  std::optional<std::chrono::sys_seconds> firstUsed;  // nullopt: never redeemed
  std::optional<std::chrono::sys_seconds> expiresAt;  // first use + duration
  std::vector<std::string> macs;                      // bound devices, sorted
};

enum class RedeemStatus {
  Ok,
  Unknown,        // no such code (or not even shaped like one)
  Expired,        // its time since first use is over
  DevicesUsedUp,  // `devices` other MACs hold it
  DataUsedUp,     // this MAC has used its data quota
};
const char* toString(RedeemStatus s);

struct Redemption {
  RedeemStatus status = RedeemStatus::Unknown;
  std::string code;                      // display form, when the code exists
  std::chrono::sys_seconds expiresAt{};  // Ok: the session lasts until then
  uint64_t dataQuota = 0;                // the voucher's quota per device; 0: none
  uint64_t dataLeft = 0;                 // Ok with a quota: what this MAC may still use
  std::vector<std::string> macs;         // MACs bound after this call (DevicesUsedUp: the holders)
};

#define TOLLGATE_VOUCHER_COUNTERS(X)                  \
  X(created)                                          \
  X(redeemed) /* Ok, a first use or a new device */   \
  X(reused)   /* Ok, a MAC already bound came back */ \
  X(unknown)                                          \
  X(expired)                                          \
  X(devices_used_up)                                  \
  X(data_used_up)

class Vouchers {
 public:
  static constexpr size_t kCodeLength = 10;
  static constexpr uint32_t kMaxCount = 10000;  // per create(); larger rolls are mistakes
  static constexpr uint32_t kMaxDevices = 1000;

  struct Counters {
#define TOLLGATE_VOUCHER_FIELD(name) uint64_t name = 0;
    TOLLGATE_VOUCHER_COUNTERS(TOLLGATE_VOUCHER_FIELD)
#undef TOLLGATE_VOUCHER_FIELD
  };

  explicit Vouchers(DatabasePtr db);

  // Creates `count` new codes in one transaction. Throws std::invalid_argument for a count of
  // 0 or above kMaxCount, a non-positive duration, or devices outside 1..kMaxDevices;
  // std::runtime_error if the CSPRNG fails or for a database error (naming its path).
  std::vector<Voucher> create(uint32_t count, std::chrono::seconds duration, uint64_t dataQuota,
                              uint32_t devices, std::chrono::sys_seconds now);

  // Redeems what a guest typed for `mac` (see the rules above). A malformed MAC is Unknown.
  Redemption redeem(std::string_view input, std::string_view mac, std::chrono::sys_seconds now);

  // Adds a finished voucher session's bytes to what `mac` has used of `code`.
  void recordUsage(std::string_view code, std::string_view mac, uint64_t bytes);

  std::optional<Voucher> find(std::string_view input) const;
  std::vector<Voucher> list() const;  // by creation time, then code
  bool remove(std::string_view input);
  // Deletes vouchers whose time ran out before `now`; returns how many. Unused ones stay.
  size_t removeExpired(std::chrono::sys_seconds now);

  // What a guest typed → the stored form ("ABCDEFGHJK"): case folded, spaces and dashes
  // dropped. nullopt if it cannot be a code (wrong length, a character outside the alphabet).
  static std::optional<std::string> normalize(std::string_view input);
  static std::string display(std::string_view normalized);  // "ABCD-EFGH-JK"

  // The printable roll: a header with duration, data and devices per group of equal terms,
  // then one code per line.
  static std::string toText(const std::vector<Voucher>& vouchers);

  Counters counters() const;

 private:
  const DatabasePtr db_;
  mutable std::mutex mutex_;  // the counters only; the database has its own lock
  Counters counters_;
};

// "24h", "2d", "90m", "45s": the largest unit that divides exactly (days from two on), so
// the text reads back through the config's duration parser.
std::string formatDuration(std::chrono::seconds d);
// "2G", "512M", "1500": binary units, exact only (a size that is not a whole unit stays bytes).
std::string formatSize(uint64_t bytes);

}  // namespace tollgate::captive
