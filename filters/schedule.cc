#include "filters/schedule.h"

#include <array>
#include <cctype>
#include <optional>
#include <string_view>

namespace tollgate::filters {

namespace {

constexpr int kMinutesPerDay = 24 * 60;

// Indexed by tm_wday, so a parsed day is directly a bit position.
constexpr std::array<std::string_view, 7> kShortDays = {"sun", "mon", "tue", "wed",
                                                        "thu", "fri", "sat"};
constexpr std::array<std::string_view, 7> kLongDays = {
    "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> splitTrimmed(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    size_t pos = s.find(sep);
    out.push_back(trim(s.substr(0, pos)));
    if (pos == std::string_view::npos) break;
    s.remove_prefix(pos + 1);
  }
  return out;
}

std::optional<int> parseDay(std::string_view word) {
  std::string lower;
  for (char c : word) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (int d = 0; d < 7; ++d) {
    if (lower == kShortDays[d] || lower == kLongDays[d]) return d;
  }
  return std::nullopt;
}

// "hh:mm" or "h:mm"; 24:00 only when `allow24` (an end). Returns minutes since midnight.
std::optional<int> parseClock(std::string_view s, bool allow24) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 2 || s.size() != colon + 3) {
    return std::nullopt;
  }
  int h = 0;
  for (char c : s.substr(0, colon)) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    h = h * 10 + (c - '0');
  }
  if (!std::isdigit(static_cast<unsigned char>(s[colon + 1])) ||
      !std::isdigit(static_cast<unsigned char>(s[colon + 2]))) {
    return std::nullopt;
  }
  int m = (s[colon + 1] - '0') * 10 + (s[colon + 2] - '0');
  if (m > 59) return std::nullopt;
  if (h == 24 && m == 0 && allow24) return kMinutesPerDay;
  if (h > 23) return std::nullopt;
  return h * 60 + m;
}

[[noreturn]] void fail(const ScheduleSpec& spec, const std::string& reason) {
  throw FilterError(spec.configFile + ":" + std::to_string(spec.configLine) + ": schedule." +
                    spec.name + ": " + reason);
}

uint8_t parseDays(const ScheduleSpec& spec) {
  if (trim(spec.days).empty()) return 0x7f;
  uint8_t mask = 0;
  for (std::string_view item : splitTrimmed(spec.days, ',')) {
    if (item.empty()) fail(spec, "days: empty item in '" + spec.days + "'");
    size_t dash = item.find('-');
    std::string_view firstWord = trim(item.substr(0, dash));
    std::optional<int> first = parseDay(firstWord);
    if (!first) fail(spec, "days: unknown day '" + std::string(firstWord) + "' (mon..sun)");
    if (dash == std::string_view::npos) {
      mask |= static_cast<uint8_t>(1u << *first);
      continue;
    }
    std::string_view lastWord = trim(item.substr(dash + 1));
    std::optional<int> last = parseDay(lastWord);
    if (!last) fail(spec, "days: unknown day '" + std::string(lastWord) + "' (mon..sun)");
    // Walk forward so that "fri-mon" means fri, sat, sun, mon.
    for (int d = *first;; d = (d + 1) % 7) {
      mask |= static_cast<uint8_t>(1u << d);
      if (d == *last) break;
    }
  }
  return mask;
}

}  // namespace

Schedule Schedule::parse(const ScheduleSpec& spec) {
  Schedule s;
  s.name_ = spec.name;
  s.days_ = parseDays(spec);
  if (trim(spec.hours).empty()) return s;
  for (std::string_view item : splitTrimmed(spec.hours, ',')) {
    size_t dash = item.find('-');
    if (dash == std::string_view::npos) {
      fail(spec, "hours: '" + std::string(item) + "' is not a range hh:mm-hh:mm");
    }
    std::optional<int> start = parseClock(trim(item.substr(0, dash)), false);
    std::optional<int> end = parseClock(trim(item.substr(dash + 1)), true);
    if (!start || !end) {
      fail(spec, "hours: '" + std::string(item) + "' is not a range hh:mm-hh:mm (00:00..24:00)");
    }
    // An empty range is almost certainly a typo; the whole day is spelled 00:00-24:00.
    if (*start == *end) {
      fail(spec, "hours: '" + std::string(item) + "' is empty (the whole day is 00:00-24:00)");
    }
    // 22:00-24:00 is an ordinary same-day range; only end < start crosses midnight.
    s.ranges_.push_back({*start, *end});
  }
  return s;
}

bool Schedule::activeAt(const std::tm& local) const {
  const int wday = local.tm_wday;
  if (ranges_.empty()) return dayOn(wday);
  const int minute = local.tm_hour * 60 + local.tm_min;
  const int yesterday = (wday + 6) % 7;
  for (const MinuteRange& r : ranges_) {
    if (r.start < r.end) {
      if (dayOn(wday) && minute >= r.start && minute < r.end) return true;
    } else {
      // Crossing midnight: the evening part is today's entry, the morning part yesterday's.
      if (dayOn(wday) && minute >= r.start) return true;
      if (dayOn(yesterday) && minute < r.end) return true;
    }
  }
  return false;
}

std::tm localTime(int64_t unixTime) {
  std::tm tm{};
  time_t t = static_cast<time_t>(unixTime);
  localtime_r(&t, &tm);
  return tm;
}

}  // namespace tollgate::filters
