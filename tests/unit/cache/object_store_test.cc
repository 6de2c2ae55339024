// Spec of the object store (object_store.h) on a real directory, with a real EventLoop thread
// receiving what it posts: storing and reading back from both tiers, restart, what open()
// drops, corrupt bodies, purges, refresh, Vary. Limits, give-ups and shutdown are in
// store_limits_test.cc, collapsed forwarding in store_collapsed_test.cc.
#include "daemon/cache/object_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "daemon/cache/object_file.h"
#include "daemon/cache/store_core.h"
#include "tests/unit/cache/store_test_support.h"

namespace tollgate::cache {
namespace {

using namespace testing;
using State = ObjectWriter::State;
using Status = BodyReader::Status;
class ObjectStoreTest : public StoreFixture {};

TEST_F(ObjectStoreTest, StoresAndReadsBackFromTheMemoryTier) {
  auto store = openStore(config());
  std::string body = pattern(1000);
  ASSERT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/a", 0), body), State::Complete);
  ObjectPtr o = findPlain(*store, "http://example.com/a");
  ASSERT_TRUE(o);
  ASSERT_TRUE(o->memoryBody());
  EXPECT_EQ(*o->memoryBody(), body);
  auto reader = store->openBody(o, 0, kAll);
  ReadAll all = readAll(lt_, *reader, 300);
  EXPECT_EQ(all.status, Status::End);
  EXPECT_EQ(all.bytes, body);
  EXPECT_EQ(all.chunks, 4u);
  StoreStats s = store->stats();
  EXPECT_EQ(s.objects, 1u);
  EXPECT_EQ(s.memoryObjects, 1u);
  EXPECT_EQ(s.memoryBytes, 1000u);
  EXPECT_EQ(s.diskBytes, onDisk(std::filesystem::file_size(fileOf(o->id()))));
  EXPECT_EQ(s.writing, 0u);
  EXPECT_EQ(filesIn(tmpDir()), 0u);
}

TEST_F(ObjectStoreTest, ReadsBackFromDiskWhenOverMemoryObjectMax) {
  StoreConfig c = config();
  c.memoryObjectMax = 1024;
  auto store = openStore(c);
  std::string body = pattern(100000, 2);
  ASSERT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/big", 0), body), State::Complete);
  ObjectPtr o = findPlain(*store, "http://example.com/big");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->memoryBody(), nullptr);
  auto reader = store->openBody(o, 0, kAll);
  ReadAll all = readAll(lt_, *reader, 7000);
  EXPECT_EQ(all.status, Status::End);
  EXPECT_EQ(all.bytes, body);
  EXPECT_EQ(all.chunks, 15u);
  EXPECT_EQ(store->stats().memoryObjects, 0u);
}

TEST_F(ObjectStoreTest, CompletionsArePostedToTheCallersLoop) {
  StoreConfig c = config();
  c.memoryObjectMax = 10;
  auto store = openStore(c);
  ASSERT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/m", 0), "tiny"), State::Complete);
  ASSERT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/d", 0), pattern(5000)),
            State::Complete);
  for (const char* key : {"http://example.com/m", "http://example.com/d"}) {
    auto reader = store->openBody(findPlain(*store, key), 0, kAll);
    Read r = readOnce(lt_, *reader, 100);
    EXPECT_EQ(r.status, Status::Ok) << key;
    EXPECT_TRUE(r.onLoopThread) << key;
  }
}

