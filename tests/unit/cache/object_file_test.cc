// Spec of the store's on-disk object format (object_file.h): round trips, and every way a file
// can be cut short or altered being refused. CRC32C itself is in crc32c_test.cc.
#include "daemon/cache/object_file.h"

#include <gtest/gtest.h>

#include <string>

namespace tollgate::cache {
namespace {

std::string bytes(std::initializer_list<int> v) {
  std::string s;
  for (int b : v) s.push_back(static_cast<char>(b));
  return s;
}

ObjectMeta sampleMeta() {
  ObjectMeta m;
  m.key = "http://example.com/a?b=c";
  m.variant = "accept-encoding=gzip\nuser-agent";
  m.url = "http://example.com/a?b=c";
  m.host = "example.com";
  m.status = 203;
  m.reason = "Non-Authoritative Information";
  m.fields = {{"Content-Type", "text/html"},
              {"ETag", "\"x\""},
              {"Vary", "Accept-Encoding"},
              {"X-Empty", ""}};
  m.bodyLength = 12345;
  m.requestTime = 1700000000;
  m.responseTime = -5;  // any int64 survives, even a nonsense one
  return m;
}

FreshnessInfo sampleFreshness() {
  FreshnessInfo f;
  f.responseTime = 1700000001;
  f.correctedInitialAge = 7;
  f.lifetime = 86400;
  f.heuristic = true;
  f.mustRevalidate = true;
  f.immutable = true;
  f.staleWhileRevalidate = 0;  // present with 0 differs from absent
  f.hasValidators = true;
  return f;
}

void expectSame(const ObjectMeta& a, const ObjectMeta& b) {
  EXPECT_EQ(a.key, b.key);
  EXPECT_EQ(a.variant, b.variant);
  EXPECT_EQ(a.url, b.url);
  EXPECT_EQ(a.host, b.host);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.reason, b.reason);
  ASSERT_EQ(a.fields.size(), b.fields.size());
  for (size_t i = 0; i < a.fields.size(); ++i) {
    EXPECT_EQ(a.fields[i].name, b.fields[i].name);
    EXPECT_EQ(a.fields[i].value, b.fields[i].value);
  }
  EXPECT_EQ(a.bodyLength, b.bodyLength);
  EXPECT_EQ(a.requestTime, b.requestTime);
  EXPECT_EQ(a.responseTime, b.responseTime);
}

TEST(ObjectFileTest, HeaderRoundTrips) {
  std::string h = encodeHeader(0x0123456789abcdefULL);
  ASSERT_EQ(h.size(), kHeaderSize);
  EXPECT_EQ(decodeHeader(h), 0x0123456789abcdefULL);
}

TEST(ObjectFileTest, HeaderWithOtherMagicVersionOrSizeIsRefused) {
  std::string h = encodeHeader(1);
  for (size_t at : {0u, 7u, 8u, 12u}) {
    std::string bad = h;
    bad[at] ^= 1;
    EXPECT_FALSE(decodeHeader(bad)) << "byte " << at;
  }
  EXPECT_FALSE(decodeHeader(h.substr(0, 31)));
}

TEST(ObjectFileTest, MetadataRoundTripsEveryField) {
  ObjectMeta meta;
  FreshnessInfo f;
  ASSERT_TRUE(decodeMeta(encodeMeta(sampleMeta(), sampleFreshness()), meta, f));
  expectSame(meta, sampleMeta());
  FreshnessInfo want = sampleFreshness();
  EXPECT_EQ(f.responseTime, want.responseTime);
  EXPECT_EQ(f.correctedInitialAge, want.correctedInitialAge);
  EXPECT_EQ(f.lifetime, want.lifetime);
  EXPECT_TRUE(f.heuristic);
  EXPECT_FALSE(f.noCache);
  EXPECT_TRUE(f.mustRevalidate);
  EXPECT_TRUE(f.immutable);
  EXPECT_EQ(f.staleWhileRevalidate, std::optional<int64_t>(0));
  EXPECT_EQ(f.staleIfError, std::nullopt);
  EXPECT_TRUE(f.hasValidators);
}

TEST(ObjectFileTest, MetadataCutAnywhereOrWithTrailingBytesIsRefused) {
  std::string m = encodeMeta(sampleMeta(), sampleFreshness());
  ObjectMeta meta;
  FreshnessInfo f;
  for (size_t len = 0; len < m.size(); ++len) {
    EXPECT_FALSE(decodeMeta(m.substr(0, len), meta, f)) << "prefix " << len;
  }
  EXPECT_FALSE(decodeMeta(m + "x", meta, f));
}

TEST(ObjectFileTest, MetadataWithAHugeFieldCountIsRefusedWithoutReserving) {
  ObjectMeta empty;
  empty.fields.clear();
  std::string m = encodeMeta(empty, FreshnessInfo{});
  // key, variant, url, host (4 bytes each, empty), status 4, reason 4: the count is at 24.
  m.replace(24, 4, bytes({0xff, 0xff, 0xff, 0x7f}));
  ObjectMeta meta;
  FreshnessInfo f;
  EXPECT_FALSE(decodeMeta(m, meta, f));
}

struct FileParts {
  std::string header, body, tail;
  std::string whole() const { return header + body + tail; }
};

FileParts sampleFile(const std::string& body = "hello, body") {
  ObjectMeta m = sampleMeta();
  m.bodyLength = body.size();
  FileParts p;
  p.header = encodeHeader(42);
  p.body = body;
  p.tail = encodeTail(p.header, encodeMeta(m, sampleFreshness()), body.size(), crc32c(body));
  return p;
}

// What open() does with a file's bytes.
FileCheck check(const std::string& file, ObjectMeta* out = nullptr) {
  FileFrame frame;
  std::string_view f = file;
  if (f.size() < kHeaderSize + kTrailerSize) return FileCheck::BadSize;
  FileCheck c =
      checkFrame(f.substr(0, kHeaderSize), f.substr(f.size() - kTrailerSize), f.size(), frame);
  if (c != FileCheck::Ok) return c;
  ObjectMeta meta;
  FreshnessInfo fresh;
  c = checkMeta(f.substr(0, kHeaderSize), f.substr(frame.metaOffset(), frame.trailer.metaLength),
                frame, meta, fresh);
  if (out) *out = meta;
  return c;
}

TEST(ObjectFileTest, WholeFileChecksAndCarriesTheBodyCrc) {
  FileParts p = sampleFile();
  ObjectMeta meta;
  ASSERT_EQ(check(p.whole(), &meta), FileCheck::Ok);
  EXPECT_EQ(meta.key, sampleMeta().key);
  std::string f = p.whole();
  auto t = decodeTrailer(std::string_view(f).substr(f.size() - kTrailerSize));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->bodyCrc, crc32c("hello, body"));
  EXPECT_EQ(t->bodyLength, 11u);
}

