// HTTP/1.x message heads (RFC 9112). The part of the wire format the proxy reads:
//
//   HTTP-message = start-line CRLF *( field-line CRLF ) CRLF [ message-body ]
//   request-line = method SP request-target SP HTTP-version       ; exactly one SP each
//   status-line  = HTTP-version SP status-code [ SP reason-phrase ]
//   field-line   = field-name ":" OWS field-value OWS             ; no space before ":"
//   HTTP-version = "HTTP/1.0" / "HTTP/1.1"
//
// The proxy forwards the bytes unchanged, so wherever two implementations could disagree about
// where a message ends or whom it is for (request smuggling, RFC 9112 §11.2), this parser
// rejects instead of repairing.
//
// A caller re-parses the growing buffer after every read, so "not complete yet" must be cheap and
// must never contradict the final answer. The start line is checked byte by byte as it arrives
// (a peer not speaking HTTP is refused at once). The field lines then take two passes: pass 1
// (LineScanner) finds line ends with memchr and rejects the line-level shapes (bare CR, bare LF,
// obs-fold, too many fields) without touching each byte; pass 2 runs once the empty line is in,
// validates every field and derives framing and connection state. All checks run in a fixed order
// over a growing prefix: a prefix that fails fails the same way when more bytes arrive, and a
// prefix that is Done stays Done, identically.
#include "daemon/inspect/http_head.h"

#include <cstring>

#include "daemon/inspect/http_fields.h"

