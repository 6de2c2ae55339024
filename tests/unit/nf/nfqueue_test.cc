// The packet inspector's kernel side: the nfqueue chain the ruleset generator writes, the
// iptables-nft fallback, the quic_blocked sets and the queue socket. The text tests are pure;
// the *Kernel tests run in a private network namespace (unshare(CLONE_NEWNET), back with
// setns() in TearDown) and need root, nft and iptables-nft: they skip cleanly without them.
#include "nf/nfqueue.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <cstring>
#include <string>
#include <vector>

#include "nf/nfqueue_fallback.h"
#include "nf/nft_runner.h"
#include "nf/quic_blocked_set.h"
#include "nf/ruleset.h"

namespace tollgate::nf {
namespace {

RulesetSpec spec() {
  RulesetSpec s;
  s.lanInterfaces = {"lan0"};
  s.httpPorts = {80};
  s.tlsPorts = {443};
  s.listenPort = 3129;
  s.nfqueue.enabled = true;
  return s;
}

bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

size_t at(const std::string& text, const std::string& needle) {
  size_t pos = text.find(needle);
  EXPECT_NE(pos, std::string::npos) << "missing: " << needle << "\nin:\n" << text;
  return pos;
}

const char* const kQueueMatch = "udp dport { 443 } ct original packets 1-4 @th,64,8 & 0x80 == 0x80";

// ---- the chain ------------------------------------------------------------------------------

TEST(NfqueueRuleset, NoChainOrSetsUnlessEnabled) {
  RulesetSpec s = spec();
  s.nfqueue.enabled = false;
  EXPECT_FALSE(has(renderNftRuleset(s), "nfqueue"));
  EXPECT_FALSE(has(renderNftRuleset(s), "quic_blocked"));
  EXPECT_EQ(renderNfqueueRules(s), "");
}

TEST(NfqueueRuleset, InspectQueuesTheFirstLongHeaderPacketsWithBypass) {
  const std::string t = renderNftRuleset(spec());
  at(t, "\tchain nfqueue {\n\t\ttype filter hook forward priority mangle - 1; policy accept;");
  at(t, std::string(kQueueMatch) + " counter queue flags bypass to 0 comment");
}

TEST(NfqueueRuleset, FailClosedQueuesWithoutBypass) {
  RulesetSpec s = spec();
  s.nfqueue.bypass = false;
  const std::string t = renderNftRuleset(s);
  at(t, std::string(kQueueMatch) + " counter queue to 0 comment");
  EXPECT_FALSE(has(t, "bypass to"));
}

TEST(NfqueueRuleset, SeveralQueuesAreOneRangeBalancedByFlowHash) {
  RulesetSpec s = spec();
  s.nfqueue.queue = 3;
  s.nfqueue.queues = 2;
  s.nfqueue.firstPackets = 6;
  s.nfqueue.quicPorts = {443, 8443};
  const std::string t = renderNftRuleset(s);
  at(t, "udp dport { 443, 8443 } ct original packets 1-6 @th,64,8 & 0x80 == 0x80 counter queue "
        "flags bypass to 3-4 comment");
  EXPECT_FALSE(has(t, "fanout"));  // fanout spreads by CPU, which would split a flow's state
}

TEST(NfqueueRuleset, ExclusionsThenBlockedSetsThenTheQueue) {
  const std::string t = renderNftRuleset(spec());
  size_t chain = at(t, "\tchain nfqueue {");
  size_t udp = at(t, "meta l4proto != udp return");
  size_t lan = t.find("iifname != { \"lan0\" } return", chain);
  size_t bypass = t.find("ip saddr @bypass_src4 return", chain);
  size_t drop4 = at(t, "ip saddr . ip daddr . udp sport . udp dport @quic_blocked4 counter drop");
  size_t drop6 = at(t, "ip6 saddr . ip6 daddr . udp sport . udp dport @quic_blocked6 counter drop");
  size_t queue = at(t, "counter queue flags bypass");
  EXPECT_LT(chain, udp);
  EXPECT_LT(udp, lan);
  EXPECT_LT(lan, bypass);
  EXPECT_LT(bypass, drop4);
  EXPECT_LT(drop4, drop6);
  EXPECT_LT(drop6, queue);
}

TEST(NfqueueRuleset, BlockedSetsHaveTimeoutsAndTheFlowKey) {
  const std::string t = renderNftRuleset(spec());
  at(t, "\tset quic_blocked4 {\n\t\ttype ipv4_addr . ipv4_addr . inet_service . inet_service\n"
        "\t\tflags timeout\n\t}");
  at(t, "\tset quic_blocked6 {\n\t\ttype ipv6_addr . ipv6_addr . inet_service . inet_service\n"
        "\t\tflags timeout\n\t}");
}

TEST(NfqueueRuleset, DropModeDropsInTheKernelAndQueuesNothing) {
  RulesetSpec s = spec();
  s.nfqueue.quic = RulesetSpec::Nfqueue::Quic::Drop;
  const std::string t = renderNftRuleset(s);
  at(t, "udp dport { 443 } counter drop comment \"[nfqueue] quic = drop");
  EXPECT_FALSE(has(t, " queue "));
}

TEST(NfqueueRuleset, PassModeKeepsOnlyTheBlockedSetRules) {
  RulesetSpec s = spec();
  s.nfqueue.quic = RulesetSpec::Nfqueue::Quic::Pass;
  const std::string t = renderNftRuleset(s);
  at(t, "@quic_blocked4 counter drop");
  EXPECT_FALSE(has(t, " queue "));
  EXPECT_FALSE(has(t, "udp dport { 443 }"));
}

TEST(NfqueueRuleset, WithoutNftQueueTheChainMarksForIptables) {
  RulesetSpec s = spec();
  s.nfqueue.queueInNft = false;
  const std::string t = renderNftRuleset(s);
  EXPECT_EQ(nfqueueFallbackMark(s), 3u);  // 1 and 2 are the intercept and upstream marks
  at(t, std::string(kQueueMatch) +
            " counter meta mark set meta mark & 0xffffff00 | 0x00000003 comment");
  EXPECT_FALSE(has(t, " queue "));
}

TEST(NfqueueRuleset, AloneItReplacesOnlyTheChainOfTheExistingTable) {
  const std::string t = renderNfqueueRules(spec());
  EXPECT_EQ(t.find("table inet tollgate {\n\tchain nfqueue {\n\t}\n\tchain nfqueue_dns {\n\t}\n}\n"
                   "delete chain inet tollgate nfqueue\ndelete chain inet tollgate nfqueue_dns\n"
                   "table inet tollgate {\n"),
            t.find("table inet tollgate {"));
  EXPECT_FALSE(has(t, "delete table"));
  EXPECT_FALSE(has(t, "set bypass_src4 {"));  // referenced, defined by the table's own load
  at(t, "counter queue flags bypass to 0");
}

TEST(NfqueueRuleset, ValidationNamesTheBadField) {
  RulesetSpec s = spec();
  s.nfqueue.quicPorts = {};
  EXPECT_EQ(validateRulesetSpec(s).value_or(""), "nfqueue.quicPorts: at least one port");
  s = spec();
  s.nfqueue.queue = 65535;
  s.nfqueue.queues = 2;
  EXPECT_TRUE(validateRulesetSpec(s).has_value());
  s = spec();
  s.nfqueue.firstPackets = 0;
  EXPECT_TRUE(validateRulesetSpec(s).has_value());
  EXPECT_THROW(renderNfqueueRules(s), std::invalid_argument);
  // Two valid, distinct marks leave a third value in any mask (two bits give three).
  s = spec();
  s.markMask = 0x3;
  s.nfqueue.queueInNft = false;
  EXPECT_EQ(validateRulesetSpec(s), std::nullopt);
  EXPECT_EQ(nfqueueFallbackMark(s), 3u);
}

TEST(NfqueueRuleset, IptablesFallbackQueuesTheMarkedFirstPackets) {
  RulesetSpec s = spec();
  s.lanInterfaces = {"lan0", "lan1"};
  const std::string t = renderIptablesQueueRules(s);
  EXPECT_EQ(t,
            "*mangle\n:TOLLGATE_QUIC - [0:0]\n:TOLLGATE_DNS - [0:0]\n"
            "-A TOLLGATE_QUIC -i lan0 -p udp -m multiport --dports 443 -m mark --mark 0x3/0xff "
            "-m connbytes --connbytes 0:4 --connbytes-dir original --connbytes-mode packets "
            "-j NFQUEUE --queue-num 0 --queue-bypass\n"
            "-A TOLLGATE_QUIC -i lan1 -p udp -m multiport --dports 443 -m mark --mark 0x3/0xff "
            "-m connbytes --connbytes 0:4 --connbytes-dir original --connbytes-mode packets "
            "-j NFQUEUE --queue-num 0 --queue-bypass\n"
            "COMMIT\n");
  s.nfqueue.queues = 2;
  s.nfqueue.bypass = false;
  EXPECT_TRUE(has(renderIptablesQueueRules(s), "-j NFQUEUE --queue-balance 0:1\n"));
}

TEST(QuicBlockedSetKey, FieldsArePaddedToFourBytesInNetworkOrder) {
  UdpFlow f;
  f.family = AF_INET;
  f.src = {10, 0, 0, 2};
  f.dst = {192, 0, 2, 7};
  f.srcPort = 0x1234;
  f.dstPort = 443;
  uint8_t key[40];
  ASSERT_EQ(QuicBlockedSet::encodeKey(f, key), 16u);
  const uint8_t want[16] = {10, 0, 0, 2, 192, 0, 2, 7, 0x12, 0x34, 0, 0, 0x01, 0xbb, 0, 0};
  EXPECT_EQ(std::memcmp(key, want, 16), 0);
  f.family = AF_INET6;
  EXPECT_EQ(QuicBlockedSet::encodeKey(f, key), 40u);
  EXPECT_EQ(key[32], 0x12);
  EXPECT_EQ(key[37], 0xbb);
}

// ---- in a private network namespace ---------------------------------------------------------

std::string run(const char* tool, const std::vector<std::string>& args, std::string_view in = "") {
  NftRun r = runNft(args, in, tool);
  if (r.spawnError) return *r.spawnError;
  return r.exitStatus == 0 ? "" : r.err + " (status " + std::to_string(r.exitStatus) + ")";
}
std::string nftOut(const std::vector<std::string>& args) { return runNft(args, "").out; }

class NfqueueKernel : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: nf_tables in a fresh network namespace";
    if (access(kNftPath, X_OK) != 0) GTEST_SKIP() << kNftPath << " is not installed";
    original_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(original_, 0) << std::strerror(errno);
    if (unshare(CLONE_NEWNET) != 0) GTEST_SKIP() << "unshare(CLONE_NEWNET): " << std::strerror(errno);
    inNamespace_ = true;
    // Loopback up, for the queue test's datagrams.
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    ioctl(fd, SIOCGIFFLAGS, &ifr);
    ifr.ifr_flags |= IFF_UP;
    ASSERT_EQ(ioctl(fd, SIOCSIFFLAGS, &ifr), 0) << std::strerror(errno);
    close(fd);
  }
  void TearDown() override {
    if (inNamespace_ && setns(original_, CLONE_NEWNET) != 0) {
      std::perror("setns(original network namespace)");
      std::abort();
    }
    if (original_ >= 0) close(original_);
  }
  int original_ = -1;
  bool inNamespace_ = false;
};

