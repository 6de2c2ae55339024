#pragma once
// One HTTP message in flight in one direction: its head, forwarded as received, then its body,
// relayed with the framing the head declared. The request (client → upstream) and the response
// (upstream → client) each use one; the HTTP exchange only decides what a finished, cut or
// malformed message means for the connection.
#include <cstdint>
#include <string_view>

#include "daemon/core/counters.h"
#include "daemon/inspect/chunked_decoder.h"
#include "daemon/inspect/http_head.h"
#include "daemon/net/stream_pump.h"

namespace tollgate::proxy {

// Receives a copy of a message's body bytes as they are relayed (the cache storing a response).
class BodyTap {
 public:
  virtual ~BodyTap() = default;
  // False: stop tapping (the relay itself goes on).
  virtual bool onBody(std::string_view bytes) = 0;
};

class MessageRelay {
 public:
  enum class Step {
    Blocked,   // a side would block (or the pump yielded): wait for the next event
    Done,      // the whole message reached the destination
    SrcEnded,  // the source closed before the message ended
    Failed,    // a socket error on either side
    BadChunk,  // the chunked framing is malformed (a smuggling shape): stop relaying
  };

  // A new message whose head is the first `headLength` bytes of the pump's buffer.
  void start(inspect::BodyFraming framing, size_t headLength, uint64_t contentLength);
  // Copies the body of the message just started (Content-Length framing only) to `tap`. The body
  // then goes through the buffer instead of splice(): the bytes must pass through user space.
  void setTap(BodyTap* tap);
  Step run(net::StreamPump& pump, net::Endpoint& src, net::Endpoint& dst, net::PipePool& pipes,
           CounterBlock& counters);

  // The last run() stopped at its per-wakeup budget with bytes still readable (tapped bodies;
  // untapped ones report it through the pump): run it again soon, no event will come.
  bool yielded() const { return yielded_; }
  // Bytes of the current message not yet forwarded (head included).
  uint64_t pending() const { return remaining_; }

  // Bytes of a pending head already parsed without success (see worthParsing in the exchange).
  size_t parsedUpTo = 0;

 private:
  bool relayChunked(net::StreamPump& pump, net::Endpoint& src, net::Endpoint& dst,
                    CounterBlock& counters, bool& error);
  Step runTapped(net::StreamPump& pump, net::Endpoint& src, net::Endpoint& dst,
                 CounterBlock& counters);
  void tap(std::string_view bytes);

  inspect::BodyFraming framing_ = inspect::BodyFraming::None;
  uint64_t remaining_ = 0;  // head + Content-Length bytes still to forward
  uint64_t contentLength_ = 0;
  bool headSent_ = false;   // chunked: the head part of remaining_ is done
  inspect::ChunkedDecoder chunked_;
  size_t validated_ = 0;    // chunked bytes checked by the decoder, not yet forwarded
  BodyTap* tap_ = nullptr;  // null once the tap said stop
  bool tapMode_ = false;     // setTap() was called for this message: copy loop throughout
  bool tapStarted_ = false;
  bool yielded_ = false;
  uint64_t untapped_ = 0;   // body bytes not yet handed to tap_
};

}  // namespace tollgate::proxy
