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
#include <limits>

namespace tollgate::inspect {
namespace {

// Byte classes, so validation is one table lookup per byte.
enum : uint8_t {
  kTchar = 1 << 0,       // token (RFC 9110 §5.6.2): methods, field names, codings
  kFieldChar = 1 << 1,   // field-value and reason-phrase: VCHAR, obs-text, SP, HTAB
  kTargetChar = 1 << 2,  // request-target: visible bytes; obs-text is passed through as sent
  kHostChar = 1 << 3,    // Host and authorities: DNS names, IP literals, port. Deliberately no
                         // "@" (userinfo) and no sub-delims ("a.com,b.com"), which a filter and
                         // an origin could read differently.
};

constexpr bool among(const char* set, int c) {
  for (; *set != '\0'; ++set) {
    if (*set == c) return true;
  }
  return false;
}

struct CharTable {
  uint8_t bits[256] = {};
  constexpr CharTable() {
    for (int c = 0; c < 256; ++c) {
      bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      bool visible = (c >= 0x21 && c <= 0x7e) || c >= 0x80;
      if (alnum || among("!#$%&'*+-.^_`|~", c)) bits[c] |= kTchar;
      if (visible || c == ' ' || c == '\t') bits[c] |= kFieldChar;
      if (visible) bits[c] |= kTargetChar;
      if (alnum || among("-._~%:[]", c)) bits[c] |= kHostChar;
    }
  }
};
constexpr CharTable kChars;

inline bool is(char c, uint8_t cls) {
  return (kChars.bits[static_cast<unsigned char>(c)] & cls) != 0;
}

inline char toLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (toLower(a[i]) != toLower(b[i])) return false;
  }
  return true;
}

std::string_view trimOws(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// Walks a comma-separated list (RFC 9110 §5.6.1), OWS trimmed. Empty elements are returned, not
// skipped: the framing fields treat them as malformed, the others ignore them.
class ListReader {
 public:
  explicit ListReader(std::string_view list) : rest_(list) {}
  bool next(std::string_view& element) {
    if (done_) return false;
    size_t comma = rest_.find(',');
    if (comma == std::string_view::npos) {
      element = trimOws(rest_);
      done_ = true;
    } else {
      element = trimOws(rest_.substr(0, comma));
      rest_.remove_prefix(comma + 1);
    }
    return true;
  }

 private:
  std::string_view rest_;
  bool done_ = false;
};

// Content-Length is capped at INT64_MAX, not UINT64_MAX: an origin that parses it into a signed
// integer must not see a negative length where the proxy sees a huge one.
constexpr uint64_t kMaxBodyLength = std::numeric_limits<int64_t>::max();

bool parseDecimal(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    auto digit = static_cast<uint64_t>(c - '0');
    if (v > (kMaxBodyLength - digit) / 10) return false;
    v = v * 10 + digit;
  }
  out = v;
  return true;
}

// "h:80" → "h", "[::1]:80" → "[::1]": what must agree between Host and an absolute-form target.
std::string_view hostPart(std::string_view authority) {
  size_t end;
  if (!authority.empty() && authority.front() == '[') {
    end = authority.find(']');
    end = end == std::string_view::npos ? authority.size() : end + 1;
  } else {
    end = authority.find(':');
  }
  return authority.substr(0, end);
}

