// Spec of the RADIUS codec: RFC 2865 §7.1's example bytes, the authenticators recomputed here
// with libcrypto directly (so a bug shared by encoder and checker cannot hide), and every
// malformed length an answer can carry.
#include "daemon/inspect/radius_packet.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace tollgate::inspect {
static void PrintTo(RadiusError e, std::ostream* os) { *os << toString(e); }
}  // namespace tollgate::inspect

namespace tollgate::inspect {
namespace {

std::string hex(std::string_view h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size();) {
    if (h[i] == ' ') {
      ++i;
      continue;
    }
    out += static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
    i += 2;
  }
  return out;
}

RadiusAuthenticator authenticatorOf(std::string_view bytes) {
  RadiusAuthenticator a{};
  std::copy(bytes.begin(), bytes.begin() + 16, a.begin());
  return a;
}

// RFC 2865 §7.1: "nemo" logs in with "arctangent", secret "xyzzy5461".
const std::string kSecret = "xyzzy5461";
const std::string kRfcRequest =
    hex("01 00 00 38 0f 40 3f 94 73 97 80 57 bd 83 d5 cb 98 f4 22 7a 01 06 6e 65 6d 6f 02 12 0d be "
        "70 8d 93 d4 13 ce 31 96 e4 3f 78 2a 0a ee 04 06 c0 a8 01 10 05 06 00 00 00 03");
const std::string kRfcAccept =
    hex("02 00 00 26 86 fe 22 0e 76 24 ba 2a 10 05 f6 bf 9b 55 e0 b2 06 06 00 00 00 01 0f 06 00 00 "
        "00 00 0e 06 c0 a8 01 03");
const RadiusAuthenticator kRfcAuthenticator = authenticatorOf(kRfcRequest.substr(4));

RadiusRequestInfo rfcRequest() {
  RadiusRequestInfo info;
  EXPECT_TRUE(readRequestInfo(kRfcRequest, info));
  return info;
}

std::string md5Of(std::string_view data) {
  unsigned char d[16];
  unsigned int n = 0;
  EXPECT_EQ(EVP_Digest(data.data(), data.size(), d, &n, EVP_md5(), nullptr), 1);
  return {reinterpret_cast<char*>(d), n};
}

std::string hmacMd5Of(std::string_view key, std::string_view data) {
  unsigned char d[16];
  unsigned int n = 0;
  EXPECT_NE(HMAC(EVP_md5(), key.data(), static_cast<int>(key.size()),
                 reinterpret_cast<const unsigned char*>(data.data()), data.size(), d, &n),
            nullptr);
  return {reinterpret_cast<char*>(d), n};
}

std::string attr(uint8_t type, std::string_view value) {
  return std::string(1, static_cast<char>(type)) + static_cast<char>(value.size() + 2) +
         std::string(value);
}
std::string u32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}
std::string vsa(uint32_t vendor, uint8_t type, std::string_view value) {
  return attr(26, u32(vendor) + attr(type, value));
}
std::string messageAuthenticatorAttr() { return attr(80, std::string(16, '\0')); }

// An answer to RFC 7.1's request, Length and authenticators filled by the codec's signer.
std::string answer(RadiusCode code, std::string_view attributes, uint8_t id = 0) {
  std::string p{static_cast<char>(code), static_cast<char>(id), 0, 0};
  p += std::string(16, '\0');
  p += attributes;
  EXPECT_EQ(signRadiusResponse(p, kRfcAuthenticator, kSecret), RadiusError::None);
  return p;
}

RadiusError parse(std::string_view datagram, bool requireMac, RadiusReply* out = nullptr) {
  RadiusReply reply;
  RadiusError e = parseRadiusResponse(datagram, rfcRequest(), kSecret, requireMac, reply);
  if (out) *out = reply;
  return e;
}

// (type, value) in order.
std::vector<std::pair<int, std::string>> attributesOf(std::string_view packet) {
  std::vector<std::pair<int, std::string>> out;
  for (size_t pos = 20; pos + 2 <= packet.size();) {
    const size_t len = static_cast<uint8_t>(packet[pos + 1]);
    out.emplace_back(static_cast<uint8_t>(packet[pos]),
                     std::string(packet.substr(pos + 2, len - 2)));
    pos += len;
  }
  return out;
}

