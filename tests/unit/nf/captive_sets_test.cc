// CaptiveSets against the real kernel, checked with nft. Every test runs in a network
// namespace of its own: SetUp moves the test's thread into a fresh one with
// unshare(CLONE_NEWNET) and TearDown moves it back with setns(), so the host's netfilter state
// is never touched and gtest's assertions work as usual (nft, run from that thread, inherits
// the namespace). They need root (CAP_SYS_ADMIN to unshare, CAP_NET_ADMIN for nf_tables,
// CAP_NET_RAW to inject frames) and skip without it. Timings are printed, never asserted.
#include "nf/captive_sets.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <thread>

#include "nf/nft_runner.h"

namespace tollgate::nf {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The sets as nf/ruleset.cc declares them.
constexpr const char* kSetsRuleset = R"(table inet tollgate {
  set captive_macs { type ether_addr; flags timeout; counter; }
  set captive_v4 { type ipv4_addr . ether_addr; flags timeout; counter; }
  set captive_v6 { type ipv6_addr . ether_addr; flags timeout; counter; }
  set captive_down4 { type ipv4_addr; flags timeout; counter; }
  set captive_down6 { type ipv6_addr; flags timeout; counter; }
}
)";

// Lookups that make a frame arriving on any interface hit the elements' counters.
constexpr const char* kCountingChain = R"(table inet tollgate {
  chain prerouting {
    type filter hook prerouting priority 0; policy accept;
    ether saddr @captive_macs
    ip saddr . ether saddr @captive_v4
    ip6 saddr . ether saddr @captive_v6
  }
}
)";

MacAddress mac(uint32_t n) {
  return MacAddress{0x02,
                    0x00,
                    static_cast<uint8_t>(n >> 24),
                    static_cast<uint8_t>(n >> 16),
                    static_cast<uint8_t>(n >> 8),
                    static_cast<uint8_t>(n)};
}

HostAddress address(const char* text) {
  HostAddress a;
  a.family = std::strchr(text, ':') ? AF_INET6 : AF_INET;
  EXPECT_EQ(inet_pton(a.family, text, a.bytes.data()), 1) << text;
  return a;
}

// The n-th guest of a large population: 10.1.x.y and 2001:db8::x:y.
HostAddress guestV4(uint32_t n) {
  HostAddress a;
  a.family = AF_INET;
  a.bytes = {10, 1, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
  return a;
}

HostAddress guestV6(uint32_t n) {
  HostAddress a = address("2001:db8::");
  a.bytes[14] = static_cast<uint8_t>(n >> 8);
  a.bytes[15] = static_cast<uint8_t>(n);
  return a;
}

std::string shell(const std::string& command, int* status = nullptr) {
  std::string out;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return "popen failed";
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int rc = pclose(p);
  if (status) *status = rc;
  return out;
}

// Empty on success, else nft's complaint.
std::string nftLoad(const std::string& text) {
  NftRun run = runNft({"-f", "-"}, text);
  if (run.spawnError) return *run.spawnError;
  return run.exitStatus == 0 ? "" : run.err;
}

std::string listSet(const std::string& set) {
  return shell(std::string(kNftPath) + " list set inet tollgate " + set);
}

// "1h59m59s996ms" -> milliseconds; -1 if the element or its expiry is not listed.
int64_t expiresMs(const std::string& listing, const std::string& element) {
  size_t at = listing.find(element);
  if (at == std::string::npos) return -1;
  const size_t end = listing.find_first_of(",}", at);
  at = listing.find("expires ", at);
  if (at == std::string::npos || at > end) return -1;
  at += 8;
  int64_t total = 0, number = 0;
  for (; at < listing.size(); ++at) {
    const char c = listing[at];
    if (c >= '0' && c <= '9') {
      number = number * 10 + (c - '0');
      continue;
    }
    if (listing.compare(at, 2, "ms") == 0) {
      total += number;
      ++at;
    } else if (c == 'd') {
      total += number * 86400000;
    } else if (c == 'h') {
      total += number * 3600000;
    } else if (c == 'm') {
      total += number * 60000;
    } else if (c == 's') {
      total += number * 1000;
    } else {
      break;
    }
    number = 0;
  }
  return total;
}

double millisecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

const CaptiveSets::ElementCounters* findElement(
    const std::vector<CaptiveSets::ElementCounters>& all, const MacAddress& m,
    std::optional<HostAddress> a) {
  for (const auto& e : all) {
    if (e.mac == m && e.address == a) return &e;
  }
  return nullptr;
}

class CaptiveSetsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: nf_tables in a fresh network namespace";
    if (access(kNftPath, X_OK) != 0) GTEST_SKIP() << kNftPath << " is not installed";
    // thread-self, not self: namespaces belong to threads and gtest's may not be the leader.
    originalNamespace_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(originalNamespace_, 0) << std::strerror(errno);
    if (unshare(CLONE_NEWNET) != 0)
      GTEST_SKIP() << "unshare(CLONE_NEWNET): " << std::strerror(errno);
    inNamespace_ = true;
    ASSERT_EQ(nftLoad(kSetsRuleset), "");
  }

  void TearDown() override {
    if (inNamespace_ && setns(originalNamespace_, CLONE_NEWNET) != 0) {
      // Later tests would run inside this namespace and prove nothing: stop here.
      std::perror("setns(original network namespace)");
      std::abort();
    }
    if (originalNamespace_ >= 0) close(originalNamespace_);
  }

  int originalNamespace_ = -1;
  bool inNamespace_ = false;
};

