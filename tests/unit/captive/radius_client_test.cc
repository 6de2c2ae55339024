// Spec of the RADIUS client against a real FreeRADIUS (freeradius_lab.h) on loopback, plus
// the transport cases no server is needed for: silence, ICMP unreachable, bad arguments. The
// tests that need the server skip when it is not installed (make deps installs it).
#include "captive/radius_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/eventfd.h>

#include <atomic>
#include <thread>

#include "tests/unit/captive/freeradius_lab.h"

namespace tollgate::captive {
namespace {

using namespace std::chrono_literals;
using inspect::AcctStatusType;
using inspect::AcctTerminateCause;
using inspect::MacAddress;
using inspect::RadiusIp;
using testing::FreeRadiusLab;
using testing::reserveUdpPort;
using testing::scaled;

const MacAddress kMac{0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};
const RadiusIp kClientIp = *RadiusIp::parse("10.20.30.40");

RadiusClientConfig configFor(std::vector<RadiusServer> servers,
                             std::chrono::milliseconds timeout = scaled(2000ms), int tries = 3) {
  RadiusClientConfig c;
  c.servers = std::move(servers);
  c.nasIdentifier = "tollgate-test";
  c.nasAddress = "127.0.0.1";
  c.timeout = timeout;
  c.tries = tries;
  return c;
}

std::unique_ptr<RadiusClient> clientFor(const RadiusClientConfig& c) {
  std::string error;
  auto client = RadiusClient::create(c, error);
  EXPECT_TRUE(client) << error;
  return client;
}

// A bound UDP socket nobody answers from (no ICMP either): what a dead server looks like.
class SilentServer {
 public:
  SilentServer() { port_ = reserveUdpPort(false, fd_); }
  ~SilentServer() { ::close(fd_); }
  uint16_t port() const { return port_; }
  std::vector<std::string> received() {
    std::vector<std::string> out;
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT)) >= 0;)
      out.emplace_back(buf, n);
    return out;
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// ---- without a server ------------------------------------------------------------------

TEST(RadiusClient, CreateRefusesConfigErrorsNamingTheOption) {
  std::string error;
  EXPECT_FALSE(RadiusClient::create(configFor({}), error));
  EXPECT_EQ(error, "radius: no server configured");
  EXPECT_FALSE(RadiusClient::create(configFor({{"127.0.0.1", 1812, 1813, ""}}), error));
  EXPECT_EQ(error, "radius server 127.0.0.1: empty secret");
  RadiusClientConfig c = configFor({{"127.0.0.1", 1812, 1813, "s"}});
  c.tries = 0;
  EXPECT_FALSE(RadiusClient::create(c, error));
  EXPECT_EQ(error, "radius tries must be 1..10");
  c = configFor({{"127.0.0.1", 1812, 1813, "s"}});
  c.nasAddress = "gateway";
  EXPECT_FALSE(RadiusClient::create(c, error));
  EXPECT_EQ(error, "radius nas_address 'gateway' is not an IP address");
  c.nasAddress.clear();
  c.nasIdentifier.clear();
  EXPECT_FALSE(RadiusClient::create(c, error));
  EXPECT_NE(error.find("nas_identifier or a nas_address"), std::string::npos);
}

TEST(RadiusClient, SilentServerGetsEveryTryThenTimeout) {
  SilentServer silent;
  auto client = clientFor(configFor({{"127.0.0.1", silent.port(), 1813, "s"}}, scaled(100ms), 3));
  const AuthResult r = client->authenticate("alice", "wonderland", kMac, kClientIp);
  EXPECT_EQ(r.outcome, AuthOutcome::Timeout) << r.detail;
  EXPECT_NE(r.detail.find("no answer after 3 tries"), std::string::npos) << r.detail;
  const auto sent = silent.received();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[1], sent[0]);  // a retransmission is the identical datagram (RFC 5080)
  EXPECT_EQ(sent[2], sent[0]);
  const RadiusClientCounters c = client->counters();
  EXPECT_EQ(c.retransmissions, 2u);
  EXPECT_EQ(c.timeouts, 1u);
  EXPECT_EQ(c.accepts + c.rejects + c.invalidResponses, 0u);
}

