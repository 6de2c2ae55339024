#pragma once
// Byte ranges (RFC 9110 §14) for a cache that serves Range requests from complete stored
// objects: the Range a client sends, the If-Range that guards it, the 206 built from the stored
// object, and the Content-Range an origin sends back. Pure: no I/O, no clock, no dependency
// beyond the standard library; every call does work bounded by its input and RangeLimits.
//
// Typical use on a cache hit for GET with a Range field (the caller ignores Range on other
// methods, RFC 9110 §14.2, and ignores If-Range when there is no Range, §13.1.5):
//
//   if (If-Range present && !evaluateIfRange(ifRange, <ifRange as HTTP-date>, stored)) → 200
//   switch (parseRange(range, length, limits, ranges, why)) {
//     Ignore:        → 200 with the whole object (count `why`)
//     Unsatisfiable: → 416, Content-Range: contentRangeUnsatisfied(length), no body
//     Satisfiable:   → plan = planRangeResponse(ranges, length, contentType, boundary)
//   }
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tollgate::inspect {

// Bytes [offset, offset + length) of the stored object; length > 0 in every range this module
// produces, and offset + length never overflows.
struct ByteRange {
  uint64_t offset = 0;
  uint64_t length = 0;
  uint64_t end() const { return offset + length; }
  bool operator==(const ByteRange&) const = default;
};

// Ranges to serve, in the order the client listed them (RFC 9110 §14.6), already coalesced.
using RangeSet = std::vector<ByteRange>;

enum class RangeResult {
  Satisfiable,    // answer 206 with the ranges in `out`
  Unsatisfiable,  // answer 416 with Content-Range: contentRangeUnsatisfied(length)
  Ignore,         // answer 200 with the whole object, as if there were no Range (§14.2: MAY)
};

// Why parseRange() answered Ignore: one counter each.
enum class RangeIgnore {
  None,
  NotBytes,       // a range unit other than "bytes"
  Malformed,      // not unit=1#range-spec, last-pos < first-pos, or no range-spec at all
  Overflow,       // a number above UINT64_MAX
  TooLong,        // field value longer than RangeLimits::maxFieldLength
  TooManyRanges,  // more range-specs than RangeLimits::maxRanges
  Overlapping,    // more satisfiable ranges overlapping another than maxOverlapping
  Unordered,      // more than maxUnorderedRanges ranges, not in ascending order
  TooManyBytes,   // requested bytes (before coalescing) above maxTotalFactor × length
  EmptyObject,    // the object has no bytes: the whole (empty) 200 is the only answer
};
const char* toString(RangeIgnore why);

// Defences against range requests that cost far more than they deliver (CVE-2011-3192, the
// "Apache killer": hundreds of overlapping ranges each re-sending the whole file). The defaults
// admit every pattern seen from real downloaders (one range; a few ascending ranges).
struct RangeLimits {
  size_t maxFieldLength = 4096;   // longer Range values are ignored before parsing
  size_t maxRanges = 16;          // range-specs, satisfiable or not; empty list elements free
  size_t maxOverlapping = 2;      // RFC 9110 §14.2: "more than two overlapping ranges"
  size_t maxUnorderedRanges = 4;  // §14.2: "many small ranges not listed in ascending order"
  uint64_t maxTotalFactor = 2;    // Apache's fix: more bytes asked than the object is a smell
};

// Parses a Range field value (RFC 9110 §14.1-14.2) against an object of `length` bytes.
//   Range = "bytes" "=" 1#( first-pos "-" [ last-pos ] / "-" suffix-length )
// The unit is case-insensitive; OWS is allowed around list elements and empty elements are
// skipped, nothing else (no whitespace around "=" or "-"). A last-pos at or past the end is
// clamped; a suffix longer than the object means the whole object; a range-spec starting at or
// past the end, or "-0", is unsatisfiable and dropped, and only when every range-spec is
// unsatisfiable is the answer Unsatisfiable. Satisfiable ranges that overlap or touch are merged
// into one, placed where the earliest of them was listed, so `out` holds disjoint, non-adjacent
// ranges in request order; several requested ranges may thus come back as one.
// On Satisfiable `out` has at least one range and `why` is None; otherwise `out` is empty and
// `why` says why (None on Unsatisfiable). A zero-length object always gives Ignore.
RangeResult parseRange(std::string_view rangeValue, uint64_t length, const RangeLimits& limits,
                       RangeSet& out, RangeIgnore& why);

// The validators of the stored response that If-Range is compared with.
struct StoredValidators {
  std::string_view etag;                // ETag field value as stored; empty when none
  std::optional<int64_t> lastModified;  // Last-Modified, seconds since the epoch
  std::optional<int64_t> date;          // Date of the stored response, seconds since the epoch
};

// RFC 9110 §13.1.5: true when the Range applies, false when the whole object must be sent.
// `ifRangeDate` is the If-Range value parsed as an HTTP-date by the caller (nullopt when it is
// not one); it is read only when the value is not an entity-tag, which keeps this module free of
// a date parser. An entity-tag matches only by strong comparison: a weak tag on either side never
// matches. A date matches only when it equals Last-Modified exactly and Last-Modified is strong
// for a cache, i.e. the stored Date is at least one second later (§8.8.2.2). Anything else,
// including a malformed value, is false: sending the whole object is always correct.
bool evaluateIfRange(std::string_view ifRange, std::optional<int64_t> ifRangeDate,
                     const StoredValidators& stored);

// One piece of a planned response body, sent in order.
struct BodySegment {
  std::string literal;  // when non-empty: these bytes (part headers, delimiters)
  ByteRange object;     // otherwise: these bytes of the stored object
  uint64_t size() const { return literal.empty() ? object.length : literal.size(); }
};

// What to send instead of the stored 200: status, the fields to set in the stored head (each
// replaces any field of that name; Content-Length always among them), the exact body length,
// and the body as segments, so the sender streams the object from disk without buffering it.
struct RangeResponsePlan {
  int status = 206;
  std::vector<std::pair<std::string, std::string>> fields;
  uint64_t contentLength = 0;  // == the sum of segments[i].size()
  std::vector<BodySegment> segments;
};

// Plans the 206 for `ranges` as returned Satisfiable by parseRange() for the same `length`.
// One range: Content-Range, the stored Content-Type kept, one object segment. Several: a
// multipart/byteranges body (RFC 9110 §14.6, RFC 2046 §5.1.1) whose parts carry Content-Type
// (when `contentType` is not empty) and Content-Range, in the order of `ranges`:
//   "--B\r\n" headers "\r\n" data  ("\r\n--B\r\n" headers "\r\n" data)*  "\r\n--B--\r\n"
// `boundary` must be 1-70 bytes of [A-Za-z0-9'+_.-] (a token that needs no quoting) and should
// be random, so that it cannot occur in the object. On a caller error (no range, a range outside
// the object, a bad boundary or content type) the plan is the full 200: status 200, only
// Content-Length in fields, one segment with the whole object (none when it is empty).
RangeResponsePlan planRangeResponse(const RangeSet& ranges, uint64_t length,
                                    std::string_view contentType, std::string_view boundary);

// The Content-Range value of a 416: "bytes */<length>".
std::string contentRangeUnsatisfied(uint64_t length);

// A Content-Range field value from an origin's 206 or 416 (RFC 9110 §14.4), parsed whole.
struct ContentRange {
  bool unsatisfied = false;                // "bytes */len": no range, completeLength set
  ByteRange range;                         // "bytes first-last/..." as [first, last + 1)
  std::optional<uint64_t> completeLength;  // nullopt for "/*"
};

// Parses "bytes first-last/len", "bytes first-last/*" or "bytes */len" (unit case-insensitive,
// one SP after it). False, leaving `out` meaningless, on anything else and on the values §14.4
// calls invalid: last < first, or len <= last. Also false when last is UINT64_MAX, whose
// exclusive end does not fit.
bool parseContentRange(std::string_view value, ContentRange& out);

}  // namespace tollgate::inspect
