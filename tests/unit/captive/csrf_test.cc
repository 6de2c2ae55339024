// CSRF tokens: accepted for the MAC and within the lifetime they were issued for, refused when
// edited, moved to another MAC, made with another secret, expired, or not tokens at all.
#include "captive/csrf.h"

#include <gtest/gtest.h>

#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/unit/captive/captive_test_support.h"

namespace tollgate::captive {
namespace {

using namespace std::chrono_literals;
using testing::kT0;
using Check = CsrfTokens::Check;

constexpr const char* kMacA = "02:00:00:00:00:0a";
constexpr const char* kMacB = "02:00:00:00:00:0b";

class CsrfTest : public ::testing::Test {
 protected:
  CsrfTokens tokens_{std::string(32, 's'), 1h};
};

TEST_F(CsrfTest, ATokenIsValidForItsMacWithinItsLifetime) {
  const std::string token = tokens_.issue(kMacA, kT0);
  EXPECT_TRUE(std::regex_match(token, std::regex(R"(1700000000\.[A-Za-z0-9_-]{43})"))) << token;
  EXPECT_EQ(tokens_.verify(token, kMacA, kT0), Check::Valid);
  EXPECT_EQ(tokens_.verify(token, kMacA, kT0 + 1h), Check::Valid);
  EXPECT_EQ(tokens_.verify(token, "02-00-00-00-00-0A", kT0), Check::Valid);  // any spelling
}

TEST_F(CsrfTest, AnotherMacsTokenIsForged) {
  const std::string token = tokens_.issue(kMacA, kT0);
  EXPECT_EQ(tokens_.verify(token, kMacB, kT0), Check::Forged);
}

TEST_F(CsrfTest, AnOldTokenIsExpiredAndOneFromFarAheadToo) {
  EXPECT_EQ(tokens_.verify(tokens_.issue(kMacA, kT0), kMacA, kT0 + 1h + 1s), Check::Expired);
  // The wall clock stepped back after the token was issued: within the skew it still counts.
  EXPECT_EQ(tokens_.verify(tokens_.issue(kMacA, kT0 + 60s), kMacA, kT0), Check::Valid);
  EXPECT_EQ(tokens_.verify(tokens_.issue(kMacA, kT0 + 61s), kMacA, kT0), Check::Expired);
}

TEST_F(CsrfTest, AnEditedTimestampIsForgedNotRenewed) {
  const std::string token = tokens_.issue(kMacA, kT0);
  std::string later = "1700003000" + token.substr(token.find('.'));
  EXPECT_EQ(tokens_.verify(later, kMacA, kT0 + 2h), Check::Forged);
}

TEST_F(CsrfTest, AnEditedTagIsForged) {
  std::string token = tokens_.issue(kMacA, kT0);
  token.back() = token.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(tokens_.verify(token, kMacA, kT0), Check::Forged);
}

TEST_F(CsrfTest, AnotherSecretsTokenIsForged) {
  CsrfTokens other(std::string(32, 't'), 1h);
  EXPECT_EQ(tokens_.verify(other.issue(kMacA, kT0), kMacA, kT0), Check::Forged);
  CsrfTokens random1, random2;  // two daemon starts
  EXPECT_EQ(random2.verify(random1.issue(kMacA, kT0), kMacA, kT0), Check::Forged);
  EXPECT_EQ(random1.verify(random1.issue(kMacA, kT0), kMacA, kT0), Check::Valid);
}

TEST_F(CsrfTest, WhatIsNotShapedLikeATokenIsMalformed) {
  const std::string good = tokens_.issue(kMacA, kT0);
  const std::string tag = good.substr(good.find('.') + 1);
  for (const std::string& bad : std::vector<std::string>{
           "", ".", "1700000000", "1700000000." + tag.substr(1), "1700000000." + tag + "A",
           "." + tag, "17000x0000." + tag, "-1." + tag, "99999999999999999999." + tag,
           std::string(5000, '1') + "." + tag}) {
    EXPECT_EQ(tokens_.verify(bad, kMacA, kT0), Check::Malformed) << bad;
  }
}

TEST_F(CsrfTest, EveryOutcomeIsCounted) {
  const std::string token = tokens_.issue(kMacA, kT0);
  tokens_.verify(token, kMacA, kT0);
  tokens_.verify(token, kMacB, kT0);
  tokens_.verify(token, kMacA, kT0 + 2h);
  tokens_.verify("junk", kMacA, kT0);
  auto c = tokens_.counters();
  EXPECT_EQ(c.issued, 1u);
  EXPECT_EQ(c.valid, 1u);
  EXPECT_EQ(c.forged, 1u);
  EXPECT_EQ(c.expired, 1u);
  EXPECT_EQ(c.malformed, 1u);
}

TEST(CsrfSecretTest, ShortSecretsAndEmptyLifetimesAreRefused) {
  EXPECT_THROW(CsrfTokens(std::string(31, 's'), 1h), std::invalid_argument);
  EXPECT_THROW(CsrfTokens(std::string(32, 's'), 0s), std::invalid_argument);
}

}  // namespace
}  // namespace tollgate::captive
