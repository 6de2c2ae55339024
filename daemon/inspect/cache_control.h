#pragma once
// Cache-Control (RFC 9111 §5.2), request Pragma (§5.4) and HTTP-date (RFC 9110 §5.6.7) parsers
// for the shared cache. They read untrusted header values: pure, bounded by the input, never
// throw. The results own every string they hold, so a stored response's directives may outlive
// the buffer they were parsed from.
//
// One rule for everything the grammar leaves open: a malformed or repeated directive never makes
// a response more reusable than a well-formed one would (RFC 9111 §4.2.1, "the most restrictive
// directive should be honored").
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/inspect/http_head.h"

namespace tollgate::inspect {

// A delta-seconds value above this is read as this (RFC 9111 §1.2.2).
constexpr int64_t kDeltaSecondsMax = int64_t{1} << 31;
// A no-cache="..." or private="..." list naming more fields than this is read as the unqualified
// directive: the stricter reading, and a bound on what one response can make the cache keep.
constexpr size_t kMaxListedFields = 32;

// Request directives (RFC 9111 §5.2.1). A directive given several times keeps its most restrictive
// value (smallest max-age and max-stale, largest min-fresh); an occurrence whose argument is not
// delta-seconds is ignored. Arguments are accepted in token and quoted-string form (§5.2).
struct RequestCacheControl {
  bool noCache = false;  // also set by "Pragma: no-cache" when the request has no Cache-Control
  bool noStore = false;
  std::optional<int64_t> maxAge;
  bool maxStale = false;                   // present, with or without a value
  std::optional<int64_t> maxStaleSeconds;  // its value; none with maxStale: any staleness
  std::optional<int64_t> minFresh;
  bool onlyIfCached = false;
  bool noTransform = false;
};

// Response directives (RFC 9111 §5.2.2, RFC 5861, RFC 8246).
struct ResponseCacheControl {
  bool noStore = false;
  bool noCache = false;                    // unqualified: every reuse is revalidated
  std::vector<std::string> noCacheFields;  // no-cache="A, B": lower-case; empty when noCache
  bool isPrivate = false;                  // unqualified private: a shared cache never stores
  std::vector<std::string> privateFields;  // private="A": lower-case; empty when isPrivate
  bool isPublic = false;
  std::optional<int64_t> maxAge;
  std::optional<int64_t> sMaxAge;
  bool mustRevalidate = false;
  bool proxyRevalidate = false;
  bool immutable = false;
  std::optional<int64_t> staleWhileRevalidate;  // smallest valid value when repeated
  std::optional<int64_t> staleIfError;          // smallest valid value when repeated
  bool noTransform = false;
  bool mustUnderstand = false;
  // max-age or s-maxage with an argument that is not delta-seconds, or repeated with another
  // value. The first valid value is kept, but the response is to be treated as stale (§4.2.1).
  bool invalidFreshness = false;
};

// Every Cache-Control field of a request, in order, as one list (RFC 9110 §5.3). Without any
// Cache-Control field, "Pragma: no-cache" sets noCache (RFC 9111 §5.4); with one, Pragma is
// ignored. Unknown directives are ignored (§5.2.3).
//
// Directives that only restrict (no-store, no-cache, must-revalidate, ...) count even with a
// stray argument or trailing garbage; those that permit more (public, immutable, must-understand)
// count only when well formed. no-cache / private with a list that is empty, malformed, or longer
// than kMaxListedFields are read unqualified.
RequestCacheControl parseRequestCacheControl(const std::vector<HeaderField>& headers);
ResponseCacheControl parseResponseCacheControl(const std::vector<HeaderField>& headers);

// HTTP-date (RFC 9110 §5.6.7) to unix seconds; nullopt for anything else. Accepts
//   IMF-fixdate   Sun, 06 Nov 1994 08:49:37 GMT
//   RFC 850       Sunday, 06-Nov-94 08:49:37 GMT
//   asctime       Sun Nov  6 08:49:37 1994
// exactly (no surrounding or extra whitespace), names and "GMT" case-insensitively (RFC 9111
// §4.2), seconds 00-60 (a leap second reads as the next second), days checked against the month
// and leap years. The weekday name must be a valid name but is not checked against the date.
// `now` (unix seconds) only resolves the two-digit RFC 850 year: a year more than 50 years after
// now's is taken from the previous century.
std::optional<int64_t> parseHttpDate(std::string_view value, int64_t now);

// unix seconds to IMF-fixdate, e.g. for the Date of a response the cache generates. Times outside
// years 0000-9999 are clamped to that range.
std::string formatHttpDate(int64_t unixSeconds);

}  // namespace tollgate::inspect
