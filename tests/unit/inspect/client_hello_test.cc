// Unit tests of the TLS ClientHello parser: ClientHellos captured from real clients (fixtures/),
// then hand-built hellos for each branch.
//
// The fixtures are the first bytes each client wrote to a python3 listener on 127.0.0.1 that read
// TLS records until the ClientHello was whole and saved exactly those records. Every client was
// pointed at https://fixture.example:<port>/ (curl --resolve, openssl -servername, Chromium
// --host-resolver-rules="MAP fixture.example 127.0.0.1"), all from Debian 12 packages:
//   clienthello_curl.bin            curl 7.88.1 (OpenSSL 3.0.22), --resolve fixture.example:<port>
//   clienthello_openssl_tls12.bin   openssl s_client 3.0.22 -tls1_2 -servername fixture.example
//   clienthello_openssl_tls13.bin   openssl s_client 3.0.22 -tls1_3 -servername fixture.example
//                                   -alpn h2,http/1.1
//   clienthello_chromium.bin        Chromium 156.0.8078.79 --headless (PQ key share, GREASE ECH)
#include "daemon/inspect/client_hello.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#ifndef TOLLGATE_SOURCE_DIR
#error "TOLLGATE_SOURCE_DIR must name the source tree (CMake defines it for unit_tests)"
#endif

