// Spec of CRC32C (crc32c.h): known vectors, every length and alignment against a bit-at-a-time
// reference, extension at every split. Each runs for both implementations (the SSE4.2
// instruction is skipped on a CPU without it), and the two are run against each other.
#include "daemon/cache/crc32c.h"

#include <gtest/gtest.h>

#include <ostream>
#include <random>
#include <string>

namespace tollgate::cache {
namespace {

using CrcFn = uint32_t (*)(uint32_t, const void*, size_t);

// Bit-at-a-time CRC32C, the definition the fast implementations are checked against.
uint32_t referenceCrc(std::string_view s) {
  uint32_t c = ~0u;
  for (char ch : s) {
    c ^= static_cast<unsigned char>(ch);
    for (int b = 0; b < 8; ++b) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
  }
  return ~c;
}

struct Impl {
  const char* name;
  CrcFn fn;
  bool hardware;
};
void PrintTo(const Impl& impl, std::ostream* os) { *os << impl.name; }

class Crc32cTest : public ::testing::TestWithParam<Impl> {
 protected:
  void SetUp() override {
    if (GetParam().hardware && !crc32cHardwareAvailable()) GTEST_SKIP() << "no SSE4.2 here";
  }
  uint32_t crc(std::string_view s) const { return GetParam().fn(0, s.data(), s.size()); }
  uint32_t extend(uint32_t c, std::string_view s) const {
    return GetParam().fn(c, s.data(), s.size());
  }
};

INSTANTIATE_TEST_SUITE_P(Impls, Crc32cTest,
                         ::testing::Values(Impl{"Software", &crc32cSoftware, false},
                                           Impl{"Hardware", &crc32cHardware, true},
                                           Impl{"Selected", &crc32cExtend, false}),
                         [](const ::testing::TestParamInfo<Impl>& i) { return i.param.name; });

TEST_P(Crc32cTest, CheckValueOf123456789) { EXPECT_EQ(crc("123456789"), 0xE3069283u); }

TEST_P(Crc32cTest, EmptyIsZeroAndExtendingByNothingIsTheSame) {
  EXPECT_EQ(crc(""), 0u);
  EXPECT_EQ(extend(0xE3069283u, ""), 0xE3069283u);
}

// RFC 3720 (iSCSI) appendix B.4.
TEST_P(Crc32cTest, Rfc3720Vectors) {
  EXPECT_EQ(crc(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(crc(std::string(32, '\xff')), 0x62A8AB43u);
  std::string up, down;
  for (int i = 0; i < 32; ++i) {
    up.push_back(static_cast<char>(i));
    down.push_back(static_cast<char>(31 - i));
  }
  EXPECT_EQ(crc(up), 0x46DD794Eu);
  EXPECT_EQ(crc(down), 0x113FDB5Cu);
}

TEST_P(Crc32cTest, MatchesBitwiseForEveryLengthAndAlignment) {
  std::string data;
  for (int i = 0; i < 300; ++i) data.push_back(static_cast<char>(i * 37 + 11));
  for (size_t start = 0; start < 8; ++start) {
    for (size_t len = 0; start + len <= 140; ++len) {
      std::string_view s = std::string_view(data).substr(start, len);
      ASSERT_EQ(crc(s), referenceCrc(s)) << "start " << start << " len " << len;
    }
  }
}

TEST_P(Crc32cTest, ExtendEqualsWholeAtEverySplit) {
  std::string data = "The quick brown fox jumps over the lazy dog, twice over.";
  for (size_t cut = 0; cut <= data.size(); ++cut) {
    std::string_view a = std::string_view(data).substr(0, cut);
    std::string_view b = std::string_view(data).substr(cut);
    EXPECT_EQ(extend(crc(a), b), crc(data)) << cut;
  }
}

TEST(Crc32cImplementationsTest, HardwareAndSoftwareAgreeOnRandomInput) {
  if (!crc32cHardwareAvailable()) GTEST_SKIP() << "no SSE4.2 here";
  std::mt19937_64 rng(20261122);
  std::string data(1 << 16, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  // Lengths around the 8-byte steps and up to whole buffers, from every alignment, extending
  // random CRCs (the state carried between chunks of a body).
  for (int round = 0; round < 2000; ++round) {
    size_t start = rng() % 64;
    size_t len = round < 1000 ? rng() % 80 : rng() % (data.size() - start);
    auto seed = static_cast<uint32_t>(rng());
    const char* p = data.data() + start;
    ASSERT_EQ(crc32cHardware(seed, p, len), crc32cSoftware(seed, p, len))
        << "start " << start << " len " << len << " seed " << seed;
  }
}

}  // namespace
}  // namespace tollgate::cache
