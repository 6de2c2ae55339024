// SessionStore on a private in-memory database, and on a file where a close and reopen stands
// in for a daemon restart. Times are offsets from kT0; nothing sleeps.
#include "captive/session_store.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <thread>
#include <vector>

#include "tests/unit/captive/captive_test_support.h"

namespace tollgate::captive {
namespace {

using namespace std::chrono_literals;
using testing::kT0;
using testing::TempDir;
namespace kw = Poco::Data::Keywords;

constexpr const char* kMacA = "02:00:00:00:00:0a";
constexpr const char* kMacB = "02:00:00:00:00:0b";

class SessionStoreTest : public ::testing::Test {
 protected:
  DatabasePtr db_ = std::make_shared<Database>(":memory:");
  SessionStore store_{db_};
};

TEST_F(SessionStoreTest, LoginRecordsTimesMethodAndQuota) {
  Session s = store_.login(kMacA, LoginMethod::Voucher, "ABCD-EFGH-JK", 24h, 30min, 1000, kT0);
  EXPECT_EQ(s.mac, kMacA);
  EXPECT_EQ(s.method, LoginMethod::Voucher);
  EXPECT_EQ(s.user, "ABCD-EFGH-JK");
  EXPECT_EQ(s.start, kT0);
  EXPECT_EQ(s.expires, kT0 + 24h);
  EXPECT_EQ(s.idleTimeout, 30min);
  EXPECT_EQ(s.lastActivity, kT0);
  EXPECT_EQ(s.dataQuota, 1000u);
  EXPECT_EQ(s.bytesUsed(), 0u);
  EXPECT_EQ(s.secondsLeft(kT0 + 1h), 23h);
  EXPECT_EQ(s.bytesLeft(), 1000u);
  EXPECT_EQ(store_.size(), 1u);
  EXPECT_EQ(store_.counters().logins, 1u);
}

TEST_F(SessionStoreTest, LoginRefusesBadArguments) {
  EXPECT_THROW(store_.login("not-a-mac", LoginMethod::ClickThrough, "", 1h, 0s, 0, kT0),
               std::invalid_argument);
  EXPECT_THROW(store_.login("01:00:5e:00:00:01", LoginMethod::ClickThrough, "", 1h, 0s, 0, kT0),
               std::invalid_argument);  // multicast
  EXPECT_THROW(store_.login(kMacA, LoginMethod::ClickThrough, "", 0s, 0s, 0, kT0),
               std::invalid_argument);
  EXPECT_THROW(store_.login(kMacA, LoginMethod::ClickThrough, "", 1h, -1s, 0, kT0),
               std::invalid_argument);
  EXPECT_THROW(store_.login(kMacA, LoginMethod::Account, std::string(300, 'u'), 1h, 0s, 0, kT0),
               std::invalid_argument);
  EXPECT_EQ(store_.size(), 0u);
}

TEST_F(SessionStoreTest, FindAcceptsAnyMacSpelling) {
  store_.login("02-00-00-00-00-0A", LoginMethod::ClickThrough, "", 1h, 0s, 0, kT0);
  ASSERT_TRUE(store_.find(kMacA));
  EXPECT_EQ(store_.find("02:00:00:00:00:0A")->mac, kMacA);
  EXPECT_FALSE(store_.find(kMacB));
  EXPECT_FALSE(store_.find("garbage"));
}

TEST_F(SessionStoreTest, ReloginReplacesSessionButKeepsAddresses) {
  store_.login(kMacA, LoginMethod::ClickThrough, "", 1h, 0s, 0, kT0);
  store_.addAddress(kMacA, "10.0.0.7", kT0);
  store_.touch(kMacA, kT0 + 1s, 100, 200);
  Session s = store_.login(kMacA, LoginMethod::Account, "alice", 2h, 0s, 0, kT0 + 10min);
  EXPECT_EQ(s.method, LoginMethod::Account);
  EXPECT_EQ(s.start, kT0 + 10min);
  EXPECT_EQ(s.expires, kT0 + 10min + 2h);
  EXPECT_EQ(s.bytesUsed(), 0u);
  EXPECT_EQ(s.addresses, std::vector<std::string>{"10.0.0.7"});
  EXPECT_EQ(store_.size(), 1u);
}

TEST_F(SessionStoreTest, ExpireEndsSessionAtItsExpiryNotBefore) {
  store_.login(kMacA, LoginMethod::ClickThrough, "", 1h, 0s, 0, kT0);
  EXPECT_TRUE(store_.expire(kT0 + 1h - 1s).empty());
  auto ended = store_.expire(kT0 + 1h);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].reason, EndReason::Expired);
  EXPECT_EQ(ended[0].session.mac, kMacA);
  EXPECT_FALSE(store_.find(kMacA));
  EXPECT_EQ(store_.counters().ended_expired, 1u);
}

