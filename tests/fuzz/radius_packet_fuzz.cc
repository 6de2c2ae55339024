// libFuzzer target for the RADIUS codec. Random bytes almost never pass an MD5 check, so the
// first byte picks a mode (low two bits) and options:
//   0, 3 "raw": the rest is a datagram answering RFC 2865 §7.1's Access-Request (bit 2: an
//        Accounting-Request with the same header) (lengths, codes, identifiers, the walk);
//   1    "signed": byte 1 is the code, the rest the attributes, signed here as the server
//        would (bit 3: a Message-Authenticator first), so the fuzzer reaches the checks after
//        the authenticators and the attribute reader;
//   2    "encode": the rest, split at 0xff bytes, is user name, password, NAS-Identifier,
//        Acct-Session-Id and Class values; both requests are encoded and checked as a server
//        would check them.
//
// Beyond "no crash, no sanitizer report", it traps when the contract breaks:
//   - parsing is a function of its input; a success is an answer of the right code and
//     identifier, with at most kRadiusMaxClasses non-empty classes;
//   - bytes after Length never matter; requiring Message-Authenticator only ever turns a
//     success without one into MissingMessageAuthenticator;
//   - a packet the signer accepts passes every authenticator check, and changing any one of
//     its bytes then fails the parse;
//   - encoding fails exactly for the fields the header says it refuses; what it produces
//     passes the server's checks, and the password unhides to itself.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/inspect/radius_packet.h"

namespace {

using namespace tollgate::inspect;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

const std::string kSecret = "xyzzy5461";
// RFC 2865 §7.1: Access-Request, identifier 0.
const RadiusAuthenticator kAuthenticator = {0x0f, 0x40, 0x3f, 0x94, 0x73, 0x97, 0x80, 0x57,
                                            0xbd, 0x83, 0xd5, 0xcb, 0x98, 0xf4, 0x22, 0x7a};

bool sameReply(const RadiusReply& a, const RadiusReply& b) {
  return a.code == b.code && a.identifier == b.identifier &&
         a.messageAuthenticator == b.messageAuthenticator && a.sessionTimeout == b.sessionTimeout &&
         a.idleTimeout == b.idleTimeout && a.interimInterval == b.interimInterval &&
         a.replyMessage == b.replyMessage && a.classes == b.classes &&
         a.bandwidthMaxUp == b.bandwidthMaxUp && a.bandwidthMaxDown == b.bandwidthMaxDown &&
         a.maxTotalOctets == b.maxTotalOctets;
}

RadiusError parse(std::string_view d, const RadiusRequestInfo& req, bool require,
                  RadiusReply& out) {
  const std::string copy(d);  // exact size: ASan sees any read past the datagram
  return parseRadiusResponse(copy, req, kSecret, require, out);
}

// Checks every invariant of one parse and returns its result.
RadiusError checkedParse(std::string_view d, const RadiusRequestInfo& req) {
  RadiusReply lax, strict, again;
  const RadiusError e = parse(d, req, false, lax);
  check(parse(d, req, false, again) == e && sameReply(lax, again));
  const RadiusError s = parse(d, req, true, strict);
  if (e == RadiusError::None) {
    const bool answer = req.code == RadiusCode::AccountingRequest
                            ? lax.code == RadiusCode::AccountingResponse
                            : lax.code == RadiusCode::AccessAccept ||
                                  lax.code == RadiusCode::AccessReject ||
                                  lax.code == RadiusCode::AccessChallenge;
    check(answer && lax.identifier == req.identifier);
    check(lax.classes.size() <= kRadiusMaxClasses &&
          lax.replyMessage.size() < kRadiusMaxPacketSize);
    for (const std::string& c : lax.classes) check(!c.empty());
    const bool needsMac = !lax.messageAuthenticator && lax.code != RadiusCode::AccountingResponse;
    check(needsMac ? s == RadiusError::MissingMessageAuthenticator
                   : s == RadiusError::None && sameReply(lax, strict));
  } else {
    // The strict parse stops at the missing Message-Authenticator, before the attribute
    // values the lax one may have failed on.
    check(s == e ||
          (e == RadiusError::BadAttribute && s == RadiusError::MissingMessageAuthenticator));
  }
  if (e != RadiusError::TooShort && e != RadiusError::Truncated) {
    std::string padded(d);
    padded += std::string("\x00\x02padding", 9);
    RadiusReply p;
    check(parse(padded, req, false, p) == e && (e != RadiusError::None || sameReply(p, lax)));
  }
  return e;
}

void rawMode(uint8_t options, std::string_view rest) {
  RadiusRequestInfo req;
  req.code = options & 4 ? RadiusCode::AccountingRequest : RadiusCode::AccessRequest;
  req.authenticator = kAuthenticator;
  checkedParse(rest, req);
}

void signedMode(uint8_t options, std::string_view rest) {
  if (rest.empty()) return;
  RadiusRequestInfo req;
  req.code = options & 4 ? RadiusCode::AccountingRequest : RadiusCode::AccessRequest;
  req.identifier = 0x5a;
  req.authenticator = kAuthenticator;
  std::string p{rest[0], static_cast<char>(req.identifier), 0, 0};
  p += std::string(16, '\0');
  if (options & 8) p += std::string("\x50\x12", 2) + std::string(16, '\0');
  p += rest.substr(1, kRadiusMaxPacketSize - p.size());
  const RadiusError signing = signRadiusResponse(p, kAuthenticator, kSecret);
  const RadiusError e = checkedParse(p, req);
  if (signing != RadiusError::None) {
    // The parse may stop earlier, at a code that answers nothing.
    check(signing == RadiusError::BadAttribute &&
          (e == RadiusError::BadAttribute || e == RadiusError::UnexpectedCode));
    return;
  }
  check(e == RadiusError::None || e == RadiusError::UnexpectedCode ||
        e == RadiusError::BadAttribute);
  if (e != RadiusError::None) return;
  RadiusReply reply;
  check(parse(p, req, false, reply) == RadiusError::None);
  check(!(options & 8) || reply.messageAuthenticator);
  uint32_t h = 2166136261u;
  for (char c : rest) h = (h ^ static_cast<uint8_t>(c)) * 16777619u;
  std::string changed = p;
  const size_t at = h % changed.size();
  changed[at] = static_cast<char>(changed[at] ^ (1 + (h >> 24) % 255));
  check(parse(changed, req, false, reply) != RadiusError::None);
}

std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> out;
  for (size_t pos = 0;;) {
    const size_t end = s.find('\xff', pos);
    out.push_back(s.substr(pos, end == std::string_view::npos ? end : end - pos));
    if (end == std::string_view::npos) return out;
    pos = end + 1;
  }
}

