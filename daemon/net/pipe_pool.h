#pragma once
// A bounded per-worker pool of pipes for splice() (HAProxy pipe.c). A relay direction borrows a
// pipe only while bytes are in flight and returns it when the pipe is empty, so thousands of idle
// connections hold no pipe file descriptors. When the pool is exhausted relays fall back to
// buffered copies (counted), never fail.
#include <cstddef>
#include <vector>

namespace tollgate::net {

struct Pipe {
  int readFd = -1;
  int writeFd = -1;
  size_t bytes = 0;  // bytes currently inside the pipe
  bool valid() const { return readFd >= 0; }
};

class PipePool {
 public:
  explicit PipePool(size_t maxPipes) : maxPipes_(maxPipes) {}
  ~PipePool();
  PipePool(const PipePool&) = delete;
  PipePool& operator=(const PipePool&) = delete;

  // A ready pipe, or an invalid one when the pool is at its limit or pipe2() fails.
  Pipe take();
  // Returns an empty pipe to the pool (a non-empty one is closed: its bytes are garbage).
  void give(Pipe& pipe);
  size_t inUse() const { return inUse_; }

 private:
  size_t maxPipes_;
  size_t inUse_ = 0;
  std::vector<Pipe> free_;
};

}  // namespace tollgate::net