TEST_F(NfqueueKernel, ChainLoadsIntoTheTableAndReloadsKeepingSetElements) {
  RulesetSpec s = spec();
  s.nfqueue.enabled = false;
  ASSERT_EQ(applyRuleset(renderNftRuleset(s)), std::nullopt);
  s.nfqueue.enabled = true;
  std::string probeError;
  const bool nftQueue = nftHasQueue(&probeError).value_or(false);
  s.nfqueue.queueInNft = nftQueue;
  ASSERT_EQ(applyRuleset(renderNfqueueRules(s)), std::nullopt);

  QuicBlockedSet set;
  UdpFlow v4;
  v4.family = AF_INET;
  v4.src = {10, 77, 1, 2};
  v4.dst = {10, 77, 2, 2};
  v4.srcPort = 40001;
  v4.dstPort = 443;
  UdpFlow v6 = v4;
  v6.family = AF_INET6;
  v6.src = {0xfd, 0x77, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  v6.dst = {0xfd, 0x77, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  ASSERT_EQ(set.add({v4, v6}, std::chrono::minutes(5)), std::nullopt);
  // Loading the chain again (another reload of the inspector's rules) keeps the elements.
  s.nfqueue.firstPackets = 3;
  ASSERT_EQ(applyRuleset(renderNfqueueRules(s)), std::nullopt);
  const std::string chain = nftOut({"list", "chain", "inet", "tollgate", "nfqueue"});
  EXPECT_TRUE(has(chain, "ct original packets 1-3")) << chain;
  EXPECT_TRUE(has(chain, nftQueue ? "queue flags bypass to 0" : "meta mark set")) << chain;
  EXPECT_TRUE(has(nftOut({"list", "set", "inet", "tollgate", "quic_blocked4"}),
                  "10.77.1.2 . 10.77.2.2 . 40001 . 443 timeout 5m"));
  EXPECT_TRUE(has(nftOut({"list", "set", "inet", "tollgate", "quic_blocked6"}),
                  "fd77:1::2 . fd77:2::2 . 40001 . 443 timeout 5m"));
}

TEST_F(NfqueueKernel, BlockedSetAddWithoutTheTableNamesTheSets) {
  QuicBlockedSet set;
  UdpFlow f;
  f.family = AF_INET;
  auto err = set.add({f}, std::chrono::seconds(1));
  ASSERT_TRUE(err.has_value());
  EXPECT_TRUE(has(*err, "quic_blocked4")) << *err;
}

TEST_F(NfqueueKernel, SteeringPicksWhatTheKernelHasAndRemovesTheFallback) {
  if (access(kIptablesPath, X_OK) != 0) GTEST_SKIP() << kIptablesPath << " is not installed";
  RulesetSpec s = spec();
  s.nfqueue.enabled = false;
  ASSERT_EQ(applyRuleset(renderNftRuleset(s)), std::nullopt);
  s.nfqueue.enabled = true;
  SteeringResult r = installQueueSteering(s);
  ASSERT_FALSE(r.error) << *r.error;
  std::string probeError;
  const bool nftQueue = nftHasQueue(&probeError).value_or(false);
  EXPECT_EQ(r.steering, nftQueue ? QueueSteering::Nft : QueueSteering::Iptables);
  const std::string mangle = runNft({"-t", "mangle", "-S"}, "", kIptablesPath).out;
  EXPECT_EQ(has(mangle, "-A FORWARD -j TOLLGATE_QUIC"), !nftQueue) << mangle;
  // Installed twice (a reload): still one jump.
  ASSERT_FALSE(installQueueSteering(s).error);
  const std::string again = runNft({"-t", "mangle", "-S", "FORWARD"}, "", kIptablesPath).out;
  EXPECT_EQ(again.find("TOLLGATE_QUIC"), again.rfind("TOLLGATE_QUIC")) << again;
  removeIptablesQueueRules();
  EXPECT_FALSE(has(runNft({"-t", "mangle", "-S"}, "", kIptablesPath).out, "TOLLGATE_QUIC"));
  // quic = drop needs no queue: no fallback either.
  s.nfqueue.quic = RulesetSpec::Nfqueue::Quic::Drop;
  r = installQueueSteering(s);
  ASSERT_FALSE(r.error) << *r.error;
  EXPECT_EQ(r.steering, QueueSteering::None);
}

// Queues the UDP datagrams this test sends to 127.0.0.1:9443 (OUTPUT, no bypass), judges them
// by their first byte, and reads what got through.
class QueueLoop : public NfqueueKernel {
 protected:
  void SetUp() override {
    NfqueueKernel::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (access(kIptablesPath, X_OK) != 0) GTEST_SKIP() << kIptablesPath << " is not installed";
    ASSERT_EQ(run(kIptablesPath, {"-t", "mangle", "-A", "OUTPUT", "-p", "udp", "--dport", "9443",
                                  "-j", "NFQUEUE", "--queue-num", "7"}),
              "");
    sink_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(9443);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(sink_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    int big = 8 << 20;
    setsockopt(sink_, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
    source_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_EQ(connect(source_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  }
  void TearDown() override {
    if (sink_ >= 0) close(sink_);
    if (source_ >= 0) close(source_);
    NfqueueKernel::TearDown();
  }
  void send(uint8_t tag) { ASSERT_EQ(::send(source_, &tag, 1, 0), 1); }
  std::vector<uint8_t> arrived() {
    std::vector<uint8_t> out;
    uint8_t b[64];
    while (recv(sink_, b, sizeof b, 0) == 1) out.push_back(b[0]);
    return out;
  }
  // Receives until `n` packets were handled (bounded by two seconds).
  void pump(NfQueue& q, NfQueue::Handler& h, unsigned n) {
    unsigned got = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (got < n && std::chrono::steady_clock::now() < deadline) {
      pollfd p{q.fd(), POLLIN, 0};
      ::poll(&p, 1, 50);
      got += q.receive(h);
    }
    ASSERT_EQ(got, n);
  }
  int sink_ = -1;
  int source_ = -1;
};

struct ByTag final : NfQueue::Handler {
  PacketVerdict onPacket(const QueuedPacket& p) override {
    ids.push_back(p.id);
    EXPECT_EQ(p.hwProtocol, 0x0800);
    EXPECT_EQ(p.length, p.data.size());
    const uint8_t tag = static_cast<uint8_t>(p.data.back());
    if (tag == 0) return PacketVerdict::Hold;
    return tag % 2 ? PacketVerdict::Drop : PacketVerdict::Accept;
  }
  std::vector<uint32_t> ids;
};

TEST_F(QueueLoop, VerdictsReachTheKernelAndHeldPacketsWaitForTheirRelease) {
  NfQueue q({.queue = 7, .failOpen = false});
  ByTag h;
  for (uint8_t i = 0; i < 40; ++i) send(i);
  pump(q, h, 40);
  // 0 is held; odd tags dropped; even accepted, partly by one batch verdict (those below the
  // held id cannot be: none here, the held packet comes first, so they go one by one).
  std::vector<uint8_t> got = arrived();
  EXPECT_EQ(got.size(), 19u);
  for (uint8_t t : got) EXPECT_TRUE(t != 0 && t % 2 == 0) << int(t);
  EXPECT_EQ(q.heldCount(), 1u);
  q.release(h.ids[0], PacketVerdict::Accept);
  q.flush();
  got = arrived();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], 0);
  EXPECT_EQ(q.counters().dropped, 20u);
  EXPECT_EQ(q.counters().accepted, 20u);
  EXPECT_EQ(q.counters().held, 1u);
}

TEST_F(QueueLoop, AcceptsWithoutHeldPacketsGoAsOneBatchVerdict) {
  NfQueue q({.queue = 7});
  ByTag h;
  for (uint8_t i = 2; i < 22; i += 2) send(i);
  pump(q, h, 10);
  EXPECT_EQ(arrived().size(), 10u);
  EXPECT_GE(q.counters().verdictBatches, 1u);
  EXPECT_LE(q.counters().verdictSends, 10u);
}

TEST_F(QueueLoop, SecondBindOfAQueueIsRefusedWithItsNumber) {
  NfQueue q({.queue = 7});
  try {
    NfQueue again({.queue = 7});
    FAIL() << "a second socket bound queue 7";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(has(e.what(), "nfqueue 7: bind")) << e.what();
  }
}

// Not a test: the kernel -> user -> kernel rate of accepted packets on one queue (one thread
// sends over loopback, this one judges and accepts with batch verdicts). Printed, not asserted;
// run with --gtest_also_run_disabled_tests --gtest_filter='*Rate*'.
struct AcceptAll final : NfQueue::Handler {
  PacketVerdict onPacket(const QueuedPacket&) override { return PacketVerdict::Accept; }
};

TEST_F(QueueLoop, DISABLED_RateOfAcceptedPackets) {
  NfQueue q({.queue = 7, .maxLength = 65536});
  AcceptAll h;
  constexpr unsigned kPackets = 300000;
  std::atomic<bool> done{false};
  std::thread sender([&] {
    std::vector<uint8_t> payload(64, 0x40);  // a short-header-sized datagram
    for (unsigned i = 0; i < kPackets && !done; ++i) {
      while (::send(source_, payload.data(), payload.size(), 0) < 0 && errno == ENOBUFS) {
      }
    }
  });
  const auto start = std::chrono::steady_clock::now();
  unsigned got = 0;
  while (got < kPackets && std::chrono::steady_clock::now() - start < std::chrono::seconds(20)) {
    pollfd p{q.fd(), POLLIN, 0};
    ::poll(&p, 1, 100);
    got += q.receive(h, 64);  // the sink is never read: once full it drops, at no cost to us
  }
  done = true;
  sender.join();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("nfqueue accept path: %u packets in %.3f s = %.0f packets/s (verdict sends %llu, "
              "batches %llu, overruns %llu)\n",
              got, s, got / s, static_cast<unsigned long long>(q.counters().verdictSends),
              static_cast<unsigned long long>(q.counters().verdictBatches),
              static_cast<unsigned long long>(q.counters().overruns));
}

TEST(NfqueueRuleset, DnsQueriesAreQueuedFromPrerouting) {
  RulesetSpec s = spec();
  EXPECT_FALSE(has(renderNfqueueRules(s), "udp dport 53"));
  s.nfqueue.dns = true;
  std::string t = renderNfqueueRules(s);
  size_t chain = at(t, "\tchain nfqueue_dns {\n\t\ttype filter hook prerouting priority mangle - 1;");
  EXPECT_LT(chain, at(t, "udp dport 53 counter queue flags bypass to 0 comment"));
  s.nfqueue.queueInNft = false;
  t = renderNfqueueRules(s);
  at(t, "udp dport 53 counter meta mark set meta mark & 0xffffff00 | 0x00000003 comment");
  const std::string ipt = renderIptablesQueueRules(s);
  at(ipt, "-A TOLLGATE_DNS -i lan0 -p udp --dport 53 -m mark --mark 0x3/0xff -j NFQUEUE --queue-num 0 --queue-bypass\n");
}

}  // namespace
}  // namespace tollgate::nf
