// libFuzzer target for ChunkedDecoder. Besides memory safety it traps when the contract the relay
// relies on breaks: the input fed whole, one byte at a time, in pieces of pseudo-random sizes,
// and with data moved by skipData() instead of feed() must all end in the same state, with the
// same total consumed and the same error; NeedMore consumes everything, Done and Error stop
// inside the input, and a finished decoder consumes nothing more.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/inspect/chunked_decoder.h"

using namespace tollgate::inspect;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

struct Outcome {
  ParseState state = ParseState::NeedMore;
  size_t consumed = 0;
  ChunkedError error = ChunkedError::None;
};

bool operator==(const Outcome& a, const Outcome& b) {
  return a.state == b.state && a.consumed == b.consumed && a.error == b.error;
}

// Feeds `in` in pieces whose sizes come from `nextPiece`; with `skip`, chunk data is skipped
// rather than fed, as a relay moving it with splice() would.
template <typename NextPiece>
Outcome run(std::string_view in, NextPiece nextPiece, bool skip) {
  ChunkedDecoder d;
  Outcome out;
  size_t pos = 0;
  while (pos < in.size() && out.state == ParseState::NeedMore) {
    if (skip && d.dataRemaining() > 0) {
      uint64_t n = std::min<uint64_t>(d.dataRemaining(), in.size() - pos);
      d.skipData(n);
      pos += static_cast<size_t>(n);
      out.consumed += static_cast<size_t>(n);
      continue;
    }
    size_t n = std::min(nextPiece(), in.size() - pos);
    ChunkedDecoder::Result r = d.feed(in.substr(pos, n));
    check(r.consumed <= n);
    check(r.state != ParseState::NeedMore || r.consumed == n);
    check(r.state != ParseState::Error || r.consumed < n);
    check((r.state == ParseState::Error) == (d.error() != ChunkedError::None));
    pos += n;
    out.consumed += r.consumed;
    out.state = r.state;
  }
  out.error = d.error();
  if (out.state != ParseState::NeedMore) {
    ChunkedDecoder::Result again = d.feed("0\r\n\r\n");
    check(again.state == out.state && again.consumed == 0);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Outcome whole = run(
      in, [&] { return std::max<size_t>(size, 1); }, false);
  check(whole.consumed <= size);
  check(whole.state != ParseState::NeedMore || whole.consumed == size);

  check(run(
            in, [] { return size_t{1}; }, false) == whole);

  uint32_t h = 2166136261u;
  for (size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 16777619u;
  auto pseudoRandom = [h]() mutable {
    h ^= h << 13;
    h ^= h >> 17;
    h ^= h << 5;
    return size_t{1} + h % 97;
  };
  check(run(in, pseudoRandom, false) == whole);
  check(run(
            in, [] { return size_t{3}; }, true) == whole);
  return 0;
}