TEST(RadiusClient, ClosedPortIsRefusedWithoutWaitingForTheTimeout) {
  int fd = -1;
  const uint16_t port = reserveUdpPort(false, fd);
  ::close(fd);  // nothing listens: the kernel answers with ICMP port unreachable
  auto client = clientFor(configFor({{"127.0.0.1", port, port, "s"}}, scaled(5000ms), 3));
  const auto start = std::chrono::steady_clock::now();
  const AuthResult r = client->authenticate("alice", "wonderland", kMac, kClientIp);
  EXPECT_EQ(r.outcome, AuthOutcome::Timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, scaled(5000ms));
  EXPECT_NE(r.detail.find("Connection refused"), std::string::npos) << r.detail;
  EXPECT_EQ(client->counters().refused, 1u);
}

TEST(RadiusClient, BadArgumentsAreAnErrorWithoutTraffic) {
  SilentServer silent;
  auto client = clientFor(configFor({{"127.0.0.1", silent.port(), silent.port(), "s"}}));
  const AuthResult r = client->authenticate("alice", std::string(129, 'p'), kMac, kClientIp);
  EXPECT_EQ(r.outcome, AuthOutcome::Error);
  EXPECT_EQ(r.detail, "cannot encode the request: password_too_long");
  EXPECT_EQ(client->account(AcctStatusType::Start, AccountingSession{}).outcome,
            AcctOutcome::Error);  // no Acct-Session-Id
  EXPECT_TRUE(silent.received().empty());
  EXPECT_EQ(client->counters().errors, 2u);
}

TEST(RadiusClient, PeerAddressesBecomeRadiusIps) {
  sockaddr_in6 mapped{};
  mapped.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "::ffff:10.20.30.40", &mapped.sin6_addr);
  const RadiusIp ip = radiusIpFromSockaddr(reinterpret_cast<sockaddr*>(&mapped));
  EXPECT_EQ(ip.version, 4);
  EXPECT_EQ(ip.bytes, kClientIp.bytes);
  inet_pton(AF_INET6, "2001:db8::7", &mapped.sin6_addr);
  EXPECT_EQ(radiusIpFromSockaddr(reinterpret_cast<sockaddr*>(&mapped)).version, 6);
  EXPECT_TRUE(radiusIpFromSockaddr(nullptr).empty());
}

// ---- against FreeRADIUS ----------------------------------------------------------------

class RadiusClientFreeradius : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (FreeRadiusLab::binary().empty()) return;
    lab_ = new FreeRadiusLab;
    startError_ = lab_->start();
  }
  static void TearDownTestSuite() {
    delete lab_;  // kills the server, removes its directory
    lab_ = nullptr;
  }
  void SetUp() override {
    if (!lab_) GTEST_SKIP() << "freeradius is not installed (make deps)";
    ASSERT_EQ(startError_, "");
  }
  static RadiusServer server(const char* secret = FreeRadiusLab::kSecret) {
    return {"127.0.0.1", lab_->authPort(), lab_->acctPort(), secret};
  }

  static FreeRadiusLab* lab_;
  static std::string startError_;
};
FreeRadiusLab* RadiusClientFreeradius::lab_ = nullptr;
std::string RadiusClientFreeradius::startError_;

TEST_F(RadiusClientFreeradius, AcceptCarriesTheUsersReplyItems) {
  auto client = clientFor(configFor({server()}));
  const AuthResult r = client->authenticate("alice", "wonderland", kMac, kClientIp);
  ASSERT_EQ(r.outcome, AuthOutcome::Accept) << r.detail;
  // The server requires our Message-Authenticator, and we required (and checked) its own.
  EXPECT_TRUE(r.reply.messageAuthenticator);
  EXPECT_EQ(r.reply.sessionTimeout, 3600u);
  EXPECT_EQ(r.reply.idleTimeout, 600u);
  EXPECT_EQ(r.reply.interimInterval, 300u);
  EXPECT_EQ(r.reply.replyMessage, "Welcome, alice");
  EXPECT_EQ(r.reply.classes, std::vector<std::string>{"tollgate-class"});
  EXPECT_EQ(r.reply.bandwidthMaxUp, 1000000u);
  EXPECT_EQ(r.reply.bandwidthMaxDown, 5000000u);
  EXPECT_EQ(r.reply.maxTotalOctets, 1048576u);
  const RadiusClientCounters c = client->counters();
  EXPECT_EQ(c.accepts, 1u);
  EXPECT_EQ(c.invalidResponses + c.unauthenticatedResponses + c.retransmissions, 0u);
}

