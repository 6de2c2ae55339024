#include "daemon/cache/store_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "daemon/cache/object_file.h"
#include "daemon/cache/store_core.h"
#include "daemon/core/event_loop.h"

namespace tollgate::cache {

WriterImpl::WriterImpl(std::shared_ptr<StoreCore> core, std::string key, uint64_t id)
    : core_(std::move(core)), key_(std::move(key)), id_(id) {}

WriterImpl::~WriterImpl() {
  // Only reached with the file still open if the disk threads stopped before the cleanup job
  // could run; the tmp file itself is removed at the next open().
  if (fd_ >= 0) ::close(fd_);
}

WriterPtr WriterImpl::fetcherHandle(const std::shared_ptr<WriterImpl>& writer) {
  return WriterPtr(writer.get(), [writer](ObjectWriter*) { writer->abandonUnlessFinishing(); });
}

std::shared_ptr<WriterImpl> WriterImpl::from(const WriterPtr& writer) {
  auto* impl = dynamic_cast<WriterImpl*>(writer.get());
  return impl == nullptr ? nullptr : impl->shared_from_this();
}

bool WriterImpl::begin(ObjectMeta meta, FreshnessInfo freshness) {
  Waiters wake;
  uint64_t reserved = 0;
  StoreCore::WriterEnd how = StoreCore::WriterEnd::Abandoned;
  bool ok = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (state_ != State::Waiting) return false;
    const StoreConfig& config = core_->config;
    // Too large, store not open or closing, metadata over kMetaMax; then busy (every place
    // among the begun writers taken, or the total backlog full), then over the disk limit.
    const bool unknown = meta.bodyLength == kUnknownLength;
    ok = core_->opened && !core_->closed && (unknown || meta.bodyLength <= config.maxObjectSize);
    if (ok) {
      metaBytes_ = encodeMeta(meta, freshness);
      ok = metaBytes_.size() <= kMetaMax;
    }
    if (ok && !core_->tryBeginWriting()) {
      ok = false;
      how = StoreCore::WriterEnd::Busy;
    }
    // A body of unknown length reserves nothing for itself: it is accounted when published.
    uint64_t fileSize =
        kHeaderSize + (unknown ? 0 : meta.bodyLength) + metaBytes_.size() + kTrailerSize;
    if (ok) {
      // After the busy checks: a refused writer must not evict anything.
      ObjectIndex::Reservation r = core_->reserve(fileSize);
      if (r != ObjectIndex::Reservation::Ok) {
        core_->endWriting();
        ok = false;
        if (r == ObjectIndex::Reservation::Busy) how = StoreCore::WriterEnd::Busy;
      }
    }
    if (ok) {
      reserved_ = fileSize;
      bodyLength_ = meta.bodyLength;
      freshness_ = freshness;
      // Unknown length: copied while it stays small enough (drain() drops an outgrown copy).
      keepInMemory_ =
          unknown ? config.memoryObjectMax > 0
                  : bodyLength_ <= config.memoryObjectMax && bodyLength_ <= config.memoryLimit;
      object_ = std::make_shared<const StoredObject>(id_, std::move(meta), std::move(freshness));
      state_ = State::Writing;  // its place among the begun writers is given back by the end
      wake.swap(waiters_);
      // The first drain creates the tmp file right away, so joiners can open it.
      ok = scheduleDrainLocked();
    }
    if (!ok) reserved = endLocked(State::Abandoned, wake);
  }
  if (!ok) {
    settle(how, reserved, wake);
    return false;
  }
  wakeAll(wake);
  return true;
}

bool WriterImpl::append(std::string_view bytes) {
  Waiters wake;
  uint64_t reserved = 0;
  State to = State::Abandoned;
  StoreCore::WriterEnd how = StoreCore::WriterEnd::Abandoned;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (state_ != State::Writing || finishRequested_) return false;
    if (bytes.empty()) return true;
    const uint64_t limit =
        bodyLength_ == kUnknownLength ? core_->config.maxObjectSize : bodyLength_;
    if (bytes.size() > limit - appended_) {
      // more than Content-Length announced (or max_object_size): Abandoned
    } else if (backlog_ + bytes.size() > core_->config.writerBacklogMax ||
               !core_->tryAddBacklog(bytes.size())) {
      // The disk does not keep up: give the object up, never the client.
      to = State::Failed;
      how = StoreCore::WriterEnd::GaveUp;
    } else {
      queue_.emplace_back(bytes);
      backlog_ += bytes.size();
      appended_ += bytes.size();
      if (scheduleDrainLocked()) return true;
    }
    reserved = endLocked(to, wake);
    scheduleDrainLocked();  // removes the tmp file (or the drain already running will)
  }
  settle(how, reserved, wake);
  return false;
}

