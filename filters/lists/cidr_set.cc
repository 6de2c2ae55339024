#include "filters/lists/cidr_set.h"

#include <algorithm>
#include <cstring>

namespace tollgate::filters::lists {

namespace {

uint64_t loadBigEndian64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

uint32_t loadBigEndian32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

uint64_t maskTop(uint64_t v, int bits) {
  if (bits <= 0) return 0;
  if (bits >= 64) return v;
  return v & ~(~uint64_t{0} >> bits);
}

bool keyLess(const auto& a, const auto& b) {
  if (a.high != b.high) return a.high < b.high;
  if (a.low != b.low) return a.low < b.low;
  return a.index < b.index;
}

}  // namespace

void CidrSet::add(const Cidr& cidr, std::string_view text, int line) {
  uint32_t index = static_cast<uint32_t>(origins_.size());
  origins_.push_back({static_cast<uint32_t>(files_.size() - 1), line, std::string(text)});
  const uint8_t* b = cidr.bytes.data();
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (cidr.family == AF_INET6 && cidr.prefixLength >= 96 && std::memcmp(b, kMapped, 12) == 0) {
    v4_[cidr.prefixLength - 96].push_back({0, loadBigEndian32(b + 12), index});
  } else if (cidr.family == AF_INET) {
    v4_[cidr.prefixLength].push_back({0, loadBigEndian32(b), index});
  } else {
    v6_[cidr.prefixLength].push_back({loadBigEndian64(b), loadBigEndian64(b + 8), index});
  }
}

size_t CidrSet::finish() {
  size_t duplicates = 0;
  auto finishFamily = [&](std::vector<Key>* byLength, int maxLength, std::vector<uint8_t>& used) {
    for (int len = maxLength; len >= 0; --len) {
      auto& keys = byLength[len];
      if (keys.empty()) continue;
      std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) { return keyLess(a, b); });
      // Equal networks sort by index: unique keeps the earliest line.
      auto end = std::unique(keys.begin(), keys.end(), [](const Key& a, const Key& b) {
        return a.high == b.high && a.low == b.low;
      });
      duplicates += static_cast<size_t>(keys.end() - end);
      keys.erase(end, keys.end());
      keys.shrink_to_fit();
      used.push_back(static_cast<uint8_t>(len));
    }
  };
  finishFamily(v4_, 32, v4Lengths_);
  finishFamily(v6_, 128, v6Lengths_);
  unique_ = origins_.size() - duplicates;
  return duplicates;
}

uint32_t CidrSet::match(const sockaddr_storage* address) const {
  if (address == nullptr) return kNotFound;
  bool v4 = false;
  uint64_t high = 0;
  uint64_t low = 0;
  if (address->ss_family == AF_INET) {
    v4 = true;
    low = loadBigEndian32(
        reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(address)->sin_addr));
  } else if (address->ss_family == AF_INET6) {
    const auto* a6 = &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr;
    const auto* b = reinterpret_cast<const uint8_t*>(a6);
    if (IN6_IS_ADDR_V4MAPPED(a6)) {
      v4 = true;
      low = loadBigEndian32(b + 12);
    } else {
      high = loadBigEndian64(b);
      low = loadBigEndian64(b + 8);
    }
  } else {
    return kNotFound;
  }
  uint32_t best = kNotFound;
  for (uint8_t len : v4 ? v4Lengths_ : v6Lengths_) {
    Key probe{};
    if (v4) {
      probe.low = len == 0 ? 0 : low & (~uint32_t{0} << (32 - len));
    } else {
      probe.high = maskTop(high, len);
      probe.low = maskTop(low, len - 64);
    }
    const auto& keys = v4 ? v4_[len] : v6_[len];
    probe.index = 0;
    auto it = std::lower_bound(keys.begin(), keys.end(), probe,
                               [](const Key& a, const Key& b) { return keyLess(a, b); });
    if (it != keys.end() && it->high == probe.high && it->low == probe.low && it->index < best) {
      best = it->index;
    }
  }
  return best;
}

EntryOrigin CidrSet::origin(uint32_t index) const {
  const Origin& o = origins_[index];
  return EntryOrigin{files_[o.file], o.line, o.text};
}

size_t CidrSet::memoryBytes() const {
  size_t bytes = origins_.capacity() * sizeof(Origin);
  for (const auto& o : origins_) bytes += o.text.capacity();
  for (const auto& k : v4_) bytes += k.capacity() * sizeof(Key);
  for (const auto& k : v6_) bytes += k.capacity() * sizeof(Key);
  return bytes;
}

}  // namespace tollgate::filters::lists
