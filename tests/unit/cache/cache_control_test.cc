// Spec of the Cache-Control and Pragma parsers (RFC 9111 §5.2, §5.4): every directive, both
// argument forms, and what malformed, repeated and oversized input reads as — never more
// permissive than the well-formed equivalent.
#include "daemon/inspect/cache_control.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tollgate::inspect {
namespace {

using Fields = std::vector<HeaderField>;

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

// A canonical one-line description, so a table row states the whole parse result.
std::string describe(const ResponseCacheControl& cc) {
  std::string out;
  auto add = [&](const std::string& s) { out += (out.empty() ? "" : " ") + s; };
  auto num = [&](const char* name, const std::optional<int64_t>& v) {
    if (v) add(std::string(name) + "=" + std::to_string(*v));
  };
  if (cc.noStore) add("no-store");
  if (cc.noCache) add("no-cache");
  if (!cc.noCacheFields.empty()) add("no-cache=[" + joined(cc.noCacheFields) + "]");
  if (cc.isPrivate) add("private");
  if (!cc.privateFields.empty()) add("private=[" + joined(cc.privateFields) + "]");
  if (cc.isPublic) add("public");
  num("max-age", cc.maxAge);
  num("s-maxage", cc.sMaxAge);
  if (cc.mustRevalidate) add("must-revalidate");
  if (cc.proxyRevalidate) add("proxy-revalidate");
  if (cc.immutable) add("immutable");
  num("stale-while-revalidate", cc.staleWhileRevalidate);
  num("stale-if-error", cc.staleIfError);
  if (cc.noTransform) add("no-transform");
  if (cc.mustUnderstand) add("must-understand");
  if (cc.invalidFreshness) add("INVALID-FRESHNESS");
  return out;
}

std::string describe(const RequestCacheControl& cc) {
  std::string out;
  auto add = [&](const std::string& s) { out += (out.empty() ? "" : " ") + s; };
  if (cc.noCache) add("no-cache");
  if (cc.noStore) add("no-store");
  if (cc.maxAge) add("max-age=" + std::to_string(*cc.maxAge));
  if (cc.maxStale) {
    add(cc.maxStaleSeconds ? "max-stale=" + std::to_string(*cc.maxStaleSeconds) : "max-stale");
  }
  if (cc.minFresh) add("min-fresh=" + std::to_string(*cc.minFresh));
  if (cc.onlyIfCached) add("only-if-cached");
  if (cc.noTransform) add("no-transform");
  return out;
}

std::string response(std::string_view value) {
  return describe(parseResponseCacheControl(Fields{{"Cache-Control", value}}));
}

std::string request(std::string_view value) {
  return describe(parseRequestCacheControl(Fields{{"Cache-Control", value}}));
}

struct Case {
  const char* name;
  const char* value;
  const char* expected;  // describe() of the result
};

std::string caseName(const testing::TestParamInfo<Case>& info) { return info.param.name; }

// --- Response directives -----------------------------------------------------------------------

class ResponseCacheControlTable : public testing::TestWithParam<Case> {};

TEST_P(ResponseCacheControlTable, Parses) {
  EXPECT_EQ(response(GetParam().value), GetParam().expected) << GetParam().value;
}

const Case kResponseCases[] = {
    {"Empty", "", ""},
    {"MaxAge", "max-age=60", "max-age=60"},
    {"NamesAreCaseInsensitive", "MAX-AGE=60, No-Store", "no-store max-age=60"},
    {"QuotedDeltaSecondsAccepted", "max-age=\"60\"", "max-age=60"},
    {"OwsAroundEqualsTolerated", "max-age = 60", "max-age=60"},
    {"MaxAgeAtIntMax", "max-age=2147483647", "max-age=2147483647"},
    {"MaxAgeOverflowClampsTo2Pow31", "max-age=99999999999999999999999", "max-age=2147483648"},
    {"MaxAgeNegativeIsInvalid", "max-age=-1", "INVALID-FRESHNESS"},
    {"MaxAgeNotANumberIsInvalid", "max-age=soon", "INVALID-FRESHNESS"},
    {"MaxAgeWithoutValueIsInvalid", "max-age", "INVALID-FRESHNESS"},
    {"MaxAgeWithTrailingGarbageIsInvalid", "max-age=5 6", "INVALID-FRESHNESS"},
    {"MaxAgeRepeatedSameValueIsFine", "max-age=60, max-age=60", "max-age=60"},
    {"MaxAgeConflictKeepsFirstAndMarksInvalid", "max-age=60, max-age=30",
     "max-age=60 INVALID-FRESHNESS"},
    {"InvalidThenValidMaxAgeStaysInvalid", "max-age=x, max-age=30", "max-age=30 INVALID-FRESHNESS"},
    {"SMaxAge", "s-maxage=600, max-age=60", "max-age=60 s-maxage=600"},
    {"SMaxAgeConflictMarksInvalid", "s-maxage=1, s-maxage=2", "s-maxage=1 INVALID-FRESHNESS"},
    {"NoStore", "no-store", "no-store"},
    {"NoStoreWithArgumentStillCounts", "no-store=1", "no-store"},
    {"NoCacheUnqualified", "no-cache", "no-cache"},
    {"NoCacheQuotedFieldList", "no-cache=\"Set-Cookie, X-Id\"", "no-cache=[set-cookie,x-id]"},
    {"NoCacheTokenFormSingleField", "no-cache=Set-Cookie", "no-cache=[set-cookie]"},
    {"NoCacheEmptyListIsUnqualified", "no-cache=\"\"", "no-cache"},
    {"NoCacheListOfOnlyCommasIsUnqualified", "no-cache=\" , ,\"", "no-cache"},
    {"NoCacheListWithNonTokenIsUnqualified", "no-cache=\"Set Cookie\"", "no-cache"},
    {"NoCacheListsMergeWithoutDuplicates", "no-cache=\"a\", no-cache=\"B, a\"", "no-cache=[a,b]"},
    {"NoCacheUnqualifiedWinsOverList", "no-cache=\"a\", no-cache", "no-cache"},
    {"QuotedPairIsUnescaped", "no-cache=\"Set\\-Cookie\"", "no-cache=[set-cookie]"},
    {"ControlCharInQuotedStringIsUnqualified", "no-cache=\"a\x01z\"", "no-cache"},
    {"UnterminatedQuoteSwallowsTheRest", "no-cache=\"Set-Cookie, max-age=5", "no-cache"},
    {"PrivateUnqualified", "private", "private"},
    {"PrivateFieldList", "private=\"Authorization, X-User\"", "private=[authorization,x-user]"},
    {"PrivateListWithQuoteInsideIsUnqualified", "private=\"a\\\"b\"", "private"},
    {"Public", "public", "public"},
    {"PublicWithArgumentIgnored", "public=yes", ""},
    {"MustRevalidate", "must-revalidate", "must-revalidate"},
    {"MustRevalidateWithArgumentStillCounts", "must-revalidate=\"x\"", "must-revalidate"},
    {"ProxyRevalidate", "proxy-revalidate", "proxy-revalidate"},
    {"Immutable", "max-age=31536000, immutable", "max-age=31536000 immutable"},
    {"ImmutableWithArgumentIgnored", "immutable=1", ""},
    {"StaleWhileRevalidate", "stale-while-revalidate=30", "stale-while-revalidate=30"},
    {"StaleIfError", "stale-if-error=600", "stale-if-error=600"},
    {"StaleIfErrorRepeatedKeepsSmallest", "stale-if-error=600, stale-if-error=60",
     "stale-if-error=60"},
    {"StaleWhileRevalidateInvalidIgnored", "stale-while-revalidate=later", ""},
    {"NoTransform", "no-transform", "no-transform"},
    {"MustUnderstand", "must-understand, no-store", "no-store must-understand"},
    {"MustUnderstandWithArgumentIgnored", "must-understand=1, no-store", "no-store"},
    {"UnknownDirectivesIgnored", "community=\"UCI\", foo, bar=baz", ""},
    {"NamesAreNotPrefixMatched", "max-agex=5, no-stored, privately", ""},
    {"CommaInsideQuotesDoesNotSplit", "ext=\"a, max-age=1\", max-age=5", "max-age=5"},
    {"MalformedElementDoesNotHideTheNext", "=junk, \"x\", max-age=5", "max-age=5"},
    {"EmptyElementsSkipped", ", ,max-age=5,,", "max-age=5"},
    {"RealWorldCdn", "public, max-age=300, s-maxage=3600, stale-while-revalidate=60",
     "public max-age=300 s-maxage=3600 stale-while-revalidate=60"},
};
INSTANTIATE_TEST_SUITE_P(CacheControl, ResponseCacheControlTable, testing::ValuesIn(kResponseCases),
                         caseName);

TEST(ResponseCacheControl, FieldListLongerThanTheCapIsUnqualified) {
  std::string list;
  for (size_t i = 0; i <= kMaxListedFields; ++i) list += "x-f" + std::to_string(i) + ",";
  EXPECT_EQ(response("private=\"" + list + "\""), "private");
  std::string atCap;
  for (size_t i = 0; i < kMaxListedFields; ++i) atCap += "x-f" + std::to_string(i) + ",";
  EXPECT_EQ(parseResponseCacheControl(Fields{{"Cache-Control", "private=\"" + atCap + "\""}})
                .privateFields.size(),
            kMaxListedFields);
}

TEST(ResponseCacheControl, EveryCacheControlFieldIsOneList) {
  Fields fields{{"Cache-Control", "no-cache=\"a"}, {"cache-control", "max-age=5"}};
  // A quote left open in one field does not run into the next field.
  EXPECT_EQ(describe(parseResponseCacheControl(fields)), "no-cache max-age=5");
}

TEST(ResponseCacheControl, ConflictAcrossFieldsIsDetected) {
  Fields fields{{"Cache-Control", "max-age=5"}, {"Cache-Control", "max-age=50"}};
  EXPECT_TRUE(parseResponseCacheControl(fields).invalidFreshness);
}

TEST(ResponseCacheControl, OtherFieldsAndPragmaAreIgnored) {
  Fields fields{{"X-Cache-Control", "no-store"}, {"Pragma", "no-cache"}};
  EXPECT_EQ(describe(parseResponseCacheControl(fields)), "");
}

TEST(ResponseCacheControl, ResultOwnsItsStrings) {
  ResponseCacheControl cc;
  {
    std::string value = "private=\"X-User\"";
    cc = parseResponseCacheControl(Fields{{"Cache-Control", value}});
    value.assign(value.size(), '#');
  }
  ASSERT_EQ(cc.privateFields.size(), 1u);
  EXPECT_EQ(cc.privateFields[0], "x-user");
}

// --- Request directives ------------------------------------------------------------------------

class RequestCacheControlTable : public testing::TestWithParam<Case> {};

TEST_P(RequestCacheControlTable, Parses) {
  EXPECT_EQ(request(GetParam().value), GetParam().expected) << GetParam().value;
}

const Case kRequestCases[] = {
    {"Empty", "", ""},
    {"NoCache", "no-cache", "no-cache"},
    {"NoStore", "no-store", "no-store"},
    {"MaxAgeZero", "max-age=0", "max-age=0"},
    {"MaxStaleWithoutValueMeansAny", "max-stale", "max-stale"},
    {"MaxStaleWithValue", "max-stale=30", "max-stale=30"},
    {"MaxStaleInvalidValueIgnored", "max-stale=forever", ""},
    {"MaxStaleOverflowClamps", "max-stale=99999999999999", "max-stale=2147483648"},
    {"MaxStaleValueWinsOverBare", "max-stale, max-stale=10", "max-stale=10"},
    {"MinFresh", "min-fresh=20", "min-fresh=20"},
    {"OnlyIfCached", "only-if-cached", "only-if-cached"},
    {"NoTransform", "no-transform", "no-transform"},
    {"RepeatedMaxAgeKeepsSmallest", "max-age=50, max-age=5", "max-age=5"},
    {"RepeatedMinFreshKeepsLargest", "min-fresh=5, min-fresh=9", "min-fresh=9"},
    {"RepeatedMaxStaleKeepsSmallest", "max-stale=100, max-stale=10", "max-stale=10"},
    {"InvalidMaxAgeIgnored", "max-age=x", ""},
    {"ResponseOnlyDirectivesIgnored", "public, s-maxage=5, private", ""},
    {"ChromeReload", "max-age=0", "max-age=0"},
    {"FirefoxForceReload", "no-cache", "no-cache"},
};
INSTANTIATE_TEST_SUITE_P(CacheControl, RequestCacheControlTable, testing::ValuesIn(kRequestCases),
                         caseName);

TEST(RequestCacheControl, PragmaNoCacheCountsWithoutCacheControl) {
  EXPECT_TRUE(parseRequestCacheControl(Fields{{"Pragma", "no-cache"}}).noCache);
  EXPECT_TRUE(parseRequestCacheControl(Fields{{"pragma", "x-foo, No-Cache"}}).noCache);
  EXPECT_FALSE(parseRequestCacheControl(Fields{{"Pragma", "x-no-cache"}}).noCache);
}

TEST(RequestCacheControl, PragmaIgnoredWhenCacheControlPresent) {
  Fields fields{{"Pragma", "no-cache"}, {"Cache-Control", "max-age=5"}};
  EXPECT_FALSE(parseRequestCacheControl(fields).noCache);
  // Even an empty Cache-Control field is "present" (§5.4).
  Fields empty{{"Cache-Control", ""}, {"Pragma", "no-cache"}};
  EXPECT_FALSE(parseRequestCacheControl(empty).noCache);
}

}  // namespace
}  // namespace tollgate::inspect
