#include "daemon/net/pipe_pool.h"

#include <fcntl.h>
#include <unistd.h>

namespace tollgate::net {

PipePool::~PipePool() {
  for (auto& p : free_) {
    close(p.readFd);
    close(p.writeFd);
  }
}

Pipe PipePool::take() {
  if (!free_.empty()) {
    Pipe p = free_.back();
    free_.pop_back();
    ++inUse_;
    return p;
  }
  if (inUse_ >= maxPipes_) return {};
  int fds[2];
  if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0) return {};
  ++inUse_;
  return {fds[0], fds[1], 0};
}

void PipePool::give(Pipe& pipe) {
  if (!pipe.valid()) return;
  --inUse_;
  // Keep at most a small reserve of idle pipes; each costs two descriptors.
  if (pipe.bytes == 0 && free_.size() < 64) {
    free_.push_back(pipe);
  } else {
    close(pipe.readFd);
    close(pipe.writeFd);
  }
  pipe = {};
}

}  // namespace tollgate::net
