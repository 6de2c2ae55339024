#include <gtest/gtest.h>

#include <algorithm>

#include "tests/unit/filters/list_fixture.h"

namespace tollgate::filters {
namespace {

using namespace list_testing;

class Ut1List : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("ut1/adult/domains", "porn.example\nadult.example\n");
    dir_.writeGzip("ut1/adult/urls.gz", "video.example/adult\n");
    dir_.write("ut1/adult/expressions", "(^|[-./])(xxx|porno?)([-./]|$)\n");
    dir_.write("ut1/gambling/domains", "casino.example\n");
    dir_.write("ut1/README", "not a category\n");
    dir_.write("ut1/empty/usage", "black\n");
  }
  std::vector<CompiledListPtr> load() {
    return loadList(spec("ut1", dir_.path() + "/ut1", "ut1"));
  }
  TempDir dir_;
};

TEST_F(Ut1List, YieldsOneListPerCategoryInNameOrder) {
  auto lists = load();
  ASSERT_EQ(lists.size(), 2u);
  EXPECT_EQ(lists[0]->name(), "ut1/adult");
  EXPECT_EQ(lists[0]->category(), "adult");
  EXPECT_EQ(lists[0]->format(), "ut1");
  EXPECT_EQ(lists[1]->name(), "ut1/gambling");
  EXPECT_EQ(lists[1]->category(), "gambling");
}

TEST_F(Ut1List, DomainsMatchWithSubdomains) {
  auto lists = load();
  auto hit = matchHost(*lists[0], "www.porn.example");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->file, dir_.path() + "/ut1/adult/domains");
  EXPECT_EQ(hit->line, 1);
  EXPECT_TRUE(matchHost(*lists[1], "a.casino.example"));
  EXPECT_FALSE(matchHost(*lists[1], "porn.example"));
}

TEST_F(Ut1List, UrlsMatchFromGzip) {
  auto lists = load();
  auto hit = matchUrl(*lists[0], "video.example/adult/clip");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->file, dir_.path() + "/ut1/adult/urls.gz");
  EXPECT_FALSE(matchUrl(*lists[0], "video.example/kids"));
}

TEST_F(Ut1List, ExpressionsSearchAnywhereIgnoringCase) {
  auto lists = load();
  auto hit = matchUrl(*lists[0], "free.example/videos/XXX/1");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->file, dir_.path() + "/ut1/adult/expressions");
  EXPECT_FALSE(matchUrl(*lists[0], "free.example/xxxl-shirts"));
}

TEST_F(Ut1List, CountsEntriesPerCategory) {
  auto lists = load();
  EXPECT_EQ(lists[0]->stats().entries, 4u);
  EXPECT_EQ(lists[1]->stats().entries, 1u);
}

TEST_F(Ut1List, BadExpressionIsALoadError) {
  dir_.write("ut1/gambling/expressions", "ok\n(bad\n");
  try {
    load();
    FAIL() << "no error";
  } catch (const FilterError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(dir_.path() + "/ut1/gambling/expressions:2: bad regex:", 0),
              0u)
        << e.what();
  }
}

TEST(Ut1Folder, MissingFolderIsAnError) {
  try {
    loadList(spec("ut1", "/nonexistent/ut1"));
    FAIL() << "no error";
  } catch (const FilterError& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/ut1: cannot open: No such file or directory");
  }
}

TEST(Ut1Folder, FolderWithoutCategoriesIsAnError) {
  TempDir dir;
  dir.write("x/README", "hi\n");
  EXPECT_THROW(loadList(spec("ut1", dir.path())), FilterError);
}

}  // namespace
}  // namespace tollgate::filters