TEST_F(SessionStoreTest, ExpireEndsIdleSessionAfterIdleTimeout) {
  store_.login(kMacA, LoginMethod::ClickThrough, "", 24h, 10min, 0, kT0);
  EXPECT_TRUE(store_.expire(kT0 + 10min - 1s).empty());
  auto ended = store_.expire(kT0 + 10min);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].reason, EndReason::Idle);
  EXPECT_EQ(store_.counters().ended_idle, 1u);
}

TEST_F(SessionStoreTest, TrafficResetsTheIdleClockAndAnEmptyTouchDoesNot) {
  store_.login(kMacA, LoginMethod::ClickThrough, "", 24h, 10min, 0, kT0);
  EXPECT_TRUE(store_.touch(kMacA, kT0 + 9min, 1, 0));
  EXPECT_TRUE(store_.touch(kMacA, kT0 + 15min, 0, 0));  // counted, but no traffic
  EXPECT_EQ(store_.find(kMacA)->lastActivity, kT0 + 9min);
  EXPECT_TRUE(store_.expire(kT0 + 19min - 1s).empty());
  EXPECT_EQ(store_.expire(kT0 + 19min).size(), 1u);
}

TEST_F(SessionStoreTest, LateAccountingNeverMovesActivityBackwards) {
  store_.login(kMacA, LoginMethod::ClickThrough, "", 24h, 10min, 0, kT0);
  store_.touch(kMacA, kT0 + 5min, 1, 0);
  store_.touch(kMacA, kT0 + 4min, 1, 0);
  EXPECT_EQ(store_.find(kMacA)->lastActivity, kT0 + 5min);
}

TEST_F(SessionStoreTest, ExpireEndsSessionOnceUpPlusDownReachTheQuota) {
  store_.login(kMacA, LoginMethod::Voucher, "X", 24h, 0s, 1000, kT0);
  store_.touch(kMacA, kT0 + 1s, 400, 599);
  EXPECT_TRUE(store_.expire(kT0 + 1s).empty());
  EXPECT_EQ(store_.find(kMacA)->bytesLeft(), 1u);
  store_.touch(kMacA, kT0 + 2s, 0, 1);
  auto ended = store_.expire(kT0 + 2s);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].reason, EndReason::Quota);
  EXPECT_EQ(ended[0].session.bytesUp, 400u);
  EXPECT_EQ(ended[0].session.bytesDown, 600u);
  EXPECT_EQ(store_.counters().ended_quota, 1u);
}

TEST_F(SessionStoreTest, ZeroQuotaIsUnlimited) {
  store_.login(kMacA, LoginMethod::ClickThrough, "", 24h, 0s, 0, kT0);
  store_.touch(kMacA, kT0 + 1s, uint64_t{1} << 62, uint64_t{1} << 62);
  EXPECT_TRUE(store_.expire(kT0 + 1s).empty());
  EXPECT_FALSE(store_.find(kMacA)->bytesLeft());
}

TEST_F(SessionStoreTest, CountersSaturateInsteadOfWrapping) {
  store_.login(kMacA, LoginMethod::Voucher, "X", 24h, 0s, 1000, kT0);
  store_.touch(kMacA, kT0 + 1s, UINT64_MAX, 0);
  store_.touch(kMacA, kT0 + 2s, 5, 7);
  EXPECT_EQ(store_.find(kMacA)->bytesUp, UINT64_MAX);
  EXPECT_EQ(store_.find(kMacA)->bytesUsed(), UINT64_MAX);
  EXPECT_EQ(store_.expire(kT0 + 2s).size(), 1u);
}

