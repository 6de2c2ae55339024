// [captive] and [radius] keys: values, cross-checks, and errors at file:line.
#include <gtest/gtest.h>

#include "daemon/config/config.h"

using namespace tollgate::config;

namespace {
std::string errorOf(const std::string& text) {
  try {
    loadConfigText(text, "site.conf");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}
const char* kPortal = "[captive]\nenabled = true\nlisten = 10.0.0.1:8080, [fd00::1]:8080\nportal_url = http://portal.lan:8080/\n";
}  // namespace

TEST(CaptiveConfig, DefaultsAreOffClickThroughOneDay) {
  auto c = loadConfigText("", "<default>");
  EXPECT_FALSE(c->captive.enabled);
  ASSERT_EQ(c->captive.auth.size(), 1u);
  EXPECT_EQ(c->captive.auth[0], CaptiveAuth::ClickThrough);
  EXPECT_EQ(c->captive.sessionTimeout, std::chrono::hours(24));
  EXPECT_EQ(c->captive.database, "/var/lib/tollgate/sessions.db");
  EXPECT_TRUE(c->radius.requireMessageAuthenticator);
}

TEST(CaptiveConfig, EveryKeyParses) {
  auto c = loadConfigText(std::string(kPortal) +
                              "auth = voucher, accounts, radius\naccounts = /etc/tollgate/accounts\n"
                              "session_timeout = 8h\nidle_timeout = 30m\ndata_quota = 2G\n"
                              "walled_garden = pay.example, 192.0.2.0/24\ndns_servers = 10.0.0.53\n"
                              "https_listen = 10.0.0.1:8443\ncertificate = /c.pem\nkey = /k.pem\n"
                              "[radius]\nserver = 10.0.0.9, [fd00::9]:1812:1813\nsecret = s3cret\naccounting = true\n",
                          "site.conf");
  EXPECT_TRUE(c->captive.enabled);
  EXPECT_EQ(c->captive.listen.size(), 2u);
  EXPECT_EQ(c->captive.auth.size(), 3u);
  EXPECT_EQ(c->captive.idleTimeout, std::chrono::minutes(30));
  EXPECT_EQ(c->captive.dataQuota, uint64_t{2} << 30);
  EXPECT_EQ(c->radius.servers.size(), 2u);
  EXPECT_TRUE(c->radius.accounting);
}

TEST(CaptiveConfig, ErrorsNameTheLine) {
  EXPECT_EQ(errorOf("[captive]\nenabled = true\nlisten = 10.0.0.1:8080\n"),
            "site.conf:2: [captive] needs portal_url");
  EXPECT_EQ(errorOf(std::string(kPortal) + "auth = accounts\n"),
            "site.conf:5: auth = accounts needs [captive] accounts = PATH");
  EXPECT_EQ(errorOf(std::string(kPortal) + "auth = radius\n"),
            "site.conf:5: auth = radius needs [radius] server and secret");
  EXPECT_EQ(errorOf(std::string(kPortal) + "https_listen = 10.0.0.1:8443\n"),
            "site.conf:5: https_listen needs certificate and key");
  EXPECT_EQ(errorOf("[captive]\nlisten = portal.lan:80\n"),
            "site.conf:2: listen: 'portal.lan:80': 'portal.lan' is not an IP address");
  EXPECT_EQ(errorOf("[captive]\nauth = clickthrough, sms\n"),
            "site.conf:2: auth: 'sms' is not one of clickthrough|voucher|accounts|radius");
  EXPECT_EQ(errorOf("[captive]\nportal_url = ftp://x/\n"),
            "site.conf:2: portal_url: must be an http:// or https:// URL");
  EXPECT_EQ(errorOf("[captive]\napi_url = http://x/api\n"), "site.conf:2: api_url: must be an https:// URL");
  EXPECT_EQ(errorOf("[radius]\nserver = [fd00::9:1812\n"), "site.conf:2: server: '[fd00::9:1812': unterminated [");
  EXPECT_EQ(errorOf("[captive]\nwalled_garden = a.test, 10.0.0.1/8\n"),
            "site.conf:2: walled_garden: '10.0.0.1/8' is not a host name, IP address or CIDR");
}

TEST(CaptiveConfig, WalledGardenMayNotHoldAnOsProbeHost) {
  EXPECT_EQ(errorOf("[captive]\nwalled_garden = pay.test, apple.com\n"),
            "site.conf:2: walled_garden: 'apple.com' would let the OS probe host captive.apple.com "
            "through before login, so no device would show the login page");
  EXPECT_NE(errorOf("[captive]\nwalled_garden = *.gstatic.com\n"), "");
  EXPECT_NE(errorOf("[captive]\nwalled_garden = www.msftconnecttest.com\n"), "");
  EXPECT_EQ(errorOf("[captive]\nwalled_garden = accounts.google.com, paypal.com\n"), "");
}
