// Voucher codes and their lifecycle: creation, first use starting the clock, device limits,
// per-device data, expiry, and a second connection (tollgatectl) sharing the file.
#include "captive/vouchers.h"

#include <gtest/gtest.h>

#include <cctype>
#include <map>
#include <regex>
#include <set>
#include <stdexcept>

#include "tests/unit/captive/captive_test_support.h"

namespace tollgate::captive {
namespace {

using namespace std::chrono_literals;
using testing::kT0;
using testing::TempDir;

constexpr const char* kMacA = "02:00:00:00:00:0a";
constexpr const char* kMacB = "02:00:00:00:00:0b";
constexpr const char* kMacC = "02:00:00:00:00:0c";

class VoucherTest : public ::testing::Test {
 protected:
  std::string one(std::chrono::seconds duration = 24h, uint64_t data = 0, uint32_t devices = 1) {
    return vouchers_.create(1, duration, data, devices, kT0).at(0).code;
  }
  DatabasePtr db_ = std::make_shared<Database>(":memory:");
  Vouchers vouchers_{db_};
};

TEST_F(VoucherTest, CodesAreDistinctGroupedAndFreeOfLookAlikes) {
  auto made = vouchers_.create(200, 24h, 0, 1, kT0);
  ASSERT_EQ(made.size(), 200u);
  const std::regex shape("[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{2}");
  std::set<std::string> seen;
  for (const Voucher& v : made) {
    EXPECT_TRUE(std::regex_match(v.code, shape)) << v.code;
    EXPECT_EQ(v.code.find_first_of("01OIL"), std::string::npos) << v.code;
    EXPECT_EQ(v.duration, 24h);
    EXPECT_EQ(v.created, kT0);
    EXPECT_FALSE(v.firstUsed);
    seen.insert(v.code);
  }
  EXPECT_EQ(seen.size(), 200u);
  EXPECT_EQ(vouchers_.list().size(), 200u);
  EXPECT_EQ(vouchers_.counters().created, 200u);
}

TEST_F(VoucherTest, EverySymbolIsAboutEquallyLikely) {
  // 10,000 symbols over 31: ~323 each, sd ~18. The bounds are 6+ sd away, so a failure means
  // a biased generator (a plain `% 31` gives the first eight symbols ~13% more), not bad luck.
  std::map<char, int> count;
  for (const Voucher& v : vouchers_.create(1000, 1h, 0, 1, kT0)) {
    for (char c : v.code) {
      if (c != '-') ++count[c];
    }
  }
  EXPECT_EQ(count.size(), 31u);
  for (auto [symbol, n] : count) {
    EXPECT_GT(n, 215) << symbol;
    EXPECT_LT(n, 430) << symbol;
  }
}

TEST_F(VoucherTest, CreateRefusesNonsense) {
  EXPECT_THROW(vouchers_.create(0, 24h, 0, 1, kT0), std::invalid_argument);
  EXPECT_THROW(vouchers_.create(Vouchers::kMaxCount + 1, 24h, 0, 1, kT0), std::invalid_argument);
  EXPECT_THROW(vouchers_.create(1, 0s, 0, 1, kT0), std::invalid_argument);
  EXPECT_THROW(vouchers_.create(1, 24h, 0, 0, kT0), std::invalid_argument);
  EXPECT_THROW(vouchers_.create(1, 24h, 0, Vouchers::kMaxDevices + 1, kT0), std::invalid_argument);
  EXPECT_TRUE(vouchers_.list().empty());
}

TEST(VoucherInputTest, NormalizationForgivesCaseSpacesAndDashes) {
  EXPECT_EQ(Vouchers::normalize("ABCD-EFGH-JK"), "ABCDEFGHJK");
  EXPECT_EQ(Vouchers::normalize(" abcd efgh jk "), "ABCDEFGHJK");
  EXPECT_EQ(Vouchers::normalize("abcdefghjk"), "ABCDEFGHJK");
  EXPECT_EQ(Vouchers::normalize("AB-CD--EF\tGHJK"), "ABCDEFGHJK");
  EXPECT_FALSE(Vouchers::normalize("ABCD-EFGH-J"));    // short
  EXPECT_FALSE(Vouchers::normalize("ABCD-EFGH-JKM"));  // long
  EXPECT_FALSE(Vouchers::normalize("ABCD-EFGH-J0"));   // 0 is never in a code
  EXPECT_FALSE(Vouchers::normalize("ABCD-EFGH-JL"));   // nor L
  EXPECT_FALSE(Vouchers::normalize("ABCD'EFGH-JK"));
  EXPECT_FALSE(Vouchers::normalize(""));
  EXPECT_EQ(Vouchers::display("ABCDEFGHJK"), "ABCD-EFGH-JK");
}

TEST_F(VoucherTest, TheClockStartsAtFirstUse) {
  const std::string code = one(24h);
  Redemption r = vouchers_.redeem(code, kMacA, kT0 + 72h);  // printed three days ago
  EXPECT_EQ(r.status, RedeemStatus::Ok);
  EXPECT_EQ(r.code, code);
  EXPECT_EQ(r.expiresAt, kT0 + 96h);
  EXPECT_EQ(r.macs, std::vector<std::string>{kMacA});
  auto v = vouchers_.find(code);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->firstUsed, kT0 + 72h);
  EXPECT_EQ(v->expiresAt, kT0 + 96h);
  EXPECT_EQ(v->macs, std::vector<std::string>{kMacA});
}

TEST_F(VoucherTest, TypedInputAndAnyMacSpellingRedeem) {
  const std::string code = one();
  std::string typed = code;
  for (char& c : typed) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  typed.replace(typed.find('-'), 1, " ");
  EXPECT_EQ(vouchers_.redeem(typed, "02-00-00-00-00-0A", kT0).status, RedeemStatus::Ok);
  EXPECT_EQ(vouchers_.find(code)->macs, std::vector<std::string>{kMacA});
}

TEST_F(VoucherTest, ExpiresItsDurationAfterFirstUse) {
  const std::string code = one(24h);
  vouchers_.redeem(code, kMacA, kT0 + 1h);
  EXPECT_EQ(vouchers_.redeem(code, kMacA, kT0 + 25h - 1s).status, RedeemStatus::Ok);
  EXPECT_EQ(vouchers_.redeem(code, kMacA, kT0 + 25h).status, RedeemStatus::Expired);
  EXPECT_EQ(vouchers_.counters().expired, 1u);
}

TEST_F(VoucherTest, ComingBackNeitherMovesTheClockNorTakesADevice) {
  const std::string code = one(24h, 0, 1);
  Redemption first = vouchers_.redeem(code, kMacA, kT0);
  Redemption again = vouchers_.redeem(code, kMacA, kT0 + 5h);
  EXPECT_EQ(again.status, RedeemStatus::Ok);
  EXPECT_EQ(again.expiresAt, first.expiresAt);
  EXPECT_EQ(vouchers_.counters().redeemed, 1u);
  EXPECT_EQ(vouchers_.counters().reused, 1u);
}

TEST_F(VoucherTest, TheDeviceLimitHoldsAndNamesTheHolders) {
  const std::string code = one(24h, 0, 2);
  EXPECT_EQ(vouchers_.redeem(code, kMacB, kT0).status, RedeemStatus::Ok);
  EXPECT_EQ(vouchers_.redeem(code, kMacA, kT0).status, RedeemStatus::Ok);
  Redemption third = vouchers_.redeem(code, kMacC, kT0);
  EXPECT_EQ(third.status, RedeemStatus::DevicesUsedUp);
  EXPECT_EQ(third.macs, (std::vector<std::string>{kMacA, kMacB}));
  EXPECT_EQ(vouchers_.redeem(code, kMacA, kT0 + 1h).status, RedeemStatus::Ok);
  EXPECT_EQ(vouchers_.counters().devices_used_up, 1u);
  EXPECT_EQ(vouchers_.find(code)->macs, (std::vector<std::string>{kMacA, kMacB}));
}

TEST_F(VoucherTest, UnknownAndMalformedCodesAreUnknown) {
  one();
  EXPECT_EQ(vouchers_.redeem("ZZZZ-ZZZZ-ZZ", kMacA, kT0).status, RedeemStatus::Unknown);
  EXPECT_EQ(vouchers_.redeem("hello", kMacA, kT0).status, RedeemStatus::Unknown);
  EXPECT_EQ(vouchers_.redeem("'; DROP TABLE vouchers; --", kMacA, kT0).status,
            RedeemStatus::Unknown);
  EXPECT_EQ(vouchers_.redeem(one(), "not-a-mac", kT0).status, RedeemStatus::Unknown);
  EXPECT_EQ(vouchers_.counters().unknown, 4u);
  EXPECT_EQ(vouchers_.list().size(), 2u);
}

TEST_F(VoucherTest, DataIsPerDeviceAndCountsAcrossSessions) {
  const std::string code = one(24h, 1000, 2);
  Redemption r = vouchers_.redeem(code, kMacA, kT0);
  EXPECT_EQ(r.dataQuota, 1000u);
  EXPECT_EQ(r.dataLeft, 1000u);
  vouchers_.recordUsage(code, kMacA, 600);  // first session ended (idle) after 600 bytes
  r = vouchers_.redeem(code, kMacA, kT0 + 1h);
  EXPECT_EQ(r.status, RedeemStatus::Ok);
  EXPECT_EQ(r.dataLeft, 400u);
  vouchers_.recordUsage(code, kMacA, 450);  // a session may overshoot by one tick's traffic
  EXPECT_EQ(vouchers_.redeem(code, kMacA, kT0 + 2h).status, RedeemStatus::DataUsedUp);
  EXPECT_EQ(vouchers_.redeem(code, kMacB, kT0 + 2h).dataLeft, 1000u);
  EXPECT_EQ(vouchers_.counters().data_used_up, 1u);
}

TEST_F(VoucherTest, UsageSaturatesInsteadOfWrapping) {
  const std::string code = one(24h, 1000, 1);
  vouchers_.redeem(code, kMacA, kT0);
  vouchers_.recordUsage(code, kMacA, UINT64_MAX);
  vouchers_.recordUsage(code, kMacA, UINT64_MAX);
  EXPECT_EQ(vouchers_.redeem(code, kMacA, kT0).status, RedeemStatus::DataUsedUp);
}

TEST_F(VoucherTest, UsageOfAnUnboundMacChangesNothing) {
  const std::string code = one(24h, 1000, 2);
  vouchers_.recordUsage(code, kMacA, 5000);  // never redeemed by A
  EXPECT_EQ(vouchers_.redeem(code, kMacA, kT0).dataLeft, 1000u);
}

TEST_F(VoucherTest, RemoveAndRemoveExpired) {
  const std::string used = one(1h);
  const std::string unused = one(1h);
  const std::string gone = one(1h);
  vouchers_.redeem(used, kMacA, kT0);
  EXPECT_TRUE(vouchers_.remove(gone));
  EXPECT_FALSE(vouchers_.remove(gone));
  EXPECT_EQ(vouchers_.removeExpired(kT0 + 1h - 1s), 0u);
  EXPECT_EQ(vouchers_.removeExpired(kT0 + 1h), 1u);
  auto left = vouchers_.list();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].code, unused);  // never used: its clock has not started
}