// authority = host [ ":" *DIGIT ], host a name, an IPv4 address or "[" IPv6 "]" (RFC 3986 §3.2).
bool validAuthority(std::string_view s) {
  std::string_view host = hostPart(s);
  if (host.empty()) return false;
  bool literal = host.front() == '[';
  if (literal && (host.size() < 3 || host.back() != ']')) return false;
  for (size_t i = literal ? 1 : 0; i < host.size() - (literal ? 1 : 0); ++i) {
    char c = host[i];
    if (!is(c, kHostChar) || c == '[' || c == ']' || (c == ':' && !literal)) return false;
  }
  std::string_view port = s.substr(host.size());
  if (port.empty()) return true;
  if (port.front() != ':') return false;
  for (char c : port.substr(1)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Hands out the lines of a head one at a time. Only the first maxHead bytes are ever scanned, so
// a peer cannot make one parse cost more than that however much it has sent.
class LineScanner {
 public:
  LineScanner(std::string_view input, size_t maxHead, bool crlfOnly)
      : window_(input.substr(0, maxHead)), tooLarge_(input.size() > maxHead), crlfOnly_(crlfOnly) {}

  // Done: `line` is the next line without its terminator. NeedMore: it has not ended yet.
  ParseState next(std::string_view& line, HttpError& err) {
    bool complete = false;
    line = takeLine(complete);
    if (!complete) return unfinished(err);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    } else if (crlfOnly_) {
      // A lone LF ends the line for some servers and not for others (RFC 9112 §2.2).
      err = HttpError::BareLf;
      return ParseState::Error;
    }
    if (std::memchr(line.data(), '\r', line.size()) != nullptr) {
      err = HttpError::BareCr;
      return ParseState::Error;
    }
    return ParseState::Done;
  }

  // The next line as far as it has arrived: up to its LF (excluded; `complete`) or to the end
  // of the window. Moves past the LF when there is one.
  std::string_view takeLine(bool& complete) {
    size_t left = window_.size() - pos_;
    const char* begin = window_.data() + pos_;
    const void* lf = left > 0 ? std::memchr(begin, '\n', left) : nullptr;
    complete = lf != nullptr;
    size_t length = complete ? static_cast<size_t>(static_cast<const char*>(lf) - begin) : left;
    if (complete) pos_ += length + 1;
    return {begin, length};
  }

  // What a line that has not ended means: wait, or give up past maxHead.
  ParseState unfinished(HttpError& err) const {
    if (!tooLarge_) return ParseState::NeedMore;
    err = HttpError::HeadTooLarge;
    return ParseState::Error;
  }

  size_t offset() const { return pos_; }

 private:
  std::string_view window_;
  bool tooLarge_;
  bool crlfOnly_;
  size_t pos_ = 0;
};

// Pass 1 over the field lines: checks line shapes and counts fields, so pass 2 can reserve the
// vector once. On Done, `headLength` is the offset just past the empty line.
ParseState scanFields(LineScanner& lines, size_t maxHeaders, size_t& count, size_t& headLength,
                      HttpError& err) {
  count = 0;
  std::string_view line;
  for (;;) {
    ParseState st = lines.next(line, err);
    if (st != ParseState::Done) return st;
    if (line.empty()) break;
    // obs-fold (RFC 9112 §5.2), or whitespace before the first field (§2.2): both are read as a
    // continuation by some and as a new field by others.
    if (line.front() == ' ' || line.front() == '\t') {
      err = HttpError::ObsFold;
      return ParseState::Error;
    }
    if (++count > maxHeaders) {
      err = HttpError::TooManyHeaders;
      return ParseState::Error;
    }
  }
  headLength = lines.offset();
  return ParseState::Done;
}

// Skips 8 bytes at a time while all are printable ASCII (0x20..0x7e), the bulk of field values;
// the byte loop after it sees the rest (HTAB, obs-text, the line end).
size_t skipPrintable(std::string_view s, size_t i) {
  constexpr uint64_t kOnes = 0x0101010101010101u;
  constexpr uint64_t kHighs = 0x8080808080808080u;
  while (i + 8 <= s.size()) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    uint64_t del = w ^ (kOnes * 0x7f);  // a zero byte where w has DEL
    // A high bit set in any byte: one below 0x20, a DEL, or one from 0x80 up.
    uint64_t suspect = ((w - kOnes * 0x20) & ~w) | ((del - kOnes) & ~del) | w;
    if ((suspect & kHighs) != 0) break;
    i += 8;
  }
  return i;
}

// The field line at head[pos]; moves pos past it. Pass 1 has checked that every line ends in LF
// with no CR other than just before it, and the head ends in LF, so the validating scans stop at
// the line end by themselves: no second memchr, no bounds check per byte.
bool parseField(std::string_view head, size_t& pos, HeaderField& field) {
  size_t i = pos;
  while (is(head[i], kTchar)) ++i;
  // "Name :" is rejected, not trimmed (RFC 9112 §5.1): some servers keep the space in the name.
  if (i == pos || head[i] != ':') return false;
  size_t valueBegin = ++i;
  i = skipPrintable(head, i);
  while (is(head[i], kFieldChar)) ++i;
  size_t valueEnd = i;
  if (head[i] == '\r') ++i;
  if (head[i] != '\n') return false;
  field.name = head.substr(pos, valueBegin - 1 - pos);
  field.value = trimOws(head.substr(valueBegin, valueEnd - valueBegin));
  pos = i + 1;
  return true;
}

// What the framing and connection decisions need, gathered while the fields are parsed. Nothing
// is rejected here: the decisions run afterwards in a fixed order.
struct FieldFacts {
  int contentLengthFields = 0;
  bool contentLengthSeen = false;      // at least one valid value
  bool contentLengthBad = false;       // some value is not 1*DIGIT, or too large
  bool contentLengthConflict = false;  // valid values differ
  uint64_t contentLength = 0;
  int transferEncodingFields = 0;
  int codings = 0;  // transfer codings over all Transfer-Encoding fields
  bool lastCodingChunked = false;
  bool codingsMalformed = false;  // an empty element or a quoted string
  int hostFields = 0;
  std::string_view host;
  bool connectionClose = false;
  bool connectionKeepAlive = false;
  bool connectionUpgrade = false;
  bool upgradeField = false;
  bool expectContinue = false;
};