TEST_F(SessionStoreTest, TimeLimitIsReportedBeforeIdleAndQuota) {
  store_.login(kMacA, LoginMethod::Voucher, "X", 1h, 10min, 10, kT0);
  store_.touch(kMacA, kT0 + 1s, 10, 0);
  auto ended = store_.expire(kT0 + 2h);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].reason, EndReason::Expired);
}

TEST_F(SessionStoreTest, ExpiredSessionFreesItsAddresses) {
  store_.login(kMacA, LoginMethod::ClickThrough, "", 1h, 0s, 0, kT0);
  store_.addAddress(kMacA, "10.0.0.7", kT0);
  store_.expire(kT0 + 1h);
  EXPECT_FALSE(store_.findByAddress("10.0.0.7"));
  // A later login by the same MAC starts with no addresses: they are re-learned.
  EXPECT_TRUE(
      store_.login(kMacA, LoginMethod::ClickThrough, "", 1h, 0s, 0, kT0 + 2h).addresses.empty());
}

TEST_F(SessionStoreTest, TouchOfAnUnknownMacIsFalse) {
  EXPECT_FALSE(store_.touch(kMacA, kT0, 1, 1));
  EXPECT_FALSE(store_.touch("nonsense", kT0, 1, 1));
}

TEST_F(SessionStoreTest, KickEndsTheSessionAndReturnsItsCounts) {
  store_.login(kMacA, LoginMethod::ClickThrough, "", 1h, 0s, 0, kT0);
  store_.addAddress(kMacA, "10.0.0.7", kT0);
  store_.touch(kMacA, kT0 + 1s, 10, 20);
  auto kicked = store_.kick("02-00-00-00-00-0A");
  ASSERT_TRUE(kicked);
  EXPECT_EQ(kicked->bytesUsed(), 30u);
  EXPECT_FALSE(store_.find(kMacA));
  EXPECT_FALSE(store_.findByAddress("10.0.0.7"));
  EXPECT_FALSE(store_.kick(kMacA));
  EXPECT_EQ(store_.counters().kicked, 1u);
}

TEST_F(SessionStoreTest, ExtendMovesTheExpiryBothWays) {
  store_.login(kMacA, LoginMethod::ClickThrough, "", 1h, 0s, 0, kT0);
  EXPECT_EQ(store_.extend(kMacA, 1h)->expires, kT0 + 2h);
  EXPECT_TRUE(store_.expire(kT0 + 1h).empty());
  EXPECT_EQ(store_.extend(kMacA, -90min)->expires, kT0 + 30min);
  EXPECT_EQ(store_.expire(kT0 + 1h).size(), 1u);
  EXPECT_FALSE(store_.extend(kMacB, 1h));
}

TEST_F(SessionStoreTest, ListIsSortedByMac) {
  store_.login(kMacB, LoginMethod::ClickThrough, "", 1h, 0s, 0, kT0);
  store_.login(kMacA, LoginMethod::ClickThrough, "", 1h, 0s, 0, kT0);
  auto all = store_.list();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].mac, kMacA);
  EXPECT_EQ(all[1].mac, kMacB);
}

// --- addresses: a client is its MAC plus every address seen for it ---

TEST_F(SessionStoreTest, AddressesOfBothFamiliesBelongToTheSession) {
  store_.login(kMacA, LoginMethod::ClickThrough, "", 1h, 0s, 0, kT0);
  AddressChange c = store_.addAddress(kMacA, "10.0.0.7", kT0);
  EXPECT_TRUE(c.bound);
  EXPECT_TRUE(c.added);
  EXPECT_TRUE(c.previousOwner.empty());
  store_.addAddress(kMacA, "2001:DB8:0:0::7", kT0);  // stored canonical
  store_.addAddress(kMacA, "::ffff:10.0.0.8", kT0);  // mapped → IPv4
  auto again = store_.addAddress(kMacA, "10.0.0.7", kT0 + 1s);
  EXPECT_TRUE(again.bound);
  EXPECT_FALSE(again.added);
  EXPECT_EQ(store_.find(kMacA)->addresses,
            (std::vector<std::string>{"10.0.0.7", "10.0.0.8", "2001:db8::7"}));
  EXPECT_EQ(store_.findByAddress("2001:db8::7")->mac, kMacA);
  EXPECT_EQ(store_.findByAddress("10.0.0.8")->mac, kMacA);
  EXPECT_FALSE(store_.findByAddress("10.0.0.9"));
  EXPECT_EQ(store_.counters().addresses_added, 3u);
}

