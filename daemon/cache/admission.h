#pragma once
// Second-request admission for small objects: a small response is stored only when its key was
// asked for before, recently. Most small objects an ISP cache sees are fetched once (one-hit
// wonders); storing each costs a file and an inode (measured: ext4's inode allocator, not the
// bytes, is what a stored 1 KB miss costs the machine) and pushes out objects that would have
// been hit. Large objects are always admitted: one of them saves what thousands of small ones do.
//
// The memory is a fixed table of 2^18 32-bit fingerprints (1 MiB), direct-mapped by key hash:
// a key's slot holds its fingerprint once the key has been seen. A later key with the same slot
// overwrites it (the table forgets the oldest first, roughly), and a fingerprint collision
// admits an object early, which costs nothing but the file. Lock-free: relaxed atomics, shared
// by every worker.
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

namespace tollgate::cache {

class AdmissionFilter {
 public:
  static constexpr size_t kSlots = size_t{1} << 18;

  AdmissionFilter() : slots_(std::make_unique<std::array<std::atomic<uint32_t>, kSlots>>()) {}

  // True when `key` was seen before (admit it now); false the first time, which remembers it.
  bool seenBefore(std::string_view key) {
    uint64_t h = std::hash<std::string_view>{}(key);
    h ^= h >> 29;  // std::hash of a string is good in the low bits; mix the high ones down too
    const uint32_t fingerprint = static_cast<uint32_t>(h >> 32) | 1u;  // 0 marks an empty slot
    auto& slot = (*slots_)[h & (kSlots - 1)];
    if (slot.load(std::memory_order_relaxed) == fingerprint) return true;
    slot.store(fingerprint, std::memory_order_relaxed);
    return false;
  }

 private:
  std::unique_ptr<std::array<std::atomic<uint32_t>, kSlots>> slots_;
};

}  // namespace tollgate::cache
