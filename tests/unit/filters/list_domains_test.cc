// The domains, hosts and adblock formats, file reading (gzip, CRLF, errors) and the stats.
#include <gtest/gtest.h>

#include "tests/unit/filters/list_fixture.h"

namespace tollgate::filters {
namespace {

using namespace list_testing;

class DomainsList : public ::testing::Test {
 protected:
  CompiledListPtr load(const std::string& content, const std::string& format = "domains") {
    return loadOne(format, dir_.write("list.txt", content));
  }
  TempDir dir_;
};

TEST_F(DomainsList, MatchesTheDomainItself) {
  auto list = load("example.com\n");
  auto hit = matchHost(*list, "example.com");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->entry, "example.com");
  EXPECT_EQ(hit->line, 1);
  EXPECT_EQ(hit->file, dir_.path() + "/list.txt");
}

TEST_F(DomainsList, MatchesSubdomainsAtAnyDepth) {
  auto list = load("example.com\n");
  EXPECT_TRUE(matchHost(*list, "a.example.com"));
  EXPECT_TRUE(matchHost(*list, "a.b.c.example.com"));
}

TEST_F(DomainsList, NeverMatchesASuffixThatIsNotALabel) {
  auto list = load("example.com\n");
  EXPECT_FALSE(matchHost(*list, "badexample.com"));
  EXPECT_FALSE(matchHost(*list, "a.badexample.com"));
  EXPECT_FALSE(matchHost(*list, "example.com.evil.net"));
  EXPECT_FALSE(matchHost(*list, "com"));
}

TEST_F(DomainsList, IgnoresCaseAndTrailingDotOfTheInput) {
  auto list = load("example.com\n");
  EXPECT_TRUE(matchHost(*list, "WWW.Example.COM"));
  EXPECT_TRUE(matchHost(*list, "example.com."));
}

TEST_F(DomainsList, NormalisesEntries) {
  auto list = load("WWW.Example.COM.\n*.wild.example.org\n");
  auto hit = matchHost(*list, "example.com");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->entry, "example.com");
  auto wild = matchHost(*list, "wild.example.org");
  ASSERT_TRUE(wild);
  EXPECT_EQ(wild->entry, "wild.example.org");
  EXPECT_EQ(wild->line, 2);
}

TEST_F(DomainsList, MatchesALabelsAsWritten) {
  auto list = load("xn--bcher-kva.example\n");
  EXPECT_TRUE(matchHost(*list, "shop.xn--bcher-kva.example"));
  EXPECT_FALSE(matchHost(*list, "bcher-kva.example"));
}

TEST_F(DomainsList, SingleLabelEntryMatchesThatNameAndBelow) {
  auto list = load("intranet\n");
  EXPECT_TRUE(matchHost(*list, "intranet"));
  EXPECT_TRUE(matchHost(*list, "wiki.intranet"));
  EXPECT_FALSE(matchHost(*list, "intranet.example.com"));
}

TEST_F(DomainsList, ReportsTheFirstEntryInFileOrder) {
  auto list = load("a.example.com\nexample.com\n");
  auto hit = matchHost(*list, "x.a.example.com");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->line, 1);
  hit = matchHost(*list, "b.example.com");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->line, 2);
}

TEST_F(DomainsList, UsesTheUrlHostWhenHostIsEmpty) {
  auto list = load("example.com\n");
  MatchInput in;
  in.url = "a.example.com/path";
  EXPECT_TRUE(list->match(in));
}

TEST_F(DomainsList, EmptyHostNeverMatches) {
  auto list = load("example.com\n");
  EXPECT_FALSE(matchHost(*list, ""));
  EXPECT_FALSE(matchHost(*list, "."));
}

TEST_F(DomainsList, SkipsCommentsBlankLinesAndCrlf) {
  auto list = load("# header\r\n\r\nexample.com\r\n  other.org  # why\r\n");
  EXPECT_EQ(list->stats().entries, 2u);
  EXPECT_EQ(list->stats().skipped, 0u);
  EXPECT_TRUE(matchHost(*list, "other.org"));
  auto hit = matchHost(*list, "example.com");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->line, 3);
}

