// Unit tests of the QUIC Initial reader: the RFC 9001 / RFC 9369 Appendix A vectors, datagrams
// captured from Chromium, then packets built here (seal() below protects hand-made payloads the
// way a client does) for each branch. Also the raw-message entry point of client_hello.h.
//
// fixtures/quic_rfc9001_a2_client_initial.bin and quic_rfc9369_a2_client_initial.bin are the
// 1200-byte protected client Initials of RFC 9001 §A.2 and RFC 9369 §A.2 (DCID 8394c8f03e515708).
// fixtures/chromium_quic_initial_*.bin are UDP payloads Chromium 156.0.8078.79 (Debian 12) sent
// to a python3 socket on 127.0.0.1:443 in a private network namespace (unshare -n), run as
//   chromium --headless --no-sandbox --enable-quic --origin-to-force-quic-on=fixture.example:443
//     --host-resolver-rules="MAP fixture.example 127.0.0.1" https://fixture.example/
// (v2_*: plus --quic-version=RFCv2). Its ClientHello (ML-KEM key share, GREASE ECH) spans two
// Initial packets, each in a 1250-byte datagram, its CRYPTO frames split and shuffled:
//   v1_1, v1_2    the first two datagrams (packet numbers 1, 2), v2_1, v2_2 likewise in v2
//   v1_retransmit a later retransmission of v1_1's data, split differently (packet number 4)
//   v1_close      the CONNECTION_CLOSE (0x1c) Initial Chromium sent when no server answered
#include "daemon/inspect/quic_initial.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <numeric>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#ifndef TOLLGATE_SOURCE_DIR
#error "TOLLGATE_SOURCE_DIR must name the source tree (CMake defines it for unit_tests)"
#endif

namespace tollgate::inspect {

static void PrintTo(ParseState s, std::ostream* os) {
  *os << (s == ParseState::Done ? "Done" : s == ParseState::NeedMore ? "NeedMore" : "Error");
}
static void PrintTo(QuicError e, std::ostream* os) { *os << toString(e); }
static void PrintTo(TlsError e, std::ostream* os) { *os << toString(e); }

namespace {

// ---- Bytes ----------------------------------------------------------------------------------

std::string u8(unsigned v) { return std::string(1, static_cast<char>(v & 0xff)); }
std::string u16(unsigned v) { return u8(v >> 8) + u8(v); }
std::string u32(uint32_t v) { return u16(v >> 16) + u16(v); }
std::string vector8(std::string_view s) { return u8(s.size()) + std::string(s); }

std::string varint(uint64_t v) {
  if (v < 64) return u8(v);
  if (v < 16384) return u16(0x4000 | v);
  return u32(0x80000000u | static_cast<uint32_t>(v));
}

std::string unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  return out;
}

std::string hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) out += std::string{digits[c >> 4], digits[c & 15]};
  return out;
}
template <size_t N>
std::string hex(const std::array<uint8_t, N>& a) {
  return hex(std::string_view(reinterpret_cast<const char*>(a.data()), N));
}

