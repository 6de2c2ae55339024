#include <gtest/gtest.h>

#include "filters/list.h"

namespace tollgate::filters {
namespace {

std::string norm(std::string_view in) {
  std::string out;
  return normalizeHost(in, out) ? out : "<invalid>";
}

TEST(NormalizeHost, LowerCasesAscii) { EXPECT_EQ(norm("ExAmple.COM"), "example.com"); }

TEST(NormalizeHost, DropsTrailingDot) { EXPECT_EQ(norm("example.com."), "example.com"); }

TEST(NormalizeHost, DropsLeadingWww) { EXPECT_EQ(norm("www.example.com"), "example.com"); }

TEST(NormalizeHost, KeepsWwwWhenOnlyOneLabelWouldRemain) {
  EXPECT_EQ(norm("www.com"), "www.com");
}

TEST(NormalizeHost, KeepsALabels) {
  EXPECT_EQ(norm("xn--bcher-kva.example"), "xn--bcher-kva.example");
}

TEST(NormalizeHost, RefusesULabels) { EXPECT_EQ(norm("b\xc3\xbc" "cher.example"), "<invalid>"); }

TEST(NormalizeHost, AcceptsSingleLabel) { EXPECT_EQ(norm("intranet"), "intranet"); }

TEST(NormalizeHost, RefusesEmptyLabels) {
  EXPECT_EQ(norm("a..example.com"), "<invalid>");
  EXPECT_EQ(norm(".example.com"), "<invalid>");
  EXPECT_EQ(norm(""), "<invalid>");
  EXPECT_EQ(norm("."), "<invalid>");
}

TEST(NormalizeHost, RefusesBadCharacters) {
  EXPECT_EQ(norm("exa mple.com"), "<invalid>");
  EXPECT_EQ(norm("example.com:80"), "<invalid>");
  EXPECT_EQ(norm("*.example.com"), "<invalid>");
}

TEST(NormalizeHost, AcceptsUnderscoreAndIpLiterals) {
  EXPECT_EQ(norm("_dmarc.example.com"), "_dmarc.example.com");
  EXPECT_EQ(norm("192.0.2.1"), "192.0.2.1");
}

TEST(NormalizeHost, RefusesOverlongLabel) {
  EXPECT_EQ(norm(std::string(64, 'a') + ".com"), "<invalid>");
  EXPECT_EQ(norm(std::string(63, 'a') + ".com"), std::string(63, 'a') + ".com");
}

}  // namespace
}  // namespace tollgate::filters
