// The literal prefilter in RegexSet (FilteredRE2 + AtomMatcher) must decide exactly as plain
// RE2::Set shards over the same patterns: same first pattern in file order, same anchoring,
// same case sensitivity.
#include <gtest/gtest.h>
#include <re2/set.h>

#include <algorithm>
#include <random>

#include "filters/lists/regex_set.h"

namespace tollgate::filters::lists {
namespace {

class Rng {
 public:
  explicit Rng(uint32_t seed) : g_(seed) {}
  size_t below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(g_); }
  std::string label(size_t lo, size_t hi, const std::string& alphabet = "abcdefghij0123-") {
    std::string s(lo + below(hi - lo + 1), ' ');
    for (auto& c : s) c = alphabet[below(alphabet.size())];
    return s;
  }

 private:
  std::mt19937 g_;
};

// Realistic shapes (as in filters_bench) plus shapes without atoms ("unfiltered").
std::string randomPattern(Rng& r, std::vector<std::string>& words) {
  std::string w = r.label(2, 6, "abcdefghij");
  words.push_back(w);
  std::string tld = std::vector<std::string>{"com", "net", "org"}[r.below(3)];
  switch (r.below(8)) {
    case 0: return "^([a-z0-9-]+\\.)*ads[0-9]*\\." + w + "[0-9]+\\." + tld + "/";
    case 1: return "^[a-z0-9.-]*\\." + w + "\\.(com|net|org)/p(/|\\?|$)";
    case 2: return "^([a-z0-9-]+\\.)*" + w + "\\." + tld + "/[^?]*\\.(js|gif)\\?([^#]*&)?aff=";
    case 3: return "^" + w + "[0-9]{1,3}\\." + tld + "/";
    case 4: return "[a-z]+\\.[a-z]{2}/";  // no atom
    case 5: return "^" + w.substr(0, 2) + "[0-9]";  // atom too short
    case 6: return "(?i)" + w + "X";
    default: return w + "\\.(" + tld + "|io)";
  }
}

std::string randomText(Rng& r, const std::vector<std::string>& words) {
  std::string host;
  size_t labels = 1 + r.below(3);
  for (size_t i = 0; i < labels; ++i) {
    std::string l = r.below(2) ? words[r.below(words.size())] : r.label(1, 6);
    if (r.below(4) == 0) l = "ads" + std::to_string(r.below(20)) + "." + l + std::to_string(r.below(9));
    if (r.below(6) == 0) l += "X";
    host += (i ? "." : "") + l;
  }
  host += std::vector<std::string>{".com", ".net", ".org", ".io", ".de", ".COM"}[r.below(6)];
  std::string path = std::vector<std::string>{"/", "/p", "/p/x", "/a.js?aff=1", "/b.gif?x=1&aff=2",
                                              "", "/P?q"}[r.below(7)];
  if (r.below(10) == 0) host[0] = static_cast<char>(std::toupper(host[0]));
  return host + path;
}

void checkEquivalence(RE2::Anchor anchor, bool caseSensitive, uint32_t seed) {
  Rng r(seed);
  std::vector<std::string> words;
  std::vector<std::string> patterns;
  for (int i = 0; i < 400; ++i) patterns.push_back(randomPattern(r, words));

  RegexSet::Options options;
  options.anchor = anchor;
  options.caseSensitive = caseSensitive;
  RegexSet set(options);
  set.beginFile("p.txt");
  for (size_t i = 0; i < patterns.size(); ++i) set.add(patterns[i], static_cast<int>(i + 1));
  set.compile();
  EXPECT_GT(set.unfiltered(), 0u);
  EXPECT_LT(set.unfiltered(), patterns.size());

  RE2::Options ro;
  ro.set_case_sensitive(caseSensitive);
  ro.set_log_errors(false);
  RE2::Set plain(ro, anchor);
  for (const auto& p : patterns) ASSERT_GE(plain.Add(p, nullptr), 0) << p;
  ASSERT_TRUE(plain.Compile());

  size_t hits = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string text = randomText(r, words);
    std::vector<int> v;
    int expected = plain.Match(text, &v) ? *std::min_element(v.begin(), v.end()) : -1;
    uint32_t index = 0;
    RegexSet::Result got = set.match(text, &index);
    ASSERT_NE(got, RegexSet::Result::Error);
    int actual = got == RegexSet::Result::Match ? static_cast<int>(index) : -1;
    ASSERT_EQ(actual, expected) << "text " << text << " expected pattern "
                                << (expected >= 0 ? patterns[expected] : "none");
    if (expected >= 0) ++hits;
  }
  EXPECT_GT(hits, 200u);  // the inputs do exercise matches
}

TEST(RegexPrefilter, AnchoredCaseSensitiveEqualsRe2Set) {
  checkEquivalence(RE2::ANCHOR_START, true, 1);
  checkEquivalence(RE2::ANCHOR_START, true, 2);
}

TEST(RegexPrefilter, UnanchoredCaseInsensitiveEqualsRe2Set) {  // UT1 expressions
  checkEquivalence(RE2::UNANCHORED, false, 3);
  checkEquivalence(RE2::UNANCHORED, false, 4);
}

TEST(RegexPrefilter, FirstInFileOrderAcrossFilteredAndUnfiltered) {
  RegexSet set(RegexSet::Options{});
  set.beginFile("f");
  set.add("[a-z]+\\.x/", 1);       // no atom
  set.add("ads\\.x/", 2);          // atom "ads.x/"
  set.add("ads\\.x/more", 3);
  set.compile();
  uint32_t index = 99;
  ASSERT_EQ(set.match("ads.x/more", &index), RegexSet::Result::Match);
  EXPECT_EQ(index, 0u);
  ASSERT_EQ(set.match("ADS.x/more", &index), RegexSet::Result::NoMatch);  // case-sensitive

  RegexSet later(RegexSet::Options{});
  later.beginFile("f");
  later.add("ads\\.x/more", 1);
  later.add("[a-z]+\\.x/", 2);
  later.compile();
  ASSERT_EQ(later.match("ads.x/more", &index), RegexSet::Result::Match);
  EXPECT_EQ(index, 0u);
  ASSERT_EQ(later.match("xads.x/more", &index), RegexSet::Result::Match);  // anchored
  EXPECT_EQ(index, 1u);
  EXPECT_EQ(later.origin(1).line, 2);
}

TEST(RegexPrefilter, EmptySetNeverMatches) {
  RegexSet set(RegexSet::Options{});
  set.beginFile("f");
  set.compile();
  uint32_t index = 0;
  EXPECT_EQ(set.match("anything", &index), RegexSet::Result::NoMatch);
}

}  // namespace
}  // namespace tollgate::filters::lists
