// PortalServer on loopback with kernel-chosen ports: plain HTTP and HTTPS (a self-signed
// certificate made by the openssl CLI into a temporary directory), spoken to with Poco's own
// clients. The decisions are PortalLogic's and tested there; these tests check the wiring.
#include "captive/portal_server.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/AcceptCertificateHandler.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>

#include "tests/unit/captive/captive_test_support.h"

namespace tollgate::captive {
namespace {

using namespace std::chrono_literals;
using Poco::Net::HTTPRequest;
using Poco::Net::HTTPResponse;
using testing::TempDir;

constexpr const char* kMac = "02:00:00:00:00:42";

struct Reply {
  int status = 0;
  std::string contentType, cacheControl, location, body;
};

uint16_t portOf(const std::string& address) {
  return static_cast<uint16_t>(std::stoul(address.substr(address.rfind(':') + 1)));
}

Reply exchange(Poco::Net::HTTPClientSession& session, HTTPRequest& request,
               const std::string& body = {}) {
  session.setTimeout(Poco::Timespan(10, 0));
  if (!body.empty() || request.getMethod() == HTTPRequest::HTTP_POST) {
    request.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  session.sendRequest(request) << body;
  HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  Reply r;
  r.status = response.getStatus();
  r.contentType = response.getContentType();
  r.cacheControl = response.get("Cache-Control", "");
  r.location = response.get("Location", "");
  Poco::StreamCopier::copyToString(in, r.body);
  return r;
}

class PortalServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string command =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj /CN=portal.test -keyout " +
        dir_.file("key.pem") + " -out " + dir_.file("cert.pem") + " >/dev/null 2>&1";
    haveCertificate_ = std::system(command.c_str()) == 0;
    PortalOptions o;
    o.listen = {"127.0.0.1:0"};
    if (haveCertificate_) {
      o.httpsListen = {"127.0.0.1:0"};
      o.certificate = dir_.file("cert.pem");
      o.key = dir_.file("key.pem");
    }
    o.portalUrl = "http://portal.test/";
    o.auth = {AuthMethod::ClickThrough};
    options_ = o;
    PortalHooks hooks;
    hooks.macOf = [](const std::string& address) -> std::optional<std::string> {
      if (address == "127.0.0.1" || address == "::1") return kMac;
      return std::nullopt;
    };
    logic_ = std::make_unique<PortalLogic>(o, store_, nullptr, nullptr, nullptr, limiter_, csrf_,
                                           std::move(hooks));
  }

  void startServer() {
    server_ = std::make_unique<PortalServer>(*logic_, options_);
    server_->start();
    ASSERT_EQ(server_->httpAddresses().size(), 1u);
    httpPort_ = portOf(server_->httpAddresses()[0]);
    if (haveCertificate_) httpsPort_ = portOf(server_->httpsAddresses()[0]);
  }

  Poco::Net::HTTPSClientSession httpsSession() {
    Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "",
                                                             Poco::Net::Context::VERIFY_NONE);
    context->setInvalidCertificateHandler(new Poco::Net::AcceptCertificateHandler(false));
    return Poco::Net::HTTPSClientSession("127.0.0.1", httpsPort_, context);
  }

  TempDir dir_;
  DatabasePtr db_ = std::make_shared<Database>(":memory:");
  SessionStore store_{db_};
  LoginLimiter limiter_;
  CsrfTokens csrf_;
  PortalOptions options_;
  bool haveCertificate_ = false;
  std::unique_ptr<PortalLogic> logic_;
  std::unique_ptr<PortalServer> server_;
  uint16_t httpPort_ = 0, httpsPort_ = 0;
};

