#include "filters/schedule.h"

#include <gtest/gtest.h>

#include <cstdlib>

using namespace tollgate::filters;

namespace {

enum Day { Sun, Mon, Tue, Wed, Thu, Fri, Sat };

std::tm at(Day day, int hour, int minute) {
  std::tm tm{};
  tm.tm_wday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  return tm;
}

Schedule make(const std::string& days, const std::string& hours) {
  return Schedule::parse(ScheduleSpec{"s", days, hours, "test.conf", 7});
}

std::string errorOf(const std::string& days, const std::string& hours) {
  try {
    make(days, hours);
  } catch (const FilterError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Schedule, DayRangeCoversEachDayInside) {
  Schedule s = make("mon-fri", "");
  EXPECT_TRUE(s.activeAt(at(Mon, 0, 0)));
  EXPECT_TRUE(s.activeAt(at(Fri, 23, 59)));
  EXPECT_FALSE(s.activeAt(at(Sat, 12, 0)));
  EXPECT_FALSE(s.activeAt(at(Sun, 12, 0)));
}

TEST(Schedule, DayRangeWrapsAcrossTheWeekEnd) {
  Schedule s = make("fri-mon", "");
  for (Day d : {Fri, Sat, Sun, Mon}) EXPECT_TRUE(s.activeAt(at(d, 12, 0))) << d;
  for (Day d : {Tue, Wed, Thu}) EXPECT_FALSE(s.activeAt(at(d, 12, 0))) << d;
}

TEST(Schedule, DaysListMixesRangesAndSingleDaysInAnyCase) {
  Schedule s = make("Mon-Tue, sun, Saturday", "");
  for (Day d : {Mon, Tue, Sat, Sun}) EXPECT_TRUE(s.activeAt(at(d, 1, 0))) << d;
  for (Day d : {Wed, Thu, Fri}) EXPECT_FALSE(s.activeAt(at(d, 1, 0))) << d;
}

TEST(Schedule, SameDayHoursAreHalfOpen) {
  Schedule s = make("", "12:00-13:30");
  EXPECT_FALSE(s.activeAt(at(Wed, 11, 59)));
  EXPECT_TRUE(s.activeAt(at(Wed, 12, 0)));
  EXPECT_TRUE(s.activeAt(at(Wed, 13, 29)));
  EXPECT_FALSE(s.activeAt(at(Wed, 13, 30)));
}

TEST(Schedule, RangeAcrossMidnightBelongsToTheDayItStarts) {
  // School nights: Sunday to Thursday evenings, until 07:00 the next morning.
  Schedule s = make("sun-thu", "21:00-07:00");
  EXPECT_TRUE(s.activeAt(at(Sun, 21, 0)));
  EXPECT_TRUE(s.activeAt(at(Mon, 6, 0)));   // Sunday night's window
  EXPECT_FALSE(s.activeAt(at(Mon, 7, 0)));
  EXPECT_FALSE(s.activeAt(at(Mon, 20, 59)));
  EXPECT_TRUE(s.activeAt(at(Thu, 23, 0)));
  EXPECT_TRUE(s.activeAt(at(Fri, 6, 59)));  // Thursday night's window
  EXPECT_FALSE(s.activeAt(at(Fri, 21, 30)));
  EXPECT_FALSE(s.activeAt(at(Sat, 6, 0)));
  EXPECT_FALSE(s.activeAt(at(Sun, 6, 0)));  // Saturday is not a school night
}

TEST(Schedule, SeveralHourRangesAnyMatches) {
  Schedule s = make("", "07:00-08:00, 22:00-24:00");
  EXPECT_TRUE(s.activeAt(at(Tue, 7, 30)));
  EXPECT_TRUE(s.activeAt(at(Tue, 23, 59)));
  EXPECT_FALSE(s.activeAt(at(Wed, 0, 0)));  // 24:00 ends the day; it does not cross midnight
  EXPECT_FALSE(s.activeAt(at(Tue, 12, 0)));
}

TEST(Schedule, WholeDayIsMidnightToTwentyFour) {
  Schedule s = make("sat", "00:00-24:00");
  EXPECT_TRUE(s.activeAt(at(Sat, 0, 0)));
  EXPECT_TRUE(s.activeAt(at(Sat, 23, 59)));
  EXPECT_FALSE(s.activeAt(at(Sun, 0, 0)));
}

TEST(Schedule, EmptyDaysAndHoursMeanAlways) {
  Schedule s = make("", "");
  EXPECT_TRUE(s.activeAt(at(Sun, 3, 0)));
  EXPECT_TRUE(s.activeAt(at(Wed, 15, 0)));
}

TEST(Schedule, BadDayNameFailsAtSectionLine) {
  EXPECT_EQ(errorOf("mon-fry", ""), "test.conf:7: schedule.s: days: unknown day 'fry' (mon..sun)");
  EXPECT_EQ(errorOf("funday", ""), "test.conf:7: schedule.s: days: unknown day 'funday' (mon..sun)");
  EXPECT_NE(errorOf("mon,,tue", ""), "");
}

TEST(Schedule, BadHoursFailAtSectionLine) {
  EXPECT_EQ(errorOf("", "21:00"),
            "test.conf:7: schedule.s: hours: '21:00' is not a range hh:mm-hh:mm");
  EXPECT_EQ(errorOf("", "25:00-07:00"),
            "test.conf:7: schedule.s: hours: '25:00-07:00' is not a range hh:mm-hh:mm "
            "(00:00..24:00)");
  EXPECT_NE(errorOf("", "21:60-22:00"), "");
  EXPECT_NE(errorOf("", "24:00-07:00"), "");  // 24:00 is only an end
  EXPECT_NE(errorOf("", "9pm-7am"), "");
  EXPECT_EQ(errorOf("", "08:00-08:00"),
            "test.conf:7: schedule.s: hours: '08:00-08:00' is empty (the whole day is "
            "00:00-24:00)");
}

TEST(Schedule, LocalTimeFollowsProcessTimeZone) {
  const char* old = std::getenv("TZ");
  std::string saved = old ? old : "";
  setenv("TZ", "UTC", 1);
  tzset();
  std::tm utc = localTime(1714975200);  // Mon 2024-05-06 06:00 UTC
  setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);  // POSIX form: no tzdata needed
  tzset();
  std::tm paris = localTime(1714975200);  // 08:00 CEST
  if (old) setenv("TZ", saved.c_str(), 1); else unsetenv("TZ");
  tzset();
  EXPECT_EQ(utc.tm_wday, Mon);
  EXPECT_EQ(utc.tm_hour, 6);
  EXPECT_EQ(paris.tm_hour, 8);
}
