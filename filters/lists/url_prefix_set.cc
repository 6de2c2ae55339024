#include "filters/lists/url_prefix_set.h"

namespace tollgate::filters::lists {

namespace {

// Deeper URLs are still matched on their first kMaxPrefixes prefixes; an entry with more path
// segments than that is refused at load (see normalizeUrlEntry) so it cannot silently miss.
constexpr size_t kMaxPrefixes = 64;

size_t hostEnd(std::string_view url) {
  size_t end = url.find_first_of("/?");
  return end == std::string_view::npos ? url.size() : end;
}

// normalizeHost's "www." rule, applied in place to a view.
std::string_view dropWww(std::string_view url) {
  std::string_view host = url.substr(0, hostEnd(url));
  if (host.size() > 4 && (host[0] | 0x20) == 'w' && (host[1] | 0x20) == 'w' &&
      (host[2] | 0x20) == 'w' && host[3] == '.' && host.find('.', 4) != std::string_view::npos) {
    url.remove_prefix(4);
  }
  return url;
}

}  // namespace

uint32_t UrlPrefixSet::match(std::string_view url) const {
  if (url.empty() || table_.size() == 0) return StringTable::kNotFound;
  url = dropWww(url);
  uint64_t hashes[kMaxPrefixes];
  uint32_t lengths[kMaxPrefixes];
  size_t count = 0;
  uint64_t h = kHashSeed;
  bool inQuery = false;
  for (size_t i = 0; i < url.size() && count < kMaxPrefixes - 1; ++i) {
    char c = url[i];
    if (!inQuery && (c == '/' || c == '?')) {
      hashes[count] = hashFinish(h);
      lengths[count++] = static_cast<uint32_t>(i);
      inQuery = c == '?';
    }
    h = hashStep(h, c);
  }
  if (count < kMaxPrefixes) {
    hashes[count] = hashForward(url);
    lengths[count++] = static_cast<uint32_t>(url.size());
  }
  size_t candidates = 0;
  for (size_t i = 0; i < count; ++i) {
    if (!table_.mayContain(hashes[i])) continue;
    table_.prefetch(hashes[i]);
    hashes[candidates] = hashes[i];
    lengths[candidates++] = lengths[i];
  }
  uint32_t best = StringTable::kNotFound;
  for (size_t i = 0; i < candidates; ++i) {
    uint32_t index = table_.find(hashes[i], url.substr(0, lengths[i]));
    if (index < best) best = index;
  }
  return best;
}

bool normalizeUrlEntry(std::string_view text, std::string& out, std::string& why) {
  size_t scheme = text.find("://");
  if (scheme != std::string_view::npos && text.find_first_of("/?") > scheme) {
    text.remove_prefix(scheme + 3);
  }
  size_t fragment = text.find('#');
  if (fragment != std::string_view::npos) text = text.substr(0, fragment);
  size_t end = hostEnd(text);
  std::string_view host = text.substr(0, end);
  std::string_view rest = text.substr(end);
  if (host.find_first_of(":@") != std::string_view::npos) {
    why = "URL with a port or user info is not supported";
    return false;
  }
  if (!normalizeHost(host, out)) {
    why = "invalid host '" + std::string(host) + "'";
    return false;
  }
  // Trailing '/' and '?' add nothing: "a.com/x/" and "a.com/x" name the same prefix.
  while (!rest.empty() && (rest.back() == '/' || rest.back() == '?')) rest.remove_suffix(1);
  size_t segments = 0;
  size_t query = rest.find('?');
  for (size_t i = 0; i < rest.size() && i < query; ++i) segments += rest[i] == '/';
  if (segments >= kMaxPrefixes - 2) {
    why = "more than " + std::to_string(kMaxPrefixes - 3) + " path segments";
    return false;
  }
  if (out.size() + rest.size() > StringTable::kMaxKey) {
    why = "URL longer than " + std::to_string(StringTable::kMaxKey) + " bytes";
    return false;
  }
  for (char c : rest) {
    if (static_cast<unsigned char>(c) <= ' ') {
      why = "whitespace or control character in URL";
      return false;
    }
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return true;
}

}  // namespace tollgate::filters::lists
