// [metrics] listen: the default, disabling it, and errors that name the line.
#include <gtest/gtest.h>

#include "daemon/config/config.h"

using namespace tollgate::config;

namespace {
std::string errorOf(const std::string& text) {
  try {
    loadConfigText(text, "test.conf");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(MetricsConfig, DefaultListensOnLoopback9750) {
  EXPECT_EQ(loadConfigText("", "<default>")->metrics.listen, "127.0.0.1:9750");
}

TEST(MetricsConfig, EmptyDisablesTheEndpoint) {
  EXPECT_EQ(loadConfigText("[metrics]\nlisten =\n", "test.conf")->metrics.listen, "");
}

TEST(MetricsConfig, AcceptsIpv4AndBracketedIpv6) {
  EXPECT_EQ(loadConfigText("[metrics]\nlisten = 192.168.1.1:9100\n", "test.conf")->metrics.listen,
            "192.168.1.1:9100");
  EXPECT_EQ(loadConfigText("[metrics]\nlisten = [::1]:9750\n", "test.conf")->metrics.listen,
            "[::1]:9750");
}

TEST(MetricsConfig, BadValuesNameFileLineAndKey) {
  EXPECT_EQ(errorOf("[metrics]\n\nlisten = 9750\n"),
            "test.conf:3: listen: '9750' is not ADDR:PORT");
  EXPECT_EQ(errorOf("[metrics]\nlisten = localhost:9750\n"),
            "test.conf:2: listen: 'localhost:9750': 'localhost' is not an IP address");
  EXPECT_EQ(errorOf("[metrics]\nlisten = ::1:9750\n"),
            "test.conf:2: listen: '::1:9750': write an IPv6 address as [ADDR]:PORT");
  EXPECT_NE(errorOf("[metrics]\nlisten = 127.0.0.1:99999\n").find("test.conf:2: listen:"),
            std::string::npos);
  EXPECT_EQ(errorOf("[metrics]\nlisten = 127.0.0.1:0\n"),
            "test.conf:2: listen: port 0 in '127.0.0.1:0'");
  EXPECT_EQ(errorOf("[metrics]\nport = 1\n"), "test.conf:2: unknown key 'port' in [metrics]");
}
