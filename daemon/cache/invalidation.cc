// What an unsafe request invalidates (RFC 9111 §4.4): the request URL and the same-origin
// Location / Content-Location targets, resolved against it (RFC 3986 §5.2). Declared in
// freshness.h with the other shared-cache decisions.
#include <algorithm>
#include <optional>
#include <string>

#include "daemon/cache/freshness.h"

namespace tollgate::cache {
namespace {

std::string lowerCase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
  return out;
}

// --- URLs for invalidation (RFC 3986) ----------------------------------------------------------

struct UrlParts {
  std::string_view scheme;  // empty for a relative reference
  bool hasAuthority = false;
  std::string_view authority;
  std::string_view path;
  std::string_view query;  // with its "?", or empty
};

// Splits a URI reference (RFC 3986 §3, §4.1), fragment dropped. False for bytes a URL cannot
// hold (controls, spaces, non-ASCII) and for a scheme without "//": nothing to invalidate there.
bool splitUrl(std::string_view url, UrlParts& p) {
  for (char c : url) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
  }
  url = url.substr(0, url.find('#'));
  size_t colon = url.find(':');
  if (colon != std::string_view::npos && colon < url.find_first_of("/?")) {
    p.scheme = url.substr(0, colon);
    bool schemeOk = !p.scheme.empty() && std::isalpha(static_cast<unsigned char>(p.scheme[0]));
    for (char c : p.scheme)
      schemeOk = schemeOk &&
                 (std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.');
    if (!schemeOk || url.substr(colon + 1, 2) != "//") return false;
    url.remove_prefix(colon + 1);
  }
  if (url.substr(0, 2) == "//") {
    url.remove_prefix(2);
    size_t end = std::min(url.find_first_of("/?"), url.size());
    p.hasAuthority = true;
    p.authority = url.substr(0, end);
    url.remove_prefix(end);
  }
  size_t q = std::min(url.find('?'), url.size());
  p.path = url.substr(0, q);
  p.query = url.substr(q);
  return true;
}

// scheme, host and port, lower-case, default port made explicit (RFC 9110 §4.3.1). False when
// the authority holds userinfo or an invalid port: such a URL is never "the same origin".
bool originOf(const UrlParts& p, std::string& origin) {
  std::string_view a = p.authority;
  if (a.empty() || a.find('@') != std::string_view::npos) return false;
  bool ipLiteral = a[0] == '[';
  size_t hostEnd = ipLiteral ? a.find(']') : a.rfind(':');
  if (ipLiteral && hostEnd != std::string_view::npos) ++hostEnd;
  hostEnd = std::min(hostEnd, a.size());
  std::string_view host = a.substr(0, hostEnd);
  std::string_view port = a.substr(hostEnd);
  if (!port.empty() && port[0] != ':') return false;
  if (!port.empty()) port.remove_prefix(1);
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (port.size() > 5 || !std::all_of(port.begin(), port.end(), digit)) return false;
  std::string scheme = lowerCase(p.scheme);
  std::string portText(port);
  while (portText.size() > 1 && portText[0] == '0') portText.erase(0, 1);
  if (portText.empty()) portText = scheme == "https" ? "443" : scheme == "http" ? "80" : "";
  if (host.empty()) return false;
  origin = scheme + "://" + lowerCase(host) + ":" + portText;
  return true;
}

// remove_dot_segments (RFC 3986 §5.2.4).
std::string removeDotSegments(std::string_view in) {
  std::string out;
  auto dropLastSegment = [&] { out.erase(std::min(out.rfind('/'), out.size())); };
  while (!in.empty()) {
    if (in.substr(0, 3) == "../") {
      in.remove_prefix(3);
    } else if (in.substr(0, 2) == "./") {
      in.remove_prefix(2);
    } else if (in.substr(0, 3) == "/./") {
      in.remove_prefix(2);
    } else if (in == "/.") {
      in = "/";
    } else if (in.substr(0, 4) == "/../") {
      in.remove_prefix(3);
      dropLastSegment();
    } else if (in == "/..") {
      in = "/";
      dropLastSegment();
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      size_t next = std::min(in.find('/', 1), in.size());
      out += in.substr(0, next);
      in.remove_prefix(next);
    }
  }
  return out;
}

// `ref` resolved against `base` (RFC 3986 §5.2.2) and spelled with base's scheme and authority,
// or nothing when it is malformed or of another origin.
std::optional<std::string> sameOriginTarget(const UrlParts& base, std::string_view ref) {
  UrlParts r;
  if (!splitUrl(ref, r)) return std::nullopt;
  std::string path;
  std::string_view query = r.query;
  if (r.hasAuthority) {
    if (r.scheme.empty()) r.scheme = base.scheme;
    std::string refOrigin, baseOrigin;
    if (!originOf(r, refOrigin) || !originOf(base, baseOrigin) || refOrigin != baseOrigin) {
      return std::nullopt;
    }
    path = removeDotSegments(r.path);
  } else if (r.path.empty()) {
    path = std::string(base.path);
    if (query.empty()) query = base.query;
  } else if (r.path[0] == '/') {
    path = removeDotSegments(r.path);
  } else {
    std::string_view dir = base.path.substr(0, base.path.rfind('/') + 1);  // npos + 1 == 0
    path = removeDotSegments(std::string(dir.empty() ? "/" : dir) + std::string(r.path));
  }
  if (path.empty()) path = "/";
  return std::string(base.scheme) + "://" + std::string(base.authority) + path + std::string(query);
}

}  // namespace

std::vector<std::string> invalidatedUrls(std::string_view method, int status,
                                         std::string_view requestUrl,
                                         const std::vector<HeaderField>& response) {
  // Safe methods (RFC 9110 §9.2.1) change nothing; an unknown method counts as unsafe.
  if (method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE") return {};
  if (status < 200 || status > 399) return {};
  std::vector<std::string> urls{std::string(requestUrl)};
  UrlParts base;
  if (!splitUrl(requestUrl, base) || !base.hasAuthority || base.scheme.empty()) return urls;
  for (std::string_view name : {"location", "content-location"}) {
    std::string_view value = inspect::findHeader(response, name);
    if (value.empty()) continue;
    std::optional<std::string> url = sameOriginTarget(base, value);
    if (url && std::find(urls.begin(), urls.end(), *url) == urls.end()) urls.push_back(*url);
  }
  return urls;
}

}  // namespace tollgate::cache
