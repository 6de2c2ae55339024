// The portal's template language and the operator's override directory.
#include "captive/portal_templates.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "tests/unit/captive/captive_test_support.h"

namespace tollgate::captive {
namespace {

using testing::TempDir;

TEST(PortalTemplates, ValuesAreEscapedAndNeverParsedAgain) {
  EXPECT_EQ(renderTemplate("<p title=\"{{v}}\">{{ v }}</p>", {{"v", "<a href='x'>&\"{{w}}"}}),
            "<p title=\"&lt;a href=&#39;x&#39;&gt;&amp;&quot;{{w}}\">"
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;{{w}}</p>");
  EXPECT_EQ(renderTemplate("[{{missing}}]", {}), "[]");
}

TEST(PortalTemplates, SectionsShowOnValueAndInvertedOnEmpty) {
  const std::string t = "{{#a}}A{{#b}}B{{/b}}{{^b}}-{{/b}}{{/a}}{{^a}}none{{/a}}";
  EXPECT_EQ(renderTemplate(t, {{"a", "1"}, {"b", "1"}}), "AB");
  EXPECT_EQ(renderTemplate(t, {{"a", "1"}}), "A-");
  EXPECT_EQ(renderTemplate(t, {{"a", ""}}), "none");
  EXPECT_EQ(renderTemplate("{{#a}}x{{#a}}y{{/a}}{{/a}}", {{"a", "1"}}), "xy");
}

TEST(PortalTemplates, BracesThatAreNotTagsAreText) {
  EXPECT_EQ(renderTemplate("a{b}{{ }}{{Upper}}{{x", {}), "a{b}{{ }}{{Upper}}{{x");
}

TEST(PortalTemplates, BrokenSectionsAreRefused) {
  EXPECT_THROW(renderTemplate("{{#a}}x", {}), std::invalid_argument);
  EXPECT_THROW(renderTemplate("x{{/a}}", {}), std::invalid_argument);
  EXPECT_THROW(renderTemplate("{{#a}}{{/b}}", {}), std::invalid_argument);
  EXPECT_THROW(renderTemplate("{{#A}}{{/A}}", {}), std::invalid_argument);
  std::string deep;
  for (int i = 0; i <= kMaxTemplateDepth; ++i) deep += "{{#a}}";
  for (int i = 0; i <= kMaxTemplateDepth; ++i) deep += "{{/a}}";
  EXPECT_THROW(renderTemplate(deep, {}), std::invalid_argument);
}

TEST(PortalTemplates, BuiltInPagesParseAndCarryNoScript) {
  const PortalTemplates t;
  for (PortalPage p : {PortalPage::Login, PortalPage::Status, PortalPage::Error}) {
    EXPECT_NO_THROW(t.render(p, {})) << fileName(p);
    EXPECT_EQ(t.source(p).find("<script"), std::string::npos) << fileName(p);
    EXPECT_NE(t.source(p).find("viewport"), std::string::npos) << fileName(p);
    EXPECT_FALSE(t.overridden(p));
  }
  const std::string login = t.render(PortalPage::Login, {{"voucher", "1"}, {"csrf", "T"}});
  EXPECT_NE(login.find("name=\"code\""), std::string::npos);
  EXPECT_EQ(login.find("name=\"password\""), std::string::npos);
}

TEST(PortalTemplates, OperatorFilesOverrideAndMissingOnesFallBack) {
  TempDir dir;
  std::ofstream(dir.file("login.html")) << "custom {{csrf}}";
  const PortalTemplates t(dir.file(""));
  EXPECT_TRUE(t.overridden(PortalPage::Login));
  EXPECT_EQ(t.render(PortalPage::Login, {{"csrf", "<t>"}}), "custom &lt;t&gt;");
  EXPECT_FALSE(t.overridden(PortalPage::Status));
  EXPECT_EQ(t.source(PortalPage::Status), PortalTemplates::builtIn(PortalPage::Status));
}

TEST(PortalTemplates, BrokenOrUnreadableFilesStopTheLoadNamingThePath) {
  TempDir dir;
  std::ofstream(dir.file("status.html")) << "{{#url}}never closed";
  try {
    PortalTemplates t(dir.file(""));
    ADD_FAILURE() << "accepted a broken template";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(dir.file("status.html")), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("never closed"), std::string::npos) << e.what();
  }
  EXPECT_THROW(PortalTemplates(dir.file("no-such-dir")), std::runtime_error);
  if (::geteuid() != 0) {  // root reads a mode 000 file anyway
    std::ofstream(dir.file("error.html")) << "x";
    ::chmod(dir.file("error.html").c_str(), 0);
    ::unlink(dir.file("status.html").c_str());
    EXPECT_THROW(PortalTemplates(dir.file("")), std::runtime_error);
  }
}

}  // namespace
}  // namespace tollgate::captive
