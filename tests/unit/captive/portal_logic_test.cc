// PortalLogic driven without sockets: requests built by hand, a SQLite file for the sessions
// and vouchers, the neighbour table faked with a map. Times are offsets from kT0; the limiter's
// clock is a variable too, so nothing sleeps. RADIUS runs against a real FreeRADIUS on
// loopback (freeradius_lab.h) and skips without it.
#include "captive/portal_logic.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <map>
#include <regex>

#include "tests/unit/captive/captive_test_support.h"
#include "tests/unit/captive/freeradius_lab.h"

namespace tollgate::captive {
namespace {

using namespace std::chrono_literals;
using testing::FreeRadiusLab;
using testing::kT0;
using testing::TempDir;

constexpr const char* kMacA = "02:00:00:00:00:0a";
constexpr const char* kMacB = "02:00:00:00:00:0b";
constexpr const char* kAddrA = "10.0.0.10";
constexpr const char* kAddrB = "10.0.0.11";
constexpr const char* kStranger = "10.0.0.99";  // not in the neighbour table
constexpr const char* kOrigin = "http://example.com/news?id=7";

std::string encode(const std::map<std::string, std::string>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += name + '=';
    for (unsigned char c : value) {
      if (std::isalnum(c) || c == '-' || c == '.' || c == '_') {
        out += static_cast<char>(c);
      } else {
        char hex[4];
        std::snprintf(hex, sizeof hex, "%%%02X", c);
        out += hex;
      }
    }
  }
  return out;
}

std::string csrfIn(const std::string& body) {
  std::smatch m;
  static const std::regex token(R"re(name="csrf" value="([^"]+)")re");
  return std::regex_search(body, m, token) ? m[1].str() : std::string();
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

Poco::JSON::Object::Ptr json(const PortalResponse& r) {
  return Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>();
}

class PortalLogicTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // One hash at the cheapest allowed cost, shared: each verify still takes ~50 ms.
    accounts_ = Accounts::parse(
        "alice:" + Accounts::makeHash("wonderland", Accounts::kMinIterations) + "\n", "test");
  }
  static void TearDownTestSuite() { accounts_.reset(); }

  PortalOptions options(std::vector<AuthMethod> auth) {
    PortalOptions o;
    o.portalUrl = "http://portal.lan:8080/";
    o.auth = std::move(auth);
    o.sessionTimeout = 1h;
    return o;
  }
  void make(PortalOptions o, RadiusClient* radius = nullptr) {
    PortalHooks hooks;
    hooks.macOf = [this](const std::string& address) -> std::optional<std::string> {
      auto it = macs_.find(address);
      return it == macs_.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    hooks.onLogin = [this](const Session& s) {
      if (throwOnLogin_) throw std::runtime_error("hook failed");
      logins_.push_back(s);
    };
    hooks.onLogout = [this](const Session& s) { logouts_.push_back(s); };
    hooks.now = [this] { return now_; };
    logic_ = std::make_unique<PortalLogic>(std::move(o), store_, &vouchers_, accounts_, radius,
                                           limiter_, csrf_, std::move(hooks));
  }
  void makeAll() {
    make(options({AuthMethod::ClickThrough, AuthMethod::Voucher, AuthMethod::Accounts}));
  }

  PortalResponse get(const std::string& target, const std::string& address = kAddrA) {
    return logic_->handle({"GET", target, address, "", ""});
  }
  PortalResponse post(const std::string& target, std::map<std::string, std::string> fields,
                      const std::string& address = kAddrA) {
    return logic_->handle(
        {"POST", target, address, "application/x-www-form-urlencoded", encode(fields)});
  }
  std::string token(const std::string& mac = kMacA) { return csrf_.issue(mac, now_); }
  PortalResponse clickThrough(const std::string& url = kOrigin) {
    return post("/login",
                {{"method", "clickthrough"}, {"csrf", token()}, {"accept", "1"}, {"url", url}});
  }
  PortalResponse voucher(const std::string& code, const std::string& address = kAddrA,
                         const std::string& mac = kMacA) {
    return post("/login",
                {{"method", "voucher"}, {"csrf", token(mac)}, {"code", code}, {"url", kOrigin}},
                address);
  }
  std::string newVoucher(std::chrono::seconds duration = 2h, uint64_t data = 0,
                         uint32_t devices = 1) {
    return vouchers_.create(1, duration, data, devices, kT0).at(0).code;
  }

  TempDir dir_;
  DatabasePtr db_ = std::make_shared<Database>(dir_.file("portal.db"));
  SessionStore store_{db_};
  Vouchers vouchers_{db_};
  static AccountsPtr accounts_;
  std::chrono::steady_clock::time_point steady_{};
  LoginLimiter limiter_{LoginLimiter::Options{}, [this] { return steady_; }};
  CsrfTokens csrf_{std::string(32, 'k'), 3600s};
  std::map<std::string, std::string> macs_{{kAddrA, kMacA}, {kAddrB, kMacB}};
  std::chrono::sys_seconds now_ = kT0;
  bool throwOnLogin_ = false;
  std::vector<Session> logins_, logouts_;
  std::unique_ptr<PortalLogic> logic_;
};
AccountsPtr PortalLogicTest::accounts_;

// ---- pages -------------------------------------------------------------------------------

TEST_F(PortalLogicTest, LoginPageHasAFormPerMethodWithATokenForThisMacAndTheUrl) {
  makeAll();
  const PortalResponse r = get("/?url=http%3A%2F%2Fexample.com%2Fnews%3Fid%3D7");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.contentType, "text/html; charset=utf-8");
  for (const char* m : {"clickthrough", "voucher", "accounts"}) {
    EXPECT_TRUE(contains(r.body, std::string("name=\"method\" value=\"") + m + "\"")) << m;
  }
  EXPECT_FALSE(contains(r.body, "value=\"radius\""));
  EXPECT_TRUE(contains(r.body, "name=\"url\" value=\"http://example.com/news?id=7\""));
  EXPECT_EQ(csrf_.verify(csrfIn(r.body), kMacA, now_), CsrfTokens::Check::Valid);
  EXPECT_NE(csrf_.verify(csrfIn(r.body), kMacB, now_), CsrfTokens::Check::Valid);
  EXPECT_EQ(get("/login").status, 200);
  EXPECT_EQ(logic_->counters().login_pages, 2u);
}

TEST_F(PortalLogicTest, EveryAnswerCarriesTheSecurityHeaders) {
  makeAll();
  for (const PortalResponse& r : {get("/"), get("/nowhere"), get("/", kStranger), clickThrough()}) {
    EXPECT_EQ(*r.header("Cache-Control"), "no-store") << r.status;
    EXPECT_EQ(*r.header("X-Frame-Options"), "DENY");
    EXPECT_EQ(*r.header("Referrer-Policy"), "no-referrer");
    EXPECT_EQ(*r.header("X-Content-Type-Options"), "nosniff");
    EXPECT_TRUE(contains(*r.header("Content-Security-Policy"), "script-src 'none'"));
  }
}

TEST_F(PortalLogicTest, UnknownDeviceIsRefusedAndNeverLoggedIn) {
  makeAll();
  const PortalResponse page = get("/", kStranger);
  EXPECT_EQ(page.status, 403);
  EXPECT_TRUE(contains(page.body, "cannot identify your device"));
  const PortalResponse login =
      post("/login", {{"method", "clickthrough"}, {"csrf", token()}, {"accept", "1"}}, kStranger);
  EXPECT_EQ(login.status, 403);
  EXPECT_EQ(store_.size(), 0u);
  EXPECT_TRUE(logins_.empty());
  EXPECT_EQ(logic_->counters().unknown_device, 2u);
}

TEST_F(PortalLogicTest, UnknownPathIs404AndWrongVerbIs405) {
  makeAll();
  EXPECT_EQ(get("/favicon.ico").status, 404);
  const PortalResponse r = get("/logout");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(*r.header("Allow"), "POST");
  EXPECT_EQ(post("/status", {}).status, 405);
  EXPECT_EQ(logic_->counters().not_found, 1u);
  EXPECT_EQ(logic_->counters().method_not_allowed, 2u);
}

// ---- click-through and CSRF ----------------------------------------------------------------

TEST_F(PortalLogicTest, ClickThroughLogsInAndSendsTheGuestOnWith303) {
  makeAll();
  const PortalResponse r = clickThrough();
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(*r.header("Location"), kOrigin);
  const auto s = store_.find(kMacA);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->method, LoginMethod::ClickThrough);
  EXPECT_EQ(s->expires, kT0 + 1h);
  ASSERT_EQ(logins_.size(), 1u);
  EXPECT_EQ(logins_[0].mac, kMacA);
  EXPECT_EQ(logic_->counters().logins_clickthrough, 1u);
}

TEST_F(PortalLogicTest, ClickThroughNeedsTheTermsAccepted) {
  makeAll();
  const PortalResponse r =
      post("/login", {{"method", "clickthrough"}, {"csrf", token()}, {"url", kOrigin}});
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(contains(r.body, "accept the terms"));
  EXPECT_EQ(store_.size(), 0u);
  EXPECT_EQ(logic_->counters().incomplete_forms, 1u);
}

TEST_F(PortalLogicTest, MissingForgedOrOtherDevicesTokenIsRefusedWithAFreshForm) {
  makeAll();
  std::string forged = token();
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  for (const std::string& bad : {std::string(), forged, token(kMacB)}) {
    const PortalResponse r =
        post("/login", {{"method", "clickthrough"}, {"csrf", bad}, {"accept", "1"}});
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(csrf_.verify(csrfIn(r.body), kMacA, now_), CsrfTokens::Check::Valid);
  }
  EXPECT_EQ(store_.size(), 0u);
  EXPECT_EQ(logic_->counters().csrf_failures, 3u);
}

TEST_F(PortalLogicTest, MethodNotConfiguredIsRefused) {
  make(options({AuthMethod::ClickThrough}));
  const std::string code = newVoucher();
  EXPECT_EQ(voucher(code).status, 400);
  EXPECT_EQ(post("/login", {{"method", "magic"}, {"csrf", token()}}).status, 400);
  EXPECT_EQ(store_.size(), 0u);
  EXPECT_EQ(logic_->counters().method_disabled, 2u);
}

// ---- vouchers and accounts -----------------------------------------------------------------

TEST_F(PortalLogicTest, VoucherSessionTakesTheVouchersTimeAndData) {
  makeAll();
  const std::string code = newVoucher(2h, 5000);
  now_ = kT0 + 10min;
  const PortalResponse r = voucher(code);
  EXPECT_EQ(r.status, 303);
  const auto s = store_.find(kMacA);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->method, LoginMethod::Voucher);
  EXPECT_EQ(s->user, code);
  EXPECT_EQ(s->expires, kT0 + 10min + 2h);  // the clock starts at first use
  EXPECT_EQ(s->dataQuota, 5000u);
  EXPECT_EQ(logic_->counters().logins_voucher, 1u);
}