TEST_F(CaptiveSetsTest, LoginAddsMacAndBothAddressesInOneCommit) {
  CaptiveSets sets;
  CaptiveSets::Batch login;
  login.allowMac(mac(1), 1h);
  login.allowAddress(address("10.0.0.1"), mac(1), 1h);
  login.allowAddress(address("2001:db8::1"), mac(1), 2h);
  EXPECT_EQ(login.size(), 5u);  // each address also goes into its download set
  const auto start = Clock::now();
  ASSERT_EQ(sets.commit(login), std::nullopt);
  std::cout << "[ timing ] login commit on empty sets: " << millisecondsSince(start) << " ms\n";

  EXPECT_NE(listSet("captive_macs").find("02:00:00:00:00:01 counter packets 0 bytes 0 timeout 1h"),
            std::string::npos)
      << listSet("captive_macs");
  EXPECT_NE(listSet("captive_v4")
                .find("10.0.0.1 . 02:00:00:00:00:01 counter packets 0 bytes 0 "
                      "timeout 1h expires"),
            std::string::npos)
      << listSet("captive_v4");
  EXPECT_NE(listSet("captive_v6")
                .find("2001:db8::1 . 02:00:00:00:00:01 counter packets 0 bytes "
                      "0 timeout 2h expires"),
            std::string::npos)
      << listSet("captive_v6");
  const CaptiveSets::Counters c = sets.counters();
  EXPECT_EQ(c.commits, 1u);
  EXPECT_EQ(c.elementsAdded, 5u);
  EXPECT_EQ(c.commitFailures, 0u);
}

TEST_F(CaptiveSetsTest, RefreshRestartsTheTimeout) {
  CaptiveSets sets;
  CaptiveSets::Batch login;
  login.allowMac(mac(1), 1h);
  login.allowAddress(address("10.0.0.1"), mac(1), 1h);
  ASSERT_EQ(sets.commit(login), std::nullopt);
  // Not synchronisation: the expiry clock has to visibly run before a refresh can reset it.
  std::this_thread::sleep_for(1100ms);
  const std::string key = "10.0.0.1 . 02:00:00:00:00:01";
  const int64_t before = expiresMs(listSet("captive_v4"), key);
  EXPECT_GT(before, 0);
  EXPECT_LE(before, 3600000 - 1000) << listSet("captive_v4");

  ASSERT_EQ(sets.commit(login), std::nullopt);  // the same timeout, as a session renewal sends
  EXPECT_GE(expiresMs(listSet("captive_v4"), key), 3600000 - 500) << listSet("captive_v4");
  EXPECT_GE(expiresMs(listSet("captive_macs"), "02:00:00:00:00:01"), 3600000 - 500);

  CaptiveSets::Batch longer;
  longer.allowAddress(address("10.0.0.1"), mac(1), 2h);
  ASSERT_EQ(sets.commit(longer), std::nullopt);
  EXPECT_NE(listSet("captive_v4").find(key + " counter packets 0 bytes 0 timeout 2h"),
            std::string::npos)
      << listSet("captive_v4");

  CaptiveSets::Batch forever;
  forever.allowAddress(address("10.0.0.1"), mac(1), 0s);
  ASSERT_EQ(sets.commit(forever), std::nullopt);
  EXPECT_NE(listSet("captive_v4").find(key + " counter packets 0 bytes 0 }"), std::string::npos)
      << listSet("captive_v4");
}

