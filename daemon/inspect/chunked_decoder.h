#pragma once
// Incremental validator of the chunked transfer coding (RFC 9112 §7.1) for pass-through relays:
// the proxy forwards the raw bytes unchanged and uses the decoder only to find where the body
// ends and to reject smuggling shapes (bad sizes, overflow, missing CRLF, oversized lines).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/inspect/parse_state.h"

namespace tollgate::inspect {

enum class ChunkedError {
  None,
  BadSize,           // chunk-size empty, not hex, or followed by whitespace without ";"
  SizeOverflow,      // more than 16 hex digits, or a size above INT64_MAX
  SizeLineTooLong,   // chunk-size line (extensions and CRLF included) over 4096 bytes
  BadExtension,      // a control character inside chunk extensions
  BadLineEnd,        // CR not followed by LF, or LF without CR, ending a size or trailer line
  MissingDataCrlf,   // chunk data not followed by exactly CRLF
  BadTrailer,        // malformed trailer field line (or obs-fold)
  TrailerTooLarge,   // trailer section (final CRLF included) over 8 KiB
  SkipBeyondData,    // skipData() asked to skip more than dataRemaining()
};
const char* toString(ChunkedError e);

class ChunkedDecoder {
 public:
  static constexpr size_t kMaxSizeLine = 4096;
  static constexpr size_t kMaxTrailer = 8 * 1024;

  struct Result {
    ParseState state;   // Done: the last-chunk and trailers ended; NeedMore: feed more; Error
    size_t consumed;    // bytes of the input that belong to this body (on Done, the rest is
                        // the next message; on Error, the offset of the offending byte)
  };

  // Feeds the next bytes of the body; any split of the body gives the same outcome. After Done
  // or Error, further calls return the same state with consumed = 0.
  Result feed(std::string_view bytes);

  // Bytes of chunk data (not framing) still expected in the current chunk: lets a relay move
  // them with a bulk copy. 0 when the decoder is inside framing.
  uint64_t dataRemaining() const { return state_ == State::Data ? remaining_ : 0; }
  // Tells the decoder the caller moved `n` (<= dataRemaining()) data bytes without feeding them.
  // Skipping more is a caller bug; it puts the decoder in Error (SkipBeyondData), never desyncs.
  void skipData(uint64_t n);

  // Why feed() returned Error; None otherwise.
  ChunkedError error() const { return error_; }

  void reset() { *this = ChunkedDecoder(); }

 private:
  enum class State {
    Size,          // chunk-size hex digits
    SizeSpace,     // BWS after the size: only ";" may follow
    Ext,           // chunk extensions, up to CR
    SizeLf,        // LF ending the size line
    Data,          // remaining_ bytes of chunk data
    DataCr,        // CRLF after the data
    DataLf,
    TrailerStart,  // start of a trailer field line, or CR of the final CRLF
    TrailerName,
    TrailerValue,
    TrailerLf,     // LF ending a trailer field line
    LastLf,        // LF of the final CRLF
    Done,
    Error
  };
  bool step(char c);          // one framing byte; false on Error
  bool enter(State s);        // always true
  bool fail(ChunkedError e);  // always false

  State state_ = State::Size;
  ChunkedError error_ = ChunkedError::None;
  uint64_t remaining_ = 0;    // chunk size while it is read, then data bytes left
  int sizeDigits_ = 0;        // hex digits of the size so far
  size_t lineLength_ = 0;     // bytes of the current size line so far
  size_t trailerLength_ = 0;  // bytes of the trailer section so far
};

}  // namespace tollgate::inspect