void WriterImpl::finish() {
  Waiters wake;
  uint64_t reserved = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (state_ != State::Writing || finishRequested_) return;
    if (bodyLength_ == kUnknownLength) {
      // The length is known now: the object and its metadata say so from here on.
      ObjectMeta meta = object_->meta();
      meta.bodyLength = appended_;
      metaBytes_ = encodeMeta(meta, freshness_);
      object_ = std::make_shared<const StoredObject>(id_, std::move(meta), freshness_);
      bodyLength_ = appended_;
    }
    if (appended_ == bodyLength_) {
      finishRequested_ = true;
      if (scheduleDrainLocked()) return;
    }
    // Short of Content-Length: a truncated transfer that the caller finished anyway.
    reserved = endLocked(State::Abandoned, wake);
    scheduleDrainLocked();
  }
  settle(StoreCore::WriterEnd::Abandoned, reserved, wake);
}

void WriterImpl::abandon(const char*) { abandonUnlessFinishing(); }

void WriterImpl::shutdown() {
  Waiters wake;
  uint64_t reserved = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    State s = state_;
    // complete() is running without the lock: it must not be ended under it.
    if ((s != State::Waiting && s != State::Writing) || completing_) return;
    reserved = endLocked(State::Abandoned, wake);
    if (s == State::Writing) scheduleDrainLocked();
  }
  settle(StoreCore::WriterEnd::Abandoned, reserved, wake);
}

void WriterImpl::abandonUnlessFinishing() {
  Waiters wake;
  uint64_t reserved = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    State s = state_;
    // After finish() only the drain ends the object (Complete or Failed): all bytes are in.
    if ((s != State::Waiting && s != State::Writing) || finishRequested_) return;
    reserved = endLocked(State::Abandoned, wake);
    if (s == State::Writing) scheduleDrainLocked();
  }
  settle(StoreCore::WriterEnd::Abandoned, reserved, wake);
}

ObjectPtr WriterImpl::object() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return object_;
}

void WriterImpl::onProgress(EventLoop& loop, std::function<void()> wake) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    State s = state_;
    if (s == State::Waiting || s == State::Writing) {
      waiters_.emplace_back(&loop, std::move(wake));
      return;
    }
  }
  loop.post(std::move(wake));
}

WriterImpl::ReadPoint WriterImpl::readPoint(uint64_t pos, EventLoop& loop,
                                            std::function<void()>& wake) {
  std::lock_guard<std::mutex> lock(mutex_);
  State s = state_;
  if (s == State::Abandoned || s == State::Failed) return {ReadPoint::Failed};
  // Every byte is in the file: the body is whole even if the rename is still to come (and
  // should it fail, the bytes served were still right).
  if (s != State::Waiting && pos >= bodyLength_ && written_ >= bodyLength_) {
    return {ReadPoint::End};
  }
  if (pos < written_) return {ReadPoint::Data, written_ - pos};
  waiters_.emplace_back(&loop, std::move(wake));
  return {ReadPoint::Wait};
}

int WriterImpl::openForRead() {
  std::string path;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (fd_ >= 0) return ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);
    if (state_ != State::Complete) return -1;
    path = core_->objectPath(id_);
  }
  return ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
}

uint64_t WriterImpl::endLocked(State to, Waiters& wake) {
  if (state_ == State::Writing) core_->endWriting();
  state_ = to;
  queue_.clear();
  // The batch drain() may be writing is given back now too: drain() stops at its next chunk.
  core_->releaseBacklog(backlog_);
  backlog_ = 0;
  for (Waiter& w : waiters_) wake.push_back(std::move(w));
  waiters_.clear();
  uint64_t reserved = reserved_;
  reserved_ = 0;
  return reserved;
}

void WriterImpl::settle(StoreCore::WriterEnd how, uint64_t reserved, Waiters& wake) {
  core_->writerEnded(this, key_, reserved, how);
  wakeAll(wake);
}

bool WriterImpl::scheduleDrainLocked() {
  if (drainScheduled_) return true;
  drainScheduled_ = true;
  if (core_->disk.post([self = shared_from_this()] { self->drain(); })) return true;
  drainScheduled_ = false;  // the disk threads are gone (store destroyed)
  return false;
}

void WriterImpl::drain() {
  for (;;) {
    std::deque<std::string> batch;
    bool finishing = false;
    bool needOpen = false;
    bool ended = false;
    int endedFd = -1;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (state_ != State::Writing) {
        ended = true;  // abandoned or given up: the tmp file goes
        endedFd = fd_;
        fd_ = -1;
        drainScheduled_ = false;
      } else if (fd_ < 0) {
        needOpen = true;
      } else if (!queue_.empty()) {
        batch.swap(queue_);
      } else if (finishRequested_) {
        finishing = true;
        completing_ = true;
      } else {
        drainScheduled_ = false;  // the next append() schedules another run
        return;
      }
    }
    if (ended) {
      if (endedFd >= 0) {
        ::close(endedFd);
        if (!anonymous_) ::unlink(core_->tmpPath(id_).c_str());
      }
      return;
    }
    if (needOpen) {
      if (!openTmp()) return;
      continue;
    }
    if (finishing) {
      complete();
      return;
    }
    // fd_ and written_ change only on this strand, so reading them unlocked here is safe.
    uint64_t n = 0;
    for (const std::string& chunk : batch) {
      // Ended meanwhile (abandoned, given up, shutdown): the rest of the batch is not wanted.
      if (state_.load(std::memory_order_acquire) != State::Writing) break;
      if (!pwriteAll(fd_, chunk, kHeaderSize + written_ + n)) {
        fail("pwrite", errno);
        return;
      }
      crc_ = crc32cExtend(crc_, chunk.data(), chunk.size());
      if (keepInMemory_ && memoryCopy_.size() + chunk.size() > core_->config.memoryObjectMax) {
        keepInMemory_ = false;  // a body of unknown length outgrew the memory tier
        std::string().swap(memoryCopy_);
      }
      if (keepInMemory_) memoryCopy_ += chunk;
      n += chunk.size();
    }
    Waiters wake;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      written_ += n;
      uint64_t done = std::min(backlog_, n);  // 0 if ended meanwhile: endLocked took it all
      backlog_ -= done;
      core_->releaseBacklog(done);
      wake.swap(waiters_);
    }
    wakeAll(wake);
  }
}