// What makes the Accept above a check of our Message-Authenticator: the lab server drops an
// Access-Request without one, and answers the same request with it.
TEST_F(RadiusClientFreeradius, ServerDropsAnAccessRequestWithoutMessageAuthenticator) {
  inspect::AccessRequest request;
  request.identifier = 9;
  request.authenticator.fill(0x5a);
  request.userName = "alice";
  request.password = "wonderland";
  std::string packet;
  ASSERT_EQ(
      inspect::encodeAccessRequest(request, {"tollgate-test", {}}, FreeRadiusLab::kSecret, packet),
      inspect::RadiusError::None);
  std::string stripped = packet.substr(0, 20) + packet.substr(38);  // Message-Authenticator first
  stripped[3] = static_cast<char>(stripped.size());
  // The intact one under another identifier, so no duplicate detection can come into play.
  request.identifier = 10;
  ASSERT_EQ(
      inspect::encodeAccessRequest(request, {"tollgate-test", {}}, FreeRadiusLab::kSecret, packet),
      inspect::RadiusError::None);

  int fd = -1;
  reserveUdpPort(false, fd);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(lab_->authPort());
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
  auto answered = [&](const std::string& d, std::chrono::milliseconds wait) {
    ::send(fd, d.data(), d.size(), 0);
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) != 1) return std::string();
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  };
  EXPECT_EQ(answered(stripped, scaled(300ms)), "");  // silence is all a negative can show
  const std::string reply = answered(packet, scaled(2000ms));
  ::close(fd);
  ASSERT_FALSE(reply.empty());
  inspect::RadiusRequestInfo info;
  ASSERT_TRUE(inspect::readRequestInfo(packet, info));
  inspect::RadiusReply parsed;
  EXPECT_EQ(inspect::parseRadiusResponse(reply, info, FreeRadiusLab::kSecret, true, parsed),
            inspect::RadiusError::None);
  EXPECT_EQ(parsed.code, inspect::RadiusCode::AccessAccept);
}

TEST_F(RadiusClientFreeradius, WrongPasswordIsRejectedWithTheReplyMessage) {
  auto client = clientFor(configFor({server()}));
  const AuthResult r = client->authenticate("alice", "looking-glass", kMac, kClientIp);
  ASSERT_EQ(r.outcome, AuthOutcome::Reject) << r.detail;
  EXPECT_EQ(r.reply.replyMessage, "Login incorrect");
  EXPECT_FALSE(r.reply.sessionTimeout);
  EXPECT_EQ(client->counters().rejects, 1u);
}

TEST_F(RadiusClientFreeradius, UnknownUserIsRejected) {
  auto client = clientFor(configFor({server()}));
  EXPECT_EQ(client->authenticate("mallory", "x", std::nullopt, RadiusIp{}).outcome,
            AuthOutcome::Reject);
}

TEST_F(RadiusClientFreeradius, FailsOverFromASilentServerAndThenStartsWithTheOneThatAnswered) {
  SilentServer silent;
  auto client = clientFor(
      configFor({{"127.0.0.1", silent.port(), silent.port(), FreeRadiusLab::kSecret}, server()},
                scaled(100ms), 2));
  EXPECT_EQ(client->authenticate("alice", "wonderland", kMac, kClientIp).outcome,
            AuthOutcome::Accept);
  EXPECT_EQ(silent.received().size(), 2u);
  EXPECT_EQ(client->counters().failovers, 1u);
  EXPECT_EQ(client->authenticate("alice", "wonderland", kMac, kClientIp).outcome,
            AuthOutcome::Accept);
  EXPECT_TRUE(silent.received().empty());
  EXPECT_EQ(client->counters().failovers, 1u);
}

TEST_F(RadiusClientFreeradius, WrongSecretIsDroppedByTheServerSoTheClientTimesOut) {
  auto client = clientFor(configFor({server("not-the-secret")}, scaled(200ms), 2));
  const AuthResult r = client->authenticate("alice", "wonderland", kMac, kClientIp);
  EXPECT_EQ(r.outcome, AuthOutcome::Timeout);
  // Our Message-Authenticator does not verify with the server's secret.
  EXPECT_NE(lab_->log().find("invalid Message-Authenticator"), std::string::npos) << lab_->log();
}

// Sits between the client and the server's auth port and spoils answers on their way back:
// SpoilFirst sends, before the first genuine answer, a copy for another identifier and one
// with a flipped byte; SpoilAll replaces every answer with a flipped copy.
class TamperRelay {
 public:
  enum class Mode { SpoilFirst, SpoilAll };
  TamperRelay(uint16_t serverPort, Mode mode) : mode_(mode) {
    port_ = reserveUdpPort(false, front_);
    int ignored = -1;
    reserveUdpPort(false, ignored);
    back_ = ignored;
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(serverPort);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::connect(back_, reinterpret_cast<sockaddr*>(&to), sizeof to);
    stop_ = ::eventfd(0, EFD_CLOEXEC);
    thread_ = std::thread([this] { run(); });
  }
  ~TamperRelay() {
    const uint64_t one = 1;
    (void)!::write(stop_, &one, sizeof one);
    thread_.join();
    for (int fd : {front_, back_, stop_}) ::close(fd);
  }
  uint16_t port() const { return port_; }

