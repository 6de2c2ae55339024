// libFuzzer target for the TLS ClientHello parser. Beyond "no crash, no sanitizer report", it
// checks the contract the proxy relies on and traps when any of it breaks:
//   - the state and the error agree (Done/NeedMore carry None, Error carries a reason);
//   - Done: bytesUsed is within the input and within maxBytes, the SNI is lower-case, at most
//     255 bytes, free of control bytes, and the ALPN names are non-empty;
//   - appending bytes never changes a verdict: a prefix yields NeedMore or exactly the result of
//     the whole input (so Done on a prefix is Done, identically, on the whole);
//   - Done stops at its own records: the input cut at bytesUsed is Done identically, one byte
//     less is NeedMore;
//   - the cap is exact: Done under a limit L iff Done under the default with bytesUsed <= L;
//   - record framing is invisible: the same handshake message re-framed into records of another
//     size parses to the same fields.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "daemon/inspect/client_hello.h"

namespace {

using tollgate::inspect::ClientHelloInfo;
using tollgate::inspect::parseClientHello;
using tollgate::inspect::ParseState;
using tollgate::inspect::TlsError;
using tollgate::inspect::TlsLimits;

struct Result {
  ParseState state = ParseState::NeedMore;
  TlsError err = TlsError::None;
  ClientHelloInfo info;
};

Result parse(std::string_view in, size_t maxBytes = TlsLimits{}.maxBytes) {
  Result r;
  r.state = parseClientHello(in, TlsLimits{maxBytes}, r.info, r.err);
  return r;
}

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool sameFields(const ClientHelloInfo& a, const ClientHelloInfo& b) {
  return a.recordVersion == b.recordVersion && a.legacyVersion == b.legacyVersion &&
         a.supportsTls13 == b.supportsTls13 && a.sni == b.sni && a.alpn == b.alpn &&
         a.hasEch == b.hasEch;
}

bool sameResult(const Result& a, const Result& b) {
  if (a.state != b.state || a.err != b.err) return false;
  return a.state != ParseState::Done ||
         (sameFields(a.info, b.info) && a.info.bytesUsed == b.info.bytesUsed);
}

void checkConsistent(const Result& r, size_t inputSize, size_t maxBytes) {
  check((r.state == ParseState::Error) == (r.err != TlsError::None));
  if (r.state != ParseState::Done) return;
  check(r.info.bytesUsed > 0 && r.info.bytesUsed <= inputSize && r.info.bytesUsed <= maxBytes);
  check(r.info.sni.size() <= 255);
  for (char c : r.info.sni) {
    const auto u = static_cast<unsigned char>(c);
    check(u >= 0x20 && u != 0x7f && !(u >= 'A' && u <= 'Z'));
  }
  for (const std::string& name : r.info.alpn) check(!name.empty() && name.size() <= 255);
}

// A prefix may only be undecided or agree with the whole.
void checkPrefix(std::string_view in, size_t n, const Result& whole) {
  const Result p = parse(in.substr(0, n));
  checkConsistent(p, n, TlsLimits{}.maxBytes);
  check(p.state == ParseState::NeedMore || sameResult(p, whole));
}

// The handshake bytes of the records in in[0, end), re-framed into records of `chunk` bytes.
std::string reframe(std::string_view in, size_t end, size_t chunk) {
  std::string message;
  for (size_t pos = 0; pos < end;) {
    const size_t len = static_cast<uint8_t>(in[pos + 3]) << 8 | static_cast<uint8_t>(in[pos + 4]);
    message.append(in.substr(pos + 5, len));
    pos += 5 + len;
  }
  std::string out;
  for (size_t pos = 0; pos < message.size(); pos += chunk) {
    const size_t len = std::min(chunk, message.size() - pos);
    out += in.substr(0, 3);  // same content type and record version as the original
    out += static_cast<char>(len >> 8);
    out += static_cast<char>(len & 0xff);
    out.append(message, pos, len);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t defaultMax = TlsLimits{}.maxBytes;

  const Result whole = parse(in);
  checkConsistent(whole, size, defaultMax);

  // Prefixes: the last byte missing, half, and one chosen by the input's own bytes.
  if (size > 0) {
    checkPrefix(in, size - 1, whole);
    checkPrefix(in, size / 2, whole);
    size_t h = 0;
    for (uint8_t b : in.substr(0, 16)) h = h * 31 + b;
    checkPrefix(in, h % size, whole);
  }

  // The cap is exact: shrinking it rejects iff the hello needed more than the new cap.
  const size_t smallMax = size / 2;
  const Result capped = parse(in, smallMax);
  checkConsistent(capped, size, smallMax);
  const bool fitsSmall = whole.state == ParseState::Done && whole.info.bytesUsed <= smallMax;
  check((capped.state == ParseState::Done) == fitsSmall);
  if (fitsSmall) check(sameResult(capped, whole));

  if (whole.state != ParseState::Done) return 0;

  const size_t used = whole.info.bytesUsed;
  check(sameResult(parse(in.substr(0, used)), whole));
  check(parse(in.substr(0, used - 1)).state == ParseState::NeedMore);

  // Record boundaries must not matter: 1..64-byte records, chosen by the input.
  const size_t chunk = 1 + data[size - 1] % 64;
  const std::string reframed = reframe(in, used, chunk);
  const Result again = parse(reframed, std::numeric_limits<size_t>::max());
  check(again.state == ParseState::Done && sameFields(again.info, whole.info) &&
        again.info.bytesUsed == reframed.size());
  return 0;
}
