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

std::optional<EntryOrigin> SetList::matchRegex(const RegexSet& set, std::string_view text,
                                               const MatchInput& input) const {
  uint32_t index = 0;
  switch (set.match(text, &index)) {
    case RegexSet::Result::Match:
      return set.origin(index);
    case RegexSet::Result::Error:
      matchErrors_.fetch_add(1, std::memory_order_relaxed);
      if (input.error != nullptr) *input.error = MatchError::RegexOutOfMemory;
      return std::nullopt;
    case RegexSet::Result::NoMatch:
      break;
  }
  return std::nullopt;
}

std::optional<EntryOrigin> SetList::match(const MatchInput& input) const {
  std::string_view host = input.host.empty() ? urlHost(input.url) : input.host;
  // Without a URL (TLS, opaque TCP) all that is known of it is the host.
  std::string_view url = input.url.empty() ? input.host : input.url;
  if (matchers_.domains && !host.empty()) {
    uint32_t index = matchers_.domains->match(host);
    if (index != StringTable::kNotFound) return matchers_.domains->origin(index);
  }
  if (matchers_.urls && !url.empty()) {
    uint32_t index = matchers_.urls->match(url);
    if (index != StringTable::kNotFound) return matchers_.urls->origin(index);
  }
  if (matchers_.cidrs && input.destination != nullptr) {
    uint32_t index = matchers_.cidrs->match(input.destination);
    if (index != CidrSet::kNotFound) return matchers_.cidrs->origin(index);
  }
  if (matchers_.hostRegexes && !host.empty()) {
    if (auto hit = matchRegex(*matchers_.hostRegexes, host, input)) return hit;
  }
  if (matchers_.urlRegexes && !url.empty()) {
    if (auto hit = matchRegex(*matchers_.urlRegexes, url, input)) return hit;
  }
  return std::nullopt;
}

}  // namespace tollgate::filters::lists
