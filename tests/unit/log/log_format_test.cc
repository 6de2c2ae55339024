#include "daemon/log/log_format.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "daemon/log/decision_log.h"

using namespace tollgate::log;

namespace {
sockaddr_storage v4(const char* ip, int port) {
  sockaddr_storage ss{};
  auto& in = reinterpret_cast<sockaddr_in&>(ss);
  in.sin_family = AF_INET;
  in.sin_port = htons(port);
  inet_pton(AF_INET, ip, &in.sin_addr);
  return ss;
}
sockaddr_storage v6(const char* ip, int port) {
  sockaddr_storage ss{};
  auto& in = reinterpret_cast<sockaddr_in6&>(ss);
  in.sin6_family = AF_INET6;
  in.sin6_port = htons(port);
  inet_pton(AF_INET6, ip, &in.sin6_addr);
  return ss;
}
DecisionRecord httpRecord() {
  DecisionRecord r;
  r.startUnixMs = 1700000000123;
  r.client = v4("10.0.0.2", 40000);
  r.destination = v4("93.184.216.34", 80);
  r.mac = std::array<uint8_t, 6>{0x02, 0, 0, 0, 0, 0x09};
  r.proto = "http";
  r.host = "example.com";
  r.method = "GET";
  r.url = "http://example.com/a?b=\"c\"";
  r.status = 200;
  r.rule = "default";
  r.bytesUp = 75;
  r.bytesDown = 1271;
  r.durationMs = 12;
  r.connectMs = 3;
  r.contentType = "text/html";
  return r;
}
}  // namespace

TEST(LogFormat, JsonLineCarriesEveryContractField) {
  std::string line;
  appendJsonLine(httpRecord(), line);
  EXPECT_EQ(line,
            "{\"ts\":\"2023-11-14T22:13:20.123Z\",\"client\":\"10.0.0.2\",\"client_port\":40000,"
            "\"mac\":\"02:00:00:00:00:09\",\"dst\":\"93.184.216.34\",\"dst_port\":80,\"proto\":\"http\","
            "\"host\":\"example.com\",\"sni\":\"\",\"method\":\"GET\",\"url\":\"http://example.com/a?b=\\\"c\\\"\","
            "\"status\":200,\"action\":\"allow\",\"rule\":\"default\",\"list\":\"\",\"category\":\"\","
            "\"group\":\"\",\"bytes_up\":75,\"bytes_down\":1271,"
            "\"duration_ms\":12,\"connect_ms\":3}\n");
}

TEST(LogFormat, JsonEscapesControlBytes) {
  std::string out;
  appendJsonString(std::string("a\x01\n\\", 4), out);
  EXPECT_EQ(out, "\"a\\u0001\\n\\\\\"");
}

TEST(LogFormat, SquidLineForHttp) {
  std::string line;
  appendSquidLine(httpRecord(), line);
  EXPECT_EQ(line, "1700000000.135     12 10.0.0.2 TCP_MISS/200 1271 GET http://example.com/a?b=\"c\" - "
                  "ORIGINAL_DST/93.184.216.34 text/html\n");
}

TEST(LogFormat, SquidLineForTlsIsAConnectToTheSni) {
  auto r = httpRecord();
  r.proto = "tls";
  r.sni = "example.com";
  r.destination = v6("2001:db8::1", 443);
  r.status = 0;
  r.contentType.clear();
  std::string line;
  appendSquidLine(r, line);
  EXPECT_EQ(line, "1700000000.135     12 10.0.0.2 TCP_TUNNEL/200 1271 CONNECT example.com:443 - "
                  "ORIGINAL_DST/2001:db8::1 -\n");
}

TEST(LogFormat, SquidLineForBlock) {
  auto r = httpRecord();
  r.action = "block";
  r.status = 403;
  r.connectMs = -1;
  std::string line;
  appendSquidLine(r, line);
  EXPECT_NE(line.find("TCP_DENIED/403"), std::string::npos);
  EXPECT_NE(line.find("HIER_NONE/-"), std::string::npos);
}

TEST(LogFormat, V4MappedAddressesAreLoggedAsV4) {
  EXPECT_EQ(formatAddress(v6("::ffff:10.1.2.3", 1)), "10.1.2.3");
  EXPECT_EQ(formatAddress(v6("fd00::1", 1)), "fd00::1");
}

TEST(RecordQueue, RefusesWhenFullAndKeepsOrder) {
  RecordQueue q(4);
  for (int i = 0; i < 4; ++i) {
    DecisionRecord r;
    r.status = i;
    EXPECT_TRUE(q.push(std::move(r)));
  }
  DecisionRecord extra;
  EXPECT_FALSE(q.push(std::move(extra)));
  DecisionRecord out;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(q.pop(out));
    EXPECT_EQ(out.status, i);
  }
  EXPECT_FALSE(q.pop(out));
}