void expectRevokeRemovesPresentAndIgnoresAbsent(CaptiveSets& sets) {
  CaptiveSets::Batch login;
  login.allowMac(mac(1), 1h);
  login.allowAddress(address("10.0.0.1"), mac(1), 1h);
  login.allowAddress(address("2001:db8::1"), mac(1), 1h);
  login.allowMac(mac(2), 1h);
  ASSERT_EQ(sets.commit(login), std::nullopt);

  CaptiveSets::Batch logout;
  logout.revokeMac(mac(1));
  logout.revokeAddress(address("10.0.0.1"), mac(1));
  logout.revokeAddress(address("2001:db8::1"), mac(1));
  logout.revokeMac(mac(3));                              // never added
  logout.revokeAddress(address("10.0.0.9"), mac(3));     // never added
  logout.revokeAddress(address("2001:db8::9"), mac(3));  // never added
  ASSERT_EQ(sets.commit(logout), std::nullopt);

  EXPECT_EQ(listSet("captive_v4").find("10.0.0.1"), std::string::npos) << listSet("captive_v4");
  EXPECT_EQ(listSet("captive_v6").find("2001:db8::1"), std::string::npos);
  const std::string macs = listSet("captive_macs");
  EXPECT_EQ(macs.find("02:00:00:00:00:01"), std::string::npos) << macs;
  EXPECT_NE(macs.find("02:00:00:00:00:02"), std::string::npos) << macs;
  EXPECT_EQ(sets.counters().elementsRemoved, 10u);
}

TEST_F(CaptiveSetsTest, RevokeRemovesPresentAndIgnoresAbsentElements) {
  CaptiveSets sets;
  expectRevokeRemovesPresentAndIgnoresAbsent(sets);
  EXPECT_EQ(sets.counters().destroyFallbacks, 0u);  // 6.18 knows DESTROYSETELEM
}

TEST_F(CaptiveSetsTest, RevokeWithoutDestroyUsesAddThenDelete) {
  CaptiveSets sets(CaptiveSets::Options{"tollgate", /*useDestroy=*/false});
  expectRevokeRemovesPresentAndIgnoresAbsent(sets);
}

TEST_F(CaptiveSetsTest, RevokeThenAllowInOneBatchEndsAllowed) {
  CaptiveSets sets;
  CaptiveSets::Batch batch;
  batch.revokeMac(mac(1));
  batch.allowMac(mac(1), 1h);
  batch.allowMac(mac(2), 1h);
  batch.revokeMac(mac(2));
  ASSERT_EQ(sets.commit(batch), std::nullopt);
  const std::string macs = listSet("captive_macs");
  EXPECT_NE(macs.find("02:00:00:00:00:01"), std::string::npos) << macs;
  EXPECT_EQ(macs.find("02:00:00:00:00:02"), std::string::npos) << macs;
}

TEST_F(CaptiveSetsTest, FlushAllEmptiesEverySetBeforeARebuild) {
  CaptiveSets sets;
  CaptiveSets::Batch before;
  before.allowMac(mac(1), 1h);
  before.allowAddress(address("10.0.0.1"), mac(1), 1h);
  before.allowAddress(address("2001:db8::1"), mac(1), 1h);
  ASSERT_EQ(sets.commit(before), std::nullopt);

  CaptiveSets::Batch rebuild;
  rebuild.flushAll();
  rebuild.allowMac(mac(2), 1h);
  ASSERT_EQ(sets.commit(rebuild), std::nullopt);
  std::vector<CaptiveSets::ElementCounters> all;
  ASSERT_EQ(sets.readCounters(&all), std::nullopt);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].mac, mac(2));
  EXPECT_EQ(all[0].address, std::nullopt);
  EXPECT_EQ(sets.counters().setFlushes, 5u);
}