TEST(RadiusPacket, Rfc2865HidesArctangentAsTheExampleShows) {
  std::string hidden;
  ASSERT_EQ(hideUserPassword("arctangent", kSecret, kRfcAuthenticator, hidden), RadiusError::None);
  EXPECT_EQ(hidden, hex("0d be 70 8d 93 d4 13 ce 31 96 e4 3f 78 2a 0a ee"));
  std::string plain;
  ASSERT_EQ(unhideUserPassword(hidden, kSecret, kRfcAuthenticator, plain), RadiusError::None);
  EXPECT_EQ(plain, "arctangent");
}

TEST(RadiusPacket, LongPasswordChainsEachBlockThroughThePreviousCiphertext) {
  const std::string pw = "correct horse battery staple, twice over";  // 40 bytes: 3 blocks
  std::string hidden;
  ASSERT_EQ(hideUserPassword(pw, kSecret, kRfcAuthenticator, hidden), RadiusError::None);
  ASSERT_EQ(hidden.size(), 48u);
  std::string padded = pw + std::string(8, '\0');
  std::string previous(kRfcAuthenticator.begin(), kRfcAuthenticator.end());
  for (size_t i = 0; i < 48; i += 16) {
    const std::string b = md5Of(kSecret + previous);
    for (size_t j = 0; j < 16; ++j)
      EXPECT_EQ(hidden[i + j], static_cast<char>(padded[i + j] ^ b[j]));
    previous = hidden.substr(i, 16);
  }
}

TEST(RadiusPacket, PasswordOf128BytesFitsAnd129IsRefused) {
  std::string hidden, plain;
  ASSERT_EQ(hideUserPassword(std::string(128, 'p'), kSecret, kRfcAuthenticator, hidden),
            RadiusError::None);
  EXPECT_EQ(hidden.size(), 128u);
  ASSERT_EQ(unhideUserPassword(hidden, kSecret, kRfcAuthenticator, plain), RadiusError::None);
  EXPECT_EQ(plain, std::string(128, 'p'));
  EXPECT_EQ(hideUserPassword(std::string(129, 'p'), kSecret, kRfcAuthenticator, hidden),
            RadiusError::PasswordTooLong);
  EXPECT_TRUE(hidden.empty());
}

TEST(RadiusPacket, EmptyPasswordIsOneBlockOfPadding) {
  std::string hidden, plain;
  ASSERT_EQ(hideUserPassword("", kSecret, kRfcAuthenticator, hidden), RadiusError::None);
  EXPECT_EQ(hidden.size(), 16u);
  ASSERT_EQ(unhideUserPassword(hidden, kSecret, kRfcAuthenticator, plain), RadiusError::None);
  EXPECT_EQ(plain, "");
}

TEST(RadiusPacket, PasswordWithNulAndPartialHiddenBlocksAreRefused) {
  std::string out;
  EXPECT_EQ(hideUserPassword(std::string("a\0b", 3), kSecret, kRfcAuthenticator, out),
            RadiusError::InvalidField);
  for (size_t n : {0, 15, 17, 31, 144})
    EXPECT_EQ(unhideUserPassword(std::string(n, 'x'), kSecret, kRfcAuthenticator, out),
              RadiusError::InvalidField)
        << n;
  EXPECT_EQ(hideUserPassword("pw", "", kRfcAuthenticator, out), RadiusError::EmptySecret);
}

TEST(RadiusPacket, Rfc2865AccessAcceptVerifiesWithTheExampleSecret) {
  RadiusReply reply;
  ASSERT_EQ(parse(kRfcAccept, false, &reply), RadiusError::None);
  EXPECT_EQ(reply.code, RadiusCode::AccessAccept);
  EXPECT_FALSE(reply.messageAuthenticator);
  EXPECT_FALSE(reply.sessionTimeout);  // Service-Type, Login-Service, Login-IP-Host: not read
}

