// RADIUS codec: encoders for the NAS's requests, the checks on the server's answers, and the
// MD5 constructions that bind both to the shared secret. See radius_packet.h for the contract.
//
// Packet (RFC 2865 §3), all integers big-endian:
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |     Code      |  Identifier   |            Length             |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                 Authenticator (16 bytes)                      |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  Attributes: Type (1) | Length (1, counts Type and Length) | Value ...
//   +-+-+-+-+-+-+-+-+-+-+-+-+-
//
// Vendor-Specific (26) value: Vendor-Id (4), then, for the vendors read here, sub-attributes
// in the same Type/Length/Value shape (§5.26's suggested format).
//
// Authenticators, with S the shared secret and RA the Request Authenticator:
//   Access-Request        RA = 16 random bytes
//   Accounting-Request    RA = MD5(Code+Id+Length+16 zero bytes+Attributes+S)     RFC 2866 §3
//   any answer            MD5(Code+Id+Length+RA+Attributes+S)                     RFC 2865 §3
//   Message-Authenticator HMAC-MD5(S, the packet with its value zeroed, and for an answer the
//                         RA in the authenticator field)                          RFC 3579 §3.2
// An answer's Message-Authenticator is computed before its Response Authenticator, which
// therefore covers it.
#include "daemon/inspect/radius_packet.h"

#include <arpa/inet.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <initializer_list>
#include <iterator>
#include <memory>

namespace tollgate::inspect {

const char* toString(RadiusError e) {
  // In RadiusError's order; the static_assert keeps the two together.
  static constexpr const char* kNames[] = {"none",
                                           "too_short",
                                           "bad_length",
                                           "truncated",
                                           "bad_attribute",
                                           "unexpected_code",
                                           "wrong_identifier",
                                           "bad_authenticator",
                                           "missing_message_authenticator",
                                           "bad_message_authenticator",
                                           "empty_secret",
                                           "invalid_field",
                                           "password_too_long",
                                           "packet_too_large",
                                           "crypto_failed"};
  static_assert(std::size(kNames) == static_cast<size_t>(RadiusError::CryptoFailed) + 1);
  const auto i = static_cast<size_t>(e);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

namespace {

// Attribute types (RFC 2865 §5, RFC 2866 §5, RFC 2869 §5, RFC 3162, RFC 6911).
constexpr uint8_t kUserName = 1;
constexpr uint8_t kUserPassword = 2;
constexpr uint8_t kNasIpAddress = 4;
constexpr uint8_t kServiceType = 6;
constexpr uint8_t kFramedIpAddress = 8;
constexpr uint8_t kReplyMessage = 18;
constexpr uint8_t kClass = 25;
constexpr uint8_t kVendorSpecific = 26;
constexpr uint8_t kSessionTimeout = 27;
constexpr uint8_t kIdleTimeout = 28;
constexpr uint8_t kCallingStationId = 31;
constexpr uint8_t kNasIdentifier = 32;
constexpr uint8_t kAcctStatusType = 40;
constexpr uint8_t kAcctInputOctets = 42;
constexpr uint8_t kAcctOutputOctets = 43;
constexpr uint8_t kAcctSessionId = 44;
constexpr uint8_t kAcctAuthentic = 45;
constexpr uint8_t kAcctSessionTime = 46;
constexpr uint8_t kAcctTerminateCause = 49;
constexpr uint8_t kAcctInputGigawords = 52;
constexpr uint8_t kAcctOutputGigawords = 53;
constexpr uint8_t kEventTimestamp = 55;
constexpr uint8_t kMessageAuthenticator = 80;
constexpr uint8_t kAcctInterimInterval = 85;
constexpr uint8_t kNasIpv6Address = 95;
constexpr uint8_t kFramedIpv6Address = 168;

constexpr uint32_t kServiceTypeLoginUser = 1;  // a user logging in to the NAS's service
constexpr uint32_t kAcctAuthenticRadius = 1;

constexpr uint32_t kVendorWispr = 14122;
constexpr uint8_t kWisprBandwidthMaxUp = 7;
constexpr uint8_t kWisprBandwidthMaxDown = 8;
constexpr uint32_t kVendorChilliSpot = 14559;
constexpr uint8_t kChilliSpotMaxTotalOctets = 3;

using Digest = std::array<uint8_t, 16>;
constexpr Digest kZeros{};

uint8_t byteAt(std::string_view s, size_t i) { return static_cast<uint8_t>(s[i]); }
uint32_t be32(std::string_view s) {
  return uint32_t{byteAt(s, 0)} << 24 | uint32_t{byteAt(s, 1)} << 16 | uint32_t{byteAt(s, 2)} << 8 |
         byteAt(s, 3);
}
template <size_t N>
std::string_view view(const std::array<uint8_t, N>& a) {
  return {reinterpret_cast<const char*>(a.data()), N};
}

// Algorithms fetched once: fetching per call costs a provider lookup under a lock.
const EVP_MD* md5Algorithm() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "MD5", nullptr);
  return md;
}
EVP_MAC* hmacAlgorithm() {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

bool md5(std::initializer_list<std::string_view> parts, Digest& out) {
  const EVP_MD* md = md5Algorithm();
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (md == nullptr || !ctx || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1) return false;
  for (std::string_view p : parts)
    if (EVP_DigestUpdate(ctx.get(), p.data(), p.size()) != 1) return false;
  unsigned int n = 0;
  return EVP_DigestFinal_ex(ctx.get(), out.data(), &n) == 1 && n == out.size();
}

bool hmacMd5(std::string_view key, std::initializer_list<std::string_view> parts, Digest& out) {
  EVP_MAC* mac = hmacAlgorithm();
  if (mac == nullptr) return false;
  std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx(EVP_MAC_CTX_new(mac),
                                                                EVP_MAC_CTX_free);
  char digest[] = "MD5";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  if (!ctx || EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(key.data()),
                           key.size(), params) != 1)
    return false;
  for (std::string_view p : parts)
    if (EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(p.data()), p.size()) != 1)
      return false;
  size_t n = 0;
  return EVP_MAC_final(ctx.get(), out.data(), &n, out.size()) == 1 && n == out.size();
}