std::string readFixture(const std::string& name) {
  std::string path = std::string(TOLLGATE_SOURCE_DIR) + "/tests/unit/inspect/fixtures/" + name;
  std::ifstream f(path, std::ios::binary);
  EXPECT_TRUE(f.good()) << "cannot open " << path;
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// The handshake bytes carried by a TLS record stream.
std::string withoutRecords(std::string_view recs) {
  std::string out;
  for (size_t pos = 0; pos + 5 <= recs.size();) {
    size_t len = static_cast<uint8_t>(recs[pos + 3]) << 8 | static_cast<uint8_t>(recs[pos + 4]);
    out.append(recs.substr(pos + 5, len));
    pos += 5 + len;
  }
  return out;
}

const std::string kRfcDcid = unhex("8394c8f03e515708");

// RFC 9001 §A.2: the client's CRYPTO frame (offset 0, 241 bytes: a ClientHello for
// example.com), followed in the packet by 917 bytes of PADDING. RFC 9369 §A.2 reuses it.
const std::string kRfcCryptoFrame = unhex(
    "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
    "04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
    "616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
    "04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
    "baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
    "0d0010000e0403050306030203080408050806002d00020101001c0002400100"
    "3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
    "75300901100f088394c8f03e51570806048000ffff");

// ---- Protecting packets as a client does (RFC 9001 §5.3, §5.4) ------------------------------

struct Seal {
  uint32_t version = kQuicVersion1;
  int type = 0;  // 0 Initial, 1 0-RTT, 2 Handshake (as in v1; mapped for v2)
  std::string dcid = kRfcDcid;
  std::string keyDcid{};  // the DCID the keys come from; empty: dcid
  std::string scid{}, token{};
  uint64_t pn = 0;
  size_t pnLength = 1;
  uint8_t extraBits = 0;  // OR-ed into the first byte under protection (reserved bits)
  bool fixedBit = true;
  size_t minSize = 1200;  // PADDING added to the payload up to this packet size
};

std::string seal(const Seal& s, std::string payload) {
  QuicInitialKeys k;
  EXPECT_TRUE(deriveClientInitialKeys(s.version, s.keyDcid.empty() ? s.dcid : s.keyDcid, k));
  const unsigned type = s.version == kQuicVersion2 ? (s.type + 1) & 3 : s.type;
  std::string header =
      u8(0x80 | (s.fixedBit ? 0x40 : 0) | type << 4 | s.extraBits | (s.pnLength - 1)) +
      u32(s.version) + vector8(s.dcid) + vector8(s.scid);
  if (s.type == 0) header += varint(s.token.size()) + s.token;
  const size_t fixed = header.size() + 2 + s.pnLength + 16;
  if (fixed + payload.size() < s.minSize) payload.append(s.minSize - fixed - payload.size(), 0);
  header += u16(0x4000 | (s.pnLength + payload.size() + 16));  // 2-byte length, as §A.2
  for (size_t i = s.pnLength; i-- > 0;) header += u8(s.pn >> (8 * i));

  unsigned char nonce[12], tag[16], mask[16];
  std::copy(k.iv.begin(), k.iv.end(), nonce);
  for (size_t i = 0; i < 8; ++i) nonce[11 - i] ^= static_cast<unsigned char>(s.pn >> (8 * i));
  std::string packet = header + payload + std::string(16, 0);
  auto* b = reinterpret_cast<unsigned char*>(packet.data());
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int n = 0;
  EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), nullptr, k.key.data(), nonce);
  EVP_EncryptUpdate(ctx, nullptr, &n, b, header.size());
  EVP_EncryptUpdate(ctx, b + header.size(), &n, b + header.size(), payload.size());
  EVP_EncryptFinal_ex(ctx, tag, &n);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag);
  std::copy(tag, tag + 16, b + header.size() + payload.size());
  const size_t pnOffset = header.size() - s.pnLength;
  EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), nullptr, k.hp.data(), nullptr);
  EVP_EncryptUpdate(ctx, mask, &n, b + pnOffset + 4, 16);
  EVP_CIPHER_CTX_free(ctx);
  b[0] ^= mask[0] & 0x0f;
  for (size_t i = 0; i < s.pnLength; ++i) b[pnOffset + i] ^= mask[1 + i];
  return packet;
}

std::string cryptoFrame(uint64_t offset, std::string_view data) {
  return u8(0x06) + varint(offset) + varint(data.size()) + std::string(data);
}

// A client Initial datagram carrying `frames`, packet number `pn`.
std::string initial(const std::string& frames, uint64_t pn = 0) { return seal({.pn = pn}, frames); }

// Packets coalesced into one datagram, zero-padded to 1200 bytes as some stacks do.
std::string datagram(const std::vector<std::string>& packets) {
  std::string d;
  for (const std::string& p : packets) d += p;
  if (d.size() < 1200) d.resize(1200, 0);
  return d;
}

// ---- Running the assembler ------------------------------------------------------------------

