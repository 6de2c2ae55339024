#pragma once
// TLS ClientHello (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2) read from the first bytes a client sends,
// without decrypting anything. The handshake message may be split across TLS records and the
// records across TCP segments; the parser reassembles up to maxBytes and then gives up.
// QUIC (quic_initial.h) hands over the bare handshake message instead: parseClientHelloMessage.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/inspect/parse_state.h"

namespace tollgate::inspect {

enum class TlsError {
  None,
  NotTls,            // first bytes are not a TLS handshake record (e.g. plain HTTP, SSH)
  NotClientHello,    // a handshake record, but not a ClientHello
  TooLarge,          // ClientHello larger than maxBytes
  Malformed,         // a length runs past its container, bad SNI list, duplicate extension,
                     // a non-handshake record before the hello ends, etc.
};
const char* toString(TlsError e);

struct ClientHelloInfo {
  uint16_t recordVersion = 0;     // record layer version of the first record
  uint16_t legacyVersion = 0;     // client_version field
  bool supportsTls13 = false;     // supported_versions lists 0x0304
  std::string sni;                // host_name from server_name, ASCII lower-cased; empty when
                                  // absent. 1..255 bytes, never a control byte.
  std::vector<std::string> alpn;  // protocol names in client order
  bool hasEch = false;            // encrypted_client_hello (0xfe0d) extension present; also
                                  // true for GREASE ECH, which Chromium sends by default
  size_t bytesUsed = 0;           // bytes of input covering the whole ClientHello record(s)
};

struct TlsLimits {
  // Cap on the input bytes the ClientHello's records may cover, record headers included.
  // TooLarge as soon as the handshake header or a record header makes exceeding it certain.
  size_t maxBytes = 16 * 1024;
};

// Parses the ClientHello at the start of `input` (raw bytes from the TCP stream, from its first
// byte). Stateless: call again with the longer buffer when more bytes arrive.
//   Done      `out` is filled; out.bytesUsed is where the last ClientHello record ends (the
//             bytes after it belong to the next record). err = None.
//   NeedMore  nothing wrong so far; err = None. Record framing is judged byte by byte, so
//             non-TLS input (HTTP, SSH, SSLv2 framing) fails on the first of its first three
//             bytes that is not 0x16, 0x03, 0x00..0x04; the body is judged once it is whole.
//   Error     err says why.
// A verdict never changes as bytes are appended: a prefix gives NeedMore or the same result
// as the whole input. `out` is reset on every call and meaningful only after Done.
// Allocates only for out.sni / out.alpn, plus one buffer when the hello spans several records.
ParseState parseClientHello(std::string_view input, const TlsLimits& limits, ClientHelloInfo& out,
                            TlsError& err);

// Parses a ClientHello handshake message that is not wrapped in TLS records: the 4-byte
// handshake header (type 1, 24-bit body length) then the body, as QUIC carries it in CRYPTO
// frames (RFC 9001 §4). Same body checks and fields as parseClientHello, except:
//   Done      out.bytesUsed is the message size (header + body); bytes after it are not read.
//             out.recordVersion is 0: there is no record layer.
//   NeedMore  the input is shorter than its header says, and nothing is wrong so far.
//   Error     NotClientHello (first byte is not 1), TooLarge (the header announces more than
//             limits.maxBytes), Malformed (the body). Never NotTls.
// A prefix gives NeedMore or the same verdict as the whole. Allocates only for sni / alpn.
ParseState parseClientHelloMessage(std::string_view message, const TlsLimits& limits,
                                   ClientHelloInfo& out, TlsError& err);

}  // namespace tollgate::inspect
