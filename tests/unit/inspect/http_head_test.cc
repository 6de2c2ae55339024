// Spec of the HTTP/1.x head parsers: what is accepted, and every request-smuggling shape that is
// refused, each with the specific HttpError the proxy counts and logs.
#include "daemon/inspect/http_head.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <ostream>
#include <set>
#include <string>

namespace tollgate::inspect {
// Readable failures; each test file has its own, as in client_hello_test.cc.
static void PrintTo(ParseState s, std::ostream* os) {
  *os << (s == ParseState::Done ? "Done" : s == ParseState::NeedMore ? "NeedMore" : "Error");
}
static void PrintTo(HttpError e, std::ostream* os) { *os << toString(e); }
static void PrintTo(BodyFraming f, std::ostream* os) {
  const char* names[] = {"None", "ContentLength", "Chunked", "UntilClose"};
  *os << names[static_cast<int>(f)];
}
}  // namespace tollgate::inspect

namespace tollgate::inspect {
namespace {

using namespace std::string_literals;

// Captured from curl 7.88.1 (Debian 12) with `nc -l`.
constexpr std::string_view kCurlGet =
    "GET / HTTP/1.1\r\nHost: 127.0.0.1:38124\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n";
constexpr std::string_view kCurlPost =
    "POST /path?q=1 HTTP/1.1\r\nHost: 127.0.0.1:38123\r\nUser-Agent: curl/7.88.1\r\n"
    "Accept: */*\r\nContent-Length: 3\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    "\r\na=1";
// What Chromium sends for a top-level navigation.
constexpr std::string_view kBrowserGet =
    "GET /news/index.html?lang=en HTTP/1.1\r\n"
    "Host: www.example.org\r\n"
    "Connection: keep-alive\r\n"
    "Upgrade-Insecure-Requests: 1\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7\r\n"
    "Accept-Encoding: gzip, deflate\r\n"
    "Accept-Language: en-GB,en-US;q=0.9,en;q=0.8\r\n"
    "Cookie: session=3f2a9c; theme=dark\r\n"
    "\r\n";
constexpr std::string_view kNginxResponse =
    "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Sat, 22 Nov 2025 02:44:00 GMT\r\n"
    "Content-Type: text/html\r\nContent-Length: 615\r\nLast-Modified: Tue, 11 Apr 2023 01:45:34 GMT"
    "\r\nConnection: keep-alive\r\nETag: \"6434bbbe-267\"\r\nAccept-Ranges: bytes\r\n\r\n";

struct Req {
  ParseState state;
  HttpError err;
  RequestHead head;
};
struct Resp {
  ParseState state;
  HttpError err;
  ResponseHead head;
};

Req parseReq(std::string_view in, HttpLimits limits = {}) {
  Req r{ParseState::Error, HttpError::None, {}};
  r.state = parseRequestHead(in, limits, r.head, r.err);
  return r;
}

Resp parseResp(std::string_view in, std::string_view method = "GET", HttpLimits limits = {}) {
  Resp r{ParseState::Error, HttpError::None, {}};
  r.state = parseResponseHead(in, method, limits, r.head, r.err);
  return r;
}

// A valid HTTP/1.1 request head: `line`, a Host, then `fields` (each ending in CRLF).
std::string req(std::string_view fields, std::string_view line = "GET / HTTP/1.1") {
  return std::string(line) + "\r\nHost: a.example\r\n" + std::string(fields) + "\r\n";
}

std::string resp(std::string_view fields, std::string_view line = "HTTP/1.1 200 OK") {
  return std::string(line) + "\r\n" + std::string(fields) + "\r\n";
}

HttpError requestError(std::string_view in, HttpLimits limits = {}) {
  Req r = parseReq(in, limits);
  EXPECT_EQ(r.state, ParseState::Error) << in;
  return r.err;
}

HttpError responseError(std::string_view in) {
  Resp r = parseResp(in);
  EXPECT_EQ(r.state, ParseState::Error) << in;
  return r.err;
}

RequestHead doneRequest(std::string_view in) {
  Req r = parseReq(in);
  EXPECT_EQ(r.state, ParseState::Done) << in << " error: " << toString(r.err);
  return r.head;
}

ResponseHead doneResponse(std::string_view in, std::string_view method = "GET") {
  Resp r = parseResp(in, method);
  EXPECT_EQ(r.state, ParseState::Done) << in << " error: " << toString(r.err);
  return r.head;
}

void expectSameFields(const std::vector<HeaderField>& a, const std::vector<HeaderField>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].value, b[i].value);
  }
}

void expectSameRequest(const RequestHead& a, const RequestHead& b) {
  EXPECT_EQ(a.method, b.method);
  EXPECT_EQ(a.target, b.target);
  EXPECT_EQ(a.host, b.host);
  EXPECT_EQ(a.versionMinor, b.versionMinor);
  EXPECT_EQ(a.headLength, b.headLength);
  EXPECT_EQ(a.framing, b.framing);
  EXPECT_EQ(a.contentLength, b.contentLength);
  EXPECT_EQ(a.keepAlive, b.keepAlive);
  EXPECT_EQ(a.expectContinue, b.expectContinue);
  EXPECT_EQ(a.upgrade, b.upgrade);
  expectSameFields(a.headers, b.headers);
}