void expectDone(const QuicInitialAssembler& a) {
  EXPECT_EQ(a.state(), ParseState::Done) << toString(a.error());
  EXPECT_EQ(a.error(), QuicError::None);
}

void expectError(const QuicInitialAssembler& a, QuicError e) {
  EXPECT_EQ(a.state(), ParseState::Error);
  EXPECT_EQ(a.error(), e);
}

// A fresh assembler fed `datagrams` in order.
QuicInitialAssembler fed(const std::vector<std::string>& datagrams, QuicLimits limits = {}) {
  QuicInitialAssembler a(limits);
  for (const std::string& d : datagrams) a.feed(d);
  return a;
}

const std::string& chromiumHello() {  // 1950-byte handshake message, PQ key share
  static const std::string m = withoutRecords(readFixture("clienthello_chromium.bin"));
  return m;
}
const std::string& curlHello() {
  static const std::string m = withoutRecords(readFixture("clienthello_curl.bin"));
  return m;
}

// ---- Test vectors ---------------------------------------------------------------------------

struct Vector {
  const char* file;
  uint32_t version;
  const char* protectedHeader;  // the rest as printed in Appendix A
  const char *secret, *key, *iv, *hp;
};
const Vector kVectors[] = {
    {"quic_rfc9001_a2_client_initial.bin", kQuicVersion1,
     "c000000001088394c8f03e5157080000449e7b9aec34",
     "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea",
     "1f369613dd76d5467730efcbe3b1a22d", "fa044b2f42a3fd3b46fb255c",
     "9f50449e04a0e810283a1e9933adedd2"},
    {"quic_rfc9369_a2_client_initial.bin", kQuicVersion2,
     "d76b3343cf088394c8f03e5157080000449ea0c95e82",
     "14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b",
     "8b1a0bc121284290a29e0971b5cd045d", "91f73e2351d8fa91660e909f",
     "45b95e15235d6f45a6b19cbcb0294ba9"},
};

class QuicRfcVector : public ::testing::TestWithParam<Vector> {};

TEST_P(QuicRfcVector, ClientKeysFromDcid) {
  QuicInitialKeys k;
  ASSERT_TRUE(deriveClientInitialKeys(GetParam().version, kRfcDcid, k));
  EXPECT_EQ(hex(k.secret), GetParam().secret);
  EXPECT_EQ(hex(k.key), GetParam().key);
  EXPECT_EQ(hex(k.iv), GetParam().iv);
  EXPECT_EQ(hex(k.hp), GetParam().hp);
}

TEST_P(QuicRfcVector, ClientInitialDecryptsToTheGivenCryptoFrame) {
  const std::string packet = readFixture(GetParam().file);
  ASSERT_EQ(packet.size(), 1200u);
  ASSERT_EQ(hex(packet.substr(0, 22)), GetParam().protectedHeader);
  const QuicInitialAssembler a = fed({packet});
  expectDone(a);
  EXPECT_EQ(a.clientHello(), std::string_view(kRfcCryptoFrame).substr(4));  // frame header off
  EXPECT_EQ(a.info().version, GetParam().version);
  EXPECT_EQ(a.info().dcid.view(), kRfcDcid);
  EXPECT_EQ(a.info().scid.size, 0);
  EXPECT_EQ(a.info().hello.sni, "example.com");
  EXPECT_EQ(a.info().hello.alpn, std::vector<std::string>{"alpn"});
  EXPECT_TRUE(a.info().hello.supportsTls13);
  EXPECT_EQ(a.info().hello.bytesUsed, 241u);
  EXPECT_EQ(a.stats().initialPackets, 1u);
  EXPECT_EQ(a.stats().cryptoFrames, 1u);
}

TEST_P(QuicRfcVector, TestSealerReproducesTheProtectedPacket) {
  // The packets built below are only as good as seal(): it must match the RFC bit for bit.
  const Seal s{.version = GetParam().version, .pn = 2, .pnLength = 4, .minSize = 0};
  EXPECT_EQ(hex(seal(s, kRfcCryptoFrame + std::string(917, 0))), hex(readFixture(GetParam().file)));
}