TEST_F(SessionStoreTest, AddressNeedsASessionAndAClientAddress) {
  EXPECT_FALSE(store_.addAddress(kMacA, "10.0.0.7", kT0).bound);
  store_.login(kMacA, LoginMethod::ClickThrough, "", 1h, 0s, 0, kT0);
  EXPECT_FALSE(store_.addAddress(kMacA, "fe80::1", kT0).bound);  // per-interface only
  EXPECT_FALSE(store_.addAddress(kMacA, "224.0.0.1", kT0).bound);
  EXPECT_FALSE(store_.addAddress(kMacA, "127.0.0.1", kT0).bound);
  EXPECT_FALSE(store_.addAddress(kMacA, "10.0.0.300", kT0).bound);
  EXPECT_TRUE(store_.find(kMacA)->addresses.empty());
}

TEST_F(SessionStoreTest, AnAddressMovesToTheMacNowUsingIt) {
  store_.login(kMacA, LoginMethod::ClickThrough, "", 1h, 0s, 0, kT0);
  store_.login(kMacB, LoginMethod::ClickThrough, "", 1h, 0s, 0, kT0);
  store_.addAddress(kMacA, "10.0.0.7", kT0);
  AddressChange c = store_.addAddress(kMacB, "10.0.0.7", kT0 + 1min);  // lease reassigned
  EXPECT_TRUE(c.added);
  EXPECT_EQ(c.previousOwner, kMacA);
  EXPECT_TRUE(store_.find(kMacA)->addresses.empty());
  EXPECT_EQ(store_.findByAddress("10.0.0.7")->mac, kMacB);
  EXPECT_EQ(store_.counters().addresses_moved, 1u);
}

TEST(SessionStoreCapTest, TheLeastRecentlySeenAddressMakesRoom) {
  SessionStore::Options options;
  options.maxAddressesPerSession = 2;
  SessionStore store(std::make_shared<Database>(":memory:"), options);
  store.login(kMacA, LoginMethod::ClickThrough, "", 1h, 0s, 0, kT0);
  store.addAddress(kMacA, "2001:db8::1", kT0);
  store.addAddress(kMacA, "2001:db8::2", kT0 + 1s);
  store.addAddress(kMacA, "2001:db8::1", kT0 + 2s);  // seen again: now the newest
  AddressChange c = store.addAddress(kMacA, "2001:db8::3", kT0 + 3s);
  EXPECT_EQ(c.evicted, "2001:db8::2");
  EXPECT_EQ(store.find(kMacA)->addresses, (std::vector<std::string>{"2001:db8::1", "2001:db8::3"}));
  EXPECT_FALSE(store.findByAddress("2001:db8::2"));
  EXPECT_EQ(store.counters().addresses_evicted, 1u);
}

// --- the data plane's snapshot ---

TEST_F(SessionStoreTest, SnapshotAnswersByMacAndByAddress) {
  store_.login(kMacA, LoginMethod::ClickThrough, "", 1h, 0s, 0, kT0);
  store_.addAddress(kMacA, "10.0.0.7", kT0);
  store_.addAddress(kMacA, "2001:db8::7", kT0);
  SessionSnapshotPtr snap = store_.snapshot();
  const MacAddress a = *parseMac(kMacA);
  ASSERT_NE(snap->byMac(a, kT0), nullptr);
  EXPECT_EQ(snap->byMac(a, kT0)->expires, kT0 + 1h);
  EXPECT_EQ(snap->byMac(*parseMac(kMacB), kT0), nullptr);
  const auto* byV6 = snap->byAddress(*parseClientAddress("2001:db8::7"), kT0);
  ASSERT_NE(byV6, nullptr);
  EXPECT_EQ(byV6->mac, a);
  EXPECT_EQ(snap->size(), 1u);
  EXPECT_EQ(snap->addressCount(), 2u);
}

