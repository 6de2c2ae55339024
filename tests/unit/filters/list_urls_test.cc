#include <gtest/gtest.h>

#include "tests/unit/filters/list_fixture.h"

namespace tollgate::filters {
namespace {

using namespace list_testing;

class UrlsList : public ::testing::Test {
 protected:
  CompiledListPtr load(const std::string& content) {
    return loadOne("urls", dir_.write("urls.txt", content));
  }
  TempDir dir_;
};

TEST_F(UrlsList, MatchesThePrefixItself) {
  auto list = load("example.com/a\n");
  auto hit = matchUrl(*list, "example.com/a");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->entry, "example.com/a");
  EXPECT_EQ(hit->line, 1);
}

TEST_F(UrlsList, MatchesDeeperPathsAndQueries) {
  auto list = load("example.com/a\n");
  EXPECT_TRUE(matchUrl(*list, "example.com/a/b"));
  EXPECT_TRUE(matchUrl(*list, "example.com/a/"));
  EXPECT_TRUE(matchUrl(*list, "example.com/a?x=1"));
}

TEST_F(UrlsList, NeverMatchesInsideASegment) {
  auto list = load("example.com/a\n");
  EXPECT_FALSE(matchUrl(*list, "example.com/ab"));
  EXPECT_FALSE(matchUrl(*list, "example.com/"));
  EXPECT_FALSE(matchUrl(*list, "example.com"));
}

TEST_F(UrlsList, MatchesTheExactHostOnly) {
  auto list = load("example.com/a\n");
  EXPECT_FALSE(matchUrl(*list, "sub.example.com/a"));
  EXPECT_FALSE(matchUrl(*list, "badexample.com/a"));
  EXPECT_TRUE(matchUrl(*list, "www.example.com/a"));
}

TEST_F(UrlsList, StripsSchemeAndTrailingSlashFromEntries) {
  auto list = load("https://www.Example.com/A/b/\nhttp://other.org\n");
  auto hit = matchUrl(*list, "example.com/a/b/c");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->entry, "example.com/a/b");
  EXPECT_TRUE(matchUrl(*list, "other.org/anything"));
}

TEST_F(UrlsList, ComparesPathsCaseInsensitively) {
  auto list = load("example.com/ads\n");
  EXPECT_TRUE(matchUrl(*list, "example.com/ADS/banner.gif"));
}

TEST_F(UrlsList, QueryEntryMatchesThatQueryExactly) {
  auto list = load("video.example/watch?v=abc\n");
  EXPECT_TRUE(matchUrl(*list, "video.example/watch?v=abc"));
  EXPECT_FALSE(matchUrl(*list, "video.example/watch?v=abcd"));
  EXPECT_FALSE(matchUrl(*list, "video.example/watch"));
}

TEST_F(UrlsList, SlashesInTheQueryAreNotSegments) {
  auto list = load("example.com/r?u=http:\n");
  EXPECT_FALSE(matchUrl(*list, "example.com/r?u=http://x/y"));
}

TEST_F(UrlsList, BareHostEntryMatchesTheWholeSite) {
  auto list = load("example.com\n");
  EXPECT_TRUE(matchUrl(*list, "example.com/"));
  EXPECT_TRUE(matchUrl(*list, "example.com/x?y"));
}

TEST_F(UrlsList, WithoutUrlOnlyHostEntriesMatchTheHost) {
  auto list = load("example.com/a\nwhole.example\n");
  EXPECT_FALSE(matchHost(*list, "example.com"));
  EXPECT_TRUE(matchHost(*list, "whole.example"));
}

TEST_F(UrlsList, ReportsTheFirstEntryInFileOrder) {
  auto list = load("example.com/a/b\nexample.com/a\n");
  EXPECT_EQ(matchUrl(*list, "example.com/a/b/c")->line, 1);
  EXPECT_EQ(matchUrl(*list, "example.com/a/c")->line, 2);
}

TEST_F(UrlsList, SkipsPortsAndBadHosts) {
  auto list = load("example.com:8080/a\nbad..host/x\ngood.example/x\n");
  EXPECT_EQ(list->stats().entries, 1u);
  EXPECT_EQ(list->stats().skipped, 2u);
}

}  // namespace
}  // namespace tollgate::filters