// Message-Authenticator over `packet` whose value starts at `valueAt`, with `authenticator` in
// the header's place (the packet's own for a request, the request's for an answer).
bool messageAuthenticatorOf(std::string_view packet, std::string_view authenticator, size_t valueAt,
                            std::string_view secret, Digest& out) {
  return hmacMd5(secret,
                 {packet.substr(0, 4), authenticator,
                  packet.substr(kRadiusHeaderSize, valueAt - kRadiusHeaderSize), view(kZeros),
                  packet.substr(valueAt + kZeros.size())},
                 out);
}

bool sameDigest(const Digest& d, std::string_view bytes) {
  return bytes.size() == d.size() && CRYPTO_memcmp(d.data(), bytes.data(), d.size()) == 0;
}

// The packet inside a datagram: the header's Length, checked, bounds it.
RadiusError framePacket(std::string_view datagram, std::string_view& packet) {
  if (datagram.size() < kRadiusHeaderSize) return RadiusError::TooShort;
  const size_t length = size_t{byteAt(datagram, 2)} << 8 | byteAt(datagram, 3);
  if (length < kRadiusHeaderSize || length > kRadiusMaxPacketSize) return RadiusError::BadLength;
  if (length > datagram.size()) return RadiusError::Truncated;
  packet = datagram.substr(0, length);
  return RadiusError::None;
}

// Calls fn(type, value, offsetOfType) for each attribute; false when one runs past the packet
// or claims a length under 2, or when fn returns false.
template <typename Fn>
bool walkAttributes(std::string_view packet, Fn&& fn) {
  size_t pos = kRadiusHeaderSize;
  while (pos < packet.size()) {
    if (packet.size() - pos < 2) return false;
    const size_t length = byteAt(packet, pos + 1);
    if (length < 2 || length > packet.size() - pos) return false;
    if (!fn(byteAt(packet, pos), packet.substr(pos + 2, length - 2), pos)) return false;
    pos += length;
  }
  return true;
}

// The structural walk every check starts with; `valueAt` gets the offset of the one
// Message-Authenticator's value, 0 if there is none. Two are refused: which would count?
RadiusError findMessageAuthenticator(std::string_view packet, size_t& valueAt) {
  valueAt = 0;
  const bool ok = walkAttributes(packet, [&](uint8_t type, std::string_view value, size_t at) {
    if (type != kMessageAuthenticator) return true;
    if (value.size() != kZeros.size() || valueAt != 0) return false;
    valueAt = at + 2;
    return true;
  });
  return ok ? RadiusError::None : RadiusError::BadAttribute;
}

