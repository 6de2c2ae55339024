#include "daemon/net/stream_pump.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace tollgate::net {

namespace {
constexpr size_t kSpliceChunk = 64 * 1024;  // default pipe capacity
constexpr size_t kCopyCap = 64 * 1024;
}  // namespace

size_t Endpoint::readInto(Buffer& buf, size_t maxCapacity) {
  if (!readable || readEof || failed) return 0;
  size_t room = buf.prepare(Buffer::kChunk, maxCapacity);
  if (room == 0) return 0;
  while (true) {
    ssize_t n = recv(fd, buf.writePtr(), room, 0);
    if (n > 0) {
      buf.commit(static_cast<size_t>(n));
      bytesRead += static_cast<size_t>(n);
      // A short read drained the socket; with edge-triggered epoll any later byte or FIN raises
      // a new event, so the next recv would only return EAGAIN: skip it (2 syscalls per request).
      // ...unless the FIN was already signalled with this data (EPOLLRDHUP): no new edge will
      // come for it, so the next recv must run to see the 0.
      if (static_cast<size_t>(n) < room && !peerHup) readable = false;
      return static_cast<size_t>(n);
    }
    if (n == 0) {
      readEof = true;
      return 0;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) readable = false;
    else failed = true;
    return 0;
  }
}

