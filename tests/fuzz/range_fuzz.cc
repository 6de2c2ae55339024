// libFuzzer target for byte_ranges.h. Input: 8 bytes giving the object length (eight ASCII
// digits are read as decimal so seeds stay readable, anything else as a little-endian uint64),
// then up to three lines: a Range value, a Content-Range value, an If-Range value.
//
// Besides memory safety it traps when a promise the serving side relies on breaks:
//  - every satisfiable range lies inside [0, length), is non-empty, and after coalescing no two
//    ranges overlap or touch;
//  - coalescing neither loses nor adds a byte, and keeps request order: checked against the
//    same value parsed one element at a time, which also gives an oracle for the abuse limits;
//  - the plan's Content-Length is the sum of its segments, and every part's Content-Range
//    parses back to its range; parseContentRange() never returns a range it calls invalid.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/inspect/byte_ranges.h"

using namespace tollgate::inspect;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

uint64_t readLength(const uint8_t* p) {
  bool decimal = std::all_of(p, p + 8, [](uint8_t c) { return c >= '0' && c <= '9'; });
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v = decimal ? v * 10 + (p[i] - '0') : v | (static_cast<uint64_t>(p[i]) << (8 * i));
  }
  return v;
}

// The bytes covered by `ranges`, as a sorted list of disjoint, non-touching intervals.
RangeSet unionOf(RangeSet ranges) {
  std::sort(ranges.begin(), ranges.end(),
            [](const ByteRange& a, const ByteRange& b) { return a.offset < b.offset; });
  RangeSet out;
  for (const ByteRange& r : ranges) {
    if (!out.empty() && r.offset <= out.back().end()) {
      out.back().length = std::max(out.back().end(), r.end()) - out.back().offset;
    } else {
      out.push_back(r);
    }
  }
  return out;
}

bool overlap(const ByteRange& a, const ByteRange& b) {
  return a.offset < b.end() && b.offset < a.end();
}

// The value's satisfiable range-specs in request order, before any limit or coalescing: each
// element parsed alone cannot be coalesced with anything.
RangeSet elementsOneByOne(std::string_view value, uint64_t length) {
  RangeSet out;
  RangeLimits loose;
  loose.maxFieldLength = value.size();
  std::string_view set = value.substr(value.find('=') + 1);
  size_t pos = 0;
  while (pos <= set.size()) {
    size_t comma = std::min(set.find(',', pos), set.size());
    RangeSet one;
    RangeIgnore why;
    std::string element = "bytes=" + std::string(set.substr(pos, comma - pos));
    if (parseRange(element, length, loose, one, why) == RangeResult::Satisfiable) {
      check(one.size() == 1);
      out.push_back(one[0]);
    }
    pos = comma + 1;
  }
  return out;
}

// What the default limits must decide for these uncoalesced ranges, recomputed by brute force.
RangeIgnore expectedAbuse(const RangeSet& r, uint64_t length, const RangeLimits& limits) {
  unsigned __int128 total = 0;
  for (const ByteRange& x : r) total += x.length;
  if (total > static_cast<unsigned __int128>(length) * limits.maxTotalFactor) {
    return RangeIgnore::TooManyBytes;
  }
  size_t overlapping = 0;
  for (size_t i = 0; i < r.size(); ++i) {
    for (size_t j = 0; j < r.size(); ++j) {
      if (i != j && overlap(r[i], r[j])) {
        ++overlapping;
        break;
      }
    }
  }
  if (overlapping > limits.maxOverlapping) return RangeIgnore::Overlapping;
  bool ascending = true;
  for (size_t i = 1; i < r.size(); ++i) ascending = ascending && r[i - 1].offset <= r[i].offset;
  if (r.size() > limits.maxUnorderedRanges && !ascending) return RangeIgnore::Unordered;
  return RangeIgnore::None;
}

