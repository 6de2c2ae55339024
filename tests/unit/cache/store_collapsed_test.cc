// Spec of collapsed forwarding in the object store: one fetch per key, later callers join it,
// follow its progress, read its body while it grows, and are released when it is given up.
#include <gtest/gtest.h>

#include <atomic>

#include "daemon/cache/object_store.h"
#include "tests/unit/cache/store_test_support.h"

namespace tollgate::cache {
namespace {

using namespace testing;
using State = ObjectWriter::State;
using Status = BodyReader::Status;

constexpr const char* kKey = "http://example.com/collapsed";

class StoreCollapsedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreConfig c;
    c.dir = tmp_.cache();
    c.writerBacklogMax = size_t{64} << 20;
    store_ = std::make_unique<ObjectStore>(c);
    store_->open();
  }
  void TearDown() override { store_.reset(); }

  TempDir tmp_;
  LoopThread lt_;
  std::unique_ptr<ObjectStore> store_;  // destroyed first (TearDown)
};

TEST_F(StoreCollapsedTest, TheSecondClaimJoinsTheFirst) {
  ObjectStore::Claim first = store_->claim(kKey);
  ObjectStore::Claim second = store_->claim(kKey);
  ObjectStore::Claim other = store_->claim("http://example.com/other");
  ASSERT_TRUE(first.writer);
  EXPECT_FALSE(first.joined);
  EXPECT_FALSE(second.writer);
  ASSERT_TRUE(second.joined);
  EXPECT_EQ(second.joined->state(), State::Waiting);
  EXPECT_EQ(second.joined->object(), nullptr);
  EXPECT_TRUE(other.writer);
  EXPECT_EQ(store_->stats().writing, 2u);

  ASSERT_TRUE(first.writer->begin(makeMeta(kKey, 3), makeFreshness()));
  EXPECT_EQ(second.joined->state(), State::Writing);
  ASSERT_TRUE(second.joined->object());
  EXPECT_EQ(second.joined->object()->meta().bodyLength, 3u);
  EXPECT_TRUE(store_->claim(kKey).joined);  // still joining while Writing
}

TEST_F(StoreCollapsedTest, AJoinerReadsTheGrowingBodyToTheEndIdentical) {
  ObjectStore::Claim fetch = store_->claim(kKey);
  ObjectStore::Claim join = store_->claim(kKey);
  // The joiner starts reading before the response is even known (Waiting).
  auto reader = store_->openGrowingBody(join.joined, 0);
  std::future<ReadAll> read = readInBackground(lt_, *reader, 50000);

  std::string body = pattern(3'000'000, 20);
  ASSERT_TRUE(fetch.writer->begin(makeMeta(kKey, body.size()), makeFreshness()));
  for (size_t at = 0; at < body.size(); at += 40000) {
    ASSERT_TRUE(fetch.writer->append(std::string_view(body).substr(at, 40000)));
  }
  fetch.writer->finish();
  ASSERT_TRUE(arrives(read, "the joiner's body"));
  ReadAll all = read.get();
  EXPECT_EQ(all.status, Status::End);
  EXPECT_TRUE(all.bytes == body);
  EXPECT_EQ(all.bytes.size(), body.size());
  EXPECT_EQ(waitForEnd(lt_, join.joined), State::Complete);
  EXPECT_TRUE(store_->find(kKey, request({})));
}

TEST_F(StoreCollapsedTest, AGrowingReaderStartsAtAnOffset) {
  ObjectStore::Claim fetch = store_->claim(kKey);
  std::string body = pattern(100000, 21);
  ASSERT_TRUE(fetch.writer->begin(makeMeta(kKey, body.size()), makeFreshness()));
  auto reader = store_->openGrowingBody(store_->claim(kKey).joined, 60000);
  std::future<ReadAll> read = readInBackground(lt_, *reader, 8192);
  ASSERT_TRUE(fetch.writer->append(std::string_view(body).substr(0, 50000)));
  ASSERT_TRUE(fetch.writer->append(std::string_view(body).substr(50000)));
  fetch.writer->finish();
  ASSERT_TRUE(arrives(read, "the body from 60000"));
  ReadAll all = read.get();
  EXPECT_EQ(all.status, Status::End);
  EXPECT_EQ(all.bytes, body.substr(60000));
}

TEST_F(StoreCollapsedTest, AGrowingReaderOpenedAfterCompletionReadsItAll) {
  ObjectStore::Claim fetch = store_->claim(kKey);
  ObjectStore::Claim join = store_->claim(kKey);
  std::string body = pattern(70000, 22);
  ASSERT_TRUE(fetch.writer->begin(makeMeta(kKey, body.size()), makeFreshness()));
  ASSERT_TRUE(fetch.writer->append(body));
  fetch.writer->finish();
  ASSERT_EQ(waitForEnd(lt_, join.joined), State::Complete);
  auto reader = store_->openGrowingBody(join.joined, 0);
  ReadAll all = readAll(lt_, *reader, 16384);
  EXPECT_EQ(all.status, Status::End);
  EXPECT_EQ(all.bytes, body);
}

