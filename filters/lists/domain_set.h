#pragma once
// Domain names matched with their subdomains, squidGuard style: the entry "example.com" matches
// "example.com" and "a.b.example.com", never "badexample.com". Used by the domains, hosts,
// adblock and UT1 `domains` formats.
//
// Lookup is a walk over the label suffixes of the host. Hashing the host from its last byte
// backwards gives every suffix's hash in one pass (the hash at each '.' is the hash of what
// follows it); all suffix slots are prefetched before any is compared, so a host with four
// labels costs about one memory latency, not four.
#include <cstdint>
#include <string>
#include <string_view>

#include "filters/lists/string_table.h"

namespace tollgate::filters::lists {

class DomainSet {
 public:
  void beginFile(std::string file) { table_.beginFile(std::move(file)); }
  void reserve(size_t entries, size_t textBytes) { table_.reserve(entries, textBytes); }
  // `name` is normalizeHost() output.
  void add(std::string_view name, int line);
  // Returns how many duplicates were dropped.
  size_t finish() { return table_.finish(); }

  // The lowest-numbered entry equal to `host` or to one of its parent domains, or
  // StringTable::kNotFound. `host` may carry upper case and a trailing dot.
  uint32_t match(std::string_view host) const;

  EntryOrigin origin(uint32_t index) const { return table_.origin(index); }
  std::string_view key(uint32_t index) const { return table_.key(index); }
  size_t size() const { return table_.size(); }
  size_t memoryBytes() const { return table_.memoryBytes(); }

 private:
  StringTable table_;
};

// The hash DomainSet stores for a name: the same walk as match(), over the whole name.
uint64_t hashReversed(std::string_view name);

}  // namespace tollgate::filters::lists