void checkSatisfiable(const RangeSet& ranges, uint64_t length) {
  check(!ranges.empty());
  for (const ByteRange& r : ranges) {
    check(r.length > 0 && r.offset < length && r.length <= length - r.offset);
  }
  for (size_t i = 0; i < ranges.size(); ++i) {
    for (size_t j = i + 1; j < ranges.size(); ++j) {
      // Neither overlapping nor touching: touching ones would have been merged.
      check(ranges[i].end() < ranges[j].offset || ranges[j].end() < ranges[i].offset);
    }
  }
}

void checkPlan(const RangeSet& ranges, uint64_t length) {
  const std::string boundary = "fuzz_boundary";
  RangeResponsePlan plan = planRangeResponse(ranges, length, "application/x-test", boundary);
  unsigned __int128 sum = 0;
  for (const BodySegment& s : plan.segments) {
    sum += s.size();
    if (s.literal.empty()) check(s.object.end() <= length && s.object.length > 0);
  }
  check(sum == plan.contentLength);
  bool hasLength = false;
  for (const auto& [name, value] : plan.fields) {
    if (name == "Content-Length") hasLength = value == std::to_string(plan.contentLength);
  }
  check(hasLength);
  if (plan.status == 200) {  // only when the multipart size cannot be expressed in 64 bits
    check(ranges.size() > 1 && plan.contentLength == length);
    return;
  }
  check(plan.status == 206);
  ContentRange cr;
  if (ranges.size() == 1) {
    check(plan.segments.size() == 1 && plan.segments[0].object == ranges[0]);
    check(plan.fields[0].first == "Content-Range" && parseContentRange(plan.fields[0].second, cr));
    check(cr.range == ranges[0] && cr.completeLength == length);
    return;
  }
  check(plan.segments.size() == 2 * ranges.size() + 1);
  check(plan.segments.back().literal == "\r\n--" + boundary + "--\r\n");
  for (size_t i = 0; i < ranges.size(); ++i) {
    const std::string& head = plan.segments[2 * i].literal;
    check(head.starts_with(i == 0 ? "--" + boundary + "\r\n" : "\r\n--" + boundary + "\r\n"));
    check(head.ends_with("\r\n\r\n"));
    size_t at = head.find("Content-Range: ");
    check(at != std::string::npos);
    size_t valueAt = at + 15;
    check(parseContentRange(head.substr(valueAt, head.find("\r\n", valueAt) - valueAt), cr));
    check(cr.range == ranges[i] && cr.completeLength == length);
    check(plan.segments[2 * i + 1].object == ranges[i]);
  }
}

void fuzzRange(std::string_view value, uint64_t length) {
  RangeSet ranges;
  RangeIgnore why;
  RangeLimits defaults;
  RangeResult result = parseRange(value, length, defaults, ranges, why);
  RangeSet again;
  RangeIgnore whyAgain;
  check(parseRange(value, length, defaults, again, whyAgain) == result);
  check(again == ranges && whyAgain == why);
  check((result == RangeResult::Ignore) == (why != RangeIgnore::None));
  check((result == RangeResult::Satisfiable) == !ranges.empty());
  if (result == RangeResult::Unsatisfiable) check(length > 0);
  if (length == 0) check(result == RangeResult::Ignore);
  if (result == RangeResult::Satisfiable) {
    check(ranges.size() <= defaults.maxRanges);
    checkSatisfiable(ranges, length);
    checkPlan(ranges, length);
  }

  // Loose limits: the abuse checks off, so the oracle can judge both them and coalescing.
  RangeLimits loose;
  loose.maxFieldLength = defaults.maxFieldLength;
  loose.maxRanges = 64;
  loose.maxOverlapping = loose.maxUnorderedRanges = loose.maxRanges;
  loose.maxTotalFactor = loose.maxRanges;
  RangeSet merged;
  RangeIgnore looseWhy;
  if (parseRange(value, length, loose, merged, looseWhy) != RangeResult::Satisfiable) return;
  checkSatisfiable(merged, length);
  checkPlan(merged, length);
  RangeSet requested = elementsOneByOne(value, length);
  check(!requested.empty());
  // Same bytes, and each merged range where the earliest-listed of its members was.
  RangeSet sorted = merged;
  std::sort(sorted.begin(), sorted.end(),
            [](const ByteRange& a, const ByteRange& b) { return a.offset < b.offset; });
  check(sorted == unionOf(requested));
  size_t previousFirst = 0;
  for (size_t k = 0; k < merged.size(); ++k) {
    size_t first = requested.size();
    for (size_t i = 0; i < requested.size() && first == requested.size(); ++i) {
      if (requested[i].offset >= merged[k].offset && requested[i].end() <= merged[k].end()) {
        first = i;
      }
    }
    check(first < requested.size() && (k == 0 || first > previousFirst));
    previousFirst = first;
  }
  // The default limits' verdict, unless it stopped earlier on the number of range-specs.
  if (result == RangeResult::Satisfiable || why != RangeIgnore::TooManyRanges) {
    RangeIgnore expected = expectedAbuse(requested, length, defaults);
    check(why == expected);
    if (expected == RangeIgnore::None) check(ranges == merged);
  }
}

