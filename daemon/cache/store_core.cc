#include "daemon/cache/store_core.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "daemon/cache/object_file.h"
#include "daemon/cache/store_writer.h"
#include "daemon/core/diag.h"
#include "daemon/core/event_loop.h"

namespace tollgate::cache {

std::atomic<PwriteFn> storePwrite{&::pwrite};

namespace {
// True at most once a minute per `last`, for warnings about conditions that repeat under load.
bool onceAMinute(std::atomic<int64_t>& last) {
  int64_t now = EventLoop::steadyMs();
  int64_t was = last.load(std::memory_order_relaxed);
  return now - was >= 60000 && last.compare_exchange_strong(was, now, std::memory_order_relaxed);
}
}  // namespace

bool pwriteAll(int fd, std::string_view bytes, uint64_t offset) {
  PwriteFn write = storePwrite.load(std::memory_order_relaxed);
  while (!bytes.empty()) {
    ssize_t n = write(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) {  // not expected from a regular file; do not spin on it
      errno = EIO;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return true;
}

int64_t preadAll(int fd, char* out, size_t size, uint64_t offset) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, out + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;  // end of file
    done += static_cast<size_t>(n);
  }
  return static_cast<int64_t>(done);
}

std::string errnoText(int err) {
  char buf[128];
  // GNU strerror_r returns the message (possibly static), not an int.
  return ::strerror_r(err, buf, sizeof buf);
}

StoreCore::StoreCore(StoreConfig c)
    : config(std::move(c)), index(ObjectIndex::Limits{config.diskLimit, config.memoryLimit}) {}

std::string StoreCore::path(std::string_view relative) const {
  std::string p = config.dir;
  p += '/';
  p += relative;
  return p;
}

std::string StoreCore::objectPath(uint64_t id) const { return path(objectRelPath(id)); }
std::string StoreCore::tmpPath(uint64_t id) const { return path(tmpRelPath(id)); }

void StoreCore::unlinkLater(std::vector<uint64_t> ids) {
  if (ids.empty()) return;
  std::vector<std::string> paths;
  paths.reserve(ids.size());
  for (uint64_t id : ids) paths.push_back(objectPath(id));
  auto job = [paths = std::move(paths)] {
    for (const std::string& p : paths) ::unlink(p.c_str());
  };
  if (!disk.post(job)) job();  // the disk threads are gone: we are shutting down
}

void StoreCore::unlinkNow(const std::vector<uint64_t>& ids) const {
  // ENOENT is fine: the file of an evicted object may already be gone, by purge or at open().
  for (uint64_t id : ids) ::unlink(objectPath(id).c_str());
}

bool StoreCore::tryBeginWriting() {
  if (backlogBytes.load(std::memory_order_relaxed) >= config.totalBacklogMax) return false;
  uint64_t n = begun.load(std::memory_order_relaxed);
  do {
    if (n >= config.maxWriting) return false;
  } while (!begun.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
  return true;
}

void StoreCore::endWriting() { begun.fetch_sub(1, std::memory_order_relaxed); }

bool StoreCore::tryAddBacklog(uint64_t bytes) {
  uint64_t n = backlogBytes.load(std::memory_order_relaxed);
  do {
    if (bytes > config.totalBacklogMax || n > config.totalBacklogMax - bytes) return false;
  } while (!backlogBytes.compare_exchange_weak(n, n + bytes, std::memory_order_relaxed));
  return true;
}

void StoreCore::releaseBacklog(uint64_t bytes) {
  if (bytes > 0) backlogBytes.fetch_sub(bytes, std::memory_order_relaxed);
}

ObjectIndex::Reservation StoreCore::reserve(uint64_t fileSize) {
  std::vector<uint64_t> gone;
  ObjectIndex::Reservation r;
  {
    std::lock_guard<std::mutex> lock(mutex);
    r = index.reserve(fileSize, gone);
  }
  unlinkLater(std::move(gone));
  return r;
}

std::shared_ptr<WriterImpl> StoreCore::takeClaimLocked(const WriterImpl* writer,
                                                       const std::string& key) {
  std::shared_ptr<WriterImpl> claim;
  auto it = inflight.find(key);
  if (it != inflight.end() && it->second.get() == writer) {
    claim = std::move(it->second);
    inflight.erase(it);
  }
  return claim;
}

void StoreCore::publish(const WriterImpl* writer, const std::string& key, ObjectPtr object,
                        uint64_t fileSize, uint32_t bodyCrc,
                        std::shared_ptr<const std::string> body, uint64_t reserved) {
  std::vector<uint64_t> gone;
  std::shared_ptr<WriterImpl> claim;  // released after the lock: it may be the last reference
  {
    std::lock_guard<std::mutex> lock(mutex);
    claim = takeClaimLocked(writer, key);
    index.release(reserved);
    index.insert(std::move(object), fileSize, bodyCrc, std::move(body), gone);
  }
  unlinkNow(gone);
}

void StoreCore::writerEnded(const WriterImpl* writer, const std::string& key, uint64_t reserved,
                            WriterEnd how) {
  // `claim` is destroyed after the lock is released (declared first): ~WriterImpl takes no lock,
  // but it may close a file descriptor, which has no business under the index lock.
  std::shared_ptr<WriterImpl> claim;
  {
    std::lock_guard<std::mutex> lock(mutex);
    claim = takeClaimLocked(writer, key);
    index.release(reserved);
    switch (how) {
      case WriterEnd::Abandoned:
        ++abandoned;
        break;
      case WriterEnd::Failed:
        ++writeFailures;
        break;
      case WriterEnd::Busy:
        ++refusedBusy;
        break;
      case WriterEnd::GaveUp:
        ++backlogGiveUps;
        break;
    }
  }
  // A degraded mode (responses relayed, not stored) that the counters alone would hide.
  if ((how == WriterEnd::Busy || how == WriterEnd::GaveUp) && onceAMinute(lastBusyWarningMs_)) {
    diag::warning("cache: the disk does not keep up with the responses to store (at most " +
                  std::to_string(config.maxWriting) + " writers, " +
                  std::to_string(config.totalBacklogMax) + " bytes queued in all and " +
                  std::to_string(config.writerBacklogMax) +
                  " per writer); responses are relayed without being stored (counted in "
                  "refusedBusy and backlogGiveUps; this warning at most once a minute)");
  }
}

void StoreCore::writeFailed(const char* call, const std::string& path, int err, uint64_t bytes) {
  if (err == ENOSPC || err == EDQUOT) {
    std::vector<uint64_t> gone;
    {
      std::lock_guard<std::mutex> lock(mutex);
      index.evictBytes(bytes, gone);
    }
    unlinkNow(gone);
  }
  if (onceAMinute(lastWarningMs_)) {
    diag::warning("cache: " + std::string(call) + "(" + path + "): " + errnoText(err) +
                  "; object not stored (counted in writeFailures; this warning at most once a "
                  "minute)");
  }
}

void StoreCore::dropCorrupt(uint64_t id) {
  bool removed = false;
  {
    std::lock_guard<std::mutex> lock(mutex);
    removed = index.remove(id);
    if (removed) ++droppedCorrupt;
  }
  if (removed) unlinkNow({id});
}

void StoreCore::keepInMemory(uint64_t id, std::shared_ptr<const std::string> body) {
  std::lock_guard<std::mutex> lock(mutex);
  index.keepInMemory(id, std::move(body));
}

void StoreCore::rewriteMeta(uint64_t id) {
  // Taken before reading the entry: a later refresh's job then either runs after this one and
  // writes newer fields, or ran before and this one writes the newest fields again.
  std::lock_guard<std::mutex> fileLock(rewriteLocks_[id % rewriteLocks_.size()]);
  ObjectPtr object;
  uint32_t bodyCrc = 0;
  {
    std::lock_guard<std::mutex> lock(mutex);
    const ObjectIndex::Entry* entry = index.get(id);
    if (entry == nullptr) return;  // purged or evicted since: nothing to rewrite
    object = entry->object;
    bodyCrc = entry->bodyCrc;
  }
  uint64_t bodyEnd = kHeaderSize + object->meta().bodyLength;
  std::string meta = encodeMeta(object->meta(), object->freshness());
  std::string tail = encodeTail(encodeHeader(id), meta, object->meta().bodyLength, bodyCrc);
  std::string file = objectPath(id);
  int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;  // unlinked since (eviction, purge): nothing to keep consistent
  bool ok = meta.size() <= kMetaMax && pwriteAll(fd, tail, bodyEnd) &&
            ::ftruncate(fd, static_cast<off_t>(bodyEnd + tail.size())) == 0;
  int err = errno;
  ::close(fd);
  if (ok) {
    std::lock_guard<std::mutex> lock(mutex);
    index.setFileSize(id, bodyEnd + tail.size());
    return;
  }
  // The tail may be half written: the file would fail its CRC at the next open(). Drop it now
  // rather than serve an object that will vanish at restart.
  bool removed = false;
  {
    std::lock_guard<std::mutex> lock(mutex);
    removed = index.remove(id);
    if (removed) ++writeFailures;
  }
  ::unlink(file.c_str());
  writeFailed(meta.size() > kMetaMax ? "encode" : "pwrite", file,
              meta.size() > kMetaMax ? EFBIG : err, tail.size());
}

}  // namespace tollgate::cache
