#pragma once
// What an ObjectStore shares with the writers and readers it hands out: the configuration, the
// disk threads, and the index, the writers in flight and the counters under one lock. Writers
// and readers hold it by shared_ptr, so one kept past ~ObjectStore() stays safe: it fails
// (begin() false, reads Failed) instead of touching freed memory.
//
// Locking: `mutex` guards index, inflight and the counters. It is held for O(1) work (hash
// lookups, list splices; purgeHost: the host's objects) and never around I/O or
// EventLoop::post(). One mutex rather than shards: the disk and memory limits are global LRUs,
// and sharding them would make eviction approximate for little gain at these hold times.
// Lock order: a WriterImpl's mutex may be held when taking StoreCore::mutex, never the reverse
// (claim() reads a writer's state through an atomic for that reason).
#include <sys/types.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daemon/cache/disk_threads.h"
#include "daemon/cache/object_index.h"
#include "daemon/cache/object_store.h"

namespace tollgate::cache {

class WriterImpl;

// Whole-buffer file I/O for disk threads, retrying EINTR and short transfers. pwriteAll: false
// with errno set. preadAll: the bytes read (fewer only at end of file), or -1 with errno set.
bool pwriteAll(int fd, std::string_view bytes, uint64_t offset);
// The pwrite() that pwriteAll calls: ::pwrite, or in tests a function that scripts ENOSPC
// (STYLE.md: syscalls the tests must script go through a thin seam).
using PwriteFn = ssize_t (*)(int fd, const void* buf, size_t size, off_t offset);
extern std::atomic<PwriteFn> storePwrite;
int64_t preadAll(int fd, char* out, size_t size, uint64_t offset);
std::string errnoText(int err);  // strerror, thread-safe

struct StoreCore {
  explicit StoreCore(StoreConfig c);

  const StoreConfig config;
  DiskThreads disk;
  std::atomic<bool> opened{false};  // open() succeeded: writers may begin
  std::atomic<bool> closed{false};  // ~ObjectStore() started
  std::atomic<uint64_t> nextId{1};
  // Bounded by maxWriting and totalBacklogMax: atomics, so that begin() and append() check them
  // without the index lock. Sums of what each WriterImpl holds (see there).
  std::atomic<uint64_t> begun{0};         // writers in State::Writing
  std::atomic<uint64_t> backlogBytes{0};  // their backlog_: appended, not yet written

  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  mutable std::mutex mutex;
  ObjectIndex index;  // guarded by mutex, as is everything down to the next blank line
  std::unordered_map<std::string, std::shared_ptr<WriterImpl>, Hash, std::equal_to<>> inflight;
  uint64_t droppedCorrupt = 0;
  uint64_t droppedTmp = 0;
  uint64_t writeFailures = 0;
  uint64_t abandoned = 0;
  uint64_t refusedBusy = 0;
  uint64_t backlogGiveUps = 0;

  std::string path(std::string_view relative) const;  // config.dir + "/" + relative
  std::string objectPath(uint64_t id) const;
  std::string tmpPath(uint64_t id) const;

  // Unlinks object files: unlinkLater posts the work to a disk thread (or does it here once the
  // disk threads are gone: only at shutdown); unlinkNow is for code already on a disk thread.
  void unlinkLater(std::vector<uint64_t> ids);
  void unlinkNow(const std::vector<uint64_t>& ids) const;

  // --- writers -----------------------------------------------------------------------------------
  // A writer begins: takes one of maxWriting places, unless they are all taken or the total
  // backlog is at totalBacklogMax (false: the store is busy). endWriting() gives it back.
  bool tryBeginWriting();
  void endWriting();
  // Adds `bytes` to the total backlog unless that would take it over totalBacklogMax.
  bool tryAddBacklog(uint64_t bytes);
  void releaseBacklog(uint64_t bytes);
  // Counts a file of `fileSize` bytes about to be written against diskLimit, evicting to fit
  // (ObjectIndex::reserve).
  ObjectIndex::Reservation reserve(uint64_t fileSize);
  // Disk thread: a completed file is in objects/; index it (replacing the same key+variant,
  // evicting to fit, unlinking what goes) and end the writer's claim on the key.
  void publish(const WriterImpl* writer, const std::string& key, ObjectPtr object,
               uint64_t fileSize, uint32_t bodyCrc, std::shared_ptr<const std::string> body,
               uint64_t reserved);
  // How a writer ended without publishing, each its own counter: abandoned (not storable,
  // refused, short), writeFailures, refusedBusy, backlogGiveUps.
  enum class WriterEnd { Abandoned, Failed, Busy, GaveUp };
  // A writer that will not publish: releases its reservation and its claim on the key.
  void writerEnded(const WriterImpl* writer, const std::string& key, uint64_t reserved,
                   WriterEnd how);
  // Disk thread, after a write error: warns (at most once a minute), and after ENOSPC or
  // EDQUOT evicts `bytes` (the failed object's size) so that the next object has a chance.
  // (writerEnded counts it.)
  void writeFailed(const char* call, const std::string& path, int err, uint64_t bytes);

  // --- readers -----------------------------------------------------------------------------------
  // Disk thread: the body of `id` failed its CRC or is short: unindex, unlink, count.
  void dropCorrupt(uint64_t id);
  // Disk thread: a whole body read from disk and checked; keep it in the memory tier.
  void keepInMemory(uint64_t id, std::shared_ptr<const std::string> body);

  // --- refresh -----------------------------------------------------------------------------------
  // Disk thread: rewrites the metadata of `id` from its current index entry (so that of two
  // refreshes run out of order the last written is still the newest).
  void rewriteMeta(uint64_t id);

 private:
  // Under `mutex`: removes `writer`'s claim on `key` (if it still holds it) and hands it back,
  // to be released after the lock (it may be the last reference).
  std::shared_ptr<WriterImpl> takeClaimLocked(const WriterImpl* writer, const std::string& key);

  std::array<std::mutex, 16> rewriteLocks_;  // by id: one metadata rewrite per file at a time
  std::atomic<int64_t> lastWarningMs_{0};      // write errors
  std::atomic<int64_t> lastBusyWarningMs_{0};  // refusals and give-ups under load
};

}  // namespace tollgate::cache
