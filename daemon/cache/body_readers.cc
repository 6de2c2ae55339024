#include "daemon/cache/body_readers.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>

#include "daemon/cache/object_file.h"
#include "daemon/cache/store_core.h"
#include "daemon/cache/store_writer.h"
#include "daemon/core/event_loop.h"

namespace tollgate::cache {
namespace {

using Status = BodyReader::Status;
using Done = std::function<void(Status, std::string)>;
// Cleared by the reader's destructor, read by its posted results on the same loop thread.
using Alive = std::shared_ptr<std::atomic<bool>>;

Alive makeAlive() { return std::make_shared<std::atomic<bool>>(true); }

void deliver(EventLoop& loop, const Alive& alive, Done done, Status status, std::string bytes) {
  loop.post([alive, done = std::move(done), status, bytes = std::move(bytes)]() mutable {
    if (alive->load(std::memory_order_acquire)) done(status, std::move(bytes));
  });
}

size_t chunkSize(size_t maxBytes, uint64_t left) {
  return static_cast<size_t>(
      std::min<uint64_t>({std::max<size_t>(maxBytes, 1), left, kMaxReadChunk}));
}

// Hands `state` to a disk thread to be released there, so that the descriptor it may hold is
// closed off the worker (close() can block on some filesystems). Inline once the store is gone.
template <typename State>
void releaseOnDiskThread(std::shared_ptr<State> state) {
  std::shared_ptr<StoreCore> core = state->core;
  core->disk.post([state = std::move(state)] {});
}

// Posts `job(done)` to a disk thread; if the disk threads are gone, done gets Failed instead.
template <typename Job>
void runOnDisk(StoreCore& core, EventLoop& loop, const Alive& alive, Done done, Job job) {
  auto holder = std::make_shared<Done>(std::move(done));
  bool posted =
      core.disk.post([job = std::move(job), holder]() mutable { job(std::move(*holder)); });
  if (!posted) deliver(loop, alive, std::move(*holder), Status::Failed, {});
}

// --- memory --------------------------------------------------------------------------------------

class MemoryReader final : public BodyReader {
 public:
  MemoryReader(std::shared_ptr<const std::string> body, uint64_t offset, uint64_t end)
      : body_(std::move(body)), pos_(offset), end_(end) {}
  ~MemoryReader() override { alive_->store(false, std::memory_order_release); }

  void next(size_t maxBytes, EventLoop& loop, Done done) override {
    if (pos_ >= end_) {
      deliver(loop, alive_, std::move(done), Status::End, {});
      return;
    }
    size_t n = chunkSize(maxBytes, end_ - pos_);
    std::string bytes = body_->substr(pos_, n);
    pos_ += n;
    deliver(loop, alive_, std::move(done), Status::Ok, std::move(bytes));
  }

 private:
  std::shared_ptr<const std::string> body_;
  uint64_t pos_;
  uint64_t end_;
  Alive alive_ = makeAlive();
};

// --- a complete object's file --------------------------------------------------------------------

struct FileState {
  std::shared_ptr<StoreCore> core;
  ObjectPtr object;
  uint64_t pos = 0;
  uint64_t end = 0;
  std::optional<uint32_t> wholeBodyCrc;
  bool keepInMemory = false;
  uint32_t crc = 0;
  std::string copy;  // the body so far, when it is to be kept in memory

  std::mutex mutex;  // fd and opened: the open job and the first read may run at once
  int fd = -1;
  bool opened = false;

  ~FileState() {
    if (fd >= 0) ::close(fd);
  }
  bool ensureOpen() {
    std::lock_guard<std::mutex> lock(mutex);
    if (!opened) {
      opened = true;
      fd = ::open(core->objectPath(object->id()).c_str(), O_RDONLY | O_CLOEXEC);
    }
    return fd >= 0;
  }
};

// Disk thread.
void readFileChunk(FileState& s, size_t maxBytes, EventLoop& loop, const Alive& alive, Done done) {
  Status status = Status::Ok;
  std::string bytes;
  if (!s.ensureOpen()) {
    status = Status::Failed;  // unlinked before the reader started (evicted, purged)
  } else {
    size_t n = chunkSize(maxBytes, s.end - s.pos);
    bytes.resize(n);
    int64_t got = preadAll(s.fd, bytes.data(), n, kHeaderSize + s.pos);
    if (got < 0) {
      status = Status::Failed;
    } else if (static_cast<uint64_t>(got) < n) {
      status = Status::Corrupt;  // shorter than its trailer said when it was indexed
    } else {
      s.pos += n;
      if (s.wholeBodyCrc) {
        s.crc = crc32cExtend(s.crc, bytes.data(), n);
        if (s.keepInMemory) s.copy += bytes;
        // The last chunk is held until here: a corrupt body never reaches a client whole.
        if (s.pos == s.end && s.crc != *s.wholeBodyCrc) {
          status = Status::Corrupt;
        } else if (s.pos == s.end && s.keepInMemory) {
          s.core->keepInMemory(s.object->id(),
                               std::make_shared<const std::string>(std::move(s.copy)));
        }
      }
    }
  }
  if (status != Status::Ok) bytes.clear();
  if (status == Status::Corrupt) s.core->dropCorrupt(s.object->id());
  deliver(loop, alive, std::move(done), status, std::move(bytes));
}

class FileReader final : public BodyReader {
 public:
  explicit FileReader(std::shared_ptr<FileState> state) : s_(std::move(state)) {
    // Open at once: the descriptor keeps the file readable if it is evicted or replaced while
    // this reader runs (unlink only removes the name).
    s_->core->disk.post([s = s_] { s->ensureOpen(); });
  }
  ~FileReader() override {
    alive_->store(false, std::memory_order_release);
    releaseOnDiskThread(std::move(s_));
  }

