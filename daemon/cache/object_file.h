#pragma once
// The on-disk form of one stored object (CRC32C itself is in crc32c.h). Pure: encoders and
// decoders over byte strings, no I/O, never throw (beyond std::bad_alloc). The store does the
// reads and writes.
//
// One file per object, objects/XX/<16 lower-case hex id> (XX: the id's low byte in hex, so
// sequential ids spread over 256 directories). All integers little-endian.
//
//   +0                 header (32 bytes)
//                        0  8  magic "TGCACHE\0"
//                        8  4  format version (1)
//                       12  4  header size (32)
//                       16  8  object id (equal to the file name)
//                       24  8  reserved, 0
//   +32                body (bodyLength bytes), exactly as served (decoded transfer coding)
//   +32+bodyLength     metadata (metaLength bytes), see encodeMeta()
//   +32+bodyLength     trailer (32 bytes)
//    +metaLength         0  8  bodyLength
//                        8  8  metaLength (<= kMetaMax)
//                       16  4  bodyCrc: CRC32C of the body
//                       20  4  metaCrc: CRC32C of header, metadata and trailer bytes 0..19
//                       24  8  magic "TGCEND\0\0"
//
// A file is whole when its size is 32 + bodyLength + metaLength + 32 and metaCrc checks; the
// body CRC is checked while a whole body is served (reading every body at start-up would make
// opening a large cache take minutes). The metadata and trailer are written last, so a
// rewrite after a 304 (truncate at the body end, write metadata + trailer) interrupted by a
// crash leaves a file whose size or metaCrc fails.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/cache/crc32c.h"
#include "daemon/cache/object_store.h"

namespace tollgate::cache {

inline constexpr uint32_t kFormatVersion = 1;
inline constexpr size_t kHeaderSize = 32;
inline constexpr size_t kTrailerSize = 32;
// Metadata larger than this is refused when storing and taken for corruption when reading: a
// flipped length must not make open() allocate gigabytes before the CRC can fail.
inline constexpr uint64_t kMetaMax = uint64_t{1} << 20;

std::string encodeHeader(uint64_t id);
// The id in a header, or nullopt when the magic, version or header size is not ours.
std::optional<uint64_t> decodeHeader(std::string_view header);

// Metadata: ObjectMeta then FreshnessInfo.
//   str key, variant, url, host   (str = u32 length, bytes)
//   u32 status, str reason
//   u32 field count, then str name, str value for each
//   u64 bodyLength, i64 requestTime, i64 responseTime
//   i64 freshness responseTime, correctedInitialAge, lifetime
//   u8  flags: 1 heuristic, 2 noCache, 4 mustRevalidate, 8 immutable, 16 has
//       staleWhileRevalidate, 32 has staleIfError, 64 hasValidators
//   i64 staleWhileRevalidate, i64 staleIfError (0 when absent)
std::string encodeMeta(const ObjectMeta& meta, const FreshnessInfo& freshness);
// False when the bytes are not exactly one encoded metadata block (every length is checked
// against what is left; trailing bytes are an error).
bool decodeMeta(std::string_view bytes, ObjectMeta& meta, FreshnessInfo& freshness);

struct Trailer {
  uint64_t bodyLength = 0;
  uint64_t metaLength = 0;
  uint32_t metaCrc = 0;
  uint32_t bodyCrc = 0;
};
// What follows the body: metadata, then the trailer (metaCrc computed over `header` too).
std::string encodeTail(std::string_view header, std::string_view meta, uint64_t bodyLength,
                       uint32_t bodyCrc);
// nullopt when the magic is wrong or metaLength is over kMetaMax.
std::optional<Trailer> decodeTrailer(std::string_view trailer);

enum class FileCheck { Ok, BadHeader, BadTrailer, BadSize, BadMetaCrc, BadMeta };
const char* toString(FileCheck c);

// What open() learns of a file from its first and last 32 bytes and its size: the id, the
// lengths and where the metadata is. Ok or BadHeader / BadTrailer / BadSize.
struct FileFrame {
  uint64_t id = 0;
  Trailer trailer;
  uint64_t fileSize = 0;
  uint64_t metaOffset() const { return kHeaderSize + trailer.bodyLength; }
};
FileCheck checkFrame(std::string_view header, std::string_view trailer, uint64_t fileSize,
                     FileFrame& frame);
// The metadata read at frame.metaOffset(): Ok, BadMetaCrc, or BadMeta (CRC good but the
// contents do not decode, or disagree with the trailer's bodyLength).
FileCheck checkMeta(std::string_view header, std::string_view meta, const FileFrame& frame,
                    ObjectMeta& out, FreshnessInfo& freshness);

// "objects/XX/<16 hex>" and "tmp/<16 hex>", relative to the cache directory.
std::string objectRelPath(uint64_t id);
std::string tmpRelPath(uint64_t id);
std::string idName(uint64_t id);  // 16 lower-case hex digits
// The id of a file called `name`, or nullopt when it is not 16 lower-case hex digits.
std::optional<uint64_t> parseIdName(std::string_view name);

}  // namespace tollgate::cache