bool WriterImpl::openTmp() {
  // One directory operation per stored object instead of three: at 1 KB objects the file
  // system's metadata work, not the bytes, is what a miss costs the machine.
  int fd = ::open(core_->path("tmp").c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  anonymous_ = fd >= 0;
  if (fd < 0) {
    std::string path = core_->tmpPath(id_);
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  }
  if (fd < 0) {
    fail("open", errno);
    return false;
  }
  if (!pwriteAll(fd, encodeHeader(id_), 0)) {
    int err = errno;
    ::close(fd);
    fail("pwrite", err);  // unlinks the tmp file
    return false;
  }
  if (keepInMemory_ && bodyLength_ != kUnknownLength) memoryCopy_.reserve(bodyLength_);
  std::lock_guard<std::mutex> lock(mutex_);
  fd_ = fd;
  return true;
}

void WriterImpl::complete() {
  std::string tail = encodeTail(encodeHeader(id_), metaBytes_, bodyLength_, crc_);
  if (!pwriteAll(fd_, tail, kHeaderSize + bodyLength_)) {
    fail("pwrite", errno);
    return;
  }
  // No fsync: a power cut can leave a renamed file with lost blocks, which its CRCs catch (at
  // open() for the metadata, when served for the body); an fsync per object would cost far
  // more than the few objects such a crash loses.
  std::string tmp = core_->tmpPath(id_);
  std::string path = core_->objectPath(id_);
  // linkat through /proc rather than AT_EMPTY_PATH, which needs CAP_DAC_READ_SEARCH.
  const std::string self = "/proc/self/fd/" + std::to_string(fd_);
  auto publishName = [&] {
    if (!anonymous_) return ::rename(tmp.c_str(), path.c_str());
    int r = ::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW);
    if (r != 0 && errno == EEXIST) {  // a leftover of an earlier run under this id: replace it
      ::unlink(path.c_str());
      r = ::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW);
    }
    return r;
  };
  int renamed = publishName();
  if (renamed != 0 && errno == ENOENT) {
    // The first object of its objects/XX directory (made on demand: 256 mkdirs at open() cost
    // a quarter second on a slow disk for directories that may never be used).
    std::string sub = path.substr(0, path.rfind('/'));
    if (::mkdir(sub.c_str(), 0700) == 0 || errno == EEXIST) renamed = publishName();
  }
  if (renamed != 0) {
    fail(anonymous_ ? "linkat" : "rename", errno);
    return;
  }
  std::shared_ptr<const std::string> body;
  if (keepInMemory_) body = std::make_shared<const std::string>(std::move(memoryCopy_));
  ObjectPtr object;
  uint64_t reserved = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    object = object_;
    reserved = reserved_;
    reserved_ = 0;
  }
  // Published before the state says Complete: a joiner woken by Complete finds it indexed.
  core_->publish(this, key_, std::move(object), kHeaderSize + bodyLength_ + tail.size(), crc_,
                 std::move(body), reserved);
  Waiters wake;
  int fd = -1;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    core_->endWriting();
    state_ = State::Complete;
    fd = fd_;
    fd_ = -1;
    drainScheduled_ = false;
    wake.swap(waiters_);
  }
  ::close(fd);
  wakeAll(wake);
}

void WriterImpl::fail(const char* call, int err) {
  Waiters wake;
  uint64_t reserved = 0;
  bool ended = false;
  int fd = -1;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (state_ == State::Writing) {
      reserved = endLocked(State::Failed, wake);
      ended = true;
    }
    fd = fd_;
    fd_ = -1;
    drainScheduled_ = false;
  }
  if (fd >= 0) ::close(fd);
  std::string path = core_->tmpPath(id_);
  if (!anonymous_) ::unlink(path.c_str());
  if (!ended) return;  // abandoned meanwhile: that end was counted already
  core_->writeFailed(call, path, err, reserved);
  settle(StoreCore::WriterEnd::Failed, reserved, wake);
}

void WriterImpl::wakeAll(Waiters& wake) {
  for (Waiter& w : wake) w.first->post(std::move(w.second));
  wake.clear();
}

}  // namespace tollgate::cache
