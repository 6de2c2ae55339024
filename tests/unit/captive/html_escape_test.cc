// The portal's HTML escaper: the five characters that matter in text and quoted attributes.
#include "captive/html_escape.h"

#include <gtest/gtest.h>

namespace tollgate::captive {
namespace {

TEST(HtmlEscapeTest, EscapesTheFiveSpecialCharacters) {
  EXPECT_EQ(htmlEscape("<script>alert('x\" & y')</script>"),
            "&lt;script&gt;alert(&#39;x&quot; &amp; y&#39;)&lt;/script&gt;");
}

TEST(HtmlEscapeTest, LeavesEverythingElseAlone) {
  EXPECT_EQ(htmlEscape(""), "");
  EXPECT_EQ(htmlEscape("ABCD-EFGH-JK caf\xc3\xa9 /?=#"), "ABCD-EFGH-JK caf\xc3\xa9 /?=#");
}

TEST(HtmlEscapeTest, EscapesAnAmpersandOnlyOnce) {
  EXPECT_EQ(htmlEscape("&amp;"), "&amp;amp;");  // input is text, never pre-escaped HTML
}

}  // namespace
}  // namespace tollgate::captive
