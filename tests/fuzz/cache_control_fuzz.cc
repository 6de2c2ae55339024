// libFuzzer target for the Cache-Control, Pragma and HTTP-date parsers. The input is one header
// field value. Besides memory safety (ASan, UBSan) it traps when the contract the cache relies on
// breaks:
//   - every delta-seconds value is in [0, 2^31]; max-stale's value implies max-stale;
//   - listed field names are non-empty lower-case tokens, unique, at most kMaxListedFields, and
//     absent when the unqualified directive is set;
//   - parsing is deterministic, and the field list is one list: splitting the value at a comma
//     with no quote before it into two Cache-Control fields changes nothing;
//   - a field after the input is never swallowed by it (an unterminated quote ends with its
//     field), so a second field's no-store / max-age always counts;
//   - Pragma alone only ever sets noCache;
//   - a date that parses lies in years 0000-9999, and formatting it parses back to the same
//     instant; formatting any instant parses back to it (clamped to that range).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/inspect/cache_control.h"

using namespace tollgate::inspect;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

constexpr int64_t kMinDate = -62167219200;  // Sat, 01 Jan 0000 00:00:00 GMT
constexpr int64_t kMaxDate = 253402300799;  // Fri, 31 Dec 9999 23:59:59 GMT

bool validDelta(const std::optional<int64_t>& v) {
  return !v || (*v >= 0 && *v <= kDeltaSecondsMax);
}

bool validList(const std::vector<std::string>& names) {
  if (names.size() > kMaxListedFields) return false;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) return false;
    for (char c : names[i]) {
      bool lowerAlnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
      if (!lowerAlnum && (c == '\0' || std::strchr("!#$%&'*+-.^_`|~", c) == nullptr)) {
        return false;
      }
    }
    for (size_t j = 0; j < i; ++j) {
      if (names[i] == names[j]) return false;
    }
  }
  return true;
}

bool same(const ResponseCacheControl& a, const ResponseCacheControl& b) {
  return a.noStore == b.noStore && a.noCache == b.noCache && a.noCacheFields == b.noCacheFields &&
         a.isPrivate == b.isPrivate && a.privateFields == b.privateFields &&
         a.isPublic == b.isPublic && a.maxAge == b.maxAge && a.sMaxAge == b.sMaxAge &&
         a.mustRevalidate == b.mustRevalidate && a.proxyRevalidate == b.proxyRevalidate &&
         a.immutable == b.immutable && a.staleWhileRevalidate == b.staleWhileRevalidate &&
         a.staleIfError == b.staleIfError && a.noTransform == b.noTransform &&
         a.mustUnderstand == b.mustUnderstand && a.invalidFreshness == b.invalidFreshness;
}

bool same(const RequestCacheControl& a, const RequestCacheControl& b) {
  return a.noCache == b.noCache && a.noStore == b.noStore && a.maxAge == b.maxAge &&
         a.maxStale == b.maxStale && a.maxStaleSeconds == b.maxStaleSeconds &&
         a.minFresh == b.minFresh && a.onlyIfCached == b.onlyIfCached &&
         a.noTransform == b.noTransform;
}

void checkResponse(const ResponseCacheControl& cc) {
  check(validDelta(cc.maxAge) && validDelta(cc.sMaxAge));
  check(validDelta(cc.staleWhileRevalidate) && validDelta(cc.staleIfError));
  check(validList(cc.noCacheFields) && validList(cc.privateFields));
  check(!cc.noCache || cc.noCacheFields.empty());
  check(!cc.isPrivate || cc.privateFields.empty());
}

void checkRequest(const RequestCacheControl& cc) {
  check(validDelta(cc.maxAge) && validDelta(cc.maxStaleSeconds) && validDelta(cc.minFresh));
  check(cc.maxStale || !cc.maxStaleSeconds);
}

std::vector<HeaderField> field(std::string_view name, std::string_view value) {
  return {{name, value}};
}

void fuzzCacheControl(std::string_view in) {
  ResponseCacheControl resp = parseResponseCacheControl(field("Cache-Control", in));
  RequestCacheControl req = parseRequestCacheControl(field("cache-control", in));
  checkResponse(resp);
  checkRequest(req);
  check(same(resp, parseResponseCacheControl(field("CACHE-CONTROL", in))));
  check(same(req, parseRequestCacheControl(field("Cache-Control", in))));

  size_t comma = in.find(',');
  if (comma != std::string_view::npos && in.substr(0, comma).find('"') == std::string_view::npos) {
    std::vector<HeaderField> split{{"Cache-Control", in.substr(0, comma)},
                                   {"Cache-Control", in.substr(comma + 1)}};
    check(same(resp, parseResponseCacheControl(split)));
    check(same(req, parseRequestCacheControl(split)));
  }

  std::vector<HeaderField> followed{{"Cache-Control", in}, {"Cache-Control", "no-store"}};
  check(parseResponseCacheControl(followed).noStore && parseRequestCacheControl(followed).noStore);
  followed[1].value = "max-age=5";
  check(parseResponseCacheControl(followed).maxAge.has_value());

  RequestCacheControl pragma = parseRequestCacheControl(field("Pragma", in));
  RequestCacheControl onlyNoCache;
  onlyNoCache.noCache = pragma.noCache;
  check(same(pragma, onlyNoCache));
}

void fuzzDate(std::string_view in) {
  for (int64_t now : {int64_t{631152000}, int64_t{1748736000}, INT64_MIN, INT64_MAX}) {
    std::optional<int64_t> t = parseHttpDate(in, now);
    if (!t) continue;
    check(*t >= kMinDate && *t <= kMaxDate);
    check(parseHttpDate(formatHttpDate(*t), now) == t);
  }
  // The formatter, over an instant taken from the input bytes.
  int64_t raw = 0;
  if (!in.empty()) std::memcpy(&raw, in.data(), std::min(in.size(), sizeof raw));
  int64_t clamped = raw < kMinDate ? kMinDate : raw > kMaxDate ? kMaxDate : raw;
  std::string text = formatHttpDate(raw);
  check(text.size() == 29);
  check(parseHttpDate(text, 0) == clamped);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  fuzzCacheControl(in);
  fuzzDate(in);
  return 0;
}
