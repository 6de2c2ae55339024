// Spec of byte-range serving (RFC 9110 §14): which Range values give a 206 (and with which
// ranges), a 416 or the whole object; when If-Range lets a Range apply; the exact 206 a cache
// builds from a stored object; and which origin Content-Range values a cache may trust.
#include "daemon/inspect/byte_ranges.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace tollgate::inspect {
// Readable failures; each test file has its own, as in client_hello_test.cc.
static void PrintTo(RangeResult r, std::ostream* os) {
  *os << (r == RangeResult::Satisfiable     ? "Satisfiable"
          : r == RangeResult::Unsatisfiable ? "Unsatisfiable"
                                            : "Ignore");
}
static void PrintTo(RangeIgnore why, std::ostream* os) { *os << toString(why); }
static void PrintTo(const ByteRange& r, std::ostream* os) {
  *os << "[" << r.offset << ", +" << r.length << ")";
}
}  // namespace tollgate::inspect

namespace tollgate::inspect {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
constexpr uint64_t kLength = 10000;  // the object of most rows

// ---- parseRange: one row per form, whitespace rule, limit and edge -------------------------

struct RangeCase {
  const char* name;
  std::string value;
  uint64_t length;
  RangeResult result;
  RangeSet ranges;  // expected on Satisfiable
  RangeIgnore why = RangeIgnore::None;
  RangeLimits limits = {};
};

std::ostream& operator<<(std::ostream& os, const RangeCase& c) { return os << c.name; }

// "bytes=" followed by `n` ranges of ten bytes, `stride` bytes apart from `start`.
std::string tenByteRanges(size_t n, int64_t start, int64_t stride) {
  std::string v = "bytes=";
  for (size_t i = 0; i < n; ++i) {
    int64_t first = start + static_cast<int64_t>(i) * stride;
    v += (i > 0 ? "," : "") + std::to_string(first) + "-" + std::to_string(first + 9);
  }
  return v;
}

RangeSet tenByteRangeSet(size_t n, int64_t start, int64_t stride) {
  RangeSet s;
  for (size_t i = 0; i < n; ++i) {
    s.push_back({static_cast<uint64_t>(start + static_cast<int64_t>(i) * stride), 10});
  }
  return s;
}

RangeCase ok(const char* name, std::string value, RangeSet ranges, uint64_t length = kLength,
             RangeLimits limits = {}) {
  RangeCase c{name, std::move(value), length, RangeResult::Satisfiable, std::move(ranges)};
  c.limits = limits;
  return c;
}

RangeCase ignored(const char* name, std::string value, RangeIgnore why, uint64_t length = kLength,
                  RangeLimits limits = {}) {
  return {name, std::move(value), length, RangeResult::Ignore, {}, why, limits};
}

RangeCase unsatisfiable(const char* name, std::string value) {
  return {name, std::move(value), kLength, RangeResult::Unsatisfiable, {}, RangeIgnore::None, {}};
}

std::vector<RangeCase> rangeCases() {
  using enum RangeIgnore;
  RangeLimits factorOne;
  factorOne.maxTotalFactor = 1;
  RangeLimits tiny;
  tiny.maxFieldLength = 12;
  return {
      // The forms of §14.1.2.
      ok("IntRange", "bytes=0-499", {{0, 500}}),
      ok("OpenEndedRange", "bytes=9500-", {{9500, 500}}),
      ok("SuffixRange", "bytes=-500", {{9500, 500}}),
      ok("SingleFirstByte", "bytes=0-0", {{0, 1}}),
      ok("SingleLastByte", "bytes=9999-9999", {{9999, 1}}),
      ok("SuffixLargerThanObjectIsWholeObject", "bytes=-20000", {{0, kLength}}),
      ok("SuffixEqualToObjectIsWholeObject", "bytes=-10000", {{0, kLength}}),
      ok("LastPosPastEndIsClamped", "bytes=9000-20000", {{9000, 1000}}),
      ok("LastPosAtLengthIsClamped", "bytes=0-10000", {{0, kLength}}),
      ok("LastPosMaxUint64IsClamped", "bytes=5-18446744073709551615", {{5, 9995}}),
      ok("LeadingZerosAreDecimal", "bytes=000000000000000000000000010-0019", {{10, 10}}),
      ok("UnitIsCaseInsensitive", "BYTES=0-1", {{0, 2}}),
      ok("UnitMixedCase", "ByTeS=-1", {{9999, 1}}),
      ok("WholeObjectOfMaximalLength", "bytes=0-", {{0, kMax}}, kMax),
      ok("SuffixOfMaximalLength", "bytes=-1", {{kMax - 1, 1}}, kMax),
      // Lists: OWS around elements and empty elements (§5.6.1); nothing else.
      ok("TwoRangesKeepRequestOrder", "bytes=500-599,0-99", {{500, 100}, {0, 100}}),
      ok("OwsAroundElements", "bytes=0-99 ,\t200-299 ,  400-499",
         {{0, 100}, {200, 100}, {400, 100}}),
      ok("OwsAfterEquals", "bytes= 0-1", {{0, 2}}),
      ok("OwsAroundWholeValue", " \tbytes=0-1\t ", {{0, 2}}),
      ok("EmptyElementsSkipped", "bytes=,0-99,, ,200-299,", {{0, 100}, {200, 100}}),
      ignored("SpaceBeforeEquals", "bytes =0-1", Malformed),
      ignored("SpaceInsideIntRange", "bytes=0 -1", Malformed),
      ignored("SpaceInsideSuffix", "bytes=- 1", Malformed),
      // Malformed values are ignored whole (§14.1.1), even next to good elements.
      ignored("OtherUnit", "items=0-5", NotBytes),
      ignored("UnitPrefixOfBytes", "byte=0-5", NotBytes),
      ignored("NoEquals", "bytes 0-5", Malformed),
      ignored("EmptyUnit", "=0-5", Malformed),
      ignored("EmptyValue", "", Malformed),
      ignored("EmptyRangeSet", "bytes=", Malformed),
      ignored("OnlyEmptyElements", "bytes=, ,,", Malformed),
      ignored("LastBeforeFirst", "bytes=5-4", Malformed),
      ignored("OneInvalidElementIgnoresAll", "bytes=0-1,5-4", Malformed),
      ignored("MissingDash", "bytes=5", Malformed),
      ignored("DashOnly", "bytes=-", Malformed),
      ignored("DoubleDash", "bytes=--5", Malformed),
      ignored("SuffixWithTrailingDash", "bytes=-5-", Malformed),
      ignored("HexNumber", "bytes=0x10-", Malformed),
      ignored("PlusSign", "bytes=+5-10", Malformed),
      ignored("SemicolonSeparated", "bytes=0-1;2-3", Malformed),
      ignored("FirstPosOverflow", "bytes=18446744073709551616-", Overflow),
      ignored("LastPosOverflow", "bytes=0-99999999999999999999", Overflow),
      ignored("SuffixOverflow", "bytes=-18446744073709551616", Overflow),
      // Satisfiability (§14.1.1): 416 only when no range-spec is satisfiable.
      unsatisfiable("StartAtLength", "bytes=10000-"),
      unsatisfiable("StartAtMaxUint64", "bytes=18446744073709551615-"),
      unsatisfiable("ZeroSuffix", "bytes=-0"),
      unsatisfiable("AllRangesBeyondEnd", "bytes=10000-10005, 20000-, -0"),
      ok("UnsatisfiableDroppedBesideSatisfiable", "bytes=20000-,0-9", {{0, 10}}),
      ok("ZeroSuffixDroppedBesideSatisfiable", "bytes=-0,5-9", {{5, 5}}),
      ignored("ZeroLengthObjectServedWhole", "bytes=0-", EmptyObject, 0),
      ignored("ZeroLengthObjectSuffix", "bytes=-5", EmptyObject, 0),
      ignored("ZeroLengthObjectMalformedStaysMalformed", "bytes=x", Malformed, 0),
      // Coalescing (§14.6), in request order.
      ok("OverlappingPairCoalesced", "bytes=0-99,50-149", {{0, 150}}),
      ok("AdjacentPairCoalesced", "bytes=0-99,100-199", {{0, 200}}),
      ok("GapOfOneByteKeptApart", "bytes=0-99,101-199", {{0, 100}, {101, 99}}),
      ok("DuplicateRangeCoalesced", "bytes=0-99,0-99", {{0, 100}}),
      ok("ContainedRangeCoalesced", "bytes=100-199,0-", {{0, kLength}}),
      ok("SuffixOverlappingOpenRangeCoalesced", "bytes=0-,-100", {{0, kLength}}),
      ok("MergedRangeTakesEarliestListedPlace", "bytes=5000-5099,100-199,0-99",
         {{5000, 100}, {0, 200}}),
      ok("ChainOfAdjacentRangesBecomesOne", "bytes=20-29,0-9,10-19", {{0, 30}}),
      ok("AdjacentRangesAreNotOverlapping", "bytes=0-9,10-19,20-29,30-39", {{0, 40}}),
      // Abuse defences (§14.2, CVE-2011-3192).
      ok("SixteenRangesAccepted", tenByteRanges(16, 0, 100), tenByteRangeSet(16, 0, 100)),
      ignored("SeventeenRangesIgnored", tenByteRanges(17, 0, 100), TooManyRanges),
      ignored("UnsatisfiableRangesCountTowardsLimit", tenByteRanges(17, 10000, 100), TooManyRanges),
      ok("ManyEmptyElementsAreFree", "bytes=" + std::string(1000, ',') + "0-1", {{0, 2}}),
      ignored("FieldLongerThanLimitIgnored", "bytes=0-1" + std::string(4088, ','), TooLong),
      ok("FieldAtLimitAccepted", "bytes=0-1" + std::string(4087, ','), {{0, 2}}),
      ignored("TinyFieldLimitApplies", "bytes=0-1,2-3", TooLong, kLength, tiny),
      ignored("ThreeOverlappingIgnored", "bytes=0-99,50-149,100-199", Overlapping),
      ignored("TwoOverlappingPairsIgnored", "bytes=0-99,50-149,1000-1099,1050-1149", Overlapping),
      ignored("ManyOverlappingRangesIgnored", "bytes=0-,0-1,0-2,0-3,0-4,0-5,0-6,0-7", Overlapping),
      ignored("ApacheKillerShapeIgnored", "bytes=0-,5-0,5-1,5-2,5-3,5-4,5-5,5-6", Malformed),
      ignored("WholeObjectThreeTimesIgnored", "bytes=0-,0-,0-", TooManyBytes),
      ignored("WholeMaximalObjectThreeTimesIgnored", "bytes=0-,0-,0-", TooManyBytes, kMax),
      ignored("MoreBytesThanFactorIgnored", "bytes=0-,-1", TooManyBytes, kLength, factorOne),
      ignored("MoreBytesThanMaximalObjectIgnored", "bytes=0-,-1", TooManyBytes, kMax, factorOne),
      ok("BytesEqualToFactorAccepted", "bytes=0-4999,-5000", {{0, kLength}}, kLength, factorOne),
      ignored("FiveUnorderedRangesIgnored", tenByteRanges(5, 5000, -1000), Unordered),
      ok("FourUnorderedRangesAccepted", tenByteRanges(4, 5000, -1000),
         tenByteRangeSet(4, 5000, -1000)),
  };
}

class ParseRangeTable : public ::testing::TestWithParam<RangeCase> {};

TEST_P(ParseRangeTable, GivesTheExpectedAnswer) {
  const RangeCase& c = GetParam();
  RangeSet out = {{1, 1}};  // stale content must not survive
  RangeIgnore why = RangeIgnore::Overflow;
  EXPECT_EQ(parseRange(c.value, c.length, c.limits, out, why), c.result);
  EXPECT_EQ(why, c.why);
  EXPECT_EQ(out, c.ranges);
}

INSTANTIATE_TEST_SUITE_P(EachForm, ParseRangeTable, ::testing::ValuesIn(rangeCases()),
                         [](const ::testing::TestParamInfo<RangeCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(ByteRangeReasons, ToStringNamesEveryReason) {
  EXPECT_STREQ(toString(RangeIgnore::None), "none");
  EXPECT_STREQ(toString(RangeIgnore::NotBytes), "not_bytes");
  EXPECT_STREQ(toString(RangeIgnore::Malformed), "malformed");
  EXPECT_STREQ(toString(RangeIgnore::Overflow), "overflow");
  EXPECT_STREQ(toString(RangeIgnore::TooLong), "too_long");
  EXPECT_STREQ(toString(RangeIgnore::TooManyRanges), "too_many_ranges");
  EXPECT_STREQ(toString(RangeIgnore::Overlapping), "overlapping");
  EXPECT_STREQ(toString(RangeIgnore::Unordered), "unordered");
  EXPECT_STREQ(toString(RangeIgnore::TooManyBytes), "too_many_bytes");
  EXPECT_STREQ(toString(RangeIgnore::EmptyObject), "empty_object");
}

// ---- evaluateIfRange (§13.1.5) --------------------------------------------------------------

struct IfRangeCase {
  const char* name;
  std::string ifRange;
  std::optional<int64_t> ifRangeDate;  // what the caller's HTTP-date parser made of ifRange
  StoredValidators stored;
  bool applies;
};

std::ostream& operator<<(std::ostream& os, const IfRangeCase& c) { return os << c.name; }

std::vector<IfRangeCase> ifRangeCases() {
  constexpr int64_t lm = 1700000000;  // Last-Modified of the stored response
  constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();
  const StoredValidators strongTag{"\"abc\"", lm, lm + 60};
  const StoredValidators weakTag{"W/\"abc\"", lm, lm + 60};
  const StoredValidators noTag{"", lm, lm + 60};
  return {
      {"StrongTagMatches", "\"abc\"", std::nullopt, strongTag, true},
      {"StrongTagDiffers", "\"abd\"", std::nullopt, strongTag, false},
      {"TagComparisonIsCaseSensitive", "\"ABC\"", std::nullopt, strongTag, false},
      {"TagWithOwsMatches", " \"abc\"\t", std::nullopt, {" \"abc\" ", lm, lm + 60}, true},
      {"EmptyOpaqueTagMatches", "\"\"", std::nullopt, {"\"\"", lm, lm + 60}, true},
      {"WeakIfRangeNeverMatches", "W/\"abc\"", std::nullopt, weakTag, false},
      {"WeakStoredTagNeverMatches", "\"abc\"", std::nullopt, weakTag, false},
      {"WeakIfRangeAgainstStrongStored", "W/\"abc\"", std::nullopt, strongTag, false},
      {"NoStoredTag", "\"abc\"", std::nullopt, noTag, false},
      {"UnterminatedTag", "\"abc", std::nullopt, {"\"abc", lm, lm + 60}, false},
      {"QuoteInsideTag", "\"a\"c\"", std::nullopt, {"\"a\"c\"", lm, lm + 60}, false},
      {"UnquotedTag", "abc", std::nullopt, {"abc", lm, lm + 60}, false},
      {"TagShapedValueIgnoresDate", "\"xyz\"", lm, strongTag, false},
      {"DateEqualsStrongLastModified", "Tue, 14 Nov 2023 22:13:20 GMT", lm, strongTag, true},
      {"DateEqualsLastModifiedOneSecondBeforeDate", "d", lm, {"", lm, lm + 1}, true},
      {"DateInSameSecondAsLastModifiedIsWeak", "d", lm, {"", lm, lm}, false},
      {"StoredDateBeforeLastModifiedIsWeak", "d", lm, {"", lm, lm - 5}, false},
      {"LaterDateDoesNotMatch", "d", lm + 1, strongTag, false},
      {"EarlierDateDoesNotMatch", "d", lm - 1, strongTag, false},
      {"DateWithoutStoredLastModified", "d", lm, {"\"abc\"", std::nullopt, lm + 60}, false},
      {"DateWithoutStoredDate", "d", lm, {"\"abc\"", lm, std::nullopt}, false},
      {"LastModifiedAtInt64MaxCannotBeStrong", "d", kI64Max, {"", kI64Max, kI64Max}, false},
      {"UnparsableValue", "yesterday", std::nullopt, strongTag, false},
      {"EmptyValue", "", std::nullopt, strongTag, false},
  };
}

class IfRangeTable : public ::testing::TestWithParam<IfRangeCase> {};

TEST_P(IfRangeTable, DecidesWhetherTheRangeApplies) {
  const IfRangeCase& c = GetParam();
  EXPECT_EQ(evaluateIfRange(c.ifRange, c.ifRangeDate, c.stored), c.applies);
}

INSTANTIATE_TEST_SUITE_P(EachValidator, IfRangeTable, ::testing::ValuesIn(ifRangeCases()),
                         [](const ::testing::TestParamInfo<IfRangeCase>& info) {
                           return std::string(info.param.name);
                         });

// ---- planRangeResponse: the 206 on the wire -------------------------------------------------

// The object the plans are laid over: "0123456789" ten times.
std::string object100() {
  std::string o;
  for (int i = 0; i < 100; ++i) o += static_cast<char>('0' + i % 10);
  return o;
}

// What a sender streaming the plan would write.
std::string assemble(const RangeResponsePlan& plan, const std::string& object) {
  std::string body;
  for (const BodySegment& s : plan.segments) {
    body += s.literal.empty() ? object.substr(s.object.offset, s.object.length) : s.literal;
  }
  return body;
}

std::string field(const RangeResponsePlan& plan, const std::string& name) {
  for (const auto& [n, v] : plan.fields) {
    if (n == name) return v;
  }
  return "<absent>";
}

TEST(RangePlan, SingleRangeIsContentRangeAndOneObjectSegment) {
  RangeResponsePlan plan = planRangeResponse({{10, 5}}, 100, "text/plain", "B");
  EXPECT_EQ(plan.status, 206);
  EXPECT_EQ(plan.fields.size(), 2u);
  EXPECT_EQ(field(plan, "Content-Range"), "bytes 10-14/100");
  EXPECT_EQ(field(plan, "Content-Length"), "5");
  EXPECT_EQ(field(plan, "Content-Type"), "<absent>");  // the stored one stays
  EXPECT_EQ(plan.contentLength, 5u);
  ASSERT_EQ(plan.segments.size(), 1u);
  EXPECT_EQ(plan.segments[0].object, (ByteRange{10, 5}));
  EXPECT_EQ(assemble(plan, object100()), "01234");
}

TEST(RangePlan, MultipartBodyIsByteExact) {
  RangeResponsePlan plan =
      planRangeResponse({{0, 5}, {90, 10}}, 100, "text/plain", "THIS_STRING_SEPARATES");
  const std::string expected =
      "--THIS_STRING_SEPARATES\r\n"
      "Content-Type: text/plain\r\n"
      "Content-Range: bytes 0-4/100\r\n"
      "\r\n"
      "01234\r\n"
      "--THIS_STRING_SEPARATES\r\n"
      "Content-Type: text/plain\r\n"
      "Content-Range: bytes 90-99/100\r\n"
      "\r\n"
      "0123456789\r\n"
      "--THIS_STRING_SEPARATES--\r\n";
  EXPECT_EQ(plan.status, 206);
  EXPECT_EQ(assemble(plan, object100()), expected);
  EXPECT_EQ(plan.contentLength, expected.size());
  EXPECT_EQ(field(plan, "Content-Length"), std::to_string(expected.size()));
  EXPECT_EQ(field(plan, "Content-Type"), "multipart/byteranges; boundary=THIS_STRING_SEPARATES");
  EXPECT_EQ(field(plan, "Content-Range"), "<absent>");  // §14.6: only inside the parts
  EXPECT_EQ(plan.segments.size(), 5u);                  // literal, data, literal, data, close
}

TEST(RangePlan, MultipartWithoutContentTypeOmitsThePartField) {
  RangeResponsePlan plan = planRangeResponse({{98, 2}, {0, 1}}, 100, "", "b0undary");
  EXPECT_EQ(assemble(plan, object100()),
            "--b0undary\r\nContent-Range: bytes 98-99/100\r\n\r\n89\r\n"
            "--b0undary\r\nContent-Range: bytes 0-0/100\r\n\r\n0\r\n"
            "--b0undary--\r\n");
}

TEST(RangePlan, ContentLengthEqualsAssembledSizeForPlansFromParseRange) {
  const std::string object = object100();
  for (const char* value :
       {"bytes=-10,0-4", "bytes=0-0,2-2,4-4,6-6,8-8", "bytes=50-", "bytes=0-"}) {
    RangeSet ranges;
    RangeIgnore why;
    ASSERT_EQ(parseRange(value, 100, {}, ranges, why), RangeResult::Satisfiable) << value;
    RangeResponsePlan plan = planRangeResponse(ranges, 100, "application/octet-stream", "x");
    EXPECT_EQ(plan.status, 206) << value;
    EXPECT_EQ(assemble(plan, object).size(), plan.contentLength) << value;
    EXPECT_EQ(field(plan, "Content-Length"), std::to_string(plan.contentLength)) << value;
  }
}

TEST(RangePlan, EveryPartContentRangeParsesBackToItsRange) {
  RangeSet ranges = {{3, 4}, {50, 1}, {80, 20}};
  RangeResponsePlan plan = planRangeResponse(ranges, 100, "a/b", "sep");
  ASSERT_EQ(plan.segments.size(), 2 * ranges.size() + 1);
  for (size_t i = 0; i < ranges.size(); ++i) {
    const std::string& head = plan.segments[2 * i].literal;
    size_t at = head.find("Content-Range: ");
    ASSERT_NE(at, std::string::npos);
    std::string value = head.substr(at + 15, head.find("\r\n", at) - at - 15);
    ContentRange cr;
    ASSERT_TRUE(parseContentRange(value, cr)) << value;
    EXPECT_EQ(cr.range, ranges[i]);
    EXPECT_EQ(cr.completeLength, 100u);
    EXPECT_EQ(plan.segments[2 * i + 1].object, ranges[i]);
  }
}

TEST(RangePlan, RangeEndingAtMaximalLengthIsFormatted) {
  RangeResponsePlan plan = planRangeResponse({{0, kMax}}, kMax, "", "");
  EXPECT_EQ(field(plan, "Content-Range"), "bytes 0-18446744073709551614/18446744073709551615");
  EXPECT_EQ(plan.contentLength, kMax);
}

// A caller's mistake must degrade to the whole object, never to a wrong 206.
struct BadPlanCase {
  const char* name;
  RangeSet ranges;
  std::string contentType;
  std::string boundary;
};

std::ostream& operator<<(std::ostream& os, const BadPlanCase& c) { return os << c.name; }

class RangePlanFallback : public ::testing::TestWithParam<BadPlanCase> {};

TEST_P(RangePlanFallback, IsTheWholeObjectAs200) {
  const BadPlanCase& c = GetParam();
  RangeResponsePlan plan = planRangeResponse(c.ranges, 100, c.contentType, c.boundary);
  EXPECT_EQ(plan.status, 200);
  ASSERT_EQ(plan.fields.size(), 1u);
  EXPECT_EQ(field(plan, "Content-Length"), "100");
  EXPECT_EQ(plan.contentLength, 100u);
  EXPECT_EQ(assemble(plan, object100()), object100());
}

INSTANTIATE_TEST_SUITE_P(
    EachCallerError, RangePlanFallback,
    ::testing::Values(BadPlanCase{"NoRange", {}, "a/b", "x"},
                      BadPlanCase{"EmptyRange", {{5, 0}}, "a/b", "x"},
                      BadPlanCase{"RangeStartingPastEnd", {{100, 1}}, "a/b", "x"},
                      BadPlanCase{"RangeEndingPastEnd", {{0, 5}, {99, 2}}, "a/b", "x"},
                      BadPlanCase{"EmptyBoundary", {{0, 1}, {5, 1}}, "a/b", ""},
                      BadPlanCase{
                          "BoundaryOver70Bytes", {{0, 1}, {5, 1}}, "a/b", std::string(71, 'b')},
                      BadPlanCase{"BoundaryNeedingQuotes", {{0, 1}, {5, 1}}, "a/b", "a b"},
                      BadPlanCase{"BoundaryWithQuote", {{0, 1}, {5, 1}}, "a/b", "a\"b"},
                      BadPlanCase{"ContentTypeWithCrlf", {{0, 1}, {5, 1}}, "a/b\r\nX: y", "x"}),
    [](const ::testing::TestParamInfo<BadPlanCase>& info) { return std::string(info.param.name); });

TEST(RangePlan, SeventyByteBoundaryIsAccepted) {
  RangeResponsePlan plan = planRangeResponse({{0, 1}, {5, 1}}, 100, "", std::string(70, 'b'));
  EXPECT_EQ(plan.status, 206);
}

TEST(RangePlan, UnsatisfiedContentRangeNamesTheLength) {
  EXPECT_EQ(contentRangeUnsatisfied(12345), "bytes */12345");
  EXPECT_EQ(contentRangeUnsatisfied(0), "bytes */0");
}

// ---- parseContentRange (§14.4), for 206s from an origin -------------------------------------

struct ContentRangeCase {
  const char* name;
  std::string value;
  bool ok;
  ContentRange expected = {};
};

std::ostream& operator<<(std::ostream& os, const ContentRangeCase& c) { return os << c.name; }

std::vector<ContentRangeCase> contentRangeCases() {
  return {
      {"RangeWithLength", "bytes 0-499/1234", true, {false, {0, 500}, 1234}},
      {"RangeWithUnknownLength", "bytes 500-999/*", true, {false, {500, 500}, std::nullopt}},
      {"Unsatisfied", "bytes */1234", true, {true, {}, 1234}},
      {"UnsatisfiedEmptyObject", "bytes */0", true, {true, {}, 0}},
      {"UnitIsCaseInsensitive", "BYTES 0-0/1", true, {false, {0, 1}, 1}},
      {"OwsAroundValue", "  bytes 0-0/1\t", true, {false, {0, 1}, 1}},
      {"LastByteOfObject", "bytes 999-999/1000", true, {false, {999, 1}, 1000}},
      {"MaximalRange",
       "bytes 0-18446744073709551614/18446744073709551615",
       true,
       {false, {0, kMax}, kMax}},
      {"LastBeforeFirst", "bytes 500-499/1000", false},
      {"LastAtLength", "bytes 0-1000/1000", false},
      {"ZeroLengthWithRange", "bytes 0-0/0", false},
      {"LastIsMaxUint64", "bytes 0-18446744073709551615/*", false},
      {"NumberOverflow", "bytes 0-18446744073709551616/*", false},
      {"LengthOverflow", "bytes 0-1/18446744073709551616", false},
      {"BothUnknown", "bytes */*", false},
      {"OtherUnit", "items 0-1/2", false},
      {"TwoSpaces", "bytes  0-1/2", false},
      {"EqualsInsteadOfSpace", "bytes=0-1/2", false},
      {"MissingLength", "bytes 0-1", false},
      {"MissingLast", "bytes 0-/2", false},
      {"MissingFirst", "bytes -1/2", false},
      {"EmptyLength", "bytes 1-2/", false},
      {"TrailingGarbage", "bytes 0-1/2x", false},
      {"GarbageAfterStar", "bytes 0-1/*x", false},
      {"UnitOnly", "bytes", false},
      {"Empty", "", false},
  };
}

class ContentRangeTable : public ::testing::TestWithParam<ContentRangeCase> {};

TEST_P(ContentRangeTable, ParsesOrRejects) {
  const ContentRangeCase& c = GetParam();
  ContentRange out;
  ASSERT_EQ(parseContentRange(c.value, out), c.ok);
  if (!c.ok) return;
  EXPECT_EQ(out.unsatisfied, c.expected.unsatisfied);
  EXPECT_EQ(out.range, c.expected.range);
  EXPECT_EQ(out.completeLength, c.expected.completeLength);
}

INSTANTIATE_TEST_SUITE_P(EachShape, ContentRangeTable, ::testing::ValuesIn(contentRangeCases()),
                         [](const ::testing::TestParamInfo<ContentRangeCase>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace tollgate::inspect