TEST_F(DomainsList, CountsAndReportsInvalidLines) {
  auto list = load("good.com\nbad..com\ntwo names.com\n");
  EXPECT_EQ(list->stats().entries, 1u);
  EXPECT_EQ(list->stats().skipped, 2u);
  ASSERT_EQ(list->stats().warnings.size(), 2u);
  EXPECT_EQ(list->stats().warnings[0],
            dir_.path() + "/list.txt:2: invalid host name 'bad..com'");
}

TEST_F(DomainsList, KeepsOnlyTenSkipWarnings) {
  std::string content;
  for (int i = 0; i < 25; ++i) content += "bad name\n";
  auto list = load(content);
  EXPECT_EQ(list->stats().skipped, 25u);
  ASSERT_EQ(list->stats().warnings.size(), 12u);  // 10 lines, "15 more", "no entries"
  EXPECT_EQ(list->stats().warnings[10], "15 more skipped lines not shown");
}

TEST_F(DomainsList, CountsDuplicatesOnceAndKeepsTheFirstLine) {
  auto list = load("example.com\nwww.example.com\nEXAMPLE.com\n");
  EXPECT_EQ(list->stats().entries, 1u);
  EXPECT_EQ(list->stats().duplicates, 2u);
  EXPECT_EQ(matchHost(*list, "example.com")->line, 1);
}

TEST_F(DomainsList, FillsStats) {
  auto list = load("example.com\nexample.org\n");
  EXPECT_EQ(list->name(), "test");
  EXPECT_EQ(list->category(), "test");
  EXPECT_EQ(list->format(), "domains");
  EXPECT_GT(list->stats().memoryBytes, 0u);
  EXPECT_GT(list->stats().matchNs, 0.0);
  EXPECT_GE(list->stats().loadMs, 0.0);
  EXPECT_TRUE(list->stats().warnings.empty());
}

TEST_F(DomainsList, WarnsWhenEmpty) {
  auto list = load("# nothing\n");
  EXPECT_EQ(list->stats().entries, 0u);
  ASSERT_EQ(list->stats().warnings.size(), 1u);
  EXPECT_FALSE(matchHost(*list, "example.com"));
}

TEST_F(DomainsList, ReadsGzip) {
  auto list = loadOne("domains", dir_.writeGzip("list.gz", "# c\nexample.com\ngz.org\n"));
  EXPECT_EQ(list->stats().entries, 2u);
  EXPECT_EQ(matchHost(*list, "a.gz.org")->line, 3);
}

TEST_F(DomainsList, DetectsGzipByContentNotName) {
  auto list = loadOne("domains", dir_.writeGzip("list.txt", "example.com\n"));
  EXPECT_TRUE(matchHost(*list, "example.com"));
}

TEST_F(DomainsList, ReadsLastLineWithoutNewline) {
  auto list = load("a.com\nb.com");
  EXPECT_TRUE(matchHost(*list, "b.com"));
}

TEST_F(DomainsList, ReadsLinesLongerThanTheReadBuffer) {
  std::string longName;
  for (int i = 0; i < 2000; ++i) longName += "x";
  auto list = load(longName + "\nexample.com\n");  // 2000-byte label: skipped, not fatal
  EXPECT_EQ(list->stats().skipped, 1u);
  EXPECT_EQ(matchHost(*list, "example.com")->line, 2);
}

TEST(ListFiles, MissingFileNamesPathAndReason) {
  try {
    loadList(list_testing::spec("domains", "/nonexistent/tollgate/list.txt"));
    FAIL() << "no error";
  } catch (const FilterError& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/tollgate/list.txt: cannot open: No such file or directory");
  }
}

TEST(ListFiles, FolderIsNotAListFile) {
  TempDir dir;
  try {
    loadList(list_testing::spec("domains", dir.path()));
    FAIL() << "no error";
  } catch (const FilterError& e) {
    EXPECT_EQ(std::string(e.what()), dir.path() + ": cannot open: Is a directory");
  }
}

