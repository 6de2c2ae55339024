#include "filters/engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "tests/unit/filters/fake_list.h"

using namespace tollgate::filters;
using namespace tollgate::filters::testing;

namespace {

// Times in UTC; the fixture pins TZ so schedules are deterministic.
constexpr int64_t kSunday2130 = 1714944600;   // Sun 2024-05-05 21:30
constexpr int64_t kMonday0600 = 1714975200;   // Mon 2024-05-06 06:00
constexpr int64_t kMonday1500 = 1715007600;   // Mon 2024-05-06 15:00
constexpr int64_t kFriday2130 = 1715376600;   // Fri 2024-05-10 21:30

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = std::getenv("TZ");
    hadTz_ = tz != nullptr;
    if (hadTz_) savedTz_ = tz;
    setenv("TZ", "UTC", 1);
    tzset();
    lists_ = {
        {"ads", {fake("ads", {"doubleclick.net", "ads.example"})}},
        {"social", {fake("social", {"facebook.com", "youtube.com", "tiktok.com"})}},
        {"homework", {fake("homework", {"youtube.com", "khanacademy.org"})}},
        {"blacklists",
         {fake("blacklists/adult", {"adult.example"}, "adult"),
          fake("blacklists/gambling", {"casino.example"}, "gambling")}},
    };
    spec_.lists = {listSpec("ads", 1), listSpec("social", 4), listSpec("homework", 7),
                   listSpec("blacklists", 10)};
    spec_.schedules = {ScheduleSpec{"school-nights", "sun-thu", "21:00-07:00", "test.conf", 20}};
    spec_.filter.configFile = "test.conf";
    spec_.filter.configLine = 30;
  }
  void TearDown() override {
    if (hadTz_) setenv("TZ", savedTz_.c_str(), 1); else unsetenv("TZ");
    tzset();
  }

  PolicyEnginePtr build() {
    return buildPolicyEngine(spec_, [this] { return now_; }, fakeLoader(lists_));
  }
  std::string buildError() {
    try {
      build();
    } catch (const FilterError& e) {
      return e.what();
    }
    return "";
  }

  PolicyRequest http(const char* host, const char* url = "") {
    PolicyRequest r;
    r.protocol = Protocol::Http;
    r.client = &client_;
    r.destination = &destination_;
    r.host = host;
    r.url = url;
    return r;
  }

  PolicySpec spec_;
  FakeLists lists_;
  int64_t now_ = kMonday1500;
  sockaddr_storage client_ = address("10.0.0.7");
  sockaddr_storage destination_ = address("203.0.113.5");
  bool hadTz_ = false;
  std::string savedTz_;
};

}  // namespace

TEST_F(EngineTest, AllowRuleBeforeBlockCarvesOutAnException) {
  spec_.groups = {groupSpec("kids", "10.0.0.0/24", "allow homework; block social", 40)};
  auto engine = build();
  Verdict yt = engine->decide(http("www.youtube.com"));
  EXPECT_EQ(yt.action, Action::Allow);
  EXPECT_EQ(yt.rule, "allow homework");
  Verdict fb = engine->decide(http("facebook.com"));
  EXPECT_EQ(fb.action, Action::Block);
  EXPECT_EQ(fb.rule, "block social");
}

TEST_F(EngineTest, FirstMatchingRuleWinsSoOrderMatters) {
  spec_.groups = {groupSpec("kids", "10.0.0.0/24", "block social; allow homework", 40)};
  EXPECT_EQ(build()->decide(http("youtube.com")).action, Action::Block);
}