TEST_F(SessionStoreTest, SnapshotFindsAnIpv4ClientSeenThroughADualStackSocket) {
  store_.login(kMacA, LoginMethod::ClickThrough, "", 1h, 0s, 0, kT0);
  store_.addAddress(kMacA, "10.0.0.7", kT0);
  sockaddr_in6 peer{};
  peer.sin6_family = AF_INET6;
  ASSERT_EQ(inet_pton(AF_INET6, "::ffff:10.0.0.7", &peer.sin6_addr), 1);
  auto address = clientAddressFrom(reinterpret_cast<const sockaddr*>(&peer));
  ASSERT_TRUE(address);
  EXPECT_NE(store_.snapshot()->byAddress(*address, kT0), nullptr);
}

TEST_F(SessionStoreTest, SnapshotHonoursTheExpiryBeforeTheNextTick) {
  store_.login(kMacA, LoginMethod::ClickThrough, "", 1h, 0s, 0, kT0);
  store_.addAddress(kMacA, "10.0.0.7", kT0);
  SessionSnapshotPtr snap = store_.snapshot();
  EXPECT_NE(snap->byAddress(*parseClientAddress("10.0.0.7"), kT0 + 1h - 1s), nullptr);
  EXPECT_EQ(snap->byAddress(*parseClientAddress("10.0.0.7"), kT0 + 1h), nullptr);
  EXPECT_EQ(snap->byMac(*parseMac(kMacA), kT0 + 1h), nullptr);
}

TEST_F(SessionStoreTest, SnapshotIsRebuiltOnlyWhenSomethingChanged) {
  store_.login(kMacA, LoginMethod::ClickThrough, "", 1h, 0s, 0, kT0);
  SessionSnapshotPtr first = store_.snapshot();
  store_.touch(kMacA, kT0 + 1s, 10, 10);  // accounting is not in the snapshot
  store_.expire(kT0 + 1s);                // nothing ended
  store_.addAddress(kMacA, "garbage", kT0);
  EXPECT_EQ(store_.snapshot(), first);
  store_.addAddress(kMacA, "10.0.0.7", kT0);
  SessionSnapshotPtr second = store_.snapshot();
  EXPECT_NE(second, first);
  EXPECT_GT(second->version(), first->version());
  store_.extend(kMacA, 1h);
  EXPECT_EQ(store_.snapshot()->byMac(*parseMac(kMacA), kT0)->expires, kT0 + 2h);
  EXPECT_EQ(store_.counters().snapshots, 3u);
}

TEST_F(SessionStoreTest, APublishedSnapshotNeverChangesUnderItsReaders) {
  store_.login(kMacA, LoginMethod::ClickThrough, "", 1h, 0s, 0, kT0);
  SessionSnapshotPtr before = store_.snapshot();
  store_.kick(kMacA);
  EXPECT_NE(before->byMac(*parseMac(kMacA), kT0), nullptr);
  EXPECT_EQ(store_.snapshot()->byMac(*parseMac(kMacA), kT0), nullptr);
}