 private:
  void run() {
    sockaddr_storage client{};
    socklen_t clientLength = 0;
    char buf[4096];
    bool spoiled = false;
    for (;;) {
      pollfd p[3] = {{front_, POLLIN, 0}, {back_, POLLIN, 0}, {stop_, POLLIN, 0}};
      if (::poll(p, 3, -1) < 0 || p[2].revents) return;
      if (p[0].revents) {
        clientLength = sizeof client;
        const ssize_t n = ::recvfrom(front_, buf, sizeof buf, 0,
                                     reinterpret_cast<sockaddr*>(&client), &clientLength);
        if (n > 0) ::send(back_, buf, static_cast<size_t>(n), 0);
      }
      if (p[1].revents) {
        const ssize_t n = ::recv(back_, buf, sizeof buf, 0);
        if (n <= 0) continue;
        const std::string genuine(buf, static_cast<size_t>(n));
        auto reply = [&](std::string d) {
          ::sendto(front_, d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&client),
                   clientLength);
        };
        std::string flipped = genuine;
        flipped.back() = static_cast<char>(flipped.back() ^ 1);
        if (mode_ == Mode::SpoilAll) {
          reply(flipped);
          continue;
        }
        if (!spoiled) {
          std::string otherId = genuine;
          otherId[1] = static_cast<char>(otherId[1] + 1);
          reply(otherId);
          reply(flipped);
          spoiled = true;
        }
        reply(genuine);
      }
    }
  }

  Mode mode_;
  int front_ = -1, back_ = -1, stop_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

TEST_F(RadiusClientFreeradius, SpoiledAnswersAreCountedAndTheGenuineOneAccepted) {
  TamperRelay relay(lab_->authPort(), TamperRelay::Mode::SpoilFirst);
  auto client = clientFor(configFor({{"127.0.0.1", relay.port(), 1813, FreeRadiusLab::kSecret}}));
  const AuthResult r = client->authenticate("alice", "wonderland", kMac, kClientIp);
  ASSERT_EQ(r.outcome, AuthOutcome::Accept) << r.detail;
  EXPECT_EQ(r.reply.sessionTimeout, 3600u);
  const RadiusClientCounters c = client->counters();
  EXPECT_EQ(c.unmatchedResponses, 1u);
  EXPECT_EQ(c.invalidResponses, 1u);
  EXPECT_EQ(c.retransmissions, 0u);
}

TEST_F(RadiusClientFreeradius, ForgedAnswersOnlyEverEndInTimeout) {
  TamperRelay relay(lab_->authPort(), TamperRelay::Mode::SpoilAll);
  auto client = clientFor(
      configFor({{"127.0.0.1", relay.port(), 1813, FreeRadiusLab::kSecret}}, scaled(300ms), 3));
  const AuthResult r = client->authenticate("alice", "wonderland", kMac, kClientIp);
  EXPECT_EQ(r.outcome, AuthOutcome::Timeout);
  EXPECT_NE(r.detail.find("bad_authenticator"), std::string::npos) << r.detail;
  EXPECT_EQ(client->counters().invalidResponses, 3u);  // the server replays its answer per try
}

TEST_F(RadiusClientFreeradius, AnswerWithoutMessageAuthenticatorIsRefusedWhenRequired) {
  auto strict = clientFor(configFor({server()}, scaled(300ms), 2));
  const AuthResult r = strict->authenticate("nomsgauth", "plain", kMac, kClientIp);
  EXPECT_EQ(r.outcome, AuthOutcome::Timeout);
  EXPECT_EQ(strict->counters().unauthenticatedResponses, 2u);

  RadiusClientConfig c = configFor({server()});
  c.requireMessageAuthenticator = false;
  auto lenient = clientFor(c);
  const AuthResult ok = lenient->authenticate("nomsgauth", "plain", kMac, kClientIp);
  ASSERT_EQ(ok.outcome, AuthOutcome::Accept) << ok.detail;
  EXPECT_FALSE(ok.reply.messageAuthenticator);
  EXPECT_EQ(ok.reply.sessionTimeout, 60u);
}

