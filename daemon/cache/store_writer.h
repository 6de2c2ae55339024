#pragma once
// The ObjectWriter the store hands out from claim(): one response being written to tmp/<id>,
// then renamed into objects/ and published. Followed by joiners (collapsed forwarding) through
// state(), onProgress() and growing readers.
//
// Threads: begin/append/finish/abandon run on the fetching worker and only queue work; every
// file operation runs in drain() on a disk thread. At most one drain() is scheduled or running
// per writer (drainScheduled_), so the writes of one object are sequential without holding a
// lock across I/O; the members marked "strand" are touched by drain() alone. Each drain()
// run is handed to the next through mutex_ (drainScheduled_) and the disk queue's mutex, which
// orders their accesses.
//
// Lifetime: the fetcher's WriterPtr is a handle whose last copy going away abandons an
// unfinished write (ownerGone), so a connection that dies without calling abandon() never
// leaves joiners waiting. Joiners' WriterPtrs are plain references.
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/cache/object_store.h"
#include "daemon/cache/store_core.h"

namespace tollgate::cache {

class WriterImpl final : public ObjectWriter, public std::enable_shared_from_this<WriterImpl> {
 public:
  WriterImpl(std::shared_ptr<StoreCore> core, std::string key, uint64_t id);
  ~WriterImpl() override;

  // The fetcher's handle (see Lifetime above).
  static WriterPtr fetcherHandle(const std::shared_ptr<WriterImpl>& writer);
  static std::shared_ptr<WriterImpl> from(const WriterPtr& writer);

  bool begin(ObjectMeta meta, FreshnessInfo freshness) override;
  bool append(std::string_view bytes) override;
  void finish() override;
  void abandon(const char* reason) override;
  State state() const override { return state_.load(std::memory_order_acquire); }
  ObjectPtr object() const override;
  // Already Complete, Abandoned or Failed: there is no next change, so wake is posted at once.
  void onProgress(EventLoop& loop, std::function<void()> wake) override;

  // ~ObjectStore(): abandons, finished or not, unless drain() has started completing it (every
  // byte written: the metadata and a rename are left, which the disk threads, running their
  // queue before they stop, do). Abandoning drops the queued bytes: nothing more is written.
  void shutdown();

  // For growing readers: what a reader at body offset `pos` can do now. Wait: nothing yet, and
  // `wake` (moved from) is registered as with onProgress(); otherwise `wake` is left alone.
  struct ReadPoint {
    enum Kind { Data, End, Failed, Wait } kind;
    uint64_t available = 0;  // Data: bytes readable at pos
  };
  ReadPoint readPoint(uint64_t pos, EventLoop& loop, std::function<void()>& wake);
  // Disk thread: a descriptor to pread the body from (the file being written, or once complete
  // the published file), or -1. The caller closes it.
  int openForRead();

 private:
  using Waiter = std::pair<EventLoop*, std::function<void()>>;
  using Waiters = std::vector<Waiter>;

  // With mutex_ held: leaves Waiting/Writing for `to`, giving back its place among the begun
  // writers and its backlog (queued bytes are dropped), taking the waiters to wake and the
  // reservation to release (returned; exactly one end takes it).
  uint64_t endLocked(State to, Waiters& wake);
  // Without mutex_: the bookkeeping of an end (reservation, claim, counter), then the wakes.
  void settle(StoreCore::WriterEnd how, uint64_t reserved, Waiters& wake);
  void abandonUnlessFinishing();
  bool scheduleDrainLocked();
  void drain();
  bool openTmp();
  void complete();
  void fail(const char* call, int err);
  static void wakeAll(Waiters& wake);

  const std::shared_ptr<StoreCore> core_;
  const std::string key_;
  const uint64_t id_;

  mutable std::mutex mutex_;
  std::atomic<State> state_{State::Waiting};  // written under mutex_, read anywhere
  ObjectPtr object_;                          // set by begin()
  std::string metaBytes_;                     // encoded at begin(), written by complete()
  uint64_t bodyLength_ = 0;     // kUnknownLength until finish() for a chunked body
  FreshnessInfo freshness_;     // kept to re-encode the metadata when the length is fixed
  uint64_t reserved_ = 0;  // bytes counted against diskLimit until published or ended
  bool keepInMemory_ = false;
  bool finishRequested_ = false;
  bool completing_ = false;  // drain() is in complete(): only it ends the writer now
  bool drainScheduled_ = false;
  std::deque<std::string> queue_;  // appended, not yet taken by drain()
  // Appended, not yet written (queue_ and the batch drain() is writing); its sum over writers
  // is StoreCore::backlogBytes.
  uint64_t backlog_ = 0;
  uint64_t appended_ = 0;
  uint64_t written_ = 0;  // in the file, readable with pread
  int fd_ = -1;           // the tmp file; set and closed by drain() under mutex_
  // The tmp file has no name (O_TMPFILE): nothing to unlink on failure, a crash leaves nothing
  // behind, and completion is one linkat() instead of a create in tmp/ plus a rename. False on
  // filesystems without O_TMPFILE, which get the named file in tmp/.
  bool anonymous_ = false;
  Waiters waiters_;

  // strand
  uint32_t crc_ = 0;
  std::string memoryCopy_;
};

}  // namespace tollgate::cache