TEST(RadiusPacket, Rfc2865AccessAcceptFailsWhenMessageAuthenticatorIsRequired) {
  EXPECT_EQ(parse(kRfcAccept, true), RadiusError::MissingMessageAuthenticator);
}

TEST(RadiusPacket, AnswerSignedWithAnotherSecretFailsTheAuthenticator) {
  RadiusReply reply;
  EXPECT_EQ(parseRadiusResponse(kRfcAccept, rfcRequest(), "xyzzy5462", false, reply),
            RadiusError::BadAuthenticator);
  RadiusRequestInfo other = rfcRequest();
  other.authenticator[0] ^= 1;  // the answer to another request with the same identifier
  EXPECT_EQ(parseRadiusResponse(kRfcAccept, other, kSecret, false, reply),
            RadiusError::BadAuthenticator);
}

TEST(RadiusPacket, AnswerToAnotherIdentifierIsRefused) {
  RadiusRequestInfo other = rfcRequest();
  other.identifier = 1;
  RadiusReply reply;
  EXPECT_EQ(parseRadiusResponse(kRfcAccept, other, kSecret, false, reply),
            RadiusError::WrongIdentifier);
}

TEST(RadiusPacket, EveryChangedBitOfTheAnswerIsDetected) {
  const std::string signedAccept =
      answer(RadiusCode::AccessAccept, messageAuthenticatorAttr() + attr(27, u32(60)));
  for (const std::string& original : {kRfcAccept, signedAccept}) {
    for (size_t i = 0; i < original.size(); ++i)
      for (int bit = 0; bit < 8; ++bit) {
        std::string changed = original;
        changed[i] = static_cast<char>(changed[i] ^ (1 << bit));
        EXPECT_NE(parse(changed, false), RadiusError::None) << "byte " << i << " bit " << bit;
      }
  }
}

TEST(RadiusPacket, EncodedAccessRequestCarriesTheNasAndClientInOrder) {
  AccessRequest r;
  r.identifier = 42;
  r.authenticator = kRfcAuthenticator;
  r.userName = "nemo";
  r.password = "arctangent";
  r.callingStation = MacAddress{0x02, 0x00, 0x5e, 0x10, 0xab, 0x01};
  r.framedIp = *RadiusIp::parse("10.1.2.3");
  const RadiusNas nas{"tollgate-lab", *RadiusIp::parse("192.168.1.16")};
  std::string packet;
  ASSERT_EQ(encodeAccessRequest(r, nas, kSecret, packet), RadiusError::None);

  EXPECT_EQ(packet[0], 1);
  EXPECT_EQ(static_cast<uint8_t>(packet[1]), 42);
  EXPECT_EQ(
      static_cast<size_t>(static_cast<uint8_t>(packet[2]) << 8 | static_cast<uint8_t>(packet[3])),
      packet.size());
  EXPECT_EQ(packet.substr(4, 16), kRfcRequest.substr(4, 16));
  const auto attrs = attributesOf(packet);
  const std::vector<int> types = {80, 1, 2, 6, 32, 4, 31, 8};
  ASSERT_EQ(attrs.size(), types.size());
  for (size_t i = 0; i < types.size(); ++i) EXPECT_EQ(attrs[i].first, types[i]) << i;
  EXPECT_EQ(attrs[1].second, "nemo");
  EXPECT_EQ(attrs[2].second, hex("0d be 70 8d 93 d4 13 ce 31 96 e4 3f 78 2a 0a ee"));
  EXPECT_EQ(attrs[3].second, u32(1));  // Login-User
  EXPECT_EQ(attrs[4].second, "tollgate-lab");
  EXPECT_EQ(attrs[5].second, hex("c0 a8 01 10"));
  EXPECT_EQ(attrs[6].second, "02-00-5E-10-AB-01");
  EXPECT_EQ(attrs[7].second, hex("0a 01 02 03"));

  // RFC 3579 §3.2, recomputed here: HMAC-MD5 over the request with the value zeroed.
  std::string zeroed = packet;
  std::fill(zeroed.begin() + 22, zeroed.begin() + 38, '\0');
  EXPECT_EQ(attrs[0].second, hmacMd5Of(kSecret, zeroed));
  EXPECT_EQ(verifyRadiusRequest(packet, kSecret), RadiusError::None);
  EXPECT_EQ(verifyRadiusRequest(packet, "other"), RadiusError::BadMessageAuthenticator);
}

