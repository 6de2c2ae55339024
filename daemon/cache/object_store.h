#pragma once
// The cache's storage: an index of stored HTTP responses shared by every worker, bodies in files
// under [cache] dir (a memory tier keeps small hot bodies in RAM too), and the disk threads that
// do every file operation, so that a worker never blocks on a disk.
//
// Threads: find/claim/purge/stats are called from workers and the control thread; they take a
// short lock on the index and never do I/O under it. Reads and writes run on the store's own
// disk threads and report back by EventLoop::post() to the loop that asked, so a callback always
// runs on the thread of the connection that made the request.
//
// On disk (one file per object, objects/XX/<16 hex id>): a fixed header, the body, then the
// metadata (key, variant, URL, status, stored fields, times) and a trailer with lengths and a
// CRC32C of header+metadata and of the body. A file is written under tmp/ and renamed into
// objects/ only when complete, so a crash leaves either a whole object or a tmp file (removed at
// open()). open() re-reads every object's header, metadata and trailer (not its body) and drops,
// and counts, any file that is short, long or whose metadata CRC fails. A body CRC mismatch is
// found while serving a whole body from disk: the last chunk is held back until the CRC over the
// whole body checks, so a corrupt body never reaches a client complete; it is then dropped.
//
// A response head refreshed by a 304 rewrites the metadata at the end of the same file (the
// body stays); an interrupted rewrite fails the CRC and the object is dropped at the next open.
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/cache/freshness.h"
#include "daemon/core/event_loop.h"
#include "daemon/inspect/http_head.h"

namespace tollgate::cache {

struct StoreConfig {
  std::string dir;  // created if missing (objects/, tmp/)
  // Disk space of object files; LRU beyond it. Each file counts as its size rounded up to a
  // whole number of 4 KiB blocks (kDiskBlock, the block of ext4 and xfs), which is what it
  // takes on the disk: a 1 KB object uses 4 KiB. Inodes and directories are not counted.
  // Objects being written count their reserved size too (see StoreStats::reservedBytes); those
  // reservations together take at most half of the limit, so an object whose file is over half
  // of diskLimit is never stored.
  uint64_t diskLimit = uint64_t{10} << 30;
  uint64_t memoryLimit = uint64_t{256} << 20;    // bytes of bodies kept in memory
  uint64_t memoryObjectMax = uint64_t{1} << 20;  // larger bodies are served from disk only
  uint64_t maxObjectSize = uint64_t{4} << 30;    // larger responses are never stored
  // Bytes appended but not yet written that one writer may hold; beyond it the store gives up
  // that object (the client's transfer goes on: storing never slows a client down).
  size_t writerBacklogMax = size_t{16} << 20;
  // The same across all writers: the memory that storing may hold when misses come faster than
  // the disk writes. begin() refuses while it is reached, and an append() that would take the
  // total over it gives that object up (StoreStats::refusedBusy, backlogGiveUps).
  uint64_t totalBacklogMax = uint64_t{64} << 20;
  // Writers begun and not ended (StoreStats::begun): begin() refuses while this many are. Each
  // holds a tmp file, a reservation and a place in the disk queue; this bounds all three, and
  // what ~ObjectStore() has to clean up.
  uint64_t maxWriting = 256;
  int diskThreads = 2;
};

// ObjectMeta::bodyLength at ObjectWriter::begin() for a body whose length is known only at its
// end (a chunked response): finish() fixes it. Joiners wait for Complete before reading such an
// object (they cannot frame what has no length yet).
inline constexpr uint64_t kUnknownLength = UINT64_MAX;

// The disk accounting unit: a file of n bytes counts as n rounded up to a multiple of this.
inline constexpr uint64_t kDiskBlock = 4096;

// What is known of a stored response without its body.
struct ObjectMeta {
  std::string key;      // primary key: the URL, or the store-ID key
  std::string variant;  // varyKey() of the request that fetched it; "" without Vary
  std::string url;      // the request URL ("http://host/path"), for purge and stats
  std::string host;     // lower-case host without port, for purge --host
  int status = 200;
  std::string reason;   // reason phrase as received
  StoredFields fields;  // storableFields() of the response (no hop-by-hop fields)
  uint64_t bodyLength = 0;
  int64_t requestTime = 0;   // unix seconds (RFC 9111 §4.2.3)
  int64_t responseTime = 0;
  // The original destination the response came from (not persisted). Collapsed forwarding
  // streams a growing object only to joiners bound for the same address; others wait until it
  // is complete, and so verified against its Host (no client can feed another its server's bytes
  // through the window before the Host is resolved).
  sockaddr_storage fetchedFrom{};
};

class StoredObject {
 public:
  StoredObject(uint64_t id, ObjectMeta meta, FreshnessInfo freshness);
  uint64_t id() const { return id_; }
  const ObjectMeta& meta() const { return meta_; }
  const FreshnessInfo& freshness() const { return freshness_; }
  // The body when the memory tier holds it, else null (read it with ObjectStore::openBody).
  std::shared_ptr<const std::string> memoryBody() const;

