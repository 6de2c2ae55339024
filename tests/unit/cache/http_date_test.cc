// Spec of the HTTP-date parser and formatter (RFC 9110 §5.6.7): the three formats, exact shapes
// only, calendar checks, the RFC 850 century rule, and a round trip over a wide range of times.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>

#include "daemon/inspect/cache_control.h"

namespace tollgate::inspect {
namespace {

// RFC 9110's own example instant: Sun, 06 Nov 1994 08:49:37 GMT.
constexpr int64_t kExample = 784111777;
// 2025-06-01 00:00:00 GMT: "now" for the RFC 850 century rule.
constexpr int64_t kNow2025 = 1748736000;

std::optional<int64_t> parse(std::string_view s) { return parseHttpDate(s, kNow2025); }

struct DateCase {
  const char* name;
  const char* value;
  std::optional<int64_t> expected;
};

std::string caseName(const testing::TestParamInfo<DateCase>& info) { return info.param.name; }

class HttpDateTable : public testing::TestWithParam<DateCase> {};

TEST_P(HttpDateTable, Parses) {
  EXPECT_EQ(parse(GetParam().value), GetParam().expected) << GetParam().value;
}

const DateCase kDateCases[] = {
    {"ImfFixdate", "Sun, 06 Nov 1994 08:49:37 GMT", kExample},
    {"Rfc850", "Sunday, 06-Nov-94 08:49:37 GMT", kExample},
    {"Asctime", "Sun Nov  6 08:49:37 1994", kExample},
    {"AsctimeTwoDigitDay", "Wed Nov 16 08:49:37 1994", kExample + 10 * 86400},
    {"AsctimeZeroPaddedDay", "Sun Nov 06 08:49:37 1994", kExample},
    {"NamesMatchCaseInsensitively", "sun, 06 NOV 1994 08:49:37 gmt", kExample},
    {"Epoch", "Thu, 01 Jan 1970 00:00:00 GMT", 0},
    {"BeforeEpoch", "Wed, 31 Dec 1969 23:59:59 GMT", -1},
    {"LeapDay", "Thu, 29 Feb 2024 00:00:00 GMT", 1709164800},
    {"LeapDayOfCentury400", "Tue, 29 Feb 2000 00:00:00 GMT", 951782400},
    {"LeapSecondIsTheNextSecond", "Sat, 31 Dec 2016 23:59:60 GMT", 1483228800},
    {"LastRepresentableSecond", "Fri, 31 Dec 9999 23:59:59 GMT", 253402300799},
    {"WeekdayIsNotCheckedAgainstTheDate", "Mon, 06 Nov 1994 08:49:37 GMT", kExample},
    {"NotALeapYear", "Wed, 29 Feb 2023 00:00:00 GMT", std::nullopt},
    {"CenturyNotLeap", "Mon, 29 Feb 2100 00:00:00 GMT", std::nullopt},
    {"ThirtyFirstOfApril", "Thu, 31 Apr 2025 00:00:00 GMT", std::nullopt},
    {"DayZero", "Sun, 00 Nov 1994 08:49:37 GMT", std::nullopt},
    {"Hour24", "Sun, 06 Nov 1994 24:00:00 GMT", std::nullopt},
    {"Minute60", "Sun, 06 Nov 1994 08:60:00 GMT", std::nullopt},
    {"Second61", "Sun, 06 Nov 1994 08:49:61 GMT", std::nullopt},
    {"BadMonthName", "Sun, 06 Noe 1994 08:49:37 GMT", std::nullopt},
    {"BadDayName", "Sno, 06 Nov 1994 08:49:37 GMT", std::nullopt},
    {"ZoneOtherThanGmt", "Sun, 06 Nov 1994 08:49:37 UTC", std::nullopt},
    {"NumericZone", "Sun, 06 Nov 1994 08:49:37 +0000", std::nullopt},
    {"TrailingSpace", "Sun, 06 Nov 1994 08:49:37 GMT ", std::nullopt},
    {"LeadingSpace", " Sun, 06 Nov 1994 08:49:37 GMT", std::nullopt},
    {"TrailingGarbage", "Sun, 06 Nov 1994 08:49:37 GMTx", std::nullopt},
    {"SingleDigitDayInImf", "Sun, 6 Nov 1994 08:49:37 GMT", std::nullopt},
    {"TwoDigitYearInImf", "Sun, 06 Nov 94 08:49:37 GMT", std::nullopt},
    {"LongDayNameInImf", "Sunday, 06 Nov 1994 08:49:37 GMT", std::nullopt},
    {"ShortDayNameInRfc850", "Sun, 06-Nov-94 08:49:37 GMT", std::nullopt},
    {"AsctimeSingleSpaceBeforeOneDigitDay", "Sun Nov 6 08:49:37 1994", std::nullopt},
    {"AsctimeWithZone", "Sun Nov  6 08:49:37 1994 GMT", std::nullopt},
    {"ExpiresZero", "0", std::nullopt},
    {"MinusOne", "-1", std::nullopt},
    {"Empty", "", std::nullopt},
    {"IsoFormat", "1994-11-06T08:49:37Z", std::nullopt},
    {"SignInDigits", "Sun, +6 Nov 1994 08:49:37 GMT", std::nullopt},
};
INSTANTIATE_TEST_SUITE_P(HttpDate, HttpDateTable, testing::ValuesIn(kDateCases), caseName);

TEST(HttpDate, NulInsideIsRejected) {
  std::string s("Sun, 06 Nov 1994 08:49:37 GMT");
  s[10] = '\0';
  EXPECT_EQ(parse(s), std::nullopt);
}

TEST(HttpDate, Rfc850YearMoreThanFiftyYearsAheadIsLastCentury) {
  // In 2025: "75" is 2075 (50 years ahead, not more); "76" is 1976; "94" is 1994; "30" is 2030.
  EXPECT_EQ(parse("Tuesday, 01-Jan-75 00:00:00 GMT"), 3313526400);
  EXPECT_EQ(parse("Thursday, 01-Jan-76 00:00:00 GMT"), 189302400);
  EXPECT_EQ(parse("Tuesday, 01-Jan-30 00:00:00 GMT"), 1893456000);
}

TEST(HttpDate, Rfc850CenturyFollowsNow) {
  // The same text read in 1990 is 1994, read in 2060 it is 2094 (34 years ahead).
  constexpr int64_t k1990 = 631152000;
  constexpr int64_t k2060 = 2840140800;
  EXPECT_EQ(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT", k1990), kExample);
  EXPECT_EQ(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT", k2060),
            kExample + int64_t{36525} * 86400);  // 100 years, 25 leap days (2000 is one)
}

TEST(HttpDate, ExtremeNowStaysWithinFourDigitYears) {
  // `now` is clamped to years 0000-9999: read at the end, "94" is 9994; at the start it cannot
  // be the year -6 and is 0094.
  constexpr int64_t kYear9994 = 253239727777;  // Sun, 06 Nov 9994 08:49:37 GMT
  constexpr int64_t kYear94 = -59174032223;    // Sat, 06 Nov 0094 08:49:37 GMT
  EXPECT_EQ(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT", INT64_MAX), kYear9994);
  EXPECT_EQ(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT", INT64_MIN), kYear94);
}

TEST(HttpDate, FormatsImfFixdate) {
  EXPECT_EQ(formatHttpDate(kExample), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(formatHttpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(formatHttpDate(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
}

TEST(HttpDate, FormatClampsToFourDigitYears) {
  EXPECT_EQ(formatHttpDate(INT64_MAX), "Fri, 31 Dec 9999 23:59:59 GMT");
  EXPECT_EQ(formatHttpDate(INT64_MIN), "Sat, 01 Jan 0000 00:00:00 GMT");
}

TEST(HttpDate, FormatThenParseRoundTripsOverCenturies) {
  // Steps of a prime number of seconds cover every weekday, month, leap rule and time of day.
  for (int64_t t = -2208988800; t < 4102444800; t += 7919 * 1237) {
    std::string text = formatHttpDate(t);
    ASSERT_EQ(parse(text), t) << text;
  }
}

}  // namespace
}  // namespace tollgate::inspect