// The index behind the snapshot is updated change by change and copied shard by shard; after
// any mix of changes, every published snapshot must equal what list() says at that moment.
TEST(SessionSnapshotConsistencyTest, IncrementalRebuildsMatchTheStoreAfterEveryChange) {
  SessionStore store(std::make_shared<Database>(":memory:"));
  auto macOf = [](int i) {
    char buf[18];
    std::snprintf(buf, sizeof buf, "02:00:00:00:%02x:%02x", i >> 8, i & 0xff);
    return std::string(buf);
  };
  auto check = [&](const SessionSnapshot& snap) {
    const auto sessions = store.list();
    size_t addresses = 0;
    ASSERT_EQ(snap.size(), sessions.size());
    for (const Session& s : sessions) {
      const auto* e = snap.byMac(*parseMac(s.mac), kT0);
      ASSERT_NE(e, nullptr) << s.mac;
      EXPECT_EQ(e->expires, s.expires) << s.mac;
      for (const std::string& a : s.addresses) {
        const auto* owner = snap.byAddress(*parseClientAddress(a), kT0);
        ASSERT_NE(owner, nullptr) << a;
        EXPECT_EQ(formatMac(owner->mac), s.mac) << a;
        ++addresses;
      }
    }
    EXPECT_EQ(snap.addressCount(), addresses);
    size_t visited = 0;
    snap.forEachAddress([&](const IpAddress&, const MacAddress&) { ++visited; });
    EXPECT_EQ(visited, addresses);
  };
  std::vector<SessionSnapshotPtr> history;
  for (int i = 0; i < 300; ++i) {
    store.login(macOf(i), LoginMethod::ClickThrough, "", 1h + Seconds{i}, 0s, 0, kT0);
    store.addAddress(macOf(i), "10.1." + std::to_string(i >> 8) + "." + std::to_string(i & 255),
                     kT0);
    if (i % 7 == 0) store.addAddress(macOf(i), "2001:db8::" + std::to_string(i), kT0);
    if (i % 50 == 0) history.push_back(store.snapshot());
  }
  check(*store.snapshot());
  for (int i = 0; i < 300; i += 3) store.kick(macOf(i));
  for (int i = 1; i < 300; i += 3) store.extend(macOf(i), 1h);
  store.addAddress(macOf(2), "10.1.0.4", kT0);  // taken from ...:04
  check(*store.snapshot());
  EXPECT_EQ(store.expire(kT0 + 1h + 100s).size(), 33u);  // i = 2, 5, ... 98
  check(*store.snapshot());
  // Earlier snapshots are untouched by everything since: the first one still has one session.
  EXPECT_EQ(history.front()->size(), 1u);
  EXPECT_NE(history.front()->byMac(*parseMac(macOf(0)), kT0), nullptr);
}

TEST(SessionConcurrencyTest, ControlPlaneCallsFromManyThreadsStayConsistent) {
  // The portal's HTTP threads, the control socket and the accounting tick share one store.
  // Run under TSan to check the locking; here it checks nothing is lost.
  SessionStore store(std::make_shared<Database>(":memory:"));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        char mac[18];
        std::snprintf(mac, sizeof mac, "02:00:00:00:%02x:%02x", t, i);
        store.login(mac, LoginMethod::ClickThrough, "", 1h, 0s, 0, kT0);
        store.addAddress(mac, "10.2." + std::to_string(t) + "." + std::to_string(i + 1), kT0);
        store.touch(mac, kT0 + 1s, 1, 1);
        SessionSnapshotPtr snap = store.snapshot();
        EXPECT_NE(snap->byMac(*parseMac(mac), kT0), nullptr);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(store.size(), 200u);
  EXPECT_EQ(store.snapshot()->addressCount(), 200u);
  EXPECT_EQ(store.expire(kT0 + 1h).size(), 200u);
}

// --- persistence: a close and reopen of the file is a daemon restart ---

