// Spec of the object store's bounds (object_store.h, StoreConfig): the disk limit in whole
// blocks and what writes in flight may take of it, the memory tier's limit, the writers' backlog
// and count under a disk that does not keep up, write errors, and a shutdown that does not
// write out what is queued. Every bound refuses or gives an object up; none slows a client.
#include <gtest/gtest.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "daemon/cache/object_file.h"
#include "daemon/cache/object_store.h"
#include "daemon/cache/store_core.h"
#include "daemon/cache/store_writer.h"
#include "tests/unit/cache/store_test_support.h"

namespace tollgate::cache {
namespace {

using namespace testing;
using State = ObjectWriter::State;
using Status = BodyReader::Status;

class StoreLimitsTest : public StoreFixture {
 protected:
  // Claims `key` and begins a body of `length` bytes; the writer, or null when refused.
  static WriterPtr begun(ObjectStore& store, const std::string& key, uint64_t length) {
    ObjectStore::Claim c = store.claim(key);
    EXPECT_TRUE(c.writer) << key;
    if (!c.writer || !c.writer->begin(makeMeta(key, length), makeFreshness())) return nullptr;
    return c.writer;
  }
  // The disk usage of the files in objects/, as the limit counts it.
  uint64_t objectFilesOnDisk() const {
    uint64_t total = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(objectsDir())) {
      if (e.is_regular_file()) total += onDisk(e.file_size());
    }
    return total;
  }
};

// A disk that does not keep up: every store write at or past `from` waits at the gate until it
// opens. Bytes written once it is open are counted. Namespace-level state: a disk thread may
// still be leaving gatedPwrite() when a WriteGate is destroyed.
std::mutex gateMutex;
std::condition_variable gateChanged;
bool gateClosed = false;
off_t gateFrom = 0;
int gateHeld = 0;  // writes waiting at the gate
std::atomic<uint64_t> bytesWritten{0};

ssize_t gatedPwrite(int fd, const void* buf, size_t size, off_t offset) {
  {
    std::unique_lock<std::mutex> lock(gateMutex);
    if (offset >= gateFrom) {
      ++gateHeld;
      gateChanged.notify_all();
      gateChanged.wait(lock, [] { return !gateClosed; });
      --gateHeld;
    }
  }
  ssize_t n = ::pwrite(fd, buf, size, offset);
  if (n > 0) bytesWritten += static_cast<uint64_t>(n);
  return n;
}

// Declare it after the store: the store's destructor waits for its disk threads, which the
// gate must have let go first.
class WriteGate {
 public:
  explicit WriteGate(off_t from = 0) {
    std::lock_guard<std::mutex> lock(gateMutex);
    gateClosed = true;
    gateFrom = from;
    storePwrite = &gatedPwrite;
  }
  ~WriteGate() {
    open();
    storePwrite = &::pwrite;
  }
  void open() {
    {
      std::lock_guard<std::mutex> lock(gateMutex);
      gateClosed = false;
    }
    gateChanged.notify_all();
  }
  // Waits until a write is held at the gate; false when none came.
  bool holding() {
    std::unique_lock<std::mutex> lock(gateMutex);
    return gateChanged.wait_for(lock, waitLimit(), [] { return gateHeld > 0; });
  }
};

// --- the disk limit ------------------------------------------------------------------------------

TEST_F(StoreLimitsTest, DiskLimitEvictsTheLeastRecentlyUsed) {
  std::string body = pattern(2000, 9);
  uint64_t each = onDisk(fileSize(makeMeta("http://example.com/1", 0), body.size()));
  StoreConfig c = config();
  c.diskLimit = 3 * each + each / 2;
  auto store = openStore(c);
  for (const char* key : {"http://example.com/1", "http://example.com/2", "http://example.com/3"}) {
    ASSERT_EQ(storeBody(*store, lt_, makeMeta(key, 0), body), State::Complete);
  }
  uint64_t second = findPlain(*store, "http://example.com/2")->id();
  ASSERT_TRUE(findPlain(*store, "http://example.com/1"));  // used: 2 is now the oldest
  ASSERT_TRUE(findPlain(*store, "http://example.com/3"));
  ASSERT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/4", 0), body), State::Complete);
  StoreStats s = store->stats();
  EXPECT_EQ(s.evictions, 1u);
  EXPECT_EQ(s.objects, 3u);
  EXPECT_LE(s.diskBytes, c.diskLimit);
  EXPECT_FALSE(findPlain(*store, "http://example.com/2"));
  for (const char* key : {"http://example.com/1", "http://example.com/3", "http://example.com/4"}) {
    EXPECT_TRUE(findPlain(*store, key)) << key;
  }
  EXPECT_TRUE(eventually([&] { return !exists(fileOf(second)); }));
}

TEST_F(StoreLimitsTest, AnObjectOverHalfTheDiskLimitIsNotStored) {
  StoreConfig c = config();
  c.diskLimit = 4 * kDiskBlock;
  auto store = openStore(c);
  EXPECT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/x", 0), pattern(2 * kDiskBlock)),
            State::Abandoned);  // three blocks with its metadata: over half
  EXPECT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/y", 0), pattern(kDiskBlock)),
            State::Complete);
  StoreStats s = store->stats();
  EXPECT_EQ(s.abandoned, 1u);
  EXPECT_EQ(s.refusedBusy, 0u);  // not a matter of load: it never fits
  EXPECT_EQ(s.objects, 1u);
}