TEST(RadiusPacket, Ipv6AddressesUseTheIpv6Attributes) {
  AccessRequest r;
  r.userName = "u";
  r.framedIp = *RadiusIp::parse("2001:db8::7");
  std::string packet;
  ASSERT_EQ(encodeAccessRequest(r, {"", *RadiusIp::parse("2001:db8::1")}, kSecret, packet),
            RadiusError::None);
  const auto attrs = attributesOf(packet);
  ASSERT_EQ(attrs.size(), 6u);  // M-A, User-Name, User-Password, Service-Type, NAS, Framed
  EXPECT_EQ(attrs[4].first, 95);
  EXPECT_EQ(attrs[4].second, hex("20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01"));
  EXPECT_EQ(attrs[5].first, 168);
  EXPECT_EQ(attrs[5].second, hex("20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 07"));
}

TEST(RadiusPacket, AccessRequestRefusesBadFields) {
  std::string packet;
  AccessRequest r;
  EXPECT_EQ(encodeAccessRequest(r, {"nas", {}}, kSecret, packet), RadiusError::InvalidField);
  const std::string longName(254, 'u');
  r.userName = longName;
  EXPECT_EQ(encodeAccessRequest(r, {"nas", {}}, kSecret, packet), RadiusError::InvalidField);
  r.userName = std::string_view(longName).substr(0, 253);
  EXPECT_EQ(encodeAccessRequest(r, {"nas", {}}, kSecret, packet), RadiusError::None);
  EXPECT_EQ(encodeAccessRequest(r, {"nas", {}}, "", packet), RadiusError::EmptySecret);
  const std::string longPassword(129, 'p');
  r.password = longPassword;
  EXPECT_EQ(encodeAccessRequest(r, {"nas", {}}, kSecret, packet), RadiusError::PasswordTooLong);
  EXPECT_TRUE(packet.empty());
}

AccountingRequest accounting(AcctStatusType status) {
  AccountingRequest r;
  r.identifier = 7;
  r.status = status;
  r.sessionId = "5f3a9c01";
  r.userName = "nemo";
  r.callingStation = MacAddress{0x02, 0, 0, 0, 0, 0x09};
  r.framedIp = *RadiusIp::parse("10.1.2.3");
  return r;
}

TEST(RadiusPacket, AccountingAuthenticatorIsMd5OfTheZeroedPacketAndSecret) {
  std::string packet;
  ASSERT_EQ(
      encodeAccountingRequest(accounting(AcctStatusType::Start), {"nas", {}}, kSecret, packet),
      RadiusError::None);
  std::string zeroed = packet;
  std::fill(zeroed.begin() + 4, zeroed.begin() + 20, '\0');
  EXPECT_EQ(packet.substr(4, 16), md5Of(zeroed + kSecret));
  EXPECT_EQ(verifyRadiusRequest(packet, kSecret), RadiusError::None);
  EXPECT_EQ(verifyRadiusRequest(packet, "other"), RadiusError::BadAuthenticator);
  std::set<int> types;
  for (const auto& [type, value] : attributesOf(packet)) types.insert(type);
  EXPECT_EQ(types, (std::set<int>{40, 44, 45, 1, 32, 31, 8}));  // no counters in a Start
}

