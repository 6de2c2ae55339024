#include "filters/groups.h"

#include <gtest/gtest.h>

#include "tests/unit/filters/fake_list.h"

using namespace tollgate::filters;
using namespace tollgate::filters::testing;

namespace {

const std::vector<LoadedList> kNoLists;
const std::map<std::string, std::shared_ptr<const Schedule>, std::less<>> kNoSchedules;
const RuleContext kContext{kNoLists, kNoSchedules};

GroupTable table(std::vector<GroupSpec> specs) {
  std::vector<Group> groups;
  for (const GroupSpec& s : specs) groups.push_back(parseGroup(s, kContext));
  return GroupTable(std::move(groups));
}

std::string errorOf(const GroupSpec& spec) {
  try {
    parseGroup(spec, kContext);
  } catch (const FilterError& e) {
    return e.what();
  }
  return "";
}

PolicyRequest from(const sockaddr_storage* client, std::optional<MacAddress> mac = {}) {
  PolicyRequest r;
  r.client = client;
  r.mac = mac;
  return r;
}

constexpr MacAddress kTablet = {0x02, 0, 0, 0, 0, 0x01};

}  // namespace

TEST(Groups, FirstCidrGroupInConfigOrderWins) {
  GroupTable t = table({groupSpec("kids", "10.0.0.0/25", "", 1),
                        groupSpec("lan", "10.0.0.0/24", "", 2)});
  sockaddr_storage kid = address("10.0.0.7");
  sockaddr_storage adult = address("10.0.0.200");
  EXPECT_EQ(t.select(from(&kid)).group->name, "kids");
  EXPECT_EQ(t.select(from(&adult)).group->name, "lan");
  EXPECT_EQ(t.select(from(&adult)).by, SelectedBy::Cidr);
}

TEST(Groups, MacBeatsAnEarlierGroupsCidr) {
  GroupTable t = table({groupSpec("lan", "10.0.0.0/24", "", 1),
                        groupSpec("kids", "02:00:00:00:00:01", "", 2)});
  sockaddr_storage tablet = address("10.0.0.7");
  GroupChoice c = t.select(from(&tablet, kTablet));
  EXPECT_EQ(c.group->name, "kids");
  EXPECT_EQ(c.by, SelectedBy::Mac);
  EXPECT_EQ(t.select(from(&tablet)).group->name, "lan");  // MAC unknown: CIDR decides
}

TEST(Groups, MacAcceptsDashesAndUpperCase) {
  GroupTable t = table({groupSpec("kids", "02-00-00-00-00-0A", "", 1)});
  EXPECT_EQ(t.select(from(nullptr, MacAddress{2, 0, 0, 0, 0, 0x0a})).group->name, "kids");
}

TEST(Groups, Ipv6CidrSelectsIpv6Client) {
  GroupTable t = table({groupSpec("v6", "fd00:1::/64", "", 1)});
  sockaddr_storage in = address("fd00:1::42");
  sockaddr_storage out = address("fd00:2::42");
  EXPECT_EQ(t.select(from(&in)).group->name, "v6");
  EXPECT_EQ(t.select(from(&out)).group->name, "default");
}

TEST(Groups, V4MappedClientMatchesV4Cidr) {
  GroupTable t = table({groupSpec("kids", "10.0.0.0/24", "", 1)});
  sockaddr_storage mapped = address("::ffff:10.0.0.9");
  EXPECT_EQ(t.select(from(&mapped)).group->name, "kids");
}

TEST(Groups, SingleAddressIsAHostPrefix) {
  GroupTable t = table({groupSpec("one", "10.0.0.7", "", 1)});
  sockaddr_storage a = address("10.0.0.7");
  sockaddr_storage b = address("10.0.0.8");
  EXPECT_EQ(t.select(from(&a)).group->name, "one");
  EXPECT_EQ(t.select(from(&b)).group->name, "default");
}

TEST(Groups, UnknownClientGetsImplicitDefaultAllow) {
  GroupTable t = table({groupSpec("kids", "10.0.0.0/24", "", 1)});
  sockaddr_storage other = address("192.168.1.2");
  GroupChoice c = t.select(from(&other));
  EXPECT_EQ(c.group->name, "default");
  EXPECT_EQ(c.by, SelectedBy::Default);
  EXPECT_EQ(c.group->defaultAction, Action::Allow);
  EXPECT_TRUE(c.group->rules.empty());
}

TEST(Groups, ConfiguredDefaultGroupCatchesUnknownClients) {
  GroupTable t = table({groupSpec("default", "", "", 1, "block"),
                        groupSpec("kids", "10.0.0.0/24", "", 2)});
  sockaddr_storage other = address("192.168.1.2");
  EXPECT_EQ(t.select(from(&other)).group->defaultAction, Action::Block);
  EXPECT_EQ(t.groups().size(), 2u);  // no implicit one added
}

TEST(Groups, NoClientAddressAndNoMacGetsDefault) {
  GroupTable t = table({groupSpec("kids", "10.0.0.0/24", "", 1)});
  EXPECT_EQ(t.select(from(nullptr)).group->name, "default");
}

TEST(Groups, BadCidrFailsAtGroupLine) {
  EXPECT_EQ(errorOf(groupSpec("kids", "10.0.0.0/33", "", 12)),
            "test.conf:12: group.kids: clients: '10.0.0.0/33': prefix length above 32");
  EXPECT_EQ(errorOf(groupSpec("kids", "10.0.0.300", "", 12)),
            "test.conf:12: group.kids: clients: '10.0.0.300' is not an IP address or CIDR");
  EXPECT_EQ(errorOf(groupSpec("kids", "10.0.0.5/24", "", 12)),
            "test.conf:12: group.kids: clients: '10.0.0.5/24': host bits set below /24");
}

TEST(Groups, BadMacFailsAtGroupLine) {
  EXPECT_EQ(errorOf(groupSpec("kids", "02:00:00:00:00:0g", "", 13)),
            "test.conf:13: group.kids: clients: '02:00:00:00:00:0g' is not a MAC address "
            "(aa:bb:cc:dd:ee:ff)");
  EXPECT_NE(errorOf(groupSpec("kids", "02:00:00:00:00", "", 13)), "");
}

TEST(Groups, BadDefaultAndBooleansFailAtGroupLine) {
  EXPECT_EQ(errorOf(groupSpec("kids", "", "", 14, "deny")),
            "test.conf:14: group.kids: default: 'deny' is not allow, block, log or redirect");
  GroupSpec s = groupSpec("kids", "", "", 14);
  s.safeSearch = "maybe";
  EXPECT_EQ(errorOf(s), "test.conf:14: group.kids: safe_search: 'maybe' is not true or false");
}

TEST(Groups, DescribeChoiceSaysWhy) {
  GroupTable t = table({groupSpec("kids", "02:00:00:00:00:01, 10.0.0.0/24", "", 3)});
  sockaddr_storage a = address("10.0.0.7");
  EXPECT_EQ(describeChoice(t.select(from(&a, kTablet)), from(&a, kTablet)),
            "kids (MAC 02:00:00:00:00:01 listed in group.kids at test.conf:3)");
  EXPECT_EQ(describeChoice(t.select(from(&a)), from(&a)),
            "kids (address 10.0.0.7 inside 10.0.0.0/24 of group.kids at test.conf:3)");
}