TEST_F(StoreLimitsTest, EachFileCountsAsWholeBlocks) {
  StoreConfig c = config();
  c.diskLimit = 8 * kDiskBlock;
  auto store = openStore(c);
  // About 1.2 KB each with their metadata: twelve fit in 32 KiB by bytes, eight by blocks.
  for (int i = 0; i < 12; ++i) {
    ASSERT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/" + std::to_string(i), 0),
                        pattern(1000, i)),
              State::Complete);
  }
  StoreStats s = store->stats();
  EXPECT_EQ(s.objects, 8u);
  EXPECT_EQ(s.evictions, 4u);
  EXPECT_EQ(s.diskBytes, 8 * kDiskBlock);
  EXPECT_FALSE(findPlain(*store, "http://example.com/3"));
  EXPECT_TRUE(findPlain(*store, "http://example.com/4"));
  // What the store counts is what its files take on the disk.
  EXPECT_TRUE(eventually([&] { return objectFilesOnDisk() == s.diskBytes; }));
}

TEST_F(StoreLimitsTest, OpenCountsEachFileAsWholeBlocks) {
  {
    auto store = openStore(config());
    for (int i = 0; i < 6; ++i) {
      ASSERT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/" + std::to_string(i), 0),
                          pattern(1000, i)),
                State::Complete);
    }
  }
  StoreConfig c = config();
  c.diskLimit = 4 * kDiskBlock;  // 7 KB of files by bytes, 24 KiB by blocks
  auto store = openStore(c);
  StoreStats s = store->stats();
  EXPECT_EQ(s.objects, 4u);
  EXPECT_EQ(s.evictions, 2u);
  EXPECT_EQ(s.diskBytes, 4 * kDiskBlock);
  EXPECT_EQ(filesIn(objectsDir()), 4u);  // open() unlinks what it evicts before it returns
}

TEST_F(StoreLimitsTest, WritesInFlightDoNotEvictTheStoredObjects) {
  StoreConfig c = config();
  c.diskLimit = 10 * kDiskBlock;
  auto store = openStore(c);
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/s" + std::to_string(i), 0),
                        pattern(1000, i)),
              State::Complete);
  }
  // Ten writers of a block each, queued behind a slow disk: reservations may take half the
  // limit, so five begin and five are refused, and the four stored objects all stay.
  std::vector<WriterPtr> writers;
  int refused = 0;
  for (int i = 0; i < 10; ++i) {
    WriterPtr w = begun(*store, "http://example.com/w" + std::to_string(i), 1000);
    if (w) {
      writers.push_back(w);
    } else {
      ++refused;
    }
  }
  StoreStats s = store->stats();
  EXPECT_EQ(writers.size(), 5u);
  EXPECT_EQ(refused, 5);
  EXPECT_EQ(s.refusedBusy, 5u);
  EXPECT_EQ(s.abandoned, 0u);
  EXPECT_EQ(s.evictions, 0u);
  EXPECT_EQ(s.objects, 4u);
  EXPECT_EQ(s.diskBytes, 4 * kDiskBlock);
  EXPECT_EQ(s.reservedBytes, 5 * kDiskBlock);
  EXPECT_LE(s.diskBytes + s.reservedBytes, c.diskLimit);
  EXPECT_EQ(s.begun, 5u);
  EXPECT_EQ(s.writing, 5u);  // the refused writers' claims are gone
  for (WriterPtr& w : writers) w->abandon("test");
  s = store->stats();
  EXPECT_EQ(s.reservedBytes, 0u);
  EXPECT_EQ(s.begun, 0u);
  EXPECT_EQ(s.writing, 0u);
  EXPECT_EQ(s.objects, 4u);
}