TEST(RadiusPacket, AccountingStopCarriesGigawordsSessionTimeAndCause) {
  AccountingRequest r = accounting(AcctStatusType::Stop);
  r.inputOctets = (uint64_t{5} << 32) + 7;
  r.outputOctets = 123456;
  r.sessionTime = 3600;
  r.terminateCause = AcctTerminateCause::IdleTimeout;
  r.eventTimestamp = 1700000000;
  std::string packet;
  ASSERT_EQ(encodeAccountingRequest(r, {"nas", {}}, kSecret, packet), RadiusError::None);
  std::map<int, std::string> byType;
  for (const auto& [type, value] : attributesOf(packet)) byType[type] = value;
  EXPECT_EQ(byType[40], u32(2));
  EXPECT_EQ(byType[42], u32(7));
  EXPECT_EQ(byType[52], u32(5));
  EXPECT_EQ(byType[43], u32(123456));
  EXPECT_EQ(byType[53], u32(0));
  EXPECT_EQ(byType[46], u32(3600));
  EXPECT_EQ(byType[49], u32(4));
  EXPECT_EQ(byType[55], u32(1700000000));
  EXPECT_EQ(byType[31], "02-00-00-00-00-09");
}

TEST(RadiusPacket, AccountingEchoesClassesInOrderAndRefusesAnOversizedPacket) {
  const std::vector<std::string> classes = {"first", "second"};
  AccountingRequest r = accounting(AcctStatusType::InterimUpdate);
  r.classes = classes;
  std::string packet;
  ASSERT_EQ(encodeAccountingRequest(r, {"nas", {}}, kSecret, packet), RadiusError::None);
  std::vector<std::string> echoed;
  for (const auto& [type, value] : attributesOf(packet))
    if (type == 25) echoed.push_back(value);
  EXPECT_EQ(echoed, classes);

  const std::vector<std::string> huge(17, std::string(253, 'c'));  // 17 × 255 > 4096
  r.classes = huge;
  EXPECT_EQ(encodeAccountingRequest(r, {"nas", {}}, kSecret, packet), RadiusError::PacketTooLarge);
  EXPECT_TRUE(packet.empty());
  const std::vector<std::string> empty = {""};
  r.classes = empty;
  EXPECT_EQ(encodeAccountingRequest(r, {"nas", {}}, kSecret, packet), RadiusError::InvalidField);
}

TEST(RadiusPacket, SignedAcceptYieldsEveryAttributeActedOn) {
  const std::string attrs =
      messageAuthenticatorAttr() + attr(27, u32(3600)) + attr(28, u32(600)) + attr(85, u32(300)) +
      attr(18, "Welcome, ") + attr(18, "nemo") + attr(25, "class-1") + attr(25, "") +
      attr(25, "class-2") + vsa(14122, 7, u32(1000000)) + vsa(14122, 8, u32(5000000)) +
      vsa(14559, 3, u32(1 << 20)) + vsa(9, 1, "cisco-avpair=whatever") + attr(200, "unknown");
  RadiusReply reply;
  ASSERT_EQ(parse(answer(RadiusCode::AccessAccept, attrs), true, &reply), RadiusError::None);
  EXPECT_TRUE(reply.messageAuthenticator);
  EXPECT_EQ(reply.sessionTimeout, 3600u);
  EXPECT_EQ(reply.idleTimeout, 600u);
  EXPECT_EQ(reply.interimInterval, 300u);
  EXPECT_EQ(reply.replyMessage, "Welcome, nemo");
  EXPECT_EQ(reply.classes, (std::vector<std::string>{"class-1", "class-2"}));
  EXPECT_EQ(reply.bandwidthMaxUp, 1000000u);
  EXPECT_EQ(reply.bandwidthMaxDown, 5000000u);
  EXPECT_EQ(reply.maxTotalOctets, 1u << 20);
}

TEST(RadiusPacket, AnswerMessageAuthenticatorMatchesAnIndependentHmac) {
  const std::string p =
      answer(RadiusCode::AccessReject, messageAuthenticatorAttr() + attr(18, "no"));
  std::string input = p;  // RFC 3579 §3.2: the Request Authenticator in place, the value zeroed
  std::copy(kRfcAuthenticator.begin(), kRfcAuthenticator.end(), input.begin() + 4);
  std::fill(input.begin() + 22, input.begin() + 38, '\0');
  EXPECT_EQ(p.substr(22, 16), hmacMd5Of(kSecret, input));
}