TEST_F(StoreCollapsedTest, AbandonReleasesJoiners) {
  ObjectStore::Claim fetch = store_->claim(kKey);
  ObjectStore::Claim join = store_->claim(kKey);
  ASSERT_TRUE(fetch.writer->begin(makeMeta(kKey, 10000), makeFreshness()));
  ASSERT_TRUE(fetch.writer->append(pattern(4000)));
  auto reader = store_->openGrowingBody(join.joined, 0);
  std::future<ReadAll> read = readInBackground(lt_, *reader, 1000);

  auto woken = std::make_shared<std::promise<State>>();
  std::future<State> wake = woken->get_future();
  WriterPtr joined = join.joined;
  ObjectWriter* joinedRaw = joined.get();
  // Registered while Writing; fired by the abandon below.
  joined->onProgress(lt_.loop(), [woken, joinedRaw] { woken->set_value(joinedRaw->state()); });
  fetch.writer->abandon("origin reset");

  ASSERT_TRUE(arrives(read, "the joiner's end"));
  ReadAll all = read.get();
  EXPECT_EQ(all.status, Status::Failed);
  EXPECT_LE(all.bytes.size(), 4000u);
  ASSERT_TRUE(arrives(wake, "the joiner's wake"));
  EXPECT_EQ(wake.get(), State::Abandoned);
  // The key is free again: the next miss fetches instead of joining a dead write.
  EXPECT_TRUE(store_->claim(kKey).writer);
}

TEST_F(StoreCollapsedTest, DroppingTheFetchersHandleAbandons) {
  ObjectStore::Claim fetch = store_->claim(kKey);
  ObjectStore::Claim join = store_->claim(kKey);
  ASSERT_TRUE(fetch.writer->begin(makeMeta(kKey, 100), makeFreshness()));
  fetch.writer.reset();  // the fetching connection went away without a word
  EXPECT_EQ(join.joined->state(), State::Abandoned);
  EXPECT_EQ(store_->stats().abandoned, 1u);
  // A joiner's reference alone does not keep the claim: the key is free.
  EXPECT_TRUE(store_->claim(kKey).writer);
}

TEST_F(StoreCollapsedTest, AGivenUpWriteFailsItsJoiners) {
  store_.reset();
  StoreConfig c;
  c.dir = tmp_.cache();
  c.writerBacklogMax = 1000;
  store_ = std::make_unique<ObjectStore>(c);
  store_->open();
  ObjectStore::Claim fetch = store_->claim(kKey);
  ObjectStore::Claim join = store_->claim(kKey);
  ASSERT_TRUE(fetch.writer->begin(makeMeta(kKey, 5000), makeFreshness()));
  auto reader = store_->openGrowingBody(join.joined, 0);
  std::future<ReadAll> read = readInBackground(lt_, *reader, 1000);
  EXPECT_FALSE(fetch.writer->append(pattern(2000)));
  ASSERT_TRUE(arrives(read, "the joiner's end"));
  EXPECT_EQ(read.get().status, Status::Failed);
  EXPECT_EQ(join.joined->state(), State::Failed);
}

TEST_F(StoreCollapsedTest, OnProgressFiresOncePerRegistration) {
  ObjectStore::Claim fetch = store_->claim(kKey);
  ObjectStore::Claim join = store_->claim(kKey);
  auto fired = std::make_shared<std::atomic<int>>(0);
  join.joined->onProgress(lt_.loop(), [fired] { ++*fired; });
  // A state change, several writes and the completion: one registration, one wake.
  ASSERT_TRUE(fetch.writer->begin(makeMeta(kKey, 30000), makeFreshness()));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(fetch.writer->append(pattern(10000, i)));
  fetch.writer->finish();
  ASSERT_EQ(waitForEnd(lt_, join.joined), State::Complete);
  flushLoop(lt_);
  EXPECT_EQ(fired->load(), 1);
}

TEST_F(StoreCollapsedTest, OnProgressAfterTheEndFiresAtOnce) {
  ObjectStore::Claim fetch = store_->claim(kKey);
  ObjectStore::Claim join = store_->claim(kKey);
  fetch.writer->abandon("not storable");
  auto woken = std::make_shared<std::promise<void>>();
  std::future<void> wake = woken->get_future();
  join.joined->onProgress(lt_.loop(), [woken] { woken->set_value(); });
  EXPECT_TRUE(arrives(wake, "an immediate wake"));
}

TEST_F(StoreCollapsedTest, ACompletedKeyIsClaimedAfresh) {
  ObjectStore::Claim fetch = store_->claim(kKey);
  ASSERT_TRUE(fetch.writer->begin(makeMeta(kKey, 2), makeFreshness()));
  ASSERT_TRUE(fetch.writer->append("ok"));
  fetch.writer->finish();
  ASSERT_EQ(waitForEnd(lt_, fetch.writer), State::Complete);
  EXPECT_TRUE(store_->claim(kKey).writer);  // e.g. a revalidation fetch of a stored object
  EXPECT_EQ(store_->stats().objects, 1u);
}

}  // namespace
}  // namespace tollgate::cache