void encodeMode(std::string_view rest) {
  std::vector<std::string_view> f = split(rest);
  f.resize(std::max<size_t>(f.size(), 4));
  const std::string_view user = f[0], password = f[1], nasId = f[2], sessionId = f[3];
  const RadiusNas nas{std::string(nasId), *RadiusIp::parse("192.0.2.1")};

  AccessRequest a;
  a.identifier = static_cast<uint8_t>(rest.size());
  a.authenticator = kAuthenticator;
  a.userName = user;
  a.password = password;
  a.callingStation = MacAddress{2, 0, 0, 0, 0, static_cast<uint8_t>(user.size())};
  a.framedIp = *RadiusIp::parse(user.size() % 2 ? "10.0.0.7" : "fd00::7");
  std::string packet;
  const RadiusError e = encodeAccessRequest(a, nas, kSecret, packet);
  const bool fits = user.size() <= kRadiusMaxValueSize && nasId.size() <= kRadiusMaxValueSize;
  if (password.size() > kRadiusMaxPasswordSize) {
    check(e == (user.empty() || !fits ? RadiusError::InvalidField : RadiusError::PasswordTooLong));
  } else {
    const bool ok = !user.empty() && fits && password.find('\0') == std::string_view::npos;
    check((e == RadiusError::None) == ok && (ok || e == RadiusError::InvalidField));
  }
  if (e == RadiusError::None) {
    check(packet.size() <= kRadiusMaxPacketSize &&
          verifyRadiusRequest(packet, kSecret) == RadiusError::None);
    // Message-Authenticator (18 bytes) then User-Name, then User-Password.
    const size_t pwAt = 20 + 18 + 2 + user.size();
    check(static_cast<uint8_t>(packet[pwAt]) == 2);
    const size_t hiddenSize = static_cast<uint8_t>(packet[pwAt + 1]) - 2u;
    std::string plain;
    check(unhideUserPassword(std::string_view(packet).substr(pwAt + 2, hiddenSize), kSecret,
                             kAuthenticator, plain) == RadiusError::None &&
          plain == password);
    RadiusRequestInfo info;
    check(readRequestInfo(packet, info));
    std::string answer{2, static_cast<char>(info.identifier), 0, 0};
    answer += std::string(16, '\0') + std::string("\x50\x12", 2) + std::string(16, '\0');
    check(signRadiusResponse(answer, info.authenticator, kSecret) == RadiusError::None);
    check(checkedParse(answer, info) == RadiusError::None);
  }

  std::vector<std::string> classes(f.begin() + 4, f.end());
  AccountingRequest r;
  r.identifier = 3;
  r.status = static_cast<AcctStatusType>(1 + rest.size() % 3);
  r.sessionId = sessionId;
  r.userName = user;
  r.inputOctets = uint64_t{rest.size()} << 31;
  r.terminateCause = AcctTerminateCause::LostCarrier;
  r.classes = classes;
  const RadiusError ea = encodeAccountingRequest(r, nas, kSecret, packet);
  bool valid = !sessionId.empty() && sessionId.size() <= kRadiusMaxValueSize && fits;
  for (const std::string& c : classes)
    valid = valid && !c.empty() && c.size() <= kRadiusMaxValueSize;
  check(valid ? ea == RadiusError::None || ea == RadiusError::PacketTooLarge
              : ea == RadiusError::InvalidField);
  if (ea == RadiusError::None) {
    check(packet.size() <= kRadiusMaxPacketSize &&
          verifyRadiusRequest(packet, kSecret) == RadiusError::None);
    RadiusRequestInfo info;
    check(readRequestInfo(packet, info) && info.code == RadiusCode::AccountingRequest);
    std::string answer{5, static_cast<char>(info.identifier), 0, 0};
    answer += std::string(16, '\0');
    check(signRadiusResponse(answer, info.authenticator, kSecret) == RadiusError::None);
    check(checkedParse(answer, info) == RadiusError::None);
  } else {
    check(packet.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] & 3) {
    case 1:
      signedMode(data[0], rest);
      break;
    case 2:
      encodeMode(rest);
      break;
    default:
      rawMode(data[0], rest);
      break;
  }
  return 0;
}
