#include "captive/vouchers.h"

#include <Poco/Data/Statement.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>
#include <tuple>

#include "captive/client_id.h"

namespace tollgate::captive {
namespace {

using Poco::Int64;
namespace kw = Poco::Data::Keywords;
using std::chrono::seconds;
using std::chrono::sys_seconds;

// No 0/O, 1/I/L: printed codes are read aloud and typed on phones.
constexpr std::string_view kAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
static_assert(kAlphabet.size() == 31);

Int64 toDb(sys_seconds t) { return t.time_since_epoch().count(); }
Int64 toDb(uint64_t v) {
  return static_cast<Int64>(std::min<uint64_t>(v, std::numeric_limits<Int64>::max()));
}

std::string opensslError(const char* call) {
  char buf[256] = {};
  ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
  return std::string(call) + ": " + buf;
}

// One code from the CSPRNG. Rejection sampling: a byte maps to a symbol only below
// 248 = 8 × 31, so every symbol is exactly equally likely (a plain `% 31` would favour the
// first eight).
std::string randomCode() {
  constexpr unsigned kLimit = 256 - 256 % kAlphabet.size();
  std::string code;
  std::array<unsigned char, 32> pool{};
  while (code.size() < Vouchers::kCodeLength) {
    if (RAND_bytes(pool.data(), static_cast<int>(pool.size())) != 1) {
      throw std::runtime_error(opensslError("RAND_bytes"));
    }
    for (unsigned char b : pool) {
      if (b >= kLimit) continue;
      code += kAlphabet[b % kAlphabet.size()];
      if (code.size() == Vouchers::kCodeLength) break;
    }
  }
  return code;
}

// The columns of a voucher row, read into vectors so zero rows is not an error.
struct Rows {
  std::vector<std::string> code;
  std::vector<Int64> duration, quota, devices, created, firstUsed, expiresAt;
};

constexpr const char* kSelectVouchers =
    "SELECT code, duration, data_quota, devices, created, first_used, expires_at FROM vouchers";

void selectInto(Poco::Data::Session& db, const std::string& sql, Rows& r,
                std::optional<std::string> code = std::nullopt) {
  Poco::Data::Statement st(db);
  st << sql, kw::into(r.code), kw::into(r.duration), kw::into(r.quota), kw::into(r.devices),
      kw::into(r.created), kw::into(r.firstUsed), kw::into(r.expiresAt);
  if (code) st, kw::bind(*code);
  st.execute();
}

std::vector<Voucher> toVouchers(const Rows& r,
                                const std::map<std::string, std::vector<std::string>>& macs) {
  std::vector<Voucher> out;
  for (size_t i = 0; i < r.code.size(); ++i) {
    Voucher v;
    v.code = Vouchers::display(r.code[i]);
    v.duration = seconds{r.duration[i]};
    v.dataQuota = r.quota[i] < 0 ? 0 : static_cast<uint64_t>(r.quota[i]);
    v.devices = static_cast<uint32_t>(r.devices[i]);
    v.created = sys_seconds{seconds{r.created[i]}};
    if (r.firstUsed[i] != 0) {
      v.firstUsed = sys_seconds{seconds{r.firstUsed[i]}};
      v.expiresAt = sys_seconds{seconds{r.expiresAt[i]}};
    }
    if (auto it = macs.find(r.code[i]); it != macs.end()) v.macs = it->second;
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace

const char* toString(RedeemStatus s) {
  switch (s) {
    case RedeemStatus::Ok: return "ok";
    case RedeemStatus::Unknown: return "unknown";
    case RedeemStatus::Expired: return "expired";
    case RedeemStatus::DevicesUsedUp: return "devices used up";
    case RedeemStatus::DataUsedUp: return "data used up";
  }
  return "?";
}

Vouchers::Vouchers(DatabasePtr db) : db_(std::move(db)) {
  if (!db_) throw std::invalid_argument("Vouchers needs a database");
}

std::optional<std::string> Vouchers::normalize(std::string_view input) {
  std::string out;
  for (char c : input) {
    if (c == ' ' || c == '-' || c == '\t') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (kAlphabet.find(c) == std::string_view::npos) return std::nullopt;
    if (out.size() == kCodeLength) return std::nullopt;  // too long: stop before copying more
    out += c;
  }
  if (out.size() != kCodeLength) return std::nullopt;
  return out;
}

std::string Vouchers::display(std::string_view normalized) {
  std::string out;
  for (size_t i = 0; i < normalized.size(); ++i) {
    if (i > 0 && i % 4 == 0) out += '-';
    out += normalized[i];
  }
  return out;
}

std::vector<Voucher> Vouchers::create(uint32_t count, seconds duration, uint64_t dataQuota,
                                      uint32_t devices, sys_seconds now) {
  if (count == 0 || count > kMaxCount) {
    throw std::invalid_argument("voucher count must be 1.." + std::to_string(kMaxCount));
  }
  if (duration <= seconds{0}) throw std::invalid_argument("voucher duration must be positive");
  if (devices == 0 || devices > kMaxDevices) {
    throw std::invalid_argument("voucher devices must be 1.." + std::to_string(kMaxDevices));
  }
  std::vector<Voucher> made;
  db_->transaction("create vouchers", [&](Poco::Data::Session& db) {
    std::set<std::string> fresh;
    while (fresh.size() < count) {
      std::string code = randomCode();
      if (fresh.count(code)) continue;
      // 49.5 bits make a collision with an existing code very unlikely, not impossible.
      int exists = 0;
      db << "SELECT COUNT(*) FROM vouchers WHERE code = ?", kw::bind(code), kw::into(exists),
          kw::now;
      if (exists) continue;
      db << "INSERT INTO vouchers (code, duration, data_quota, devices, created)"
            " VALUES (?, ?, ?, ?, ?)",
          kw::bind(code), kw::bind(static_cast<Int64>(duration.count())), kw::bind(toDb(dataQuota)),
          kw::bind(static_cast<Int64>(devices)), kw::bind(toDb(now)), kw::now;
      fresh.insert(code);
      Voucher v;
      v.code = display(code);
      v.duration = duration;
      v.dataQuota = dataQuota;
      v.devices = devices;
      v.created = now;
      made.push_back(std::move(v));
    }
  });
  std::lock_guard lock(mutex_);
  counters_.created += made.size();
  return made;
}

Redemption Vouchers::redeem(std::string_view input, std::string_view mac, sys_seconds now) {
  Redemption r;
  auto code = normalize(input);
  auto who = canonicalMac(mac);
  if (code && who) {
    bool reused = false;
    db_->transaction("redeem voucher", [&](Poco::Data::Session& db) {
      Rows v;
      selectInto(db, std::string(kSelectVouchers) + " WHERE code = ?", v, *code);
      if (v.code.empty()) return;  // Unknown
      r.code = display(*code);
      r.dataQuota = v.quota[0] < 0 ? 0 : static_cast<uint64_t>(v.quota[0]);
      const bool started = v.firstUsed[0] != 0;
      if (started && toDb(now) >= v.expiresAt[0]) {
        r.status = RedeemStatus::Expired;
        return;
      }
      std::vector<std::string> macs;
      std::vector<Int64> used;
      db << "SELECT mac, bytes_used FROM voucher_devices WHERE code = ? ORDER BY mac",
          kw::bind(*code), kw::into(macs), kw::into(used), kw::now;
      auto mine = std::find(macs.begin(), macs.end(), *who);
      r.macs = macs;
      uint64_t usedByMe = 0;
      if (mine != macs.end()) {
        reused = true;
        usedByMe = static_cast<uint64_t>(std::max<Int64>(0, used[mine - macs.begin()]));
        if (r.dataQuota != 0 && usedByMe >= r.dataQuota) {
          r.status = RedeemStatus::DataUsedUp;
          return;
        }
      } else {
        if (macs.size() >= static_cast<size_t>(v.devices[0])) {
          r.status = RedeemStatus::DevicesUsedUp;
          return;
        }
        db << "INSERT INTO voucher_devices (code, mac, bound_at) VALUES (?, ?, ?)", kw::bind(*code),
            kw::bind(*who), kw::bind(toDb(now)), kw::now;
        r.macs.push_back(*who);
        std::sort(r.macs.begin(), r.macs.end());
      }
      Int64 expiresAt = v.expiresAt[0];
      if (!started) {  // the first redemption starts the voucher's clock
        expiresAt = toDb(now) + v.duration[0];
        db << "UPDATE vouchers SET first_used = ?, expires_at = ? WHERE code = ?",
            kw::bind(toDb(now)), kw::bind(expiresAt), kw::bind(*code), kw::now;
      }
      r.status = RedeemStatus::Ok;
      r.expiresAt = sys_seconds{seconds{expiresAt}};
      r.dataLeft = r.dataQuota == 0 ? 0 : r.dataQuota - usedByMe;
    });
    if (r.status == RedeemStatus::Ok && reused) {
      std::lock_guard lock(mutex_);
      ++counters_.reused;
      return r;
    }
  }
  std::lock_guard lock(mutex_);
  switch (r.status) {
    case RedeemStatus::Ok: ++counters_.redeemed; break;
    case RedeemStatus::Unknown: ++counters_.unknown; break;
    case RedeemStatus::Expired: ++counters_.expired; break;
    case RedeemStatus::DevicesUsedUp: ++counters_.devices_used_up; break;
    case RedeemStatus::DataUsedUp: ++counters_.data_used_up; break;
  }
  return r;
}

void Vouchers::recordUsage(std::string_view input, std::string_view mac, uint64_t bytes) {
  auto code = normalize(input);
  auto who = canonicalMac(mac);
  if (!code || !who || bytes == 0) return;
  db_->transaction("record voucher usage", [&](Poco::Data::Session& db) {
    // Saturating: SQLite turns an overflowing integer sum into a REAL, which would read back
    // as something else entirely.
    const Int64 add = toDb(bytes);
    db << "UPDATE voucher_devices SET bytes_used = CASE WHEN bytes_used > 9223372036854775807 - ?"
          " THEN 9223372036854775807 ELSE bytes_used + ? END WHERE code = ? AND mac = ?",
        kw::bind(add), kw::bind(add), kw::bind(*code), kw::bind(*who), kw::now;
  });
}

std::optional<Voucher> Vouchers::find(std::string_view input) const {
  auto code = normalize(input);
  if (!code) return std::nullopt;
  return db_->query("find voucher", [&](Poco::Data::Session& db) -> std::optional<Voucher> {
    Rows r;
    selectInto(db, std::string(kSelectVouchers) + " WHERE code = ?", r, *code);
    if (r.code.empty()) return std::nullopt;
    std::vector<std::string> macs;
    db << "SELECT mac FROM voucher_devices WHERE code = ? ORDER BY mac", kw::bind(*code),
        kw::into(macs), kw::now;
    return toVouchers(r, {{*code, macs}}).front();
  });
}

std::vector<Voucher> Vouchers::list() const {
  return db_->query("list vouchers", [&](Poco::Data::Session& db) {
    Rows r;
    selectInto(db, std::string(kSelectVouchers) + " ORDER BY created, code", r);
    std::vector<std::string> codes, macs;
    db << "SELECT code, mac FROM voucher_devices ORDER BY code, mac", kw::into(codes),
        kw::into(macs), kw::now;
    std::map<std::string, std::vector<std::string>> byCode;
    for (size_t i = 0; i < codes.size(); ++i) byCode[codes[i]].push_back(macs[i]);
    return toVouchers(r, byCode);
  });
}

bool Vouchers::remove(std::string_view input) {
  auto code = normalize(input);
  if (!code) return false;
  return db_->transaction("remove voucher", [&](Poco::Data::Session& db) {
    int exists = 0;
    db << "SELECT COUNT(*) FROM vouchers WHERE code = ?", kw::bind(*code), kw::into(exists),
        kw::now;
    db << "DELETE FROM voucher_devices WHERE code = ?", kw::bind(*code), kw::now;
    db << "DELETE FROM vouchers WHERE code = ?", kw::bind(*code), kw::now;
    return exists != 0;
  });
}

size_t Vouchers::removeExpired(sys_seconds now) {
  return db_->transaction("remove expired vouchers", [&](Poco::Data::Session& db) {
    const Int64 t = toDb(now);
    int n = 0;
    db << "SELECT COUNT(*) FROM vouchers WHERE first_used != 0 AND expires_at <= ?", kw::bind(t),
        kw::into(n), kw::now;
    db << "DELETE FROM voucher_devices WHERE code IN"
          " (SELECT code FROM vouchers WHERE first_used != 0 AND expires_at <= ?)",
        kw::bind(t), kw::now;
    db << "DELETE FROM vouchers WHERE first_used != 0 AND expires_at <= ?", kw::bind(t), kw::now;
    return static_cast<size_t>(n);
  });
}

std::string formatDuration(seconds d) {
  const auto n = d.count();
  if (n >= 2 * 86400 && n % 86400 == 0) return std::to_string(n / 86400) + "d";
  if (n != 0 && n % 3600 == 0) return std::to_string(n / 3600) + "h";
  if (n != 0 && n % 60 == 0) return std::to_string(n / 60) + "m";
  return std::to_string(n) + "s";
}

std::string formatSize(uint64_t bytes) {
  static constexpr std::pair<int, char> kUnits[] = {{40, 'T'}, {30, 'G'}, {20, 'M'}, {10, 'K'}};
  for (auto [shift, unit] : kUnits) {
    const uint64_t size = uint64_t{1} << shift;
    if (bytes >= size && bytes % size == 0) return std::to_string(bytes >> shift) + unit;
  }
  return std::to_string(bytes);
}

std::string Vouchers::toText(const std::vector<Voucher>& vouchers) {
  // One heading per run of equal terms: a roll from one create() has a single heading, a
  // list() of mixed rolls reads as several.
  std::string out;
  std::optional<std::tuple<seconds, uint64_t, uint32_t>> terms;
  for (const Voucher& v : vouchers) {
    auto these = std::make_tuple(v.duration, v.dataQuota, v.devices);
    if (terms != these) {
      if (terms) out += '\n';
      out += "Wi-Fi access: " + formatDuration(v.duration) + " from first use";
      if (v.dataQuota == 0)
        out += ", unlimited data";
      else
        out += ", " + formatSize(v.dataQuota) + (v.devices == 1 ? " of data" : " of data each");
      out += v.devices == 1 ? ", 1 device" : ", " + std::to_string(v.devices) + " devices";
      out += "\n\n";
      terms = these;
    }
    out += "    " + v.code + "\n";
  }
  return out;
}

Vouchers::Counters Vouchers::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

}  // namespace tollgate::captive
