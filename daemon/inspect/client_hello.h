#pragma once
// TLS ClientHello (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2) read from the first bytes a client sends,
// without decrypting anything. The handshake message may be split across TLS records and the
// records across TCP segments; the parser reassembles up to maxBytes and then gives up.
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
  Malformed,         // a length runs past its container, bad SNI list, etc.
};
const char* toString(TlsError e);

struct ClientHelloInfo {
  uint16_t recordVersion = 0;     // record layer version of the first record
  uint16_t legacyVersion = 0;     // client_version field
  bool supportsTls13 = false;     // supported_versions lists 0x0304
  std::string sni;                // host_name from server_name, lower-cased; empty when absent
  std::vector<std::string> alpn;  // protocol names in client order
  bool hasEch = false;            // encrypted_client_hello (0xfe0d) extension present
  size_t bytesUsed = 0;           // bytes of input covering the whole ClientHello record(s)
};

struct TlsLimits {
  size_t maxBytes = 16 * 1024;    // cap on reassembled ClientHello bytes (records included)
};

// Parses the ClientHello at the start of `input` (raw bytes from the TCP stream).
ParseState parseClientHello(std::string_view input, const TlsLimits& limits, ClientHelloInfo& out,
                            TlsError& err);

}  // namespace tollgate::inspect