TEST_P(QuicRfcVector, FlippedCiphertextByteFailsToDecrypt) {
  std::string packet = readFixture(GetParam().file);
  packet[600] ^= 1;
  expectError(fed({packet}), QuicError::DecryptFailed);
}

TEST_P(QuicRfcVector, EveryTruncationIsNeedMoreOrErrorAndNeverDone) {
  const std::string packet = readFixture(GetParam().file);
  for (size_t n = 0; n < packet.size(); ++n) {
    const QuicInitialAssembler a = fed({packet.substr(0, n)});
    ASSERT_NE(a.state(), ParseState::Done) << n;
    ASSERT_EQ(a.state() == ParseState::Error, a.error() != QuicError::None) << n;
  }
}

INSTANTIATE_TEST_SUITE_P(Rfc, QuicRfcVector, ::testing::ValuesIn(kVectors), [](const auto& info) {
  return std::string(info.param.version == kQuicVersion1 ? "V1" : "V2");
});

// ---- Chromium captures ----------------------------------------------------------------------

struct ChromiumCase {
  const char* name;
  uint32_t version;
  size_t helloSize;
  std::vector<const char*> captures;  // fixtures/chromium_quic_initial_<capture>.bin, in order
};
const ChromiumCase kChromium[] = {
    {"V1", kQuicVersion1, 1953, {"v1_1", "v1_2"}},
    {"V1Reversed", kQuicVersion1, 1953, {"v1_2", "v1_1"}},
    {"V1WithResends", kQuicVersion1, 1953, {"v1_retransmit", "v1_close", "v1_1", "v1_2"}},
    {"V2", kQuicVersion2, 1916, {"v2_1", "v2_2"}},
    {"V2Reversed", kQuicVersion2, 1916, {"v2_2", "v2_1"}},
};

class QuicChromium : public ::testing::TestWithParam<ChromiumCase> {
 protected:
  void SetUp() override {
    for (const char* c : GetParam().captures)
      datagrams_.push_back(readFixture(std::string("chromium_quic_initial_") + c + ".bin"));
  }
  std::vector<std::string> datagrams_;
};

TEST_P(QuicChromium, HelloIsDoneOnlyWithTheLastDatagram) {
  QuicInitialAssembler a;
  for (size_t i = 0; i + 1 < datagrams_.size(); ++i)
    EXPECT_EQ(a.feed(datagrams_[i]), ParseState::NeedMore) << toString(a.error());
  EXPECT_EQ(a.feed(datagrams_.back()), ParseState::Done);
  expectDone(a);
  const ClientHelloInfo& h = a.info().hello;
  EXPECT_EQ(h.sni, "fixture.example");
  EXPECT_EQ(h.alpn, std::vector<std::string>{"h3"});
  EXPECT_TRUE(h.hasEch);
  EXPECT_TRUE(h.supportsTls13);
  EXPECT_EQ(h.bytesUsed, GetParam().helloSize);
  EXPECT_EQ(a.clientHello().size(), GetParam().helloSize);
  EXPECT_EQ(a.info().version, GetParam().version);
  EXPECT_EQ(a.info().dcid.size, 8);
  EXPECT_EQ(a.stats().initialPackets, datagrams_.size());
}

TEST_P(QuicChromium, EveryTruncationIsNeverDoneAndTheWholeDatagramStillCompletes) {
  // Alone, a cut datagram is NeedMore or Error. After the other datagram has opened, a cut copy
  // is skipped like any unreadable packet, and the intact one still completes the hello.
  const std::string& last = datagrams_.back();
  const std::vector<std::string> before(datagrams_.begin(), datagrams_.end() - 1);
  for (size_t n = 0; n < last.size(); ++n) {
    ASSERT_NE(fed({last.substr(0, n)}).state(), ParseState::Done) << n;
    QuicInitialAssembler a = fed(before);
    ASSERT_EQ(a.feed(std::string_view(last).substr(0, n)), ParseState::NeedMore) << n;
    ASSERT_EQ(a.feed(last), ParseState::Done) << n;
  }
}

