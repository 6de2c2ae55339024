// The chunked transfer coding (RFC 9112 §7.1):
//
//   chunked-body    = *chunk last-chunk trailer-section CRLF
//   chunk           = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//   chunk-size      = 1*HEXDIG
//   last-chunk      = 1*("0") [ chunk-ext ] CRLF
//   chunk-ext       = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
//   trailer-section = *( field-line CRLF )
//
//   "5;name=v\r\n" "hello" "\r\n"  "0\r\n"  "Expires: 0\r\n"  "\r\n"
//    size line      data    CRLF    last     trailer field     end
//
// Framing is read one byte at a time through a state machine, so where the input is split only
// changes where a feed() call stops, never the outcome; chunk data moves in bulk. Line ends are
// CRLF and nothing else: a server that also accepts a lone LF or CR (many did) would see chunk
// boundaries the proxy does not, which is exactly a smuggling split.
#include "daemon/inspect/chunked_decoder.h"

#include <algorithm>
#include <limits>

namespace tollgate::inspect {
namespace {

// Sizes above INT64_MAX are refused for the same reason as such Content-Lengths: an origin that
// parses into a signed integer would read a negative size.
constexpr uint64_t kMaxChunkSize = std::numeric_limits<int64_t>::max();
constexpr int kMaxSizeDigits = 16;  // also bounds leading zeros

enum : uint8_t { kTchar = 1, kFieldChar = 2 };

struct CharTable {
  uint8_t bits[256] = {};
  constexpr CharTable() {
    const char* extra = "!#$%&'*+-.^_`|~";
    for (int c = 0; c < 256; ++c) {
      bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      bool tchar = alnum;
      for (const char* p = extra; *p != '\0'; ++p) tchar = tchar || *p == c;
      if (tchar) bits[c] |= kTchar;
      // VCHAR, obs-text, SP, HTAB: field values, and chunk extensions (whose quoted strings
      // cannot hold CR or LF either, so the end of the size line is never in doubt).
      if ((c >= 0x20 && c <= 0x7e) || c >= 0x80 || c == '\t') bits[c] |= kFieldChar;
    }
  }
};
constexpr CharTable kChars;

inline bool is(char c, uint8_t cls) {
  return (kChars.bits[static_cast<unsigned char>(c)] & cls) != 0;
}

inline int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

ChunkedDecoder::Result ChunkedDecoder::feed(std::string_view bytes) {
  if (state_ == State::Done) return {ParseState::Done, 0};
  if (state_ == State::Error) return {ParseState::Error, 0};
  size_t pos = 0;
  while (pos < bytes.size()) {
    if (state_ == State::Data) {
      uint64_t n = std::min<uint64_t>(remaining_, bytes.size() - pos);
      pos += static_cast<size_t>(n);
      remaining_ -= n;
      if (remaining_ == 0) state_ = State::DataCr;
      continue;
    }
    if (!step(bytes[pos])) return {ParseState::Error, pos};
    ++pos;
    if (state_ == State::Done) return {ParseState::Done, pos};
  }
  return {ParseState::NeedMore, pos};
}

void ChunkedDecoder::skipData(uint64_t n) {
  if (n == 0 || state_ == State::Error) return;
  if (state_ != State::Data || n > remaining_) {
    fail(ChunkedError::SkipBeyondData);
    return;
  }
  remaining_ -= n;
  if (remaining_ == 0) state_ = State::DataCr;
}

bool ChunkedDecoder::enter(State s) {
  state_ = s;
  return true;
}

bool ChunkedDecoder::fail(ChunkedError e) {
  state_ = State::Error;
  error_ = e;
  return false;
}

bool ChunkedDecoder::step(char c) {
  switch (state_) {
    case State::Size:
    case State::SizeSpace:
    case State::Ext:
    case State::SizeLf:
      // Extensions are the only unbounded part of a size line; a peer could stream them forever.
      if (++lineLength_ > kMaxSizeLine) return fail(ChunkedError::SizeLineTooLong);
      break;
    case State::TrailerStart:
    case State::TrailerName:
    case State::TrailerValue:
    case State::TrailerLf:
    case State::LastLf:
      if (++trailerLength_ > kMaxTrailer) return fail(ChunkedError::TrailerTooLarge);
      break;
    default:
      break;
  }

  switch (state_) {
    case State::Size: {
      int digit = hexValue(c);
      if (digit >= 0) {
        if (++sizeDigits_ > kMaxSizeDigits || remaining_ > (kMaxChunkSize >> 4)) {
          return fail(ChunkedError::SizeOverflow);
        }
        remaining_ = remaining_ * 16 + static_cast<uint64_t>(digit);
        return true;
      }
      if (sizeDigits_ == 0) return fail(ChunkedError::BadSize);
      if (c == ';') return enter(State::Ext);
      if (c == ' ' || c == '\t') return enter(State::SizeSpace);
      if (c == '\r') return enter(State::SizeLf);
      return fail(c == '\n' ? ChunkedError::BadLineEnd : ChunkedError::BadSize);
    }
    case State::SizeSpace:
      // BWS is only allowed before ";": "5 \r\n" is a size some servers refuse and others trim.
      if (c == ';') return enter(State::Ext);
      if (c == ' ' || c == '\t') return true;
      return fail(ChunkedError::BadSize);
    case State::Ext:
      if (c == '\r') return enter(State::SizeLf);
      if (c == '\n') return fail(ChunkedError::BadLineEnd);
      return is(c, kFieldChar) || fail(ChunkedError::BadExtension);
    case State::SizeLf:
      if (c != '\n') return fail(ChunkedError::BadLineEnd);
      return enter(remaining_ == 0 ? State::TrailerStart : State::Data);
    case State::DataCr:
      if (c != '\r') return fail(ChunkedError::MissingDataCrlf);
      return enter(State::DataLf);
    case State::DataLf:
      if (c != '\n') return fail(ChunkedError::MissingDataCrlf);
      sizeDigits_ = 0;
      lineLength_ = 0;
      return enter(State::Size);
    case State::TrailerStart:
      if (c == '\r') return enter(State::LastLf);
      if (is(c, kTchar)) return enter(State::TrailerName);
      // SP or HTAB here would be obs-fold.
      return fail(c == '\n' ? ChunkedError::BadLineEnd : ChunkedError::BadTrailer);
    case State::TrailerName:
      // No whitespace before ":", as in the head.
      if (c == ':') return enter(State::TrailerValue);
      return is(c, kTchar) || fail(ChunkedError::BadTrailer);
    case State::TrailerValue:
      if (c == '\r') return enter(State::TrailerLf);
      if (c == '\n') return fail(ChunkedError::BadLineEnd);
      return is(c, kFieldChar) || fail(ChunkedError::BadTrailer);
    case State::TrailerLf:
      if (c != '\n') return fail(ChunkedError::BadLineEnd);
      return enter(State::TrailerStart);
    case State::LastLf:
      if (c != '\n') return fail(ChunkedError::BadLineEnd);
      return enter(State::Done);
    case State::Data:
    case State::Done:
    case State::Error:
      break;
  }
  return false;  // not reached: feed() handles Data, Done and Error itself
}

const char* toString(ChunkedError e) {
  switch (e) {
    case ChunkedError::None:
      return "none";
    case ChunkedError::BadSize:
      return "bad chunk size";
    case ChunkedError::SizeOverflow:
      return "chunk size overflow";
    case ChunkedError::SizeLineTooLong:
      return "chunk size line too long";
    case ChunkedError::BadExtension:
      return "bad chunk extension";
    case ChunkedError::BadLineEnd:
      return "bad line end in chunked framing";
    case ChunkedError::MissingDataCrlf:
      return "missing CRLF after chunk data";
    case ChunkedError::BadTrailer:
      return "bad trailer field";
    case ChunkedError::TrailerTooLarge:
      return "trailer section too large";
    case ChunkedError::SkipBeyondData:
      return "skipData beyond chunk data";
  }
  return "unknown";
}

}  // namespace tollgate::inspect
