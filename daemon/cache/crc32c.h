#pragma once
// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of the store's files
// (object_file.h). Two implementations with one contract: the CPU's CRC32 instruction (SSE4.2,
// 8 bytes per instruction) where the CPU has it, chosen once at run time, and a portable
// slicing-by-8 fallback. Serving a whole body from disk checksums every byte read, so on the
// disk threads this is the hot loop (profiled at 29% of the daemon's CPU with the fallback).
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tollgate::cache {

// `crc` is the CRC of the bytes before `data` (0 for none):
// crc32cExtend(crc32c(a), b) == crc32c(a + b). Any alignment, any size.
uint32_t crc32cExtend(uint32_t crc, const void* data, size_t size);
inline uint32_t crc32c(std::string_view bytes) {
  return crc32cExtend(0, bytes.data(), bytes.size());
}

// The two implementations behind crc32cExtend, same contract, for tests and benchmarks.
// crc32cHardware may be called only when crc32cHardwareAvailable() (else it would fault with
// SIGILL); crc32cExtend uses it then, and crc32cSoftware otherwise.
uint32_t crc32cSoftware(uint32_t crc, const void* data, size_t size);
uint32_t crc32cHardware(uint32_t crc, const void* data, size_t size);
bool crc32cHardwareAvailable();

}  // namespace tollgate::cache