INSTANTIATE_TEST_SUITE_P(Captures, QuicChromium, ::testing::ValuesIn(kChromium),
                         [](const auto& info) { return std::string(info.param.name); });

// ---- Reassembly -----------------------------------------------------------------------------

TEST(QuicInitial, HelloSplitIntoTwoPacketsAtEveryPointIsDoneOnlyWithBoth) {
  const std::string& m = curlHello();
  for (size_t cut = 1; cut < m.size(); ++cut) {
    const std::string first = initial(cryptoFrame(0, m.substr(0, cut)), 0);
    const std::string second = initial(cryptoFrame(cut, m.substr(cut)), 1);
    for (bool reversed : {false, true}) {
      QuicInitialAssembler a;
      ASSERT_EQ(a.feed(reversed ? second : first), ParseState::NeedMore) << cut;
      ASSERT_EQ(a.feed(reversed ? first : second), ParseState::Done) << cut;
      ASSERT_EQ(a.clientHello(), m);
    }
  }
}

TEST(QuicInitial, ShuffledCryptoFramesAcrossPacketsAmidPingAckAndPadding) {
  // Chromium-style chaos: the PQ hello in 30 pieces, shuffled, over three Initial datagrams.
  const std::string& m = chromiumHello();
  const size_t piece = (m.size() + 29) / 30;
  std::vector<size_t> order(30);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937(7));
  std::vector<std::string> payloads(3);
  for (size_t i = 0; i < order.size(); ++i) {
    const size_t at = order[i] * piece;
    payloads[i % 3] += u8(0x01) + u8(0) + u8(0) + cryptoFrame(at, m.substr(at, piece));
  }
  payloads[1] = u8(0x02) + varint(3) + varint(0) + varint(0) + varint(0) + payloads[1];
  QuicInitialAssembler a;
  EXPECT_EQ(a.feed(initial(payloads[0], 0)), ParseState::NeedMore);
  EXPECT_EQ(a.feed(initial(payloads[1], 1)), ParseState::NeedMore);
  EXPECT_EQ(a.feed(initial(payloads[2], 2)), ParseState::Done);
  EXPECT_EQ(a.clientHello(), m);
  EXPECT_EQ(a.info().hello.sni, "fixture.example");
  EXPECT_EQ(a.stats().cryptoFrames, 30u);
}

TEST(QuicInitial, AckFramesWithRangesAndEcnCountsAndConnectionCloseAreSkipped) {
  const std::string ack = u8(0x02) + varint(10) + varint(5) + varint(2) + varint(1) + varint(1) +
                          varint(2) + varint(0) + varint(1);
  const std::string ackEcn = u8(0x03) + varint(10) + varint(5) + varint(0) + varint(3) + varint(1) +
                             varint(0) + varint(16383);
  const std::string close = u8(0x1c) + varint(0x0a) + varint(0x06) + vector8("bye");
  expectDone(fed({initial(ack + ackEcn + close + cryptoFrame(0, curlHello()))}));
}

TEST(QuicInitial, RetransmittedCryptoDataMustNotChange) {
  const std::string& m = curlHello();
  std::string changed = m.substr(0, 100);
  changed[50] ^= 1;
  expectError(fed({initial(cryptoFrame(0, m.substr(0, 100))),
                   initial(cryptoFrame(40, changed.substr(40)), 1)}),
              QuicError::ProtocolViolation);
  // The same bytes again are fine.
  const std::string first = initial(cryptoFrame(0, m.substr(0, 100)));
  expectDone(fed({first, first, initial(cryptoFrame(40, m.substr(40)), 1)}));
}

TEST(QuicInitial, CryptoDataPastTheClientHelloIsAProtocolViolation) {
  expectError(fed({initial(cryptoFrame(0, curlHello() + u8(0x14)))}), QuicError::ProtocolViolation);
}

TEST(QuicInitial, CryptoBeyondTheCapIsTooLarge) {
  expectError(fed({initial(cryptoFrame(64 * 1024, "x"))}), QuicError::TooLarge);
  // The curl hello's header announces 512 bytes.
  expectError(fed({initial(cryptoFrame(0, curlHello().substr(0, 4)))}, {.maxCryptoBytes = 300}),
              QuicError::TooLarge);
}