TEST(SessionPersistenceTest, SessionsSurviveARestart) {
  TempDir dir;
  const std::string path = dir.file("captive.db");
  {
    auto db = std::make_shared<Database>(path);
    SessionStore store(db);
    store.login(kMacA, LoginMethod::Voucher, "ABCD-EFGH-JK", 24h, 30min, 5000, kT0);
    store.login(kMacB, LoginMethod::ClickThrough, "", 1h, 0s, 0, kT0);
    store.addAddress(kMacA, "10.0.0.7", kT0);
    store.addAddress(kMacA, "2001:db8::7", kT0);
    store.touch(kMacA, kT0 + 5s, 100, 200);  // pending: the destructor flushes it
  }
  auto db = std::make_shared<Database>(path);
  SessionStore store(db);
  ASSERT_EQ(store.size(), 2u);
  auto a = store.find(kMacA);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->method, LoginMethod::Voucher);
  EXPECT_EQ(a->user, "ABCD-EFGH-JK");
  EXPECT_EQ(a->start, kT0);
  EXPECT_EQ(a->expires, kT0 + 24h);
  EXPECT_EQ(a->idleTimeout, 30min);
  EXPECT_EQ(a->lastActivity, kT0 + 5s);
  EXPECT_EQ(a->dataQuota, 5000u);
  EXPECT_EQ(a->bytesUp, 100u);
  EXPECT_EQ(a->bytesDown, 200u);
  EXPECT_EQ(a->addresses, (std::vector<std::string>{"10.0.0.7", "2001:db8::7"}));
  EXPECT_EQ(store.findByAddress("2001:db8::7")->mac, kMacA);
  // And the rebuilt state keeps working: the firewall sets come from this snapshot.
  EXPECT_EQ(store.snapshot()->addressCount(), 2u);
  auto ended = store.expire(kT0 + 1h);
  ASSERT_EQ(ended.size(), 2u);
  EXPECT_EQ(ended[0].reason, EndReason::Idle);  // A: restored last activity + 30 min
  EXPECT_EQ(ended[1].reason, EndReason::Expired);
  EXPECT_EQ(ended[1].session.mac, kMacB);
}

TEST(SessionPersistenceTest, EndedSessionsStayEndedAfterARestart) {
  TempDir dir;
  const std::string path = dir.file("captive.db");
  {
    SessionStore store(std::make_shared<Database>(path));
    store.login(kMacA, LoginMethod::ClickThrough, "", 1h, 0s, 0, kT0);
    store.login(kMacB, LoginMethod::ClickThrough, "", 2h, 0s, 0, kT0);
    store.addAddress(kMacA, "10.0.0.7", kT0);
    store.kick(kMacA);
    store.extend(kMacB, 1h);
  }
  SessionStore store(std::make_shared<Database>(path));
  EXPECT_FALSE(store.find(kMacA));
  EXPECT_FALSE(store.findByAddress("10.0.0.7"));
  EXPECT_EQ(store.find(kMacB)->expires, kT0 + 3h);
}

TEST(SessionPersistenceTest, AccountingReachesTheFileOncePerFlushInterval) {
  TempDir dir;
  const std::string path = dir.file("captive.db");
  SessionStore::Options options;
  options.flushInterval = 60s;
  SessionStore store(std::make_shared<Database>(path), options);
  Database reader(path);  // a second connection sees only what was committed
  auto bytesOnDisk = [&] {
    Poco::Int64 up = -1;
    reader.query("read", [&](Poco::Data::Session& s) {
      s << "SELECT bytes_up FROM sessions WHERE mac = ?", kw::bind(std::string(kMacA)),
          kw::into(up), kw::now;
    });
    return up;
  };
  store.login(kMacA, LoginMethod::ClickThrough, "", 24h, 0s, 0, kT0);
  store.touch(kMacA, kT0 + 1s, 10, 0);  // starts the interval
  store.touch(kMacA, kT0 + 59s, 10, 0);
  EXPECT_EQ(bytesOnDisk(), 0);
  store.touch(kMacA, kT0 + 61s, 10, 0);  // due: written with this interval's bytes
  EXPECT_EQ(bytesOnDisk(), 30);
  EXPECT_EQ(store.counters().flushes, 1u);
  store.touch(kMacA, kT0 + 62s, 5, 0);
  store.flush();
  EXPECT_EQ(bytesOnDisk(), 35);
}

TEST(SessionDatabaseTest, AFileIsInWalModeAtTheCurrentSchemaVersion) {
  TempDir dir;
  Database db(dir.file("captive.db"));
  EXPECT_EQ(db.journalMode(), "wal");
  EXPECT_EQ(db.schemaVersion(), Database::kSchemaVersion);
  int version = 0;
  db.query("read",
           [&](Poco::Data::Session& s) { s << "PRAGMA user_version", kw::into(version), kw::now; });
  EXPECT_EQ(version, Database::kSchemaVersion);
  // Reopening runs no migration twice (it would fail on CREATE TABLE).
  EXPECT_NO_THROW(Database again(dir.file("captive.db")));
}