TEST_F(EngineTest, VerdictNamesRuleListCategoryGroupAndEntry) {
  spec_.groups = {groupSpec("kids", "10.0.0.0/24", "block   ads ;", 40)};
  Verdict v = build()->decide(http("ad.doubleclick.net"));
  EXPECT_EQ(v.action, Action::Block);
  EXPECT_EQ(v.rule, "block ads");
  EXPECT_EQ(v.list, "ads");
  EXPECT_EQ(v.category, "ads");
  EXPECT_EQ(v.group, "kids");
  EXPECT_EQ(v.entry, "");  // decide() does not look up line numbers
  EXPECT_EQ(build()->explain(http("ad.doubleclick.net")).verdict.entry,
            "ads.txt:1: doubleclick.net");
}

TEST_F(EngineTest, NoRuleMatchedFallsToGroupDefault) {
  spec_.groups = {groupSpec("kids", "10.0.0.0/24", "allow homework", 40, "block")};
  Verdict v = build()->decide(http("example.org"));
  EXPECT_EQ(v.action, Action::Block);
  EXPECT_EQ(v.rule, "default");
  EXPECT_EQ(v.list, "");
  EXPECT_EQ(v.group, "kids");
}

TEST_F(EngineTest, ClientInNoGroupUsesDefaultGroup) {
  spec_.groups = {groupSpec("kids", "10.1.0.0/24", "block social", 40),
                  groupSpec("default", "", "block ads", 41)};
  auto engine = build();
  Verdict v = engine->decide(http("doubleclick.net"));
  EXPECT_EQ(v.group, "default");
  EXPECT_EQ(v.action, Action::Block);
  EXPECT_EQ(engine->decide(http("facebook.com")).action, Action::Allow);
}

TEST_F(EngineTest, WithoutDefaultGroupEverythingUnknownIsAllowed) {
  spec_.groups = {groupSpec("kids", "10.1.0.0/24", "block social", 40)};
  Verdict v = build()->decide(http("facebook.com"));
  EXPECT_EQ(v.group, "default");
  EXPECT_EQ(v.action, Action::Allow);
  EXPECT_EQ(v.rule, "default");
}

TEST_F(EngineTest, GroupByMacWinsOverGroupByCidr) {
  spec_.groups = {groupSpec("lan", "10.0.0.0/24", "", 40),
                  groupSpec("kids", "02:00:00:00:00:01", "block social", 41)};
  auto engine = build();
  PolicyRequest r = http("facebook.com");
  EXPECT_EQ(engine->decide(r).group, "lan");
  r.mac = MacAddress{2, 0, 0, 0, 0, 1};
  Verdict v = engine->decide(r);
  EXPECT_EQ(v.group, "kids");
  EXPECT_EQ(v.action, Action::Block);
}

TEST_F(EngineTest, ScheduledRuleBlocksOnSchoolNightsAcrossMidnight) {
  spec_.groups = {groupSpec("kids", "10.0.0.0/24", "block social @school-nights", 40)};
  auto engine = build();
  now_ = kSunday2130;
  Verdict v = engine->decide(http("facebook.com"));
  EXPECT_EQ(v.action, Action::Block);
  EXPECT_EQ(v.rule, "block social @school-nights");
  now_ = kMonday0600;  // still Sunday night's window
  EXPECT_EQ(engine->decide(http("facebook.com")).action, Action::Block);
  now_ = kMonday1500;
  EXPECT_EQ(engine->decide(http("facebook.com")).action, Action::Allow);
  now_ = kFriday2130;  // Friday is not a school night
  EXPECT_EQ(engine->decide(http("facebook.com")).action, Action::Allow);
}

TEST_F(EngineTest, RequestTimeOverridesTheClock) {
  spec_.groups = {groupSpec("kids", "10.0.0.0/24", "block social @school-nights", 40)};
  auto engine = build();
  PolicyRequest r = http("facebook.com");
  r.unixTime = kSunday2130;
  EXPECT_EQ(engine->decide(r).action, Action::Block);  // clock says Monday 15:00
}

