// On-disk object format; the layout is drawn in object_file.h.
#include "daemon/cache/object_file.h"

#include <cstring>

namespace tollgate::cache {
namespace {

// --- little-endian fields ------------------------------------------------------------------------

void putU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void putU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void putI64(std::string& out, int64_t v) { putU64(out, static_cast<uint64_t>(v)); }
void putStr(std::string& out, std::string_view s) {
  putU32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

uint64_t getLe(std::string_view bytes, size_t at, int width) {
  uint64_t v = 0;
  for (int i = width - 1; i >= 0; --i) {
    v = (v << 8) | static_cast<unsigned char>(bytes[at + static_cast<size_t>(i)]);
  }
  return v;
}

// Reads fields in order; any read past the end sets failed and yields zeros from then on.
class Cursor {
 public:
  explicit Cursor(std::string_view bytes) : rest_(bytes) {}
  uint64_t u64() { return take(8) ? getLe(last_, 0, 8) : 0; }
  uint32_t u32() { return take(4) ? static_cast<uint32_t>(getLe(last_, 0, 4)) : 0; }
  int64_t i64() { return static_cast<int64_t>(u64()); }
  uint8_t u8() { return take(1) ? static_cast<uint8_t>(last_[0]) : 0; }
  std::string str() {
    uint32_t n = u32();
    return take(n) ? std::string(last_) : std::string();
  }
  size_t left() const { return rest_.size(); }
  bool ok() const { return !failed_; }

 private:
  bool take(size_t n) {
    if (failed_ || n > rest_.size()) {
      failed_ = true;
      return false;
    }
    last_ = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return true;
  }
  std::string_view rest_;
  std::string_view last_;
  bool failed_ = false;
};

constexpr std::string_view kHeaderMagic{"TGCACHE\0", 8};
constexpr std::string_view kTrailerMagic{"TGCEND\0\0", 8};

enum MetaFlags : uint8_t {
  kHeuristic = 1,
  kNoCache = 2,
  kMustRevalidate = 4,
  kImmutable = 8,
  kHasSwr = 16,
  kHasSie = 32,
  kHasValidators = 64,
};

const char kHex[] = "0123456789abcdef";

// The CRC that makes a file's frame trustworthy: header, metadata, and the trailer up to
// itself (lengths and body CRC), so that no byte outside the body goes unchecked but the magic.
uint32_t metaCrc(std::string_view header, std::string_view meta, std::string_view trailerHead) {
  uint32_t crc = crc32c(header);
  crc = crc32cExtend(crc, meta.data(), meta.size());
  return crc32cExtend(crc, trailerHead.data(), trailerHead.size());
}

}  // namespace

std::string encodeHeader(uint64_t id) {
  std::string h(kHeaderMagic);
  putU32(h, kFormatVersion);
  putU32(h, kHeaderSize);
  putU64(h, id);
  putU64(h, 0);
  return h;
}

std::optional<uint64_t> decodeHeader(std::string_view header) {
  if (header.size() != kHeaderSize || header.substr(0, 8) != kHeaderMagic) return std::nullopt;
  if (getLe(header, 8, 4) != kFormatVersion || getLe(header, 12, 4) != kHeaderSize) {
    return std::nullopt;
  }
  return getLe(header, 16, 8);
}

std::string encodeMeta(const ObjectMeta& meta, const FreshnessInfo& f) {
  std::string out;
  putStr(out, meta.key);
  putStr(out, meta.variant);
  putStr(out, meta.url);
  putStr(out, meta.host);
  putU32(out, static_cast<uint32_t>(meta.status));
  putStr(out, meta.reason);
  putU32(out, static_cast<uint32_t>(meta.fields.size()));
  for (const StoredField& field : meta.fields) {
    putStr(out, field.name);
    putStr(out, field.value);
  }
  putU64(out, meta.bodyLength);
  putI64(out, meta.requestTime);
  putI64(out, meta.responseTime);
  putI64(out, f.responseTime);
  putI64(out, f.correctedInitialAge);
  putI64(out, f.lifetime);
  uint8_t flags = (f.heuristic ? kHeuristic : 0) | (f.noCache ? kNoCache : 0) |
                  (f.mustRevalidate ? kMustRevalidate : 0) | (f.immutable ? kImmutable : 0) |
                  (f.staleWhileRevalidate ? kHasSwr : 0) | (f.staleIfError ? kHasSie : 0) |
                  (f.hasValidators ? kHasValidators : 0);
  out.push_back(static_cast<char>(flags));
  putI64(out, f.staleWhileRevalidate.value_or(0));
  putI64(out, f.staleIfError.value_or(0));
  return out;
}

bool decodeMeta(std::string_view bytes, ObjectMeta& meta, FreshnessInfo& f) {
  Cursor in(bytes);
  meta.key = in.str();
  meta.variant = in.str();
  meta.url = in.str();
  meta.host = in.str();
  meta.status = static_cast<int32_t>(in.u32());
  meta.reason = in.str();
  uint32_t count = in.u32();
  // Each field takes at least its two lengths: a count beyond that is a lie, not a reserve().
  if (!in.ok() || count > in.left() / 8) return false;
  meta.fields.clear();
  meta.fields.reserve(count);
  for (uint32_t i = 0; i < count && in.ok(); ++i) {
    std::string name = in.str();
    std::string value = in.str();
    meta.fields.push_back({std::move(name), std::move(value)});
  }
  meta.bodyLength = in.u64();
  meta.requestTime = in.i64();
  meta.responseTime = in.i64();
  f.responseTime = in.i64();
  f.correctedInitialAge = in.i64();
  f.lifetime = in.i64();
  uint8_t flags = in.u8();
  int64_t swr = in.i64();
  int64_t sie = in.i64();
  if (!in.ok() || in.left() != 0 || flags >= 128) return false;
  f.heuristic = flags & kHeuristic;
  f.noCache = flags & kNoCache;
  f.mustRevalidate = flags & kMustRevalidate;
  f.immutable = flags & kImmutable;
  f.staleWhileRevalidate = (flags & kHasSwr) ? std::optional<int64_t>(swr) : std::nullopt;
  f.staleIfError = (flags & kHasSie) ? std::optional<int64_t>(sie) : std::nullopt;
  f.hasValidators = flags & kHasValidators;
  return true;
}

std::string encodeTail(std::string_view header, std::string_view meta, uint64_t bodyLength,
                       uint32_t bodyCrc) {
  std::string out(meta);
  std::string covered;  // trailer bytes 0..19
  putU64(covered, bodyLength);
  putU64(covered, meta.size());
  putU32(covered, bodyCrc);
  out += covered;
  putU32(out, metaCrc(header, meta, covered));
  out.append(kTrailerMagic);
  return out;
}

std::optional<Trailer> decodeTrailer(std::string_view trailer) {
  if (trailer.size() != kTrailerSize || trailer.substr(24, 8) != kTrailerMagic) {
    return std::nullopt;
  }
  Trailer t;
  t.bodyLength = getLe(trailer, 0, 8);
  t.metaLength = getLe(trailer, 8, 8);
  t.bodyCrc = static_cast<uint32_t>(getLe(trailer, 16, 4));
  t.metaCrc = static_cast<uint32_t>(getLe(trailer, 20, 4));
  if (t.metaLength > kMetaMax) return std::nullopt;
  return t;
}

const char* toString(FileCheck c) {
  switch (c) {
    case FileCheck::Ok:
      return "ok";
    case FileCheck::BadHeader:
      return "bad header";
    case FileCheck::BadTrailer:
      return "bad trailer";
    case FileCheck::BadSize:
      return "size does not match the lengths";
    case FileCheck::BadMetaCrc:
      return "metadata CRC mismatch";
    case FileCheck::BadMeta:
      return "metadata does not decode";
  }
  return "?";
}

FileCheck checkFrame(std::string_view header, std::string_view trailer, uint64_t fileSize,
                     FileFrame& frame) {
  if (fileSize < kHeaderSize + kTrailerSize) return FileCheck::BadSize;
  std::optional<uint64_t> id = decodeHeader(header);
  if (!id) return FileCheck::BadHeader;
  std::optional<Trailer> t = decodeTrailer(trailer);
  if (!t) return FileCheck::BadTrailer;
  // Each term is checked against what is left, so a huge bodyLength cannot wrap the sum.
  uint64_t room = fileSize - kHeaderSize - kTrailerSize;
  if (t->metaLength > room || t->bodyLength != room - t->metaLength) return FileCheck::BadSize;
  frame.id = *id;
  frame.trailer = *t;
  frame.fileSize = fileSize;
  return FileCheck::Ok;
}

FileCheck checkMeta(std::string_view header, std::string_view meta, const FileFrame& frame,
                    ObjectMeta& out, FreshnessInfo& freshness) {
  if (meta.size() != frame.trailer.metaLength) return FileCheck::BadSize;
  std::string covered;
  putU64(covered, frame.trailer.bodyLength);
  putU64(covered, frame.trailer.metaLength);
  putU32(covered, frame.trailer.bodyCrc);
  if (metaCrc(header, meta, covered) != frame.trailer.metaCrc) return FileCheck::BadMetaCrc;
  if (!decodeMeta(meta, out, freshness) || out.bodyLength != frame.trailer.bodyLength) {
    return FileCheck::BadMeta;
  }
  return FileCheck::Ok;
}

std::string idName(uint64_t id) {
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, id >>= 4) s[static_cast<size_t>(i)] = kHex[id & 0xf];
  return s;
}

std::optional<uint64_t> parseIdName(std::string_view name) {
  if (name.size() != 16) return std::nullopt;
  uint64_t id = 0;
  for (char c : name) {
    const char* at = std::strchr(kHex, c);
    if (c == '\0' || at == nullptr) return std::nullopt;
    id = (id << 4) | static_cast<uint64_t>(at - kHex);
  }
  return id;
}

std::string objectRelPath(uint64_t id) {
  std::string name = idName(id);
  return "objects/" + name.substr(14) + "/" + name;
}

std::string tmpRelPath(uint64_t id) { return "tmp/" + idName(id); }

}  // namespace tollgate::cache