TEST_F(PortalLogicTest, WrongVoucherIsRefusedAndTheCodeKept) {
  makeAll();
  const PortalResponse r = voucher("ABCD-EFGH-JK");
  EXPECT_EQ(r.status, 403);
  EXPECT_TRUE(contains(r.body, "not valid"));
  EXPECT_TRUE(contains(r.body, "value=\"ABCD-EFGH-JK\""));
  EXPECT_EQ(store_.size(), 0u);
  EXPECT_EQ(logic_->counters().voucher_rejected, 1u);
}

TEST_F(PortalLogicTest, VoucherUsedUpOnItsDevicesOrItsDataIsRefused) {
  makeAll();
  const std::string single = newVoucher(2h, 0, 1);
  ASSERT_EQ(voucher(single).status, 303);
  const PortalResponse other = voucher(single, kAddrB, kMacB);
  EXPECT_EQ(other.status, 403);
  EXPECT_TRUE(contains(other.body, "as many devices"));

  const std::string metered = newVoucher(2h, 1000, 1);
  ASSERT_EQ(post("/logout", {{"csrf", token()}}).status, 200);
  ASSERT_EQ(voucher(metered).status, 303);
  store_.touch(kMacA, now_, 600, 400);                          // the whole allowance
  ASSERT_EQ(post("/logout", {{"csrf", token()}}).status, 200);  // records the usage
  const PortalResponse again = voucher(metered);
  EXPECT_EQ(again.status, 403);
  EXPECT_TRUE(contains(again.body, "data allowance is used up"));
  EXPECT_EQ(logic_->counters().voucher_rejected, 2u);
}