TEST_F(CaptiveSetsTest, TenThousandClientRebuildIsOneTransaction) {
  constexpr uint32_t kClients = 10000;
  CaptiveSets sets;
  CaptiveSets::Batch rebuild;
  rebuild.flushAll();
  for (uint32_t i = 0; i < kClients; ++i) {
    rebuild.allowMac(mac(i), 1h);
    rebuild.allowAddress(guestV4(i), mac(i), 1h);
    rebuild.allowAddress(guestV6(i), mac(i), 1h);
  }
  auto start = Clock::now();
  ASSERT_EQ(sets.commit(rebuild), std::nullopt);
  std::cout << "[ timing ] rebuild of " << kClients << " clients (" << 3 * kClients
            << " elements) into empty sets: " << millisecondsSince(start) << " ms\n";
  start = Clock::now();
  ASSERT_EQ(sets.commit(rebuild), std::nullopt);
  std::cout << "[ timing ] the same rebuild over " << 3 * kClients
            << " present elements (flush + re-add): " << millisecondsSince(start) << " ms\n";
  EXPECT_EQ(sets.counters().commits, 2u);

  std::vector<CaptiveSets::ElementCounters> all;
  start = Clock::now();
  ASSERT_EQ(sets.readCounters(&all), std::nullopt);
  std::cout << "[ timing ] readCounters of " << all.size()
            << " elements: " << millisecondsSince(start) << " ms\n";
  EXPECT_EQ(all.size(), 5 * kClients);
  int status = -1;
  shell(std::string(kNftPath) +
            " get element inet tollgate captive_v4 '{ 10.1.39.15 . 02:00:00:00:27:0f }'",
        &status);
  EXPECT_EQ(status, 0) << "client 9999's IPv4 element is missing";

  CaptiveSets::Batch login;  // a new guest while 30,000 elements are present
  login.allowMac(mac(kClients), 1h);
  login.allowAddress(guestV4(kClients), mac(kClients), 1h);
  login.allowAddress(guestV6(kClients), mac(kClients), 1h);
  start = Clock::now();
  ASSERT_EQ(sets.commit(login), std::nullopt);
  std::cout << "[ timing ] login commit with " << 5 * kClients
            << " elements present: " << millisecondsSince(start) << " ms\n";
  CaptiveSets::Batch logout;
  logout.revokeMac(mac(7));
  logout.revokeAddress(guestV4(7), mac(7));
  logout.revokeAddress(guestV6(7), mac(7));
  start = Clock::now();
  ASSERT_EQ(sets.commit(logout), std::nullopt);
  std::cout << "[ timing ] logout commit with " << 5 * kClients + 5
            << " elements present: " << millisecondsSince(start) << " ms\n";
  ASSERT_EQ(sets.readCounters(&all), std::nullopt);
  EXPECT_EQ(all.size(), 5 * kClients);
}

TEST_F(CaptiveSetsTest, ReadCountersReturnsEveryElement) {
  CaptiveSets sets;
  CaptiveSets::Batch batch;
  batch.allowMac(mac(1), 1h);
  batch.allowMac(mac(2), 0s);
  batch.allowAddress(address("10.0.0.1"), mac(1), 1h);
  batch.allowAddress(address("10.0.0.2"), mac(2), 1h);
  batch.allowAddress(address("2001:db8::1"), mac(1), 1h);
  ASSERT_EQ(sets.commit(batch), std::nullopt);
  std::vector<CaptiveSets::ElementCounters> all;
  ASSERT_EQ(sets.readCounters(&all), std::nullopt);
  EXPECT_EQ(all.size(), 8u);  // 2 MACs, 3 address . MAC, 3 download addresses
  EXPECT_EQ(std::count_if(all.begin(), all.end(), [](const auto& e) { return e.download; }), 3);
  EXPECT_NE(findElement(all, mac(1), std::nullopt), nullptr);
  EXPECT_NE(findElement(all, mac(2), std::nullopt), nullptr);
  EXPECT_NE(findElement(all, mac(1), address("10.0.0.1")), nullptr);
  EXPECT_NE(findElement(all, mac(2), address("10.0.0.2")), nullptr);
  EXPECT_NE(findElement(all, mac(1), address("2001:db8::1")), nullptr);
  for (const auto& e : all) EXPECT_EQ(e.packets, 0u);
  EXPECT_EQ(sets.counters().counterReads, 1u);
}