TEST(ListFiles, UnknownFormatNamesConfigLine) {
  try {
    loadList(list_testing::spec("bogus", "/dev/null"));
    FAIL() << "no error";
  } catch (const FilterError& e) {
    EXPECT_STREQ(e.what(),
                 "/etc/tollgate/tollgate.conf:42: unknown format 'bogus' "
                 "(domains|hosts|adblock|ut1|urls|regex|sni_regex|cidr)");
  }
}

TEST(ListFiles, CorruptGzipIsAnError) {
  TempDir dir;
  std::string good = dir.writeGzip("ok.gz", std::string(100000, 'a'));
  std::string bytes;
  {
    std::ifstream in(good, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  for (size_t i = 20; i < bytes.size() - 8; ++i) bytes[i] = static_cast<char>(bytes[i] ^ 0x5a);
  std::string bad = dir.write("bad.gz", bytes);
  EXPECT_THROW(loadList(list_testing::spec("domains", bad)), FilterError);
}

TEST_F(DomainsList, HostsTakesEveryNameAfterASinkAddress) {
  auto list = load("0.0.0.0 ads.example.com tracker.example.net # inline\n"
                   "127.0.0.1 one.example\n:: six.example\n::1 loop.example\n",
                   "hosts");
  EXPECT_EQ(list->stats().entries, 5u);
  EXPECT_EQ(matchHost(*list, "tracker.example.net")->line, 1);
  EXPECT_EQ(matchHost(*list, "six.example")->line, 3);
  EXPECT_EQ(list->format(), "hosts");
}

TEST_F(DomainsList, HostsIgnoresBoilerplateNames) {
  auto list = load("127.0.0.1 localhost\n127.0.0.1 localhost.localdomain\n"
                   "255.255.255.255 broadcasthost\n::1 ip6-localhost ip6-loopback\n"
                   "0.0.0.0 0.0.0.0\n0.0.0.0 real.example\n",
                   "hosts");
  EXPECT_EQ(list->stats().entries, 1u);
  EXPECT_EQ(list->stats().skipped, 0u);
  EXPECT_FALSE(matchHost(*list, "localhost"));
}

TEST_F(DomainsList, HostsSkipsNonSinkAddresses) {
  auto list = load("192.168.1.10 nas.example\n", "hosts");
  EXPECT_EQ(list->stats().entries, 0u);
  EXPECT_EQ(list->stats().skipped, 1u);
  EXPECT_FALSE(matchHost(*list, "nas.example"));
}

TEST_F(DomainsList, HostsSkipsALineWithoutNames) {
  auto list = load("example.com\n", "hosts");
  EXPECT_EQ(list->stats().skipped, 1u);
}

TEST_F(DomainsList, AdblockTakesPlainDomainRules) {
  auto list = load("[Adblock Plus 2.0]\n! comment\n||ads.example.com^\n"
                   "||imp.example.org^$important\n",
                   "adblock");
  EXPECT_EQ(list->stats().entries, 2u);
  EXPECT_EQ(list->stats().skipped, 0u);
  EXPECT_EQ(matchHost(*list, "x.ads.example.com")->entry, "ads.example.com");
  EXPECT_TRUE(matchHost(*list, "imp.example.org"));
}

TEST_F(DomainsList, AdblockSkipsRulesItCannotHonourExactly) {
  auto list = load("||third.example^$third-party\n@@||allowed.example^\n"
                   "example.com##.banner\n##.ad\n||path.example^/ads\n"
                   "||wild*.example^\n/banner/*\n||noanchor.example\n",
                   "adblock");
  EXPECT_EQ(list->stats().entries, 0u);
  EXPECT_EQ(list->stats().skipped, 8u);
  EXPECT_FALSE(matchHost(*list, "third.example"));
  EXPECT_FALSE(matchHost(*list, "allowed.example"));
}

}  // namespace
}  // namespace tollgate::filters
