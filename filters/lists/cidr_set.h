#pragma once
// Destination addresses and prefixes (the `cidr` format), v4 and v6. An IPv4-mapped IPv6
// destination (::ffff:a.b.c.d, what a dual-stack socket reports) is matched as IPv4, and a
// mapped entry (::ffff:a.b.c.d/N, N >= 96) is stored as IPv4.
//
// One sorted vector per prefix length in use: a lookup is one binary search per distinct
// length (a few in practice, at most 33 + 129), with no allocation.
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "filters/address.h"
#include "filters/list.h"

namespace tollgate::filters::lists {

class CidrSet {
 public:
  static constexpr uint32_t kNotFound = UINT32_MAX;

  void beginFile(std::string file) { files_.push_back(std::move(file)); }
  void add(const Cidr& cidr, std::string_view text, int line);
  // Sorts; returns how many duplicates (same network and length) were dropped.
  size_t finish();

  // The lowest-numbered entry containing `address`, or kNotFound (also for null).
  uint32_t match(const sockaddr_storage* address) const;

  EntryOrigin origin(uint32_t index) const;
  size_t size() const { return unique_; }
  size_t memoryBytes() const;

 private:
  struct Key {
    uint64_t high;  // v4: the address in the low 32 bits of `low`
    uint64_t low;
    uint32_t index;
  };
  struct Origin {
    uint32_t file;
    int line;
    std::string text;
  };
  // Indexed by prefix length.
  std::vector<Key> v4_[33];
  std::vector<Key> v6_[129];
  std::vector<uint8_t> v4Lengths_;
  std::vector<uint8_t> v6Lengths_;
  std::vector<std::string> files_;
  std::vector<Origin> origins_;
  size_t unique_ = 0;
};

}  // namespace tollgate::filters::lists