TEST_F(PortalLogicTest, AccountLogsInWithItsUserName) {
  makeAll();
  const PortalResponse r = post("/login", {{"method", "accounts"},
                                           {"csrf", token()},
                                           {"username", "alice"},
                                           {"password", "wonderland"}});
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(*r.header("Location"), "/status");  // no url in the form
  const auto s = store_.find(kMacA);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->method, LoginMethod::Account);
  EXPECT_EQ(s->user, "alice");
  EXPECT_EQ(logic_->counters().logins_accounts, 1u);
}

TEST_F(PortalLogicTest, WrongPasswordIsRefusedWithoutEchoingIt) {
  makeAll();
  const PortalResponse r = post("/login", {{"method", "accounts"},
                                           {"csrf", token()},
                                           {"username", "alice"},
                                           {"password", "Guess-42x"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_TRUE(contains(r.body, "Wrong user name or password"));
  EXPECT_TRUE(contains(r.body, "value=\"alice\""));
  EXPECT_FALSE(contains(r.body, "Guess-42x"));
  EXPECT_EQ(store_.size(), 0u);
  EXPECT_EQ(logic_->counters().password_rejected, 1u);
}

TEST_F(PortalLogicTest, HostileUrlAndUserNameAreEscaped) {
  makeAll();
  const PortalResponse page =
      get("/?url=" + encode({{"x", "http://e.com/\"><script>x()</script>"}}).substr(2));
  EXPECT_FALSE(contains(page.body, "<script>x()"));
  EXPECT_TRUE(contains(page.body, "http://e.com/&quot;&gt;&lt;script&gt;x()"));
  const PortalResponse login = post("/login", {{"method", "accounts"},
                                               {"csrf", token()},
                                               {"username", "<img src=x onerror=alert(1)>"},
                                               {"password", "p"}});
  EXPECT_EQ(login.status, 403);
  EXPECT_FALSE(contains(login.body, "<img src=x"));
  EXPECT_TRUE(contains(login.body, "&lt;img src=x onerror=alert(1)&gt;"));
}

TEST_F(PortalLogicTest, RepeatedFailuresLockTheDeviceWith429AndRetryAfter) {
  makeAll();
  const std::string good = newVoucher();
  int refusedAt = 0;
  for (int i = 1; i <= 8 && refusedAt == 0; ++i) {
    if (voucher("ABCD-EFGH-JK").status == 429) refusedAt = i;
  }
  EXPECT_EQ(refusedAt, 6);                 // five free attempts, the fifth starting the lock
  const PortalResponse r = voucher(good);  // even the right code waits out the lock
  EXPECT_EQ(r.status, 429);
  ASSERT_TRUE(r.header("Retry-After"));
  EXPECT_EQ(*r.header("Retry-After"), "60");
  EXPECT_TRUE(contains(r.body, "Too many attempts"));
  EXPECT_EQ(store_.size(), 0u);
  // Another device is not locked, and the lock ends on time.
  EXPECT_EQ(voucher("ABCD-EFGH-JK", kAddrB, kMacB).status, 403);
  steady_ += 61s;
  EXPECT_EQ(voucher(good).status, 303);
  EXPECT_EQ(logic_->counters().rate_limited, 2u);
}

// ---- where the guest is sent ---------------------------------------------------------------

TEST_F(PortalLogicTest, UnsafeOriginalUrlsSendTheGuestToStatus) {
  makeAll();
  const std::vector<std::string> unsafe = {"javascript:alert(1)",
                                           "//evil.example/",
                                           "/relative",
                                           "http:///evil.example",
                                           "http://a.example/\r\nSet-Cookie: x=1",
                                           "http://a b.example/",
                                           "ftp://a.example/",
                                           "data:text/html,<b>x</b>",
                                           "http:\\\\evil.example",
                                           "http://a.example/" + std::string(2100, 'x'),
                                           "http://a.example/caf\xc3\xa9"};
  ASSERT_EQ(clickThrough(unsafe[0]).status, 303);
  for (const std::string& url : unsafe) {
    const PortalResponse r = clickThrough(url);  // logged in already: only the redirect
    EXPECT_EQ(r.status, 303);
    EXPECT_EQ(*r.header("Location"), "/status") << url;
  }
  EXPECT_EQ(logic_->counters().redirects_refused, unsafe.size() + 1);
  EXPECT_EQ(logic_->counters().already_logged_in, unsafe.size());
  EXPECT_TRUE(isSafeRedirect("HTTPS://Example.com:8443/a?b=c#d"));
  EXPECT_TRUE(isSafeRedirect("http://[2001:db8::1]/"));
}

// ---- status, logout, stale sessions --------------------------------------------------------

TEST_F(PortalLogicTest, StatusShowsTimeDataMethodAndALogoutForm) {
  makeAll();
  ASSERT_EQ(voucher(newVoucher(2h, 3'000'000)).status, 303);
  store_.touch(kMacA, now_, 1'000'000, 500'000);
  now_ = kT0 + 5min;
  const PortalResponse r = get("/status");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(contains(r.body, "1 h 55 min"));
  EXPECT_TRUE(contains(r.body, "1.5 MB"));  // left, and used
  EXPECT_TRUE(contains(r.body, "Voucher"));
  EXPECT_TRUE(contains(r.body, "action=\"/logout\""));
  EXPECT_EQ(csrf_.verify(csrfIn(r.body), kMacA, now_), CsrfTokens::Check::Valid);
  EXPECT_EQ(get("/").status, 200);  // a logged-in guest at / sees the status too
  EXPECT_EQ(logic_->counters().status_pages, 2u);
}

TEST_F(PortalLogicTest, StatusWithoutSessionRedirectsToTheLoginPage) {
  makeAll();
  const PortalResponse r = get("/status");
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(*r.header("Location"), "/");
}

TEST_F(PortalLogicTest, LogoutNeedsTheTokenThenEndsTheSession) {
  makeAll();
  ASSERT_EQ(clickThrough().status, 303);
  EXPECT_EQ(post("/logout", {{"csrf", token(kMacB)}}).status, 403);
  EXPECT_TRUE(store_.find(kMacA));
  const PortalResponse r = post("/logout", {{"csrf", token()}});
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(contains(r.body, "logged out"));
  EXPECT_FALSE(store_.find(kMacA));
  ASSERT_EQ(logouts_.size(), 1u);
  EXPECT_EQ(logouts_[0].mac, kMacA);
  EXPECT_EQ(logic_->counters().logouts, 1u);
}

TEST_F(PortalLogicTest, EndedButUnsweptSessionIsClosedBeforeTheNextLogin) {
  makeAll();
  ASSERT_EQ(clickThrough().status, 303);
  now_ = kT0 + 2h;                                          // past the hour; expire() has not run
  EXPECT_TRUE(contains(get("/").body, "name=\"method\""));  // the login page, not the status
  ASSERT_EQ(clickThrough().status, 303);
  ASSERT_EQ(logouts_.size(), 1u);
  EXPECT_EQ(logouts_[0].start, kT0);
  EXPECT_EQ(store_.find(kMacA)->start, kT0 + 2h);
  EXPECT_EQ(logic_->counters().stale_sessions_ended, 1u);
}

TEST_F(PortalLogicTest, SessionEndedRecordsVoucherDataForTheNextLogin) {
  makeAll();
  const std::string code = newVoucher(2h, 1000);
  ASSERT_EQ(voucher(code).status, 303);
  store_.touch(kMacA, now_, 300, 300);
  auto ended = store_.kick(kMacA);
  ASSERT_TRUE(ended);
  logic_->sessionEnded({*ended, EndReason::Kicked});
  ASSERT_EQ(voucher(code).status, 303);
  EXPECT_EQ(store_.find(kMacA)->dataQuota, 400u);
}

// ---- RFC 8908 ------------------------------------------------------------------------------

TEST_F(PortalLogicTest, ApiSaysCaptiveUntilLoginThenWhatIsLeft) {
  PortalOptions o = options({AuthMethod::Voucher});
  o.venueInfoUrl = "https://hotel.example/wifi";
  make(o);
  PortalResponse r = get("/api/captive");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.contentType, "application/captive+json");
  EXPECT_EQ(*r.header("Cache-Control"), "private");
  auto j = json(r);
  EXPECT_TRUE(j->getValue<bool>("captive"));
  EXPECT_EQ(j->getValue<std::string>("user-portal-url"), "http://portal.lan:8080/");
  EXPECT_EQ(j->getValue<std::string>("venue-info-url"), "https://hotel.example/wifi");
  EXPECT_FALSE(j->getValue<bool>("can-extend-session"));
  EXPECT_FALSE(j->has("seconds-remaining"));
  EXPECT_FALSE(j->has("bytes-remaining"));

  ASSERT_EQ(voucher(newVoucher(2h, 1000)).status, 303);
  store_.touch(kMacA, now_, 100, 50);
  now_ += 30min;
  j = json(get("/api/captive"));
  EXPECT_FALSE(j->getValue<bool>("captive"));
  EXPECT_EQ(j->getValue<int64_t>("seconds-remaining"), 5400);
  EXPECT_EQ(j->getValue<int64_t>("bytes-remaining"), 850);
  EXPECT_TRUE(json(get("/api/captive", kStranger))->getValue<bool>("captive"));
  EXPECT_EQ(logic_->counters().api_requests, 3u);
  EXPECT_EQ(logic_->apiUrl(), "http://portal.lan:8080/api/captive");
}

TEST_F(PortalLogicTest, ApiOmitsBytesWithoutAQuota) {
  make(options({AuthMethod::ClickThrough}));
  ASSERT_EQ(clickThrough().status, 303);
  const auto j = json(get("/api/captive"));
  EXPECT_FALSE(j->getValue<bool>("captive"));
  EXPECT_EQ(j->getValue<int64_t>("seconds-remaining"), 3600);
  EXPECT_FALSE(j->has("bytes-remaining"));
}

// ---- failures at the edge and configuration ------------------------------------------------

TEST_F(PortalLogicTest, AnExceptionBecomesA500PageAndIsCounted) {
  makeAll();
  throwOnLogin_ = true;
  const PortalResponse r = clickThrough();
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(*r.header("Cache-Control"), "no-store");
  EXPECT_EQ(logic_->counters().errors, 1u);
  EXPECT_EQ(logic_->tooLarge().status, 413);
  EXPECT_EQ(logic_->counters().bodies_too_large, 1u);
}

TEST_F(PortalLogicTest, ConstructorRefusesOptionsThatCannotWork) {
  const auto refuses = [&](PortalOptions o, Vouchers* v, AccountsPtr a, const char* what) {
    try {
      PortalLogic(o, store_, v, a, nullptr, limiter_, csrf_, {});
      ADD_FAILURE() << "accepted: " << what;
    } catch (const std::invalid_argument& e) {
      EXPECT_TRUE(contains(e.what(), what)) << e.what();
    }
  };
  refuses(options({}), &vouchers_, accounts_, "no login method");
  refuses(options({AuthMethod::Voucher}), nullptr, accounts_, "auth = voucher");
  refuses(options({AuthMethod::Accounts}), &vouchers_, nullptr, "auth = accounts");
  refuses(options({AuthMethod::Radius}), &vouchers_, accounts_, "auth = radius");
  PortalOptions o = options({AuthMethod::ClickThrough});
  o.radiusAccounting = true;
  refuses(o, &vouchers_, accounts_, "accounting");
  o = options({AuthMethod::ClickThrough});
  o.portalUrl = "portal.lan";
  refuses(o, &vouchers_, accounts_, "portal_url");
  o = options({AuthMethod::ClickThrough});
  o.venueInfoUrl = "javascript:alert(1)";
  refuses(o, &vouchers_, accounts_, "venue_info_url");
}

TEST(PortalRequest, FormFieldsDecodeAndTheFirstOfARepeatedNameWins) {
  const FormFields f = parseFormFields("a=1+2&b=%41%2f&a=3&c&d=%zz&=e&&f=%4");
  EXPECT_EQ(f.at("a"), "1 2");
  EXPECT_EQ(f.at("b"), "A/");
  EXPECT_EQ(f.at("c"), "");
  EXPECT_EQ(f.at("d"), "%zz");
  EXPECT_EQ(f.at("f"), "%4");
  EXPECT_EQ(pathOf("/login?url=x#frag"), "/login");
  EXPECT_EQ(queryOf("/login?url=x#frag"), "url=x");
  std::string many;
  for (int i = 0; i < 100; ++i) many += "k" + std::to_string(i) + "=v&";
  EXPECT_EQ(parseFormFields(many).size(), kMaxFormFields);
}

// ---- RADIUS against FreeRADIUS -------------------------------------------------------------

class PortalRadiusTest : public PortalLogicTest {
 protected:
  static void SetUpTestSuite() {
    PortalLogicTest::SetUpTestSuite();
    if (FreeRadiusLab::binary().empty()) return;
    lab_ = new FreeRadiusLab;
    startError_ = lab_->start();
  }
  static void TearDownTestSuite() {
    delete lab_;
    lab_ = nullptr;
    PortalLogicTest::TearDownTestSuite();
  }
  void SetUp() override {
    if (!lab_) GTEST_SKIP() << "freeradius is not installed (make deps)";
    ASSERT_EQ(startError_, "");
    RadiusClientConfig c;
    c.servers = {{"127.0.0.1", lab_->authPort(), lab_->acctPort(), FreeRadiusLab::kSecret}};
    c.timeout = testing::scaled(2000ms);
    std::string error;
    radius_ = RadiusClient::create(c, error);
    ASSERT_TRUE(radius_) << error;
    PortalOptions o = options({AuthMethod::Radius});
    o.radiusAccounting = true;
    make(o, radius_.get());
  }
  PortalResponse radiusLogin(const std::string& user, const std::string& password) {
    return post("/login", {{"method", "radius"},
                           {"csrf", token()},
                           {"username", user},
                           {"password", password},
                           {"url", kOrigin}});
  }

  std::unique_ptr<RadiusClient> radius_;
  static FreeRadiusLab* lab_;
  static std::string startError_;
};
FreeRadiusLab* PortalRadiusTest::lab_ = nullptr;
std::string PortalRadiusTest::startError_;

TEST_F(PortalRadiusTest, AcceptTakesTheServersLimitsAndAccountsStartAndStop) {
  const PortalResponse r = radiusLogin("alice", "wonderland");
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(*r.header("Location"), kOrigin);
  const auto s = store_.find(kMacA);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->method, LoginMethod::Radius);
  EXPECT_EQ(s->user, "alice");
  EXPECT_EQ(s->expires, kT0 + 3600s);  // Session-Timeout
  EXPECT_EQ(s->idleTimeout, 600s);     // Idle-Timeout
  EXPECT_EQ(s->dataQuota, 1048576u);   // ChilliSpot-Max-Total-Octets
  EXPECT_TRUE(contains(lab_->linelog(), "Start session="));
  EXPECT_TRUE(contains(lab_->linelog(), "user=alice cli=02-00-00-00-00-0A ip=10.0.0.10"));
  EXPECT_TRUE(contains(lab_->linelog(), "class=0x746f6c6c676174652d636c617373"));

  store_.touch(kMacA, now_, 1000, 2000);
  now_ += 90s;
  ASSERT_EQ(post("/logout", {{"csrf", token()}}).status, 200);
  EXPECT_TRUE(contains(lab_->linelog(), "in=1000/0 out=2000/0 time=90 cause=User-Request"))
      << lab_->linelog();
  EXPECT_EQ(logic_->counters().logins_radius, 1u);
  EXPECT_EQ(logic_->counters().accounting_failures, 0u);
}

TEST_F(PortalRadiusTest, RejectShowsTheFormAgain) {
  const PortalResponse r = radiusLogin("alice", "queen-of-hearts");
  EXPECT_EQ(r.status, 403);
  EXPECT_TRUE(contains(r.body, "Wrong user name or password"));
  EXPECT_FALSE(contains(r.body, "queen-of-hearts"));
  EXPECT_EQ(store_.size(), 0u);
  EXPECT_EQ(logic_->counters().radius_rejected, 1u);
}

}  // namespace
}  // namespace tollgate::captive