namespace tollgate::inspect {
namespace {
using namespace detail;

// The start line is checked byte by byte as far as it has arrived, and the first byte that
// cannot belong to it decides the error. So a prefix never gets another answer than the whole,
// and a peer not speaking HTTP at all (TLS on port 80, SSH) is refused at its first bytes instead
// of after maxHead.
struct StartLine {
  std::string_view content;  // the line so far, without its LF and without a CR just before it
  bool complete = false;     // the LF has arrived
  bool crlf = false;         // ... right after a CR
};

StartLine startLine(std::string_view text, bool complete) {
  StartLine line{text, complete, false};
  if (!text.empty() && text.back() == '\r') {
    line.content.remove_suffix(1);
    line.crlf = complete;
  }
  return line;
}

// A byte the grammar does not allow here. A CR inside the content is never followed by LF (the
// line would have ended there), so it is a bare CR whatever was expected.
ParseState badByte(char c, HttpError shapeError, HttpError& err) {
  err = c == '\r' ? HttpError::BareCr : shapeError;
  return ParseState::Error;
}

// The content ran out where the grammar needs more: wait, unless the line has ended.
ParseState endsEarly(const StartLine& line, HttpError shapeError, bool crlfOnly, HttpError& err) {
  if (!line.complete) return ParseState::NeedMore;
  err = crlfOnly && !line.crlf ? HttpError::BareLf : shapeError;
  return ParseState::Error;
}

// HTTP-version at s[i], advancing i past it. Once both digits are in, no later byte could make
// another version acceptable, hence BadVersion right there.
ParseState checkVersion(std::string_view s, size_t& i, int& minor, HttpError shapeError,
                        HttpError& err) {
  constexpr std::string_view kPattern = "HTTP/d.d";
  for (char expected : kPattern) {
    if (i == s.size()) return ParseState::NeedMore;
    char c = s[i];
    if (expected == 'd' ? c < '0' || c > '9' : c != expected) return badByte(c, shapeError, err);
    ++i;
  }
  if (s[i - 3] != '1' || s[i - 1] > '1') {
    err = HttpError::BadVersion;
    return ParseState::Error;
  }
  minor = s[i - 1] - '0';
  return ParseState::Done;
}

// request-target forms (RFC 9112 §3.2): origin "/p?q"; absolute "scheme://authority/p"; authority
// "h:443" for CONNECT only; "*" for OPTIONS only. Sets `authority` when the target names one.
bool checkTarget(std::string_view method, std::string_view target, std::string_view& authority) {
  if (method == "CONNECT") {
    authority = target;
    return validAuthority(target);
  }
  if (target.front() == '/') return true;
  if (target == "*") return method == "OPTIONS";
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(target[0])) return false;
  size_t i = 1;
  while (i < target.size() && (alpha(target[i]) || (target[i] >= '0' && target[i] <= '9') ||
                               target[i] == '+' || target[i] == '-' || target[i] == '.')) {
    ++i;
  }
  if (target.substr(i, 3) != "://") return false;
  size_t begin = i + 3;
  size_t end = target.find_first_of("/?#", begin);
  authority = target.substr(begin, end == std::string_view::npos ? end : end - begin);
  // "http://allowed@blocked/" fails here: userinfo is an error (RFC 9110 §4.2.4).
  return validAuthority(authority);
}

// request-line = method SP request-target SP HTTP-version, one SP each side of the target:
// "GET  /" or a tab would be split differently by the next server.
ParseState checkRequestLine(const StartLine& line, RequestHead& out, std::string_view& authority,
                            HttpError& err) {
  constexpr HttpError kShape = HttpError::BadRequestLine;
  std::string_view s = line.content;
  size_t i = 0;
  while (i < s.size() && is(s[i], kTchar)) ++i;
  if (i == s.size()) return endsEarly(line, kShape, true, err);
  if (i == 0 || s[i] != ' ') return badByte(s[i], kShape, err);
  size_t targetBegin = ++i;
  while (i < s.size() && is(s[i], kTargetChar)) ++i;
  if (i == s.size()) return endsEarly(line, kShape, true, err);
  if (i == targetBegin || s[i] != ' ') return badByte(s[i], kShape, err);
  out.method = s.substr(0, targetBegin - 1);
  out.target = s.substr(targetBegin, i - targetBegin);
  ++i;
  ParseState st = checkVersion(s, i, out.versionMinor, kShape, err);
  if (st == ParseState::NeedMore) return endsEarly(line, kShape, true, err);
  if (st == ParseState::Error) return st;
  if (i < s.size()) return badByte(s[i], kShape, err);
  if (!line.complete) return ParseState::NeedMore;
  if (!line.crlf) {
    err = HttpError::BareLf;
    return ParseState::Error;
  }
  if (!checkTarget(out.method, out.target, authority)) {
    err = kShape;
    return ParseState::Error;
  }
  return ParseState::Done;
}

bool decideRequestFraming(const FieldFacts& facts, RequestHead& out, HttpError& err) {
  if (facts.transferEncodingFields > 0) {
    if (facts.contentLengthFields > 0) {
      err = HttpError::ContentLengthAndTransferEncoding;
      return false;
    }
    // Only one lone "chunked": a server that does not know another coding, or applies chunked
    // twice, would end the body elsewhere. HTTP/1.0 has no transfer codings (RFC 9112 §6.1).
    if (out.versionMinor == 0 || facts.codings != 1 || !facts.lastCodingChunked ||
        facts.codingsMalformed) {
      err = HttpError::BadTransferEncoding;
      return false;
    }
    out.framing = BodyFraming::Chunked;
  } else if (facts.contentLengthFields > 0) {
    return takeContentLength(facts, out.framing, out.contentLength, err);
  }
  return true;
}

bool decideRequestHost(const FieldFacts& facts, std::string_view authority, RequestHead& out,
                       HttpError& err) {
  // RFC 9112 §3.2: HTTP/1.1 needs exactly one Host; several would let the filter and the origin
  // pick different ones.
  if (facts.hostFields > 1 || (facts.hostFields == 0 && out.versionMinor == 1)) {
    err = HttpError::MissingHost;
    return false;
  }
  if (facts.hostFields == 1 && !validAuthority(facts.host)) {
    err = HttpError::BadHost;
    return false;
  }
  if (authority.empty()) {
    out.host = facts.host;
    return true;
  }
  // The target's authority wins (RFC 9112 §3.2.2), but an origin that routes by Host would serve
  // another site than the one the filter judged, so the two must name the same host.
  if (facts.hostFields == 1 && !equalsIgnoreCase(hostPart(facts.host), hostPart(authority))) {
    err = HttpError::BadHost;
    return false;
  }
  out.host = authority;
  return true;
}

// status-line = HTTP-version SP status-code [ SP reason-phrase ]. A missing " reason" is
// tolerated: servers send "HTTP/1.1 200" and it frames nothing.
ParseState checkStatusLine(const StartLine& line, ResponseHead& out, HttpError& err) {
  constexpr HttpError kShape = HttpError::BadStatusLine;
  std::string_view s = line.content;
  size_t i = 0;
  ParseState st = checkVersion(s, i, out.versionMinor, kShape, err);
  if (st == ParseState::NeedMore) return endsEarly(line, kShape, false, err);
  if (st == ParseState::Error) return st;
  // SP and three digits, 100..599 (RFC 9110 §15).
  for (int k = 0; k < 4; ++k, ++i) {
    if (i == s.size()) return endsEarly(line, kShape, false, err);
    char c = s[i];
    bool ok = k == 0 ? c == ' ' : k == 1 ? c >= '1' && c <= '5' : c >= '0' && c <= '9';
    if (!ok) return badByte(c, kShape, err);
  }
  out.status = (s[i - 3] - '0') * 100 + (s[i - 2] - '0') * 10 + (s[i - 1] - '0');
  if (i < s.size()) {
    if (s[i] != ' ') return badByte(s[i], kShape, err);
    for (size_t r = i + 1; r < s.size(); ++r) {
      if (!is(s[r], kFieldChar)) return badByte(s[r], kShape, err);
    }
    out.reason = s.substr(i + 1);
  }
  return line.complete ? ParseState::Done : ParseState::NeedMore;
}

bool decideResponseFraming(const FieldFacts& facts, std::string_view requestMethod,
                           ResponseHead& out, HttpError& err) {
  bool te = facts.transferEncodingFields > 0;
  // A server sending both is confused or being used to smuggle; what follows on this connection
  // cannot be trusted (RFC 9112 §6.3).
  if (te && facts.contentLengthFields > 0) out.keepAlive = false;
  int s = out.status;
  // RFC 9112 §6.3 rules 1 and 2: no body whatever the fields say; a 2xx to CONNECT (and a 101)
  // turns the connection into a tunnel.
  if (requestMethod == "HEAD" || s < 200 || s == 204 || s == 304 ||
      (requestMethod == "CONNECT" && s < 300)) {
    out.framing = BodyFraming::None;
    return true;
  }
  if (te) {
    // Rule 4: chunked must be the final coding, else the body runs to close. HTTP/1.0 has no
    // transfer codings, so its framing is faulty and only the close is safe (§6.1).
    bool chunked = out.versionMinor == 1 && facts.lastCodingChunked && !facts.codingsMalformed;
    out.framing = chunked ? BodyFraming::Chunked : BodyFraming::UntilClose;
  } else if (facts.contentLengthFields > 0) {
    if (!takeContentLength(facts, out.framing, out.contentLength, err)) return false;
  } else {
    out.framing = BodyFraming::UntilClose;
  }
  if (out.framing == BodyFraming::UntilClose) out.keepAlive = false;
  return true;
}

// Resets `out` but keeps the header vector's capacity, for callers that reuse one head.
template <typename Head>
void resetHead(Head& out) {
  std::vector<HeaderField> headers = std::move(out.headers);
  headers.clear();
  out = Head{};
  out.headers = std::move(headers);
}

}  // namespace

