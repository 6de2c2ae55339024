#pragma once
// A set of short lower-case strings (host names, URL prefixes) built once and probed by hash.
// Sized for big lists: 1,000,000 names take ~24 bytes each plus their text, against ~90 for an
// unordered_set<std::string> (research/perf_filter_anchors.md §2.3).
//
// Layout: all keys back to back in one arena, each as a 16-bit length and its bytes, in file
// order; slots_ = open addressing (linear probing, load <= 0.7) of (32-bit hash tag << 32 |
// arena offset + 1). An entry is named by its arena offset (EntryId): offsets grow in file
// order, so "the lowest-numbered entry" is the lowest offset. A miss usually costs one slot
// read; a hit costs the slot and the key's bytes, nothing else (the line number lives in a side
// table only explain and block pages read). A tag hit is verified against the key text, so a
// hash collision can never make a false match.
//
// The caller hashes (see hashForward / the reversed walk in domain_set.cc): the same key must be
// given the same hash at add() and at find(); the table does not care how it was computed.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "filters/list.h"

namespace tollgate::filters::lists {

// FNV-1a step over an ASCII-lower-cased byte, and a final mix (murmur3 fmix64) because the low
// bits of FNV pick the slot.
inline uint64_t hashStep(uint64_t h, char c) {
  if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
}
constexpr uint64_t kHashSeed = 0xcbf29ce484222325ULL;
inline uint64_t hashFinish(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}
inline uint64_t hashForward(std::string_view s) {
  uint64_t h = kHashSeed;
  for (char c : s) h = hashStep(h, c);
  return hashFinish(h);
}

class StringTable {
 public:
  // An entry's arena offset; ordered like the file.
  using EntryId = uint32_t;
  static constexpr EntryId kNotFound = UINT32_MAX;
  static constexpr size_t kMaxKey = UINT16_MAX;

  // Entries added after this call came from `file` (for EntryOrigin).
  void beginFile(std::string file);
  // `key` is already normalised and lower-case, at most kMaxKey bytes (callers skip longer
  // ones). Duplicates are dropped at finish().
  void add(std::string_view key, uint64_t hash, int line);
  void reserve(size_t entries, size_t textBytes);
  // Builds the slots; returns how many duplicates were dropped. No add() afterwards.
  size_t finish();

  // The entry whose key equals `key` compared ASCII case-insensitively, or kNotFound.
  EntryId find(uint64_t hash, std::string_view key) const;
  // False when no key has this hash (a one-bit-per-hash filter of ~16 bits per entry, small
  // enough to stay in cache): most suffixes of a host are in no list, and this answers them
  // without touching the slot table.
  bool mayContain(uint64_t hash) const {
    uint64_t bit = (hash >> 24) & filterMask_;
    return (filter_[bit >> 6] >> (bit & 63)) & 1;
  }
  void prefetch(uint64_t hash) const { __builtin_prefetch(&slots_[hash & mask_]); }

  std::string_view key(EntryId id) const {
    const auto* p = reinterpret_cast<const unsigned char*>(text_.data()) + id;
    return std::string_view(text_.data() + id + 2, static_cast<size_t>(p[0] | p[1] << 8));
  }
  EntryOrigin origin(EntryId id) const;
  size_t size() const { return unique_; }
  size_t added() const { return entries_.size(); }
  size_t memoryBytes() const;

 private:
  struct Entry {
    EntryId offset;  // of its record in text_
    uint32_t line;
  };
  struct FileStart {
    uint32_t firstEntry;
    std::string file;
  };

  std::string text_;
  std::vector<Entry> entries_;
  std::vector<uint64_t> hashes_;  // build time only, released by finish()
  // On huge pages when large (see finish()): random probes into a 16 MiB table otherwise miss
  // the TLB as well as the cache.
  struct FreeSlots {
    void operator()(uint64_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint64_t[], FreeSlots> slots_;
  size_t capacity_ = 0;
  uint64_t mask_ = 0;
  std::vector<uint64_t> filter_;
  uint64_t filterMask_ = 0;
  std::vector<FileStart> files_;
  size_t unique_ = 0;
};

}  // namespace tollgate::filters::lists