size_t Endpoint::writeFrom(const char* bytes, size_t len) {
  if (!writable || failed || len == 0) return 0;
  size_t total = 0;
  while (total < len) {
    ssize_t n = send(fd, bytes + total, len - total, MSG_NOSIGNAL);
    if (n > 0) {
      total += static_cast<size_t>(n);
      if (total < len) {
        writable = false;  // short write: the send buffer is full, EPOLLOUT will tell us
        break;
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) writable = false;
    else failed = true;
    break;
  }
  bytesWritten += total;
  return total;
}

void Endpoint::shutdownWrite() {
  if (writeShut || fd < 0) return;
  writeShut = true;
  ::shutdown(fd, SHUT_WR);
}

size_t StreamPump::flushBuffer(Endpoint& dst, uint64_t limit) {
  size_t len = static_cast<size_t>(std::min<uint64_t>(buffer.size(), limit));
  size_t n = dst.writeFrom(buffer.data(), len);
  buffer.consume(n);
  return n;
}

void StreamPump::releaseIdle(PipePool& pipes) {
  if (pipe_.valid() && pipe_.bytes == 0) pipes.give(pipe_);
  buffer.release();
}

void StreamPump::discard(PipePool& pipes) {
  pipes.give(pipe_);  // a pipe still holding bytes is closed, not pooled
  buffer.consume(buffer.size());
  buffer.release();
}

StreamPump::Result StreamPump::run(Endpoint& src, Endpoint& dst, uint64_t& remaining, bool useSplice,
                                   PipePool& pipes, CounterBlock& counters) {
  yielded_ = false;
  movedThisRun_ = 0;
  // Buffered bytes go first: they precede anything still in the socket.
  if (!buffer.empty() && remaining > 0) {
    size_t n = flushBuffer(dst, remaining);
    remaining -= n;
    counters.add(Counter::relay_copy_bytes, n);
    if (dst.failed) return Result::Failed;
    if (!buffer.empty() && remaining > 0) return Result::Blocked;
  }
  if (remaining == 0) return Result::LimitReached;
  // Bytes already in the pipe precede anything still in the socket: once a pipe holds data the
  // splice path must drain it, whatever this call's useSplice says.
  if (pipe_.bytes > 0 ||
      (useSplice && !spliceBroken_ && (pipe_.valid() || (pipe_ = pipes.take()).valid())))
    return spliceLoop(src, dst, remaining, pipes, counters);
  if (useSplice && !spliceBroken_) counters.add(Counter::relay_splice_fallbacks);
  return copyLoop(src, dst, remaining, counters);
}

StreamPump::Result StreamPump::spliceLoop(Endpoint& src, Endpoint& dst, uint64_t& remaining,
                                          PipePool& pipes, CounterBlock& counters) {
  while (true) {
    // Drain the pipe into dst.
    while (pipe_.bytes > 0) {
      if (!dst.writable) return Result::Blocked;
      ssize_t n = splice(pipe_.readFd, nullptr, dst.fd, nullptr, pipe_.bytes,
                         SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        pipe_.bytes -= static_cast<size_t>(n);
        remaining -= static_cast<uint64_t>(n);
        movedThisRun_ += static_cast<uint64_t>(n);
        dst.bytesWritten += static_cast<uint64_t>(n);
        counters.add(Counter::relay_splice_bytes, static_cast<uint64_t>(n));
      } else if (n < 0 && errno == EAGAIN) {
        dst.writable = false;
        return Result::Blocked;
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        dst.failed = true;
        return Result::Failed;
      }
    }
    if (remaining == 0) {
      pipes.give(pipe_);
      return Result::LimitReached;
    }
    if (src.readEof) {
      pipes.give(pipe_);
      return Result::SrcEnded;
    }
    if (!src.readable) {
      pipes.give(pipe_);  // nothing in flight: an idle direction holds no pipe
      return Result::Blocked;
    }
    if (movedThisRun_ >= kBudget) {
      yielded_ = true;
      return Result::Blocked;
    }
    size_t want = static_cast<size_t>(std::min<uint64_t>(remaining, kSpliceChunk));
    ssize_t n = splice(src.fd, nullptr, pipe_.writeFd, nullptr, want, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n > 0) {
      pipe_.bytes += static_cast<size_t>(n);
      src.bytesRead += static_cast<uint64_t>(n);
    } else if (n == 0) {
      src.readEof = true;
    } else if (errno == EAGAIN) {
      // EAGAIN from splice may mean the pipe is full rather than the socket empty; the pipe is
      // empty here, so it is the socket.
      src.readable = false;
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EINVAL) {
      spliceBroken_ = true;
      pipes.give(pipe_);
      counters.add(Counter::relay_splice_fallbacks);
      return copyLoop(src, dst, remaining, counters);
    } else {
      src.failed = true;
      pipes.give(pipe_);
      return Result::Failed;
    }
  }
}

StreamPump::Result StreamPump::copyLoop(Endpoint& src, Endpoint& dst, uint64_t& remaining,
                                        CounterBlock& counters) {
  while (true) {
    if (!buffer.empty()) {
      size_t n = flushBuffer(dst, remaining);
      remaining -= n;
      movedThisRun_ += n;
      counters.add(Counter::relay_copy_bytes, n);
      if (dst.failed) return Result::Failed;
      if (!buffer.empty() && remaining > 0) return Result::Blocked;
    }
    if (remaining == 0) return Result::LimitReached;
    if (src.readEof) return Result::SrcEnded;
    if (src.failed) return Result::Failed;
    if (!src.readable) {
      buffer.release();
      return Result::Blocked;
    }
    if (movedThisRun_ >= kBudget) {
      yielded_ = true;
      return Result::Blocked;
    }
    size_t cap = static_cast<size_t>(std::min<uint64_t>(remaining, kCopyCap));
    // Read no more than the limit: bytes past it belong to the next message.
    size_t room = buffer.prepare(std::min(cap, Buffer::kChunk), kCopyCap);
    room = std::min<size_t>(room, cap);
    ssize_t n = recv(src.fd, buffer.writePtr(), room, 0);
    if (n > 0) {
      buffer.commit(static_cast<size_t>(n));
      src.bytesRead += static_cast<uint64_t>(n);
      if (static_cast<size_t>(n) < room && !src.peerHup) src.readable = false;  // see readInto
    } else if (n == 0) {
      src.readEof = true;
    } else if (errno == EAGAIN) {
      src.readable = false;
    } else if (errno != EINTR) {
      src.failed = true;
      return Result::Failed;
    }
  }
}

}  // namespace tollgate::net