 private:
  friend class ObjectStore;
  friend class ObjectIndex;  // moves bodies in and out of the memory tier
  uint64_t id_;
  ObjectMeta meta_;
  FreshnessInfo freshness_;
  mutable std::atomic<std::shared_ptr<const std::string>> memoryBody_;
};
using ObjectPtr = std::shared_ptr<const StoredObject>;

// Reads one object's body (or a byte range of it) chunk by chunk on a disk thread.
class BodyReader {
 public:
  enum class Status { Ok, End, Corrupt, Failed };
  virtual ~BodyReader() = default;
  // Reads up to maxBytes at the current position and posts done(status, bytes) to `loop`.
  // Ok: bytes (non-empty) follow; End: nothing left (bytes empty); Corrupt: the whole-body CRC
  // failed (the object has been dropped; stop sending and reset the client); Failed: I/O error.
  // One call at a time. For an object still being written (collapsed forwarding) a read at the
  // written end waits for more bytes instead of returning End.
  // done is always posted, never called from inside next(). Destroy a reader on the thread of
  // the loop it posts to: that cancels it (a result already posted is dropped, not delivered).
  virtual void next(size_t maxBytes, EventLoop& loop,
                    std::function<void(Status, std::string)> done) = 0;
};

// One response being stored. Created by ObjectStore::claim() before the response is known; the
// fetching connection then either begins it (the response is storable) or abandons it.
class ObjectWriter {
 public:
  enum class State { Waiting, Writing, Complete, Abandoned, Failed };
  virtual ~ObjectWriter() = default;

  // --- the fetching worker ---
  // The response head is here and storable; bodyLength is its Content-Length. False when the
  // store will not take it (too large, busy: see StoreStats::refusedBusy, store closed): call
  // nothing else then.
  virtual bool begin(ObjectMeta meta, FreshnessInfo freshness) = 0;
  // Copies body bytes. Never blocks; false when storing stopped (backlog over
  // writerBacklogMax or totalBacklogMax, write error, more bytes than bodyLength): the relay to
  // the client simply goes on without the store.
  virtual bool append(std::string_view bytes) = 0;
  // All bodyLength bytes appended: the disk thread completes the file and publishes the object.
  // Called with fewer bytes appended, it abandons instead.
  virtual void finish() = 0;
  // Not storable, or the transfer failed: joiners are released to fetch for themselves.
  virtual void abandon(const char* reason) = 0;

