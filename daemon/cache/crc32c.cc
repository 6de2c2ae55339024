// CRC32C: the SSE4.2 instruction when the CPU has it, slicing-by-8 otherwise (crc32c.h).
#include "daemon/cache/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace tollgate::cache {
namespace {

constexpr uint32_t kCrcPoly = 0x82F63B78;  // Castagnoli, reflected

// Table k maps a byte to its CRC contribution k bytes further on: slicing-by-8 folds 8 input
// bytes per step with 8 lookups instead of 8 dependent shifts.
using CrcTables = std::array<std::array<uint32_t, 256>, 8>;
constexpr CrcTables makeCrcTables() {
  CrcTables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int b = 0; b < 8; ++b) c = (c & 1) ? (c >> 1) ^ kCrcPoly : c >> 1;
    t[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; ++i) {
    for (int k = 1; k < 8; ++k) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
  }
  return t;
}
constexpr CrcTables kCrc = makeCrcTables();

using CrcFn = uint32_t (*)(uint32_t, const void*, size_t);

CrcFn pickImplementation() {
  return crc32cHardwareAvailable() ? &crc32cHardware : &crc32cSoftware;
}

}  // namespace

uint32_t crc32cSoftware(uint32_t crc, const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t c = ~crc;
  while (size >= 8) {
    uint32_t lo =
        c ^ (uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24);
    c = kCrc[7][lo & 0xff] ^ kCrc[6][(lo >> 8) & 0xff] ^ kCrc[5][(lo >> 16) & 0xff] ^
        kCrc[4][lo >> 24] ^ kCrc[3][p[4]] ^ kCrc[2][p[5]] ^ kCrc[1][p[6]] ^ kCrc[0][p[7]];
    p += 8;
    size -= 8;
  }
  while (size-- > 0) c = (c >> 8) ^ kCrc[0][(c ^ *p++) & 0xff];
  return ~c;
}

#if defined(__x86_64__)

// The CRC32 instruction computes exactly this CRC (reflected Castagnoli, no final inversion),
// 8 bytes per instruction. One dependent chain: about 3 cycles per 8 bytes, several times the
// tables' speed; interleaving 3 chains would triple it again but needs a combine step, which the
// disk threads, bounded by pread, do not need.
__attribute__((target("sse4.2"))) uint32_t crc32cHardware(uint32_t crc, const void* data,
                                                          size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t c = ~crc;
  // Byte steps up to an 8-byte boundary, so that the 8-byte loads never straddle a cache line.
  while (size > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    c = _mm_crc32_u8(static_cast<uint32_t>(c), *p++);
    --size;
  }
  while (size >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);  // little-endian, as the reflected CRC reads bytes
    c = _mm_crc32_u64(c, word);
    p += 8;
    size -= 8;
  }
  while (size-- > 0) c = _mm_crc32_u8(static_cast<uint32_t>(c), *p++);
  return ~static_cast<uint32_t>(c);
}

bool crc32cHardwareAvailable() {
  // May run before main() (from a static initializer elsewhere): init is then required.
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}

#else

uint32_t crc32cHardware(uint32_t crc, const void* data, size_t size) {
  return crc32cSoftware(crc, data, size);  // never chosen: crc32cHardwareAvailable() is false
}

bool crc32cHardwareAvailable() { return false; }

#endif

uint32_t crc32cExtend(uint32_t crc, const void* data, size_t size) {
  static const CrcFn impl = pickImplementation();
  return impl(crc, data, size);
}

}  // namespace tollgate::cache
