// Byte ranges (RFC 9110 §14):
//
//   Range         = range-unit "=" range-set             bytes=0-499, -500,,9500-
//   range-set     = 1#range-spec                         (OWS and empty elements around commas)
//   range-spec    = int-range / suffix-range
//   int-range     = first-pos "-" [ last-pos ]           0-499     9500-
//   suffix-range  = "-" suffix-length                    -500
//   Content-Range = range-unit SP ( first-pos "-" last-pos "/" ( complete-length / "*" )
//                                 / "*/" complete-length )
//
// A Range is advice, never an obligation (§14.2: a server MAY ignore it), so every doubt here
// resolves to Ignore, which serves the whole object: a malformed value, an abusive one, or one
// this module does not want to reason about. A wrong 206 corrupts a download; a 200 only costs
// bytes. The parser is one pass over at most maxFieldLength bytes; the range checks sort at most
// maxRanges ranges, so no input costs more than O(n log n) in the field length.
#include "daemon/inspect/byte_ranges.h"

#include "daemon/inspect/http_fields.h"

#include <algorithm>
#include <limits>

namespace tollgate::inspect {
namespace {

using detail::equalsIgnoreCase;

constexpr uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();

bool isOws(char c) { return c == ' ' || c == '\t'; }

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && isOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && isOws(s.back())) s.remove_suffix(1);
  return s;
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

bool isTchar(char c) {
  static constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
  return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         kExtra.find(c) != std::string_view::npos;
}

enum class Number { Ok, Missing, Overflow };

// Reads 1*DIGIT at s[pos...], advancing pos. Leading zeros are allowed and cost nothing but
// length, which the caller has already bounded.
Number readNumber(std::string_view s, size_t& pos, uint64_t& value) {
  size_t start = pos;
  value = 0;
  for (; pos < s.size() && isDigit(s[pos]); ++pos) {
    uint64_t digit = static_cast<uint64_t>(s[pos] - '0');
    if (value > (kMaxU64 - digit) / 10) return Number::Overflow;
    value = value * 10 + digit;
  }
  return pos == start ? Number::Missing : Number::Ok;
}

// One range-spec as written, before the object length gives it meaning.
struct Spec {
  bool suffix = false;
  uint64_t first = 0;       // int-range
  uint64_t last = kMaxU64;  // int-range; kMaxU64 also stands for an absent last-pos
  uint64_t count = 0;       // suffix-range: suffix-length
};

// Parses one non-empty, OWS-trimmed list element; None on success.
RangeIgnore parseSpec(std::string_view e, Spec& spec) {
  size_t pos = 0;
  Number n;
  if (e[0] == '-') {
    spec.suffix = true;
    pos = 1;
    n = readNumber(e, pos, spec.count);
  } else {
    n = readNumber(e, pos, spec.first);
    if (n == Number::Ok) {
      if (pos == e.size() || e[pos] != '-') return RangeIgnore::Malformed;
      ++pos;
      // "a-" leaves spec.last at kMaxU64, which clamping turns into "to the end" just as an
      // explicit last-pos past the end is.
      if (pos < e.size()) n = readNumber(e, pos, spec.last);
    }
  }
  if (n == Number::Overflow) return RangeIgnore::Overflow;
  if (n == Number::Missing || pos != e.size()) return RangeIgnore::Malformed;
  // §14.1.1: such an int-range is invalid, and so is the whole ranges-specifier.
  if (!spec.suffix && spec.last < spec.first) return RangeIgnore::Malformed;
  return RangeIgnore::None;
}

// The bytes a spec selects in an object of `length` > 0 bytes; nullopt when unsatisfiable
// (§14.1.1: first-pos at or past the end, or a zero suffix-length).
std::optional<ByteRange> resolve(const Spec& spec, uint64_t length) {
  if (spec.suffix) {
    if (spec.count == 0) return std::nullopt;
    uint64_t n = std::min(spec.count, length);
    return ByteRange{length - n, n};
  }
  if (spec.first >= length) return std::nullopt;
  uint64_t last = std::min(spec.last, length - 1);
  return ByteRange{spec.first, last - spec.first + 1};
}

// Indices of `ranges` in ascending offset order, ties in request order, so results never
// depend on the sort's stability.
std::vector<size_t> byOffset(const RangeSet& ranges) {
  std::vector<size_t> order(ranges.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return ranges[a].offset != ranges[b].offset ? ranges[a].offset < ranges[b].offset : a < b;
  });
  return order;
}

