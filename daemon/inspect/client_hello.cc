// TLS ClientHello parser: record reassembly, then the ClientHello body and the four extensions
// the proxy routes on. See client_hello.h for the contract.
#include "daemon/inspect/client_hello.h"

#include <algorithm>
#include <bitset>

namespace tollgate::inspect {

const char* toString(TlsError e) {
  switch (e) {
    case TlsError::None:
      return "none";
    case TlsError::NotTls:
      return "not_tls";
    case TlsError::NotClientHello:
      return "not_client_hello";
    case TlsError::TooLarge:
      return "too_large";
    case TlsError::Malformed:
      return "malformed";
  }
  return "unknown";
}

namespace {

constexpr uint8_t kContentHandshake = 22;
constexpr uint8_t kHandshakeClientHello = 1;
constexpr size_t kRecordHeaderSize = 5;
constexpr size_t kHandshakeHeaderSize = 4;
constexpr size_t kMaxRecordPayload = 16384;  // 2^14, RFC 8446 §5.1; no slack for plaintext
constexpr size_t kRandomSize = 32;
constexpr size_t kMaxSessionId = 32;
constexpr size_t kMaxHostName = 255;

constexpr uint16_t kExtServerName = 0;
constexpr uint16_t kExtAlpn = 16;
constexpr uint16_t kExtSupportedVersions = 43;
constexpr uint16_t kExtEncryptedClientHello = 0xfe0d;
constexpr uint16_t kTls13 = 0x0304;

// Bounds-checked big-endian cursor. Every read either succeeds whole or leaves the cursor where
// it was and returns false, so a caller can turn any short read into Malformed in one place.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  bool empty() const { return pos_ == bytes_.size(); }
  size_t left() const { return bytes_.size() - pos_; }

  bool u8(uint8_t& v) {
    if (left() < 1) return false;
    v = at(0);
    pos_ += 1;
    return true;
  }
  bool u16(uint16_t& v) {
    if (left() < 2) return false;
    v = static_cast<uint16_t>(at(0) << 8 | at(1));
    pos_ += 2;
    return true;
  }
  bool skip(size_t n) {
    if (left() < n) return false;
    pos_ += n;
    return true;
  }
  // opaque x<0..2^8-1>: one length byte, then that many bytes.
  bool vector8(std::string_view& v) {
    if (left() < 1 || left() - 1 < at(0)) return false;
    v = bytes_.substr(pos_ + 1, at(0));
    pos_ += 1 + v.size();
    return true;
  }
  // opaque x<0..2^16-1>: two length bytes, then that many bytes.
  bool vector16(std::string_view& v) {
    if (left() < 2) return false;
    size_t n = static_cast<size_t>(at(0) << 8 | at(1));
    if (left() - 2 < n) return false;
    v = bytes_.substr(pos_ + 2, n);
    pos_ += 2 + n;
    return true;
  }

 private:
  uint8_t at(size_t i) const { return static_cast<uint8_t>(bytes_[pos_ + i]); }

