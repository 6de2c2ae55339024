// MetricsServer on loopback with a kernel-chosen port: GET /metrics answers the render
// function's text with the Prometheus content type; other paths 404, other methods 405, and
// each outcome is counted.
#include "daemon/control/metrics_server.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <stdexcept>

namespace tollgate::control {
namespace {

struct Reply {
  int status = 0;
  std::string contentType, body;
};

Reply request(const std::string& address, const std::string& method, const std::string& path) {
  auto colon = address.rfind(':');
  Poco::Net::HTTPClientSession session(
      address.substr(0, colon), static_cast<Poco::UInt16>(std::stoul(address.substr(colon + 1))));
  session.setTimeout(Poco::Timespan(5, 0));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  session.sendRequest(req);
  Poco::Net::HTTPResponse resp;
  auto& in = session.receiveResponse(resp);
  Reply r;
  r.status = resp.getStatus();
  r.contentType = resp.getContentType();
  Poco::StreamCopier::copyToString(in, r.body);
  return r;
}

TEST(MetricsServer, GetMetricsAnswersTheRenderedTextAsPrometheusText) {
  MetricsServer server("127.0.0.1:0", [] { return std::string("tollgate_up 1\n"); });
  server.start();
  auto r = request(server.address(), "GET", "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.contentType, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r.body, "tollgate_up 1\n");
  EXPECT_EQ(request(server.address(), "GET", "/metrics?x=1").status, 200);
  EXPECT_EQ(server.scrapes(), 2u);
  EXPECT_EQ(server.refused(), 0u);
}

TEST(MetricsServer, OtherPathsAre404AndOtherMethods405) {
  MetricsServer server("127.0.0.1:0", [] { return std::string("x 1\n"); });
  server.start();
  EXPECT_EQ(request(server.address(), "GET", "/").status, 404);
  EXPECT_EQ(request(server.address(), "GET", "/metrics/x").status, 404);
  EXPECT_EQ(request(server.address(), "POST", "/metrics").status, 405);
  EXPECT_EQ(server.refused(), 3u);
  EXPECT_EQ(server.scrapes(), 0u);
}

TEST(MetricsServer, HeadHasNoBody) {
  MetricsServer server("127.0.0.1:0", [] { return std::string("x 1\n"); });
  server.start();
  auto r = request(server.address(), "HEAD", "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
}

TEST(MetricsServer, ARenderFailureIs500) {
  MetricsServer server("127.0.0.1:0", []() -> std::string { throw std::runtime_error("boom"); });
  server.start();
  auto r = request(server.address(), "GET", "/metrics");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, "boom\n");
}

TEST(MetricsServer, APortInUseNamesTheAddress) {
  MetricsServer first("127.0.0.1:0", [] { return std::string(); });
  first.start();
  MetricsServer second(first.address(), [] { return std::string(); });
  try {
    second.start();
    FAIL() << "a second server bound " << first.address();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("metrics listen " + first.address() + ": ", 0), 0u)
        << e.what();
  }
}

TEST(MetricsServer, StopThenAddressIsEmpty) {
  MetricsServer server("127.0.0.1:0", [] { return std::string(); });
  server.start();
  EXPECT_FALSE(server.address().empty());
  server.stop();
  EXPECT_TRUE(server.address().empty());
  server.stop();  // idempotent
}

}  // namespace
}  // namespace tollgate::control