// How many ranges share at least one byte with another. Walking in offset order, a range
// overlaps an earlier one iff it starts before the furthest end so far; the range owning that
// end overlaps it too. A range that overlaps only later ones is caught by the next range in
// offset order, for which it then owns the furthest end.
size_t countOverlapping(const RangeSet& ranges, const std::vector<size_t>& order) {
  std::vector<bool> overlapping(ranges.size(), false);
  uint64_t furthestEnd = 0;
  size_t owner = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    const ByteRange& r = ranges[order[k]];
    if (k > 0 && r.offset < furthestEnd) {
      overlapping[order[k]] = true;
      overlapping[owner] = true;
    }
    if (k == 0 || r.end() > furthestEnd) {
      furthestEnd = r.end();
      owner = order[k];
    }
  }
  return static_cast<size_t>(std::count(overlapping.begin(), overlapping.end(), true));
}

// Merges ranges that overlap or touch (§14.6 allows coalescing; touching ones too, because
// two parts for contiguous bytes only add part headers). Each merged range takes the place of
// the earliest-listed range it absorbed, and the result keeps request order, which §14.6 asks
// for so that clients reading parts in order are not surprised.
RangeSet coalesce(const RangeSet& ranges, const std::vector<size_t>& order) {
  struct Group {
    ByteRange range;
    size_t firstListed;
  };
  std::vector<Group> groups;
  for (size_t i : order) {
    const ByteRange& r = ranges[i];
    if (!groups.empty() && r.offset <= groups.back().range.end()) {
      Group& g = groups.back();
      g.range.length = std::max(g.range.end(), r.end()) - g.range.offset;
      g.firstListed = std::min(g.firstListed, i);
    } else {
      groups.push_back({r, i});
    }
  }
  std::sort(groups.begin(), groups.end(),
            [](const Group& a, const Group& b) { return a.firstListed < b.firstListed; });
  RangeSet out;
  out.reserve(groups.size());
  for (const Group& g : groups) out.push_back(g.range);
  return out;
}

// The §14.2 and CVE-2011-3192 defences, on the satisfiable ranges before coalescing: what the
// client asked for is the evidence of abuse, even though coalescing would make it cheap.
RangeIgnore checkAbuse(const RangeSet& ranges, const std::vector<size_t>& order, uint64_t length,
                       const RangeLimits& limits) {
  // 128 bits (GCC and Clang, our only compilers): both sides can pass 2^64 for objects over
  // 2^63 bytes, and a saturating 64-bit sum would then never exceed a saturated budget. Neither
  // side can overflow 128 bits: at most maxRanges (a size_t) terms, each below 2^64.
  using Wide = unsigned __int128;
  Wide total = 0;
  for (const ByteRange& r : ranges) total += r.length;
  if (total > Wide{length} * limits.maxTotalFactor) return RangeIgnore::TooManyBytes;
  if (countOverlapping(ranges, order) > limits.maxOverlapping) return RangeIgnore::Overlapping;
  if (ranges.size() > limits.maxUnorderedRanges) {
    for (size_t i = 1; i < ranges.size(); ++i) {
      if (ranges[i].offset < ranges[i - 1].offset) return RangeIgnore::Unordered;
    }
  }
  return RangeIgnore::None;
}

std::string contentRange(const ByteRange& r, uint64_t length) {
  return "bytes " + std::to_string(r.offset) + "-" + std::to_string(r.end() - 1) + "/" +
         std::to_string(length);
}

