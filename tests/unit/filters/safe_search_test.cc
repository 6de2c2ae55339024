#include "filters/safe_search.h"

#include <gtest/gtest.h>

using namespace tollgate::filters;

TEST(SafeSearch, GoogleSearchGetsSafeActive) {
  EXPECT_EQ(safeSearchUrl("www.google.com", "http://www.google.com/search?q=cats"),
            "http://www.google.com/search?q=cats&safe=active");
}

TEST(SafeSearch, GoogleCountryDomainsAreSearchEngines) {
  EXPECT_EQ(safeSearchUrl("www.google.co.uk", "http://www.google.co.uk/search?q=x"),
            "http://www.google.co.uk/search?q=x&safe=active");
  EXPECT_EQ(safeSearchUrl("google.de", "http://google.de/search?q=x"),
            "http://google.de/search?q=x&safe=active");
  EXPECT_EQ(safeSearchUrl("www.google.evil.example.com", "http://www.google.evil.example.com/search?q=x"),
            "");
}

TEST(SafeSearch, GoogleSafeOffIsReplaced) {
  EXPECT_EQ(safeSearchUrl("www.google.com", "http://www.google.com/search?safe=off&q=cats"),
            "http://www.google.com/search?q=cats&safe=active");
  EXPECT_EQ(safeSearchUrl("www.google.com",
                          "http://www.google.com/search?q=a&safe=active&safe=off"),
            "http://www.google.com/search?q=a&safe=active");
}

TEST(SafeSearch, AlreadySafeUrlIsNotRewritten) {
  EXPECT_EQ(safeSearchUrl("www.google.com", "http://www.google.com/search?q=cats&safe=active"),
            "");
  EXPECT_EQ(safeSearchUrl("www.bing.com", "http://www.bing.com/search?adlt=strict&q=x"), "");
  EXPECT_EQ(safeSearchUrl("duckduckgo.com", "http://duckduckgo.com/?q=x&kp=1"), "");
}

TEST(SafeSearch, RewrittenUrlIsAFixedPoint) {
  const std::pair<const char*, const char*> cases[] = {
      {"www.google.com", "http://www.google.com/search?q=a&safe=images"},
      {"www.google.com", "http://www.google.com/search"},
      {"www.bing.com", "http://www.bing.com/search?q=a&adlt=off"},
      {"duckduckgo.com", "http://duckduckgo.com/?q=a&kp=-2"},
  };
  for (const auto& [host, url] : cases) {
    std::string once = safeSearchUrl(host, url);
    ASSERT_NE(once, "") << url;
    EXPECT_EQ(safeSearchUrl(host, once), "") << once;
  }
}

TEST(SafeSearch, BingSearchGetsAdltStrict) {
  EXPECT_EQ(safeSearchUrl("www.bing.com", "http://www.bing.com/search?q=x"),
            "http://www.bing.com/search?q=x&adlt=strict");
}

TEST(SafeSearch, DuckDuckGoOnlyWithAQuery) {
  EXPECT_EQ(safeSearchUrl("duckduckgo.com", "http://duckduckgo.com/?q=x"),
            "http://duckduckgo.com/?q=x&kp=1");
  EXPECT_EQ(safeSearchUrl("duckduckgo.com", "http://duckduckgo.com/"), "");
  EXPECT_EQ(safeSearchUrl("duckduckgo.com", "http://duckduckgo.com/about?q=x"), "");
}

TEST(SafeSearch, EmptySearchGetsTheParameterAlone) {
  EXPECT_EQ(safeSearchUrl("www.google.com", "http://www.google.com/search"),
            "http://www.google.com/search?safe=active");
}

TEST(SafeSearch, ParameterKeysMatchExactly) {
  // "safety=active" is not "safe=active".
  EXPECT_EQ(safeSearchUrl("www.google.com", "http://www.google.com/search?safety=active"),
            "http://www.google.com/search?safety=active&safe=active");
}

TEST(SafeSearch, YouTubeHasNoUrlFormAndIsLeftAlone) {
  EXPECT_EQ(safeSearchUrl("www.youtube.com", "http://www.youtube.com/results?search_query=x"), "");
  EXPECT_EQ(safeSearchUrl("m.youtube.com", "http://m.youtube.com/watch?v=x"), "");
}

TEST(SafeSearch, OtherPagesAndSchemesAreLeftAlone) {
  EXPECT_EQ(safeSearchUrl("www.google.com", "http://www.google.com/maps?q=x"), "");
  EXPECT_EQ(safeSearchUrl("www.google.com", "https://www.google.com/search?q=x"), "");
  EXPECT_EQ(safeSearchUrl("example.com", "http://example.com/search?q=x"), "");
  EXPECT_EQ(safeSearchUrl("www.google.com", ""), "");
}

TEST(SafeSearchDns, EnginesMapToTheirSafeHostsAndNothingElseDoes) {
  using tollgate::filters::safeSearchDnsHost;
  EXPECT_EQ(safeSearchDnsHost("www.google.com"), "forcesafesearch.google.com");
  EXPECT_EQ(safeSearchDnsHost("google.co.uk"), "forcesafesearch.google.com");
  EXPECT_EQ(safeSearchDnsHost("www.bing.com"), "strict.bing.com");
  EXPECT_EQ(safeSearchDnsHost("duckduckgo.com"), "safe.duckduckgo.com");
  EXPECT_EQ(safeSearchDnsHost("m.youtube.com"), "restrict.youtube.com");
  EXPECT_EQ(safeSearchDnsHost("youtubei.googleapis.com"), "restrict.youtube.com");
  EXPECT_EQ(safeSearchDnsHost("forcesafesearch.google.com"), "");
  EXPECT_EQ(safeSearchDnsHost("mail.google.com"), "");
  EXPECT_EQ(safeSearchDnsHost("notbing.com"), "");
  EXPECT_EQ(safeSearchDnsHost("restrict.youtube.com"), "");
}