bool isAnswerTo(RadiusCode request, uint8_t code) {
  if (request == RadiusCode::AccountingRequest)
    return code == static_cast<uint8_t>(RadiusCode::AccountingResponse);
  return request == RadiusCode::AccessRequest &&
         (code == static_cast<uint8_t>(RadiusCode::AccessAccept) ||
          code == static_cast<uint8_t>(RadiusCode::AccessReject) ||
          code == static_cast<uint8_t>(RadiusCode::AccessChallenge));
}

// Appends attributes after a header; the callers check value sizes (at most 253) first.
class PacketWriter {
 public:
  PacketWriter(std::string& out, RadiusCode code, uint8_t identifier,
               const RadiusAuthenticator& authenticator)
      : out_(out) {
    out_.clear();
    out_ += static_cast<char>(code);
    out_ += static_cast<char>(identifier);
    out_.append(2, '\0');  // Length, set by finish()
    out_ += view(authenticator);
  }
  // Returns the offset of the value.
  size_t add(uint8_t type, std::string_view value) {
    out_ += static_cast<char>(type);
    out_ += static_cast<char>(value.size() + 2);
    out_ += value;
    return out_.size() - value.size();
  }
  void addInt(uint8_t type, uint32_t v) {
    const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
    add(type, {b, 4});
  }
  void addIp(uint8_t v4Type, uint8_t v6Type, const RadiusIp& ip) {
    const auto* bytes = reinterpret_cast<const char*>(ip.bytes.data());
    if (ip.version == 4) add(v4Type, {bytes, 4});
    if (ip.version == 6) add(v6Type, {bytes, 16});
  }
  void addNas(const RadiusNas& nas) {
    if (!nas.identifier.empty()) add(kNasIdentifier, nas.identifier);
    addIp(kNasIpAddress, kNasIpv6Address, nas.address);
  }
  // Sets Length; false if the packet is over the limit.
  bool finish() {
    if (out_.size() > kRadiusMaxPacketSize) return false;
    out_[2] = static_cast<char>(out_.size() >> 8);
    out_[3] = static_cast<char>(out_.size());
    return true;
  }

 private:
  std::string& out_;
};

bool fieldFits(std::string_view v) { return v.size() <= kRadiusMaxValueSize; }

// An integer attribute: exactly 4 bytes, at most once.
bool readU32(std::string_view value, std::optional<uint32_t>& dst) {
  if (value.size() != 4 || dst) return false;
  dst = be32(value);
  return true;
}

bool readVendor(std::string_view value, RadiusReply& out) {
  if (value.size() < 4) return false;  // not even a Vendor-Id
  const uint32_t vendor = be32(value);
  // Other vendors may use their own layouts (§5.26 only suggests one): not ours to judge.
  if (vendor != kVendorWispr && vendor != kVendorChilliSpot) return true;
  std::string_view rest = value.substr(4);
  while (!rest.empty()) {
    if (rest.size() < 2) return false;
    const size_t length = byteAt(rest, 1);
    if (length < 2 || length > rest.size()) return false;
    const uint8_t type = byteAt(rest, 0);
    const std::string_view v = rest.substr(2, length - 2);
    bool ok = true;
    if (vendor == kVendorWispr && type == kWisprBandwidthMaxUp) ok = readU32(v, out.bandwidthMaxUp);
    if (vendor == kVendorWispr && type == kWisprBandwidthMaxDown)
      ok = readU32(v, out.bandwidthMaxDown);
    if (vendor == kVendorChilliSpot && type == kChilliSpotMaxTotalOctets)
      ok = readU32(v, out.maxTotalOctets);
    if (!ok) return false;
    rest.remove_prefix(length);
  }
  return true;
}