  // --- joiners (collapsed forwarding), any worker ---
  virtual State state() const = 0;
  // The object as begun (meta and freshness), once state() is Writing or Complete.
  virtual ObjectPtr object() const = 0;
  // Calls wake on `loop` (one-shot) at the next change of state() or of the bytes written.
  // When state() is already Complete, Abandoned or Failed, wake is posted at once.
  virtual void onProgress(EventLoop& loop, std::function<void()> wake) = 0;
};
// The fetcher's WriterPtr: when its last copy goes without finish() or abandon(), the write is
// abandoned (joiners are released). Joiners' copies do not keep a write going.
using WriterPtr = std::shared_ptr<ObjectWriter>;

// Gauges (what is now) and counters (since the store was made). The index's figures (objects,
// diskBytes, reservedBytes, memory) and `writing` are taken under one lock, so they agree with
// each other; begun and backlogBytes are read in the same call. objects and diskBytes are the
// index's, not the directory's.
// At any moment the directory also holds the tmp files of begun writers (at most maxWriting)
// and, briefly, files already unindexed whose unlink is queued on a disk thread.
struct StoreStats {
  uint64_t objects = 0;    // indexed objects (what find() can return)
  uint64_t diskBytes = 0;  // their files, each rounded up to kDiskBlock (see diskLimit)
  uint64_t memoryBytes = 0;
  uint64_t memoryObjects = 0;
  // Claims in flight: fetches that claimed a key (claim()) and have not ended, whether still
  // waiting for their response (Waiting) or begun (Writing). Joiners follow these.
  uint64_t writing = 0;
  uint64_t begun = 0;         // of those, begun and not ended (Writing); at most maxWriting
  uint64_t backlogBytes = 0;  // appended by begun writers, not yet written; <= totalBacklogMax
  // Disk space set aside for the files of begun writers whose length is known (a chunked body
  // reserves only its metadata): counted against diskLimit with diskBytes, so that a large
  // object makes room before it is written; at most half of diskLimit, so that writes in
  // flight never evict the stored objects down to nothing. Released when the writer ends
  // (published: its file is then in diskBytes).
  uint64_t reservedBytes = 0;
  uint64_t evictions = 0;
  uint64_t droppedCorrupt = 0;   // at open() and while serving
  uint64_t droppedTmp = 0;       // unfinished files removed at open()
  uint64_t writeFailures = 0;    // ENOSPC and other write errors
  uint64_t abandoned = 0;        // claims not stored: abandon(), begin() refused, short body
  // begin() refused because the store is busy writing: maxWriting writers begun,
  // totalBacklogMax reached, or reservations at half of diskLimit. Not in `abandoned`.
  uint64_t refusedBusy = 0;
  // Objects given up because the disk did not keep up: an append() over writerBacklogMax or
  // totalBacklogMax. Not in writeFailures.
  uint64_t backlogGiveUps = 0;
  uint64_t replaced = 0;         // objects superseded by a newer one of the same key+variant
  uint64_t memoryEvictions = 0;  // bodies dropped from the memory tier (the file stays)
};

class ObjectStore {
 public:
  explicit ObjectStore(StoreConfig config);
  // Stops the disk threads without writing out what is queued: every writer not complete is
  // abandoned, finished or not, unless its completion has started (every byte written; the
  // metadata and rename are done before it returns). Queued reads and metadata rewrites still
  // run. Completions may still be posted while it runs: the loops must outlive it. Writers and
  // readers kept after it are safe to use and fail.
  ~ObjectStore();
  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;

  // Control plane, before any worker uses the store: creates the directories, removes tmp/,
  // indexes objects/ (dropping bad files), evicts down to the limits, starts the disk threads.
  // Throws std::runtime_error "cache dir PATH: reason" when the directory is unusable.
  void open();

  // The stored response for `key` whose variant matches this request, or null. Updates LRU.
  // The variant is computed with varyKey() from the stored response's Vary and `request`.
  ObjectPtr find(std::string_view key, const inspect::RequestHead& request);

  struct Claim {
    WriterPtr writer;  // you fetch: begin()/append()/finish() or abandon() it
    WriterPtr joined;  // someone else is fetching `key`: follow it (state(), onProgress, openBody)
  };
  // A miss: claim the fetch of `key`, or join the one in flight (exactly one of the two is set).
  // Claims are by key only: a joiner whose request selects another variant (compare
  // object()->meta().variant with varyKey() of its request) must fetch for itself.
  Claim claim(std::string_view key);

  // Reader over [offset, offset + length) of the body of `object` (length UINT64_MAX: to the
  // end). From memory when the tier holds it; else from the file on a disk thread. A reader of
  // the whole body (offset 0, to the end) checks the body CRC (see above). An object no longer
  // indexed and not in memory gives a reader whose first next() is Failed.
  std::unique_ptr<BodyReader> openBody(const ObjectPtr& object, uint64_t offset, uint64_t length);
  // Reader over the body of an object still being written by `writer` (collapsed forwarding).
  std::unique_ptr<BodyReader> openGrowingBody(const WriterPtr& writer, uint64_t offset);

  // Replaces the stored fields after a 304 (updateFrom304 done by the caller); the metadata is
  // rewritten on a disk thread. Returns the refreshed object (same body; meta().responseTime
  // becomes freshness.responseTime). An object no longer indexed is returned refreshed but not
  // stored.
  ObjectPtr refresh(const ObjectPtr& object, StoredFields fields, FreshnessInfo freshness);

  // Drops objects: one key (every variant), every key of a host, or by URL for §4.4 invalidation
  // (same as key when no store-ID rule rewrote it). Returns how many objects went.
  size_t purgeKey(std::string_view key);
  size_t purgeHost(std::string_view host);
  // Drops one object whose body turned out corrupt (BodyReader does it itself).
  void drop(const ObjectPtr& object);

  StoreStats stats() const;
  const StoreConfig& config() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tollgate::cache