TEST(SessionDatabaseTest, AFileFromANewerTollgateIsRefusedByName) {
  TempDir dir;
  const std::string path = dir.file("captive.db");
  {
    Database db(path);
    db.transaction("bump",
                   [](Poco::Data::Session& s) { s << "PRAGMA user_version = 99", kw::now; });
  }
  try {
    Database db(path);
    FAIL() << "opened a schema-99 file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
  }
}

TEST(SessionDatabaseTest, AnUnopenableFileIsReportedWithItsPath) {
  const std::string path = "/nonexistent-tollgate-dir/captive.db";
  try {
    Database db(path);
    FAIL() << "opened " << path;
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("captive database " + path), std::string::npos)
        << e.what();
  }
}

TEST(SessionDatabaseTest, SqlErrorsSurfaceAsRuntimeErrorsNamingThePath) {
  TempDir dir;
  const std::string path = dir.file("captive.db");
  auto db = std::make_shared<Database>(path);
  SessionStore store(db);
  {
    Database vandal(path);
    vandal.transaction("drop", [](Poco::Data::Session& s) {
      s << "DROP TABLE session_addresses", kw::now;
      s << "DROP TABLE sessions", kw::now;
    });
  }
  try {
    store.login(kMacA, LoginMethod::ClickThrough, "", 1h, 0s, 0, kT0);
    FAIL() << "login succeeded without a sessions table";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("captive database " + path + ": login"), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(store.find(kMacA));  // memory follows only committed writes
}

TEST(SessionDatabaseTest, AFailedTransactionLeavesNothingBehind) {
  auto db = std::make_shared<Database>(":memory:");
  EXPECT_THROW(db->transaction("half",
                               [](Poco::Data::Session& s) {
                                 s << "INSERT INTO vouchers (code, duration, data_quota, devices,"
                                      " created) VALUES ('AAAAAAAAAA', 1, 0, 1, 0)",
                                     kw::now;
                                 s << "INSERT INTO no_such_table VALUES (1)", kw::now;
                               }),
               std::runtime_error);
  int n = -1;
  db->query("count", [&](Poco::Data::Session& s) {
    s << "SELECT COUNT(*) FROM vouchers", kw::into(n), kw::now;
  });
  EXPECT_EQ(n, 0);
}

// --- identity parsing ---

TEST(SessionClientIdTest, MacSpellings) {
  EXPECT_EQ(canonicalMac("02:00:5E:10:00:0A"), "02:00:5e:10:00:0a");
  EXPECT_EQ(canonicalMac("02-00-5e-10-00-0a"), "02:00:5e:10:00:0a");
  EXPECT_FALSE(canonicalMac("02:00-5e:10:00:0a"));  // mixed separators
  EXPECT_FALSE(canonicalMac("02:00:5e:10:00"));     // five groups
  EXPECT_FALSE(canonicalMac("2:0:5e:10:0:a"));      // one-digit groups
  EXPECT_FALSE(canonicalMac("02:00:5e:10:00:0g"));
  EXPECT_FALSE(canonicalMac("ff:ff:ff:ff:ff:ff"));  // broadcast
  EXPECT_FALSE(canonicalMac("01:00:5e:00:00:01"));  // multicast
  EXPECT_FALSE(canonicalMac("fd00::1:2:3:4"));
}

TEST(SessionClientIdTest, ClientAddresses) {
  EXPECT_EQ(canonicalAddress("10.0.0.7"), "10.0.0.7");
  EXPECT_EQ(canonicalAddress("2001:0DB8::0007"), "2001:db8::7");
  EXPECT_EQ(canonicalAddress("::ffff:192.168.1.2"), "192.168.1.2");
  EXPECT_EQ(canonicalAddress("fd00::1"), "fd00::1");
  for (const char* refused : {"0.0.0.0", "127.0.0.1", "224.0.0.251", "255.255.255.255", "::", "::1",
                              "ff02::1", "fe80::1", "febf::1", "10.0.0", "10.0.0.7/24", "", "x"}) {
    EXPECT_FALSE(canonicalAddress(refused)) << refused;
  }
  EXPECT_FALSE(canonicalAddress(std::string(100, '1')));
}

}  // namespace
}  // namespace tollgate::captive
