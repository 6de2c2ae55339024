#include "daemon/config/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

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
std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

TEST(Config, EmbeddedDefaultLoadsWithDocumentedValues) {
  auto c = loadConfigText("", "<default>");
  EXPECT_EQ(c->gateway.lanInterfaces, std::vector<std::string>{"lan"});
  EXPECT_EQ(c->gateway.httpPorts, std::vector<uint16_t>{80});
  EXPECT_EQ(c->gateway.tlsPorts, std::vector<uint16_t>{443});
  EXPECT_TRUE(c->gateway.tcpPorts.empty());
  EXPECT_GE(c->gateway.workers, 1u);
  EXPECT_EQ(c->gateway.intercept, InterceptMode::Tproxy);
  EXPECT_TRUE(c->gateway.manageNftables);
  EXPECT_EQ(c->log.format, LogFormat::Json);
  EXPECT_EQ(c->control.socket, "/run/tollgate/control.sock");
  EXPECT_EQ(c->limits.sniffTimeout, Millis(1000));
}

TEST(Config, FileOverridesDefaults) {
  auto c = loadConfigText(
      "[gateway]\nlan_interfaces = br-lan, wlan0\nhttp_ports = 80, 8080\ntcp_ports = 25\n"
      "workers = 3\nintercept = redirect\n[limits]\nsniff_timeout = 250ms\nmax_head_size = 32K\n"
      "[log]\nformat = squid\n",
      "t.conf");
  EXPECT_EQ(c->gateway.lanInterfaces, (std::vector<std::string>{"br-lan", "wlan0"}));
  EXPECT_EQ(c->gateway.httpPorts, (std::vector<uint16_t>{80, 8080}));
  EXPECT_EQ(c->gateway.tcpPorts, std::vector<uint16_t>{25});
  EXPECT_EQ(c->gateway.workers, 3u);
  EXPECT_EQ(c->gateway.intercept, InterceptMode::Redirect);
  EXPECT_EQ(c->limits.sniffTimeout, Millis(250));
  EXPECT_EQ(c->limits.maxHeadSize, 32u * 1024);
  EXPECT_EQ(c->log.format, LogFormat::Squid);
}

TEST(Config, UnknownKeyNamesFileAndLine) {
  EXPECT_EQ(errorOf("[gateway]\n\nbogus = 1\n"), "test.conf:3: unknown key 'bogus' in [gateway]");
}

TEST(Config, UnknownSectionNamesFileAndLine) {
  EXPECT_EQ(errorOf("# c\n[nope]\n"), "test.conf:2: unknown section [nope]");
}

TEST(Config, BadValueNamesKeyAndChoices) {
  EXPECT_EQ(errorOf("[gateway]\nintercept = nat\n"), "test.conf:2: intercept: 'nat' is not one of tproxy|redirect");
  EXPECT_NE(errorOf("[gateway]\nhttp_ports = 80, x\n").find("test.conf:2: http_ports:"), std::string::npos);
  EXPECT_NE(errorOf("[gateway]\nhttp_ports = 70000\n").find("test.conf:2:"), std::string::npos);
  EXPECT_NE(errorOf("[limits]\nsniff_timeout = soon\n").find("test.conf:2: sniff_timeout:"), std::string::npos);
  EXPECT_NE(errorOf("[gateway]\nbypass_dst = 10.0.0.0/33\n").find("test.conf:2: bypass_dst:"), std::string::npos);
  EXPECT_NE(errorOf("[gateway]\nmanage_nftables = maybe\n").find("not a boolean"), std::string::npos);
}

TEST(Config, DuplicateKeyIsAnError) {
  EXPECT_EQ(errorOf("[gateway]\nworkers = 1\nworkers = 2\n"), "test.conf:3: duplicate key 'workers' in [gateway]");
}

TEST(Config, SyntaxErrors) {
  EXPECT_EQ(errorOf("[gateway\n"), "test.conf:1: unterminated section header");
  EXPECT_EQ(errorOf("[gateway]\nworkers\n"), "test.conf:2: expected 'key = value'");
  EXPECT_EQ(errorOf("workers = 1\n"), "test.conf:1: key 'workers' outside any [section]");
}

