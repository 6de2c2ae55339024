#include <gtest/gtest.h>

#include "tests/unit/filters/list_fixture.h"

namespace tollgate::filters {
namespace {

using namespace list_testing;

class CidrList : public ::testing::Test {
 protected:
  CompiledListPtr load(const std::string& content) {
    return loadOne("cidr", dir_.write("nets.txt", content));
  }
  std::optional<EntryOrigin> matchAddress(const CompiledList& list, const std::string& text) {
    sockaddr_storage ss = address(text);
    MatchInput in;
    in.destination = &ss;
    return list.match(in);
  }
  TempDir dir_;
};

TEST_F(CidrList, MatchesV4Prefixes) {
  auto list = load("# nets\n10.0.0.0/8\n192.0.2.7\n");
  auto hit = matchAddress(*list, "10.20.30.40");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->entry, "10.0.0.0/8");
  EXPECT_EQ(hit->line, 2);
  EXPECT_EQ(matchAddress(*list, "192.0.2.7")->line, 3);
  EXPECT_FALSE(matchAddress(*list, "192.0.2.8"));
  EXPECT_FALSE(matchAddress(*list, "11.0.0.1"));
}

TEST_F(CidrList, MatchesV6Prefixes) {
  auto list = load("2001:db8::/32\nfd00::1\n2001:db8:1:2:3:4::/100\n");
  EXPECT_EQ(matchAddress(*list, "2001:db8:ffff::1")->line, 1);
  EXPECT_EQ(matchAddress(*list, "fd00::1")->line, 2);
  EXPECT_FALSE(matchAddress(*list, "fd00::2"));
  EXPECT_FALSE(matchAddress(*list, "2001:db9::1"));
}

TEST_F(CidrList, MatchesV4MappedDestinationsAsV4) {
  auto list = load("198.51.100.0/24\n");
  EXPECT_TRUE(matchAddress(*list, "::ffff:198.51.100.9"));
  EXPECT_FALSE(matchAddress(*list, "::ffff:198.51.101.9"));
}

TEST_F(CidrList, StoresMappedEntriesAsV4) {
  auto list = load("::ffff:203.0.113.0/120\n");
  EXPECT_TRUE(matchAddress(*list, "203.0.113.5"));
  EXPECT_TRUE(matchAddress(*list, "::ffff:203.0.113.5"));
}

TEST_F(CidrList, V4NeverMatchesV6Entries) {
  auto list = load("::/0\n");
  EXPECT_FALSE(matchAddress(*list, "192.0.2.1"));
  EXPECT_TRUE(matchAddress(*list, "2001:db8::1"));
}

TEST_F(CidrList, ReportsTheFirstContainingEntryInFileOrder) {
  auto list = load("10.1.0.0/16\n10.0.0.0/8\n10.1.2.3\n");
  EXPECT_EQ(matchAddress(*list, "10.1.2.3")->line, 1);
  EXPECT_EQ(matchAddress(*list, "10.2.0.1")->line, 2);
}

TEST_F(CidrList, SkipsBadEntriesAndHostBits) {
  auto list = load("10.0.0.5/24\nnot-an-ip\n10.0.0.0/33\n192.0.2.0/24\n");
  EXPECT_EQ(list->stats().entries, 1u);
  EXPECT_EQ(list->stats().skipped, 3u);
}

TEST_F(CidrList, NullDestinationNeverMatches) {
  auto list = load("0.0.0.0/0\n");
  EXPECT_FALSE(matchHost(*list, "example.com"));
  EXPECT_TRUE(matchAddress(*list, "192.0.2.1"));
}

}  // namespace
}  // namespace tollgate::filters