void fuzzContentRange(std::string_view value) {
  ContentRange cr;
  if (!parseContentRange(value, cr)) return;
  if (cr.unsatisfied) {
    check(cr.completeLength.has_value());
    return;
  }
  check(cr.range.length > 0 && cr.range.end() > cr.range.offset);  // no wrap-around
  if (cr.completeLength) check(cr.range.end() <= *cr.completeLength);
  ContentRange back;
  std::string text = "bytes " + std::to_string(cr.range.offset) + "-" +
                     std::to_string(cr.range.end() - 1) + "/" +
                     (cr.completeLength ? std::to_string(*cr.completeLength) : "*");
  check(parseContentRange(text, back) && back.range == cr.range &&
        back.completeLength == cr.completeLength && !back.unsatisfied);
}

void fuzzIfRange(std::string_view value, uint64_t seed) {
  auto date = static_cast<int64_t>(seed);
  StoredValidators same{value, date, date};
  bool self = evaluateIfRange(value, std::nullopt, same);
  std::string_view t = value;
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  // Only a strong tag can match, and only itself; a weak stored copy of it never does.
  if (self) check(!t.empty() && t.front() == '"');
  std::string weak = "W/" + std::string(t);
  check(!evaluateIfRange(weak, std::nullopt, {weak, date, date}));
  check(!evaluateIfRange(value, std::nullopt, {weak, date, date}));
  // Dates: exact match against a strong Last-Modified only, and never for a tag-shaped value.
  bool tagShaped = !t.empty() && (t.front() == '"' || t.starts_with("W/"));
  StoredValidators dated{"", date, std::nullopt};
  check(!evaluateIfRange(value, date, dated));  // no stored Date: Last-Modified is weak
  if (!tagShaped && !t.empty() && date < INT64_MAX) {
    dated.date = date + 1;
    check(evaluateIfRange(value, date, dated));
    check(!evaluateIfRange(value, date - (date > INT64_MIN ? 1 : -1), dated));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 8) return 0;
  uint64_t length = readLength(data);
  std::string_view rest(reinterpret_cast<const char*>(data) + 8, size - 8);
  std::string_view lines[3];
  for (std::string_view& line : lines) {
    size_t nl = std::min(rest.find('\n'), rest.size());
    line = rest.substr(0, nl);
    rest.remove_prefix(std::min(nl + 1, rest.size()));
  }
  fuzzRange(lines[0], length);
  fuzzContentRange(lines[1]);
  fuzzIfRange(lines[2], length);
  ContentRange unsatisfied;
  check(parseContentRange(contentRangeUnsatisfied(length), unsatisfied) &&
        unsatisfied.unsatisfied && unsatisfied.completeLength == length);
  return 0;
}