TEST_F(RadiusClientFreeradius, ConcurrentLoginsEachGetTheirOwnAnswer) {
  auto client = clientFor(configFor({server()}));
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      const bool good = i % 2 == 0;
      const AuthResult r =
          client->authenticate("alice", good ? "wonderland" : "no", kMac, kClientIp);
      if (r.outcome != (good ? AuthOutcome::Accept : AuthOutcome::Reject)) ++wrong;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(client->counters().accepts, 4u);
  EXPECT_EQ(client->counters().rejects, 4u);
}

TEST_F(RadiusClientFreeradius, AccountingStartInterimStopAreAcknowledgedAndLogged) {
  auto client = clientFor(configFor({server()}));
  const AuthResult login = client->authenticate("alice", "wonderland", kMac, kClientIp);
  ASSERT_EQ(login.outcome, AuthOutcome::Accept) << login.detail;

  AccountingSession s;
  s.sessionId = "tg-acct-0001";
  s.userName = "alice";
  s.mac = kMac;
  s.ip = kClientIp;
  s.classes = login.reply.classes;
  EXPECT_EQ(client->account(AcctStatusType::Start, s).outcome, AcctOutcome::Acknowledged);
  s.inputOctets = 1000;
  s.outputOctets = (uint64_t{1} << 32) + 5;  // past 4 GiB: gigawords
  s.sessionTime = 300;
  EXPECT_EQ(client->account(AcctStatusType::InterimUpdate, s).outcome, AcctOutcome::Acknowledged);
  s.inputOctets = 2000;
  s.sessionTime = 420;
  s.terminateCause = AcctTerminateCause::UserRequest;
  const AcctResult stop = client->account(AcctStatusType::Stop, s);
  EXPECT_EQ(stop.outcome, AcctOutcome::Acknowledged) << stop.detail;
  EXPECT_EQ(client->counters().accountingResponses, 3u);

  // The detail module writes before the server answers, so it is there now.
  const std::string detail = lab_->detail();
  for (const char* line :
       {"Acct-Status-Type = Start", "Acct-Status-Type = Interim-Update", "Acct-Status-Type = Stop",
        "Acct-Session-Id = \"tg-acct-0001\"", "Calling-Station-Id = \"02-00-5E-10-00-01\"",
        "Framed-IP-Address = 10.20.30.40", "NAS-Identifier = \"tollgate-test\"",
        "NAS-IP-Address = 127.0.0.1", "Class = 0x746f6c6c676174652d636c617373",
        "Acct-Output-Gigawords = 1", "Acct-Output-Octets = 5", "Acct-Session-Time = 420",
        "Acct-Terminate-Cause = User-Request", "Acct-Unique-Session-Id = "})
    EXPECT_NE(detail.find(line), std::string::npos) << line << "\n" << detail;
  const std::string linelog = lab_->linelog();
  EXPECT_NE(linelog.find("Start session=tg-acct-0001 user=alice cli=02-00-5E-10-00-01 "
                         "ip=10.20.30.40 class=0x746f6c6c676174652d636c617373"),
            std::string::npos)
      << linelog;
  EXPECT_NE(linelog.find("Interim-Update session=tg-acct-0001 in=1000/0 out=5/1 time=300"),
            std::string::npos)
      << linelog;
  EXPECT_NE(linelog.find("Stop session=tg-acct-0001 in=2000/0 out=5/1 time=420 cause=User-Request"),
            std::string::npos)
      << linelog;
}

TEST_F(RadiusClientFreeradius, AccountingWithTheWrongSecretTimesOut) {
  auto client = clientFor(configFor({server("not-the-secret")}, scaled(200ms), 2));
  AccountingSession s;
  s.sessionId = "tg-acct-wrong-secret";
  EXPECT_EQ(client->account(AcctStatusType::Start, s).outcome, AcctOutcome::Timeout);
  EXPECT_EQ(lab_->detail().find("tg-acct-wrong-secret"), std::string::npos);
}

TEST_F(RadiusClientFreeradius, Ipv6ServerAnswers) {
  if (lab_->auth6Port() == 0) GTEST_SKIP() << "no IPv6 loopback";
  auto client = clientFor(configFor({{"::1", lab_->auth6Port(), 1813, FreeRadiusLab::kSecret}}));
  const AuthResult r =
      client->authenticate("alice", "wonderland", kMac, *RadiusIp::parse("fd00::7"));
  EXPECT_EQ(r.outcome, AuthOutcome::Accept) << r.detail;
}

}  // namespace
}  // namespace tollgate::captive