bool readReplyAttributes(std::string_view packet, RadiusReply& out) {
  return walkAttributes(packet, [&](uint8_t type, std::string_view value, size_t) {
    switch (type) {
      case kSessionTimeout:
        return readU32(value, out.sessionTimeout);
      case kIdleTimeout:
        return readU32(value, out.idleTimeout);
      case kAcctInterimInterval:
        return readU32(value, out.interimInterval);
      case kReplyMessage:
        out.replyMessage += value;
        return true;
      case kClass:
        if (!value.empty() && out.classes.size() < kRadiusMaxClasses)
          out.classes.emplace_back(value);
        return true;
      case kVendorSpecific:
        return readVendor(value, out);
      default:
        return true;  // unknown or not acted on (RFC 2865 §5: may be ignored)
    }
  });
}

}  // namespace

std::optional<RadiusIp> RadiusIp::parse(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;  // INET6_ADDRSTRLEN - 1
  const std::string s(text);
  RadiusIp ip;
  if (inet_pton(AF_INET, s.c_str(), ip.bytes.data()) == 1) {
    ip.version = 4;
    return ip;
  }
  if (inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) != 1) return std::nullopt;
  static constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(std::begin(kMappedPrefix), std::end(kMappedPrefix), ip.bytes.begin())) {
    std::copy(ip.bytes.begin() + 12, ip.bytes.end(), ip.bytes.begin());
    std::fill(ip.bytes.begin() + 4, ip.bytes.end(), 0);
    ip.version = 4;
    return ip;
  }
  ip.version = 6;
  return ip;
}

std::string formatCallingStationId(const MacAddress& mac) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string s;
  for (size_t i = 0; i < mac.size(); ++i) {
    if (i > 0) s += '-';
    s += kHex[mac[i] >> 4];
    s += kHex[mac[i] & 0xf];
  }
  return s;
}

RadiusError hideUserPassword(std::string_view password, std::string_view secret,
                             const RadiusAuthenticator& authenticator, std::string& out) {
  out.clear();
  if (secret.empty()) return RadiusError::EmptySecret;
  if (password.size() > kRadiusMaxPasswordSize) return RadiusError::PasswordTooLong;
  // NUL is the padding: a password containing one would not survive the server's unhiding.
  if (password.find('\0') != std::string_view::npos) return RadiusError::InvalidField;
  const size_t padded = std::max<size_t>(16, (password.size() + 15) / 16 * 16);
  out.assign(password);
  out.resize(padded, '\0');
  std::string_view previous = view(authenticator);
  for (size_t i = 0; i < padded; i += 16) {
    Digest b;
    if (!md5({secret, previous}, b)) {
      out.clear();
      return RadiusError::CryptoFailed;
    }
    for (size_t j = 0; j < 16; ++j) out[i + j] = static_cast<char>(byteAt(out, i + j) ^ b[j]);
    previous = std::string_view(out).substr(i, 16);  // c(i) feeds the next block's key
  }
  return RadiusError::None;
}

RadiusError unhideUserPassword(std::string_view hidden, std::string_view secret,
                               const RadiusAuthenticator& authenticator, std::string& out) {
  out.clear();
  if (secret.empty()) return RadiusError::EmptySecret;
  if (hidden.size() < 16 || hidden.size() > kRadiusMaxPasswordSize || hidden.size() % 16 != 0)
    return RadiusError::InvalidField;
  out.resize(hidden.size());
  std::string_view previous = view(authenticator);
  for (size_t i = 0; i < hidden.size(); i += 16) {
    Digest b;
    if (!md5({secret, previous}, b)) {
      out.clear();
      return RadiusError::CryptoFailed;
    }
    for (size_t j = 0; j < 16; ++j) out[i + j] = static_cast<char>(byteAt(hidden, i + j) ^ b[j]);
    previous = hidden.substr(i, 16);
  }
  out.erase(out.find_last_not_of('\0') + 1);  // npos + 1 == 0: all padding
  return RadiusError::None;
}

