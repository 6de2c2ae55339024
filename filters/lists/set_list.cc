#include "filters/lists/set_list.h"

namespace tollgate::filters::lists {

namespace {

// The host part of "host/path?query".
std::string_view urlHost(std::string_view url) {
  size_t end = url.find_first_of("/?");
  return end == std::string_view::npos ? url : url.substr(0, end);
}

}  // namespace

SetList::SetList(std::string name, std::string category, std::string format,
                 ListMatchers matchers, ListStats stats)
    : CompiledList(std::move(name), std::move(category), std::move(format)),
      matchers_(std::move(matchers)) {
  stats_ = std::move(stats);
}

std::optional<uint32_t> SetList::matchRegex(const RegexSet& set, std::string_view text,
                                            const MatchInput& input) const {
  uint32_t index = 0;
  switch (set.match(text, &index)) {
    case RegexSet::Result::Match:
      return index;
    case RegexSet::Result::Error:
      matchErrors_.fetch_add(1, std::memory_order_relaxed);
      if (input.error != nullptr) *input.error = MatchError::RegexOutOfMemory;
      return std::nullopt;
    case RegexSet::Result::NoMatch:
      break;
  }
  return std::nullopt;
}

std::optional<ListHit> SetList::find(const MatchInput& input) const {
  std::string_view host = input.host.empty() ? urlHost(input.url) : input.host;
  // Without a URL (TLS, opaque TCP) all that is known of it is the host.
  std::string_view url = input.url.empty() ? input.host : input.url;
  if (matchers_.domains && !host.empty()) {
    uint32_t id = matchers_.domains->match(host);
    if (id != StringTable::kNotFound) return ListHit{kDomains, id};
  }
  if (matchers_.urls && !url.empty()) {
    uint32_t id = matchers_.urls->match(url);
    if (id != StringTable::kNotFound) return ListHit{kUrls, id};
  }
  if (matchers_.cidrs && input.destination != nullptr) {
    uint32_t id = matchers_.cidrs->match(input.destination);
    if (id != CidrSet::kNotFound) return ListHit{kCidrs, id};
  }
  if (matchers_.hostRegexes && !host.empty()) {
    if (auto id = matchRegex(*matchers_.hostRegexes, host, input)) return ListHit{kHostRegexes, *id};
  }
  if (matchers_.urlRegexes && !url.empty()) {
    if (auto id = matchRegex(*matchers_.urlRegexes, url, input)) return ListHit{kUrlRegexes, *id};
  }
  return std::nullopt;
}

EntryOrigin SetList::origin(ListHit hit) const {
  switch (hit.part) {
    case kDomains: return matchers_.domains->origin(hit.id);
    case kUrls: return matchers_.urls->origin(hit.id);
    case kCidrs: return matchers_.cidrs->origin(hit.id);
    case kHostRegexes: return matchers_.hostRegexes->origin(hit.id);
    case kUrlRegexes: return matchers_.urlRegexes->origin(hit.id);
  }
  return EntryOrigin{};
}

}  // namespace tollgate::filters::lists