TEST(ObjectFileTest, EmptyBodyIsAFile) { EXPECT_EQ(check(sampleFile("").whole()), FileCheck::Ok); }

TEST(ObjectFileTest, EveryTruncationIsRefused) {
  std::string f = sampleFile().whole();
  for (size_t len = 0; len < f.size(); ++len) {
    EXPECT_NE(check(f.substr(0, len)), FileCheck::Ok) << "length " << len;
  }
}

TEST(ObjectFileTest, AnExtraByteIsRefused) {
  FileParts p = sampleFile();
  p.body += "x";  // the trailer still says 11
  EXPECT_EQ(check(p.whole()), FileCheck::BadSize);
}

TEST(ObjectFileTest, AnyFlippedByteOutsideTheBodyIsRefused) {
  FileParts p = sampleFile();
  std::string f = p.whole();
  size_t bodyEnd = p.header.size() + p.body.size();
  for (size_t at = 0; at < f.size(); ++at) {
    if (at >= p.header.size() && at < bodyEnd) continue;
    std::string bad = f;
    bad[at] ^= 0x10;
    EXPECT_NE(check(bad), FileCheck::Ok) << "byte " << at << " of " << f.size();
  }
}

TEST(ObjectFileTest, AFlippedBodyByteLeavesTheFrameValid) {
  // Bodies are checked while served, not at open(): their CRC is only carried here.
  FileParts p = sampleFile();
  p.body[3] ^= 1;
  EXPECT_EQ(check(p.whole()), FileCheck::Ok);
}

TEST(ObjectFileTest, MetadataOverTheCapIsRefusedBeforeReadingIt) {
  std::string f = sampleFile().whole();
  std::string trailer = f.substr(f.size() - kTrailerSize);
  uint64_t big = kMetaMax + 1;
  for (int i = 0; i < 8; ++i) trailer[8 + i] = static_cast<char>((big >> (8 * i)) & 0xff);
  EXPECT_FALSE(decodeTrailer(trailer));
}

TEST(ObjectFileTest, HugeBodyLengthDoesNotWrap) {
  std::string f = sampleFile().whole();
  std::string trailer = f.substr(f.size() - kTrailerSize);
  for (int i = 0; i < 8; ++i) trailer[i] = '\xff';
  FileFrame frame;
  EXPECT_EQ(checkFrame(f.substr(0, kHeaderSize), trailer, f.size(), frame), FileCheck::BadSize);
}

TEST(ObjectFileTest, IdNamesAndPaths) {
  EXPECT_EQ(idName(0x1a2b), "0000000000001a2b");
  EXPECT_EQ(parseIdName("0000000000001a2b"), 0x1a2bu);
  EXPECT_EQ(parseIdName("ffffffffffffffff"), UINT64_MAX);
  EXPECT_FALSE(parseIdName("0000000000001A2B"));  // upper case is not a name the store writes
  EXPECT_FALSE(parseIdName("000000000001a2b"));
  EXPECT_FALSE(parseIdName("0000000000001a2g"));
  EXPECT_FALSE(parseIdName(std::string_view("000000000000\0a2b", 16)));
  EXPECT_EQ(objectRelPath(0x1a2b), "objects/2b/0000000000001a2b");
  EXPECT_EQ(tmpRelPath(0x1a2b), "tmp/0000000000001a2b");
}

}  // namespace
}  // namespace tollgate::cache