TEST_F(VoucherTest, ThePrintableListHasOneHeadingPerRoll) {
  auto roll = vouchers_.create(3, 24h, uint64_t{2} << 30, 1, kT0);
  EXPECT_EQ(vouchers_.create(2, 48h, 0, 4, kT0 + 1s).size(), 2u);
  std::string text = Vouchers::toText(roll);
  EXPECT_EQ(text.find("Wi-Fi access: 24h from first use, 2G of data, 1 device\n"), 0u) << text;
  for (const Voucher& v : roll) EXPECT_NE(text.find("    " + v.code + "\n"), std::string::npos);
  std::string all = Vouchers::toText(vouchers_.list());
  EXPECT_NE(all.find("Wi-Fi access: 24h"), std::string::npos) << all;
  EXPECT_NE(all.find("\nWi-Fi access: 2d from first use, unlimited data, 4 devices\n"),
            std::string::npos)
      << all;
  EXPECT_EQ(Vouchers::toText({}), "");
}

TEST(VoucherFormatTest, DurationsAndSizesReadBackAsConfigValues) {
  EXPECT_EQ(formatDuration(24h), "24h");
  EXPECT_EQ(formatDuration(48h), "2d");
  EXPECT_EQ(formatDuration(90min), "90m");
  EXPECT_EQ(formatDuration(45s), "45s");
  EXPECT_EQ(formatDuration(3601s), "3601s");
  EXPECT_EQ(formatSize(uint64_t{2} << 30), "2G");
  EXPECT_EQ(formatSize(uint64_t{512} << 20), "512M");
  EXPECT_EQ(formatSize(1500), "1500");
  EXPECT_EQ(formatSize(uint64_t{3} << 40), "3T");
}

TEST(VoucherSharingTest, CodesWrittenByAnotherProcessAreValidAtOnce) {
  TempDir dir;
  const std::string path = dir.file("captive.db");
  Vouchers daemon(std::make_shared<Database>(path));
  std::string code;
  {
    Vouchers ctl(std::make_shared<Database>(path));  // tollgatectl voucher create
    code = ctl.create(1, 24h, 0, 1, kT0).at(0).code;
  }
  EXPECT_EQ(daemon.redeem(code, kMacA, kT0).status, RedeemStatus::Ok);
  Vouchers afterRestart(std::make_shared<Database>(path));
  EXPECT_EQ(afterRestart.redeem(code, kMacB, kT0).status, RedeemStatus::DevicesUsedUp);
  EXPECT_EQ(afterRestart.find(code)->expiresAt, kT0 + 24h);
}

}  // namespace
}  // namespace tollgate::captive
