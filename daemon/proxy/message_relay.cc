#include "daemon/proxy/message_relay.h"

namespace tollgate::proxy {

namespace {
constexpr uint64_t kSpliceThreshold = 16 * 1024;  // below this, buffered copies are cheaper
}

void MessageRelay::start(inspect::BodyFraming framing, size_t headLength, uint64_t contentLength) {
  framing_ = framing;
  remaining_ = headLength + (framing == inspect::BodyFraming::ContentLength ? contentLength : 0);
  if (framing == inspect::BodyFraming::UntilClose) remaining_ = net::StreamPump::kUnlimited;
  headSent_ = false;
  chunked_.reset();
  validated_ = 0;
  parsedUpTo = 0;
}

MessageRelay::Step MessageRelay::run(net::StreamPump& pump, net::Endpoint& src, net::Endpoint& dst,
                                     net::PipePool& pipes, CounterBlock& counters) {
  if (!headSent_ || framing_ != inspect::BodyFraming::Chunked) {
    bool useSplice = remaining_ > pump.buffer.size() + kSpliceThreshold;
    auto r = pump.run(src, dst, remaining_, useSplice, pipes, counters);
    if (r == net::StreamPump::Result::Failed) return Step::Failed;
    if (r == net::StreamPump::Result::SrcEnded)
      return framing_ == inspect::BodyFraming::UntilClose ? Step::Done : Step::SrcEnded;
    if (r != net::StreamPump::Result::LimitReached) return Step::Blocked;
    headSent_ = true;
    if (framing_ != inspect::BodyFraming::Chunked) return Step::Done;
  }
  bool error = false;
  if (relayChunked(pump, src, dst, counters, error)) return Step::Done;
  if (!error) return Step::Blocked;
  if (src.failed || dst.failed) return Step::Failed;
  return src.readEof ? Step::SrcEnded : Step::BadChunk;
}

// Chunked bodies go through the buffer: the decoder must see every framing byte, and it
// validates before anything is forwarded, so a malformed chunk never reaches the peer.
bool MessageRelay::relayChunked(net::StreamPump& pump, net::Endpoint& src, net::Endpoint& dst,
                                CounterBlock& counters, bool& error) {
  bool finished = false;
  while (true) {
    // Fed even with nothing new: a decoder that reached Done says so again (consumed 0), so a
    // body whose last bytes needed a second flush still completes.
    if (!finished) {
      auto r = chunked_.feed(pump.buffer.view().substr(validated_));
      validated_ += r.consumed;
      if (r.state == inspect::ParseState::Error) {
        error = true;
        return false;
      }
      finished = r.state == inspect::ParseState::Done;
    }
    size_t n = pump.flushBuffer(dst, validated_);
    validated_ -= n;
    counters.add(Counter::relay_copy_bytes, n);
    if (dst.failed) {
      error = true;
      return false;
    }
    if (validated_ > 0) return false;  // dst would block
    if (finished) return true;
    if (src.readInto(pump.buffer, 64 * 1024) == 0) {
      if (src.readEof || src.failed) error = true;  // body cut short
      return false;
    }
  }
}

}  // namespace tollgate::proxy
