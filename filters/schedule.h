#pragma once
// [schedule.NAME]: the weekly windows in which a rule applies, in the process's local time zone.
//
// A range that crosses midnight belongs to the day it starts on: with days = sun-thu and
// hours = 21:00-07:00, Sunday's window is Sunday 21:00 to Monday 07:00, so Monday 06:00 is
// active (Sunday's entry) while Friday 21:30 is not and Friday 06:00 is (Thursday's entry).
// That is what "no social media after 21:00 on school nights" means.
#include <ctime>
#include <cstdint>
#include <string>
#include <vector>

#include "filters/policy_spec.h"

namespace tollgate::filters {

class Schedule {
 public:
  // Throws FilterError("file:line: schedule.NAME: reason") on a bad day name, day range or hour
  // range. Accepted: days "mon".."sun" (or full names, any case) and ranges "fri-mon" that wrap;
  // hours "hh:mm-hh:mm" with 24:00 allowed as an end; "00:00-24:00" is the whole day.
  static Schedule parse(const ScheduleSpec& spec);

  // Is `local` (a localtime_r result) inside one of the windows? Pure: no clock, no time zone.
  bool activeAt(const std::tm& local) const;

  const std::string& name() const { return name_; }

 private:
  struct MinuteRange {
    int start = 0;  // minutes since midnight, inclusive
    int end = 0;    // exclusive; end <= start means "until end on the next morning"
  };
  bool dayOn(int wday) const { return (days_ >> wday) & 1; }

  std::string name_;
  uint8_t days_ = 0x7f;  // bit n = tm_wday n (0 = Sunday)
  std::vector<MinuteRange> ranges_;  // empty = all day
};

// localtime_r of `unixTime` in the process TZ. glibc takes its tz lock briefly inside; the engine
// therefore calls this at most once per decision and only when a scheduled rule is reached.
std::tm localTime(int64_t unixTime);

}  // namespace tollgate::filters