TEST_F(EngineTest, InactiveScheduledRuleLetsLaterRulesDecide) {
  spec_.groups = {
      groupSpec("kids", "10.0.0.0/24", "allow social @school-nights; block social", 40)};
  auto engine = build();
  now_ = kSunday2130;
  EXPECT_EQ(engine->decide(http("facebook.com")).action, Action::Allow);
  now_ = kMonday1500;
  EXPECT_EQ(engine->decide(http("facebook.com")).rule, "block social");
}

TEST_F(EngineTest, NeverBlockHostWinsOverEveryRule) {
  spec_.filter.neverBlock = "youtube.com, 192.0.2.0/24";
  spec_.groups = {groupSpec("kids", "10.0.0.0/24", "block social", 40, "block")};
  auto engine = build();
  Verdict v = engine->decide(http("www.youtube.com"));
  EXPECT_EQ(v.action, Action::Allow);
  EXPECT_EQ(v.rule, "never_block");
  EXPECT_EQ(engine->explain(http("www.youtube.com")).verdict.entry, "test.conf:30: youtube.com");
  EXPECT_EQ(v.group, "kids");
  EXPECT_EQ(engine->decide(http("notyoutube.com")).action, Action::Block);
}

TEST_F(EngineTest, NeverBlockCidrMatchesTheDestination) {
  spec_.filter.neverBlock = "192.0.2.0/24";
  spec_.groups = {groupSpec("kids", "10.0.0.0/24", "", 40, "block")};
  auto engine = build();
  destination_ = address("192.0.2.10");
  Verdict v = engine->decide(http(""));
  EXPECT_EQ(v.rule, "never_block");
  EXPECT_EQ(engine->explain(http("")).verdict.entry, "test.conf:30: 192.0.2.0/24");
  destination_ = address("198.51.100.1");
  EXPECT_EQ(engine->decide(http("")).action, Action::Block);
}

TEST_F(EngineTest, BlockEchBlocksTlsWithEchBeforeRules) {
  GroupSpec g = groupSpec("kids", "10.0.0.0/24", "allow homework", 40);
  g.blockEch = "true";
  spec_.groups = {g};
  auto engine = build();
  PolicyRequest r = http("youtube.com");
  r.protocol = Protocol::Tls;
  r.hasEch = true;
  Verdict v = engine->decide(r);
  EXPECT_EQ(v.action, Action::Block);
  EXPECT_EQ(v.rule, "block_ech");
  r.hasEch = false;
  EXPECT_EQ(engine->decide(r).rule, "allow homework");
}

TEST_F(EngineTest, EchIsAllowedWhenGroupDoesNotBlockIt) {
  spec_.groups = {groupSpec("kids", "10.0.0.0/24", "", 40)};
  PolicyRequest r = http("cloudflare-ech.com");
  r.protocol = Protocol::Tls;
  r.hasEch = true;
  EXPECT_EQ(build()->decide(r).action, Action::Allow);
}

TEST_F(EngineTest, Ut1CategoryWordsResolveBySectionSlashCategoryAndBareCategory) {
  spec_.groups = {groupSpec("a", "10.0.0.0/24", "block blacklists/adult", 40),
                  groupSpec("b", "10.1.0.0/24", "block gambling", 41),
                  groupSpec("c", "10.2.0.0/24", "block blacklists", 42)};
  auto engine = build();
  Verdict v = engine->decide(http("adult.example"));
  EXPECT_EQ(v.action, Action::Block);
  EXPECT_EQ(v.list, "blacklists/adult");
  EXPECT_EQ(v.category, "adult");
  EXPECT_EQ(engine->decide(http("casino.example")).action, Action::Allow);  // group a
  client_ = address("10.1.0.1");
  EXPECT_EQ(engine->decide(http("casino.example")).category, "gambling");
  EXPECT_EQ(engine->decide(http("adult.example")).action, Action::Allow);
  client_ = address("10.2.0.1");
  EXPECT_EQ(engine->decide(http("adult.example")).action, Action::Block);
  EXPECT_EQ(engine->decide(http("casino.example")).action, Action::Block);
}

