// Spec of the shared-cache decisions (RFC 9111): what is stored and why not, lifetimes and the
// §4.2.3 age arithmetic with worked numbers, serve/revalidate/stale decisions, validators, the
// 304 update, Vary keys and invalidation. Times are unix seconds around kT.
#include "daemon/cache/freshness.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace tollgate::cache {
static void PrintTo(ServeAction a, std::ostream* os) {
  const char* names[] = {"ServeFresh",   "ServeStale", "Revalidate",
                         "StaleIfError", "Miss",       "OnlyIfCached504"};
  *os << names[static_cast<int>(a)];
}
}  // namespace tollgate::cache

namespace tollgate::cache {
namespace {

using inspect::formatHttpDate;
using inspect::RequestCacheControl;
using inspect::RequestHead;
using inspect::ResponseHead;

constexpr int64_t kT = 1700000000;  // Tue, 14 Nov 2023 22:13:20 GMT
constexpr int64_t kDay = 86400;

std::string date(int64_t t) { return formatHttpDate(t); }

// Heads are views: they point into the StoredFields the test keeps alive.
ResponseHead responseHead(int status, const StoredFields& fields) {
  ResponseHead h;
  h.status = status;
  h.headers = fieldViews(fields);
  return h;
}

RequestHead requestHead(std::string_view method, const StoredFields& fields) {
  RequestHead h;
  h.method = method;
  h.headers = fieldViews(fields);
  return h;
}

FreshnessInfo freshness(int status, const StoredFields& fields, int64_t requestTime = kT,
                        int64_t responseTime = kT, StoreRules rules = {}) {
  return freshnessOf(responseHead(status, fields), requestTime, responseTime, rules);
}

std::vector<std::string> names(const StoredFields& fields) {
  std::vector<std::string> out;
  for (const StoredField& f : fields) out.push_back(f.name + ": " + f.value);
  return out;
}

template <typename Case>
std::string caseName(const testing::TestParamInfo<Case>& info) {
  return info.param.name;
}

// --- mayStore ----------------------------------------------------------------------------------

struct StoreCase {
  const char* name;
  const char* method;
  StoredFields request;
  int status;
  StoredFields response;
  const char* reason;
};

class MayStoreTable : public testing::TestWithParam<StoreCase> {};

TEST_P(MayStoreTable, Decides) {
  const StoreCase& c = GetParam();
  StoreVerdict v = mayStore(requestHead(c.method, c.request), responseHead(c.status, c.response));
  EXPECT_STREQ(v.reason, c.reason);
  EXPECT_EQ(v.store, std::string_view(c.reason) == "cacheable");
}

const StoredFields kMaxAge{{"Cache-Control", "max-age=60"}};
const StoredFields kLastModified{{"Last-Modified", "Tue, 11 Apr 2023 01:45:34 GMT"}};
const StoredFields kAuth{{"Authorization", "Basic dTpw"}};
StoredFields cc(const char* value) { return {{"Cache-Control", value}}; }
StoredFields withMaxAge(StoredFields f) {
  f.push_back({"Cache-Control", "max-age=60"});
  return f;
}

const StoreCase kStoreCases[] = {
    {"GetWithMaxAge", "GET", {}, 200, kMaxAge, "cacheable"},
    {"HeadResponseNotStored", "HEAD", {}, 200, kMaxAge, "head"},
    {"PostNotStored", "POST", {}, 200, kMaxAge, "method"},
    {"MethodIsCaseSensitive", "get", {}, 200, kMaxAge, "method"},
    {"PartialContentNotStored", "GET", {}, 206, kMaxAge, "status"},
    {"NotModifiedNotStored", "GET", {}, 304, kMaxAge, "status"},
    {"InterimNotStored", "GET", {}, 100, kMaxAge, "status"},
    {"ServerErrorNotStoredEvenWithMaxAge", "GET", {}, 500, kMaxAge, "status"},
    {"ForbiddenNotStored", "GET", {}, 403, kMaxAge, "status"},
    {"FoundWithMaxAgeStored", "GET", {}, 302, kMaxAge, "cacheable"},
    {"FoundWithoutFreshnessNotStored", "GET", {}, 302, kLastModified, "no_freshness"},
    {"FoundPublicIsHeuristicallyCacheable",
     "GET",
     {},
     302,
     {{"Cache-Control", "public"}, kLastModified[0]},
     "cacheable"},
    {"NotFoundHeuristic", "GET", {}, 404, kLastModified, "cacheable"},
    {"NoContentHeuristic", "GET", {}, 204, kLastModified, "cacheable"},
    {"PermanentRedirectHeuristic", "GET", {}, 308, kLastModified, "cacheable"},
    {"LegalReasonsWithMaxAge", "GET", {}, 451, kMaxAge, "cacheable"},
    {"LegalReasonsWithoutFreshness", "GET", {}, 451, kLastModified, "no_freshness"},
    {"EtagOnlyIsStoredForRevalidation", "GET", {}, 200, {{"ETag", "\"v1\""}}, "cacheable"},
    {"NoFreshnessNoValidator", "GET", {}, 200, {{"Content-Type", "text/html"}}, "no_freshness"},
    {"ExpiresIsExplicitFreshness",
     "GET",
     {},
     200,
     {{"Expires", "Thu, 01 Jan 2099 00:00:00 GMT"}},
     "cacheable"},
    {"RequestNoStore", "GET", cc("no-store"), 200, kMaxAge, "no_store"},
    {"ResponseNoStore", "GET", {}, 200, cc("no-store, max-age=60"), "no_store"},
    {"NoStoreIgnoredUnderMustUnderstand",
     "GET",
     {},
     200,
     cc("no-store, must-understand, max-age=60"),
     "cacheable"},
    {"MustUnderstandDoesNotRescuePartialContent",
     "GET",
     {},
     206,
     cc("no-store, must-understand, max-age=60"),
     "status"},
    {"Private", "GET", {}, 200, cc("private, max-age=60"), "private"},
    {"PrivateFieldListIsStoredWithoutThem",
     "GET",
     {},
     200,
     cc("private=\"X-User\", max-age=60"),
     "cacheable"},
    {"Authorization", "GET", kAuth, 200, kMaxAge, "authorization"},
    {"AuthorizationWithPublic", "GET", kAuth, 200, cc("public, max-age=60"), "cacheable"},
    {"AuthorizationWithSMaxAge", "GET", kAuth, 200, cc("s-maxage=60"), "cacheable"},
    {"AuthorizationWithMustRevalidate", "GET", kAuth, 200, cc("must-revalidate, max-age=60"),
     "cacheable"},
    {"AuthorizationWithProxyRevalidateIsNotEnough", "GET", kAuth, 200,
     cc("proxy-revalidate, max-age=60"), "authorization"},
    {"SetCookie", "GET", {}, 200, withMaxAge({{"Set-Cookie", "id=1"}}), "set_cookie"},
    {"SetCookieEvenWhenListedAsPrivate",
     "GET",
     {},
     200,
     {{"Cache-Control", "private=\"Set-Cookie\", max-age=60"}, {"Set-Cookie", "id=1"}},
     "set_cookie"},
    {"VaryStar", "GET", {}, 200, withMaxAge({{"Vary", "*"}}), "vary_star"},
    {"VaryStarAmongNames",
     "GET",
     {},
     200,
     withMaxAge({{"Vary", "Accept-Encoding, *"}}),
     "vary_star"},
    {"VaryElementNotAFieldName",
     "GET",
     {},
     200,
     withMaxAge({{"Vary", "Accept Encoding"}}),
     "vary_star"},
    {"VaryNamesAreStored", "GET", {}, 200, withMaxAge({{"Vary", "Accept-Encoding"}}), "cacheable"},
    {"NoCacheWithoutValidator", "GET", {}, 200, cc("no-cache, max-age=60"), "no_validator"},
    {"NoCacheAloneHasNoFreshnessEither", "GET", {}, 200, cc("no-cache"), "no_freshness"},
    {"NoCacheWithEtag",
     "GET",
     {},
     200,
     {{"Cache-Control", "no-cache"}, {"ETag", "\"v1\""}},
     "cacheable"},
    {"MaxAgeZeroWithoutValidator", "GET", {}, 200, cc("max-age=0"), "no_validator"},
    {"SMaxAgeZeroWithoutValidator", "GET", {}, 200, cc("max-age=60, s-maxage=0"), "no_validator"},
    {"MaxAgeZeroWithLastModified",
     "GET",
     {},
     200,
     {{"Cache-Control", "max-age=0"}, kLastModified[0]},
     "cacheable"},
    {"InvalidMaxAgeWithoutValidator", "GET", {}, 200, cc("max-age=soon"), "no_validator"},
    {"RequestNoCacheDoesNotPreventStoring", "GET", cc("no-cache"), 200, kMaxAge, "cacheable"},
    {"RequestPragmaDoesNotPreventStoring",
     "GET",
     {{"Pragma", "no-cache"}},
     200,
     kMaxAge,
     "cacheable"},
};
INSTANTIATE_TEST_SUITE_P(CacheStore, MayStoreTable, testing::ValuesIn(kStoreCases),
                         caseName<StoreCase>);

// --- storableFields ----------------------------------------------------------------------------

TEST(CacheStorableFields, DropsHopByHopProxyAuthCookiesAgeAndListedFields) {
  StoredFields response{{"Content-Type", "text/html"},
                        {"Connection", "close, X-Hop"},
                        {"X-Hop", "1"},
                        {"Keep-Alive", "timeout=5"},
                        {"Transfer-Encoding", "chunked"},
                        {"TE", "trailers"},
                        {"Upgrade", "h2c"},
                        {"Proxy-Connection", "keep-alive"},
                        {"Proxy-Authenticate", "Basic"},
                        {"Proxy-Authentication-Info", "x"},
                        {"Set-Cookie", "a=b"},
                        {"Age", "5"},
                        {"Cache-Control", "max-age=60, private=\"X-User\", no-cache=\"X-Token\""},
                        {"x-user", "alice"},
                        {"X-Token", "t"},
                        {"ETag", "\"v1\""},
                        {"Content-Length", "5"}};
  EXPECT_EQ(names(storableFields(fieldViews(response))),
            (std::vector<std::string>{
                "Content-Type: text/html",
                "Cache-Control: max-age=60, private=\"X-User\", no-cache=\"X-Token\"",
                "ETag: \"v1\"", "Content-Length: 5"}));
}

TEST(CacheStorableFields, KeepsOrderSpellingAndRepeatedFields) {
  StoredFields response{{"Link", "</a>"}, {"x-custom", "1"}, {"Link", "</b>"}};
  EXPECT_EQ(names(storableFields(fieldViews(response))),
            (std::vector<std::string>{"Link: </a>", "x-custom: 1", "Link: </b>"}));
}

// --- Freshness lifetime (§4.2.1, §4.2.2) -------------------------------------------------------

struct LifetimeCase {
  const char* name;
  int status;
  StoredFields response;
  int64_t lifetime;
  bool heuristic;
};

class LifetimeTable : public testing::TestWithParam<LifetimeCase> {};

TEST_P(LifetimeTable, Computes) {
  FreshnessInfo info = freshness(GetParam().status, GetParam().response);
  EXPECT_EQ(info.lifetime, GetParam().lifetime);
  EXPECT_EQ(info.heuristic, GetParam().heuristic);
}

const LifetimeCase kLifetimeCases[] = {
    {"MaxAge", 200, {{"Date", date(kT)}, {"Cache-Control", "max-age=60"}}, 60, false},
    {"SMaxAgeBeatsMaxAge", 200, cc("max-age=60, s-maxage=600"), 600, false},
    {"MaxAgeBeatsExpires",
     200,
     {{"Date", date(kT)}, {"Expires", date(kT + 3600)}, {"Cache-Control", "max-age=60"}},
     60,
     false},
    // The origin's clock is 100 s behind ours: Expires - Date is immune to that.
    {"ExpiresMinusDate",
     200,
     {{"Date", date(kT - 100)}, {"Expires", date(kT + 3500)}},
     3600,
     false},
    {"ExpiresWithoutDateUsesResponseTime", 200, {{"Expires", date(kT + 3600)}}, 3600, false},
    {"ExpiresInThePast", 200, {{"Date", date(kT)}, {"Expires", date(kT - 10)}}, 0, false},
    {"ExpiresZeroIsAlreadyExpired", 200, {{"Date", date(kT)}, {"Expires", "0"}}, 0, false},
    {"TwoDisagreeingExpiresAreExpired",
     200,
     {{"Date", date(kT)}, {"Expires", date(kT + 3600)}, {"Expires", date(kT + 60)}},
     0,
     false},
    {"TwoIdenticalExpiresAreFine",
     200,
     {{"Date", date(kT)}, {"Expires", date(kT + 3600)}, {"Expires", date(kT + 3600)}},
     3600,
     false},
    {"InvalidMaxAgeIsStaleEvenWithExpires",
     200,
     {{"Date", date(kT)}, {"Expires", date(kT + 3600)}, {"Cache-Control", "max-age=soon"}},
     0,
     false},
    {"ConflictingMaxAgeIsStale", 200, cc("max-age=60, max-age=600"), 0, false},
    {"MaxAgeOverflowIsClamped", 200, cc("max-age=999999999999"), 2147483648, false},
    {"HeuristicIsTenPercentOfLastModifiedAge",
     200,
     {{"Date", date(kT)}, {"Last-Modified", date(kT - 5 * kDay)}},
     kDay / 2,
     true},
    {"HeuristicIsCappedAtOneDay",
     200,
     {{"Date", date(kT)}, {"Last-Modified", date(kT - 100 * kDay)}},
     kDay,
     true},
    {"HeuristicFromLastModifiedAfterDateIsZero",
     200,
     {{"Date", date(kT)}, {"Last-Modified", date(kT + 10)}},
     0,
     true},
    {"HeuristicWithoutLastModifiedIsZero", 200, {{"ETag", "\"v1\""}}, 0, true},
    {"NoHeuristicForNonHeuristicStatus",
     302,
     {{"Date", date(kT)}, {"Last-Modified", date(kT - 5 * kDay)}},
     0,
     false},
    {"PublicMakesAnyStatusHeuristic",
     302,
     {{"Date", date(kT)}, {"Last-Modified", date(kT - 5 * kDay)}, {"Cache-Control", "public"}},
     kDay / 2,
     true},
};
INSTANTIATE_TEST_SUITE_P(CacheFreshness, LifetimeTable, testing::ValuesIn(kLifetimeCases),
                         caseName<LifetimeCase>);

TEST(CacheFreshness, HeuristicCapComesFromTheRules) {
  StoredFields r{{"Date", date(kT)}, {"Last-Modified", date(kT - 100 * kDay)}};
  EXPECT_EQ(freshness(200, r, kT, kT, StoreRules{.heuristicMax = 3600}).lifetime, 3600);
  EXPECT_EQ(freshness(200, r, kT, kT, StoreRules{.heuristicMax = 0}).lifetime, 0);
}

TEST(CacheFreshness, CarriesTheServingDirectives) {
  EXPECT_TRUE(freshness(200, cc("max-age=5, must-revalidate")).mustRevalidate);
  EXPECT_TRUE(freshness(200, cc("max-age=5, proxy-revalidate")).mustRevalidate);
  EXPECT_TRUE(freshness(200, cc("s-maxage=5")).mustRevalidate);  // §5.2.2.10
  EXPECT_FALSE(freshness(200, cc("max-age=5")).mustRevalidate);
  EXPECT_TRUE(freshness(200, cc("no-cache")).noCache);
  EXPECT_FALSE(freshness(200, cc("no-cache=\"X-Token\"")).noCache);  // stripped when stored
  EXPECT_TRUE(freshness(200, cc("max-age=5, immutable")).immutable);
  FreshnessInfo rfc5861 = freshness(200, cc("stale-while-revalidate=30, stale-if-error=600"));
  EXPECT_EQ(rfc5861.staleWhileRevalidate, 30);
  EXPECT_EQ(rfc5861.staleIfError, 600);
}

TEST(CacheFreshness, ValidatorsAreEtagOrLastModified) {
  EXPECT_TRUE(freshness(200, {{"ETag", "W/\"v1\""}}).hasValidators);
  EXPECT_TRUE(freshness(200, kLastModified).hasValidators);
  EXPECT_FALSE(freshness(200, {{"ETag", "v1"}, {"Last-Modified", "yesterday"}}).hasValidators);
}

// --- Age (§4.2.3), worked numbers ---------------------------------------------------------------

TEST(CacheFreshnessAge, CorrectedAgeValueWinsOverApparentAge) {
  // Request sent at T, response received at T+2 with Date T-3 and Age 10.
  //   apparent_age = max(0, (T+2) - (T-3)) = 5
  //   corrected_age_value = 10 + ((T+2) - T) = 12
  //   corrected_initial_age = max(5, 12) = 12
  //   at T+100: resident_time = 98, current_age = 110
  StoredFields r{{"Date", date(kT - 3)}, {"Age", "10"}, {"Cache-Control", "max-age=600"}};
  FreshnessInfo info = freshness(200, r, kT, kT + 2);
  EXPECT_EQ(info.correctedInitialAge, 12);
  EXPECT_EQ(currentAge(info, kT + 100), 110);
  EXPECT_EQ(ageHeaderValue(info, kT + 100), 110);
}

TEST(CacheFreshnessAge, ApparentAgeWinsWhenAnOldCacheDroppedAge) {
  // Date T-60, no Age, received at T+1 for a request sent at T: max(61, 0 + 1) = 61.
  FreshnessInfo info = freshness(200, {{"Date", date(kT - 60)}}, kT, kT + 1);
  EXPECT_EQ(info.correctedInitialAge, 61);
}

TEST(CacheFreshnessAge, OriginClockAheadAddsNothing) {
  // Date an hour in our future: apparent_age clamps at 0; only the 1 s response delay counts.
  FreshnessInfo info = freshness(200, {{"Date", date(kT + 3600)}}, kT, kT + 1);
  EXPECT_EQ(info.correctedInitialAge, 1);
}

TEST(CacheFreshnessAge, MissingOrInvalidDateIsTheTimeOfReceipt) {
  EXPECT_EQ(freshness(200, {}, kT, kT + 3).correctedInitialAge, 3);
  EXPECT_EQ(freshness(200, {{"Date", "yesterday"}}, kT, kT + 3).correctedInitialAge, 3);
}

TEST(CacheFreshnessAge, InvalidAgeIsIgnored) {
  EXPECT_EQ(freshness(200, {{"Age", "abc"}}).correctedInitialAge, 0);
  EXPECT_EQ(freshness(200, {{"Age", "5, 6"}}).correctedInitialAge, 0);
  EXPECT_EQ(freshness(200, {{"Age", "-5"}}).correctedInitialAge, 0);
}

TEST(CacheFreshnessAge, ResponseTimeBeforeRequestTimeCountsNoDelay) {
  EXPECT_EQ(freshness(200, {{"Age", "7"}}, kT + 10, kT).correctedInitialAge, 7);
}

TEST(CacheFreshnessAge, ClockSteppedBackNeverShrinksTheAge) {
  FreshnessInfo info = freshness(200, {{"Age", "7"}}, kT, kT);
  EXPECT_EQ(currentAge(info, kT - 1000), 7);
}

TEST(CacheFreshnessAge, HugeAgeSaturatesAndAgeHeaderCapsAt2Pow31) {
  FreshnessInfo info = freshness(200, {{"Age", "999999999999999999999"}});
  EXPECT_EQ(info.correctedInitialAge, 2147483648);
  EXPECT_EQ(ageHeaderValue(info, kT + 10), 2147483648);
  EXPECT_EQ(currentAge(info, INT64_MAX), INT64_MAX);
  EXPECT_EQ(ageHeaderValue(info, INT64_MAX), 2147483648);
}

// --- decideServe -------------------------------------------------------------------------------

// A response received at kT with no initial age, revalidatable, and the given lifetime.
FreshnessInfo stored(int64_t lifetime) {
  FreshnessInfo i;
  i.responseTime = kT;
  i.lifetime = lifetime;
  i.hasValidators = true;
  return i;
}
// Modifiers for table rows: mustRevalidate(swr(stored(100), 30)).
FreshnessInfo mustRevalidate(FreshnessInfo i) {
  i.mustRevalidate = true;
  return i;
}
FreshnessInfo noCache(FreshnessInfo i) {
  i.noCache = true;
  return i;
}
FreshnessInfo immutable(FreshnessInfo i) {
  i.immutable = true;
  return i;
}
FreshnessInfo noValidators(FreshnessInfo i) {
  i.hasValidators = false;
  return i;
}
FreshnessInfo swr(FreshnessInfo i, int64_t seconds) {
  i.staleWhileRevalidate = seconds;
  return i;
}
FreshnessInfo sie(FreshnessInfo i, int64_t seconds) {
  i.staleIfError = seconds;
  return i;
}

struct ServeCase {
  const char* name;
  FreshnessInfo info;
  const char* request;  // the request's Cache-Control
  int64_t age;          // now - responseTime; the initial age is 0
  ServeAction action;
  const char* reason;
};

class DecideServeTable : public testing::TestWithParam<ServeCase> {};

TEST_P(DecideServeTable, Decides) {
  const ServeCase& c = GetParam();
  StoredFields fields{{"Cache-Control", c.request}};
  RequestCacheControl req = inspect::parseRequestCacheControl(fieldViews(fields));
  ServeDecision d = decideServe(c.info, req, kT + c.age);
  EXPECT_EQ(d.action, c.action);
  EXPECT_STREQ(d.reason, c.reason);
}

using A = ServeAction;
const ServeCase kServeCases[] = {
    {"FreshIsServed", stored(100), "", 50, A::ServeFresh, "fresh"},
    {"AgeEqualToLifetimeIsStale", stored(100), "", 100, A::Revalidate, "stale"},
    {"StaleWithoutValidatorsIsMiss", noValidators(stored(100)), "", 150, A::Miss, "stale"},
    {"ZeroLifetimeAlwaysRevalidates", stored(0), "", 0, A::Revalidate, "stale"},
    {"ResponseNoCacheRevalidatesEvenFresh", noCache(stored(100)), "", 0, A::Revalidate,
     "response_no_cache"},
    {"RequestNoCacheRevalidatesFresh", stored(100), "no-cache", 10, A::Revalidate,
     "request_no_cache"},
    {"RequestNoCacheWithoutValidatorsIsMiss", noValidators(stored(100)), "no-cache", 10, A::Miss,
     "request_no_cache"},
    {"RequestMaxAgeZeroRevalidates", stored(100), "max-age=0", 10, A::Revalidate,
     "request_max_age"},
    {"RequestMaxAgeZeroRevalidatesEvenAtAgeZero", stored(100), "max-age=0", 0, A::Revalidate,
     "request_max_age"},
    {"RequestMaxAgeEqualToAgeServes", stored(100), "max-age=10", 10, A::ServeFresh, "fresh"},
    {"MinFreshSatisfied", stored(100), "min-fresh=50", 50, A::ServeFresh, "fresh"},
    {"MinFreshNotSatisfied", stored(100), "min-fresh=51", 50, A::Revalidate, "min_fresh"},
    {"MaxStaleWithoutValueServesAnyStaleness", stored(100), "max-stale", 100000, A::ServeStale,
     "max_stale"},
    {"MaxStaleWithinBound", stored(100), "max-stale=10", 110, A::ServeStale, "max_stale"},
    {"MaxStaleBeyondBound", stored(100), "max-stale=10", 111, A::Revalidate, "stale"},
    {"MaxStaleForbiddenByMustRevalidate", mustRevalidate(stored(100)), "max-stale", 150,
     A::Revalidate, "stale"},
    {"MaxStaleForbiddenByNoCache", noCache(stored(100)), "max-stale", 150, A::Revalidate,
     "response_no_cache"},
    {"MaxStaleWithMinFreshRevalidates", stored(100), "max-stale, min-fresh=1", 150, A::Revalidate,
     "stale"},
    {"MaxStaleWithinRequestMaxAge", stored(100), "max-stale, max-age=200", 150, A::ServeStale,
     "max_stale"},
    {"MaxStaleButOlderThanRequestMaxAge", stored(100), "max-stale, max-age=120", 150, A::Revalidate,
     "request_max_age"},
    {"StaleWhileRevalidateWithinWindow", swr(stored(100), 30), "", 130, A::ServeStale,
     "stale_while_revalidate"},
    {"StaleWhileRevalidateBeyondWindow", swr(stored(100), 30), "", 131, A::Revalidate, "stale"},
    {"StaleWhileRevalidateForbiddenByMustRevalidate", mustRevalidate(swr(stored(100), 30)), "", 110,
     A::Revalidate, "stale"},
    {"StaleWhileRevalidateNotForAClientBoundingAge", swr(stored(100), 30), "max-age=1000", 110,
     A::Revalidate, "stale"},
    {"ImmutableFreshIgnoresReloadMaxAge", immutable(stored(100)), "max-age=0", 10, A::ServeFresh,
     "immutable"},
    {"ImmutableFreshIgnoresMinFresh", immutable(stored(100)), "min-fresh=1000", 10, A::ServeFresh,
     "immutable"},
    {"ImmutableYieldsToForceReload", immutable(stored(100)), "no-cache", 10, A::Revalidate,
     "request_no_cache"},
    {"ImmutableStaleRevalidates", immutable(stored(100)), "", 150, A::Revalidate, "stale"},
    {"OnlyIfCachedServesFresh", stored(100), "only-if-cached", 10, A::ServeFresh, "fresh"},
    {"OnlyIfCachedStaleIs504", stored(100), "only-if-cached", 150, A::OnlyIfCached504,
     "only_if_cached"},
    {"OnlyIfCachedWithMaxStaleServesStale", stored(100), "only-if-cached, max-stale", 150,
     A::ServeStale, "max_stale"},
    {"OnlyIfCachedWithNoCacheIs504", stored(100), "only-if-cached, no-cache", 10,
     A::OnlyIfCached504, "only_if_cached"},
    {"StaleIfErrorWithinWindow", sie(stored(100), 600), "", 150, A::StaleIfError, "stale"},
    {"StaleIfErrorBeyondWindow", sie(stored(100), 600), "", 701, A::Revalidate, "stale"},
    {"StaleIfErrorForbiddenByMustRevalidate", mustRevalidate(sie(stored(100), 600)), "", 150,
     A::Revalidate, "stale"},
    {"StaleIfErrorForbiddenByNoCache", noCache(sie(stored(100), 600)), "", 10, A::Revalidate,
     "response_no_cache"},
    {"StaleIfErrorWithoutValidatorsStillFallsBack", noValidators(sie(stored(100), 600)), "", 150,
     A::StaleIfError, "stale"},
    {"FreshStaleIfErrorResponseForcedToOrigin", sie(stored(100), 600), "max-age=0", 10,
     A::StaleIfError, "request_max_age"},
    {"RequestNoStoreDoesNotPreventAHit", stored(100), "no-store", 10, A::ServeFresh, "fresh"},
};
INSTANTIATE_TEST_SUITE_P(CacheServe, DecideServeTable, testing::ValuesIn(kServeCases),
                         caseName<ServeCase>);

// Pragma is the one request input the table (a Cache-Control value per row) cannot express.
TEST(CacheServe, PragmaNoCacheRevalidates) {
  StoredFields fields{{"Pragma", "no-cache"}};
  RequestCacheControl req = inspect::parseRequestCacheControl(fieldViews(fields));
  EXPECT_EQ(decideServe(stored(100), req, kT + 10).action, ServeAction::Revalidate);
}

TEST(CacheServe, InitialAgeCountsTowardsStaleness) {
  FreshnessInfo info = stored(100);
  info.correctedInitialAge = 40;
  EXPECT_EQ(decideServe(info, {}, kT + 59).action, ServeAction::ServeFresh);
  EXPECT_EQ(decideServe(info, {}, kT + 60).action, ServeAction::Revalidate);
}

TEST(CacheServe, FreshResponseForcedToOriginStandsInOnError) {
  // A reload (no-cache) of a fresh response: Revalidate, but if the origin is down the fresh
  // stored response may still answer.
  RequestCacheControl reload;
  reload.noCache = true;
  EXPECT_EQ(decideServe(stored(100), reload, kT + 10).action, ServeAction::Revalidate);
  EXPECT_TRUE(mayServeOnError(stored(100), kT + 10));
}

TEST(CacheServe, MayServeOnError) {
  EXPECT_TRUE(mayServeOnError(stored(100), kT + 99));  // still fresh
  EXPECT_FALSE(mayServeOnError(noCache(stored(100)), kT + 1));
  EXPECT_FALSE(mayServeOnError(stored(100), kT + 100));  // stale, no stale-if-error
  EXPECT_TRUE(mayServeOnError(sie(stored(100), 600), kT + 700));
  EXPECT_FALSE(mayServeOnError(sie(stored(100), 600), kT + 701));
  EXPECT_FALSE(mayServeOnError(mustRevalidate(sie(stored(100), 600)), kT + 150));
}

// --- Revalidation (§4.3) -----------------------------------------------------------------------

TEST(CacheConditionalHeaders, SendsBothValidators) {
  StoredFields r{{"ETag", "\"6434bbbe-267\""}, {"Last-Modified", "Tue, 11 Apr 2023 01:45:34 GMT"}};
  ConditionalFields c = conditionalHeaders(fieldViews(r));
  EXPECT_EQ(c.ifNoneMatch, "\"6434bbbe-267\"");
  EXPECT_EQ(c.ifModifiedSince, "Tue, 11 Apr 2023 01:45:34 GMT");
}

TEST(CacheConditionalHeaders, WeakEtagIsAllowedInIfNoneMatch) {
  StoredFields r{{"etag", "W/\"v1\""}};
  EXPECT_EQ(conditionalHeaders(fieldViews(r)).ifNoneMatch, "W/\"v1\"");
}

TEST(CacheConditionalHeaders, MalformedValidatorsAreNotSent) {
  for (const char* etag : {"v1", "\"v1", "\"a\"b\"", "w/\"v1\"", "\"\x01\"", ""}) {
    StoredFields r{{"ETag", etag}, {"Last-Modified", "last tuesday"}};
    ConditionalFields c = conditionalHeaders(fieldViews(r));
    EXPECT_EQ(c.ifNoneMatch, "") << etag;
    EXPECT_EQ(c.ifModifiedSince, "");
  }
}

TEST(CacheConditionalHeaders, EmptyEtagAndNoValidators) {
  StoredFields emptyTag{{"ETag", "\"\""}};
  EXPECT_EQ(conditionalHeaders(fieldViews(emptyTag)).ifNoneMatch, "\"\"");
  ConditionalFields none = conditionalHeaders({});
  EXPECT_TRUE(none.ifNoneMatch.empty() && none.ifModifiedSince.empty());
}

TEST(CacheUpdateFrom304, ReplacesEveryFieldTheNotModifiedCarries) {
  StoredFields stored{{"Date", "old"},
                      {"Content-Type", "text/html"},
                      {"Cache-Control", "max-age=60"},
                      {"X-A", "1"},
                      {"ETag", "\"v1\""},
                      {"x-a", "2"}};
  StoredFields notModified{{"date", "new"}, {"Cache-Control", "max-age=600"}, {"X-A", "3"}};
  EXPECT_EQ(names(updateFrom304(stored, fieldViews(notModified))),
            (std::vector<std::string>{"Content-Type: text/html", "ETag: \"v1\"", "date: new",
                                      "Cache-Control: max-age=600", "X-A: 3"}));
}

TEST(CacheUpdateFrom304, KeepsWhatTheStoredBodyDependsOn) {
  StoredFields stored{{"Content-Length", "615"}, {"Content-Encoding", "gzip"}};
  StoredFields notModified{{"Content-Length", "0"},
                           {"Content-Encoding", "br"},
                           {"Content-Range", "bytes 0-1/2"},
                           {"Transfer-Encoding", "chunked"}};
  EXPECT_EQ(names(updateFrom304(stored, fieldViews(notModified))),
            (std::vector<std::string>{"Content-Length: 615", "Content-Encoding: gzip"}));
}

TEST(CacheUpdateFrom304, NeverTakesHopByHopCookiesAgeOrPrivateFields) {
  StoredFields stored{{"ETag", "\"v1\""}};
  StoredFields notModified{{"Connection", "X-Hop"}, {"X-Hop", "1"},
                           {"Keep-Alive", "5"},     {"Set-Cookie", "id=2"},
                           {"Age", "30"},           {"Cache-Control", "private=\"X-User\""},
                           {"X-User", "bob"}};
  EXPECT_EQ(names(updateFrom304(stored, fieldViews(notModified))),
            (std::vector<std::string>{"ETag: \"v1\"", "Cache-Control: private=\"X-User\""}));
}

TEST(CacheUpdateFrom304, FreshnessAfterUsesTheNewDateDirectivesAndAge) {
  // Stored at T-1000 with max-age=60; revalidated at T (request at T-1) with a 304 carrying
  // max-age=600, Date T-2 and Age 5: lifetime 600, initial age max(2, 5 + 1) = 6.
  StoredFields stored{{"Date", date(kT - 1000)},
                      {"Cache-Control", "max-age=60"},
                      {"Last-Modified", date(kT - kDay)}};
  StoredFields notModified{{"Date", date(kT - 2)}, {"Age", "5"}, {"Cache-Control", "max-age=600"}};
  StoredFields updated = updateFrom304(stored, fieldViews(notModified));
  FreshnessInfo info = freshnessAfter304(200, updated, fieldViews(notModified), kT - 1, kT, {});
  EXPECT_EQ(info.lifetime, 600);
  EXPECT_EQ(info.correctedInitialAge, 6);
  EXPECT_TRUE(info.hasValidators);
  EXPECT_EQ(decideServe(info, {}, kT + 500).action, ServeAction::ServeFresh);
}

// --- Vary (§4.1) -------------------------------------------------------------------------------

std::optional<std::string> key(const StoredFields& response, const StoredFields& request) {
  return varyKey(fieldViews(response), fieldViews(request));
}

TEST(CacheVary, NoVaryIsTheEmptyKey) {
  EXPECT_EQ(key({{"Content-Type", "text/html"}}, {{"Accept", "*/*"}}), "");
}

TEST(CacheVary, NamesAreLowerCasedSortedAndDeduplicated) {
  StoredFields response{{"Vary", "User-Agent, accept-encoding"}, {"vary", "Accept-Encoding"}};
  StoredFields request{{"user-agent", "curl/8"}, {"Accept-Encoding", "gzip"}};
  EXPECT_EQ(key(response, request), "accept-encoding=gzip\nuser-agent=curl/8");
}

TEST(CacheVary, WhitespaceIsNormalised) {
  StoredFields response{{"Vary", "Accept-Encoding"}};
  std::optional<std::string> expected = "accept-encoding=gzip,deflate,br";
  for (const char* value :
       {"gzip,deflate,br", "gzip, deflate, br", "gzip ,\tdeflate ,  br", "gzip,, deflate,br,"}) {
    EXPECT_EQ(key(response, {{"Accept-Encoding", value}}), expected) << value;
  }
  EXPECT_EQ(key({{"Vary", "User-Agent"}}, {{"User-Agent", "Mozilla/5.0  (X11;\t Linux)"}}),
            "user-agent=Mozilla/5.0 (X11; Linux)");
}

TEST(CacheVary, QuotedStringsAreKeptVerbatim) {
  EXPECT_EQ(key({{"Vary", "Prefer"}}, {{"Prefer", "x=\"a,  b\" ,  y"}}), "prefer=x=\"a,  b\",y");
}

TEST(CacheVary, CaseOfValuesIsKept) {
  StoredFields response{{"Vary", "Accept-Encoding"}};
  EXPECT_NE(key(response, {{"Accept-Encoding", "GZIP"}}),
            key(response, {{"Accept-Encoding", "gzip"}}));
}

TEST(CacheVary, RepeatedRequestFieldsCombineAsOneList) {
  StoredFields response{{"Vary", "Accept"}};
  EXPECT_EQ(key(response, {{"Accept", "text/html"}, {"accept", "*/*"}}),
            key(response, {{"Accept", "text/html, */*"}}));
}

TEST(CacheVary, MissingFieldDiffersFromEmptyField) {
  StoredFields response{{"Vary", "Accept-Language"}};
  EXPECT_EQ(key(response, {}), "accept-language");
  EXPECT_EQ(key(response, {{"Accept-Language", ""}}), "accept-language=");
}

TEST(CacheVary, StarOrMalformedNeverMatches) {
  EXPECT_EQ(key({{"Vary", "*"}}, {}), std::nullopt);
  EXPECT_EQ(key({{"Vary", "Accept"}, {"Vary", "*"}}, {}), std::nullopt);
  EXPECT_EQ(key({{"Vary", "Accept Language"}}, {}), std::nullopt);
}

TEST(CacheVary, MoreThanThirtyTwoNamesNeverMatches) {
  std::string names;
  for (int i = 0; i < 33; ++i) names += "X-V" + std::to_string(i) + ",";
  EXPECT_EQ(key({{"Vary", names}}, {}), std::nullopt);
  EXPECT_NE(key({{"Vary", names.substr(0, names.rfind("X-V32"))}}, {}), std::nullopt);
}

// --- Invalidation (§4.4) -----------------------------------------------------------------------

struct InvalidationCase {
  const char* name;
  const char* method;
  int status;
  const char* requestUrl;
  StoredFields response;
  std::vector<std::string> expected;
};

class InvalidationTable : public testing::TestWithParam<InvalidationCase> {};

TEST_P(InvalidationTable, Lists) {
  const InvalidationCase& c = GetParam();
  EXPECT_EQ(invalidatedUrls(c.method, c.status, c.requestUrl, fieldViews(c.response)), c.expected);
}

constexpr const char* kUrl = "http://shop.example/items/list?page=2";
StoredFields location(const char* v) { return {{"Location", v}}; }

const InvalidationCase kInvalidationCases[] = {
    {"GetInvalidatesNothing", "GET", 200, kUrl, {}, {}},
    {"HeadInvalidatesNothing", "HEAD", 200, kUrl, {}, {}},
    {"OptionsInvalidatesNothing", "OPTIONS", 200, kUrl, {}, {}},
    {"PostSuccessInvalidatesTarget", "POST", 200, kUrl, {}, {kUrl}},
    {"DeleteNoContent", "DELETE", 204, kUrl, {}, {kUrl}},
    {"RedirectIsNotAnError", "POST", 303, kUrl, {}, {kUrl}},
    {"ClientErrorInvalidatesNothing", "PUT", 404, kUrl, {}, {}},
    {"ServerErrorInvalidatesNothing", "PUT", 503, kUrl, {}, {}},
    {"InterimInvalidatesNothing", "POST", 100, kUrl, {}, {}},
    {"UnknownMethodIsUnsafe", "PURGE", 200, kUrl, {}, {kUrl}},
    {"LowerCaseGetIsAnUnknownMethod", "get", 200, kUrl, {}, {kUrl}},
    {"AbsolutePathLocation",
     "POST",
     201,
     kUrl,
     location("/items/123"),
     {kUrl, "http://shop.example/items/123"}},
    {"RelativePathLocation",
     "POST",
     201,
     kUrl,
     location("123"),
     {kUrl, "http://shop.example/items/123"}},
    {"DotSegmentsResolved",
     "POST",
     201,
     kUrl,
     location("./a/../../b/./c"),
     {kUrl, "http://shop.example/b/c"}},
    {"QueryOnlyLocation",
     "POST",
     201,
     kUrl,
     location("?page=3"),
     {kUrl, "http://shop.example/items/list?page=3"}},
    {"FragmentDropped",
     "POST",
     201,
     kUrl,
     location("/items/9#top"),
     {kUrl, "http://shop.example/items/9"}},
    {"SameOriginAbsoluteSpelledLikeTheRequest",
     "POST",
     201,
     kUrl,
     location("HTTP://Shop.Example:80/items/7"),
     {kUrl, "http://shop.example/items/7"}},
    {"SchemeRelativeSameHost",
     "POST",
     201,
     kUrl,
     location("//shop.example/x"),
     {kUrl, "http://shop.example/x"}},
    {"OtherHostIgnored", "POST", 201, kUrl, location("http://evil.example/items/1"), {kUrl}},
    {"SchemeRelativeOtherHostIgnored", "POST", 201, kUrl, location("//evil.example/x"), {kUrl}},
    {"OtherPortIgnored", "POST", 201, kUrl, location("http://shop.example:8080/x"), {kUrl}},
    {"OtherSchemeIgnored", "POST", 201, kUrl, location("https://shop.example/x"), {kUrl}},
    {"UserinfoIgnored", "POST", 201, kUrl, location("http://u@shop.example/x"), {kUrl}},
    {"SpaceInLocationIgnored", "POST", 201, kUrl, location("/a b"), {kUrl}},
    {"LocationEqualToTargetNotRepeated", "POST", 200, kUrl, location(kUrl), {kUrl}},
    {"ContentLocationToo",
     "PUT",
     200,
     kUrl,
     {{"Location", "/items/1"}, {"Content-Location", "/items/1.json"}},
     {kUrl, "http://shop.example/items/1", "http://shop.example/items/1.json"}},
    {"Ipv6OriginWithPort",
     "POST",
     201,
     "http://[::1]:8080/a",
     location("http://[::1]:8080/b"),
     {"http://[::1]:8080/a", "http://[::1]:8080/b"}},
    {"RequestUrlNotAbsoluteInvalidatesOnlyItself",
     "POST",
     201,
     "/items",
     location("/items/1"),
     {"/items"}},
};
INSTANTIATE_TEST_SUITE_P(CacheInvalidation, InvalidationTable,
                         testing::ValuesIn(kInvalidationCases), caseName<InvalidationCase>);

}  // namespace
}  // namespace tollgate::cache