TEST_F(ObjectStoreTest, RangeReadsFromEitherTier) {
  StoreConfig c = config();
  c.memoryObjectMax = 5000;
  auto store = openStore(c);
  std::string small = pattern(4000, 3);
  std::string large = pattern(40000, 4);
  ASSERT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/s", 0), small), State::Complete);
  ASSERT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/l", 0), large), State::Complete);
  struct Case {
    const char* key;
    const std::string& body;
    uint64_t offset, length;
  } cases[] = {{"http://example.com/s", small, 100, 1000},
               {"http://example.com/s", small, 3500, kAll},
               {"http://example.com/l", large, 12345, 20000},
               {"http://example.com/l", large, 39999, 50},
               {"http://example.com/l", large, 40000, kAll}};
  for (const Case& k : cases) {
    auto reader = store->openBody(findPlain(*store, k.key), k.offset, k.length);
    ReadAll all = readAll(lt_, *reader, 3000);
    EXPECT_EQ(all.status, Status::End);
    EXPECT_EQ(all.bytes, k.body.substr(k.offset, k.length)) << k.key << " @" << k.offset;
  }
}

TEST_F(ObjectStoreTest, StreamsATwentyMegabyteObjectInChunks) {
  StoreConfig c = config();
  c.writerBacklogMax = size_t{64} << 20;  // the test appends faster than any disk
  auto store = openStore(c);
  std::string body = pattern(size_t{20} << 20, 5);
  ASSERT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/huge", 0), body, 65536),
            State::Complete);
  ObjectPtr o = findPlain(*store, "http://example.com/huge");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->meta().bodyLength, body.size());
  auto reader = store->openBody(o, 0, kAll);
  ReadAll all = readAll(lt_, *reader, size_t{1} << 20);
  EXPECT_EQ(all.status, Status::End);
  EXPECT_EQ(all.chunks, 20u);
  EXPECT_TRUE(all.bytes == body);  // not EXPECT_EQ: a failure would print 40 MB
}

TEST_F(ObjectStoreTest, FindsTheSameObjectsAfterARestart) {
  std::string small = pattern(500, 6);
  std::string large = pattern(300000, 7);
  StoredFields fields = {{"Content-Type", "image/png"}, {"ETag", "\"v1\""}};
  uint64_t lastId = 0;
  {
    auto store = openStore(config());
    ASSERT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/s", 0, fields), small),
              State::Complete);
    ASSERT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/l", 0), large), State::Complete);
    lastId = findPlain(*store, "http://example.com/l")->id();
  }
  auto store = openStore(config());
  StoreStats s = store->stats();
  EXPECT_EQ(s.objects, 2u);
  EXPECT_EQ(s.droppedCorrupt, 0u);
  EXPECT_EQ(s.droppedTmp, 0u);
  ObjectPtr o = findPlain(*store, "http://example.com/s");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->meta().fields.size(), 2u);
  EXPECT_EQ(o->meta().fields[1].value, "\"v1\"");
  EXPECT_EQ(o->meta().host, "example.com");
  EXPECT_EQ(o->freshness().lifetime, 3600);
  EXPECT_EQ(o->memoryBody(), nullptr);  // memory is not persisted...
  EXPECT_EQ(readWhole(*store, o), small);
  // ...but a whole body read from disk and checked is kept in memory again.
  EXPECT_TRUE(eventually([&] { return o->memoryBody() != nullptr; }));
  EXPECT_EQ(store->stats().memoryObjects, 1u);
  EXPECT_EQ(readWhole(*store, findPlain(*store, "http://example.com/l")), large);
  // Ids go on past every id seen: a new object never reuses a file name.
  ASSERT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/n", 0), "new"), State::Complete);
  EXPECT_GT(findPlain(*store, "http://example.com/n")->id(), lastId);
}

TEST_F(ObjectStoreTest, OpenDropsATruncatedFile) {
  uint64_t id = 0;
  {
    auto store = openStore(config());
    ASSERT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/t", 0), pattern(3000)),
              State::Complete);
    id = findPlain(*store, "http://example.com/t")->id();
  }
  std::filesystem::resize_file(fileOf(id), std::filesystem::file_size(fileOf(id)) - 1);
  auto store = openStore(config());
  EXPECT_EQ(store->stats().droppedCorrupt, 1u);
  EXPECT_EQ(store->stats().objects, 0u);
  EXPECT_FALSE(findPlain(*store, "http://example.com/t"));
  EXPECT_FALSE(exists(fileOf(id)));
}

