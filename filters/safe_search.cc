#include "filters/safe_search.h"

#include <cctype>

namespace tollgate::filters {

namespace {

struct SafeParameter {
  std::string_view key;
  std::string_view value;
};

bool allLetters(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < 'a' || c > 'z') return false;
  }
  return true;
}

std::string_view withoutWww(std::string_view host) {
  if (host.substr(0, 4) == "www.") host.remove_prefix(4);
  return host;
}

// google.com, google.de, google.co.uk, google.com.au: one or two letter-only labels after it.
bool isGoogle(std::string_view host) {
  host = withoutWww(host);
  if (host.substr(0, 7) != "google.") return false;
  std::string_view tld = host.substr(7);
  size_t dot = tld.find('.');
  if (dot == std::string_view::npos) return allLetters(tld);
  return allLetters(tld.substr(0, dot)) && allLetters(tld.substr(dot + 1));
}

bool hasParameter(std::string_view query, std::string_view key) {
  while (true) {
    size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    if (item.substr(0, item.find('=')) == key) return true;
    if (amp == std::string_view::npos) return false;
    query.remove_prefix(amp + 1);
  }
}

// Which parameter `host` + `path` + `query` needs, or a null key when it is not a search page.
SafeParameter parameterFor(std::string_view host, std::string_view path,
                           std::string_view query) {
  if (isGoogle(host) && path == "/search") return {"safe", "active"};
  std::string_view bare = withoutWww(host);
  if (bare == "bing.com" && path == "/search") return {"adlt", "strict"};
  // DuckDuckGo's home page only becomes a search with q=; rewriting the bare home page would
  // only add noise.
  if (bare == "duckduckgo.com" && (path == "/" || path.empty()) && hasParameter(query, "q")) {
    return {"kp", "1"};
  }
  return {};
}

}  // namespace

std::string safeSearchUrl(std::string_view host, std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) return {};
  std::string_view rest = url.substr(kScheme.size());
  // Fragments never reach a proxy, but a hand-typed explain URL may carry one.
  std::string_view fragment;
  if (size_t hash = rest.find('#'); hash != std::string_view::npos) {
    fragment = rest.substr(hash);
    rest = rest.substr(0, hash);
  }
  size_t slash = rest.find('/');
  std::string_view target = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  size_t qmark = target.find('?');
  std::string_view path = target.substr(0, qmark);
  std::string_view query = qmark == std::string_view::npos ? std::string_view()
                                                           : target.substr(qmark + 1);
  SafeParameter p = parameterFor(host, path, query);
  if (p.key.empty()) return {};

  bool safe = false;
  bool unsafe = false;
  std::string kept;
  for (std::string_view q = query; !q.empty();) {
    size_t amp = q.find('&');
    std::string_view item = q.substr(0, amp);
    size_t eq = item.find('=');
    if (item.substr(0, eq) == p.key) {
      (eq != std::string_view::npos && item.substr(eq + 1) == p.value ? safe : unsafe) = true;
    } else if (!item.empty()) {
      if (!kept.empty()) kept += '&';
      kept += item;
    }
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  if (safe && !unsafe) return {};

  std::string out(url.substr(0, kScheme.size() + (slash == std::string_view::npos ? rest.size() : slash)));
  out += path.empty() ? "/" : path;
  out += '?';
  out += kept;
  if (!kept.empty()) out += '&';
  out += p.key;
  out += '=';
  out += p.value;
  out += fragment;
  return out;
}

std::string_view safeSearchDnsHost(std::string_view host) {
  if (isGoogle(host)) return "forcesafesearch.google.com";
  std::string_view bare = withoutWww(host);
  if (bare == "bing.com") return "strict.bing.com";
  if (bare == "duckduckgo.com") return "safe.duckduckgo.com";
  for (std::string_view yt : {"www.youtube.com", "m.youtube.com", "youtubei.googleapis.com",
                              "youtube.googleapis.com", "www.youtube-nocookie.com"}) {
    if (host == yt) return "restrict.youtube.com";
  }
  return "";
}

}  // namespace tollgate::filters
