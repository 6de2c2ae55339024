#pragma once
// The store's index: key -> variants -> stored object, with the disk and memory tiers' LRU
// lists and byte accounting. A plain data structure: not thread-safe (the store holds its lock
// around every call), no I/O (objects it removes are handed back by id for the caller to
// unlink on a disk thread).
//
// Disk tier: every indexed object, with the size of its file; each file is accounted as its
// size rounded up to kDiskBlock (what it takes on the disk), in the limit, the totals and
// eviction alike. Files of objects being written are reserved against the limit too, so that a
// 4 GB download makes room before it starts rather than overshooting by 4 GB; reservations
// together take at most half of the limit, so that many writes in flight cannot evict every
// stored object for files not written yet. Memory tier: bodies of at most memoryObjectMax
// bytes, held by StoredObject::memoryBody_ while indexed; leaving the memory tier leaves the
// disk copy.
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daemon/cache/object_store.h"

namespace tollgate::cache {

class ObjectIndex {
 public:
  struct Limits {
    uint64_t disk = 0;
    uint64_t memory = 0;
  };
  struct Entry {
    ObjectPtr object;
    uint64_t fileSize = 0;  // bytes (diskUsage(fileSize) in the totals)
    uint32_t bodyCrc = 0;
    uint64_t memoryBytes = 0;  // > 0 while in the memory tier
    std::list<uint64_t>::iterator diskLru;
    std::list<uint64_t>::iterator memoryLru;
  };
  struct Counts {
    uint64_t evictions = 0;        // disk tier (the object is gone)
    uint64_t memoryEvictions = 0;  // memory tier only (the file stays)
    uint64_t replaced = 0;         // an object of the same key and variant took its place
  };

  explicit ObjectIndex(Limits limits) : limits_(limits) {}

  // Adds a published object as the most recently used. The object of the same key and variant,
  // if any, goes (its id is appended to `gone`), then the least recently used objects until the
  // disk tier fits (ids appended to `gone` too; the new object itself is never evicted here).
  // `body` non-null: also keep it in the memory tier (evicting other bodies to fit).
  void insert(ObjectPtr object, uint64_t fileSize, uint32_t bodyCrc,
              std::shared_ptr<const std::string> body, std::vector<uint64_t>& gone);
  // The objects stored for `key`, most recently stored first.
  std::vector<ObjectPtr> variants(std::string_view key) const;
  const Entry* get(uint64_t id) const;
  // Marks `id` most recently used in both tiers. False when it is not indexed.
  bool touch(uint64_t id);
  // Swaps in a refreshed object with the same id (memory body carried over). False when the id
  // is not indexed or belongs to another key and variant.
  bool replace(ObjectPtr refreshed);
  bool setFileSize(uint64_t id, uint64_t fileSize);
  // Adds the body of an indexed object to the memory tier (a whole-body read from disk).
  bool keepInMemory(uint64_t id, std::shared_ptr<const std::string> body);

  bool remove(uint64_t id);
  size_t removeKey(std::string_view key, std::vector<uint64_t>& gone);
  // `host` compared case-insensitively with ObjectMeta::host.
  size_t removeHost(std::string_view host, std::vector<uint64_t>& gone);

  enum class Reservation { Ok, TooLarge, Busy };
  // Counts a file of `fileSize` bytes, about to be written, against the disk limit, evicting to
  // fit. TooLarge: the file alone is over half the limit; Busy: it does not fit beside the
  // other reservations in that half (a later one may). Nothing is reserved unless Ok.
  Reservation reserve(uint64_t fileSize, std::vector<uint64_t>& gone);
  void release(uint64_t fileSize);  // the fileSize given to an Ok reserve()
  // Evicts least recently used objects until `bytes` have been freed (the disk is full).
  void evictBytes(uint64_t bytes, std::vector<uint64_t>& gone);

  // A file's size as the disk limit counts it: rounded up to kDiskBlock.
  static uint64_t diskUsage(uint64_t fileSize) {
    return (fileSize + kDiskBlock - 1) / kDiskBlock * kDiskBlock;
  }

  uint64_t objects() const { return byId_.size(); }
  uint64_t diskBytes() const { return diskBytes_; }  // diskUsage() of every indexed file
  uint64_t reservedBytes() const { return reserved_; }
  uint64_t memoryBytes() const { return memoryBytes_; }
  uint64_t memoryObjects() const { return memoryLru_.size(); }
  const Counts& counts() const { return counts_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using KeyMap = std::unordered_map<std::string, std::vector<uint64_t>, Hash, std::equal_to<>>;

  void removeEntry(uint64_t id);
  void addToMemory(Entry& entry, std::shared_ptr<const std::string> body);
  void dropFromMemory(Entry& entry);
  void evictDisk(uint64_t keepId, std::vector<uint64_t>& gone);

  Limits limits_;
  std::unordered_map<uint64_t, Entry> byId_;
  KeyMap byKey_;                 // ids in insertion order
  KeyMap idsByHost_;             // lower-case host -> ids
  std::list<uint64_t> diskLru_;  // front: most recently used
  std::list<uint64_t> memoryLru_;
  uint64_t diskBytes_ = 0;  // diskUsage() of every indexed file
  uint64_t reserved_ = 0;   // diskUsage() of every reservation
  uint64_t memoryBytes_ = 0;
  Counts counts_;
};

}  // namespace tollgate::cache
