#include "filters/lists/atom_matcher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <random>

namespace tollgate::filters::lists {
namespace {

std::vector<int> find(const AtomMatcher& m, std::string_view text) {
  std::vector<int> ids{-1};  // find() clears
  m.find(text, &ids);
  return ids;
}

std::vector<int> naive(const std::vector<std::string>& atoms, std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::vector<int> ids;
  for (size_t i = 0; i < atoms.size(); ++i) {
    if (!atoms[i].empty() && text.find(atoms[i]) != std::string::npos) {
      ids.push_back(static_cast<int>(i));
    }
  }
  return ids;
}

TEST(AtomMatcher, FindsOverlappingAtomsOnceInIdOrder) {
  AtomMatcher m({"he", "she", "his", "hers"});
  EXPECT_EQ(find(m, "ushers"), (std::vector<int>{0, 1, 3}));
  EXPECT_EQ(find(m, "hishishe"), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(find(m, "xyz"), std::vector<int>{});
  EXPECT_EQ(find(m, ""), std::vector<int>{});
}

TEST(AtomMatcher, FoldsAsciiUpperCase) {
  AtomMatcher m({"ads.example", "/track?"});
  EXPECT_EQ(find(m, "X.ADS.Example.COM/Track?q=1"), (std::vector<int>{0, 1}));
}

TEST(AtomMatcher, IgnoresEmptyAtomsAndHandlesNoAtoms) {
  AtomMatcher none;
  EXPECT_EQ(find(none, "anything"), std::vector<int>{});
  AtomMatcher m({"", "abc"});
  EXPECT_EQ(find(m, "xabcx"), std::vector<int>{1});
}

TEST(AtomMatcher, AtomsThatAreSuffixesOfDeepStates) {
  // Fail links from deep (sparse) states into dense ones and output links across them.
  AtomMatcher m({"abcdefg", "cdefx", "defxy", "fx", "a"});
  EXPECT_EQ(find(m, "abcdefxy"), (std::vector<int>{1, 2, 3, 4}));
  EXPECT_EQ(find(m, "zabcdefgh"), (std::vector<int>{0, 4}));
}

TEST(AtomMatcher, AgreesWithNaiveSearchOnRandomInputs) {
  std::mt19937 rng(12345);
  const std::string alphabet = "abcdeAB.-/?=0";
  auto randomString = [&](size_t lo, size_t hi) {
    std::string s(std::uniform_int_distribution<size_t>(lo, hi)(rng), ' ');
    for (auto& c : s) c = alphabet[rng() % alphabet.size()];
    return s;
  };
  for (int round = 0; round < 20; ++round) {
    std::vector<std::string> atoms;
    for (int i = 0; i < 60; ++i) {
      std::string a = randomString(1, 6);
      for (auto& c : a) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      atoms.push_back(a);
    }
    std::sort(atoms.begin(), atoms.end());
    atoms.erase(std::unique(atoms.begin(), atoms.end()), atoms.end());
    std::shuffle(atoms.begin(), atoms.end(), rng);
    AtomMatcher m(atoms);
    for (int i = 0; i < 200; ++i) {
      std::string text = randomString(0, 40);
      ASSERT_EQ(find(m, text), naive(atoms, text)) << "text " << text;
    }
  }
}

}  // namespace
}  // namespace tollgate::filters::lists