TEST_F(StoreLimitsTest, MemoryTierStaysWithinItsLimitAndKeepsTheDiskCopy) {
  StoreConfig c = config();
  c.memoryLimit = 2500;
  c.memoryObjectMax = 1024;
  auto store = openStore(c);
  std::string bodies[] = {pattern(1000, 1), pattern(1000, 2), pattern(1000, 3)};
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(
        storeBody(*store, lt_, makeMeta("http://example.com/" + std::to_string(i), 0), bodies[i]),
        State::Complete);
  }
  StoreStats s = store->stats();
  EXPECT_EQ(s.memoryObjects, 2u);
  EXPECT_EQ(s.memoryBytes, 2000u);
  EXPECT_EQ(s.memoryEvictions, 1u);
  EXPECT_EQ(s.objects, 3u);
  ObjectPtr first = findPlain(*store, "http://example.com/0");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->memoryBody(), nullptr);
  EXPECT_EQ(readWhole(*store, first), bodies[0]);
}

// --- the writers' backlog and count -------------------------------------------------------------

TEST_F(StoreLimitsTest, AnOverflowingBacklogGivesTheObjectUpAtOnce) {
  StoreConfig c = config();
  c.writerBacklogMax = 65536;
  auto store = openStore(c);
  ObjectStore::Claim claim = store->claim("http://example.com/slow");
  ASSERT_TRUE(claim.writer->begin(makeMeta("http://example.com/slow", 1 << 20), makeFreshness()));
  std::string chunk = pattern(100000);
  EXPECT_FALSE(claim.writer->append(chunk));  // over the backlog: refused, not waited for
  EXPECT_EQ(claim.writer->state(), State::Failed);
  EXPECT_FALSE(claim.writer->append("more"));
  claim.writer->finish();  // harmless once given up
  StoreStats s = store->stats();
  EXPECT_EQ(s.backlogGiveUps, 1u);
  EXPECT_EQ(s.writeFailures, 0u);  // the disk did not fail: it was slow
  EXPECT_EQ(s.writing, 0u);
  EXPECT_EQ(s.backlogBytes, 0u);
  EXPECT_FALSE(findPlain(*store, "http://example.com/slow"));
  EXPECT_TRUE(eventually([&] { return filesIn(tmpDir()) == 0; }));
}

TEST_F(StoreLimitsTest, BeginIsRefusedWhileMaxWritingWritersAreBegun) {
  StoreConfig c = config();
  c.maxWriting = 2;
  auto store = openStore(c);
  WriterPtr a = begun(*store, "http://example.com/a", 3);
  WriterPtr b = begun(*store, "http://example.com/b", 3);
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  ObjectStore::Claim third = store->claim("http://example.com/c");
  EXPECT_FALSE(third.writer->begin(makeMeta("http://example.com/c", 3), makeFreshness()));
  EXPECT_EQ(third.writer->state(), State::Abandoned);  // its joiners fetch for themselves
  StoreStats s = store->stats();
  EXPECT_EQ(s.refusedBusy, 1u);
  EXPECT_EQ(s.abandoned, 0u);
  EXPECT_EQ(s.begun, 2u);
  // An end gives the place back: abandoned, or completed.
  a->abandon("test");
  WriterPtr d = begun(*store, "http://example.com/d", 3);
  ASSERT_TRUE(d);
  ASSERT_TRUE(b->append("bbb"));
  b->finish();
  EXPECT_EQ(waitForEnd(lt_, b), State::Complete);
  EXPECT_EQ(store->stats().begun, 1u);
  EXPECT_TRUE(begun(*store, "http://example.com/e", 3));
}

