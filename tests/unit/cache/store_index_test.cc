// Spec of the store's index (object_index.h): variants by key, disk and memory LRU, byte
// accounting in whole blocks, reservations for objects being written (at most half the disk
// limit), purges.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "daemon/cache/object_index.h"

namespace tollgate::cache {
namespace {

ObjectPtr object(uint64_t id, const std::string& key, const std::string& variant = "",
                 const std::string& host = "example.com") {
  ObjectMeta m;
  m.key = key;
  m.variant = variant;
  m.host = host;
  return std::make_shared<const StoredObject>(id, m, FreshnessInfo{});
}

std::shared_ptr<const std::string> body(size_t n) {
  return std::make_shared<const std::string>(n, 'b');
}

std::vector<uint64_t> ids(const std::vector<ObjectPtr>& objects) {
  std::vector<uint64_t> out;
  for (const ObjectPtr& o : objects) out.push_back(o->id());
  return out;
}

using Ids = std::vector<uint64_t>;

// Disk sizes are in whole blocks, as the index accounts them (a file of 1 byte takes one).
constexpr uint64_t k = kDiskBlock;

TEST(StoreIndexTest, VariantsOfAKeyNewestFirst) {
  ObjectIndex index({1000 * k, 1000});
  Ids gone;
  index.insert(object(1, "k", "a"), 10 * k, 0, nullptr, gone);
  index.insert(object(2, "k", "b"), 10 * k, 0, nullptr, gone);
  index.insert(object(3, "other"), 10 * k, 0, nullptr, gone);
  EXPECT_EQ(ids(index.variants("k")), (Ids{2, 1}));
  EXPECT_TRUE(index.variants("missing").empty());
  EXPECT_TRUE(gone.empty());
  EXPECT_EQ(index.objects(), 3u);
  EXPECT_EQ(index.diskBytes(), 30 * k);
}

TEST(StoreIndexTest, SameKeyAndVariantReplacesTheOlder) {
  ObjectIndex index({1000 * k, 1000});
  Ids gone;
  index.insert(object(1, "k", "a"), 10 * k, 0, body(5), gone);
  ObjectPtr old = index.get(1)->object;
  index.insert(object(2, "k", "a"), 20 * k, 0, nullptr, gone);
  EXPECT_EQ(gone, (Ids{1}));
  EXPECT_EQ(ids(index.variants("k")), (Ids{2}));
  EXPECT_EQ(index.counts().replaced, 1u);
  EXPECT_EQ(index.diskBytes(), 20 * k);
  EXPECT_EQ(index.memoryBytes(), 0u);
  EXPECT_EQ(old->memoryBody(), nullptr);  // the memory tier let go of the replaced body
}

TEST(StoreIndexTest, DiskLimitEvictsLeastRecentlyUsed) {
  ObjectIndex index({30 * k, 1000});
  Ids gone;
  index.insert(object(1, "a"), 10 * k, 0, nullptr, gone);
  index.insert(object(2, "b"), 10 * k, 0, nullptr, gone);
  index.insert(object(3, "c"), 10 * k, 0, nullptr, gone);
  EXPECT_TRUE(index.touch(1));
  index.insert(object(4, "d"), 10 * k, 0, nullptr, gone);
  EXPECT_EQ(gone, (Ids{2}));
  EXPECT_EQ(index.counts().evictions, 1u);
  EXPECT_EQ(index.get(2), nullptr);
  EXPECT_NE(index.get(1), nullptr);
  EXPECT_EQ(index.diskBytes(), 30 * k);
}

TEST(StoreIndexTest, AnObjectOverTheLimitAloneStaysUntilTheNext) {
  ObjectIndex index({10 * k, 1000});
  Ids gone;
  index.insert(object(1, "a"), 5 * k, 0, nullptr, gone);
  index.insert(object(2, "b"), 50 * k, 0, nullptr, gone);  // callers reserve first; never 2 > 1
  EXPECT_EQ(gone, (Ids{1}));
  EXPECT_NE(index.get(2), nullptr);
}

TEST(StoreIndexTest, EachFileCountsAsWholeBlocks) {
  ObjectIndex index({4 * k, 1000});
  Ids gone;
  index.insert(object(1, "a"), 1, 0, nullptr, gone);
  EXPECT_EQ(index.diskBytes(), k);
  index.insert(object(2, "b"), k, 0, nullptr, gone);
  EXPECT_EQ(index.diskBytes(), 2 * k);
  index.insert(object(3, "c"), k + 1, 0, nullptr, gone);
  EXPECT_EQ(index.diskBytes(), 4 * k);
  EXPECT_TRUE(gone.empty());
  // Four files of 8 KiB + 2 bytes in all: by bytes they fit 16 KiB, by blocks one must go.
  index.insert(object(4, "d"), 1, 0, nullptr, gone);
  EXPECT_EQ(gone, (Ids{1}));
  EXPECT_EQ(index.diskBytes(), 4 * k);
  EXPECT_TRUE(index.setFileSize(3, 10));  // a rewrite that shrank the file to one block
  EXPECT_EQ(index.diskBytes(), 3 * k);
  EXPECT_TRUE(index.remove(2));
  EXPECT_EQ(index.diskBytes(), 2 * k);
  EXPECT_EQ(index.reserve(1, gone), ObjectIndex::Reservation::Ok);
  EXPECT_EQ(index.reservedBytes(), k);
  index.release(1);
  EXPECT_EQ(index.reservedBytes(), 0u);
}

TEST(StoreIndexTest, ReservationsMakeRoomFirst) {
  ObjectIndex index({4 * k, 1000});
  Ids gone;
  index.insert(object(1, "a"), k, 0, nullptr, gone);
  index.insert(object(2, "b"), k, 0, nullptr, gone);
  index.insert(object(3, "c"), k, 0, nullptr, gone);
  EXPECT_EQ(index.reserve(2 * k, gone), ObjectIndex::Reservation::Ok);
  EXPECT_EQ(gone, (Ids{1}));
  EXPECT_EQ(index.reservedBytes(), 2 * k);
  index.release(2 * k);
  EXPECT_EQ(index.reservedBytes(), 0u);
}

TEST(StoreIndexTest, ReservationsTakeAtMostHalfTheLimit) {
  ObjectIndex index({10 * k, 1000});
  Ids gone;
  for (uint64_t id = 1; id <= 5; ++id) {
    index.insert(object(id, std::to_string(id)), k, 0, nullptr, gone);
  }
  using R = ObjectIndex::Reservation;
  EXPECT_EQ(index.reserve(5 * k + 1, gone), R::TooLarge);  // over half alone: never
  EXPECT_EQ(index.reserve(3 * k, gone), R::Ok);
  EXPECT_EQ(index.reserve(2 * k + 1, gone), R::Busy);  // three blocks beside three: over half
  EXPECT_EQ(index.reserve(2 * k, gone), R::Ok);
  EXPECT_EQ(index.reserve(1, gone), R::Busy);
  EXPECT_EQ(index.reservedBytes(), 5 * k);
  // Half of the limit is left to the stored objects, whatever is being written.
  EXPECT_TRUE(gone.empty());
  EXPECT_EQ(index.objects(), 5u);
  index.release(3 * k);
  EXPECT_EQ(index.reserve(1, gone), R::Ok);
  EXPECT_EQ(index.reservedBytes(), 3 * k);
}

TEST(StoreIndexTest, MemoryTierEvictsBodiesButKeepsObjects) {
  ObjectIndex index({1000 * k, 25});
  Ids gone;
  index.insert(object(1, "a"), 10, 0, body(10), gone);
  index.insert(object(2, "b"), 10, 0, body(10), gone);
  index.touch(1);
  index.insert(object(3, "c"), 10, 0, body(10), gone);
  EXPECT_TRUE(gone.empty());
  EXPECT_EQ(index.objects(), 3u);
  EXPECT_EQ(index.memoryObjects(), 2u);
  EXPECT_EQ(index.memoryBytes(), 20u);
  EXPECT_EQ(index.counts().memoryEvictions, 1u);
  EXPECT_EQ(index.get(2)->object->memoryBody(), nullptr);
  EXPECT_NE(index.get(1)->object->memoryBody(), nullptr);
  EXPECT_NE(index.get(3)->object->memoryBody(), nullptr);
}

TEST(StoreIndexTest, KeepInMemoryAddsALaterBody) {
  ObjectIndex index({1000 * k, 100});
  Ids gone;
  index.insert(object(1, "a"), 10, 0, nullptr, gone);
  EXPECT_TRUE(index.keepInMemory(1, body(8)));
  EXPECT_FALSE(index.keepInMemory(1, body(8)));  // already there
  EXPECT_FALSE(index.keepInMemory(9, body(8)));  // not indexed
  EXPECT_FALSE(index.keepInMemory(1, nullptr));
  EXPECT_EQ(index.memoryBytes(), 8u);
  EXPECT_EQ(index.get(1)->object->memoryBody()->size(), 8u);
}

TEST(StoreIndexTest, ReplaceSwapsTheObjectAndCarriesItsBody) {
  ObjectIndex index({1000 * k, 100});
  Ids gone;
  index.insert(object(1, "k", "v"), 10, 7, body(4), gone);
  ObjectPtr fresh = object(1, "k", "v");
  EXPECT_TRUE(index.replace(fresh));
  EXPECT_EQ(index.get(1)->object, fresh);
  EXPECT_EQ(index.get(1)->bodyCrc, 7u);
  ASSERT_NE(fresh->memoryBody(), nullptr);
  EXPECT_FALSE(index.replace(object(2, "k", "v")));      // not indexed
  EXPECT_FALSE(index.replace(object(1, "other", "v")));  // another key under the same id
  EXPECT_TRUE(index.setFileSize(1, 2 * k));
  EXPECT_EQ(index.diskBytes(), 2 * k);
}

TEST(StoreIndexTest, RemoveKeyTakesEveryVariant) {
  ObjectIndex index({1000 * k, 100});
  Ids gone;
  index.insert(object(1, "k", "a"), 10, 0, body(4), gone);
  index.insert(object(2, "k", "b"), 10, 0, nullptr, gone);
  index.insert(object(3, "j"), 10, 0, nullptr, gone);
  EXPECT_EQ(index.removeKey("k", gone), 2u);
  std::sort(gone.begin(), gone.end());
  EXPECT_EQ(gone, (Ids{1, 2}));
  EXPECT_EQ(index.objects(), 1u);
  EXPECT_EQ(index.diskBytes(), k);
  EXPECT_EQ(index.memoryBytes(), 0u);
  EXPECT_EQ(index.removeKey("k", gone), 0u);
}

TEST(StoreIndexTest, RemoveHostIgnoresCaseAndSparesOtherHosts) {
  ObjectIndex index({1000 * k, 100});
  Ids gone;
  index.insert(object(1, "http://a.example/1", "", "a.example"), 10, 0, nullptr, gone);
  index.insert(object(2, "http://a.example/2", "", "a.example"), 10, 0, nullptr, gone);
  index.insert(object(3, "http://b.example/1", "", "b.example"), 10, 0, nullptr, gone);
  EXPECT_EQ(index.removeHost("A.Example", gone), 2u);
  EXPECT_EQ(index.objects(), 1u);
  EXPECT_NE(index.get(3), nullptr);
}

TEST(StoreIndexTest, EvictBytesFreesAtLeastThatMuch) {
  ObjectIndex index({1000 * k, 100});
  Ids gone;
  for (uint64_t id = 1; id <= 5; ++id)
    index.insert(object(id, std::to_string(id)), 10, 0, nullptr, gone);
  index.evictBytes(k + 1, gone);  // each file is a block
  EXPECT_EQ(gone, (Ids{1, 2}));
  EXPECT_EQ(index.counts().evictions, 2u);
}

TEST(StoreIndexTest, RemoveAndTouchOfAnUnknownIdAreFalse) {
  ObjectIndex index({1000 * k, 100});
  EXPECT_FALSE(index.remove(1));
  EXPECT_FALSE(index.touch(1));
  EXPECT_EQ(index.get(1), nullptr);
}

}  // namespace
}  // namespace tollgate::cache