// Each prefix is parsed from its own exact-size heap copy, so ASan sees any read past its end.
template <typename Parse>
void forEachPrefix(std::string_view full, Parse parse) {
  for (size_t n = 0; n <= full.size(); ++n) {
    std::unique_ptr<char[]> copy(new char[n == 0 ? 1 : n]);
    std::copy(full.begin(), full.begin() + static_cast<long>(n), copy.get());
    parse(n, std::string_view(copy.get(), n));
  }
}

void expectRequestPrefixesNeedMoreThenDone(std::string_view full) {
  RequestHead whole = doneRequest(full);
  forEachPrefix(full, [&](size_t n, std::string_view prefix) {
    Req r = parseReq(prefix);
    if (n < whole.headLength) {
      EXPECT_EQ(r.state, ParseState::NeedMore) << "prefix " << n << ": " << toString(r.err);
    } else {
      ASSERT_EQ(r.state, ParseState::Done) << "prefix " << n;
      expectSameRequest(r.head, whole);
    }
  });
}

// --- Real clients ------------------------------------------------------------------------------

TEST(HttpRequestHead, ParsesRealCurlGet) {
  RequestHead h = doneRequest(kCurlGet);
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.target, "/");
  EXPECT_EQ(h.host, "127.0.0.1:38124");
  EXPECT_EQ(h.versionMinor, 1);
  EXPECT_EQ(h.headLength, kCurlGet.size());
  EXPECT_EQ(h.framing, BodyFraming::None);
  EXPECT_TRUE(h.keepAlive);
  EXPECT_FALSE(h.expectContinue);
  EXPECT_FALSE(h.upgrade);
  ASSERT_EQ(h.headers.size(), 3u);
  EXPECT_EQ(h.headers[1].name, "User-Agent");
  EXPECT_EQ(h.headers[1].value, "curl/7.88.1");
}

TEST(HttpRequestHead, ParsesRealCurlPostWithContentLength) {
  RequestHead h = doneRequest(kCurlPost);
  EXPECT_EQ(h.method, "POST");
  EXPECT_EQ(h.target, "/path?q=1");
  EXPECT_EQ(h.framing, BodyFraming::ContentLength);
  EXPECT_EQ(h.contentLength, 3u);
  EXPECT_EQ(kCurlPost.substr(h.headLength), "a=1");
}

TEST(HttpRequestHead, ParsesBrowserLikeHead) {
  RequestHead h = doneRequest(kBrowserGet);
  EXPECT_EQ(h.host, "www.example.org");
  EXPECT_EQ(h.headers.size(), 8u);
  EXPECT_TRUE(h.keepAlive);
  EXPECT_EQ(findHeader(h.headers, "accept-encoding"), "gzip, deflate");
  EXPECT_EQ(findHeader(h.headers, "COOKIE"), "session=3f2a9c; theme=dark");
}

TEST(HttpRequestHead, EveryPrefixOfCurlPostIsNeedMoreUntilTheHeadEnds) {
  expectRequestPrefixesNeedMoreThenDone(kCurlPost);
}

TEST(HttpRequestHead, EveryPrefixOfBrowserHeadIsNeedMoreUntilTheHeadEnds) {
  expectRequestPrefixesNeedMoreThenDone(kBrowserGet);
}

TEST(HttpRequestHead, EveryPrefixOfAnAbsoluteFormChunkedRequestIsNeedMoreUntilTheHeadEnds) {
  expectRequestPrefixesNeedMoreThenDone(
      "\r\nPOST http://a.example:8080/up HTTP/1.1\r\nHost: a.example:8080\r\n"
      "Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
}

TEST(HttpRequestHead, EmptyInputNeedsMore) { EXPECT_EQ(parseReq("").state, ParseState::NeedMore); }

TEST(HttpRequestHead, PipelinedRequestsHeadLengthPointsToTheNext) {
  std::string two = std::string(kCurlGet) + "GET /second HTTP/1.1\r\nHost: b.example\r\n\r\n";
  RequestHead first = doneRequest(two);
  EXPECT_EQ(first.headLength, kCurlGet.size());
  RequestHead second = doneRequest(std::string_view(two).substr(first.headLength));
  EXPECT_EQ(second.target, "/second");
  EXPECT_EQ(second.host, "b.example");
}

TEST(HttpRequestHead, SkipsLeadingEmptyLinesAndCountsThemInHeadLength) {
  std::string in = "\r\n\r\n" + std::string(kCurlGet);
  RequestHead h = doneRequest(in);
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.headLength, in.size());
}

TEST(HttpRequestHead, ReusedHeadDoesNotKeepEarlierFields) {
  RequestHead h;
  HttpError err;
  ASSERT_EQ(parseRequestHead(kBrowserGet, {}, h, err), ParseState::Done);
  ASSERT_EQ(parseRequestHead(kCurlGet, {}, h, err), ParseState::Done);
  EXPECT_EQ(h.headers.size(), 3u);
  EXPECT_EQ(h.host, "127.0.0.1:38124");
}

// --- Request line ------------------------------------------------------------------------------