// The bchars of RFC 2046 that are also tchars, so the boundary parameter needs no quoting and
// the delimiter line is the same bytes the client searches for.
bool validBoundary(std::string_view b) {
  if (b.empty() || b.size() > 70) return false;
  for (char c : b) {
    bool alnum = isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && c != '\'' && c != '+' && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

// A field value that cannot break the part header it is copied into (no CR, LF, NUL).
bool validFieldValue(std::string_view v) {
  for (char c : v) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

RangeResponsePlan fullResponse(uint64_t length) {
  RangeResponsePlan plan;
  plan.status = 200;
  plan.fields.emplace_back("Content-Length", std::to_string(length));
  plan.contentLength = length;
  if (length > 0) plan.segments.push_back({"", ByteRange{0, length}});
  return plan;
}

}  // namespace

const char* toString(RangeIgnore why) {
  switch (why) {
    case RangeIgnore::None:
      return "none";
    case RangeIgnore::NotBytes:
      return "not_bytes";
    case RangeIgnore::Malformed:
      return "malformed";
    case RangeIgnore::Overflow:
      return "overflow";
    case RangeIgnore::TooLong:
      return "too_long";
    case RangeIgnore::TooManyRanges:
      return "too_many_ranges";
    case RangeIgnore::Overlapping:
      return "overlapping";
    case RangeIgnore::Unordered:
      return "unordered";
    case RangeIgnore::TooManyBytes:
      return "too_many_bytes";
    case RangeIgnore::EmptyObject:
      return "empty_object";
  }
  return "unknown";
}

RangeResult parseRange(std::string_view rangeValue, uint64_t length, const RangeLimits& limits,
                       RangeSet& out, RangeIgnore& why) {
  out.clear();
  why = RangeIgnore::None;
  auto ignore = [&](RangeIgnore reason) {
    out.clear();
    why = reason;
    return RangeResult::Ignore;
  };
  if (rangeValue.size() > limits.maxFieldLength) return ignore(RangeIgnore::TooLong);
  std::string_view value = trimOws(rangeValue);
  size_t eq = value.find('=');
  if (eq == std::string_view::npos || eq == 0) return ignore(RangeIgnore::Malformed);
  std::string_view unit = value.substr(0, eq);
  if (!std::all_of(unit.begin(), unit.end(), isTchar)) return ignore(RangeIgnore::Malformed);
  if (!equalsIgnoreCase(unit, "bytes")) return ignore(RangeIgnore::NotBytes);

  // Every element is validated before any answer: a value with one bad element is ignored
  // whole (§14.1.1), even when its other elements were fine or unsatisfiable.
  std::string_view set = value.substr(eq + 1);
  size_t specs = 0;
  size_t pos = 0;
  while (true) {
    size_t comma = std::min(set.find(',', pos), set.size());
    std::string_view element = trimOws(set.substr(pos, comma - pos));
    if (!element.empty()) {
      if (++specs > limits.maxRanges) return ignore(RangeIgnore::TooManyRanges);
      Spec spec;
      RangeIgnore bad = parseSpec(element, spec);
      if (bad != RangeIgnore::None) return ignore(bad);
      // A zero-length object has no range to resolve against (every spec would be empty or
      // unsatisfiable); it is answered below, once the syntax is known to be valid.
      if (length > 0) {
        if (std::optional<ByteRange> r = resolve(spec, length)) out.push_back(*r);
      }
    }
    if (comma == set.size()) break;
    pos = comma + 1;
  }
  if (specs == 0) return ignore(RangeIgnore::Malformed);  // 1#: at least one range-spec
  // RFC 9110 would answer 416 "bytes */0" to "bytes=0-" on an empty object, which a resuming
  // downloader may take for an error; the whole empty 200 is equally allowed and always right.
  if (length == 0) return ignore(RangeIgnore::EmptyObject);
  if (out.empty()) return RangeResult::Unsatisfiable;

  std::vector<size_t> order = byOffset(out);
  RangeIgnore abuse = checkAbuse(out, order, length, limits);
  if (abuse != RangeIgnore::None) return ignore(abuse);
  out = coalesce(out, order);
  return RangeResult::Satisfiable;
}

bool evaluateIfRange(std::string_view ifRange, std::optional<int64_t> ifRangeDate,
                     const StoredValidators& stored) {
  std::string_view value = trimOws(ifRange);
  if (value.empty()) return false;
  // entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE. A date never starts with either, so the first
  // byte decides which comparison applies.
  if (value.front() == '"' || value.starts_with("W/")) {
    auto opaqueTag = [](std::string_view t) {
      if (t.size() < 2 || t.front() != '"' || t.back() != '"') return false;
      for (char c : t.substr(1, t.size() - 2)) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x21 || u == '"' || u == 0x7f) return false;  // etagc = %x21 / %x23-7E / obs-text
      }
      return true;
    };
    // Strong comparison (§8.8.3.2): neither tag weak, opaque-tags identical byte for byte. A
    // "W/" prefix fails opaqueTag(), which is what makes weak tags never match.
    std::string_view etag = trimOws(stored.etag);
    return opaqueTag(value) && opaqueTag(etag) && value == etag;
  }
  if (!ifRangeDate || !stored.lastModified || !stored.date) return false;
  // §13.1.5: exact equality, unlike the "not modified since" ordering of other preconditions.
  // §8.8.2.2: a cache may treat Last-Modified as strong only when its stored Date is at least
  // one second later: within the same second the resource could have changed twice.
  return *ifRangeDate == *stored.lastModified && *stored.date > *stored.lastModified;
}