TEST_F(StoreLimitsTest, TheTotalBacklogRefusesBeginAndGivesUpAnAppendOverIt) {
  StoreConfig c = config();
  c.totalBacklogMax = 100000;
  auto store = openStore(c);
  WriteGate gate;  // after the store: opened before the store waits for its disk threads
  WriterPtr a = begun(*store, "http://example.com/a", 100000);
  WriterPtr b = begun(*store, "http://example.com/b", 100000);
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  std::string body = pattern(100000);
  ASSERT_TRUE(a->append(std::string_view(body).substr(0, 60000)));
  // Each writer is far under writerBacklogMax; together they would pass totalBacklogMax.
  EXPECT_FALSE(b->append(std::string_view(body).substr(0, 60000)));
  EXPECT_EQ(b->state(), State::Failed);
  ASSERT_TRUE(a->append(std::string_view(body).substr(60000)));  // up to the cap exactly
  StoreStats s = store->stats();
  EXPECT_EQ(s.backlogGiveUps, 1u);
  EXPECT_EQ(s.writeFailures, 0u);
  EXPECT_EQ(s.backlogBytes, 100000u);
  // The cap reached, nothing new begins until the disk catches up.
  ObjectStore::Claim refused = store->claim("http://example.com/c");
  EXPECT_FALSE(refused.writer->begin(makeMeta("http://example.com/c", 10), makeFreshness()));
  EXPECT_EQ(store->stats().refusedBusy, 1u);
  a->finish();
  gate.open();
  EXPECT_EQ(waitForEnd(lt_, a), State::Complete);
  EXPECT_EQ(readWhole(*store, findPlain(*store, "http://example.com/a")), body);
  s = store->stats();
  EXPECT_EQ(s.backlogBytes, 0u);
  EXPECT_EQ(s.begun, 0u);
  EXPECT_TRUE(begun(*store, "http://example.com/c", 10));
}

// --- write errors --------------------------------------------------------------------------------

TEST_F(StoreLimitsTest, AWriteErrorGivesTheObjectUpAndIsCounted) {
  auto store = openStore(config());
  std::filesystem::remove_all(tmpDir());  // every open() of a tmp file now fails
  EXPECT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/e", 0), pattern(1000)),
            State::Failed);
  // Counted by the disk thread just after the state changed.
  EXPECT_TRUE(eventually([&] { return store->stats().writeFailures == 1; }));
  EXPECT_TRUE(eventually([&] { return store->stats().writing == 0; }));
  EXPECT_FALSE(findPlain(*store, "http://example.com/e"));
  // The store goes on: once the directory is back, objects are stored again.
  std::filesystem::create_directory(tmpDir());
  EXPECT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/e", 0), pattern(1000)),
            State::Complete);
}

// A full disk: every write past an object's header fails with ENOSPC.
ssize_t fullDiskPwrite(int fd, const void* buf, size_t size, off_t offset) {
  if (offset >= static_cast<off_t>(kHeaderSize)) {
    errno = ENOSPC;
    return -1;
  }
  return ::pwrite(fd, buf, size, offset);
}

TEST_F(StoreLimitsTest, ADiskFullGivesTheObjectUpAndEvictsToMakeRoom) {
  auto store = openStore(config());
  std::string body = pattern(10000, 13);
  for (const char* key : {"http://example.com/1", "http://example.com/2", "http://example.com/3"}) {
    ASSERT_EQ(storeBody(*store, lt_, makeMeta(key, 0), body), State::Complete);
  }
  uint64_t oldest = findPlain(*store, "http://example.com/1")->id();
  ASSERT_TRUE(findPlain(*store, "http://example.com/2"));
  ASSERT_TRUE(findPlain(*store, "http://example.com/3"));
  storePwrite = &fullDiskPwrite;
  State s = storeBody(*store, lt_, makeMeta("http://example.com/4", 0), body);
  storePwrite = &::pwrite;
  EXPECT_EQ(s, State::Failed);
  EXPECT_TRUE(eventually([&] { return store->stats().writeFailures == 1; }));
  // The failed object's size was freed: one object of the same size, the least recently used.
  EXPECT_TRUE(eventually([&] { return store->stats().evictions == 1; }));
  EXPECT_FALSE(findPlain(*store, "http://example.com/1"));
  EXPECT_TRUE(findPlain(*store, "http://example.com/2"));
  EXPECT_FALSE(exists(fileOf(oldest)));
  EXPECT_EQ(filesIn(tmpDir()), 0u);
}