TEST(QuicInitial, TooManyGapsIsTooFragmented) {
  std::string frames;
  for (size_t i = 0; i < 32; ++i) frames += cryptoFrame(10 + 2 * i, "x");
  QuicInitialAssembler a = fed({initial(frames)});
  EXPECT_EQ(a.state(), ParseState::NeedMore);  // 32 disjoint ranges are tracked
  a.feed(initial(cryptoFrame(200, "y"), 1));
  expectError(a, QuicError::TooFragmented);
}

TEST(QuicInitial, AnotherHandshakeMessageIsNotClientHello) {
  expectError(fed({initial(cryptoFrame(0, u8(2) + u8(0) + u16(4) + "abcd"))}),
              QuicError::NotClientHello);
  expectError(fed({initial(cryptoFrame(0, u8(1) + u8(0) + u16(4) + "abcd"))}),
              QuicError::BadClientHello);
}

// ---- Packets and datagrams ------------------------------------------------------------------

TEST(QuicInitial, CoalescedHandshakeAndZeroRttPacketsAreSkippedByLength) {
  QuicInitialAssembler a;
  EXPECT_EQ(a.feed(datagram({seal({.minSize = 0}, cryptoFrame(0, curlHello().substr(0, 100))),
                             seal({.type = 2, .minSize = 0}, "handshake"),
                             seal({.type = 1, .minSize = 0}, "early data")})),
            ParseState::NeedMore);
  EXPECT_EQ(a.stats().skippedPackets, 3u);  // Handshake, 0-RTT, the zero tail
  EXPECT_EQ(a.feed(initial(cryptoFrame(100, curlHello().substr(100)), 1)), ParseState::Done);
}

TEST(QuicInitial, TwoCoalescedInitialsCompleteTheHelloTogether) {
  const std::string& m = chromiumHello();
  QuicInitialAssembler a =
      fed({datagram({seal({.minSize = 0}, cryptoFrame(1000, m.substr(1000))),
                     seal({.pn = 1, .minSize = 0}, cryptoFrame(0, m.substr(0, 1000)))})});
  expectDone(a);
  EXPECT_EQ(a.stats().initialPackets, 2u);
}

TEST(QuicInitial, CoalescedPacketWithAnotherDcidIsIgnored) {
  QuicInitialAssembler a =
      fed({datagram({seal({.minSize = 0}, cryptoFrame(0, curlHello().substr(0, 100))),
                     seal({.dcid = unhex("0102030405060708"), .minSize = 0},
                          cryptoFrame(100, curlHello().substr(100)))})});
  EXPECT_EQ(a.state(), ParseState::NeedMore);
  EXPECT_EQ(a.stats().skippedPackets, 1u);
}

TEST(QuicInitial, LaterInitialWithTheServersDcidKeepsTheFirstKeys) {
  // After the server's first Initial the client addresses its SCID; keys stay the original's.
  const Seal later{.dcid = unhex("aabbccdd"), .keyDcid = kRfcDcid, .pn = 1};
  QuicInitialAssembler a = fed({initial(cryptoFrame(0, curlHello().substr(0, 100))),
                                seal(later, cryptoFrame(100, curlHello().substr(100)))});
  expectDone(a);
  EXPECT_EQ(a.info().dcid.view(), kRfcDcid);
}

TEST(QuicInitial, LaterUndecryptableOrOtherVersionInitialsAreSkipped) {
  const std::string rest = cryptoFrame(100, curlHello().substr(100));
  std::string tampered = initial(rest, 2);
  tampered[100] ^= 1;
  QuicInitialAssembler a = fed({initial(cryptoFrame(0, curlHello().substr(0, 100)))});
  EXPECT_EQ(a.feed(seal({.version = kQuicVersion2, .pn = 1}, rest)), ParseState::NeedMore);
  EXPECT_EQ(a.feed(tampered), ParseState::NeedMore);
  EXPECT_EQ(a.stats().skippedPackets, 1u);
  EXPECT_EQ(a.stats().undecryptablePackets, 1u);
  EXPECT_EQ(a.feed(initial(rest, 3)), ParseState::Done);
}