RadiusError encodeAccessRequest(const AccessRequest& request, const RadiusNas& nas,
                                std::string_view secret, std::string& out) {
  out.clear();
  if (secret.empty()) return RadiusError::EmptySecret;
  if (request.userName.empty() || !fieldFits(request.userName) || !fieldFits(nas.identifier))
    return RadiusError::InvalidField;
  std::string hidden;
  if (RadiusError e = hideUserPassword(request.password, secret, request.authenticator, hidden);
      e != RadiusError::None)
    return e;

  PacketWriter w(out, RadiusCode::AccessRequest, request.identifier, request.authenticator);
  // First, as the BlastRADIUS advisories ask: a server then verifies it before reading
  // anything an attacker could have prefixed.
  const size_t macAt = w.add(kMessageAuthenticator, view(kZeros));
  w.add(kUserName, request.userName);
  w.add(kUserPassword, hidden);
  w.addInt(kServiceType, kServiceTypeLoginUser);
  w.addNas(nas);
  if (request.callingStation)
    w.add(kCallingStationId, formatCallingStationId(*request.callingStation));
  w.addIp(kFramedIpAddress, kFramedIpv6Address, request.framedIp);
  if (!w.finish()) {  // unreachable with the field limits above, kept for later attributes
    out.clear();
    return RadiusError::PacketTooLarge;
  }
  Digest mac;
  if (!messageAuthenticatorOf(out, view(request.authenticator), macAt, secret, mac)) {
    out.clear();
    return RadiusError::CryptoFailed;
  }
  std::copy(mac.begin(), mac.end(), out.begin() + static_cast<ptrdiff_t>(macAt));
  return RadiusError::None;
}

RadiusError encodeAccountingRequest(const AccountingRequest& request, const RadiusNas& nas,
                                    std::string_view secret, std::string& out) {
  out.clear();
  if (secret.empty()) return RadiusError::EmptySecret;
  if (request.sessionId.empty() || !fieldFits(request.sessionId) || !fieldFits(request.userName) ||
      !fieldFits(nas.identifier))
    return RadiusError::InvalidField;
  for (const std::string& c : request.classes)
    if (c.empty() || !fieldFits(c)) return RadiusError::InvalidField;

  PacketWriter w(out, RadiusCode::AccountingRequest, request.identifier, kZeros);
  w.addInt(kAcctStatusType, static_cast<uint32_t>(request.status));
  w.add(kAcctSessionId, request.sessionId);
  w.addInt(kAcctAuthentic, kAcctAuthenticRadius);
  if (!request.userName.empty()) w.add(kUserName, request.userName);
  w.addNas(nas);
  if (request.callingStation)
    w.add(kCallingStationId, formatCallingStationId(*request.callingStation));
  w.addIp(kFramedIpAddress, kFramedIpv6Address, request.framedIp);
  for (const std::string& c : request.classes) w.add(kClass, c);
  if (request.eventTimestamp != 0) w.addInt(kEventTimestamp, request.eventTimestamp);
  if (request.status != AcctStatusType::Start) {
    // 32-bit counters wrap at 4 GiB; the gigawords count the wraps (RFC 2869 §5.1, 5.2).
    w.addInt(kAcctInputOctets, static_cast<uint32_t>(request.inputOctets));
    w.addInt(kAcctInputGigawords, static_cast<uint32_t>(request.inputOctets >> 32));
    w.addInt(kAcctOutputOctets, static_cast<uint32_t>(request.outputOctets));
    w.addInt(kAcctOutputGigawords, static_cast<uint32_t>(request.outputOctets >> 32));
    w.addInt(kAcctSessionTime, request.sessionTime);
  }
  if (request.status == AcctStatusType::Stop && request.terminateCause != AcctTerminateCause::None)
    w.addInt(kAcctTerminateCause, static_cast<uint32_t>(request.terminateCause));
  if (!w.finish()) {
    out.clear();
    return RadiusError::PacketTooLarge;
  }
  Digest authenticator;
  if (!md5({out, secret}, authenticator)) {  // over the zero authenticator written above
    out.clear();
    return RadiusError::CryptoFailed;
  }
  std::copy(authenticator.begin(), authenticator.end(), out.begin() + 4);
  return RadiusError::None;
}

bool readRequestInfo(std::string_view encoded, RadiusRequestInfo& out) {
  if (encoded.size() < kRadiusHeaderSize) return false;
  out.code = static_cast<RadiusCode>(byteAt(encoded, 0));
  out.identifier = byteAt(encoded, 1);
  std::copy(encoded.begin() + 4, encoded.begin() + 20, out.authenticator.begin());
  return true;
}

