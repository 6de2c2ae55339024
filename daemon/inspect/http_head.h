#pragma once
// HTTP/1.x message heads (RFC 9112), parsed in place from a byte buffer.
// Pure: no I/O, no allocation beyond the header vector, bounded by maxHead.
// Every view points into the caller's buffer and is valid only while that buffer is unchanged.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "daemon/inspect/parse_state.h"

namespace tollgate::inspect {

enum class HttpError {
  None,
  HeadTooLarge,          // no end of head within maxHead bytes
  BadRequestLine,        // method/target/version malformed
  BadStatusLine,
  BadVersion,            // not HTTP/1.0 or HTTP/1.1
  BadHeader,             // empty/invalid field name, space before colon, control chars
  ObsFold,               // line folding (RFC 9112 §5.2): rejected, a smuggling shape
  BareCr,                // CR not followed by LF anywhere in the head
  BareLf,                // LF without CR ends a line: rejected in requests (smuggling shape)
  ContentLengthAndTransferEncoding,
  ConflictingContentLength,
  BadContentLength,      // not digits / overflow
  BadTransferEncoding,   // TE present but chunked is not the final coding, or unknown coding
  MissingHost,           // HTTP/1.1 request without Host, or with several Host fields
  TooManyHeaders,
  BadHost,               // Host not host[:port], or another host than the target's authority
};
const char* toString(HttpError e);

enum class BodyFraming {
  None,           // no body (request without CL/TE; response to HEAD; 1xx/204/304; tunnels)
  ContentLength,  // exactly contentLength bytes
  Chunked,        // chunked transfer coding, see ChunkedDecoder
  UntilClose,     // response only: body ends when the server closes
};

struct HeaderField {
  std::string_view name;
  std::string_view value;  // leading/trailing whitespace trimmed
};

struct RequestHead {
  std::string_view method;
  std::string_view target;     // as sent: origin-form "/x?y" or absolute-form "http://h/x"
  std::string_view host;       // Host field value, or the target's authority (absolute-form,
                               // CONNECT); empty only for an HTTP/1.0 request without Host
  int versionMinor = 1;        // HTTP/1.<versionMinor>
  size_t headLength = 0;       // bytes up to and including the CRLF CRLF that ends the head
  BodyFraming framing = BodyFraming::None;
  uint64_t contentLength = 0;
  bool keepAlive = true;       // after this exchange, per version and Connection
  bool expectContinue = false; // Expect: 100-continue
  bool upgrade = false;        // Connection: upgrade and an Upgrade field
  std::vector<HeaderField> headers;
};

struct ResponseHead {
  int status = 0;
  std::string_view reason;
  int versionMinor = 1;
  size_t headLength = 0;
  BodyFraming framing = BodyFraming::None;
  uint64_t contentLength = 0;
  bool keepAlive = true;
  std::vector<HeaderField> headers;
};

struct HttpLimits {
  size_t maxHead = 64 * 1024;
  size_t maxHeaders = 128;
};

// Parses one request head at the start of `input`. Done fills `out` (headLength says where the
// body starts); NeedMore means no complete head yet and nothing wrong so far; Error sets `err`.
// On NeedMore and Error `out` is partly filled and meaningless. The answer for a prefix of the
// input never contradicts the answer for the whole: re-parsing after each read is safe.
// A Content-Length repeated with one value ("5, 5", or two fields) is accepted as that value.
ParseState parseRequestHead(std::string_view input, const HttpLimits& limits, RequestHead& out,
                            HttpError& err);

// Parses one response head. `requestMethod` and the status decide the framing
// (HEAD, 1xx, 204, 304 and a 2xx to CONNECT carry no body; no CL/TE on a response means
// UntilClose). Unlike requests, a bare LF ends a line, and Transfer-Encoding wins over
// Content-Length (with keepAlive false).
ParseState parseResponseHead(std::string_view input, std::string_view requestMethod,
                             const HttpLimits& limits, ResponseHead& out, HttpError& err);

// Case-insensitive lookup of the first field named `name`; empty view when absent.
std::string_view findHeader(const std::vector<HeaderField>& headers, std::string_view name);

}  // namespace tollgate::inspect