// --- shutdown ------------------------------------------------------------------------------------

TEST_F(StoreLimitsTest, DestroyingTheStoreAbandonsUnfinishedWriters) {
  WriterPtr writer;
  {
    auto store = openStore(config());
    ObjectStore::Claim claim = store->claim("http://example.com/u");
    writer = claim.writer;
    ASSERT_TRUE(writer->begin(makeMeta("http://example.com/u", 5000), makeFreshness()));
    ASSERT_TRUE(writer->append(pattern(1000)));
  }
  EXPECT_EQ(writer->state(), State::Abandoned);
  EXPECT_FALSE(writer->append("x"));  // safe after the store is gone
  EXPECT_EQ(filesIn(tmpDir()), 0u);   // the cleanup ran before the disk threads stopped
  auto store = openStore(config());
  EXPECT_EQ(store->stats().droppedTmp, 0u);
  EXPECT_EQ(store->stats().objects, 0u);
}

TEST_F(StoreLimitsTest, ShutdownAbandonsQueuedWritesInsteadOfWritingThemOut) {
  auto store = openStore(config());
  WriteGate gate;
  // Behind a disk that does not keep up: an unfinished writer, a finished one with 6 MiB still
  // to write, and a finished one with 1000 bytes.
  std::string small = pattern(1000, 3);
  WriterPtr unfinished = begun(*store, "http://example.com/unfinished", 10 << 20);
  WriterPtr large = begun(*store, "http://example.com/large", 6 << 20);
  WriterPtr cheap = begun(*store, "http://example.com/cheap", small.size());
  ASSERT_TRUE(unfinished && large && cheap);
  std::string mib = pattern(1 << 20, 4);
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(unfinished->append(mib));
    ASSERT_TRUE(large->append(mib));
  }
  large->finish();
  ASSERT_TRUE(cheap->append(small));
  cheap->finish();
  EXPECT_EQ(store->stats().backlogBytes, (12u << 20) + small.size());

  std::thread closing([&] { store.reset(); });
  // ~ObjectStore decides before it waits for the disk threads; only then is the disk let go.
  EXPECT_TRUE(eventually([&] {
    return unfinished->state() == State::Abandoned && large->state() == State::Abandoned &&
           cheap->state() == State::Abandoned;
  }));
  bytesWritten = 0;
  gate.open();
  closing.join();
  // The headers that were waiting at the gate, not the 12 MiB queued.
  EXPECT_LT(bytesWritten.load(), uint64_t{4} << 10);

  store = openStore(config());
  EXPECT_EQ(store->stats().droppedTmp, 0u);  // the abandoned writers' tmp files went too
  EXPECT_EQ(store->stats().objects, 0u);
}

TEST_F(StoreLimitsTest, AWriterWhoseCompletionStartedCompletesAtShutdown) {
  std::string body = pattern(1000, 12);
  auto store = openStore(config());
  WriteGate gate(kHeaderSize + body.size());  // holds the metadata, written by complete()
  WriterPtr w = begun(*store, "http://example.com/fin", body.size());
  ASSERT_TRUE(w);
  ASSERT_TRUE(w->append(body));
  w->finish();
  ASSERT_TRUE(gate.holding());
  // What ~ObjectStore does to each writer: this one is past ending, so it is left to finish.
  WriterImpl::from(w)->shutdown();
  EXPECT_EQ(w->state(), State::Writing);
  gate.open();
  EXPECT_EQ(waitForEnd(lt_, w), State::Complete);
  EXPECT_EQ(readWhole(*store, findPlain(*store, "http://example.com/fin")), body);
  EXPECT_EQ(store->stats().abandoned, 0u);
}

}  // namespace
}  // namespace tollgate::cache
