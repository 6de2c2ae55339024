#pragma once
// The lexical layer of the HTTP/1.x head parser (internal to daemon/inspect): byte classes, the
// line scanner, the field-line pass and the facts gathered from the fields that framing and
// connection decisions need. http_head.cc builds the start-line checks and decisions on top.
#include <cstdint>
#include <cstring>
#include <string_view>

#include "daemon/inspect/http_head.h"

namespace tollgate::inspect::detail {

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

inline bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (toLower(a[i]) != toLower(b[i])) return false;
  }
  return true;
}

// "h:80" → "h", "[::1]:80" → "[::1]": what must agree between Host and an absolute-form target.
std::string_view hostPart(std::string_view authority);
// authority = host [ ":" *DIGIT ], host a name, an IPv4 address or "[" IPv6 "]" (RFC 3986 §3.2).
bool validAuthority(std::string_view s);

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

// The field lines after the start line: pass 1 checks line shapes and counts the fields, pass 2
// (once the empty line is in) validates each field, fills out.headers and gathers `facts`.
ParseState readFields(LineScanner& lines, std::string_view input, const HttpLimits& limits,
                      RequestHead& out, FieldFacts& facts, HttpError& err);
ParseState readFields(LineScanner& lines, std::string_view input, const HttpLimits& limits,
                      ResponseHead& out, FieldFacts& facts, HttpError& err);

// RFC 9112 §6.3 rule 5, both directions: an invalid Content-Length is an error, never a length
// to guess or "read until close".
bool takeContentLength(const FieldFacts& facts, BodyFraming& framing, uint64_t& length,
                       HttpError& err);
bool keepAliveFor(int versionMinor, const FieldFacts& facts);

}  // namespace tollgate::inspect::detail
