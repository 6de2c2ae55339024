#pragma once
// Safe search for plain-HTTP search pages: the engine answers with a 302 to the same URL
// carrying the engine's "strict" parameter. Only HTTP can be rewritten (TLS is not decrypted).
//
//   Google      google.<tld>, www.google.<tld>   /search      safe=active
//   Bing        bing.com, www.bing.com           /search      adlt=strict
//   DuckDuckGo  duckduckgo.com, www.duckduckgo.com  / with q=  kp=1
//
// YouTube has no documented URL parameter for Restricted Mode. Google documents two
// network-level forms: DNS (restrict.youtube.com / restrictmoderate.youtube.com) and the
// request header "YouTube-Restrict: Strict"; both are out of scope here, and YouTube is HTTPS
// anyway, so YouTube is left to the DNS work.
#include <string>
#include <string_view>

namespace tollgate::filters {

// `host`: lower-case, no port. `url`: absolute "http://host/path?query".
// Returns the URL to redirect to, or "" when this is not a known search page or when the
// parameter is already present with the safe value (so the redirect cannot loop). Any other
// value of the parameter ("safe=off"), even repeated, is replaced by one safe occurrence.
std::string safeSearchUrl(std::string_view host, std::string_view url);

// Safe search by DNS, for HTTPS: the host whose addresses a query for `host` (lower-case, no
// trailing dot) should be answered with, as the engines document it for networks:
//   google.<tld>, www.google.<tld>            forcesafesearch.google.com
//   bing.com, www.bing.com                    strict.bing.com
//   duckduckgo.com, www.duckduckgo.com        safe.duckduckgo.com
//   www.youtube.com, m.youtube.com, youtubei.googleapis.com, youtube.googleapis.com,
//   www.youtube-nocookie.com                  restrict.youtube.com
// "" for any other name (the safe hosts themselves included, so an answer cannot loop).
std::string_view safeSearchDnsHost(std::string_view host);

}  // namespace tollgate::filters