ParseState parseRequestHead(std::string_view input, const HttpLimits& limits, RequestHead& out,
                            HttpError& err) {
  err = HttpError::None;
  resetHead(out);
  LineScanner lines(input, limits.maxHead, /*crlfOnly=*/true);
  std::string_view authority;
  for (;;) {
    bool complete = false;
    std::string_view text = lines.takeLine(complete);
    // RFC 9112 §2.2: empty lines before the request-line (left over from a previous body) are
    // skipped; they count in headLength so the caller drops them with the head.
    if (complete && text == "\r") continue;
    ParseState st = checkRequestLine(startLine(text, complete), out, authority, err);
    if (st == ParseState::Done) break;
    return st == ParseState::Error ? st : lines.unfinished(err);
  }

  FieldFacts facts;
  ParseState st = readFields(lines, input, limits, out, facts, err);
  if (st != ParseState::Done) return st;
  if (!decideRequestFraming(facts, out, err) || !decideRequestHost(facts, authority, out, err)) {
    return ParseState::Error;
  }
  out.keepAlive = keepAliveFor(out.versionMinor, facts);
  // RFC 9110 §10.1.1 and §7.8: HTTP/1.0 requests' Expect and Upgrade are ignored.
  out.expectContinue = out.versionMinor == 1 && facts.expectContinue;
  out.upgrade = out.versionMinor == 1 && facts.connectionUpgrade && facts.upgradeField;
  return ParseState::Done;
}

ParseState parseResponseHead(std::string_view input, std::string_view requestMethod,
                             const HttpLimits& limits, ResponseHead& out, HttpError& err) {
  err = HttpError::None;
  resetHead(out);
  // A lone LF is tolerated from servers (RFC 9112 §2.2): the proxy reads the response to its
  // end and closes on doubt, so there is nothing to smuggle towards a shared server.
  LineScanner lines(input, limits.maxHead, /*crlfOnly=*/false);
  bool complete = false;
  std::string_view text = lines.takeLine(complete);
  ParseState st = checkStatusLine(startLine(text, complete), out, err);
  if (st != ParseState::Done) return st == ParseState::Error ? st : lines.unfinished(err);

  FieldFacts facts;
  st = readFields(lines, input, limits, out, facts, err);
  if (st != ParseState::Done) return st;
  out.keepAlive = keepAliveFor(out.versionMinor, facts);
  if (!decideResponseFraming(facts, requestMethod, out, err)) return ParseState::Error;
  return ParseState::Done;
}

std::string_view findHeader(const std::vector<HeaderField>& headers, std::string_view name) {
  for (const HeaderField& field : headers) {
    if (equalsIgnoreCase(field.name, name)) return field.value;
  }
  return {};
}

const char* toString(HttpError e) {
  switch (e) {
    case HttpError::None:
      return "none";
    case HttpError::HeadTooLarge:
      return "head too large";
    case HttpError::BadRequestLine:
      return "bad request line";
    case HttpError::BadStatusLine:
      return "bad status line";
    case HttpError::BadVersion:
      return "unsupported HTTP version";
    case HttpError::BadHeader:
      return "bad header field";
    case HttpError::ObsFold:
      return "obsolete line folding";
    case HttpError::BareCr:
      return "bare CR";
    case HttpError::BareLf:
      return "bare LF";
    case HttpError::ContentLengthAndTransferEncoding:
      return "Content-Length with Transfer-Encoding";
    case HttpError::ConflictingContentLength:
      return "conflicting Content-Length";
    case HttpError::BadContentLength:
      return "bad Content-Length";
    case HttpError::BadTransferEncoding:
      return "bad Transfer-Encoding";
    case HttpError::MissingHost:
      return "missing or repeated Host";
    case HttpError::TooManyHeaders:
      return "too many header fields";
    case HttpError::BadHost:
      return "bad Host";
  }
  return "unknown";
}

}  // namespace tollgate::inspect
