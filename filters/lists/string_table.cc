#include "filters/lists/string_table.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <new>

namespace tollgate::filters::lists {

namespace {

bool equalsLowered(std::string_view input, std::string_view stored) {
  if (input.size() != stored.size()) return false;
  for (size_t i = 0; i < input.size(); ++i) {
    char c = input[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != stored[i]) return false;
  }
  return true;
}

}  // namespace

void StringTable::beginFile(std::string file) {
  uint32_t first = static_cast<uint32_t>(added());
  if (!files_.empty() && files_.back().firstEntry == first) {
    files_.back().file = std::move(file);  // the previous file added nothing
  } else {
    files_.push_back({first, std::move(file)});
  }
}

void StringTable::reserve(size_t entries, size_t textBytes) {
  entries_.reserve(entries + 1);
  hashes_.reserve(entries);
  text_.reserve(textBytes);
}

void StringTable::add(std::string_view key, uint64_t hash, int line) {
  if (key.size() > kMaxKey || text_.size() + key.size() + 2 >= UINT32_MAX) {
    // 4 GiB of names: far beyond any real list (UT1 adult is ~90 MB of text).
    throw FilterError((files_.empty() ? std::string("list") : files_.back().file) +
                      ": list too large");
  }
  entries_.push_back({static_cast<EntryId>(text_.size()), static_cast<uint32_t>(line)});
  text_.push_back(static_cast<char>(key.size() & 0xff));
  text_.push_back(static_cast<char>(key.size() >> 8));
  text_.append(key);
  hashes_.push_back(hash);
}

size_t StringTable::finish() {
  size_t n = hashes_.size();
  size_t capacity = 16;
  while (capacity * 7 < n * 10) capacity *= 2;
  constexpr size_t kHugePage = size_t{2} << 20;
  size_t bytes = capacity * sizeof(uint64_t);
  size_t alignment = bytes >= kHugePage ? kHugePage : 64;
  bytes = (bytes + alignment - 1) / alignment * alignment;
  auto* slots = static_cast<uint64_t*>(std::aligned_alloc(alignment, bytes));
  if (slots == nullptr) throw std::bad_alloc();
  // Advisory: without transparent huge pages this is a no-op and lookups are only slower.
  if (alignment == kHugePage) (void)::madvise(slots, bytes, MADV_HUGEPAGE);
  std::memset(slots, 0, bytes);
  slots_.reset(slots);
  capacity_ = capacity;
  mask_ = capacity - 1;
  size_t filterBits = 512;
  while (filterBits < n * 16) filterBits *= 2;
  filter_.assign(filterBits / 64, 0);
  filterMask_ = filterBits - 1;
  size_t duplicates = 0;
  for (size_t i = 0; i < n; ++i) {
    uint64_t h = hashes_[i];
    uint64_t tag = h >> 32;
    EntryId id = entries_[i].offset;
    bool duplicate = false;
    size_t s = h & mask_;
    for (; slots_[s] != 0; s = (s + 1) & mask_) {
      if ((slots_[s] >> 32) == tag && key(static_cast<EntryId>(slots_[s] - 1)) == key(id)) {
        duplicate = true;  // the earlier line wins: it is the one "first match" reports
        break;
      }
    }
    if (duplicate) {
      ++duplicates;
      continue;
    }
    slots_[s] = (tag << 32) | (uint64_t{id} + 1);
    uint64_t bit = (h >> 24) & filterMask_;
    filter_[bit >> 6] |= uint64_t{1} << (bit & 63);
  }
  unique_ = n - duplicates;
  hashes_.clear();
  hashes_.shrink_to_fit();
  text_.shrink_to_fit();
  entries_.shrink_to_fit();
  return duplicates;
}

StringTable::EntryId StringTable::find(uint64_t hash, std::string_view k) const {
  if (unique_ == 0) return kNotFound;
  uint64_t tag = hash >> 32;
  for (size_t s = hash & mask_; slots_[s] != 0; s = (s + 1) & mask_) {
    if ((slots_[s] >> 32) != tag) continue;
    EntryId id = static_cast<EntryId>(slots_[s] - 1);  // low 32 bits: offset + 1
    if (equalsLowered(k, key(id))) return id;
  }
  return kNotFound;
}

EntryOrigin StringTable::origin(EntryId id) const {
  EntryOrigin o;
  auto entry = std::lower_bound(entries_.begin(), entries_.end(), id,
                                [](const Entry& e, EntryId i) { return e.offset < i; });
  uint32_t index = static_cast<uint32_t>(entry - entries_.begin());
  auto it = std::upper_bound(files_.begin(), files_.end(), index,
                             [](uint32_t i, const FileStart& f) { return i < f.firstEntry; });
  if (it != files_.begin()) o.file = std::prev(it)->file;
  if (entry != entries_.end()) o.line = static_cast<int>(entry->line);
  o.entry = std::string(key(id));
  return o;
}

size_t StringTable::memoryBytes() const {
  size_t bytes = text_.capacity() + entries_.capacity() * sizeof(Entry) +
                 capacity_ * sizeof(uint64_t) + filter_.capacity() * sizeof(uint64_t) + hashes_.capacity() * sizeof(uint64_t);
  for (const auto& f : files_) bytes += sizeof(FileStart) + f.file.capacity();
  return bytes;
}

}  // namespace tollgate::filters::lists