TEST(RadiusPacket, WrongMessageAuthenticatorIsCaughtEvenUnderAValidResponseAuthenticator) {
  std::string p = answer(RadiusCode::AccessAccept, messageAuthenticatorAttr());
  p[30] ^= 1;
  // Re-seal only the Response Authenticator, as an attacker who knew the secret-less part
  // of the construction could not, to reach the Message-Authenticator check alone.
  std::string input = p;
  std::copy(kRfcAuthenticator.begin(), kRfcAuthenticator.end(), input.begin() + 4);
  const std::string ra = md5Of(input + kSecret);
  std::copy(ra.begin(), ra.end(), p.begin() + 4);
  EXPECT_EQ(parse(p, false), RadiusError::BadMessageAuthenticator);
}

TEST(RadiusPacket, MessageAuthenticatorOfTheWrongSizeOrRepeatedIsRefused) {
  std::string p{2, 0, 0, 0};
  p += std::string(16, '\0') + attr(80, std::string(15, '\0'));
  EXPECT_EQ(signRadiusResponse(p, kRfcAuthenticator, kSecret), RadiusError::BadAttribute);
  EXPECT_EQ(parse(p, false), RadiusError::BadAttribute);
  std::string twice{2, 0, 0, 0};
  twice += std::string(16, '\0') + messageAuthenticatorAttr() + messageAuthenticatorAttr();
  twice[3] = static_cast<char>(twice.size());
  EXPECT_EQ(parse(twice, false), RadiusError::BadAttribute);
}

TEST(RadiusPacket, CodesMustAnswerTheRequestKind) {
  RadiusReply reply;
  EXPECT_EQ(parse(answer(RadiusCode::AccessChallenge, attr(18, "PIN?")), false, &reply),
            RadiusError::None);
  EXPECT_EQ(reply.code, RadiusCode::AccessChallenge);
  EXPECT_EQ(parse(answer(RadiusCode::AccountingResponse, ""), false), RadiusError::UnexpectedCode);
  EXPECT_EQ(parse(answer(RadiusCode::AccessRequest, ""), false), RadiusError::UnexpectedCode);

  RadiusRequestInfo acct = rfcRequest();
  acct.code = RadiusCode::AccountingRequest;
  // Accounting is covered by its authenticators: no Message-Authenticator needed.
  EXPECT_EQ(
      parseRadiusResponse(answer(RadiusCode::AccountingResponse, ""), acct, kSecret, true, reply),
      RadiusError::None);
  EXPECT_EQ(parseRadiusResponse(answer(RadiusCode::AccessAccept, ""), acct, kSecret, false, reply),
            RadiusError::UnexpectedCode);
}

TEST(RadiusPacket, EveryTruncationIsRefused) {
  const std::string full =
      answer(RadiusCode::AccessAccept, messageAuthenticatorAttr() + attr(27, u32(60)) +
                                           attr(18, "hello") + vsa(14122, 7, u32(1)));
  ASSERT_EQ(parse(full, true), RadiusError::None);
  for (size_t n = 0; n < full.size(); ++n) {
    const std::string cut = full.substr(0, n);  // exact-size copy: ASan sees reads past it
    EXPECT_EQ(parse(cut, true), n < 20 ? RadiusError::TooShort : RadiusError::Truncated) << n;
  }
}

TEST(RadiusPacket, EveryHeaderLengthIsChecked) {
  std::string datagram = answer(RadiusCode::AccessAccept, messageAuthenticatorAttr());
  const size_t real = datagram.size();
  datagram.resize(5000, 'P');  // bytes past Length are padding (RFC 2865 §3)
  EXPECT_EQ(parse(datagram, true), RadiusError::None);
  for (size_t length = 0; length <= 5000; ++length) {
    std::string d = datagram;
    d[2] = static_cast<char>(length >> 8);
    d[3] = static_cast<char>(length);
    const RadiusError e = parse(d, true);
    if (length < 20 || length > 4096)
      EXPECT_EQ(e, RadiusError::BadLength) << length;
    else if (length == real)
      EXPECT_EQ(e, RadiusError::None);
    else
      EXPECT_NE(e, RadiusError::None) << length;
  }
}