void noteContentLength(std::string_view value, FieldFacts& facts) {
  ++facts.contentLengthFields;
  // "5, 5" and repeated identical fields are accepted (RFC 9110 §8.6 allows either): every
  // reading of them gives the same length, so no peer can be framed differently.
  ListReader list(value);
  std::string_view element;
  while (list.next(element)) {
    uint64_t n = 0;
    if (!parseDecimal(element, n)) {
      facts.contentLengthBad = true;
    } else if (facts.contentLengthSeen && n != facts.contentLength) {
      facts.contentLengthConflict = true;
    } else {
      facts.contentLength = n;
      facts.contentLengthSeen = true;
    }
  }
}

void noteTransferEncoding(std::string_view value, FieldFacts& facts) {
  ++facts.transferEncodingFields;
  // A quoted parameter may hide a comma; rather than parse quoted-string, such a list is never
  // taken as chunked.
  if (value.find('"') != std::string_view::npos) facts.codingsMalformed = true;
  ListReader list(value);
  std::string_view element;
  while (list.next(element)) {
    if (element.empty()) {
      facts.codingsMalformed = true;
      continue;
    }
    ++facts.codings;
    facts.lastCodingChunked = equalsIgnoreCase(element, "chunked");
  }
}

void noteConnection(std::string_view value, FieldFacts& facts) {
  ListReader list(value);
  std::string_view token;
  while (list.next(token)) {
    facts.connectionClose |= equalsIgnoreCase(token, "close");
    facts.connectionKeepAlive |= equalsIgnoreCase(token, "keep-alive");
    facts.connectionUpgrade |= equalsIgnoreCase(token, "upgrade");
  }
}

void noteField(const HeaderField& field, FieldFacts& facts) {
  // Dispatch on length first: almost every field is none of these.
  switch (field.name.size()) {
    case 4:
      if (equalsIgnoreCase(field.name, "host")) {
        ++facts.hostFields;
        facts.host = field.value;
      }
      break;
    case 6:
      if (equalsIgnoreCase(field.name, "expect")) {
        ListReader list(field.value);
        std::string_view e;
        while (list.next(e)) facts.expectContinue |= equalsIgnoreCase(e, "100-continue");
      }
      break;
    case 7:
      facts.upgradeField |= equalsIgnoreCase(field.name, "upgrade") && !field.value.empty();
      break;
    case 10:
      if (equalsIgnoreCase(field.name, "connection")) noteConnection(field.value, facts);
      break;
    case 14:
      if (equalsIgnoreCase(field.name, "content-length")) noteContentLength(field.value, facts);
      break;
    case 17:
      if (equalsIgnoreCase(field.name, "transfer-encoding")) {
        noteTransferEncoding(field.value, facts);
      }
      break;
    default:
      break;
  }
}

// The field lines after the start line: pass 1 (scanFields), then pass 2 once the head is in.
template <typename Head>
ParseState readFields(LineScanner& lines, std::string_view input, const HttpLimits& limits,
                      Head& out, FieldFacts& facts, HttpError& err) {
  size_t pos = lines.offset();
  size_t count = 0;
  ParseState st = scanFields(lines, limits.maxHeaders, count, out.headLength, err);
  if (st != ParseState::Done) return st;
  std::string_view head = input.substr(0, out.headLength);
  out.headers.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    HeaderField field;
    if (!parseField(head, pos, field)) {
      err = HttpError::BadHeader;
      return ParseState::Error;
    }
    out.headers.push_back(field);
    noteField(field, facts);
  }
  return ParseState::Done;
}

// RFC 9112 §6.3 rule 5, both directions: an invalid Content-Length is an error, never a length
// to guess or "read until close".
bool takeContentLength(const FieldFacts& facts, BodyFraming& framing, uint64_t& length,
                       HttpError& err) {
  if (facts.contentLengthBad) {
    err = HttpError::BadContentLength;
    return false;
  }
  if (facts.contentLengthConflict) {
    err = HttpError::ConflictingContentLength;
    return false;
  }
  framing = BodyFraming::ContentLength;
  length = facts.contentLength;
  return true;
}

bool keepAliveFor(int versionMinor, const FieldFacts& facts) {
  if (facts.connectionClose) return false;
  return versionMinor == 1 || facts.connectionKeepAlive;
}

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
