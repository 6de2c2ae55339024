// Shared-cache decisions (RFC 9111). The contract, and the choices the RFC leaves open, are in
// freshness.h; comments here say why the code is shaped as it is.
#include "daemon/cache/freshness.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>

#include "daemon/inspect/http_fields.h"

namespace tollgate::cache {
namespace {

using inspect::detail::equalsIgnoreCase;

using inspect::kDeltaSecondsMax;
using inspect::ResponseCacheControl;

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

std::string lowerCase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

// tchar (RFC 9110 §5.6.2): what a field name is made of.
bool isTchar(char c) {
  bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  return alnum || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool isOws(char c) { return c == ' ' || c == '\t'; }

std::string_view trimOws(std::string_view v) {
  while (!v.empty() && isOws(v.front())) v.remove_prefix(1);
  while (!v.empty() && isOws(v.back())) v.remove_suffix(1);
  return v;
}

// The first field called `name`, or null: unlike inspect::findHeader, absent and empty differ.
const HeaderField* findField(const std::vector<HeaderField>& headers, std::string_view name) {
  for (const HeaderField& f : headers) {
    if (equalsIgnoreCase(f.name, name)) return &f;
  }
  return nullptr;
}

// Calls `each` with every non-empty, OWS-trimmed element of every field called `name`. Comma
// lists only: no quoted strings in the fields read this way (Vary, Connection).
template <typename Each>
void forEachListElement(const std::vector<HeaderField>& headers, std::string_view name, Each each) {
  for (const HeaderField& f : headers) {
    if (!equalsIgnoreCase(f.name, name)) continue;
    std::string_view rest = f.value;
    for (;;) {
      size_t comma = rest.find(',');
      std::string_view element = trimOws(rest.substr(0, comma));
      if (!element.empty()) each(element);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
}

// Fields a shared cache never keeps, whatever the response says (§3.1, RFC 9110 §7.6.1): hop-by-hop
// fields, proxy authentication, Set-Cookie (see mayStore), and Age (rebuilt on every hit).
bool neverStored(std::string_view lowerName) {
  static constexpr std::string_view kNames[] = {"connection",
                                                "proxy-connection",
                                                "keep-alive",
                                                "te",
                                                "transfer-encoding",
                                                "upgrade",
                                                "proxy-authenticate",
                                                "proxy-authentication-info",
                                                "proxy-authorization",
                                                "set-cookie",
                                                "age"};
  return std::find(std::begin(kNames), std::end(kNames), lowerName) != std::end(kNames);
}

// The field names a Connection field lists: hop-by-hop for this message only (RFC 9110 §7.6.1).
std::vector<std::string> connectionOptions(const std::vector<HeaderField>& headers) {
  std::vector<std::string> names;
  forEachListElement(headers, "connection",
                     [&](std::string_view e) { names.push_back(lowerCase(e)); });
  return names;
}

// The Vary names, lower-case, sorted, unique; false when no stored response could ever be
// selected with them: "*", an element that is not a field name, or more than kMaxVaryNames.
constexpr size_t kMaxVaryNames = 32;
bool varyNames(const std::vector<HeaderField>& headers, std::vector<std::string>& names) {
  bool usable = true;
  forEachListElement(headers, "vary", [&](std::string_view e) {
    if (e == "*" || !std::all_of(e.begin(), e.end(), isTchar)) {
      usable = false;
      return;
    }
    std::string name = lowerCase(e);
    if (std::find(names.begin(), names.end(), name) != names.end()) return;
    if (names.size() >= kMaxVaryNames) {
      usable = false;
    } else {
      names.push_back(std::move(name));
    }
  });
  std::sort(names.begin(), names.end());
  return usable;
}

int64_t saturatingAdd(int64_t a, int64_t b) {
  int64_t r = 0;
  if (!__builtin_add_overflow(a, b, &r)) return r;
  return b > 0 ? INT64_MAX : INT64_MIN;
}

int64_t saturatingSub(int64_t a, int64_t b) {
  int64_t r = 0;
  if (!__builtin_sub_overflow(a, b, &r)) return r;
  return b < 0 ? INT64_MAX : INT64_MIN;
}

// RFC 9110 §15.1: the statuses a cache may store without explicit freshness.
bool heuristicallyCacheable(int status) {
  // 206 is heuristically cacheable too, but the store keeps whole objects only.
  static constexpr int kStatuses[] = {200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501};
  return std::find(std::begin(kStatuses), std::end(kStatuses), status) != std::end(kStatuses);
}

// The statuses whose caching this cache implements ("understood", §3): the heuristic set plus
// redirects and 451 (RFC 7725), which are stored only with explicit freshness or public.
bool understoodStatus(int status) {
  return heuristicallyCacheable(status) || status == 302 || status == 303 || status == 307 ||
         status == 451;
}

// Age (§5.1): one non-negative integer, else ignored; saturates at 2^31.
int64_t ageValue(const std::vector<HeaderField>& headers) {
  const HeaderField* age = findField(headers, "age");
  if (age == nullptr || age->value.empty()) return 0;
  int64_t v = 0;
  for (char c : age->value) {
    if (c < '0' || c > '9') return 0;
    if (v < kDeltaSecondsMax) v = v * 10 + (c - '0');
  }
  return std::min(v, kDeltaSecondsMax);
}

// Expires - Date (§4.2.1, §5.3): an invalid Expires ("0" included) or two Expires that disagree
// mean already expired.
int64_t expiresLifetime(const std::vector<HeaderField>& headers, int64_t date, int64_t now) {
  const HeaderField* first = findField(headers, "expires");
  for (const HeaderField& f : headers) {
    if (equalsIgnoreCase(f.name, "expires") && f.value != first->value) return 0;
  }
  auto expires = inspect::parseHttpDate(first->value, now);
  if (!expires) return 0;
  return std::max<int64_t>(0, saturatingSub(*expires, date));
}

// Heuristic lifetime (§4.2.2): 10% of the time since Last-Modified, as seen at Date.
int64_t heuristicLifetime(const std::vector<HeaderField>& headers, int64_t date, int64_t now,
                          const StoreRules& rules) {
  const HeaderField* lastModified = findField(headers, "last-modified");
  if (lastModified == nullptr) return 0;
  auto lm = inspect::parseHttpDate(lastModified->value, now);
  if (!lm || *lm >= date) return 0;
  return std::clamp<int64_t>(saturatingSub(date, *lm) / 10, 0,
                             std::max<int64_t>(0, rules.heuristicMax));
}

FreshnessInfo computeFreshness(int status, const std::vector<HeaderField>& headers,
                               const std::vector<HeaderField>& ageFrom, int64_t requestTime,
                               int64_t responseTime, const StoreRules& rules) {
  ResponseCacheControl cc = inspect::parseResponseCacheControl(headers);
  FreshnessInfo info;
  info.responseTime = responseTime;

  // A missing or invalid Date is the time of receipt (RFC 9110 §6.6.1).
  int64_t date = responseTime;
  if (const HeaderField* d = findField(headers, "date")) {
    date = inspect::parseHttpDate(d->value, responseTime).value_or(responseTime);
  }

  if (cc.invalidFreshness) {
    info.lifetime = 0;  // §4.2.1: invalid freshness information is stale
  } else if (cc.sMaxAge) {
    info.lifetime = *cc.sMaxAge;
  } else if (cc.maxAge) {
    info.lifetime = *cc.maxAge;
  } else if (findField(headers, "expires") != nullptr) {
    info.lifetime = expiresLifetime(headers, date, responseTime);
  } else if (heuristicallyCacheable(status) || cc.isPublic) {
    info.lifetime = heuristicLifetime(headers, date, responseTime, rules);
    info.heuristic = true;
  }

  // §4.2.3. A negative delay (times passed in the wrong order) counts as none.
  int64_t apparentAge = std::max<int64_t>(0, saturatingSub(responseTime, date));
  int64_t responseDelay = std::max<int64_t>(0, saturatingSub(responseTime, requestTime));
  int64_t correctedAgeValue = saturatingAdd(ageValue(ageFrom), responseDelay);
  info.correctedInitialAge = std::max(apparentAge, correctedAgeValue);

  info.noCache = cc.noCache;
  info.mustRevalidate = cc.mustRevalidate || cc.proxyRevalidate || cc.sMaxAge.has_value();
  info.immutable = cc.immutable;
  info.staleWhileRevalidate = cc.staleWhileRevalidate;
  info.staleIfError = cc.staleIfError;
  ConditionalFields validators = conditionalHeaders(headers);
  info.hasValidators = !validators.ifNoneMatch.empty() || !validators.ifModifiedSince.empty();
  return info;
}

// A request field value in the form two requests that §4.1 calls matching share: runs of SP/HTAB
// outside quoted strings become one SP, OWS around commas and empty list elements go. Case is
// kept: whether it matters depends on the field.
std::string normaliseForVary(std::string_view value) {
  std::string out;
  std::string element;
  bool inQuotes = false;
  bool pendingSpace = false;
  auto endElement = [&] {
    if (!element.empty()) {
      if (!out.empty()) out.push_back(',');
      out += element;
    }
    element.clear();
    pendingSpace = false;
  };
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (inQuotes) {
      element.push_back(c);
      if (c == '\\' && i + 1 < value.size()) {
        element.push_back(value[++i]);
      } else if (c == '"') {
        inQuotes = false;
      }
    } else if (c == ',') {
      endElement();
    } else if (isOws(c)) {
      pendingSpace = !element.empty();
    } else {
      if (pendingSpace) element.push_back(' ');
      pendingSpace = false;
      element.push_back(c);
      inQuotes = c == '"';
    }
  }
  endElement();
  return out;
}

// Does stale-if-error (RFC 5861) keep the stored response usable if the origin fails? Never
// against no-cache, must-revalidate, proxy-revalidate or s-maxage (§4.2.4, §5.2.2.2).
bool staleIfErrorCovers(const FreshnessInfo& info, int64_t age) {
  if (info.noCache || info.mustRevalidate || !info.staleIfError) return false;
  return saturatingSub(age, info.lifetime) <= *info.staleIfError;
}

// StaleIfError only when RFC 5861 says so; otherwise a conditional request when the stored
// response allows one, else a plain one.
ServeDecision toOrigin(const FreshnessInfo& info, int64_t now, const char* reason) {
  if (staleIfErrorCovers(info, currentAge(info, now))) return {ServeAction::StaleIfError, reason};
  return {info.hasValidators ? ServeAction::Revalidate : ServeAction::Miss, reason};
}

ServeDecision decideIgnoringOnlyIfCached(const FreshnessInfo& info,
                                         const inspect::RequestCacheControl& req, int64_t now) {
  if (info.noCache) return toOrigin(info, now, "response_no_cache");
  if (req.noCache) return toOrigin(info, now, "request_no_cache");
  int64_t age = currentAge(info, now);
  bool fresh = info.lifetime > age;
  if (fresh && info.immutable) return {ServeAction::ServeFresh, "immutable"};
  // Ages are whole seconds, so a response stored 0.9 s ago has age 0: "max-age=0" (what a
  // browser's reload sends) would then never reach the origin. Read it as Squid and ATS do:
  // revalidate.
  if (req.maxAge && (age > *req.maxAge || *req.maxAge == 0)) {
    return toOrigin(info, now, "request_max_age");
  }
  if (fresh) {
    if (req.minFresh && info.lifetime - age < *req.minFresh) {
      return toOrigin(info, now, "min_fresh");
    }
    return {ServeAction::ServeFresh, "fresh"};
  }
  if (!info.mustRevalidate) {
    int64_t staleness = saturatingSub(age, info.lifetime);
    if (req.maxStale && !req.minFresh &&
        (!req.maxStaleSeconds || staleness <= *req.maxStaleSeconds)) {
      return {ServeAction::ServeStale, "max_stale"};
    }
    // A client that bounded the age itself (max-age, min-fresh) did not ask for stale content.
    if (info.staleWhileRevalidate && staleness <= *info.staleWhileRevalidate && !req.maxAge &&
        !req.minFresh) {
      return {ServeAction::ServeStale, "stale_while_revalidate"};
    }
  }
  return toOrigin(info, now, "stale");
}

}  // namespace

std::vector<HeaderField> fieldViews(const StoredFields& fields) {
  std::vector<HeaderField> views;
  views.reserve(fields.size());
  for (const StoredField& f : fields) views.push_back({f.name, f.value});
  return views;
}

StoreVerdict mayStore(const inspect::RequestHead& request, const inspect::ResponseHead& response) {
  if (request.method == "HEAD") return {false, "head"};
  if (request.method != "GET") return {false, "method"};
  if (!understoodStatus(response.status)) return {false, "status"};
  inspect::RequestCacheControl req = inspect::parseRequestCacheControl(request.headers);
  ResponseCacheControl cc = inspect::parseResponseCacheControl(response.headers);
  if (req.noStore || (cc.noStore && !cc.mustUnderstand)) return {false, "no_store"};
  if (cc.isPrivate) return {false, "private"};
  if (findField(request.headers, "authorization") != nullptr && !cc.mustRevalidate &&
      !cc.isPublic && !cc.sMaxAge) {
    return {false, "authorization"};
  }
  if (findField(response.headers, "set-cookie") != nullptr) return {false, "set_cookie"};
  std::vector<std::string> vary;
  if (!varyNames(response.headers, vary)) return {false, "vary_star"};

  ConditionalFields validators = conditionalHeaders(response.headers);
  bool hasValidators = !validators.ifNoneMatch.empty() || !validators.ifModifiedSince.empty();
  bool explicitFreshness = cc.maxAge || cc.sMaxAge || cc.invalidFreshness ||
                           findField(response.headers, "expires") != nullptr;
  if (!explicitFreshness &&
      (!(heuristicallyCacheable(response.status) || cc.isPublic) || !hasValidators)) {
    return {false, "no_freshness"};
  }
  // Stale on arrival by its own directives, and nothing to revalidate with: every reuse would be
  // a full fetch. (An Expires in the past is not caught here: that needs the clocks.)
  std::optional<int64_t> explicitLifetime = cc.sMaxAge ? cc.sMaxAge : cc.maxAge;
  bool staleOnArrival = cc.noCache || cc.invalidFreshness || explicitLifetime == int64_t{0};
  if (staleOnArrival && !hasValidators) return {false, "no_validator"};
  return {true, "cacheable"};
}

StoredFields storableFields(const std::vector<HeaderField>& response) {
  ResponseCacheControl cc = inspect::parseResponseCacheControl(response);
  std::vector<std::string> connection = connectionOptions(response);
  auto listed = [](const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  StoredFields out;
  for (const HeaderField& f : response) {
    std::string name = lowerCase(f.name);
    if (neverStored(name) || listed(connection, name) || listed(cc.noCacheFields, name) ||
        listed(cc.privateFields, name)) {
      continue;
    }
    out.push_back({std::string(f.name), std::string(f.value)});
  }
  return out;
}

FreshnessInfo freshnessOf(const inspect::ResponseHead& response, int64_t requestTime,
                          int64_t responseTime, const StoreRules& rules) {
  return computeFreshness(response.status, response.headers, response.headers, requestTime,
                          responseTime, rules);
}

FreshnessInfo freshnessAfter304(int storedStatus, const StoredFields& updated,
                                const std::vector<HeaderField>& notModified, int64_t requestTime,
                                int64_t responseTime, const StoreRules& rules) {
  return computeFreshness(storedStatus, fieldViews(updated), notModified, requestTime, responseTime,
                          rules);
}

int64_t currentAge(const FreshnessInfo& info, int64_t now) {
  int64_t residentTime = std::max<int64_t>(0, saturatingSub(now, info.responseTime));
  return saturatingAdd(std::max<int64_t>(0, info.correctedInitialAge), residentTime);
}

int64_t ageHeaderValue(const FreshnessInfo& info, int64_t now) {
  return std::min(currentAge(info, now), kDeltaSecondsMax);
}

ServeDecision decideServe(const FreshnessInfo& info, const inspect::RequestCacheControl& request,
                          int64_t now) {
  ServeDecision d = decideIgnoringOnlyIfCached(info, request, now);
  bool needsOrigin = d.action != ServeAction::ServeFresh && d.action != ServeAction::ServeStale;
  if (request.onlyIfCached && needsOrigin) return {ServeAction::OnlyIfCached504, "only_if_cached"};
  return d;
}

bool mayServeOnError(const FreshnessInfo& info, int64_t now) {
  if (info.noCache) return false;
  int64_t age = currentAge(info, now);
  return info.lifetime > age || staleIfErrorCovers(info, age);
}

// entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E / obs-text (RFC 9110 §8.8.3)
ConditionalFields conditionalHeaders(const std::vector<HeaderField>& stored) {
  ConditionalFields out;
  if (const HeaderField* etag = findField(stored, "etag")) {
    std::string_view tag = etag->value;
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    bool valid = tag.size() >= 2 && tag.front() == '"' && tag.back() == '"';
    for (size_t i = 1; valid && i + 1 < tag.size(); ++i) {
      auto c = static_cast<unsigned char>(tag[i]);
      valid = c == 0x21 || (c >= 0x23 && c != 0x7f);
    }
    if (valid) out.ifNoneMatch = std::string(etag->value);
  }
  if (const HeaderField* lm = findField(stored, "last-modified")) {
    // Any reference time will do: only the validity of the date matters here.
    if (inspect::parseHttpDate(lm->value, 0)) out.ifModifiedSince = std::string(lm->value);
  }
  return out;
}

StoredFields updateFrom304(const StoredFields& stored,
                           const std::vector<HeaderField>& notModified) {
  StoredFields incoming = storableFields(notModified);
  std::erase_if(incoming, [](const StoredField& f) {
    std::string name = lowerCase(f.name);
    return name == "content-length" || name == "content-encoding" || name == "content-range";
  });
  std::vector<std::string> replaced;
  for (const StoredField& f : incoming) replaced.push_back(lowerCase(f.name));
  StoredFields out;
  for (const StoredField& f : stored) {
    if (std::find(replaced.begin(), replaced.end(), lowerCase(f.name)) == replaced.end()) {
      out.push_back(f);
    }
  }
  for (StoredField& f : incoming) out.push_back(std::move(f));
  return out;
}

std::optional<std::string> varyKey(const std::vector<HeaderField>& response,
                                   const std::vector<HeaderField>& request) {
  std::vector<std::string> names;
  if (!varyNames(response, names)) return std::nullopt;
  std::string key;
  for (const std::string& name : names) {
    if (!key.empty()) key.push_back('\n');
    key += name;
    std::string combined;
    bool present = false;
    for (const HeaderField& f : request) {
      if (!equalsIgnoreCase(f.name, name)) continue;
      if (present) combined += ", ";
      combined += f.value;
      present = true;
    }
    if (present) key += "=" + normaliseForVary(combined);
  }
  return key;
}


}  // namespace tollgate::cache