TEST_F(PortalServerTest, ClickThroughOverHttpEndsIn303ToTheOriginalUrl) {
  startServer();
  Poco::Net::HTTPClientSession http("127.0.0.1", httpPort_);
  HTTPRequest get(HTTPRequest::HTTP_GET, "/?url=http%3A%2F%2Fexample.com%2F",
                  HTTPRequest::HTTP_1_1);
  const Reply page = exchange(http, get);
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.cacheControl, "no-store");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(page.body, m, std::regex(R"re(name="csrf" value="([^"]+)")re")));

  Poco::Net::HTMLForm form;
  form.set("method", "clickthrough");
  form.set("csrf", m[1].str());
  form.set("accept", "1");
  form.set("url", "http://example.com/");
  std::ostringstream body;
  form.write(body);
  HTTPRequest post(HTTPRequest::HTTP_POST, "/login", HTTPRequest::HTTP_1_1);
  post.setContentType("application/x-www-form-urlencoded");
  const Reply login = exchange(http, post, body.str());  // same connection: keep-alive works
  EXPECT_EQ(login.status, 303);
  EXPECT_EQ(login.location, "http://example.com/");
  ASSERT_TRUE(store_.find(kMac));
  EXPECT_EQ(logic_->counters().logins_clickthrough, 1u);
}

TEST_F(PortalServerTest, ApiOverHttpsIsCaptiveJsonAndPrivate) {
  if (!haveCertificate_) GTEST_SKIP() << "the openssl CLI could not make a certificate";
  startServer();
  auto https = httpsSession();
  HTTPRequest get(HTTPRequest::HTTP_GET, "/api/captive", HTTPRequest::HTTP_1_1);
  get.set("Accept", "application/captive+json");
  get.setHost("portal.test");  // any Host is served
  const Reply r = exchange(https, get);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.contentType, "application/captive+json");
  EXPECT_EQ(r.cacheControl, "private");
  const auto json = Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>();
  EXPECT_TRUE(json->getValue<bool>("captive"));
  EXPECT_EQ(json->getValue<std::string>("user-portal-url"), "http://portal.test/");
}

TEST_F(PortalServerTest, OversizedBodiesAreRefusedWith413) {
  startServer();
  const std::string big(kMaxRequestBody + 1, 'a');
  {
    Poco::Net::HTTPClientSession http("127.0.0.1", httpPort_);
    HTTPRequest post(HTTPRequest::HTTP_POST, "/login", HTTPRequest::HTTP_1_1);
    post.setContentType("application/x-www-form-urlencoded");
    EXPECT_EQ(exchange(http, post, big).status, 413);
  }
  {
    Poco::Net::HTTPClientSession http("127.0.0.1", httpPort_);
    HTTPRequest post(HTTPRequest::HTTP_POST, "/login", HTTPRequest::HTTP_1_1);
    post.setChunkedTransferEncoding(true);  // no Content-Length to refuse it by
    http.setTimeout(Poco::Timespan(10, 0));
    http.sendRequest(post) << big;
    HTTPResponse response;
    http.receiveResponse(response);
    EXPECT_EQ(response.getStatus(), 413);
  }
  EXPECT_EQ(logic_->counters().bodies_too_large, 2u);
}

TEST_F(PortalServerTest, UnreadableCertificateStopsStartNamingThePath) {
  options_.httpsListen = {"127.0.0.1:0"};
  options_.certificate = dir_.file("missing-cert.pem");
  options_.key = dir_.file("key.pem");
  PortalServer server(*logic_, options_);
  try {
    server.start();
    ADD_FAILURE() << "started without a certificate";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(dir_.file("missing-cert.pem")), std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(server.httpAddresses().empty());  // all or nothing
}

TEST_F(PortalServerTest, BusyOrMalformedAddressStopsStartNamingIt) {
  Poco::Net::ServerSocket taken(Poco::Net::SocketAddress("127.0.0.1", 0));
  const std::string busy = "127.0.0.1:" + std::to_string(taken.address().port());
  for (const std::string& listen : {busy, std::string("portal.lan:80"), std::string("::1:80"),
                                    std::string("127.0.0.1:99999")}) {
    options_.listen = {listen};
    options_.httpsListen.clear();
    PortalServer server(*logic_, options_);
    try {
      server.start();
      ADD_FAILURE() << "started on " << listen;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("portal listen " + listen), std::string::npos)
          << e.what();
    }
  }
}

TEST_F(PortalServerTest, HeadGetsTheHeadersWithoutTheBody) {
  startServer();
  Poco::Net::HTTPClientSession http("127.0.0.1", httpPort_);
  HTTPRequest head(HTTPRequest::HTTP_HEAD, "/", HTTPRequest::HTTP_1_1);
  const Reply r = exchange(http, head);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.contentType, "text/html; charset=utf-8");
  EXPECT_EQ(r.body, "");
  HTTPRequest get(HTTPRequest::HTTP_GET, "/status", HTTPRequest::HTTP_1_1);
  EXPECT_EQ(exchange(http, get).status, 302);  // the connection is still in step
}

TEST_F(PortalServerTest, ListensOnIpv6Loopback) {
  options_.listen = {"[::1]:0"};
  options_.httpsListen.clear();
  PortalServer server(*logic_, options_);
  try {
    server.start();
  } catch (const std::runtime_error& e) {
    GTEST_SKIP() << "no IPv6 loopback: " << e.what();
  }
  const std::string bound = server.httpAddresses().at(0);
  EXPECT_EQ(bound.rfind("[::1]:", 0), 0u) << bound;
  Poco::Net::HTTPClientSession http("::1", portOf(bound));
  HTTPRequest get(HTTPRequest::HTTP_GET, "/", HTTPRequest::HTTP_1_1);
  EXPECT_EQ(exchange(http, get).status, 200);  // "::1" was known to macOf
}

TEST_F(PortalServerTest, StopThenStartAgain) {
  startServer();
  server_->stop();
  server_->stop();  // idempotent
  EXPECT_TRUE(server_->httpAddresses().empty());
  server_->start();
  Poco::Net::HTTPClientSession http("127.0.0.1", portOf(server_->httpAddresses()[0]));
  HTTPRequest get(HTTPRequest::HTTP_GET, "/nowhere", HTTPRequest::HTTP_1_1);
  EXPECT_EQ(exchange(http, get).status, 404);
}

}  // namespace
}  // namespace tollgate::captive
