#include "daemon/net/buffer.h"

#include <gtest/gtest.h>

using tollgate::net::Buffer;

TEST(Buffer, HoldsNoMemoryUntilUsedAndAfterRelease) {
  Buffer b;
  EXPECT_TRUE(b.empty());
  b.append("hello");
  EXPECT_EQ(b.view(), "hello");
  b.consume(5);
  EXPECT_TRUE(b.empty());
  b.release();
  EXPECT_EQ(b.prepare(1, Buffer::kChunk), Buffer::kChunk);
}

TEST(Buffer, GrowsUpToTheCapAndNoFurther) {
  Buffer b;
  size_t room = b.prepare(Buffer::kChunk, 20000);
  b.commit(room);
  EXPECT_EQ(b.size(), Buffer::kChunk);
  room = b.prepare(Buffer::kChunk, 20000);
  EXPECT_EQ(room, 20000 - Buffer::kChunk);
  b.commit(room);
  EXPECT_EQ(b.prepare(1, 20000), 0u);
}

TEST(Buffer, CompactsBeforeGrowing) {
  Buffer b;
  b.commit(b.prepare(Buffer::kChunk, Buffer::kChunk));
  b.consume(Buffer::kChunk - 10);
  EXPECT_GE(b.prepare(100, Buffer::kChunk), 100u);
  EXPECT_EQ(b.size(), 10u);
}

TEST(Buffer, ReplacePrefixKeepsTheRest) {
  Buffer b;
  b.append("HEAD\r\n\r\nbody");
  b.replacePrefix(8, "NEWHEAD\r\n\r\n");
  EXPECT_EQ(b.view(), "NEWHEAD\r\n\r\nbody");
}
