// Cache-Control, Pragma and HTTP-date parsers; the contract and the choices are in
// cache_control.h. Everything here walks the input once, with no recursion and no allocation
// beyond the bounded field lists.
#include "daemon/inspect/cache_control.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include "daemon/inspect/http_fields.h"

namespace tollgate::inspect {
namespace {

using detail::equalsIgnoreCase;
using detail::is;
using detail::kTchar;
using detail::toLower;

bool isOws(char c) { return c == ' ' || c == '\t'; }

// Not allowed in a quoted-string (RFC 9110 §5.6.4): CTLs other than HTAB.
bool isControl(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && c != '\t') || u == 0x7f;
}

std::string_view trimOws(std::string_view v) {
  while (!v.empty() && isOws(v.front())) v.remove_prefix(1);
  while (!v.empty() && isOws(v.back())) v.remove_suffix(1);
  return v;
}

// One element of a Cache-Control or Pragma list.
struct Directive {
  std::string_view name;      // a token; empty when the element does not start with one
  bool hasArgument = false;   // "=" was present
  std::string_view argument;  // token, or quoted-string content with quoted-pairs undone
  bool malformed = false;     // something after the name that the grammar does not allow
};

// Walks a directive list (RFC 9111 §5.2, list syntax RFC 9110 §5.6.1):
//
//   Cache-Control   = #cache-directive
//   cache-directive = token [ "=" ( token / quoted-string ) ]
//   quoted-string   = DQUOTE *( qdtext / quoted-pair ) DQUOTE
//
//   max-age=60 , no-cache="Set-Cookie, X-Id",private
//   `-name-'`arg `-name--' `----quoted arg-----' `name'
//
// Empty elements are skipped. A malformed element is returned flagged and the walk resumes after
// the next comma outside a quoted string, so one bad element neither hides the directives after
// it nor lets a comma inside quotes start a new one. OWS around "=" is tolerated (some origins
// send "max-age = 60"). An unterminated quoted string runs to the end of the value.
class DirectiveReader {
 public:
  explicit DirectiveReader(std::string_view list) : in_(list) {}

  // The next element, or false at the end. `d.argument` may point into this reader: use it
  // before the next call.
  bool next(Directive& d) {
    while (pos_ < in_.size() && (isOws(in_[pos_]) || in_[pos_] == ',')) ++pos_;
    if (pos_ >= in_.size()) return false;
    d = Directive{};
    d.name = token();
    if (d.name.empty()) return malformed(d);
    skipOws();
    if (pos_ < in_.size() && in_[pos_] == '=') {
      ++pos_;
      skipOws();
      d.hasArgument = true;
      if (pos_ < in_.size() && in_[pos_] == '"') {
        if (!quoted(d.argument)) return malformed(d);
      } else {
        d.argument = token();
        if (d.argument.empty()) return malformed(d);
      }
      skipOws();
    }
    if (pos_ < in_.size() && in_[pos_] != ',') return malformed(d);
    return true;
  }

 private:
  std::string_view token() {
    size_t start = pos_;
    while (pos_ < in_.size() && is(in_[pos_], kTchar)) ++pos_;
    return in_.substr(start, pos_ - start);
  }

  void skipOws() {
    while (pos_ < in_.size() && isOws(in_[pos_])) ++pos_;
  }

  // The quoted-string at pos_ (RFC 9110 §5.6.4). Copies into scratch_ only when it holds a
  // quoted-pair. Control characters (other than HTAB) make it invalid, but it is still consumed
  // up to its closing quote so the walk resumes at the right comma.
  bool quoted(std::string_view& out) {
    size_t start = ++pos_;
    bool valid = true;
    bool escaped = false;
    for (; pos_ < in_.size(); ++pos_) {
      char c = in_[pos_];
      if (c == '\\' && pos_ + 1 < in_.size()) {
        escaped = true;
        c = in_[++pos_];  // quoted-pair: the next byte stands for itself
        valid = valid && !isControl(c);
      } else if (isControl(c)) {
        valid = false;
      } else if (c == '"') {
        std::string_view raw = in_.substr(start, pos_ - start);
        ++pos_;
        out = escaped ? unescape(raw) : raw;
        return valid;
      }
    }
    return false;  // unterminated: pos_ is at the end
  }

  std::string_view unescape(std::string_view raw) {
    scratch_.clear();
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '\\' && i + 1 < raw.size()) ++i;
      scratch_.push_back(raw[i]);
    }
    return scratch_;
  }

  bool malformed(Directive& d) {
    d.malformed = true;
    bool inQuotes = false;
    for (; pos_ < in_.size(); ++pos_) {
      char c = in_[pos_];
      if (inQuotes) {
        if (c == '\\' && pos_ + 1 < in_.size()) {
          ++pos_;
        } else if (c == '"') {
          inQuotes = false;
        }
      } else if (c == '"') {
        inQuotes = true;
      } else if (c == ',') {
        break;
      }
    }
    return true;
  }

  std::string_view in_;
  size_t pos_ = 0;
  std::string scratch_;
};