TEST(QuicInitial, ShortHeaderAndReorderedZeroRttDatagramsAreSkipped) {
  QuicInitialAssembler a;
  EXPECT_EQ(a.feed(u8(0x43) + std::string(1199, 'x')), ParseState::NeedMore);
  EXPECT_EQ(a.feed(seal({.type = 1}, "GET /")), ParseState::NeedMore);
  EXPECT_EQ(a.stats().skippedPackets, 2u);
  EXPECT_EQ(a.feed(initial(cryptoFrame(0, curlHello()))), ParseState::Done);
}

TEST(QuicInitial, InitialInADatagramUnder1200BytesIsSkippedAsServersDo) {
  QuicInitialAssembler a = fed({seal({.minSize = 1199}, cryptoFrame(0, curlHello()))});
  EXPECT_EQ(a.state(), ParseState::NeedMore);
  EXPECT_EQ(a.stats().undersizedDatagrams, 1u);
  EXPECT_EQ(a.feed(initial(cryptoFrame(0, curlHello()))), ParseState::Done);
}

TEST(QuicInitial, DatagramsThatCannotStartQuicAreNotQuic) {
  for (const std::string& d : {std::string(), unhex("16030100a5010000a1"), std::string(1200, 0)})
    expectError(fed({d}), QuicError::NotQuic);
}

TEST(QuicInitial, OtherVersionsAreUnsupported) {
  for (uint32_t version : {0u, 0xff00001du, 0x1a2a3a4au}) {  // negotiation, draft-29, other
    QuicInitialKeys k;
    EXPECT_FALSE(deriveClientInitialKeys(version, kRfcDcid, k));
    std::string d = initial(cryptoFrame(0, curlHello()));
    d.replace(1, 4, u32(version));
    expectError(fed({d}), QuicError::UnsupportedVersion);
  }
}

TEST(QuicInitial, BadConnectionIdsAreMalformed) {
  // RFC 9000 §7.2: a client's first DCID has at least 8 bytes; §17.2: no CID over 20.
  for (const Seal& s : {Seal{.dcid = "1234567"}, Seal{.scid = std::string(21, 's')}})
    expectError(fed({seal(s, cryptoFrame(0, curlHello()))}), QuicError::Malformed);
}

TEST(QuicInitial, ClearFixedBitIsMalformedUnlessTheInitialCarriesAToken) {
  expectError(fed({seal({.fixedBit = false}, cryptoFrame(0, curlHello()))}), QuicError::Malformed);
  // RFC 9287 §3.1: allowed with a token from a server that advertised grease_quic_bit.
  expectDone(
      fed({seal({.token = "from NEW_TOKEN", .fixedBit = false}, cryptoFrame(0, curlHello()))}));
}

TEST(QuicInitial, ReservedBitsSetAfterUnprotectingAreAProtocolViolation) {
  expectError(fed({seal({.extraBits = 0x04}, cryptoFrame(0, curlHello()))}),
              QuicError::ProtocolViolation);
}

TEST(QuicInitial, PacketWithoutFramesIsAProtocolViolation) {
  // 4-byte packet number, no payload, 16-byte tag: the smallest packet that can be sampled.
  expectError(fed({datagram({seal({.pnLength = 4, .minSize = 0}, "")})}),
              QuicError::ProtocolViolation);
}

TEST(QuicInitial, FramesNotAllowedInInitialPacketsAreAProtocolViolation) {
  // STREAM, NEW_TOKEN, application CONNECTION_CLOSE, HANDSHAKE_DONE, CRYPTO as a 2-byte type.
  for (const std::string& frame :
       {u8(0x08) + u8(0) + "x", u8(0x07) + vector8("t"), u8(0x1d) + u8(0) + u8(0), u8(0x1e),
        u16(0x4006) + u8(0) + u8(1) + "x"})
    expectError(fed({initial(frame)}), QuicError::ProtocolViolation);
}