TEST_F(ObjectStoreTest, OpenDropsAFileWithAFlippedMetadataByte) {
  uint64_t id = 0;
  {
    auto store = openStore(config());
    ASSERT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/f", 0), pattern(3000)),
              State::Complete);
    ASSERT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/ok", 0), pattern(10)),
              State::Complete);
    id = findPlain(*store, "http://example.com/f")->id();
  }
  std::string file = readFile(fileOf(id));
  file[kHeaderSize + 3000 + 5] ^= 0x01;  // inside the key's bytes in the metadata
  writeFile(fileOf(id), file);
  auto store = openStore(config());
  EXPECT_EQ(store->stats().droppedCorrupt, 1u);
  EXPECT_EQ(store->stats().objects, 1u);
  EXPECT_FALSE(findPlain(*store, "http://example.com/f"));
  EXPECT_TRUE(findPlain(*store, "http://example.com/ok"));
  EXPECT_FALSE(exists(fileOf(id)));
}

TEST_F(ObjectStoreTest, AFlippedBodyByteIsCorruptOnAWholeReadAndTheObjectGoes) {
  StoreConfig c = config();
  c.memoryObjectMax = 0;
  auto store = openStore(c);
  std::string body = pattern(50000, 8);
  ASSERT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/c", 0), body), State::Complete);
  ObjectPtr o = findPlain(*store, "http://example.com/c");
  ASSERT_TRUE(o);
  int fd = ::open(fileOf(o->id()).c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  char flipped = static_cast<char>(body[100] ^ 0x40);
  ASSERT_EQ(::pwrite(fd, &flipped, 1, kHeaderSize + 100), 1);
  ::close(fd);

  auto reader = store->openBody(o, 0, kAll);
  ReadAll all = readAll(lt_, *reader, 10000);
  EXPECT_EQ(all.status, Status::Corrupt);
  // Four chunks went out; the fifth, which would have completed the body, was held back.
  EXPECT_EQ(all.bytes.size(), 40000u);
  EXPECT_FALSE(findPlain(*store, "http://example.com/c"));
  EXPECT_EQ(store->stats().droppedCorrupt, 1u);
  EXPECT_EQ(store->stats().objects, 0u);
  EXPECT_FALSE(exists(fileOf(o->id())));
}

TEST_F(ObjectStoreTest, OpenRemovesUnfinishedTmpFiles) {
  { auto store = openStore(config()); }
  writeFile(tmpDir() + "/00000000000000aa", "half an object");
  writeFile(tmpDir() + "/stray", "x");
  auto store = openStore(config());
  EXPECT_EQ(store->stats().droppedTmp, 2u);
  EXPECT_EQ(filesIn(tmpDir()), 0u);
}

TEST_F(ObjectStoreTest, AReaderThatOpenedTheFileKeepsReadingAfterThePurge) {
  StoreConfig c = config();
  c.memoryObjectMax = 0;
  auto store = openStore(c);
  std::string body = pattern(100000, 10);
  ASSERT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/p", 0), body), State::Complete);
  ObjectPtr o = findPlain(*store, "http://example.com/p");
  auto reader = store->openBody(o, 0, kAll);
  Read first = readOnce(lt_, *reader, 10000);
  ASSERT_EQ(first.status, Status::Ok);
  EXPECT_EQ(store->purgeKey("http://example.com/p"), 1u);
  ASSERT_TRUE(eventually([&] { return !exists(fileOf(o->id())); }));
  ReadAll rest = readAll(lt_, *reader, 10000);
  EXPECT_EQ(rest.status, Status::End);
  EXPECT_EQ(first.bytes + rest.bytes, body);
  auto late = store->openBody(o, 0, kAll);  // purged before it started: nothing to read
  EXPECT_EQ(readOnce(lt_, *late, 100).status, Status::Failed);
}

// Counts the writes made on the thread that called the store.
std::atomic<std::thread::id> callerThread;
std::atomic<int> writes{0};
std::atomic<int> writesOnCaller{0};
ssize_t recordingPwrite(int fd, const void* buf, size_t size, off_t offset) {
  ++writes;
  if (std::this_thread::get_id() == callerThread.load()) ++writesOnCaller;
  return ::pwrite(fd, buf, size, offset);
}

TEST_F(ObjectStoreTest, WritesRunOnDiskThreadsNeverOnTheCaller) {
  auto store = openStore(config());
  ASSERT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/0", 0), "first"), State::Complete);
  callerThread = std::this_thread::get_id();
  writes = 0;
  writesOnCaller = 0;
  storePwrite = &recordingPwrite;
  State s = storeBody(*store, lt_, makeMeta("http://example.com/w", 0), pattern(100000), 1000);
  ObjectPtr o = findPlain(*store, "http://example.com/0");
  store->refresh(o, {{"X-Refreshed", "1"}}, makeFreshness());
  ASSERT_TRUE(eventually([&] { return writes.load() >= 3; }));  // header, body, metadata...
  store.reset();  // ...and the refresh's rewrite, which the shutdown waits for
  storePwrite = &::pwrite;
  EXPECT_EQ(s, State::Complete);
  EXPECT_GE(writes.load(), 4);
  EXPECT_EQ(writesOnCaller.load(), 0);
}

TEST_F(ObjectStoreTest, AbandonRemovesTheTmpFileAndStoresNothing) {
  auto store = openStore(config());
  ObjectStore::Claim claim = store->claim("http://example.com/ab");
  ASSERT_TRUE(claim.writer->begin(makeMeta("http://example.com/ab", 5000), makeFreshness()));
  ASSERT_TRUE(claim.writer->append(pattern(2000)));
  EXPECT_FALSE(findPlain(*store, "http://example.com/ab"));  // nothing before finish()
  claim.writer->abandon("test");
  EXPECT_EQ(claim.writer->state(), State::Abandoned);
  EXPECT_FALSE(claim.writer->append("x"));
  EXPECT_EQ(store->stats().abandoned, 1u);
  EXPECT_TRUE(eventually([&] { return filesIn(tmpDir()) == 0; }));
  EXPECT_EQ(store->stats().objects, 0u);
}

TEST_F(ObjectStoreTest, FinishingShortOfContentLengthAbandons) {
  auto store = openStore(config());
  ObjectStore::Claim claim = store->claim("http://example.com/short");
  ASSERT_TRUE(claim.writer->begin(makeMeta("http://example.com/short", 100), makeFreshness()));
  ASSERT_TRUE(claim.writer->append(pattern(60)));
  EXPECT_FALSE(claim.writer->append(pattern(41)));  // one byte too many is not this object
  EXPECT_EQ(claim.writer->state(), State::Abandoned);

  ObjectStore::Claim again = store->claim("http://example.com/short");
  ASSERT_TRUE(again.writer);
  ASSERT_TRUE(again.writer->begin(makeMeta("http://example.com/short", 100), makeFreshness()));
  ASSERT_TRUE(again.writer->append(pattern(60)));
  again.writer->finish();
  EXPECT_EQ(again.writer->state(), State::Abandoned);
  EXPECT_EQ(store->stats().abandoned, 2u);
  EXPECT_FALSE(findPlain(*store, "http://example.com/short"));
}

TEST_F(ObjectStoreTest, BeginRefusesObjectsOverMaxObjectSize) {
  StoreConfig c = config();
  c.maxObjectSize = 100;
  auto store = openStore(c);
  ObjectStore::Claim claim = store->claim("http://example.com/big");
  EXPECT_FALSE(claim.writer->begin(makeMeta("http://example.com/big", 101), makeFreshness()));
  EXPECT_EQ(claim.writer->state(), State::Abandoned);
  EXPECT_EQ(store->stats().abandoned, 1u);
}

TEST_F(ObjectStoreTest, NothingIsStoredBeforeOpen) {
  ObjectStore store(config());
  ObjectStore::Claim claim = store.claim("http://example.com/early");
  ASSERT_TRUE(claim.writer);
  EXPECT_FALSE(claim.writer->begin(makeMeta("http://example.com/early", 1), makeFreshness()));
  EXPECT_FALSE(store.find("http://example.com/early", request({})));
}

TEST_F(ObjectStoreTest, PurgeKeyRemovesEveryVariant) {
  auto store = openStore(config());
  StoredFields vary = {{"Vary", "Accept-Language"}};
  ASSERT_EQ(
      storeBody(*store, lt_, makeMeta("http://example.com/v", 0, vary, "accept-language=en"), "en"),
      State::Complete);
  ASSERT_EQ(
      storeBody(*store, lt_, makeMeta("http://example.com/v", 0, vary, "accept-language=fr"), "fr"),
      State::Complete);
  ASSERT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/w", 0), "w"), State::Complete);
  EXPECT_EQ(store->purgeKey("http://example.com/v"), 2u);
  EXPECT_EQ(store->purgeKey("http://example.com/v"), 0u);
  EXPECT_FALSE(store->find("http://example.com/v", request({{"Accept-Language", "en"}})));
  EXPECT_EQ(store->stats().objects, 1u);
  EXPECT_TRUE(eventually([&] { return filesIn(tmp_.cache() + "/objects") == 1; }));
}

TEST_F(ObjectStoreTest, PurgeHostRemovesEveryKeyOfThatHostOnly) {
  auto store = openStore(config());
  for (const char* key : {"http://a.example/1", "http://a.example/2", "http://b.example/1"}) {
    ASSERT_EQ(storeBody(*store, lt_, makeMeta(key, 0), key), State::Complete);
  }
  EXPECT_EQ(store->purgeHost("A.EXAMPLE"), 2u);
  EXPECT_FALSE(findPlain(*store, "http://a.example/1"));
  EXPECT_FALSE(findPlain(*store, "http://a.example/2"));
  EXPECT_TRUE(findPlain(*store, "http://b.example/1"));
  EXPECT_TRUE(eventually([&] { return filesIn(tmp_.cache() + "/objects") == 1; }));
}

TEST_F(ObjectStoreTest, DropRemovesTheObjectAndCountsIt) {
  auto store = openStore(config());
  ASSERT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/d", 0), "body"), State::Complete);
  ObjectPtr o = findPlain(*store, "http://example.com/d");
  store->drop(o);
  store->drop(o);  // once gone, dropping again counts nothing
  EXPECT_EQ(store->stats().droppedCorrupt, 1u);
  EXPECT_FALSE(findPlain(*store, "http://example.com/d"));
  EXPECT_TRUE(eventually([&] { return !exists(fileOf(o->id())); }));
}

TEST_F(ObjectStoreTest, ANewerObjectReplacesTheOlderAndItsFile) {
  auto store = openStore(config());
  ASSERT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/r", 0), "old"), State::Complete);
  ObjectPtr old = findPlain(*store, "http://example.com/r");
  ASSERT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/r", 0), "newer"), State::Complete);
  ObjectPtr now = findPlain(*store, "http://example.com/r");
  ASSERT_TRUE(now);
  EXPECT_NE(now->id(), old->id());
  EXPECT_EQ(readWhole(*store, now), "newer");
  EXPECT_EQ(store->stats().objects, 1u);
  EXPECT_EQ(store->stats().replaced, 1u);
  EXPECT_FALSE(exists(fileOf(old->id())));  // unlinked on the disk thread before Complete
}

TEST_F(ObjectStoreTest, RefreshKeepsTheBodyAndSurvivesARestart) {
  std::string body = pattern(4000, 11);
  {
    auto store = openStore(config());
    ASSERT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/rf", 0), body), State::Complete);
    ObjectPtr o = findPlain(*store, "http://example.com/rf");
    FreshnessInfo f = makeFreshness(99999);
    f.responseTime = 1800000000;
    ObjectPtr fresh = store->refresh(
        o, {{"Content-Type", "text/plain"}, {"X-Refreshed", "yes, with a longer value"}}, f);
    EXPECT_EQ(fresh->id(), o->id());
    EXPECT_EQ(fresh->meta().fields.size(), 2u);
    EXPECT_EQ(fresh->meta().responseTime, 1800000000);
    EXPECT_EQ(findPlain(*store, "http://example.com/rf"), fresh);
    ASSERT_TRUE(fresh->memoryBody());
    EXPECT_EQ(readWhole(*store, fresh), body);
  }  // ~ObjectStore runs the queued metadata rewrite before it returns
  auto store = openStore(config());
  EXPECT_EQ(store->stats().droppedCorrupt, 0u);
  ObjectPtr o = findPlain(*store, "http://example.com/rf");
  ASSERT_TRUE(o);
  ASSERT_EQ(o->meta().fields.size(), 2u);
  EXPECT_EQ(o->meta().fields[1].value, "yes, with a longer value");
  EXPECT_EQ(o->freshness().lifetime, 99999);
  EXPECT_EQ(o->freshness().responseTime, 1800000000);
  EXPECT_EQ(readWhole(*store, o), body);
  EXPECT_EQ(store->stats().diskBytes, onDisk(std::filesystem::file_size(fileOf(o->id()))));
}

TEST_F(ObjectStoreTest, VaryVariantsAreStoredSideBySideAndFoundByRequestFields) {
  auto store = openStore(config());
  StoredFields vary = {{"Content-Type", "text/plain"}, {"Vary", "Accept-Encoding"}};
  auto variantOf = [&](const inspect::RequestHead& r) {
    return *varyKey(fieldViews(vary), r.headers);
  };
  TestRequest gzip{{"Accept-Encoding", "gzip"}};
  TestRequest br{{"Accept-Encoding", "br"}};
  TestRequest none;
  ASSERT_EQ(storeBody(*store, lt_, makeMeta("http://example.com/v", 0, vary, variantOf(gzip)),
                      "gzip body"),
            State::Complete);
  ASSERT_EQ(
      storeBody(*store, lt_, makeMeta("http://example.com/v", 0, vary, variantOf(br)), "br body"),
      State::Complete);
  EXPECT_EQ(store->stats().objects, 2u);
  ObjectPtr g = store->find("http://example.com/v", gzip);
  ObjectPtr b = store->find("http://example.com/v", br);
  ASSERT_TRUE(g);
  ASSERT_TRUE(b);
  EXPECT_EQ(readWhole(*store, g), "gzip body");
  EXPECT_EQ(readWhole(*store, b), "br body");
  EXPECT_FALSE(store->find("http://example.com/v", none));
  EXPECT_FALSE(store->find("http://example.com/v", request({{"Accept-Encoding", "gzip, br"}})));
  EXPECT_TRUE(store->find("http://example.com/v", request({{"accept-encoding", "gzip"}})));
}

TEST_F(ObjectStoreTest, ADirectoryThatCannotBeCreatedThrows) {
  std::string file = tmp_.path() + "/a-file";
  writeFile(file, "not a directory");
  StoreConfig c = config();
  c.dir = file + "/cache";
  ObjectStore store(c);
  try {
    store.open();
    FAIL() << "open() did not throw";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "cache dir " + c.dir + ": mkdir(" + file + "): Not a directory");
  }
}
}  // namespace
}  // namespace tollgate::cache