// Frames sent into one end of a veth pair arrive at the other, pass the prerouting lookups and
// so count on the elements their source addresses match.
std::string sendFrame(int fd, int ifindex, const std::vector<uint8_t>& frame) {
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = ifindex;
  to.sll_halen = 6;
  if (sendto(fd, frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0)
    return std::string("sendto(AF_PACKET): ") + std::strerror(errno);
  return "";
}

std::vector<uint8_t> ipv4Frame(const MacAddress& source, const HostAddress& from) {
  std::vector<uint8_t> f = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  f.insert(f.end(), source.begin(), source.end());
  f.insert(f.end(), {0x08, 0x00});
  // 20-byte header + an 8-byte UDP header: 28 bytes, to 10.0.0.254.
  std::vector<uint8_t> ip = {0x45,
                             0,
                             0,
                             28,
                             0,
                             0,
                             0,
                             0,
                             64,
                             17,
                             0,
                             0,
                             from.bytes[0],
                             from.bytes[1],
                             from.bytes[2],
                             from.bytes[3],
                             10,
                             0,
                             0,
                             254};
  uint32_t sum = 0;
  for (size_t i = 0; i < ip.size(); i += 2) sum += (ip[i] << 8) | ip[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  ip[10] = static_cast<uint8_t>(~sum >> 8);
  ip[11] = static_cast<uint8_t>(~sum);
  f.insert(f.end(), ip.begin(), ip.end());
  f.insert(f.end(), {0x30, 0x39, 0x30, 0x39, 0, 8, 0, 0});
  return f;
}

std::vector<uint8_t> ipv6Frame(const MacAddress& source, const HostAddress& from) {
  std::vector<uint8_t> f = {0x33, 0x33, 0, 0, 0, 1};
  f.insert(f.end(), source.begin(), source.end());
  f.insert(f.end(), {0x86, 0xdd});
  // 40-byte header, no payload (next header 59), to ff02::1.
  f.insert(f.end(), {0x60, 0, 0, 0, 0, 0, 59, 64});
  f.insert(f.end(), from.bytes.begin(), from.bytes.end());
  f.insert(f.end(), {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  return f;
}

TEST_F(CaptiveSetsTest, ElementCountersCountMatchedTrafficAndSurviveRefresh) {
  ASSERT_EQ(nftLoad(kCountingChain), "");
  int status = -1;
  const std::string out =
      shell("ip link add tgA type veth peer name tgB && ip link set tgA up && ip link set tgB up",
            &status);
  ASSERT_EQ(status, 0) << out;
  const int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  const int ifindex = static_cast<int>(if_nametoindex("tgB"));

  CaptiveSets sets;
  CaptiveSets::Batch login;
  login.allowMac(mac(1), 1h);
  login.allowAddress(address("10.0.0.1"), mac(1), 1h);
  login.allowAddress(address("2001:db8::1"), mac(1), 1h);
  ASSERT_EQ(sets.commit(login), std::nullopt);
  EXPECT_EQ(sendFrame(fd, ifindex, ipv4Frame(mac(1), address("10.0.0.1"))), "");
  EXPECT_EQ(sendFrame(fd, ifindex, ipv6Frame(mac(1), address("2001:db8::1"))), "");
  EXPECT_EQ(sendFrame(fd, ifindex, ipv4Frame(mac(2), address("10.0.0.1"))), "");  // no element
  close(fd);

  // The frames cross the veth in softirq context; poll until both have been counted.
  std::vector<CaptiveSets::ElementCounters> all;
  const CaptiveSets::ElementCounters *macElement = nullptr, *v4 = nullptr, *v6 = nullptr;
  for (const auto deadline = Clock::now() + 5s; Clock::now() < deadline;
       std::this_thread::sleep_for(10ms)) {
    ASSERT_EQ(sets.readCounters(&all), std::nullopt);
    macElement = findElement(all, mac(1), std::nullopt);
    v4 = findElement(all, mac(1), address("10.0.0.1"));
    v6 = findElement(all, mac(1), address("2001:db8::1"));
    if (macElement && v4 && v6 && macElement->packets >= 2 && v4->packets >= 1 && v6->packets >= 1)
      break;
  }
  ASSERT_TRUE(macElement && v4 && v6);
  EXPECT_EQ(macElement->packets, 2u);
  EXPECT_EQ(v4->packets, 1u);
  EXPECT_EQ(v4->bytes, 28u);  // the IP packet, as prerouting sees it
  EXPECT_EQ(v6->packets, 1u);
  EXPECT_EQ(v6->bytes, 40u);
  EXPECT_EQ(macElement->bytes, 68u);

  ASSERT_EQ(sets.commit(login), std::nullopt);  // a refresh keeps the counters
  ASSERT_EQ(sets.readCounters(&all), std::nullopt);
  v4 = findElement(all, mac(1), address("10.0.0.1"));
  ASSERT_NE(v4, nullptr);
  EXPECT_EQ(v4->packets, 1u);
  EXPECT_EQ(v4->bytes, 28u);
}

TEST_F(CaptiveSetsTest, MissingTableIsNamedAndTheSocketStaysUsable) {
  CaptiveSets sets("nosuch");
  CaptiveSets::Batch login;
  login.allowMac(mac(1), 1h);
  login.allowAddress(address("10.0.0.1"), mac(1), 1h);
  const std::optional<std::string> error = sets.commit(login);
  ASSERT_TRUE(error.has_value());
  std::cout << "[ message ] " << *error << "\n";
  EXPECT_NE(error->find("table inet nosuch"), std::string::npos) << *error;
  EXPECT_NE(error->find("No such file or directory"), std::string::npos) << *error;
  std::vector<CaptiveSets::ElementCounters> all;
  const std::optional<std::string> readError = sets.readCounters(&all);
  ASSERT_TRUE(readError.has_value());
  EXPECT_NE(readError->find("inet nosuch captive_macs"), std::string::npos) << *readError;

  std::string renamed = kSetsRuleset;
  renamed.replace(renamed.find("tollgate"), 8, "nosuch");
  ASSERT_EQ(nftLoad(renamed), "");
  EXPECT_EQ(sets.commit(login), std::nullopt);  // the same socket, after two refusals
  ASSERT_EQ(sets.readCounters(&all), std::nullopt);
  EXPECT_EQ(all.size(), 3u);  // the MAC, its address . MAC and the download address
  const CaptiveSets::Counters c = sets.counters();
  EXPECT_EQ(c.commits, 1u);
  EXPECT_EQ(c.commitFailures, 1u);
  EXPECT_EQ(c.counterReadFailures, 1u);
}

TEST_F(CaptiveSetsTest, RefusedElementIsNamed) {
  // A captive_v4 declared with another key type refuses our 12-byte keys.
  ASSERT_EQ(nftLoad("delete set inet tollgate captive_v4\n"
                    "add set inet tollgate captive_v4 { type ipv4_addr; flags timeout; }\n"),
            "");
  CaptiveSets sets;
  CaptiveSets::Batch login;
  login.allowMac(mac(7), 1h);
  login.allowAddress(address("10.0.0.7"), mac(7), 1h);
  const std::optional<std::string> error = sets.commit(login);
  ASSERT_TRUE(error.has_value());
  std::cout << "[ message ] " << *error << "\n";
  EXPECT_NE(error->find("set inet tollgate captive_v4"), std::string::npos) << *error;
  EXPECT_NE(error->find("10.0.0.7 . 02:00:00:00:00:07"), std::string::npos) << *error;
  // All or nothing: the MAC, accepted on its own, was not added either.
  EXPECT_EQ(listSet("captive_macs").find("02:00:00:00:00:07"), std::string::npos);
}

TEST_F(CaptiveSetsTest, InvalidAddressFamilyFailsTheBatchBeforeTheKernel) {
  CaptiveSets sets;
  CaptiveSets::Batch login;
  login.allowMac(mac(1), 1h);
  login.allowAddress(HostAddress{AF_UNIX, {}}, mac(1), 1h);
  const std::optional<std::string> error = sets.commit(login);
  ASSERT_TRUE(error.has_value());
  EXPECT_NE(error->find("address family"), std::string::npos) << *error;
  EXPECT_EQ(listSet("captive_macs").find("02:00:00:00:00:01"), std::string::npos);
  EXPECT_EQ(sets.counters().commitFailures, 1u);
}

TEST_F(CaptiveSetsTest, TableNameTheKernelWouldRefuseThrows) {
  EXPECT_THROW(CaptiveSets(std::string(256, 'x')), std::runtime_error);
  EXPECT_THROW(CaptiveSets(std::string()), std::runtime_error);
}

TEST_F(CaptiveSetsTest, EmptyBatchSucceedsWithoutATransaction) {
  CaptiveSets sets;
  EXPECT_EQ(sets.commit(CaptiveSets::Batch{}), std::nullopt);
  EXPECT_EQ(sets.counters().commits, 0u);
}

}  // namespace
}  // namespace tollgate::nf
