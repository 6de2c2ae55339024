#include "daemon/proxy/message_relay.h"

#include <algorithm>

namespace tollgate::proxy {

namespace {
constexpr uint64_t kSpliceThreshold = 16 * 1024;  // below this, buffered copies are cheaper
}

void MessageRelay::start(inspect::BodyFraming framing, size_t headLength, uint64_t contentLength) {
  framing_ = framing;
  remaining_ = headLength + (framing == inspect::BodyFraming::ContentLength ? contentLength : 0);
  contentLength_ = framing == inspect::BodyFraming::ContentLength ? contentLength : 0;
  if (framing == inspect::BodyFraming::UntilClose) remaining_ = net::StreamPump::kUnlimited;
  headSent_ = false;
  chunked_.reset();
  validated_ = 0;
  parsedUpTo = 0;
  tap_ = nullptr;
  tapMode_ = false;
  untapped_ = 0;
  yielded_ = false;
}

void MessageRelay::setTap(BodyTap* tap) {
  if (framing_ == inspect::BodyFraming::Chunked) {
    tap_ = tap;  // relayChunked hands it the decoded data
    return;
  }
  if (framing_ != inspect::BodyFraming::ContentLength) return;
  tap_ = tap;
  tapMode_ = true;
  tapStarted_ = false;
  untapped_ = 0;
}

void MessageRelay::tap(std::string_view bytes) {
  if (tap_ == nullptr) return;
  bytes = bytes.substr(0, static_cast<size_t>(std::min<uint64_t>(bytes.size(), untapped_)));
  untapped_ -= bytes.size();
  if (!bytes.empty() && !tap_->onBody(bytes)) tap_ = nullptr;
}

// The copy loop of a tapped body: every byte read is shown to the tap once, right after the
// read (so nothing tracks positions in a buffer that is consumed from the front), then written.
MessageRelay::Step MessageRelay::runTapped(net::StreamPump& pump, net::Endpoint& src,
                                           net::Endpoint& dst, CounterBlock& counters) {
  if (!tapStarted_) {
    // First call: the buffer holds the head and whatever body bytes came with it.
    tapStarted_ = true;
    size_t head = static_cast<size_t>(remaining_ - contentLength_);
    untapped_ = contentLength_;
    if (pump.buffer.size() > head) tap(pump.buffer.view().substr(head));
  }
  uint64_t moved = 0;
  yielded_ = false;
  while (remaining_ > 0) {
    if (pump.buffer.empty()) {
      if (moved >= net::StreamPump::kBudget) {
        yielded_ = true;  // not blocked: the caller must come back without an event
        return Step::Blocked;
      }
      size_t before = pump.buffer.size();
      size_t n = src.readInto(pump.buffer, 256 * 1024);
      if (n == 0) {
        if (src.failed) return Step::Failed;
        return src.readEof ? Step::SrcEnded : Step::Blocked;
      }
      tap(pump.buffer.view().substr(before));
    }
    size_t n = pump.flushBuffer(dst, remaining_);
    remaining_ -= n;
    moved += n;
    counters.add(Counter::relay_copy_bytes, n);
    if (dst.failed) return Step::Failed;
    if (n == 0) return Step::Blocked;
  }
  return Step::Done;
}

MessageRelay::Step MessageRelay::run(net::StreamPump& pump, net::Endpoint& src, net::Endpoint& dst,
                                     net::PipePool& pipes, CounterBlock& counters) {
  yielded_ = false;
  if (tapMode_) return runTapped(pump, src, dst, counters);
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
    if (!finished && tap_ == nullptr) {
      auto r = chunked_.feed(pump.buffer.view().substr(validated_));
      validated_ += r.consumed;
      if (r.state == inspect::ParseState::Error) {
        error = true;
        return false;
      }
      finished = r.state == inspect::ParseState::Done;
    } else if (!finished) {
      // Tapped: chunk data goes to the tap in bulk (skipData), framing bytes through feed() one
      // at a time, so the decoder still validates every framing byte and data never passes
      // through it.
      std::string_view pending = pump.buffer.view().substr(validated_);
      while (!pending.empty() && !finished) {
        if (uint64_t data = chunked_.dataRemaining(); data > 0) {
          size_t n = static_cast<size_t>(std::min<uint64_t>(data, pending.size()));
          if (tap_ != nullptr && !tap_->onBody(pending.substr(0, n))) tap_ = nullptr;
          chunked_.skipData(n);
          validated_ += n;
          pending.remove_prefix(n);
          continue;
        }
        auto r = chunked_.feed(pending.substr(0, 1));
        if (r.state == inspect::ParseState::Error) {
          error = true;
          return false;
        }
        validated_ += r.consumed;
        pending.remove_prefix(r.consumed);
        finished = r.state == inspect::ParseState::Done;
        if (r.consumed == 0) break;
      }
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