TEST(QuicInitial, FrameRunningPastThePayloadIsMalformed) {
  // A CRYPTO frame longer than its packet; an ACK announcing 1000 ranges it does not carry.
  for (const std::string& frame :
       {u8(0x06) + u8(0) + varint(5000) + "short", u8(0x02) + u8(0) + u8(0) + varint(1000) + u8(0)})
    expectError(fed({datagram({seal({.minSize = 0}, frame)})}), QuicError::Malformed);
}

TEST(QuicInitial, DoneAndErrorAreFinal) {
  QuicInitialAssembler done = fed({initial(cryptoFrame(0, curlHello()))});
  EXPECT_EQ(done.feed("garbage"), ParseState::Done);
  EXPECT_EQ(done.stats().datagrams, 1u);
  QuicInitialAssembler failed = fed({unhex("00")});
  EXPECT_EQ(failed.feed(initial(cryptoFrame(0, curlHello()))), ParseState::Error);
  EXPECT_EQ(failed.error(), QuicError::NotQuic);
}

TEST(QuicInitial, StatelessHelperReadsOneDatagram) {
  QuicInitialInfo info;
  QuicError err;
  EXPECT_EQ(parseQuicInitial(readFixture("quic_rfc9001_a2_client_initial.bin"), {}, info, err),
            ParseState::Done);
  EXPECT_EQ(err, QuicError::None);
  EXPECT_EQ(info.hello.sni, "example.com");
  EXPECT_EQ(parseQuicInitial(readFixture("chromium_quic_initial_v1_1.bin"), {}, info, err),
            ParseState::NeedMore);
  EXPECT_EQ(parseQuicInitial("\x16\x03", {}, info, err), ParseState::Error);
  EXPECT_EQ(err, QuicError::NotQuic);
}

// ---- client_hello.h: a handshake message without records ------------------------------------

TEST(ClientHelloMessage, CapturedHellosParseAsWithTheirRecords) {
  for (const char* file : {"clienthello_curl.bin", "clienthello_openssl_tls12.bin",
                           "clienthello_openssl_tls13.bin", "clienthello_chromium.bin"}) {
    SCOPED_TRACE(file);
    const std::string recs = readFixture(file);
    const std::string m = withoutRecords(recs);
    ClientHelloInfo framed, bare;
    TlsError err;
    ASSERT_EQ(parseClientHello(recs, {}, framed, err), ParseState::Done);
    ASSERT_EQ(parseClientHelloMessage(m + "next", {}, bare, err), ParseState::Done);
    auto fields = [](const ClientHelloInfo& h) {
      return std::tuple(h.sni, h.alpn, h.hasEch, h.supportsTls13, h.legacyVersion);
    };
    EXPECT_EQ(fields(bare), fields(framed));
    EXPECT_EQ(bare.recordVersion, 0);
    EXPECT_EQ(bare.bytesUsed, m.size());
    for (size_t n = 0; n < m.size(); ++n)
      ASSERT_EQ(parseClientHelloMessage(m.substr(0, n), {}, bare, err), ParseState::NeedMore) << n;
  }
}

TEST(ClientHelloMessage, BadHeadersAndBodiesAreRejected) {
  ClientHelloInfo info;
  TlsError err;
  EXPECT_EQ(parseClientHelloMessage("\x02", {}, info, err), ParseState::Error);
  EXPECT_EQ(err, TlsError::NotClientHello);
  // 16 KiB + 4 bytes: over the default 16 KiB cap.
  EXPECT_EQ(parseClientHelloMessage(unhex("01004000"), {}, info, err), ParseState::Error);
  EXPECT_EQ(err, TlsError::TooLarge);
  EXPECT_EQ(parseClientHelloMessage(unhex("010000020303"), {}, info, err), ParseState::Error);
  EXPECT_EQ(err, TlsError::Malformed);
}

}  // namespace
}  // namespace tollgate::inspect
