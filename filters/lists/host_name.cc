// normalizeHost: the one definition of "the same host" shared by list loaders (entries) and the
// daemon (Host header, SNI), so that an entry and a request compare equal byte for byte.
#include "filters/list.h"

namespace tollgate::filters {

namespace {

constexpr size_t kMaxName = 253;
constexpr size_t kMaxLabel = 63;

bool hostChar(char c) {
  // '_' is not valid in a hostname but is common in real lists (and in DNS names such as
  // _dmarc); refusing it would silently drop entries that do match traffic.
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

}  // namespace

bool normalizeHost(std::string_view in, std::string& out) {
  if (!in.empty() && in.back() == '.') in.remove_suffix(1);
  if (in.empty() || in.size() > kMaxName) return false;
  out.clear();
  out.reserve(in.size());
  size_t labelLength = 0;
  size_t labels = 1;
  for (char c : in) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == '.') {
      if (labelLength == 0) return false;
      labelLength = 0;
      ++labels;
    } else {
      if (!hostChar(c) || ++labelLength > kMaxLabel) return false;
    }
    out.push_back(c);
  }
  if (labelLength == 0) return false;
  // "www." is dropped only when two labels remain: "www.example.com" and "example.com" are
  // the same site for filtering, but "www.com" is a domain of its own.
  if (labels >= 3 && out.compare(0, 4, "www.") == 0) out.erase(0, 4);
  return true;
}

}  // namespace tollgate::filters