TEST(Config, CrossKeyChecks) {
  EXPECT_NE(errorOf("[gateway]\nhttp_ports = 80\ntls_ports = 80\n").find("listed twice"), std::string::npos);
  EXPECT_NE(errorOf("[gateway]\nhttp_ports = 3129\n").find("listen_port 3129 is also an intercepted port"),
            std::string::npos);
  EXPECT_NE(errorOf("[gateway]\nhttp_ports =\ntls_ports =\n").find("no intercepted ports"), std::string::npos);
  EXPECT_NE(errorOf("[gateway]\nupstream_mark = 0x1\n").find("distinct"), std::string::npos);
  EXPECT_NE(errorOf("[gateway]\nupstream_mark = 0x100\n").find("mark_mask"), std::string::npos);
}

TEST(Config, CrossKeyErrorsNameTheLineToChange) {
  EXPECT_EQ(errorOf("[gateway]\nworkers = 1\nlan_interfaces =\n"), "test.conf:3: lan_interfaces is empty");
  EXPECT_EQ(errorOf("[gateway]\nhttp_ports = 80\n\ntcp_ports = 80\n"),
            "test.conf:4: port 80 is listed twice in *_ports");
}

TEST(Config, MissingFileSaysSo) {
  try {
    loadConfigFile("/nonexistent/tollgate.conf");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "/nonexistent/tollgate.conf: cannot open: No such file or directory");
  }
}

TEST(Config, DurationsAndSizes) {
  EXPECT_EQ(parseDuration("250ms"), Millis(250));
  EXPECT_EQ(parseDuration("5s"), Millis(5000));
  EXPECT_EQ(parseDuration("2m"), Millis(120000));
  EXPECT_EQ(parseDuration("1h"), Millis(3600000));
  EXPECT_THROW(parseDuration("5x"), ConfigError);
  EXPECT_EQ(parseSize("64K"), 64u * 1024);
  EXPECT_EQ(parseSize("4G"), 4ull << 30);
  EXPECT_THROW(parseSize("lots"), ConfigError);
}

// Every key of the embedded default is documented in docs/config.md (tools/gen-config-doc).
TEST(Config, EveryDefaultKeyIsDocumented) {
  auto doc = readFile(TOLLGATE_SOURCE_DIR "/docs/config.md");
  std::istringstream in(defaultConfigText());
  std::regex keyLine(R"(^(\w+) =)");
  int keys = 0;
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, keyLine)) {
      ++keys;
      EXPECT_NE(doc.find("| `" + m[1].str() + "` |"), std::string::npos) << m[1] << " missing from docs/config.md";
    }
  }
  EXPECT_GT(keys, 30);
}

TEST(Config, NamedSectionsKeepTheirValuesAndLines) {
  auto c = loadConfigText(
      "[list.ads]\nformat = hosts\npath = /x/ads.txt\n\n[schedule.nights]\ndays = sun-thu\nhours = 21:00-07:00\n"
      "[group.kids]\nclients = 02:00:00:00:00:01\nrules = block ads @nights\n[filter]\ntls_block = reset\n",
      "t.conf");
  ASSERT_EQ(c->sections.size(), 3u);
  EXPECT_EQ(c->sections[0].kind, "list");
  EXPECT_EQ(c->sections[0].name, "ads");
  EXPECT_EQ(c->sections[0].line, 1);
  EXPECT_EQ(c->sections[0].values.at("path").text, "/x/ads.txt");
  EXPECT_EQ(c->sections[0].values.at("path").line, 3);
  EXPECT_EQ(c->sections[2].values.at("rules").text, "block ads @nights");
  EXPECT_EQ(c->filter.tlsBlock, TlsBlock::Reset);
}

TEST(Config, NamedSectionErrors) {
  EXPECT_EQ(errorOf("[list.ads]\nformat = hosts\nfile = x\n"), "test.conf:3: unknown key 'file' in [list.ads]");
  EXPECT_EQ(errorOf("[list.ads]\nformat = hosts\n"), "test.conf:1: [list.ads] needs 'path'");
  EXPECT_EQ(errorOf("[list.a b]\n"), "test.conf:1: bad name 'a b' (letters, digits, - and _)");
  EXPECT_EQ(errorOf("[group.x]\n[group.x]\n"), "test.conf:2: duplicate section [group.x] (first at line 1)");
  EXPECT_EQ(errorOf("[filter]\ntls_block = drop\n"), "test.conf:2: tls_block: 'drop' is not one of alert|reset");
}