  std::string_view bytes_;
  size_t pos_ = 0;
};

uint8_t byteAt(std::string_view s, size_t i) { return static_cast<uint8_t>(s[i]); }

ParseState fail(TlsError& err, TlsError why) {
  err = why;
  return ParseState::Error;
}

// Where the ClientHello handshake message lies in the record stream.
struct Framing {
  size_t end = 0;          // input offset just past the last record holding the message
  size_t messageSize = 0;  // handshake header + body
  size_t records = 0;
  uint16_t firstVersion = 0;
};

// Judges the record starting at `pos` with `length` payload bytes, once its header is read and
// again when the handshake header reveals `messageSize` (0 while unknown). The record must not
// run past the message. The input the hello will cover is at least this record's header plus
// every message byte not yet gathered, so TooLarge is certain from that lower bound: refuse
// then rather than after buffering up to the cap.
TlsError checkFits(size_t pos, size_t length, size_t gathered, size_t messageSize,
                   size_t maxBytes) {
  if (messageSize != 0 && gathered + length > messageSize) return TlsError::Malformed;
  const size_t stillNeeded = messageSize != 0 ? messageSize - gathered : length;
  if (pos + kRecordHeaderSize + stillNeeded > maxBytes) return TlsError::TooLarge;
  return TlsError::None;
}

// TLS record layer (RFC 8446 §5.1, RFC 5246 §6.2.1), repeated until the handshake message is
// whole:
//
//   0        1        2        3        4        5
//   +--------+--------+--------+--------+--------+------------------------------+
//   | type=22| major=3| minor  |   length (BE)   | fragment: `length` bytes     |
//   |        |        | 0..4   | 1..16384        | of the handshake stream      |
//   +--------+--------+--------+--------+--------+------------------------------+
//
// The concatenated fragments form one handshake message:
//
//   +--------+--------+--------+--------+-------------------------------------+
//   | msg=1  |   body length (24-bit BE)  | ClientHello body                    |
//   +--------+--------+--------+--------+-------------------------------------+
//
// The header of the message may itself be split across records. The last record must end
// exactly where the message ends: the client sends nothing else until the server answers, and
// RFC 8446 §5.1 forbids a handshake message before a key change from straddling a record end.
//
// Every check runs as soon as the bytes it reads are present and in input order, and the walk
// stops (NeedMore) at the first byte it lacks. So a prefix of an input yields either NeedMore or
// exactly what the whole input yields: a verdict never changes as more bytes arrive.
ParseState walkRecords(std::string_view in, size_t maxBytes, Framing& f, TlsError& err) {
  uint8_t header[kHandshakeHeaderSize];
  size_t gathered = 0;     // handshake bytes in the records before the current one
  size_t messageSize = 0;  // 0 until the 4-byte handshake header has been seen
  size_t pos = 0;
  for (;;) {
    // The first record decides whether this is TLS at all; a bad header later is a broken
    // handshake rather than another protocol.
    const TlsError notRecord = f.records == 0 ? TlsError::NotTls : TlsError::Malformed;
    const size_t avail = in.size() - pos;
    if (avail < 1) return ParseState::NeedMore;
    if (byteAt(in, pos) != kContentHandshake) return fail(err, notRecord);
    if (avail < 2) return ParseState::NeedMore;
    if (byteAt(in, pos + 1) != 3) return fail(err, notRecord);
    if (avail < 3) return ParseState::NeedMore;
    if (byteAt(in, pos + 2) > 4) return fail(err, notRecord);
    if (avail < kRecordHeaderSize) return ParseState::NeedMore;
    const size_t length = static_cast<size_t>(byteAt(in, pos + 3) << 8 | byteAt(in, pos + 4));
    // RFC 8446 §5.1 forbids zero-length handshake fragments; they would also let a client
    // stretch the walk with headers that carry nothing.
    if (length == 0 || length > kMaxRecordPayload) return fail(err, TlsError::Malformed);
    if (f.records == 0)
      f.firstVersion = static_cast<uint16_t>(byteAt(in, pos + 1) << 8 | byteAt(in, pos + 2));

    if (TlsError e = checkFits(pos, length, gathered, messageSize, maxBytes); e != TlsError::None)
      return fail(err, e);

    const size_t present = std::min(length, avail - kRecordHeaderSize);
    for (size_t i = 0; i < present && gathered + i < kHandshakeHeaderSize; ++i) {
      const size_t at = gathered + i;
      header[at] = byteAt(in, pos + kRecordHeaderSize + i);
      if (at == 0 && header[0] != kHandshakeClientHello) return fail(err, TlsError::NotClientHello);
      if (at == kHandshakeHeaderSize - 1) {
        messageSize = kHandshakeHeaderSize + (static_cast<size_t>(header[1]) << 16 |
                                              static_cast<size_t>(header[2]) << 8 | header[3]);
        if (TlsError e = checkFits(pos, length, gathered, messageSize, maxBytes);
            e != TlsError::None)
          return fail(err, e);
      }
    }
    if (present < length) return ParseState::NeedMore;

    gathered += length;
    pos += kRecordHeaderSize + length;
    ++f.records;
    if (messageSize != 0 && gathered == messageSize) {
      f.end = pos;
      f.messageSize = messageSize;
      return ParseState::Done;
    }
  }
}

// Copies the fragments of a message that spans several records into `out`: one allocation per
// such ClientHello, sized exactly. Only called after walkRecords() vouched for the framing.
void joinFragments(std::string_view in, const Framing& f, std::string& out) {
  out.clear();
  out.reserve(f.messageSize);
  for (size_t pos = 0; pos < f.end;) {
    const size_t length = static_cast<size_t>(byteAt(in, pos + 3) << 8 | byteAt(in, pos + 4));
    out.append(in.substr(pos + kRecordHeaderSize, length));
    pos += kRecordHeaderSize + length;
  }
}

// server_name (RFC 6066 §3):
//
//   +--------+--------+---------------------------------------------------------+
//   | list length (16)| entries, filling the list exactly                       |
//   +--------+--------+---------------------------------------------------------+
//   entry:  +--------+--------+--------+-------------------+
//           | type   | name length (16)| name              |   type 0 = host_name
//           +--------+--------+--------+-------------------+
//
// RFC 6066 allows one name per type; a second host_name is a confusion attack on whoever
// reads the first versus the last, so it is Malformed. Unknown types share the layout and are
// skipped.
bool parseServerName(std::string_view data, std::string& sni) {
  Reader ext(data);
  std::string_view list;
  if (!ext.vector16(list) || !ext.empty() || list.empty()) return false;
  Reader entries(list);
  bool seenHostName = false;
  while (!entries.empty()) {
    uint8_t type;
    std::string_view name;
    if (!entries.u8(type) || !entries.vector16(name)) return false;
    if (type != 0) continue;
    if (seenHostName || name.empty() || name.size() > kMaxHostName) return false;
    seenHostName = true;
    // Control bytes (NUL above all) in a name would truncate or forge log lines and policy
    // matches downstream; no real client sends them.
    sni.resize(name.size());
    for (size_t i = 0; i < name.size(); ++i) {
      const uint8_t c = byteAt(name, i);
      if (c < 0x20 || c == 0x7f) return false;
      sni[i] = static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
  }
  return true;
}

// application_layer_protocol_negotiation (RFC 7301 §3.1):
//
//   +--------+--------+------------------------------------------------+
//   | list length (16)| names: +--------+----------------+ ...         |
//   |                 |        | len≥1  | protocol name  |             |
//   +--------+--------+------------------------------------------------+
bool parseAlpn(std::string_view data, std::vector<std::string>& alpn) {
  Reader ext(data);
  std::string_view list;
  if (!ext.vector16(list) || !ext.empty() || list.empty()) return false;
  Reader names(list);
  while (!names.empty()) {
    std::string_view name;
    if (!names.vector8(name) || name.empty()) return false;
    alpn.emplace_back(name);
  }
  return true;
}

// supported_versions in a ClientHello (RFC 8446 §4.2.1):
//
//   +--------+-----------------------------------+
//   | len    | versions, 2 bytes each, len 2..254 |
//   +--------+-----------------------------------+
bool parseSupportedVersions(std::string_view data, bool& tls13) {
  Reader ext(data);
  std::string_view list;
  if (!ext.vector8(list) || !ext.empty() || list.size() < 2 || list.size() % 2 != 0) return false;
  Reader versions(list);
  uint16_t v;
  while (versions.u16(v)) tls13 = tls13 || v == kTls13;
  return true;
}

// extensions (RFC 8446 §4.2): a sequence filling the block exactly of
//
//   +--------+--------+--------+--------+------------------+
//   |  type (16)      | data length (16)| data             |
//   +--------+--------+--------+--------+------------------+
bool parseExtensions(std::string_view block, ClientHelloInfo& out) {
  // RFC 8446 §4.2: at most one extension of each type. A bit per possible type keeps the check
  // linear however many extensions a hostile hello packs in; zeroing the 8 KiB costs about
  // 100 ns, the same as scanning a short list for a real client's 10-20 extensions.
  std::bitset<65536> seen;
  Reader r(block);
  while (!r.empty()) {
    uint16_t type;
    std::string_view data;
    if (!r.u16(type) || !r.vector16(data)) return false;
    if (seen.test(type)) return false;
    seen.set(type);
    switch (type) {
      case kExtServerName:
        if (!parseServerName(data, out.sni)) return false;
        break;
      case kExtAlpn:
        if (!parseAlpn(data, out.alpn)) return false;
        break;
      case kExtSupportedVersions:
        if (!parseSupportedVersions(data, out.supportsTls13)) return false;
        break;
      case kExtEncryptedClientHello:
        // Presence only: a GREASE ECH (Chromium sends one on every hello) and a real one look
        // alike from here, so the caller cannot tell whether the outer SNI is the true name.
        out.hasEch = true;
        break;
      default:
        break;
    }
  }
  return true;
}

// ClientHello body (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2):
//
//   +--------+--------+-----------+--------+------------+--------+--------+--------------+
//   | legacy_version  | random    | sid len| session id | cipher suites   | ...          |
//   | 0x03xx          | 32 bytes  | 0..32  |            | len16, even, ≥2 |              |
//   +--------+--------+-----------+--------+------------+--------+--------+--------------+
//   ... +--------+---------------------+--------+--------+---------------------------+
//       | cm len | compression methods | ext block length | extensions (optional:   |
//       | ≥1     |                     | (16)             | absent in SSLv3 hellos) |
//       +--------+---------------------+--------+--------+---------------------------+
//
// The extensions block, when present, must end exactly where the body ends.
bool parseBody(std::string_view body, ClientHelloInfo& out) {
  Reader r(body);
  std::string_view sessionId, cipherSuites, compression, extensions;
  if (!r.u16(out.legacyVersion) || out.legacyVersion >> 8 != 3) return false;
  if (!r.skip(kRandomSize)) return false;
  if (!r.vector8(sessionId) || sessionId.size() > kMaxSessionId) return false;
  if (!r.vector16(cipherSuites) || cipherSuites.size() < 2 || cipherSuites.size() % 2 != 0)
    return false;
  if (!r.vector8(compression) || compression.empty()) return false;
  if (r.empty()) return true;
  if (!r.vector16(extensions) || !r.empty()) return false;
  return parseExtensions(extensions, out);
}

// Clears in place rather than assigning a fresh struct, so a caller that reuses `out` across
// connections keeps the string and vector capacity.
void reset(ClientHelloInfo& out) {
  out.recordVersion = 0;
  out.legacyVersion = 0;
  out.supportsTls13 = false;
  out.sni.clear();
  out.alpn.clear();
  out.hasEch = false;
  out.bytesUsed = 0;
}

// Parses a whole handshake message (header + body) whose framing has been vouched for.
ParseState parseMessage(std::string_view message, ClientHelloInfo& out, TlsError& err) {
  if (!parseBody(message.substr(kHandshakeHeaderSize), out)) {
    reset(out);
    return fail(err, TlsError::Malformed);
  }
  return ParseState::Done;
}

}  // namespace

ParseState parseClientHello(std::string_view input, const TlsLimits& limits, ClientHelloInfo& out,
                            TlsError& err) {
  reset(out);
  err = TlsError::None;

  Framing f;
  const ParseState framing = walkRecords(input, limits.maxBytes, f, err);
  if (framing != ParseState::Done) return framing;

  // The common case is one record: parse in place. Otherwise join the fragments once.
  std::string joined;
  std::string_view message;
  if (f.records == 1) {
    message = input.substr(kRecordHeaderSize, f.messageSize);
  } else {
    joinFragments(input, f, joined);
    message = joined;
  }
  if (parseMessage(message, out, err) != ParseState::Done) return ParseState::Error;
  out.recordVersion = f.firstVersion;
  out.bytesUsed = f.end;
  return ParseState::Done;
}

// The handshake header, checked in byte order like walkRecords so that a prefix never decides
// differently from the whole:
//
//   +--------+--------+--------+--------+-------------------------------------+
//   | msg=1  |   body length (24-bit BE)  | ClientHello body                    |
//   +--------+--------+--------+--------+-------------------------------------+
ParseState parseClientHelloMessage(std::string_view message, const TlsLimits& limits,
                                   ClientHelloInfo& out, TlsError& err) {
  reset(out);
  err = TlsError::None;
  if (message.empty()) return ParseState::NeedMore;
  if (byteAt(message, 0) != kHandshakeClientHello) return fail(err, TlsError::NotClientHello);
  if (message.size() < kHandshakeHeaderSize) return ParseState::NeedMore;
  const size_t size =
      kHandshakeHeaderSize + (static_cast<size_t>(byteAt(message, 1)) << 16 |
                              static_cast<size_t>(byteAt(message, 2)) << 8 | byteAt(message, 3));
  if (size > limits.maxBytes) return fail(err, TlsError::TooLarge);
  if (message.size() < size) return ParseState::NeedMore;
  if (parseMessage(message.substr(0, size), out, err) != ParseState::Done) return ParseState::Error;
  out.bytesUsed = size;
  return ParseState::Done;
}

}  // namespace tollgate::inspect
