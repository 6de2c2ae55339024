// The field lines of an HTTP/1.x head (RFC 9112 §5): pass 1 finds line ends with memchr and
// rejects line-level smuggling shapes; pass 2 validates every field and gathers the facts the
// framing decisions need. See http_head.cc for the start line and the decisions.
#include "daemon/inspect/http_fields.h"

#include <limits>

namespace tollgate::inspect::detail {
namespace {

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

template <typename Head>
ParseState readFieldsOf(LineScanner& lines, std::string_view input, const HttpLimits& limits,
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

}  // namespace

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

ParseState readFields(LineScanner& lines, std::string_view input, const HttpLimits& limits,
                      RequestHead& out, FieldFacts& facts, HttpError& err) {
  return readFieldsOf(lines, input, limits, out, facts, err);
}

ParseState readFields(LineScanner& lines, std::string_view input, const HttpLimits& limits,
                      ResponseHead& out, FieldFacts& facts, HttpError& err) {
  return readFieldsOf(lines, input, limits, out, facts, err);
}

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

}  // namespace tollgate::inspect::detail