TEST_F(EngineTest, SafeSearchRewritesAllowedHttpSearchesOfSafeGroupsOnly) {
  GroupSpec kids = groupSpec("kids", "10.0.0.0/24", "", 40);
  kids.safeSearch = "true";
  spec_.groups = {kids};
  auto engine = build();
  Verdict v = engine->decide(http("www.google.com", "http://www.google.com/search?q=x"));
  EXPECT_EQ(v.action, Action::Allow);
  EXPECT_EQ(v.safeSearchUrl, "http://www.google.com/search?q=x&safe=active");
  EXPECT_EQ(engine->decide(http("www.google.com", v.safeSearchUrl.c_str())).safeSearchUrl, "");
  PolicyRequest tls = http("www.google.com");
  tls.protocol = Protocol::Tls;
  EXPECT_EQ(engine->decide(tls).safeSearchUrl, "");
  client_ = address("10.9.0.1");  // default group: no safe search
  EXPECT_EQ(engine->decide(http("www.google.com", "http://www.google.com/search?q=x"))
                .safeSearchUrl,
            "");
}

TEST_F(EngineTest, DnsQueriesOfSafeGroupsGetTheSafeHostAndFilteringGroupsSayIt) {
  GroupSpec kids = groupSpec("kids", "10.0.0.0/24", "block social", 40);
  kids.safeSearch = "true";
  spec_.groups = {kids};
  auto engine = build();
  auto dns = [&](const char* name) {
    PolicyRequest r = http(name);
    r.protocol = Protocol::Dns;
    return engine->decide(r);
  };
  Verdict v = dns("www.google.de");
  EXPECT_EQ(v.action, Action::Allow);
  EXPECT_EQ(v.safeSearchHost, "forcesafesearch.google.com");
  EXPECT_TRUE(v.groupFilters);
  EXPECT_EQ(dns("www.youtube.com").action, Action::Block);  // the list still wins
  EXPECT_EQ(dns("www.youtube.com").safeSearchHost, "");
  EXPECT_EQ(dns("example.org").safeSearchHost, "");
  client_ = address("10.9.0.1");  // default group: allow-all, no safe search
  EXPECT_EQ(dns("www.google.de").safeSearchHost, "");
  EXPECT_FALSE(dns("example.org").groupFilters);
}

TEST_F(EngineTest, QuicIsJudgedLikeTlsIncludingBlockEch) {
  GroupSpec kids = groupSpec("kids", "10.0.0.0/24", "block social", 40);
  kids.blockEch = "true";
  spec_.groups = {kids};
  auto engine = build();
  PolicyRequest q = http("www.facebook.com");
  q.protocol = Protocol::Quic;
  EXPECT_EQ(engine->decide(q).action, Action::Block);
  q.host = "example.org";
  q.hasEch = true;
  EXPECT_EQ(engine->decide(q).rule, "block_ech");
}

TEST_F(EngineTest, DohEndpointsAreBlockedForFilteringGroupsOnly) {
  GroupSpec kids = groupSpec("kids", "10.0.0.0/24", "block social", 40);
  spec_.groups = {kids};
  spec_.filter.blockDoh = true;
  auto engine = build();
  PolicyRequest tls = http("mozilla.cloudflare-dns.com");
  tls.protocol = Protocol::Tls;
  Verdict v = engine->decide(tls);
  EXPECT_EQ(v.action, Action::Block);
  EXPECT_EQ(v.rule, "block_doh");
  PolicyRequest dns = http("use-application-dns.net");
  dns.protocol = Protocol::Dns;
  EXPECT_EQ(engine->decide(dns).rule, "block_doh");
  tls.host = "notcloudflare-dns.com";
  EXPECT_EQ(engine->decide(tls).action, Action::Allow);
  client_ = address("10.9.0.1");  // the default group filters nothing: DoH is its business
  tls.host = "dns.google";
  EXPECT_EQ(engine->decide(tls).action, Action::Allow);
}