TEST(HttpRequestHead, RejectsDoubleSpaceInRequestLine) {
  EXPECT_EQ(requestError(req("", "GET  / HTTP/1.1")), HttpError::BadRequestLine);
  EXPECT_EQ(requestError(req("", "GET /  HTTP/1.1")), HttpError::BadRequestLine);
}

TEST(HttpRequestHead, RejectsTabAsRequestLineSeparator) {
  EXPECT_EQ(requestError(req("", "GET\t/ HTTP/1.1")), HttpError::BadRequestLine);
}

TEST(HttpRequestHead, RejectsSpaceInsideTarget) {
  EXPECT_EQ(requestError(req("", "GET /a b HTTP/1.1")), HttpError::BadRequestLine);
}

TEST(HttpRequestHead, RejectsControlCharacterInTarget) {
  EXPECT_EQ(requestError(req("", std::string("GET /a\x01 HTTP/1.1"))), HttpError::BadRequestLine);
  EXPECT_EQ(requestError(req("", std::string("GET /a\x7f HTTP/1.1"))), HttpError::BadRequestLine);
}

TEST(HttpRequestHead, RejectsNonTokenMethod) {
  EXPECT_EQ(requestError(req("", "G(T / HTTP/1.1")), HttpError::BadRequestLine);
  EXPECT_EQ(requestError(req("", " GET / HTTP/1.1")), HttpError::BadRequestLine);
}

TEST(HttpRequestHead, RejectsRequestLineWithoutVersion) {
  EXPECT_EQ(requestError("GET /\r\n\r\n"), HttpError::BadRequestLine);
}

TEST(HttpRequestHead, RejectsMalformedVersion) {
  EXPECT_EQ(requestError(req("", "GET / http/1.1")), HttpError::BadRequestLine);
  EXPECT_EQ(requestError(req("", "GET / HTTP/1.1 ")), HttpError::BadRequestLine);
  EXPECT_EQ(requestError(req("", "GET / HTTP/11")), HttpError::BadRequestLine);
}

TEST(HttpRequestHead, RejectsVersionOtherThan10And11) {
  EXPECT_EQ(requestError(req("", "GET / HTTP/1.2")), HttpError::BadVersion);
  EXPECT_EQ(requestError(req("", "GET / HTTP/2.0")), HttpError::BadVersion);
  EXPECT_EQ(requestError(req("", "GET / HTTP/0.9")), HttpError::BadVersion);
}

TEST(HttpRequestHead, RejectsBadRequestLineBeforeTheHeadIsComplete) {
  EXPECT_EQ(requestError("SSH-2.0-OpenSSH_9.2\r\n"), HttpError::BadRequestLine);
}