  void next(size_t maxBytes, EventLoop& loop, Done done) override {
    if (s_->pos >= s_->end) {
      deliver(loop, alive_, std::move(done), Status::End, {});
      return;
    }
    runOnDisk(*s_->core, loop, alive_, std::move(done),
              [s = s_, maxBytes, loop = &loop, alive = alive_](Done d) {
                readFileChunk(*s, maxBytes, *loop, alive, std::move(d));
              });
  }

 private:
  std::shared_ptr<FileState> s_;
  Alive alive_ = makeAlive();
};

// --- an object being written ---------------------------------------------------------------------

struct GrowingState {
  std::shared_ptr<StoreCore> core;
  std::shared_ptr<WriterImpl> writer;
  uint64_t pos = 0;
  // Only one read job at a time touches these (no open job here), so no lock.
  int fd = -1;
  bool opened = false;

  ~GrowingState() {
    if (fd >= 0) ::close(fd);
  }
};

// Disk thread.
void readGrowingChunk(GrowingState& s, size_t n, EventLoop& loop, const Alive& alive, Done done) {
  if (!s.opened) {
    s.opened = true;
    s.fd = s.writer->openForRead();
  }
  std::string bytes(n, '\0');
  int64_t got = s.fd < 0 ? -1 : preadAll(s.fd, bytes.data(), n, kHeaderSize + s.pos);
  if (got <= 0) {  // the writer said these bytes were written: anything else is a failure
    deliver(loop, alive, std::move(done), Status::Failed, {});
    return;
  }
  bytes.resize(static_cast<size_t>(got));
  s.pos += static_cast<uint64_t>(got);
  deliver(loop, alive, std::move(done), Status::Ok, std::move(bytes));
}

class GrowingReader final : public BodyReader {
 public:
  explicit GrowingReader(std::shared_ptr<GrowingState> state) : s_(std::move(state)) {}
  ~GrowingReader() override {
    alive_->store(false, std::memory_order_release);
    releaseOnDiskThread(std::move(s_));
  }

  void next(size_t maxBytes, EventLoop& loop, Done done) override {
    // Registered with the writer only when there is nothing to read yet; runs on `loop`, where
    // this reader is destroyed too, so `alive` tells whether `this` is still there.
    std::function<void()> wake = [this, alive = alive_, maxBytes, loop = &loop, done] {
      if (alive->load(std::memory_order_acquire)) next(maxBytes, *loop, done);
    };
    WriterImpl::ReadPoint point = s_->writer->readPoint(s_->pos, loop, wake);
    switch (point.kind) {
      case WriterImpl::ReadPoint::Failed:
        deliver(loop, alive_, std::move(done), Status::Failed, {});
        return;
      case WriterImpl::ReadPoint::End:
        deliver(loop, alive_, std::move(done), Status::End, {});
        return;
      case WriterImpl::ReadPoint::Wait:
        return;
      case WriterImpl::ReadPoint::Data:
        break;
    }
    size_t n = chunkSize(maxBytes, point.available);
    runOnDisk(*s_->core, loop, alive_, std::move(done),
              [s = s_, n, loop = &loop, alive = alive_](Done d) {
                readGrowingChunk(*s, n, *loop, alive, std::move(d));
              });
  }

 private:
  std::shared_ptr<GrowingState> s_;
  Alive alive_ = makeAlive();
};

class FailedReader final : public BodyReader {
 public:
  ~FailedReader() override { alive_->store(false, std::memory_order_release); }
  void next(size_t, EventLoop& loop, Done done) override {
    deliver(loop, alive_, std::move(done), Status::Failed, {});
  }

 private:
  Alive alive_ = makeAlive();
};

}  // namespace

std::unique_ptr<BodyReader> memoryBodyReader(std::shared_ptr<const std::string> body,
                                             uint64_t offset, uint64_t end) {
  return std::make_unique<MemoryReader>(std::move(body), offset, end);
}

std::unique_ptr<BodyReader> fileBodyReader(std::shared_ptr<StoreCore> core, ObjectPtr object,
                                           uint64_t offset, uint64_t end,
                                           std::optional<uint32_t> wholeBodyCrc,
                                           bool keepInMemory) {
  auto s = std::make_shared<FileState>();
  s->core = std::move(core);
  s->object = std::move(object);
  s->pos = offset;
  s->end = end;
  s->wholeBodyCrc = wholeBodyCrc;
  s->keepInMemory = keepInMemory && wholeBodyCrc.has_value();
  return std::make_unique<FileReader>(std::move(s));
}

std::unique_ptr<BodyReader> growingBodyReader(std::shared_ptr<StoreCore> core,
                                              std::shared_ptr<WriterImpl> writer, uint64_t offset) {
  auto s = std::make_shared<GrowingState>();
  s->core = std::move(core);
  s->writer = std::move(writer);
  s->pos = offset;
  return std::make_unique<GrowingReader>(std::move(s));
}

std::unique_ptr<BodyReader> failedBodyReader() { return std::make_unique<FailedReader>(); }

}  // namespace tollgate::cache
