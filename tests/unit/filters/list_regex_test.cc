#include <gtest/gtest.h>

#include "filters/lists/regex_set.h"
#include "tests/unit/filters/list_fixture.h"

namespace tollgate::filters {
namespace {

using namespace list_testing;

class RegexList : public ::testing::Test {
 protected:
  CompiledListPtr load(const std::string& content, const std::string& format = "regex") {
    return loadOne(format, path(content));
  }
  std::string path(const std::string& content) { return dir_.write("re.txt", content); }
  std::string loadError(const std::string& content) {
    try {
      load(content);
    } catch (const FilterError& e) {
      return e.what();
    }
    return "no error";
  }
  TempDir dir_;
};

TEST_F(RegexList, MatchesAnchoredAtTheStartOfTheUrl) {
  auto list = load("ads\\.\n");
  auto hit = matchUrl(*list, "ads.example.com/x");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->entry, "ads\\.");
  EXPECT_EQ(hit->line, 1);
  EXPECT_FALSE(matchUrl(*list, "cdn.ads.example.com/x"));
}

TEST_F(RegexList, SeesPathAndQuery) {
  auto list = load("[^/]*/banner/\n[^?]*\\?.*utm_\n");
  EXPECT_EQ(matchUrl(*list, "x.example/banner/1.gif")->line, 1);
  EXPECT_EQ(matchUrl(*list, "x.example/p?a=1&utm_source=z")->line, 2);
  EXPECT_FALSE(matchUrl(*list, "x.example/p?a=1"));
}

TEST_F(RegexList, ReportsTheFirstMatchingPattern) {
  auto list = load("# c\nzzz\n[a-z]+\\.example\nads\\.example\n");
  EXPECT_EQ(matchUrl(*list, "ads.example/")->line, 3);
}

TEST_F(RegexList, RejectsLeadingDotStarWithFileLine) {
  std::string err = loadError("ok\\.\n.*tracker\n");
  EXPECT_EQ(err.rfind(dir_.path() + "/re.txt:2: pattern starts with '.*'", 0), 0u) << err;
}

TEST_F(RegexList, RejectsDotStarBehindAnchorOrGroup) {
  EXPECT_NE(loadError("^.*x\n"), "no error");
  EXPECT_NE(loadError("(?:.*\\.)?example\\.com\n"), "no error");
  EXPECT_NE(loadError("(?i).+x\n"), "no error");
}

TEST_F(RegexList, AcceptsDotStarAfterALiteral) {
  auto list = load("ads\\..*\\.gif\n");
  EXPECT_TRUE(matchUrl(*list, "ads.example/a.gif"));
}

TEST_F(RegexList, BadRegexNamesFileLineAndRe2Error) {
  std::string err = loadError("ok\n\n(unclosed\n");
  EXPECT_EQ(err, dir_.path() + "/re.txt:3: bad regex: missing ): (unclosed");
}

TEST_F(RegexList, WithoutUrlMatchesTheHost) {
  auto list = load("ads\\.\n");
  EXPECT_TRUE(matchHost(*list, "ads.example.com"));
}

TEST_F(RegexList, SniRegexMatchesTheHostOnly) {
  auto list = load("[a-z0-9-]+\\.ads\\.example$\n", "sni_regex");
  EXPECT_TRUE(matchHost(*list, "x1.ads.example"));
  EXPECT_FALSE(matchHost(*list, "x1.ads.example.org"));
  MatchInput in;
  in.host = "safe.example";
  in.url = "safe.example/x1.ads.example";
  EXPECT_FALSE(list->match(in));
  EXPECT_EQ(list->format(), "sni_regex");
}

TEST_F(RegexList, ShardsLargeListsAndKeepsLineNumbers) {
  std::string content;
  for (int i = 0; i < 12000; ++i) content += "host" + std::to_string(i) + "\\.example/\n";
  auto list = load(content);
  EXPECT_EQ(list->stats().entries, 12000u);
  EXPECT_EQ(matchUrl(*list, "host0.example/")->line, 1);
  EXPECT_EQ(matchUrl(*list, "host5000.example/")->line, 5001);
  EXPECT_EQ(matchUrl(*list, "host11999.example/")->line, 12000);
  EXPECT_FALSE(matchUrl(*list, "host12000.example/"));
}

TEST_F(RegexList, TooSmallBudgetIsALoadErrorNamingTheLines) {
  std::string content;
  for (int i = 0; i < 3000; ++i) content += "h" + std::to_string(i * 7919) + "[a-z]*\\.ex/\n";
  ListSpec s = spec("regex", path(content));
  s.regexMaxMemPerShard = 64 << 10;  // 64 KiB
  try {
    loadList(s);
    FAIL() << "no error";
  } catch (const FilterError& e) {
    EXPECT_NE(std::string(e.what()).find("re.txt lines 1-3000: regex set does not compile"),
              std::string::npos)
        << e.what();
  }
}

TEST(RegexSetUnit, DetectsLeadingDotStarShapes) {
  using lists::startsWithDotStar;
  EXPECT_TRUE(startsWithDotStar(".*a"));
  EXPECT_TRUE(startsWithDotStar("^.+a"));
  EXPECT_TRUE(startsWithDotStar("(.*)a"));
  EXPECT_TRUE(startsWithDotStar("(?P<x>.*)a"));
  EXPECT_FALSE(startsWithDotStar("a.*"));
  EXPECT_FALSE(startsWithDotStar("\\.*a"));
  EXPECT_FALSE(startsWithDotStar("."));
}

}  // namespace
}  // namespace tollgate::filters