TEST(RadiusPacket, EveryAttributeLengthByteIsChecked) {
  // One Reply-Message of 8 value bytes: only a length of 10 covers it exactly.
  for (int length = 0; length < 256; ++length) {
    std::string p{2, 0, 0, 0};
    p += std::string(16, '\0') + attr(18, "abcdefgh");
    p[21] = static_cast<char>(length);
    signRadiusResponse(p, kRfcAuthenticator, kSecret);  // refuses the malformed ones
    EXPECT_EQ(parse(p, false), length == 10 ? RadiusError::None : RadiusError::BadAttribute)
        << length;
  }
  // Integer attributes, plain and vendor: only 4 value bytes are an integer.
  for (size_t size = 0; size <= 8; ++size) {
    const std::string value(size, '\1');
    for (const std::string& a : {attr(27, value), attr(28, value), attr(85, value),
                                 vsa(14122, 7, value), vsa(14122, 8, value), vsa(14559, 3, value)})
      EXPECT_EQ(parse(answer(RadiusCode::AccessAccept, a), false),
                size == 4 ? RadiusError::None : RadiusError::BadAttribute)
          << size;
  }
}

TEST(RadiusPacket, MalformedVendorAttributesAreRefusedOnlyForVendorsRead) {
  EXPECT_EQ(parse(answer(RadiusCode::AccessAccept, attr(26, "abc")), false),
            RadiusError::BadAttribute);  // shorter than a Vendor-Id
  EXPECT_EQ(parse(answer(RadiusCode::AccessAccept, attr(26, u32(14122) + "\x07\x09xx")), false),
            RadiusError::BadAttribute);  // sub-attribute past the attribute
  EXPECT_EQ(parse(answer(RadiusCode::AccessAccept, attr(26, u32(14122) + "\x07")), false),
            RadiusError::BadAttribute);
  EXPECT_EQ(parse(answer(RadiusCode::AccessAccept, attr(26, u32(9) + "\x07\x09xx")), false),
            RadiusError::None);  // another vendor's layout is its own
}

TEST(RadiusPacket, RepeatedSingleValuedAttributeIsRefused) {
  EXPECT_EQ(parse(answer(RadiusCode::AccessAccept, attr(27, u32(1)) + attr(27, u32(2))), false),
            RadiusError::BadAttribute);
}

TEST(RadiusPacket, ClassesBeyondTheCapAreDropped) {
  std::string attrs;
  for (int i = 0; i < 10; ++i) attrs += attr(25, "c" + std::to_string(i));
  RadiusReply reply;
  ASSERT_EQ(parse(answer(RadiusCode::AccessAccept, attrs), false, &reply), RadiusError::None);
  ASSERT_EQ(reply.classes.size(), kRadiusMaxClasses);
  EXPECT_EQ(reply.classes.back(), "c7");
}

TEST(RadiusPacket, IpAddressesParseAndMappedIpv4BecomesIpv4) {
  auto v4 = RadiusIp::parse("192.0.2.7");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->version, 4);
  EXPECT_EQ(std::string(v4->bytes.begin(), v4->bytes.begin() + 4), hex("c0 00 02 07"));
  auto mapped = RadiusIp::parse("::ffff:192.0.2.7");
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->version, 4);
  EXPECT_EQ(mapped->bytes, v4->bytes);
  auto v6 = RadiusIp::parse("2001:db8::7");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->version, 6);
  for (const char* bad : {"", "192.0.2", "192.0.2.7/24", "host.example", "::g"})
    EXPECT_FALSE(RadiusIp::parse(bad)) << bad;
}

TEST(RadiusPacket, ErrorNamesAreDistinct) {
  std::set<std::string> names;
  for (int i = 0; i <= static_cast<int>(RadiusError::CryptoFailed); ++i)
    names.insert(toString(static_cast<RadiusError>(i)));
  EXPECT_EQ(names.size(), static_cast<size_t>(RadiusError::CryptoFailed) + 1);
  EXPECT_EQ(names.count("unknown"), 0u);
}

}  // namespace
}  // namespace tollgate::inspect
