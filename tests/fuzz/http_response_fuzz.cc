// libFuzzer target for parseResponseHead, run for a GET, a HEAD and a CONNECT each time. Besides
// memory safety it traps when the contract the relay relies on breaks:
//   - Done: 0 < headLength <= min(size, maxHead), views inside the head, status 100..599, no
//     body for HEAD, 1xx, 204, 304 and a 2xx to CONNECT, keepAlive false when reading to close;
//   - the request method changes only the framing, never where the head ends;
//   - a prefix never contradicts the whole (NeedMore until headLength, then the same Done; the
//     same Error or NeedMore for an Error).
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
  ResponseHead head;
};

Outcome parse(std::string_view in, std::string_view method, const HttpLimits& limits) {
  Outcome o{ParseState::Error, HttpError::None, {}};
  o.state = parseResponseHead(in, method, limits, o.head, o.err);
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

// Where the head ends and what it says, leaving out what the request method decides.
bool sameHead(const ResponseHead& x, const ResponseHead& y) {
  if (x.status != y.status || !sameView(x.reason, y.reason) || x.versionMinor != y.versionMinor ||
      x.headLength != y.headLength || x.headers.size() != y.headers.size()) {
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

bool same(const Outcome& a, const Outcome& b) {
  if (a.state != b.state || a.err != b.err) return false;
  if (a.state != ParseState::Done) return true;
  return sameHead(a.head, b.head) && a.head.framing == b.head.framing &&
         a.head.contentLength == b.head.contentLength && a.head.keepAlive == b.head.keepAlive;
}

void checkDone(const Outcome& o, std::string_view method, std::string_view in,
               const HttpLimits& limits) {
  const ResponseHead& h = o.head;
  check(o.err == HttpError::None);
  check(h.headLength > 0 && h.headLength <= in.size() && h.headLength <= limits.maxHead);
  std::string_view head = in.substr(0, h.headLength);
  check(head.back() == '\n');
  check(inside(h.reason, head));
  check(h.headers.size() <= limits.maxHeaders);
  for (const HeaderField& f : h.headers) {
    check(validField(f) && inside(f.name, head) && inside(f.value, head));
  }
  check(h.status >= 100 && h.status <= 599);
  check(h.versionMinor == 0 || h.versionMinor == 1);
  bool noBody = method == "HEAD" || h.status < 200 || h.status == 204 || h.status == 304 ||
                (method == "CONNECT" && h.status < 300);
  check(noBody == (h.framing == BodyFraming::None));
  check(h.framing != BodyFraming::UntilClose || !h.keepAlive);
  check(h.framing == BodyFraming::ContentLength || h.contentLength == 0);
}

void checkPrefix(std::string_view in, size_t n, const Outcome& whole, const HttpLimits& limits) {
  if (n > in.size()) return;
  Outcome p = parse(in.substr(0, n), "GET", limits);
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
  Outcome get = parse(in, "GET", limits);
  for (std::string_view method : {"GET", "HEAD", "CONNECT"}) {
    Outcome o = method == "GET" ? get : parse(in, method, limits);
    check((o.state == ParseState::Error) == (o.err != HttpError::None));
    if (o.state == ParseState::Done) checkDone(o, method, in, limits);
    // A GET's body framing is the strictest: where it is accepted, every method is.
    if (get.state == ParseState::Done)
      check(o.state == ParseState::Done && sameHead(o.head, get.head));
    if (get.state == ParseState::NeedMore) check(o.state == ParseState::NeedMore);
  }
  if (get.state == ParseState::Done) {
    check(same(parse(in.substr(0, get.head.headLength), "GET", limits), get));
    checkPrefix(in, get.head.headLength - 1, get, limits);
  }
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 16777619u;
  if (size > 0) {
    checkPrefix(in, size - 1, get, limits);
    checkPrefix(in, size / 2, get, limits);
    checkPrefix(in, h % size, get, limits);
  }
  return 0;
}
