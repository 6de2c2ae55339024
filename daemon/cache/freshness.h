#pragma once
// What a shared HTTP cache (RFC 9111) decides from message heads and clocks: whether a response
// may be stored, how long it stays fresh, whether a stored response may be served or must be
// revalidated, how to revalidate it, and what an unsafe request invalidates. Pure: no I/O, no
// clock reads (every time is a parameter in unix seconds), never throws.
//
// Lifetimes: heads and HeaderField vectors passed in are read only during the call. Everything
// returned owns its strings (StoredFields, std::string) and may outlive the input buffers; the
// `reason` strings are static.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/inspect/cache_control.h"
#include "daemon/inspect/http_head.h"

namespace tollgate::cache {

using inspect::HeaderField;

struct StoreRules {
  int64_t heuristicMax = 24 * 3600;  // cap on a heuristic lifetime (§4.2.2); 0 disables them
};

// A header field owned by the store. fieldViews() lends views of a list to the functions below,
// valid while the list is unchanged.
struct StoredField {
  std::string name;
  std::string value;
};
using StoredFields = std::vector<StoredField>;
std::vector<HeaderField> fieldViews(const StoredFields& fields);

// --- Storing (§3) ------------------------------------------------------------------------------

struct StoreVerdict {
  bool store = false;
  // A stable counter/log name: "cacheable" when stored; otherwise the first rule that refused, in
  // this order: "head", "method", "status", "no_store", "private", "authorization",
  // "set_cookie", "vary_star", "no_freshness", "no_validator".
  const char* reason = "";
};

// May this response to this request be stored by a shared cache (size limits aside)? Refuses:
//  head          a HEAD response: it has no body to store. A HEAD request is answered from the
//                stored GET response (same key); its response is relayed, never stored.
//  method        any method but GET.
//  status        a status outside 200 203 204 300 301 302 303 307 308 404 405 410 414 451 501:
//                206 (whole objects only), 304, 1xx, and statuses whose caching the store does
//                not implement (401, 403, 5xx, ...).
//  no_store      no-store in the request or the response; a response's no-store is ignored
//                under must-understand (§5.2.2.3), since every status stored is understood.
//  private       unqualified private. (private="F" only strips F, see storableFields.)
//  authorization Authorization in the request, unless must-revalidate, public or s-maxage (§3.5).
//  set_cookie    any Set-Cookie: never shared, whatever private="Set-Cookie" says (as Squid and
//                ATS by default).
//  vary_star     Vary: *, or a Vary element that is not a field name, or over 32 names.
//  no_freshness  no max-age, s-maxage or Expires, and either a status not heuristically
//                cacheable without public, or no validator (no Last-Modified for a heuristic, no
//                ETag to revalidate): it could never be served without a full fetch.
//  no_validator  no ETag or Last-Modified, and stale on arrival by its own directives (no-cache,
//                max-age=0 / s-maxage=0, invalid max-age): every reuse would be a full fetch.
StoreVerdict mayStore(const inspect::RequestHead& request, const inspect::ResponseHead& response);

// The fields to store with a response (§3.1): all but Connection and the fields it names,
// Proxy-Connection, Keep-Alive, TE, Transfer-Encoding (the store frames its decoded body
// itself), Upgrade, Proxy-Authenticate, Proxy-Authentication-Info, Set-Cookie, Age (rebuilt from
// FreshnessInfo on every hit), and those named by no-cache="..." / private="..." (§5.2.2.4/.7).
StoredFields storableFields(const std::vector<HeaderField>& response);

// --- Freshness (§4.2) --------------------------------------------------------------------------

// What decideServe needs, computed once when a response is stored or revalidated. Plain values,
// so the store can persist it as is.
struct FreshnessInfo {
  int64_t responseTime = 0;         // when the response (or the 304 that last validated it) came
  int64_t correctedInitialAge = 0;  // §4.2.3, >= 0
  int64_t lifetime = 0;             // freshness_lifetime, §4.2.1, >= 0
  bool heuristic = false;           // lifetime is a heuristic (§4.2.2), not explicit
  bool noCache = false;             // unqualified no-cache: every reuse is revalidated
  bool mustRevalidate = false;      // must-revalidate, proxy-revalidate or s-maxage: never stale
  bool immutable = false;           // RFC 8246
  std::optional<int64_t> staleWhileRevalidate;  // RFC 5861 seconds
  std::optional<int64_t> staleIfError;          // RFC 5861 seconds
  bool hasValidators = false;                   // conditionalHeaders() is not empty
};

// lifetime: s-maxage, else max-age, else Expires - Date (Date missing or invalid: responseTime;
// Expires invalid or repeated with another value: 0), else for a heuristically cacheable status
// or public: 10% of (Date - Last-Modified), capped by rules.heuristicMax. A max-age or s-maxage
// that is invalid or given twice with different values (invalidFreshness) gives 0.
// correctedInitialAge = max(apparent_age, Age + (responseTime - requestTime)), apparent_age =
// max(0, responseTime - Date): a Date ahead of our clock (skew) adds nothing, never subtracts.
FreshnessInfo freshnessOf(const inspect::ResponseHead& response, int64_t requestTime,
                          int64_t responseTime, const StoreRules& rules);

// The same after a 304 (§4.3.4): `updated` is updateFrom304()'s result for the stored response of
// status `storedStatus`, `notModified` the 304's fields (whose Age counts), the times those of
// the revalidation exchange.
FreshnessInfo freshnessAfter304(int storedStatus, const StoredFields& updated,
                                const std::vector<HeaderField>& notModified, int64_t requestTime,
                                int64_t responseTime, const StoreRules& rules);

// current_age (§4.2.3): correctedInitialAge + max(0, now - responseTime); a clock that stepped
// back never makes it smaller than the initial age. Saturating.
int64_t currentAge(const FreshnessInfo& info, int64_t now);

// The Age field value to send with every response served from the store: currentAge, at most
// 2147483648 (§5.1).
int64_t ageHeaderValue(const FreshnessInfo& info, int64_t now);

// --- Serving (§4, RFC 5861, RFC 8246) ----------------------------------------------------------

enum class ServeAction {
  ServeFresh,       // serve the stored response, no origin contact
  ServeStale,       // serve it now (max-stale or stale-while-revalidate), and revalidate in the
                    // background so the next request finds it fresh
  Revalidate,       // send the request with conditionalHeaders(); 304: updateFrom304 and serve;
                    // anything else: relay it (and store it if mayStore)
  StaleIfError,     // RFC 5861 stale-if-error covers the stored response: go to the origin as
                    // for Revalidate (or Miss without validators), and if that fails (5xx,
                    // connect error, timeout) serve it when mayServeOnError(info, now) holds
  Miss,             // the stored response cannot be reused or validated (no ETag or
                    // Last-Modified): forward the request unconditionally, as a miss.
                    // After Revalidate or Miss fails, mayServeOnError still says whether the
                    // stored response may stand in (only while fresh, e.g. a client reload)
  OnlyIfCached504,  // only-if-cached and the origin would be needed: answer 504 (RFC 9111
                    // §5.2.1.7). With no stored response at all the caller answers 504 too.
};

struct ServeDecision {
  ServeAction action = ServeAction::Miss;
  // Why, as a counter/log name: "fresh", "immutable", "max_stale", "stale_while_revalidate" for
  // a hit; "stale", "response_no_cache", "request_no_cache", "request_max_age", "min_fresh" for
  // an origin contact; "only_if_cached".
  const char* reason = "";
};

// The decision for one request (its parsed Cache-Control) and one stored response:
//  - response no-cache, then request no-cache (or Pragma: no-cache): always the origin;
//  - a fresh immutable response is served even to max-age=0 / min-fresh (browser reloads send
//    them): RFC 8246 wants no revalidation while fresh; request no-cache (force reload) still wins;
//  - request max-age: served only if currentAge <= max-age; min-fresh: only if still fresh for
//    that long;
//  - stale: served only under request max-stale (without min-fresh; within max-age if given) or
//    within stale-while-revalidate (without request max-age / min-fresh), and never when
//    must-revalidate, proxy-revalidate or s-maxage forbid it (§4.2.4);
//  - request no-store does not prevent a hit (§5.2.1.5); it only stops mayStore.
ServeDecision decideServe(const FreshnessInfo& info, const inspect::RequestCacheControl& request,
                          int64_t now);

// May the stored response answer when going to the origin failed? Yes while fresh (unless
// no-cache), or within stale-if-error unless no-cache, must-revalidate, proxy-revalidate or
// s-maxage forbid stale use: those win over RFC 5861 (a disconnected cache answers 504, §5.2.2.2).
bool mayServeOnError(const FreshnessInfo& info, int64_t now);

// --- Revalidating (§4.3) -----------------------------------------------------------------------

struct ConditionalFields {
  std::string ifNoneMatch;      // the stored ETag (weak allowed), empty if none or malformed
  std::string ifModifiedSince;  // the stored Last-Modified, empty if none or not an HTTP-date
};
// The validators to send when revalidating the stored response (§4.3.1): both when both exist.
ConditionalFields conditionalHeaders(const std::vector<HeaderField>& stored);

// The stored fields after a 304 (§3.2, §4.3.4): every field the 304 carries replaces all stored
// fields of that name, except fields never stored (see storableFields, applied to the 304,
// including the names its own no-cache="..." / private="..." list), Content-Length (§3.2),
// Content-Encoding (the stored body's bytes depend on it) and Content-Range. Untouched fields
// keep their order; replacements follow them in the 304's order.
// Then: freshnessAfter304 for the new FreshnessInfo, and mayStore over the result — a 304 can
// bring no-store or private, and the stored entry must then go once this response is served.
StoredFields updateFrom304(const StoredFields& stored, const std::vector<HeaderField>& notModified);

// --- Vary (§4.1) -------------------------------------------------------------------------------

// The secondary key of a stored response's variant: for each name in its Vary fields (lower-case,
// sorted, deduplicated), "name=value" with the request's fields of that name combined (", ") and
// whitespace normalised (runs of SP/HTAB outside quoted strings to one SP, none around commas,
// empty list elements dropped), or "name" alone when the request lacks the field (distinct from
// an empty value, "name="); entries joined by "\n". "" when there is no Vary. nullopt when the
// response can never be selected (Vary: *, malformed, over 32 names): do not store it.
std::optional<std::string> varyKey(const std::vector<HeaderField>& response,
                                   const std::vector<HeaderField>& request);

// --- Invalidation (§4.4) -----------------------------------------------------------------------

// The URLs whose stored responses an unsafe request invalidates: none for GET, HEAD, OPTIONS,
// TRACE or a status outside 2xx/3xx; otherwise `requestUrl` (absolute, "scheme://authority/path")
// and the Location and Content-Location targets of the same origin (scheme, host, port), resolved
// against it (RFC 3986 §5.2, fragment dropped) and spelled with requestUrl's own
// "scheme://authority" prefix so they match the store's keys. No duplicates.
std::vector<std::string> invalidatedUrls(std::string_view method, int status,
                                         std::string_view requestUrl,
                                         const std::vector<HeaderField>& response);

}  // namespace tollgate::cache