RadiusError parseRadiusResponse(std::string_view datagram, const RadiusRequestInfo& request,
                                std::string_view secret, bool requireMessageAuthenticator,
                                RadiusReply& out) {
  out = RadiusReply{};
  if (secret.empty()) return RadiusError::EmptySecret;
  std::string_view packet;
  if (RadiusError e = framePacket(datagram, packet); e != RadiusError::None) return e;
  const uint8_t code = byteAt(packet, 0);
  if (!isAnswerTo(request.code, code)) return RadiusError::UnexpectedCode;
  if (byteAt(packet, 1) != request.identifier) return RadiusError::WrongIdentifier;
  size_t macAt = 0;
  if (RadiusError e = findMessageAuthenticator(packet, macAt); e != RadiusError::None) return e;

  Digest expected;
  if (!md5({packet.substr(0, 4), view(request.authenticator), packet.substr(kRadiusHeaderSize),
            secret},
           expected))
    return RadiusError::CryptoFailed;
  if (!sameDigest(expected, packet.substr(4, 16))) return RadiusError::BadAuthenticator;
  if (macAt != 0) {
    if (!messageAuthenticatorOf(packet, view(request.authenticator), macAt, secret, expected))
      return RadiusError::CryptoFailed;
    if (!sameDigest(expected, packet.substr(macAt, 16)))
      return RadiusError::BadMessageAuthenticator;
  } else if (requireMessageAuthenticator &&
             code != static_cast<uint8_t>(RadiusCode::AccountingResponse)) {
    // Accounting is covered by its authenticators alone; BlastRADIUS forges Access-* answers.
    return RadiusError::MissingMessageAuthenticator;
  }

  out.code = static_cast<RadiusCode>(code);
  out.identifier = request.identifier;
  out.messageAuthenticator = macAt != 0;
  if (!readReplyAttributes(packet, out)) {
    out = RadiusReply{};
    return RadiusError::BadAttribute;
  }
  return RadiusError::None;
}

RadiusError verifyRadiusRequest(std::string_view datagram, std::string_view secret) {
  if (secret.empty()) return RadiusError::EmptySecret;
  std::string_view packet;
  if (RadiusError e = framePacket(datagram, packet); e != RadiusError::None) return e;
  size_t macAt = 0;
  if (RadiusError e = findMessageAuthenticator(packet, macAt); e != RadiusError::None) return e;
  const std::string_view authenticator = packet.substr(4, 16);
  Digest expected;
  switch (static_cast<RadiusCode>(byteAt(packet, 0))) {
    case RadiusCode::AccessRequest:
      if (macAt == 0) return RadiusError::MissingMessageAuthenticator;
      if (!messageAuthenticatorOf(packet, authenticator, macAt, secret, expected))
        return RadiusError::CryptoFailed;
      return sameDigest(expected, packet.substr(macAt, 16)) ? RadiusError::None
                                                            : RadiusError::BadMessageAuthenticator;
    case RadiusCode::AccountingRequest:
      if (!md5({packet.substr(0, 4), view(kZeros), packet.substr(kRadiusHeaderSize), secret},
               expected))
        return RadiusError::CryptoFailed;
      return sameDigest(expected, authenticator) ? RadiusError::None
                                                 : RadiusError::BadAuthenticator;
    default:
      return RadiusError::UnexpectedCode;
  }
}

RadiusError signRadiusResponse(std::string& packet, const RadiusAuthenticator& requestAuthenticator,
                               std::string_view secret) {
  if (secret.empty()) return RadiusError::EmptySecret;
  if (packet.size() < kRadiusHeaderSize) return RadiusError::TooShort;
  if (packet.size() > kRadiusMaxPacketSize) return RadiusError::BadLength;
  packet[2] = static_cast<char>(packet.size() >> 8);
  packet[3] = static_cast<char>(packet.size());
  size_t macAt = 0;
  if (RadiusError e = findMessageAuthenticator(packet, macAt); e != RadiusError::None) return e;
  Digest d;
  if (macAt != 0) {
    if (!messageAuthenticatorOf(packet, view(requestAuthenticator), macAt, secret, d))
      return RadiusError::CryptoFailed;
    std::copy(d.begin(), d.end(), packet.begin() + static_cast<ptrdiff_t>(macAt));
  }
  const std::string_view p = packet;
  if (!md5({p.substr(0, 4), view(requestAuthenticator), p.substr(kRadiusHeaderSize), secret}, d))
    return RadiusError::CryptoFailed;
  std::copy(d.begin(), d.end(), packet.begin() + 4);
  return RadiusError::None;
}

}  // namespace tollgate::inspect