namespace tollgate::inspect {

// gtest finds these by ADL, so they live in the enums' namespace; static keeps them private to
// this file.
static void PrintTo(ParseState s, std::ostream* os) {
  *os << (s == ParseState::Done ? "Done" : s == ParseState::NeedMore ? "NeedMore" : "Error");
}
static void PrintTo(TlsError e, std::ostream* os) { *os << toString(e); }

namespace {

// ---- Byte builders -------------------------------------------------------------------------

std::string u8(unsigned v) { return std::string(1, static_cast<char>(v & 0xff)); }
std::string u16(unsigned v) { return u8(v >> 8) + u8(v); }
std::string u24(unsigned v) { return u8(v >> 16) + u16(v); }
std::string vector8(std::string_view s) {
  return u8(static_cast<unsigned>(s.size())) + std::string(s);
}
std::string vector16(std::string_view s) {
  return u16(static_cast<unsigned>(s.size())) + std::string(s);
}

std::string extension(uint16_t type, std::string_view data) { return u16(type) + vector16(data); }

std::string sniExtension(std::string_view host) {
  return extension(0, vector16(u8(0) + vector16(host)));
}

std::string alpnExtension(std::initializer_list<std::string_view> names) {
  std::string list;
  for (std::string_view n : names) list += vector8(n);
  return extension(16, vector16(list));
}

std::string supportedVersionsExtension(std::initializer_list<uint16_t> versions) {
  std::string list;
  for (uint16_t v : versions) list += u16(v);
  return extension(43, vector8(list));
}

// Everything of a ClientHello body before the extensions block.
std::string helloPrefix() {
  return u16(0x0303) + std::string(32, 'r') + vector8(std::string(32, 's')) +
         vector16(u16(0x1301) + u16(0xc02f)) + vector8(u8(0));
}

std::string helloBody(std::string_view extensions) { return helloPrefix() + vector16(extensions); }

std::string handshake(std::string_view body) {
  return u8(1) + u24(static_cast<unsigned>(body.size())) + std::string(body);
}

// Frames a handshake message into TLS records of at most `chunk` payload bytes each.
std::string records(std::string_view message, size_t chunk, uint16_t version = 0x0301) {
  std::string out;
  for (size_t pos = 0; pos < message.size(); pos += chunk) {
    std::string_view part = message.substr(pos, chunk);
    out += u8(22) + u16(version) + vector16(part);
  }
  return out;
}

std::string helloRecord(std::string_view extensions) {
  return records(handshake(helloBody(extensions)), 16384);
}

// The handshake bytes carried by a record stream, and the version of its first record.
std::string handshakeMessage(std::string_view recs) {
  std::string out;
  for (size_t pos = 0; pos + 5 <= recs.size();) {
    size_t len = static_cast<uint8_t>(recs[pos + 3]) << 8 | static_cast<uint8_t>(recs[pos + 4]);
    out.append(recs.substr(pos + 5, len));
    pos += 5 + len;
  }
  return out;
}

// Re-frames captured records into records of `chunk` payload bytes, keeping the record version.
std::string reRecord(std::string_view recs, size_t chunk) {
  uint16_t version =
      static_cast<uint16_t>(static_cast<uint8_t>(recs[1]) << 8 | static_cast<uint8_t>(recs[2]));
  return records(handshakeMessage(recs), chunk, version);
}

std::string readFixture(const std::string& name) {
  std::string path = std::string(TOLLGATE_SOURCE_DIR) + "/tests/unit/inspect/fixtures/" + name;
  std::ifstream f(path, std::ios::binary);
  EXPECT_TRUE(f.good()) << "cannot open " << path;
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// ---- Running the parser --------------------------------------------------------------------

struct Result {
  ParseState state;
  TlsError err;
  ClientHelloInfo info;
};

Result parse(std::string_view in, TlsLimits limits = {}) {
  Result r{};
  r.state = parseClientHello(in, limits, r.info, r.err);
  return r;
}

void expectSameInfo(const ClientHelloInfo& a, const ClientHelloInfo& b) {
  EXPECT_EQ(a.recordVersion, b.recordVersion);
  EXPECT_EQ(a.legacyVersion, b.legacyVersion);
  EXPECT_EQ(a.supportsTls13, b.supportsTls13);
  EXPECT_EQ(a.sni, b.sni);
  EXPECT_EQ(a.alpn, b.alpn);
  EXPECT_EQ(a.hasEch, b.hasEch);
}

void expectDone(const Result& r) {
  EXPECT_EQ(r.state, ParseState::Done) << toString(r.err);
  EXPECT_EQ(r.err, TlsError::None);
}

void expectError(const Result& r, TlsError err) {
  EXPECT_EQ(r.state, ParseState::Error);
  EXPECT_EQ(r.err, err) << toString(r.err);
}

// Every proper prefix of `in` must be NeedMore: nothing is decided before the last byte.
void expectEveryPrefixNeedsMore(std::string_view in) {
  for (size_t n = 0; n < in.size(); ++n) {
    Result r = parse(in.substr(0, n));
    if (r.state != ParseState::NeedMore || r.err != TlsError::None) {
      ADD_FAILURE() << "prefix of " << n << " bytes gave " << static_cast<int>(r.state) << " "
                    << toString(r.err);
      return;
    }
  }
}

// ---- ClientHellos captured from real clients -----------------------------------------------

struct Capture {
  const char* file;
  size_t size;
  std::vector<std::string> alpn;
  bool supportsTls13;
  bool hasEch;
};

std::ostream& operator<<(std::ostream& os, const Capture& c) { return os << c.file; }

const Capture kCaptures[] = {
    {"clienthello_curl.bin", 517, {"h2", "http/1.1"}, true, false},
    {"clienthello_openssl_tls12.bin", 212, {}, false, false},
    {"clienthello_openssl_tls13.bin", 267, {"h2", "http/1.1"}, true, false},
    // Chromium sends an X25519MLKEM768 key share (~1.2 KB) and a GREASE ECH extension.
    {"clienthello_chromium.bin", 1955, {"h2", "http/1.1"}, true, true},
};

class CapturedHello : public ::testing::TestWithParam<Capture> {
 protected:
  void SetUp() override {
    bytes_ = readFixture(GetParam().file);
    ASSERT_EQ(bytes_.size(), GetParam().size);
  }
  std::string bytes_;
};

TEST_P(CapturedHello, WholeCaptureIsDoneWithItsSniAndAlpn) {
  Result r = parse(bytes_);
  expectDone(r);
  EXPECT_EQ(r.info.sni, "fixture.example");
  EXPECT_EQ(r.info.alpn, GetParam().alpn);
  EXPECT_EQ(r.info.supportsTls13, GetParam().supportsTls13);
  EXPECT_EQ(r.info.hasEch, GetParam().hasEch);
  EXPECT_EQ(r.info.recordVersion, 0x0301);
  EXPECT_EQ(r.info.legacyVersion, 0x0303);
  EXPECT_EQ(r.info.bytesUsed, bytes_.size());
}

TEST_P(CapturedHello, EveryProperPrefixNeedsMore) { expectEveryPrefixNeedsMore(bytes_); }

TEST_P(CapturedHello, ReframedIntoSmallRecordsGivesTheSameResult) {
  Result whole = parse(bytes_);
  for (size_t chunk : {1, 7, 100}) {
    SCOPED_TRACE("records of " + std::to_string(chunk) + " bytes");
    std::string reframed = reRecord(bytes_, chunk);
    Result r = parse(reframed);
    expectDone(r);
    expectSameInfo(r.info, whole.info);
    EXPECT_EQ(r.info.bytesUsed, reframed.size());
  }
}

TEST_P(CapturedHello, EveryProperPrefixOfReframedHelloNeedsMore) {
  for (size_t chunk : {1, 7, 100}) {
    SCOPED_TRACE("records of " + std::to_string(chunk) + " bytes");
    expectEveryPrefixNeedsMore(reRecord(bytes_, chunk));
  }
}

TEST_P(CapturedHello, FollowingApplicationBytesAreNotCounted) {
  // What a client pipelines after its hello (TLS 1.3 early data, a ChangeCipherSpec) is the
  // next record: bytesUsed must stop where the hello's records stop.
  const std::string next = u8(23) + u16(0x0303) + vector16("early data");
  for (const std::string& hello : {bytes_, reRecord(bytes_, 7)}) {
    Result r = parse(hello + next);
    expectDone(r);
    EXPECT_EQ(r.info.bytesUsed, hello.size());
    EXPECT_EQ(r.info.sni, "fixture.example");
  }
}

INSTANTIATE_TEST_SUITE_P(RealClients, CapturedHello, ::testing::ValuesIn(kCaptures),
                         [](const ::testing::TestParamInfo<Capture>& info) {
                           std::string name = info.param.file;
                           name = name.substr(std::string("clienthello_").size());
                           return name.substr(0, name.find('.'));
                         });

// ---- Hand-built hellos that parse ----------------------------------------------------------

TEST(ClientHello, MinimalHelloWithSniIsDone) {
  std::string in = helloRecord(sniExtension("example.com"));
  Result r = parse(in);
  expectDone(r);
  EXPECT_EQ(r.info.sni, "example.com");
  EXPECT_TRUE(r.info.alpn.empty());
  EXPECT_FALSE(r.info.supportsTls13);
  EXPECT_FALSE(r.info.hasEch);
  EXPECT_EQ(r.info.bytesUsed, in.size());
}

TEST(ClientHello, SniIsLowerCased) {
  EXPECT_EQ(parse(helloRecord(sniExtension("WWW.Example.COM"))).info.sni, "www.example.com");
}

TEST(ClientHello, SniOf255BytesIsAccepted) {
  Result r = parse(helloRecord(sniExtension(std::string(255, 'a'))));
  expectDone(r);
  EXPECT_EQ(r.info.sni.size(), 255u);
}

TEST(ClientHello, HelloWithoutSniHasEmptySni) {
  Result r = parse(helloRecord(alpnExtension({"h2"})));
  expectDone(r);
  EXPECT_EQ(r.info.sni, "");
  EXPECT_EQ(r.info.alpn, std::vector<std::string>{"h2"});
}

TEST(ClientHello, HelloWithoutExtensionsBlockIsDone) {
  // SSLv3 / early TLS 1.0 hellos end after the compression methods.
  Result r = parse(records(handshake(helloPrefix()), 16384));
  expectDone(r);
  EXPECT_EQ(r.info.sni, "");
}

TEST(ClientHello, EmptyExtensionsBlockIsDone) {
  Result r = parse(helloRecord(""));
  expectDone(r);
  EXPECT_EQ(r.info.sni, "");
}

TEST(ClientHello, UnknownServerNameTypeIsSkipped) {
  std::string list = u8(7) + vector16("opaque") + u8(0) + vector16("example.org");
  Result r = parse(helloRecord(extension(0, vector16(list))));
  expectDone(r);
  EXPECT_EQ(r.info.sni, "example.org");
}

TEST(ClientHello, AlpnKeepsClientOrder) {
  Result r = parse(helloRecord(alpnExtension({"http/1.1", "h2", "acme-tls/1"})));
  expectDone(r);
  EXPECT_EQ(r.info.alpn, (std::vector<std::string>{"http/1.1", "h2", "acme-tls/1"}));
}

TEST(ClientHello, SupportedVersionsListingTls13SetsSupportsTls13) {
  Result r = parse(helloRecord(supportedVersionsExtension({0x0a0a, 0x0304, 0x0303})));
  expectDone(r);
  EXPECT_TRUE(r.info.supportsTls13);
}

TEST(ClientHello, SupportedVersionsWithoutTls13LeavesSupportsTls13False) {
  Result r = parse(helloRecord(supportedVersionsExtension({0x0303, 0x0302})));
  expectDone(r);
  EXPECT_FALSE(r.info.supportsTls13);
}

TEST(ClientHello, EchExtensionSetsHasEch) {
  Result r = parse(helloRecord(sniExtension("public.example") + extension(0xfe0d, u8(0) + "ech")));
  expectDone(r);
  EXPECT_TRUE(r.info.hasEch);
  EXPECT_EQ(r.info.sni, "public.example");
}

TEST(ClientHello, ManyDistinctExtensionsAreAccepted) {
  std::string exts;
  for (unsigned t = 1000; t < 2000; ++t) exts += extension(static_cast<uint16_t>(t), "");
  Result r = parse(helloRecord(sniExtension("many.example") + exts));
  expectDone(r);
  EXPECT_EQ(r.info.sni, "many.example");
}

TEST(ClientHello, DuplicateFarDownAListOfManyExtensionsIsMalformed) {
  // A repeat of the first type, or of the last, after a hundred others is still caught.
  std::string exts = sniExtension("a.example");
  for (unsigned t = 1000; t < 1100; ++t) exts += extension(static_cast<uint16_t>(t), "");
  expectError(parse(helloRecord(exts + sniExtension("b.example"))), TlsError::Malformed);
  expectError(parse(helloRecord(exts + extension(1099, ""))), TlsError::Malformed);
}

TEST(ClientHello, RecordVersionsFromSsl3ToTls13AreAccepted) {
  for (uint16_t v : {0x0300, 0x0301, 0x0302, 0x0303, 0x0304}) {
    Result r = parse(records(handshake(helloBody(sniExtension("a.example"))), 16384, v));
    expectDone(r);
    EXPECT_EQ(r.info.recordVersion, v);
  }
}

TEST(ClientHello, HelloLargerThanOneRecordIsReassembled) {
  // A padding extension pushes the message past 2^14, so it must span two records.
  std::string ext = sniExtension("big.example") + extension(21, std::string(20000, '\0'));
  std::string in = records(handshake(helloBody(ext)), 16384);
  Result r = parse(in, TlsLimits{64 * 1024});
  expectDone(r);
  EXPECT_EQ(r.info.sni, "big.example");
  EXPECT_EQ(r.info.bytesUsed, in.size());
}

TEST(ClientHello, ReusedOutIsResetByEachCall) {
  ClientHelloInfo info;
  TlsError err;
  ASSERT_EQ(parseClientHello(helloRecord(sniExtension("a.example") + alpnExtension({"h2"})), {},
                             info, err),
            ParseState::Done);
  ASSERT_EQ(parseClientHello(helloRecord(""), {}, info, err), ParseState::Done);
  EXPECT_EQ(info.sni, "");
  EXPECT_TRUE(info.alpn.empty());
  EXPECT_EQ(parseClientHello("GET", {}, info, err), ParseState::Error);
  EXPECT_EQ(info.bytesUsed, 0u);
}

// ---- Waiting for more ----------------------------------------------------------------------

TEST(ClientHello, EmptyInputNeedsMore) {
  Result r = parse("");
  EXPECT_EQ(r.state, ParseState::NeedMore);
  EXPECT_EQ(r.err, TlsError::None);
}

TEST(ClientHello, HandshakeHeaderSplitAcrossRecordsIsReassembled) {
  std::string message = handshake(helloBody(sniExtension("split.example")));
  std::string in = records(message.substr(0, 2), 16384) + records(message.substr(2), 16384);
  Result r = parse(in);
  expectDone(r);
  EXPECT_EQ(r.info.sni, "split.example");
}

// ---- Not TLS -------------------------------------------------------------------------------

TEST(ClientHello, HttpRequestIsNotTlsFromItsFirstByte) {
  expectError(parse("G"), TlsError::NotTls);
  expectError(parse("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"), TlsError::NotTls);
}

TEST(ClientHello, SshBannerIsNotTlsFromItsFirstByte) {
  expectError(parse("S"), TlsError::NotTls);
  expectError(parse("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"), TlsError::NotTls);
}

TEST(ClientHello, RandomBytesAreRefusedWithinFiveBytes) {
  std::mt19937 rng(20240601);
  for (int i = 0; i < 2000; ++i) {
    std::string in(5, '\0');
    for (char& c : in) c = static_cast<char>(rng());
    if (in[0] == 22) continue;  // a handshake record header by chance: not "random" any more
    expectError(parse(in), TlsError::NotTls);
  }
}

TEST(ClientHello, RecordMajorVersionOtherThan3IsNotTls) {
  expectError(parse("\x16\x02"), TlsError::NotTls);
}

TEST(ClientHello, RecordMinorVersionAbove4IsNotTls) {
  expectError(parse("\x16\x03\x05"), TlsError::NotTls);
}

TEST(ClientHello, Sslv2FramedHelloIsNotTls) {
  expectError(parse(std::string("\x80\x2e\x01\x03\x01", 5)), TlsError::NotTls);
}

TEST(ClientHello, ApplicationDataRecordFirstIsNotTls) {
  expectError(parse(u8(23) + u16(0x0303) + vector16("data")), TlsError::NotTls);
}

TEST(ClientHello, ServerHelloIsNotClientHello) {
  expectError(parse(u8(22) + u16(0x0303) + u16(40) + u8(2)), TlsError::NotClientHello);
}

// ---- Record layer errors -------------------------------------------------------------------

TEST(ClientHello, RecordLongerThan16384IsMalformed) {
  expectError(parse(u8(22) + u16(0x0301) + u16(16385)), TlsError::Malformed);
}

TEST(ClientHello, ZeroLengthRecordIsMalformed) {
  expectError(parse(u8(22) + u16(0x0301) + u16(0)), TlsError::Malformed);
}

TEST(ClientHello, RecordCarryingBytesPastTheHelloIsMalformed) {
  std::string message = handshake(helloBody(sniExtension("a.example")));
  expectError(parse(records(message + "x", 16384)), TlsError::Malformed);
}

TEST(ClientHello, AlertRecordBeforeTheHelloEndsIsMalformed) {
  std::string message = handshake(helloBody(sniExtension("a.example")));
  std::string in =
      records(message.substr(0, 10), 16384) + u8(21) + u16(0x0303) + vector16("\x02\x28");
  expectError(parse(in), TlsError::Malformed);
}

TEST(ClientHello, SecondRecordWithBadVersionIsMalformed) {
  std::string message = handshake(helloBody(sniExtension("a.example")));
  std::string in =
      records(message.substr(0, 10), 16384) + records(message.substr(10), 16384, 0x0305);
  expectError(parse(in), TlsError::Malformed);
}

// ---- Size cap ------------------------------------------------------------------------------

TEST(ClientHello, HandshakeLengthBeyondMaxBytesIsTooLargeFromItsHeader) {
  // Nine bytes: a record header and a handshake header announcing a 16 KiB body.
  std::string in = u8(22) + u16(0x0301) + u16(16384) + u8(1) + u24(16384);
  expectError(parse(in), TlsError::TooLarge);
  // A small first record does not hide the size its handshake header announces.
  expectError(parse(u8(22) + u16(0x0301) + u16(100) + u8(1) + u24(20000)), TlsError::TooLarge);
}

TEST(ClientHello, RecordBeyondMaxBytesIsTooLargeFromItsHeader) {
  expectError(parse(u8(22) + u16(0x0301) + u16(1000), TlsLimits{500}), TlsError::TooLarge);
}

TEST(ClientHello, RecordHeadersCountTowardsMaxBytes) {
  std::string in = records(handshake(helloBody(sniExtension("a.example"))), 1);
  expectDone(parse(in, TlsLimits{in.size()}));
  expectError(parse(in, TlsLimits{in.size() - 1}), TlsError::TooLarge);
}

TEST(ClientHello, HugeMessageIsTooLargeUnderTheDefaultLimit) {
  std::string ext = sniExtension("big.example") + extension(21, std::string(20000, '\0'));
  expectError(parse(records(handshake(helloBody(ext)), 16384)), TlsError::TooLarge);
}

// ---- Malformed bodies: one case per length at each nesting level ---------------------------

struct MalformedCase {
  const char* name;
  std::string body;  // ClientHello body; framed by the test into one record
};

std::ostream& operator<<(std::ostream& os, const MalformedCase& c) { return os << c.name; }

std::vector<MalformedCase> malformedCases() {
  const std::string version = u16(0x0303), random(32, 'r'), sid = vector8(""),
                    suites = vector16(u16(0x1301)), comp = vector8(u8(0));
  const std::string head = version + random + sid + suites + comp;
  auto withExt = [&](const std::string& exts) { return head + vector16(exts); };
  auto sniList = [&](const std::string& list) { return withExt(extension(0, vector16(list))); };
  return {
      {"EmptyBody", ""},
      {"LegacyVersionTruncated", u8(3)},
      {"LegacyVersionMajorNot3", u16(0x0203) + random + sid + suites + comp},
      {"RandomTruncated", version + std::string(31, 'r')},
      {"SessionIdMissing", version + random},
      {"SessionIdLengthPastBody", version + random + u8(10) + "short"},
      {"SessionIdLongerThan32", version + random + vector8(std::string(33, 's')) + suites + comp},
      {"CipherSuitesLengthPastBody", version + random + sid + u16(10) + u16(0x1301)},
      {"CipherSuitesOddLength", version + random + sid + vector16("\x13\x01\x13") + comp},
      {"CipherSuitesEmpty", version + random + sid + vector16("") + comp},
      {"CompressionMethodsMissing", version + random + sid + suites},
      {"CompressionMethodsEmpty", version + random + sid + suites + vector8("")},
      {"CompressionLengthPastBody", version + random + sid + suites + u8(3) + u8(0)},
      {"OneByteWhereExtensionsLengthBelongs", head + u8(0)},
      {"ExtensionsLengthPastBody", head + u16(10) + extension(23, "")},
      {"BytesAfterExtensionsBlock", withExt(extension(23, "")) + "x"},
      {"ExtensionHeaderTruncated", withExt(u16(23) + u8(0))},
      {"ExtensionDataLengthPastBlock", withExt(u16(23) + u16(5) + "abc")},
      {"DuplicateExtension", withExt(extension(23, "") + extension(23, ""))},
      {"DuplicateServerNameExtension",
       withExt(sniExtension("a.example") + sniExtension("b.example"))},
      {"ServerNameExtensionEmpty", withExt(extension(0, ""))},
      {"ServerNameListEmpty", sniList("")},
      {"ServerNameListLengthPastExtension",
       withExt(extension(0, u16(20) + u8(0) + vector16("a.b")))},
      {"ServerNameExtensionLongerThanList",
       withExt(extension(0, vector16(u8(0) + vector16("a.b")) + "x"))},
      {"ServerNameEntryTruncated", sniList(u8(0) + u8(0))},
      {"ServerNameLengthPastList", sniList(u8(0) + u16(10) + "a.b")},
      {"ServerNameHostNameEmpty", sniList(u8(0) + vector16(""))},
      {"ServerNameTwoHostNames",
       sniList(u8(0) + vector16("a.example") + u8(0) + vector16("b.example"))},
      {"ServerNameOver255Bytes", sniList(u8(0) + vector16(std::string(256, 'a')))},
      {"ServerNameWithNul", sniList(u8(0) + vector16(std::string("evil.example\0.good", 18)))},
      {"ServerNameWithControlByte", sniList(u8(0) + vector16("evil\r\nexample"))},
      {"AlpnExtensionEmpty", withExt(extension(16, ""))},
      {"AlpnListEmpty", withExt(extension(16, vector16("")))},
      {"AlpnListLengthPastExtension", withExt(extension(16, u16(9) + vector8("h2")))},
      {"AlpnExtensionLongerThanList", withExt(extension(16, vector16(vector8("h2")) + "x"))},
      {"AlpnNameEmpty", withExt(extension(16, vector16(vector8("h2") + vector8(""))))},
      {"AlpnNameLengthPastList", withExt(extension(16, vector16(u8(5) + "h2")))},
      {"SupportedVersionsEmpty", withExt(extension(43, vector8("")))},
      {"SupportedVersionsOddLength", withExt(extension(43, vector8("\x03\x04\x03")))},
      {"SupportedVersionsLengthPastExtension", withExt(extension(43, u8(6) + u16(0x0304)))},
      {"SupportedVersionsExtensionLongerThanList",
       withExt(extension(43, vector8(u16(0x0304)) + "x"))},
  };
}

class MalformedHello : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedHello, IsMalformedOnceWhole) {
  expectError(parse(records(handshake(GetParam().body), 16384)), TlsError::Malformed);
}

TEST_P(MalformedHello, IsStillMalformedWhenSplitIntoSmallRecords) {
  expectError(parse(records(handshake(GetParam().body), 3)), TlsError::Malformed);
}

TEST_P(MalformedHello, EveryProperPrefixNeedsMore) {
  // Body errors are judged on the whole message, so no prefix may pre-empt them.
  expectEveryPrefixNeedsMore(records(handshake(GetParam().body), 16384));
}

INSTANTIATE_TEST_SUITE_P(EachLength, MalformedHello, ::testing::ValuesIn(malformedCases()),
                         [](const ::testing::TestParamInfo<MalformedCase>& info) {
                           return std::string(info.param.name);
                         });

// ---- Formatting ----------------------------------------------------------------------------

TEST(ClientHello, ToStringNamesEveryError) {
  EXPECT_STREQ(toString(TlsError::None), "none");
  EXPECT_STREQ(toString(TlsError::NotTls), "not_tls");
  EXPECT_STREQ(toString(TlsError::NotClientHello), "not_client_hello");
  EXPECT_STREQ(toString(TlsError::TooLarge), "too_large");
  EXPECT_STREQ(toString(TlsError::Malformed), "malformed");
}

}  // namespace
}  // namespace tollgate::inspect