TEST(HttpRequestHead, RejectsNonHttpBytesBeforeAnyLineEnd) {
  // The first bytes of a TLS ClientHello: refused at once, not after maxHead bytes.
  EXPECT_EQ(requestError("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
            HttpError::BadRequestLine);
  EXPECT_EQ(requestError("GET /\x01"), HttpError::BadRequestLine);
}

TEST(HttpRequestHead, RejectsUnsupportedVersionBeforeTheLineEnds) {
  EXPECT_EQ(requestError("PRI * HTTP/2.0"), HttpError::BadVersion);
}

TEST(HttpRequestHead, PartialRequestLineNeedsMore) {
  for (const char* partial : {"G", "GET", "GET ", "GET /x", "GET /x ", "GET /x HTTP/1",
                              "GET / HTTP/1.1", "GET / HTTP/1.1\r", "\r", "\r\n"}) {
    EXPECT_EQ(parseReq(partial).state, ParseState::NeedMore) << partial;
  }
}

// --- Target forms and Host ---------------------------------------------------------------------

TEST(HttpRequestHead, AbsoluteFormTakesHostFromTheTarget) {
  RequestHead h = doneRequest("GET http://A.example:8080/p?q HTTP/1.1\r\nHost: a.EXAMPLE\r\n\r\n");
  EXPECT_EQ(h.target, "http://A.example:8080/p?q");
  EXPECT_EQ(h.host, "A.example:8080");
}

TEST(HttpRequestHead, AbsoluteFormWithoutPathIsAccepted) {
  EXPECT_EQ(doneRequest("GET http://a.example HTTP/1.1\r\nHost: a.example\r\n\r\n").host,
            "a.example");
}

TEST(HttpRequestHead, RejectsAbsoluteFormNamingAnotherHostThanHostField) {
  EXPECT_EQ(requestError("GET http://allowed.example/ HTTP/1.1\r\nHost: blocked.example\r\n\r\n"),
            HttpError::BadHost);
}

TEST(HttpRequestHead, RejectsAbsoluteFormWithUserinfo) {
  EXPECT_EQ(requestError(req("", "GET http://allowed.example@blocked.example/ HTTP/1.1")),
            HttpError::BadRequestLine);
}

TEST(HttpRequestHead, RejectsTargetInNoKnownForm) {
  EXPECT_EQ(requestError(req("", "GET a.example/ HTTP/1.1")), HttpError::BadRequestLine);
  EXPECT_EQ(requestError(req("", "GET * HTTP/1.1")), HttpError::BadRequestLine);
  EXPECT_EQ(requestError(req("", "GET http:/x HTTP/1.1")), HttpError::BadRequestLine);
}

TEST(HttpRequestHead, AcceptsAsteriskFormForOptions) {
  EXPECT_EQ(doneRequest(req("", "OPTIONS * HTTP/1.1")).target, "*");
}

TEST(HttpRequestHead, ConnectTakesHostFromAuthorityForm) {
  RequestHead h = doneRequest("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n");
  EXPECT_EQ(h.host, "a.example:443");
  EXPECT_EQ(requestError(req("", "CONNECT / HTTP/1.1")), HttpError::BadRequestLine);
}

TEST(HttpRequestHead, RejectsHttp11RequestWithoutHost) {
  EXPECT_EQ(requestError("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n"), HttpError::MissingHost);
}

TEST(HttpRequestHead, RejectsSeveralHostFields) {
  EXPECT_EQ(requestError(req("Host: b.example\r\n")), HttpError::MissingHost);
  EXPECT_EQ(requestError("GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n"), HttpError::MissingHost);
}

TEST(HttpRequestHead, AcceptsHttp10RequestWithoutHost) {
  RequestHead h = doneRequest("GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(h.versionMinor, 0);
  EXPECT_TRUE(h.host.empty());
}

TEST(HttpRequestHead, RejectsHostThatIsNotAnAuthority) {
  EXPECT_EQ(requestError("GET / HTTP/1.1\r\nHost:\r\n\r\n"), HttpError::BadHost);
  EXPECT_EQ(requestError("GET / HTTP/1.1\r\nHost: a.example,b.example\r\n\r\n"),
            HttpError::BadHost);
  EXPECT_EQ(requestError("GET / HTTP/1.1\r\nHost: u@b.example\r\n\r\n"), HttpError::BadHost);
  EXPECT_EQ(requestError("GET / HTTP/1.1\r\nHost: a.example/x\r\n\r\n"), HttpError::BadHost);
  for (const char* host : {":80", "a.example:8x", "a:b:c", "[::1", "a]b", "[]", "[::1]x"}) {
    EXPECT_EQ(requestError(std::string("GET / HTTP/1.1\r\nHost: ") + host + "\r\n\r\n"),
              HttpError::BadHost)
        << host;
  }
}

TEST(HttpRequestHead, AcceptsIpv6LiteralHost) {
  EXPECT_EQ(doneRequest("GET / HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n\r\n").host,
            "[2001:db8::1]:8080");
}

// --- Field lines -------------------------------------------------------------------------------

TEST(HttpRequestHead, TrimsOptionalWhitespaceAroundValues) {
  std::string in = req("X-A: \t v a l \t \r\nX-Empty:\r\n");
  RequestHead h = doneRequest(in);
  EXPECT_EQ(findHeader(h.headers, "x-a"), "v a l");
  EXPECT_EQ(findHeader(h.headers, "x-empty"), "");
}

TEST(HttpRequestHead, AcceptsObsTextInValues) {
  EXPECT_EQ(findHeader(doneRequest(req("X-Name: caf\xc3\xa9\r\n")).headers, "x-name"),
            "caf\xc3\xa9");
}

TEST(HttpRequestHead, RejectsWhitespaceBeforeColon) {
  EXPECT_EQ(requestError(req("Transfer-Encoding : chunked\r\n")), HttpError::BadHeader);
  EXPECT_EQ(requestError(req("Content-Length\t: 5\r\n")), HttpError::BadHeader);
}

TEST(HttpRequestHead, RejectsEmptyFieldName) {
  EXPECT_EQ(requestError(req(": value\r\n")), HttpError::BadHeader);
}

TEST(HttpRequestHead, RejectsFieldLineWithoutColon) {
  EXPECT_EQ(requestError(req("NoColonHere\r\n")), HttpError::BadHeader);
}

TEST(HttpRequestHead, RejectsNonTokenFieldName) {
  EXPECT_EQ(requestError(req("X(A): 1\r\n")), HttpError::BadHeader);
  EXPECT_EQ(requestError(req("X\xc3\xa9: 1\r\n")), HttpError::BadHeader);
}

TEST(HttpRequestHead, RejectsControlCharactersInValues) {
  EXPECT_EQ(requestError(req("X-A: a\0b\r\n"s)), HttpError::BadHeader);
  EXPECT_EQ(requestError(req("Transfer-Encoding: \vchunked\r\n")), HttpError::BadHeader);
  EXPECT_EQ(requestError(req("X-A: a\x7f\r\n")), HttpError::BadHeader);
}

TEST(HttpRequestHead, ValidatesEveryByteOfALongValue) {
  // Values are scanned 8 bytes at a time: a bad byte must be caught at any offset.
  for (size_t at = 0; at < 40; ++at) {
    for (char bad : {'\x00', '\x01', '\x1f', '\x7f'}) {
      std::string value(40, 'v');
      value[at] = bad;
      EXPECT_EQ(requestError(req("X-Long: " + value + "\r\n")), HttpError::BadHeader) << at;
    }
    for (char good : {'\t', ' ', '~', '\x80', '\xff'}) {
      std::string value(40, 'v');
      value[at] = good;
      EXPECT_EQ(parseReq(req("X-Long: " + value + "\r\n")).state, ParseState::Done) << at;
    }
  }
}

TEST(HttpRequestHead, RejectsObsFold) {
  EXPECT_EQ(requestError(req("X-A: one\r\n two\r\n")), HttpError::ObsFold);
  EXPECT_EQ(requestError(req("X-A: one\r\n\ttwo\r\n")), HttpError::ObsFold);
}

TEST(HttpRequestHead, RejectsWhitespaceBetweenRequestLineAndFirstField) {
  EXPECT_EQ(requestError("GET / HTTP/1.1\r\n Host: a.example\r\n\r\n"), HttpError::ObsFold);
}

TEST(HttpRequestHead, RejectsBareCrInFieldValue) {
  EXPECT_EQ(requestError(req("X-A: a\rTransfer-Encoding: chunked\r\n")), HttpError::BareCr);
}

TEST(HttpRequestHead, RejectsBareCrInRequestLine) {
  EXPECT_EQ(requestError("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n"), HttpError::BareCr);
}

TEST(HttpRequestHead, RejectsBareCrBeforeLineEnd) {
  EXPECT_EQ(requestError(req("X-A: a\r\r\n")), HttpError::BareCr);
}

TEST(HttpRequestHead, RejectsBareLfEndingAFieldLine) {
  EXPECT_EQ(requestError("GET / HTTP/1.1\r\nHost: a\nX-A: b\r\n\r\n"), HttpError::BareLf);
}

TEST(HttpRequestHead, RejectsBareLfEndingTheRequestLine) {
  EXPECT_EQ(requestError("GET / HTTP/1.1\nHost: a\r\n\r\n"), HttpError::BareLf);
}

TEST(HttpRequestHead, RejectsBareLfEndingTheHead) {
  EXPECT_EQ(requestError("GET / HTTP/1.1\r\nHost: a\r\n\n"), HttpError::BareLf);
}

TEST(HttpRequestHead, RejectsBareLfAsLeadingEmptyLine) {
  EXPECT_EQ(requestError(std::string("\n") + std::string(kCurlGet)), HttpError::BareLf);
}

// --- Body framing ------------------------------------------------------------------------------

TEST(HttpRequestHead, RequestWithoutContentLengthOrTransferEncodingHasNoBody) {
  EXPECT_EQ(doneRequest(req("")).framing, BodyFraming::None);
}

TEST(HttpRequestHead, AcceptsZeroContentLength) {
  std::string in = req("Content-Length: 0\r\n", "POST / HTTP/1.1");
  RequestHead h = doneRequest(in);
  EXPECT_EQ(h.framing, BodyFraming::ContentLength);
  EXPECT_EQ(h.contentLength, 0u);
}

TEST(HttpRequestHead, AcceptsLargestContentLength) {
  EXPECT_EQ(doneRequest(req("Content-Length: 9223372036854775807\r\n")).contentLength,
            9223372036854775807u);
}

TEST(HttpRequestHead, RejectsContentLengthWithTransferEncoding) {
  EXPECT_EQ(requestError(req("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n")),
            HttpError::ContentLengthAndTransferEncoding);
  EXPECT_EQ(requestError(req("transfer-encoding: chunked\r\ncontent-length: 0\r\n")),
            HttpError::ContentLengthAndTransferEncoding);
}

TEST(HttpRequestHead, RejectsConflictingContentLengthFields) {
  EXPECT_EQ(requestError(req("Content-Length: 5\r\nContent-Length: 6\r\n")),
            HttpError::ConflictingContentLength);
}

TEST(HttpRequestHead, RejectsConflictingContentLengthList) {
  EXPECT_EQ(requestError(req("Content-Length: 5, 6\r\n")), HttpError::ConflictingContentLength);
}

TEST(HttpRequestHead, AcceptsIdenticalContentLengthRepeatedAsFieldsOrList) {
  EXPECT_EQ(doneRequest(req("Content-Length: 5\r\nContent-Length: 5\r\n")).contentLength, 5u);
  EXPECT_EQ(doneRequest(req("Content-Length: 5, 5\r\n")).contentLength, 5u);
}

TEST(HttpRequestHead, RejectsNonDigitContentLength) {
  for (const char* v : {"", "+5", "-1", "5a", "0x5", "5 5", "5.0", "five"}) {
    EXPECT_EQ(requestError(req(std::string("Content-Length: ") + v + "\r\n")),
              HttpError::BadContentLength)
        << v;
  }
}

TEST(HttpRequestHead, RejectsEmptyElementInContentLengthList) {
  EXPECT_EQ(requestError(req("Content-Length: 5,\r\n")), HttpError::BadContentLength);
  EXPECT_EQ(requestError(req("Content-Length: ,5\r\n")), HttpError::BadContentLength);
}

TEST(HttpRequestHead, RejectsOverflowingContentLength) {
  EXPECT_EQ(requestError(req("Content-Length: 9223372036854775808\r\n")),
            HttpError::BadContentLength);
  EXPECT_EQ(requestError(req("Content-Length: 18446744073709551621\r\n")),
            HttpError::BadContentLength);
  EXPECT_EQ(requestError(req("Content-Length: 99999999999999999999999999\r\n")),
            HttpError::BadContentLength);
}

TEST(HttpRequestHead, AcceptsChunkedRequestBody) {
  std::string in = req("Transfer-Encoding: Chunked\r\n", "POST / HTTP/1.1");
  RequestHead h = doneRequest(in);
  EXPECT_EQ(h.framing, BodyFraming::Chunked);
}

TEST(HttpRequestHead, RejectsTransferEncodingOtherThanChunked) {
  EXPECT_EQ(requestError(req("Transfer-Encoding: gzip\r\n")), HttpError::BadTransferEncoding);
  EXPECT_EQ(requestError(req("Transfer-Encoding: xchunked\r\n")), HttpError::BadTransferEncoding);
  EXPECT_EQ(requestError(req("Transfer-Encoding: chunked;x=1\r\n")),
            HttpError::BadTransferEncoding);
}

TEST(HttpRequestHead, RejectsChunkedThatIsNotTheFinalCoding) {
  EXPECT_EQ(requestError(req("Transfer-Encoding: chunked, gzip\r\n")),
            HttpError::BadTransferEncoding);
}

TEST(HttpRequestHead, RejectsAnotherCodingBeforeChunkedInRequests) {
  EXPECT_EQ(requestError(req("Transfer-Encoding: gzip, chunked\r\n")),
            HttpError::BadTransferEncoding);
  EXPECT_EQ(requestError(req("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n")),
            HttpError::BadTransferEncoding);
}

TEST(HttpRequestHead, RejectsChunkedAppliedTwice) {
  EXPECT_EQ(requestError(req("Transfer-Encoding: chunked, chunked\r\n")),
            HttpError::BadTransferEncoding);
  EXPECT_EQ(requestError(req("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")),
            HttpError::BadTransferEncoding);
}

TEST(HttpRequestHead, RejectsEmptyTransferEncoding) {
  EXPECT_EQ(requestError(req("Transfer-Encoding:\r\n")), HttpError::BadTransferEncoding);
  EXPECT_EQ(requestError(req("Transfer-Encoding: chunked,\r\n")), HttpError::BadTransferEncoding);
}

TEST(HttpRequestHead, RejectsTransferEncodingInHttp10Request) {
  EXPECT_EQ(requestError("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
            HttpError::BadTransferEncoding);
}

// --- Limits ------------------------------------------------------------------------------------

TEST(HttpRequestHead, HeadTooLargeAsSoonAsInputExceedsMaxHeadWithoutAnEnd) {
  HttpLimits limits;
  limits.maxHead = 64;
  std::string in = "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: " + std::string(64, 'p');
  EXPECT_EQ(parseReq(in.substr(0, 64), limits).state, ParseState::NeedMore);
  EXPECT_EQ(requestError(in.substr(0, 65), limits), HttpError::HeadTooLarge);
}

TEST(HttpRequestHead, HeadEndingExactlyAtMaxHeadIsAccepted) {
  HttpLimits limits;
  limits.maxHead = kCurlGet.size();
  EXPECT_EQ(parseReq(std::string(kCurlGet) + "next", limits).state, ParseState::Done);
  limits.maxHead = kCurlGet.size() - 1;
  EXPECT_EQ(requestError(kCurlGet, limits), HttpError::HeadTooLarge);
}

TEST(HttpRequestHead, AcceptsExactlyMaxHeadersFields) {
  HttpLimits limits;
  limits.maxHeaders = 3;
  EXPECT_EQ(parseReq(kCurlGet, limits).state, ParseState::Done);
}

TEST(HttpRequestHead, RejectsMoreThanMaxHeadersFieldsBeforeTheHeadEnds) {
  HttpLimits limits;
  limits.maxHeaders = 2;
  EXPECT_EQ(requestError(kCurlGet.substr(0, kCurlGet.size() - 2), limits),
            HttpError::TooManyHeaders);
}

TEST(HttpRequestHead, EveryPrefixOfABadHeadIsNeedMoreOrTheSameError) {
  for (const std::string& bad :
       {req("X-A: 1\r\n 2\r\nX-B: 3\r\n"), req("", "G(T /a\rb HTTP/1.1"),
        req("", "GET /a\rb HTTP/1.1"), req("", "GET / HTTP/1.1\rX"), req("", "GET / HTTP/3.0 x"),
        std::string("GET / HTTP/1.1\nHost: a\r\n\r\n"), req("Content-Length: 1, 2\r\n"),
        std::string("\r\n\rGET / HTTP/1.1\r\n\r\n")}) {
    HttpError whole = requestError(bad);
    forEachPrefix(bad, [&](size_t n, std::string_view prefix) {
      Req r = parseReq(prefix);
      bool sameError = r.state == ParseState::Error && r.err == whole;
      EXPECT_TRUE(r.state == ParseState::NeedMore || sameError) << bad << " prefix " << n;
    });
  }
}

// --- Connection state --------------------------------------------------------------------------

TEST(HttpRequestHead, Http11KeepsAliveUnlessConnectionClose) {
  EXPECT_TRUE(doneRequest(req("")).keepAlive);
  EXPECT_FALSE(doneRequest(req("Connection: close\r\n")).keepAlive);
  EXPECT_FALSE(doneRequest(req("Connection: TE, Close\r\n")).keepAlive);
  EXPECT_FALSE(doneRequest(req("Connection: keep-alive\r\nConnection: close\r\n")).keepAlive);
}

TEST(HttpRequestHead, Http10ClosesUnlessConnectionKeepAlive) {
  EXPECT_FALSE(doneRequest("GET / HTTP/1.0\r\n\r\n").keepAlive);
  EXPECT_TRUE(doneRequest("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keepAlive);
}

TEST(HttpRequestHead, SetsExpectContinue) {
  EXPECT_TRUE(doneRequest(req("Expect: 100-Continue\r\n", "PUT /f HTTP/1.1")).expectContinue);
  EXPECT_FALSE(doneRequest(req("Expect: something-else\r\n")).expectContinue);
}

TEST(HttpRequestHead, IgnoresExpectContinueInHttp10) {
  EXPECT_FALSE(doneRequest("PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n").expectContinue);
}

TEST(HttpRequestHead, SetsUpgradeWithConnectionTokenAndUpgradeField) {
  EXPECT_TRUE(
      doneRequest(req("Connection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n")).upgrade);
}

TEST(HttpRequestHead, NoUpgradeWithoutBothConnectionTokenAndUpgradeField) {
  EXPECT_FALSE(doneRequest(req("Upgrade: websocket\r\n")).upgrade);
  EXPECT_FALSE(doneRequest(req("Connection: upgrade\r\n")).upgrade);
  EXPECT_FALSE(
      doneRequest("GET / HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n").upgrade);
}

// --- Responses ---------------------------------------------------------------------------------

TEST(HttpResponseHead, ParsesNginxResponse) {
  ResponseHead h = doneResponse(kNginxResponse);
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.reason, "OK");
  EXPECT_EQ(h.versionMinor, 1);
  EXPECT_EQ(h.headLength, kNginxResponse.size());
  EXPECT_EQ(h.framing, BodyFraming::ContentLength);
  EXPECT_EQ(h.contentLength, 615u);
  EXPECT_TRUE(h.keepAlive);
  EXPECT_EQ(findHeader(h.headers, "etag"), "\"6434bbbe-267\"");
}

TEST(HttpResponseHead, EveryPrefixIsNeedMoreUntilTheHeadEnds) {
  std::string full = std::string(kNginxResponse) + "<html>";
  ResponseHead whole = doneResponse(full);
  forEachPrefix(full, [&](size_t n, std::string_view prefix) {
    Resp r = parseResp(prefix);
    if (n < whole.headLength) {
      EXPECT_EQ(r.state, ParseState::NeedMore) << n;
      return;
    }
    ASSERT_EQ(r.state, ParseState::Done) << n;
    EXPECT_EQ(r.head.status, whole.status);
    EXPECT_EQ(r.head.headLength, whole.headLength);
    EXPECT_EQ(r.head.contentLength, whole.contentLength);
    expectSameFields(r.head.headers, whole.headers);
  });
}

struct FramingCase {
  const char* name;
  std::string_view method;
  std::string head;
  BodyFraming framing;
  bool keepAlive;
};

TEST(HttpResponseHead, FramingFollowsRfc9112Section63) {
  const FramingCase cases[] = {
      {"HEAD", "HEAD", resp("Content-Length: 10\r\n"), BodyFraming::None, true},
      {"100", "GET", resp("", "HTTP/1.1 100 Continue"), BodyFraming::None, true},
      {"101", "GET", resp("Connection: upgrade\r\nUpgrade: websocket\r\n", "HTTP/1.1 101 x"),
       BodyFraming::None, true},
      {"103", "GET", resp("Link: </s.css>\r\n", "HTTP/1.1 103 Early Hints"), BodyFraming::None,
       true},
      {"204", "GET", resp("Content-Length: 10\r\n", "HTTP/1.1 204 No Content"), BodyFraming::None,
       true},
      {"304", "GET", resp("Content-Length: 10\r\n", "HTTP/1.1 304 Not Modified"), BodyFraming::None,
       true},
      {"CONNECT 200", "CONNECT", resp(""), BodyFraming::None, true},
      {"CONNECT 407", "CONNECT", resp("Content-Length: 0\r\n", "HTTP/1.1 407 Auth"),
       BodyFraming::ContentLength, true},
      {"CL", "GET", resp("Content-Length: 10\r\n"), BodyFraming::ContentLength, true},
      {"chunked", "GET", resp("Transfer-Encoding: gzip, chunked\r\n"), BodyFraming::Chunked, true},
      {"until close", "GET", resp(""), BodyFraming::UntilClose, false},
      {"TE and CL", "GET", resp("Content-Length: 3\r\nTransfer-Encoding: chunked\r\n"),
       BodyFraming::Chunked, false},
      {"chunked not final", "GET", resp("Transfer-Encoding: chunked, gzip\r\n"),
       BodyFraming::UntilClose, false},
      {"gzip only", "GET", resp("Transfer-Encoding: gzip\r\n"), BodyFraming::UntilClose, false},
      {"quoted TE", "GET", resp("Transfer-Encoding: x;p=\"a, chunked\"\r\n"),
       BodyFraming::UntilClose, false},
      {"HTTP/1.0 TE", "GET", resp("Transfer-Encoding: chunked\r\n", "HTTP/1.0 200 OK"),
       BodyFraming::UntilClose, false},
      {"HTTP/1.0 CL", "GET", resp("Content-Length: 1\r\n", "HTTP/1.0 200 OK"),
       BodyFraming::ContentLength, false},
      {"HTTP/1.0 keep-alive", "GET",
       resp("Content-Length: 1\r\nConnection: keep-alive\r\n", "HTTP/1.0 200 OK"),
       BodyFraming::ContentLength, true},
      {"close", "GET", resp("Content-Length: 1\r\nConnection: close\r\n"),
       BodyFraming::ContentLength, false},
  };
  for (const FramingCase& c : cases) {
    ResponseHead h = doneResponse(c.head, c.method);
    EXPECT_EQ(h.framing, c.framing) << c.name;
    EXPECT_EQ(h.keepAlive, c.keepAlive) << c.name;
  }
}

TEST(HttpResponseHead, ToleratesBareLfLineEnds) {
  ResponseHead h = doneResponse("HTTP/1.1 200 OK\nContent-Length: 2\n\nhi");
  EXPECT_EQ(h.contentLength, 2u);
  EXPECT_EQ(h.headLength, 35u);
}

TEST(HttpResponseHead, RejectsBareCr) {
  EXPECT_EQ(responseError("HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n"), HttpError::BareCr);
}

TEST(HttpResponseHead, RejectsObsFold) {
  EXPECT_EQ(responseError(resp("X-A: a\r\n b\r\nContent-Length: 0\r\n")), HttpError::ObsFold);
}

TEST(HttpResponseHead, RejectsConflictingContentLength) {
  EXPECT_EQ(responseError(resp("Content-Length: 1\r\nContent-Length: 2\r\n")),
            HttpError::ConflictingContentLength);
}

TEST(HttpResponseHead, RejectsBadContentLength) {
  EXPECT_EQ(responseError(resp("Content-Length: 1x\r\n")), HttpError::BadContentLength);
}

TEST(HttpResponseHead, AcceptsStatusLineWithoutReason) {
  EXPECT_EQ(doneResponse("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n").reason, "");
  EXPECT_EQ(doneResponse("HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n").status, 404);
}

TEST(HttpResponseHead, RejectsMalformedStatusLine) {
  for (const char* line : {"HTTP/1.1 20 OK", "HTTP/1.1 2000 OK", "HTTP/1.1 099 X", "HTTP/1.1 600 X",
                           "HTTP/1.1  200 OK", "HTTP/1.1 200OK", "HTTP/1.1", "HTTP/2 200 OK",
                           "http/1.1 200 OK", "ICY 200 OK"}) {
    EXPECT_EQ(responseError(resp("", line)), HttpError::BadStatusLine) << line;
  }
}

TEST(HttpResponseHead, RejectsNonHttpBytesBeforeAnyLineEnd) {
  EXPECT_EQ(responseError("SSH-2.0-OpenSSH_9.2"), HttpError::BadStatusLine);
  EXPECT_EQ(responseError("HTTP/1.1 2x"), HttpError::BadStatusLine);
}

TEST(HttpResponseHead, PartialStatusLineNeedsMore) {
  for (const char* partial :
       {"", "H", "HTTP/1.", "HTTP/1.1 20", "HTTP/1.1 200", "HTTP/1.1 200 O", "HTTP/1.1 200 OK\r"}) {
    EXPECT_EQ(parseResp(partial).state, ParseState::NeedMore) << partial;
  }
}

TEST(HttpResponseHead, RejectsUnsupportedVersion) {
  EXPECT_EQ(responseError(resp("", "HTTP/2.0 200 OK")), HttpError::BadVersion);
}

TEST(HttpResponseHead, HeadTooLargeWithoutAnEnd) {
  HttpLimits limits;
  limits.maxHead = 32;
  Resp r = parseResp("HTTP/1.1 200 OK\r\nX-Pad: " + std::string(40, 'p'), "GET", limits);
  EXPECT_EQ(r.state, ParseState::Error);
  EXPECT_EQ(r.err, HttpError::HeadTooLarge);
}

// --- Helpers -----------------------------------------------------------------------------------

TEST(HttpHead, FindHeaderReturnsFirstMatchOrEmpty) {
  std::vector<HeaderField> fields = {{"A", "1"}, {"b", "2"}, {"a", "3"}};
  EXPECT_EQ(findHeader(fields, "a"), "1");
  EXPECT_EQ(findHeader(fields, "B"), "2");
  EXPECT_TRUE(findHeader(fields, "c").empty());
}

TEST(HttpHead, EveryErrorHasADistinctName) {
  std::set<std::string> names;
  for (int e = static_cast<int>(HttpError::None); e <= static_cast<int>(HttpError::BadHost); ++e) {
    names.insert(toString(static_cast<HttpError>(e)));
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(HttpError::BadHost) + 1);
  EXPECT_EQ(names.count("unknown"), 0u);
}

}  // namespace
}  // namespace tollgate::inspect