RangeResponsePlan planRangeResponse(const RangeSet& ranges, uint64_t length,
                                    std::string_view contentType, std::string_view boundary) {
  if (ranges.empty()) return fullResponse(length);
  for (const ByteRange& r : ranges) {
    if (r.length == 0 || r.offset >= length || r.length > length - r.offset) {
      return fullResponse(length);
    }
  }
  RangeResponsePlan plan;
  if (ranges.size() == 1) {
    // §14.6: a single range is never sent as multipart; the stored Content-Type stays.
    plan.fields.emplace_back("Content-Range", contentRange(ranges[0], length));
    plan.contentLength = ranges[0].length;
    plan.fields.emplace_back("Content-Length", std::to_string(plan.contentLength));
    plan.segments.push_back({"", ranges[0]});
    return plan;
  }
  contentType = trimOws(contentType);
  if (!validBoundary(boundary) || !validFieldValue(contentType)) return fullResponse(length);

  // The CRLF after each part's data belongs to the next delimiter (RFC 2046 §5.1.1), so each
  // literal holds "end of the previous part + start of the next". The body starts with the
  // delimiter (no preamble) and ends with CRLF after the close delimiter, as nginx and Apache do.
  std::string dashBoundary = "--" + std::string(boundary);
  std::string literal = dashBoundary + "\r\n";
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (i > 0) literal = "\r\n" + dashBoundary + "\r\n";
    if (!contentType.empty()) literal += "Content-Type: " + std::string(contentType) + "\r\n";
    literal += "Content-Range: " + contentRange(ranges[i], length) + "\r\n\r\n";
    plan.segments.push_back({literal, ByteRange{}});
    plan.segments.push_back({"", ranges[i]});
  }
  plan.segments.push_back({"\r\n" + dashBoundary + "--\r\n", ByteRange{}});

  // Ranges from parseRange() are disjoint, so the sum stays below length plus the literals;
  // only an object within a few KiB of 2^64 bytes, or a caller's own overlapping ranges, could
  // overflow it, and then the full 200 is the answer rather than a wrong Content-Length.
  for (const BodySegment& s : plan.segments) {
    if (s.size() > kMaxU64 - plan.contentLength) return fullResponse(length);
    plan.contentLength += s.size();
  }
  plan.fields.emplace_back("Content-Type",
                           "multipart/byteranges; boundary=" + std::string(boundary));
  plan.fields.emplace_back("Content-Length", std::to_string(plan.contentLength));
  return plan;
}

std::string contentRangeUnsatisfied(uint64_t length) { return "bytes */" + std::to_string(length); }

bool parseContentRange(std::string_view value, ContentRange& out) {
  out = ContentRange{};
  std::string_view v = trimOws(value);
  size_t sp = v.find(' ');
  if (sp == std::string_view::npos || !equalsIgnoreCase(v.substr(0, sp), "bytes")) return false;
  std::string_view rest = v.substr(sp + 1);
  size_t pos = 0;
  uint64_t len = 0;
  if (rest.starts_with("*/")) {
    pos = 2;
    if (readNumber(rest, pos, len) != Number::Ok || pos != rest.size()) return false;
    out.unsatisfied = true;
    out.completeLength = len;
    return true;
  }
  uint64_t first = 0, last = 0;
  if (readNumber(rest, pos, first) != Number::Ok) return false;
  if (pos == rest.size() || rest[pos++] != '-') return false;
  if (readNumber(rest, pos, last) != Number::Ok) return false;
  if (pos == rest.size() || rest[pos++] != '/') return false;
  if (rest.substr(pos) == "*") {
    out.completeLength = std::nullopt;
  } else {
    if (readNumber(rest, pos, len) != Number::Ok || pos != rest.size()) return false;
    out.completeLength = len;
  }
  // §14.4: the recipient of such a value must not recombine it with a stored object.
  if (last < first || last == kMaxU64) return false;
  if (out.completeLength && *out.completeLength <= last) return false;
  out.range = ByteRange{first, last - first + 1};
  return true;
}

}  // namespace tollgate::inspect