TEST_F(EngineTest, BlockedRequestGetsNoSafeSearchUrl) {
  lists_["search"] = {fake("search", {"google.com"})};
  spec_.lists.push_back(listSpec("search", 12));
  GroupSpec kids = groupSpec("kids", "10.0.0.0/24", "block search", 40);
  kids.safeSearch = "yes";
  spec_.groups = {kids};
  Verdict v = build()->decide(http("www.google.com", "http://www.google.com/search?q=x"));
  EXPECT_EQ(v.action, Action::Block);
  EXPECT_EQ(v.safeSearchUrl, "");
}

TEST_F(EngineTest, ExplainListsEveryRuleWithScheduleAndMatch) {
  spec_.groups = {groupSpec("kids", "10.0.0.0/24",
                            "block ads; allow homework @school-nights; block social", 40)};
  auto engine = build();
  Explanation e = engine->explain(http("youtube.com"));
  EXPECT_EQ(e.group, "kids");
  EXPECT_EQ(e.groupReason,
            "kids (address 10.0.0.7 inside 10.0.0.0/24 of group.kids at test.conf:40)");
  EXPECT_EQ(e.localTime, "Mon 2024-05-06 15:00 UTC");
  ASSERT_EQ(e.rules.size(), 3u);
  EXPECT_FALSE(e.rules[0].matched);
  EXPECT_EQ(e.rules[1].schedule, "school-nights");
  EXPECT_FALSE(e.rules[1].scheduleActive);
  EXPECT_TRUE(e.rules[1].matched);  // reported even though the schedule is off
  EXPECT_FALSE(e.rules[1].decided);
  EXPECT_EQ(e.rules[1].entry, "homework.txt:1: youtube.com");
  EXPECT_TRUE(e.rules[2].decided);
  EXPECT_EQ(e.verdict.action, Action::Block);
  EXPECT_EQ(e.verdict.rule, "block social");
  std::string text = formatExplanation(e);
  EXPECT_NE(text.find("3. block social: matched social (social.txt:2: youtube.com)  <- decides"),
            std::string::npos)
      << text;
}

TEST_F(EngineTest, ExplainAgreesWithDecide) {
  spec_.filter.neverBlock = "tiktok.com";
  spec_.groups = {groupSpec("kids", "10.0.0.0/24",
                            "allow homework; block social @school-nights; log ads", 40, "block")};
  auto engine = build();
  for (int64_t t : {kSunday2130, kMonday0600, kMonday1500, kFriday2130}) {
    now_ = t;
    for (const char* host : {"youtube.com", "facebook.com", "tiktok.com", "ads.example", "x.org"}) {
      Verdict d = engine->decide(http(host));
      Verdict e = engine->explain(http(host)).verdict;
      EXPECT_EQ(d.action, e.action) << host << " " << t;
      EXPECT_EQ(d.rule, e.rule) << host << " " << t;
      EXPECT_EQ(d.list, e.list) << host << " " << t;
    }
  }
}

TEST_F(EngineTest, ListsReportCarriesEveryCompiledList) {
  auto engine = build();
  std::vector<ListReport> r = engine->lists();
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[3].name, "blacklists/adult");
  EXPECT_EQ(r[3].section, "blacklists");
  EXPECT_EQ(r[3].category, "adult");
  EXPECT_EQ(r[3].format, "domains");
  EXPECT_EQ(r[1].stats.entries, 3u);
}

TEST_F(EngineTest, UnknownListWordFailsAtGroupLine) {
  spec_.groups = {groupSpec("kids", "10.0.0.0/24", "allow homework; block socail", 40)};
  EXPECT_EQ(buildError(),
            "test.conf:40: group.kids: rule 'block socail': unknown list or category 'socail'");
}