// delta-seconds = 1*DIGIT (RFC 9111 §1.2.2), saturating at kDeltaSecondsMax however many digits.
std::optional<int64_t> deltaSeconds(const Directive& d) {
  if (!d.hasArgument || d.malformed || d.argument.empty()) return std::nullopt;
  int64_t v = 0;
  for (char c : d.argument) {
    if (c < '0' || c > '9') return std::nullopt;
    if (v < kDeltaSecondsMax) v = v * 10 + (c - '0');
  }
  return std::min(v, kDeltaSecondsMax);
}

// The #field-name argument of no-cache / private, merged into `fields` (lower-case, no
// duplicates). False, leaving `fields` untouched, when the list is empty, holds a non-token, or
// would exceed kMaxListedFields: the caller then reads the directive unqualified.
bool mergeFieldList(const Directive& d, std::vector<std::string>& fields) {
  if (!d.hasArgument || d.malformed) return false;
  std::vector<std::string> merged = fields;
  bool any = false;
  std::string_view rest = d.argument;
  for (;;) {
    size_t comma = rest.find(',');
    std::string_view element = trimOws(rest.substr(0, comma));
    if (!element.empty()) {
      std::string name;
      for (char c : element) {
        if (!is(c, kTchar)) return false;
        name.push_back(toLower(c));
      }
      any = true;
      if (std::find(merged.begin(), merged.end(), name) == merged.end()) {
        if (merged.size() >= kMaxListedFields) return false;
        merged.push_back(std::move(name));
      }
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (!any) return false;
  fields = std::move(merged);
  return true;
}

void keepSmallest(const Directive& d, std::optional<int64_t>& slot) {
  if (auto v = deltaSeconds(d)) slot = slot ? std::min(*slot, *v) : *v;
}

// max-age / s-maxage of a response: a second, different value or an invalid one marks the
// freshness invalid (the response is then treated as stale) while the first valid value stays.
void keepLifetime(const Directive& d, std::optional<int64_t>& slot, bool& invalid) {
  auto v = deltaSeconds(d);
  if (!v) {
    invalid = true;
  } else if (!slot) {
    slot = v;
  } else if (*slot != *v) {
    invalid = true;
  }
}

// Calls `apply` for every named directive of every field called `field`; true when there is at
// least one such field, even an empty one.
template <typename Apply>
bool forEachDirective(const std::vector<HeaderField>& headers, std::string_view field,
                      Apply apply) {
  bool present = false;
  for (const HeaderField& h : headers) {
    if (!equalsIgnoreCase(h.name, field)) continue;
    present = true;
    DirectiveReader reader(h.value);
    Directive d;
    while (reader.next(d)) {
      if (!d.name.empty()) apply(d);
    }
  }
  return present;
}

void applyRequestDirective(const Directive& d, RequestCacheControl& cc) {
  std::string_view n = d.name;
  if (equalsIgnoreCase(n, "no-cache")) {
    cc.noCache = true;
  } else if (equalsIgnoreCase(n, "no-store")) {
    cc.noStore = true;
  } else if (equalsIgnoreCase(n, "max-age")) {
    keepSmallest(d, cc.maxAge);
  } else if (equalsIgnoreCase(n, "max-stale")) {
    // max-stale permits more, so it counts only well formed: bare, or with delta-seconds.
    if (!d.hasArgument && !d.malformed) {
      cc.maxStale = true;
    } else if (deltaSeconds(d)) {
      cc.maxStale = true;
      keepSmallest(d, cc.maxStaleSeconds);
    }
  } else if (equalsIgnoreCase(n, "min-fresh")) {
    if (auto v = deltaSeconds(d)) cc.minFresh = cc.minFresh ? std::max(*cc.minFresh, *v) : *v;
  } else if (equalsIgnoreCase(n, "only-if-cached")) {
    cc.onlyIfCached = true;
  } else if (equalsIgnoreCase(n, "no-transform")) {
    cc.noTransform = true;
  }
}

void applyResponseDirective(const Directive& d, ResponseCacheControl& cc) {
  std::string_view n = d.name;
  bool wellFormedBare = !d.hasArgument && !d.malformed;
  if (equalsIgnoreCase(n, "no-store")) {
    cc.noStore = true;
  } else if (equalsIgnoreCase(n, "no-cache")) {
    if (!mergeFieldList(d, cc.noCacheFields)) cc.noCache = true;
  } else if (equalsIgnoreCase(n, "private")) {
    if (!mergeFieldList(d, cc.privateFields)) cc.isPrivate = true;
  } else if (equalsIgnoreCase(n, "public")) {
    if (wellFormedBare) cc.isPublic = true;
  } else if (equalsIgnoreCase(n, "max-age")) {
    keepLifetime(d, cc.maxAge, cc.invalidFreshness);
  } else if (equalsIgnoreCase(n, "s-maxage")) {
    keepLifetime(d, cc.sMaxAge, cc.invalidFreshness);
  } else if (equalsIgnoreCase(n, "must-revalidate")) {
    cc.mustRevalidate = true;
  } else if (equalsIgnoreCase(n, "proxy-revalidate")) {
    cc.proxyRevalidate = true;
  } else if (equalsIgnoreCase(n, "immutable")) {
    if (wellFormedBare) cc.immutable = true;
  } else if (equalsIgnoreCase(n, "stale-while-revalidate")) {
    keepSmallest(d, cc.staleWhileRevalidate);
  } else if (equalsIgnoreCase(n, "stale-if-error")) {
    keepSmallest(d, cc.staleIfError);
  } else if (equalsIgnoreCase(n, "no-transform")) {
    cc.noTransform = true;
  } else if (equalsIgnoreCase(n, "must-understand")) {
    // It lets a cache ignore no-store (§5.2.2.3), so it must be exactly the bare directive.
    if (wellFormedBare) cc.mustUnderstand = true;
  }
}

// --- HTTP-date ---------------------------------------------------------------------------------

constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> kLongDays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                       "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr int64_t kSecondsPerDay = 86400;

template <size_t N>
int indexOf(const std::array<std::string_view, N>& names, std::string_view word) {
  for (size_t i = 0; i < N; ++i) {
    if (equalsIgnoreCase(names[i], word)) return static_cast<int>(i);
  }
  return -1;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil): exact for
// any year, no table, no time zone.
int64_t daysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct Civil {
  int64_t year;
  int month;
  int day;
};

Civil civilFromDays(int64_t z) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

int daysInMonth(int64_t year, int month) {
  static constexpr int kDaysIn[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDaysIn[month - 1];
}

// A cursor over a date value; every read checks what is left.
class DateReader {
 public:
  explicit DateReader(std::string_view s) : s_(s) {}

  bool atEnd() const { return pos_ == s_.size(); }

  bool literal(char c) {
    if (pos_ >= s_.size() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }

  std::string_view letters() {
    size_t start = pos_;
    while (pos_ < s_.size() && ((s_[pos_] | 0x20) >= 'a' && (s_[pos_] | 0x20) <= 'z')) ++pos_;
    return s_.substr(start, pos_ - start);
  }

  bool digits(int count, int& out) {
    if (s_.size() - pos_ < static_cast<size_t>(count)) return false;
    out = 0;
    for (int i = 0; i < count; ++i) {
      char c = s_[pos_ + static_cast<size_t>(i)];
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
    }
    pos_ += static_cast<size_t>(count);
    return true;
  }

  bool month(int& m) {
    m = indexOf(kMonths, letters()) + 1;
    return m > 0;
  }

  // time-of-day = hour ":" minute ":" second, second 00-60 (a leap second is allowed).
  bool timeOfDay(int64_t& seconds) {
    int h = 0, m = 0, s = 0;
    if (!digits(2, h) || !literal(':') || !digits(2, m) || !literal(':') || !digits(2, s)) {
      return false;
    }
    if (h > 23 || m > 59 || s > 60) return false;
    seconds = h * 3600 + m * 60 + s;
    return true;
  }

  bool gmt() { return equalsIgnoreCase(letters(), "GMT"); }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

std::optional<int64_t> toUnix(int64_t year, int month, int day, int64_t secondOfDay) {
  if (day < 1 || day > daysInMonth(year, month)) return std::nullopt;
  return daysFromCivil(year, month, day) * kSecondsPerDay + secondOfDay;
}

// The year of `now`, with `now` clamped to years 0000-9999 so no input can overflow.
int64_t yearOf(int64_t now) {
  int64_t lo = daysFromCivil(0, 1, 1) * kSecondsPerDay;
  int64_t hi = daysFromCivil(9999, 12, 31) * kSecondsPerDay;
  int64_t days = std::clamp(now, lo, hi) / kSecondsPerDay;
  return civilFromDays(days).year;
}

}  // namespace

RequestCacheControl parseRequestCacheControl(const std::vector<HeaderField>& headers) {
  RequestCacheControl cc;
  bool present = forEachDirective(headers, "cache-control",
                                  [&](const Directive& d) { applyRequestDirective(d, cc); });
  if (!present) {
    forEachDirective(headers, "pragma", [&](const Directive& d) {
      if (equalsIgnoreCase(d.name, "no-cache")) cc.noCache = true;
    });
  }
  return cc;
}

ResponseCacheControl parseResponseCacheControl(const std::vector<HeaderField>& headers) {
  ResponseCacheControl cc;
  forEachDirective(headers, "cache-control",
                   [&](const Directive& d) { applyResponseDirective(d, cc); });
  // The unqualified form covers every field: a list next to it adds nothing.
  if (cc.noCache) cc.noCacheFields.clear();
  if (cc.isPrivate) cc.privateFields.clear();
  return cc;
}

// IMF-fixdate  = day-name "," SP day SP month SP year SP time-of-day SP "GMT"
//                Sun, 06 Nov 1994 08:49:37 GMT
// rfc850-date  = day-name-l "," SP day "-" month "-" 2DIGIT SP time-of-day SP "GMT"
//                Sunday, 06-Nov-94 08:49:37 GMT
// asctime-date = day-name SP month SP ( 2DIGIT / ( SP DIGIT ) ) SP time-of-day SP year
//                Sun Nov  6 08:49:37 1994
std::optional<int64_t> parseHttpDate(std::string_view value, int64_t now) {
  DateReader r(value);
  std::string_view dayName = r.letters();
  int day = 0, month = 0, year = 0;
  int64_t time = 0;
  if (indexOf(kDays, dayName) >= 0 && r.literal(',')) {
    if (!r.literal(' ') || !r.digits(2, day) || !r.literal(' ') || !r.month(month) ||
        !r.literal(' ') || !r.digits(4, year) || !r.literal(' ') || !r.timeOfDay(time) ||
        !r.literal(' ') || !r.gmt() || !r.atEnd()) {
      return std::nullopt;
    }
    return toUnix(year, month, day, time);
  }
  if (indexOf(kDays, dayName) >= 0 && r.literal(' ')) {
    if (!r.month(month) || !r.literal(' ')) return std::nullopt;
    bool dayOk = r.literal(' ') ? r.digits(1, day) : r.digits(2, day);
    if (!dayOk || !r.literal(' ') || !r.timeOfDay(time) || !r.literal(' ') || !r.digits(4, year) ||
        !r.atEnd()) {
      return std::nullopt;
    }
    return toUnix(year, month, day, time);
  }
  if (indexOf(kLongDays, dayName) >= 0 && r.literal(',')) {
    if (!r.literal(' ') || !r.digits(2, day) || !r.literal('-') || !r.month(month) ||
        !r.literal('-') || !r.digits(2, year) || !r.literal(' ') || !r.timeOfDay(time) ||
        !r.literal(' ') || !r.gmt() || !r.atEnd()) {
      return std::nullopt;
    }
    // RFC 9110 §5.6.7: a two-digit year more than 50 years ahead is in the previous century.
    int64_t nowYear = yearOf(now);
    int64_t fullYear = nowYear - nowYear % 100 + year;
    if (fullYear > nowYear + 50) fullYear -= 100;
    if (fullYear < 0) fullYear += 100;  // only for a `now` in the first 50 years AD
    return toUnix(fullYear, month, day, time);
  }
  return std::nullopt;
}

std::string formatHttpDate(int64_t unixSeconds) {
  int64_t lo = daysFromCivil(0, 1, 1) * kSecondsPerDay;
  int64_t hi = daysFromCivil(9999, 12, 31) * kSecondsPerDay + kSecondsPerDay - 1;
  int64_t t = std::clamp(unixSeconds, lo, hi);
  // Floor division, so times before 1970 land on the right day.
  int64_t days = t / kSecondsPerDay - (t % kSecondsPerDay < 0 ? 1 : 0);
  int64_t secondOfDay = t - days * kSecondsPerDay;
  Civil c = civilFromDays(days);
  int64_t weekday = ((days % 7) + 7 + 4) % 7;  // 1970-01-01 was a Thursday
  char buf[128];  // 29 bytes are used; the rest silences -Wformat-truncation on wide fields
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04lld %02lld:%02lld:%02lld GMT",
                kDays[static_cast<size_t>(weekday)].data(), c.day,
                kMonths[static_cast<size_t>(c.month - 1)].data(), static_cast<long long>(c.year),
                static_cast<long long>(secondOfDay / 3600),
                static_cast<long long>(secondOfDay / 60 % 60),
                static_cast<long long>(secondOfDay % 60));
  return buf;
}

}  // namespace tollgate::inspect
