#pragma once
// One HTTP message in flight in one direction: its head, forwarded as received, then its body,
// relayed with the framing the head declared. The request (client → upstream) and the response
// (upstream → client) each use one; the HTTP exchange only decides what a finished, cut or
// malformed message means for the connection.
#include <cstdint>

#include "daemon/core/counters.h"
#include "daemon/inspect/chunked_decoder.h"
#include "daemon/inspect/http_head.h"
#include "daemon/net/stream_pump.h"

namespace tollgate::proxy {

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
  Step run(net::StreamPump& pump, net::Endpoint& src, net::Endpoint& dst, net::PipePool& pipes,
           CounterBlock& counters);

  // Bytes of a pending head already parsed without success (see worthParsing in the exchange).
  size_t parsedUpTo = 0;

 private:
  bool relayChunked(net::StreamPump& pump, net::Endpoint& src, net::Endpoint& dst,
                    CounterBlock& counters, bool& error);

  inspect::BodyFraming framing_ = inspect::BodyFraming::None;
  uint64_t remaining_ = 0;  // head + Content-Length bytes still to forward
  bool headSent_ = false;   // chunked: the head part of remaining_ is done
  inspect::ChunkedDecoder chunked_;
  size_t validated_ = 0;    // chunked bytes checked by the decoder, not yet forwarded
};

}  // namespace tollgate::proxy
