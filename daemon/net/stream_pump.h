#pragma once
// Moves the bytes of one direction of a connection (src socket → dst socket): first what is
// already buffered in user space (peeked ClientHello, the rest of an HTTP head read), then straight
// from socket to socket with splice() through a borrowed pipe, or through the buffer when no pipe
// is available. Edge-triggered: each Endpoint remembers readiness and the pump runs until one side
// would block, the byte limit is reached, or the source ends.
#include <cstdint>

#include "daemon/core/counters.h"
#include "daemon/net/buffer.h"
#include "daemon/net/pipe_pool.h"

namespace tollgate::net {

struct Endpoint {
  int fd = -1;
  bool readable = false;   // not yet seen EAGAIN on read since the last EPOLLIN
  bool writable = false;   // not yet seen EAGAIN on write since the last EPOLLOUT
  bool readEof = false;    // peer finished sending (read returned 0)
  bool writeShut = false;  // we sent FIN (shutdown SHUT_WR)
  bool failed = false;     // hard error on the socket
  bool peerHup = false;    // EPOLLRDHUP/EPOLLHUP seen: the peer closed (checked before reuse)
  bool errorEvent = false; // EPOLLERR seen: SO_ERROR tells why
  uint64_t bytesRead = 0;
  uint64_t bytesWritten = 0;

  // Reads into `buf` (up to maxCapacity). Returns bytes read; 0 with readEof/failed set or when
  // it would block (readable cleared).
  size_t readInto(Buffer& buf, size_t maxCapacity);
  // Writes from `bytes`. Returns bytes written (may be short; writable cleared on EAGAIN).
  size_t writeFrom(const char* bytes, size_t len);
  void shutdownWrite();
};

class StreamPump {
 public:
  enum class Result {
    Blocked,   // one side would block: wait for the next event
    LimitReached,
    SrcEnded,  // source sent FIN and everything was flushed
    Failed,    // a socket error
  };

  static constexpr uint64_t kUnlimited = UINT64_MAX;

  // Moves up to `remaining` bytes (decremented as they reach dst). `useSplice` allows the
  // kernel path; small messages are cheaper through the buffer (HAProxy does not splice below
  // 4 KiB).
  Result run(Endpoint& src, Endpoint& dst, uint64_t& remaining, bool useSplice, PipePool& pipes,
             CounterBlock& counters);

  // Writes the buffered bytes only (no reads), at most `limit`. Returns bytes written.
  size_t flushBuffer(Endpoint& dst, uint64_t limit);

  bool hasPending() const { return !buffer.empty() || pipe_.bytes > 0; }
  // The last run() stopped because it moved its per-wakeup budget, not because a side would
  // block: the caller must run it again soon (EventLoop::runSoon), or the edge is lost.
  bool yielded() const { return yielded_; }

  // Bytes one run() may move before yielding, so one fast connection cannot hold its worker.
  static constexpr uint64_t kBudget = 256 * 1024;
  void releaseIdle(PipePool& pipes);  // returns an empty pipe and frees an empty buffer
  void discard(PipePool& pipes);      // connection closing: drop everything in flight

  Buffer buffer;  // bytes read from src not yet written to dst (also the HTTP head area)

 private:
  Result spliceLoop(Endpoint& src, Endpoint& dst, uint64_t& remaining, PipePool& pipes,
                    CounterBlock& counters);
  Result copyLoop(Endpoint& src, Endpoint& dst, uint64_t& remaining, CounterBlock& counters);

  Pipe pipe_;
  bool spliceBroken_ = false;
  bool yielded_ = false;
  uint64_t movedThisRun_ = 0;  // splice refused these fds (EINVAL): stay on the copy path
};

}  // namespace tollgate::net
