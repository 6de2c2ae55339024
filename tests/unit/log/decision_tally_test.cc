// DecisionTally: counts by (action, list, group), bounded label sets.
#include "daemon/log/decision_tally.h"

#include <gtest/gtest.h>

namespace tollgate::log {
namespace {

TEST(DecisionTally, CountsEachLabelSet) {
  DecisionTally t;
  t.add("block", "ads", "kids");
  t.add("block", "ads", "kids");
  t.add("allow", "", "default");
  auto e = t.entries();
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].action, "allow");
  EXPECT_EQ(e[0].list, "");
  EXPECT_EQ(e[0].group, "default");
  EXPECT_EQ(e[0].count, 1u);
  EXPECT_EQ(e[1].action, "block");
  EXPECT_EQ(e[1].list, "ads");
  EXPECT_EQ(e[1].count, 2u);
  EXPECT_EQ(t.overflowed(), 0u);
}

TEST(DecisionTally, PastTheCapNewListsCountAsOther) {
  DecisionTally t;
  for (size_t i = 0; i < DecisionTally::kMaxEntries; ++i)
    t.add("block", "list" + std::to_string(i), "g");
  t.add("block", "list0", "g");  // a known set still counts as itself
  t.add("block", "new1", "g");
  t.add("block", "new2", "g");
  auto e = t.entries();
  EXPECT_EQ(e.size(), DecisionTally::kMaxEntries + 1);
  EXPECT_EQ(t.overflowed(), 2u);
  bool sawOther = false;
  for (auto& x : e) {
    if (x.list == "list0") {
      EXPECT_EQ(x.count, 2u);
    }
    if (x.list == "other") {
      sawOther = true;
      EXPECT_EQ(x.group, "g");
      EXPECT_EQ(x.count, 2u);
    }
    EXPECT_NE(x.list, "new1");
  }
  EXPECT_TRUE(sawOther);
}

TEST(DecisionTally, PastTwiceTheCapGroupsCountAsOtherToo) {
  DecisionTally t;
  for (size_t i = 0; i < 2 * DecisionTally::kMaxEntries; ++i)
    t.add("block", i < DecisionTally::kMaxEntries ? "l" + std::to_string(i) : "x",
          "g" + std::to_string(i));
  EXPECT_EQ(t.entries().size(), 2 * DecisionTally::kMaxEntries);
  t.add("allow", "y", "brand-new");
  t.add("log", "z", "another");
  auto e = t.entries();
  EXPECT_EQ(e.size(), 2 * DecisionTally::kMaxEntries + 2);  // one per action, no more
  t.add("allow", "w", "third");
  EXPECT_EQ(t.entries().size(), 2 * DecisionTally::kMaxEntries + 2);
}

}  // namespace
}  // namespace tollgate::log
