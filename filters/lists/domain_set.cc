#include "filters/lists/domain_set.h"

namespace tollgate::filters::lists {

namespace {

// Valid names have at most 127 labels (253 bytes); anything longer cannot be in a list built
// by normalizeHost, so it is a miss without looking.
constexpr size_t kMaxLabels = 128;
constexpr size_t kMaxHost = 253;

}  // namespace

uint64_t hashReversed(std::string_view name) {
  uint64_t h = kHashSeed;
  for (size_t i = name.size(); i-- > 0;) h = hashStep(h, name[i]);
  return hashFinish(h);
}

void DomainSet::add(std::string_view name, int line) {
  table_.add(name, hashReversed(name), line);
}

uint32_t DomainSet::match(std::string_view host) const {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (host.empty() || host.size() > kMaxHost || table_.size() == 0) return StringTable::kNotFound;
  uint64_t hashes[kMaxLabels];
  uint8_t starts[kMaxLabels];
  size_t count = 0;
  uint64_t h = kHashSeed;
  for (size_t i = host.size(); i-- > 0;) {
    if (host[i] == '.') {
      if (count == kMaxLabels - 1) return StringTable::kNotFound;
      hashes[count] = hashFinish(h);
      starts[count++] = static_cast<uint8_t>(i + 1);
    }
    h = hashStep(h, host[i]);
  }
  hashes[count] = hashFinish(h);
  starts[count++] = 0;
  size_t candidates = 0;
  for (size_t i = 0; i < count; ++i) {
    if (!table_.mayContain(hashes[i])) continue;
    table_.prefetch(hashes[i]);
    hashes[candidates] = hashes[i];
    starts[candidates++] = starts[i];
  }
  // Every suffix is checked, not just the first found: "first matching entry" is file order,
  // and a subdomain entry may come before its parent in the file.
  uint32_t best = StringTable::kNotFound;
  for (size_t i = 0; i < candidates; ++i) {
    uint32_t index = table_.find(hashes[i], host.substr(starts[i]));
    if (index < best) best = index;
  }
  return best;
}

}  // namespace tollgate::filters::lists
