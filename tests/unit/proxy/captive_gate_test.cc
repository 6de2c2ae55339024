// judgeCaptive against a real SessionStore snapshot (in-memory SQLite), and the redirect bytes.
#include "daemon/proxy/captive_gate.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "captive/session_store.h"
#include "filters/policy.h"

namespace tollgate::proxy {
namespace {

using namespace std::chrono_literals;
const captive::UnixTime kT0{std::chrono::seconds{1'700'000'000}};

sockaddr_storage v4(const char* text) {
  sockaddr_storage ss{};
  auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
  sin->sin_family = AF_INET;
  inet_pton(AF_INET, text, &sin->sin_addr);
  return ss;
}

class CaptiveGateTest : public ::testing::Test {
 protected:
  CaptiveRulesPtr rules_ = CaptiveRules::build("http://Portal.LAN:8080/login", "garden.test, 192.0.2.0/24", "t.conf:3");
  captive::DatabasePtr db_ = std::make_shared<captive::Database>(":memory:");
  captive::SessionStore store_{db_};
  std::optional<captive::MacAddress> mac_ = captive::parseMac("02:00:00:00:00:01");
  std::optional<captive::MacAddress> other_ = captive::parseMac("02:00:00:00:00:02");
  sockaddr_storage client_ = v4("10.0.0.5");
  sockaddr_storage origin_ = v4("198.51.100.7");

  CaptiveVerdict judge(const std::optional<captive::MacAddress>& mac, std::string_view host,
                       const sockaddr_storage& dst, bool http, captive::UnixTime now = kT0) {
    auto snapshot = store_.snapshot();
    return judgeCaptive(*rules_, snapshot.get(), CaptiveClient{mac, client_}, host, dst, http, now);
  }
};

TEST_F(CaptiveGateTest, BeforeLoginHttpIsRedirectedAndTlsReset) {
  EXPECT_EQ(judge(mac_, "example.com", origin_, true), CaptiveVerdict::Redirect);
  EXPECT_EQ(judge(mac_, "example.com", origin_, false), CaptiveVerdict::Reset);
  EXPECT_EQ(judge(mac_, "", origin_, false), CaptiveVerdict::Reset);  // opaque TCP
}

TEST_F(CaptiveGateTest, NoSnapshotYetHoldsEveryone) {
  EXPECT_EQ(judgeCaptive(*rules_, nullptr, CaptiveClient{mac_, client_}, "example.com", origin_, true, kT0),
            CaptiveVerdict::Redirect);
}

TEST_F(CaptiveGateTest, GardenByHostSubdomainAndAddressAndThePortalPass) {
  EXPECT_EQ(judge(mac_, "garden.test", origin_, true), CaptiveVerdict::Garden);
  EXPECT_EQ(judge(mac_, "cdn.garden.test", origin_, false), CaptiveVerdict::Garden);
  EXPECT_EQ(judge(mac_, "notgarden.test", origin_, true), CaptiveVerdict::Redirect);
  EXPECT_EQ(judge(mac_, "", v4("192.0.2.9"), false), CaptiveVerdict::Garden);
  EXPECT_EQ(judge(mac_, "portal.lan", origin_, true), CaptiveVerdict::Garden);
}

TEST_F(CaptiveGateTest, ProbeHostsAreRedirectedEvenInsideAGardenRange) {
  // captive.apple.com resolving into a garden CIDR must still see the portal, or no sheet pops.
  EXPECT_EQ(judge(mac_, "captive.apple.com", v4("192.0.2.9"), true), CaptiveVerdict::Redirect);
  EXPECT_EQ(judge(mac_, "connectivitycheck.gstatic.com", origin_, true), CaptiveVerdict::Redirect);
  EXPECT_EQ(judge(mac_, "www.msftconnecttest.com", origin_, true), CaptiveVerdict::Redirect);
  EXPECT_EQ(judge(mac_, "detectportal.firefox.com", origin_, true), CaptiveVerdict::Redirect);
}

TEST_F(CaptiveGateTest, LoggedInMacPassesUntilItsSessionExpires) {
  store_.login("02:00:00:00:00:01", captive::LoginMethod::ClickThrough, "", 1h, 0s, 0, kT0);
  EXPECT_EQ(judge(mac_, "example.com", origin_, true), CaptiveVerdict::LoggedIn);
  EXPECT_EQ(judge(mac_, "captive.apple.com", origin_, true), CaptiveVerdict::LoggedIn);
  EXPECT_EQ(judge(other_, "example.com", origin_, true), CaptiveVerdict::Redirect);
  // The snapshot carries the expiry: held again at the second it ends, before any tick.
  EXPECT_EQ(judge(mac_, "example.com", origin_, true, kT0 + 1h), CaptiveVerdict::Redirect);
}

TEST_F(CaptiveGateTest, UnknownMacFallsBackToTheBoundAddressOnly) {
  store_.login("02:00:00:00:00:01", captive::LoginMethod::ClickThrough, "", 1h, 0s, 0, kT0);
  EXPECT_EQ(judge(std::nullopt, "example.com", origin_, true), CaptiveVerdict::Redirect);
  store_.addAddress("02:00:00:00:00:01", "10.0.0.5", kT0);
  EXPECT_EQ(judge(std::nullopt, "example.com", origin_, true), CaptiveVerdict::LoggedIn);
  // Another device that reports a MAC of its own is not that session, whatever its address.
  EXPECT_EQ(judge(other_, "example.com", origin_, true), CaptiveVerdict::Redirect);
}

TEST(CaptiveRedirect, KeepsTheOriginalUrlAndSaysNoStoreAndClose) {
  auto rules = CaptiveRules::build("http://portal.lan:8080/", "", "t.conf:1");
  std::string r = captiveRedirectResponse(*rules, "http://example.com/a?b=c&d=<e>");
  EXPECT_EQ(r.rfind("HTTP/1.1 302 Found\r\n", 0), 0u);
  EXPECT_NE(r.find("\r\nLocation: http://portal.lan:8080/?url=http%3A%2F%2Fexample.com%2Fa%3Fb%3Dc%26d%3D%3Ce%3E\r\n"),
            std::string::npos);
  EXPECT_NE(r.find("\r\nCache-Control: no-store\r\n"), std::string::npos);
  EXPECT_NE(r.find("\r\nConnection: close\r\n"), std::string::npos);
  EXPECT_EQ(r.find("<e>"), std::string::npos);  // nothing unescaped in the body either
  size_t body = r.find("\r\n\r\n") + 4;
  EXPECT_NE(r.find("Content-Length: " + std::to_string(r.size() - body) + "\r\n"), std::string::npos);
  // A portal URL with a query of its own gets &url=.
  auto withQuery = CaptiveRules::build("http://portal.lan/?site=3", "", "t.conf:1");
  EXPECT_NE(captiveRedirectResponse(*withQuery, "http://a/").find("?site=3&url=http%3A%2F%2Fa%2F"), std::string::npos);
}

TEST(CaptiveRules, BadGardenEntryNamesFileLineAndKey) {
  try {
    CaptiveRules::build("http://portal.lan/", "good.test, bad host", "site.conf:12");
    FAIL() << "no error";
  } catch (const std::exception& e) {
    EXPECT_STREQ(e.what(), "site.conf:12: [captive] walled_garden: 'bad host' is not a host name, IP address or CIDR");
  }
}

}  // namespace
}  // namespace tollgate::proxy