TEST_F(EngineTest, UnknownScheduleFailsAtGroupLine) {
  spec_.groups = {groupSpec("kids", "10.0.0.0/24", "block social @weekends", 41)};
  EXPECT_EQ(buildError(),
            "test.conf:41: group.kids: rule 'block social @weekends': unknown schedule "
            "'weekends'");
}

TEST_F(EngineTest, MalformedRulesFailAtGroupLine) {
  spec_.groups = {groupSpec("kids", "", "deny social", 42)};
  EXPECT_EQ(buildError(),
            "test.conf:42: group.kids: rule 'deny social': unknown action 'deny' "
            "(allow|block|log|redirect)");
  spec_.groups = {groupSpec("kids", "", "block", 42)};
  EXPECT_EQ(buildError(), "test.conf:42: group.kids: rule 'block': missing list name");
  spec_.groups = {groupSpec("kids", "", "block social school-nights", 42)};
  EXPECT_NE(buildError(), "");
  spec_.groups = {groupSpec("kids", "", "block social @a @b", 42)};
  EXPECT_NE(buildError(), "");
}

TEST_F(EngineTest, BadScheduleFailsAtScheduleLine) {
  spec_.schedules.push_back(ScheduleSpec{"bad", "mon-fri", "7-8", "test.conf", 22});
  EXPECT_EQ(buildError(), "test.conf:22: schedule.bad: hours: '7-8' is not a range hh:mm-hh:mm "
                          "(00:00..24:00)");
}

TEST_F(EngineTest, BadClientFailsAtGroupLine) {
  spec_.groups = {groupSpec("kids", "10.0.0.0/24, 02:00:00:00:00", "", 43)};
  EXPECT_EQ(buildError(),
            "test.conf:43: group.kids: clients: '02:00:00:00:00' is not an IP address or CIDR");
}

TEST_F(EngineTest, RedirectWithoutBlockRedirectFails) {
  spec_.groups = {groupSpec("kids", "10.0.0.0/24", "redirect ads", 44)};
  EXPECT_EQ(buildError(), "test.conf:44: group.kids: redirect needs [filter] block_redirect");
  spec_.filter.blockRedirect = "http://gateway.lan/blocked";
  EXPECT_EQ(build()->decide(http("doubleclick.net")).action, Action::Redirect);
}

TEST_F(EngineTest, DuplicateSectionsFail) {
  spec_.lists.push_back(listSpec("ads", 50));
  EXPECT_EQ(buildError(), "test.conf:50: list.ads: defined twice");
  spec_.lists.pop_back();
  spec_.groups = {groupSpec("kids", "", "", 51), groupSpec("kids", "", "", 52)};
  EXPECT_EQ(buildError(), "test.conf:52: group.kids: defined twice");
}

TEST_F(EngineTest, ListLoadErrorsPropagateUnchanged) {
  spec_.lists.push_back(listSpec("missing", 60));
  EXPECT_EQ(buildError(), "/lists/missing:1: no such file");
}

TEST_F(EngineTest, BadNeverBlockAndTlsBlockFailAtFilterLine) {
  spec_.filter.neverBlock = "ok.example, 10.0.0.0/40";
  EXPECT_EQ(buildError(), "test.conf:30: [filter] never_block: '10.0.0.0/40' is not a host "
                          "name, IP address or CIDR");
  spec_.filter.neverBlock = "";
  spec_.filter.tlsBlock = "drop";
  EXPECT_EQ(buildError(), "test.conf:30: [filter] tls_block: 'drop' is not alert or reset");
}

TEST_F(EngineTest, ConcurrentDecisionsAgree) {
  spec_.groups = {groupSpec("kids", "10.0.0.0/24", "allow homework; block social @school-nights",
                            40)};
  auto engine = build();
  now_ = kSunday2130;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      PolicyRequest r = http("facebook.com");
      for (int i = 0; i < 2000; ++i) {
        if (engine->decide(r).action != Action::Block) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}
