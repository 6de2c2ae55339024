// libFuzzer target for parseRequestHead. Besides memory safety (ASan, UBSan) it traps when the
// contract the proxy relies on breaks:
//   - Done: 0 < headLength <= min(size, maxHead), every view inside the head, at most maxHeaders
//     fields, no UntilClose framing (requests never read to close), the same result from the
//     head alone (nothing after headLength matters);
//   - Error names an error, NeedMore names none;
//   - a prefix never contradicts the whole: the proxy re-parses after every read, so a prefix of
//     a Done head is NeedMore until headLength and then the same Done, and a prefix of an Error
//     is NeedMore or the same Error;
//   - tighter limits never accept what the defaults reject.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/inspect/http_head.h"

using namespace tollgate::inspect;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

struct Outcome {
  ParseState state;
  HttpError err;
  RequestHead head;
};

Outcome parse(std::string_view in, const HttpLimits& limits) {
  Outcome o{ParseState::Error, HttpError::None, {}};
  o.state = parseRequestHead(in, limits, o.head, o.err);
  return o;
}

bool inside(std::string_view view, std::string_view buffer) {
  if (view.empty()) return true;
  return view.data() >= buffer.data() && view.data() + view.size() <= buffer.data() + buffer.size();
}

// Re-checks accepted fields byte by byte, independently of the parser's fast paths: names are
// tokens, values hold only VCHAR, obs-text, SP and HTAB, with no OWS left at either end.
bool validField(const HeaderField& f) {
  if (f.name.empty()) return false;
  for (char c : f.name) {
    auto u = static_cast<unsigned char>(c);
    bool alnum = (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) {
      return false;
    }
  }
  for (char c : f.value) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\t') || u == 0x7f) return false;
  }
  auto ows = [](char c) { return c == ' ' || c == '\t'; };
  return f.value.empty() || (!ows(f.value.front()) && !ows(f.value.back()));
}

bool sameView(std::string_view a, std::string_view b) { return a.data() == b.data() && a == b; }

// Both parses read the same buffer, so views must be the very same bytes.
bool same(const Outcome& a, const Outcome& b) {
  if (a.state != b.state || a.err != b.err) return false;
  if (a.state != ParseState::Done) return true;
  const RequestHead& x = a.head;
  const RequestHead& y = b.head;
  if (!sameView(x.method, y.method) || !sameView(x.target, y.target) || !sameView(x.host, y.host) ||
      x.versionMinor != y.versionMinor || x.headLength != y.headLength || x.framing != y.framing ||
      x.contentLength != y.contentLength || x.keepAlive != y.keepAlive ||
      x.expectContinue != y.expectContinue || x.upgrade != y.upgrade ||
      x.headers.size() != y.headers.size()) {
    return false;
  }
  for (size_t i = 0; i < x.headers.size(); ++i) {
    if (!sameView(x.headers[i].name, y.headers[i].name) ||
        !sameView(x.headers[i].value, y.headers[i].value)) {
      return false;
    }
  }
  return true;
}

void checkDone(const Outcome& o, std::string_view in, const HttpLimits& limits) {
  const RequestHead& h = o.head;
  check(o.err == HttpError::None);
  check(h.headLength > 0 && h.headLength <= in.size() && h.headLength <= limits.maxHead);
  std::string_view head = in.substr(0, h.headLength);
  check(!h.method.empty() && inside(h.method, head));
  check(!h.target.empty() && inside(h.target, head));
  check(inside(h.host, head));
  check(h.versionMinor == 0 || h.versionMinor == 1);
  check(h.versionMinor == 0 || !h.host.empty());
  check(h.headers.size() <= limits.maxHeaders);
  for (const HeaderField& f : h.headers) {
    check(validField(f) && inside(f.name, head) && inside(f.value, head));
  }
  check(h.framing != BodyFraming::UntilClose);
  check(h.framing == BodyFraming::ContentLength || h.contentLength == 0);
  check(head.size() >= 2 && head.substr(head.size() - 2) == "\r\n");
}

void checkPrefix(std::string_view in, size_t n, const Outcome& whole, const HttpLimits& limits) {
  if (n > in.size()) return;
  Outcome p = parse(in.substr(0, n), limits);
  switch (whole.state) {
    case ParseState::Done:
      if (n < whole.head.headLength)
        check(p.state == ParseState::NeedMore);
      else
        check(same(p, whole));
      break;
    case ParseState::Error:
      check(p.state == ParseState::NeedMore || same(p, whole));
      break;
    case ParseState::NeedMore:
      check(p.state == ParseState::NeedMore);
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const HttpLimits limits;
  Outcome whole = parse(in, limits);
  check((whole.state == ParseState::Error) == (whole.err != HttpError::None));
  if (whole.state == ParseState::NeedMore) check(size <= limits.maxHead);
  if (whole.state == ParseState::Done) {
    checkDone(whole, in, limits);
    check(same(parse(in.substr(0, whole.head.headLength), limits), whole));
    checkPrefix(in, whole.head.headLength - 1, whole, limits);
  }

  // A handful of cut points rather than all of them keeps the target fast; the corpus and the
  // mutator vary where they fall.
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 16777619u;
  if (size > 0) {
    checkPrefix(in, size - 1, whole, limits);
    checkPrefix(in, size / 2, whole, limits);
    checkPrefix(in, h % size, whole, limits);
    checkPrefix(in, (h >> 16) % size, whole, limits);
  }

  HttpLimits tight;
  tight.maxHead = 256;
  tight.maxHeaders = 4;
  Outcome small = parse(in, tight);
  if (small.state == ParseState::Done) check(same(small, whole));
  if (whole.state == ParseState::Error) check(small.state == ParseState::Error);
  return 0;
}
