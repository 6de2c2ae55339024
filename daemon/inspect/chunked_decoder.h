#pragma once
// Incremental validator of the chunked transfer coding (RFC 9112 §7.1) for pass-through relays:
// the proxy forwards the raw bytes unchanged and uses the decoder only to find where the body
// ends and to reject smuggling shapes (bad sizes, overflow, missing CRLF, oversized lines).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/inspect/parse_state.h"

namespace tollgate::inspect {

class ChunkedDecoder {
 public:
  struct Result {
    ParseState state;   // Done: the last-chunk and trailers ended; NeedMore: feed more; Error
    size_t consumed;    // bytes of the input that belong to this body (on Done, the rest is
                        // the next message)
  };

  // Feeds the next bytes of the body. After Done or Error, further calls return the same state
  // with consumed = 0.
  Result feed(std::string_view bytes);

  // Bytes of chunk data (not framing) still expected in the current chunk: lets a relay move
  // them with a bulk copy. 0 when the decoder is inside framing.
  uint64_t dataRemaining() const { return state_ == State::Data ? remaining_ : 0; }
  // Tells the decoder the caller moved `n` (<= dataRemaining()) data bytes without feeding them.
  void skipData(uint64_t n);

  void reset() { *this = ChunkedDecoder(); }

 private:
  enum class State { Size, Ext, SizeLf, Data, DataCr, DataLf, Trailer, TrailerLf, LastCr, LastLf,
                     Done, Error };
  State state_ = State::Size;
  uint64_t remaining_ = 0;
  int sizeDigits_ = 0;
  size_t lineLength_ = 0;
  bool sawTrailerChar_ = false;
};

}  // namespace tollgate::inspect
