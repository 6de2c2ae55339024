// Spec of the chunked-body validator: where a body ends, under any split of the input, and
// every framing shape it refuses, with the ChunkedError the proxy counts and logs.
#include "daemon/inspect/chunked_decoder.h"

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
static void PrintTo(ChunkedError e, std::ostream* os) { *os << toString(e); }
}  // namespace tollgate::inspect

namespace tollgate::inspect {
namespace {

using namespace std::string_literals;

struct Outcome {
  ParseState state;
  size_t consumed;  // summed over all feed() calls
  ChunkedError error;
};

// Feeds `body` in pieces of `piece` bytes (the last one shorter), each from an exact-size heap
// copy so ASan sees any read past it, until the decoder leaves NeedMore.
Outcome feedInPieces(std::string_view body, size_t piece) {
  ChunkedDecoder d;
  Outcome out{ParseState::NeedMore, 0, ChunkedError::None};
  for (size_t pos = 0; pos < body.size() && out.state == ParseState::NeedMore; pos += piece) {
    size_t n = std::min(piece, body.size() - pos);
    std::unique_ptr<char[]> copy(new char[n]);
    std::copy(body.begin() + static_cast<long>(pos), body.begin() + static_cast<long>(pos + n),
              copy.get());
    ChunkedDecoder::Result r = d.feed(std::string_view(copy.get(), n));
    out.state = r.state;
    out.consumed += r.consumed;
  }
  out.error = d.error();
  return out;
}

Outcome feedWhole(std::string_view body) {
  return feedInPieces(body, std::max<size_t>(1, body.size()));
}

Outcome feedSplitAt(std::string_view body, size_t at) {
  ChunkedDecoder d;
  ChunkedDecoder::Result first = d.feed(body.substr(0, at));
  if (first.state != ParseState::NeedMore) return {first.state, first.consumed, d.error()};
  ChunkedDecoder::Result second = d.feed(body.substr(at));
  return {second.state, first.consumed + second.consumed, d.error()};
}

void expectSameOutcome(const Outcome& a, const Outcome& b, const std::string& how) {
  EXPECT_EQ(a.state, b.state) << how;
  EXPECT_EQ(a.consumed, b.consumed) << how;
  EXPECT_EQ(a.error, b.error) << how;
}

// Whole, one byte at a time, and every two-piece split must agree.
void expectSplitInvariant(std::string_view body) {
  Outcome whole = feedWhole(body);
  expectSameOutcome(feedInPieces(body, 1), whole, "one byte at a time");
  for (size_t at = 0; at <= body.size(); ++at) {
    expectSameOutcome(feedSplitAt(body, at), whole, "split at " + std::to_string(at));
  }
}

void expectDone(std::string_view body, size_t bodyLength) {
  Outcome o = feedWhole(body);
  EXPECT_EQ(o.state, ParseState::Done) << toString(o.error);
  EXPECT_EQ(o.consumed, bodyLength);
  expectSplitInvariant(body);
}

void expectDone(std::string_view body) { expectDone(body, body.size()); }

ChunkedError errorOf(std::string_view body) {
  Outcome o = feedWhole(body);
  EXPECT_EQ(o.state, ParseState::Error) << body;
  // The same error wherever the input is split.
  expectSplitInvariant(body);
  return o.error;
}

// --- Valid bodies ------------------------------------------------------------------------------

TEST(ChunkedDecoder, DecodesSingleChunk) { expectDone("5\r\nhello\r\n0\r\n\r\n"); }

TEST(ChunkedDecoder, DecodesSeveralChunks) {
  expectDone("5\r\nhello\r\n1\r\n \r\n6\r\nworld!\r\n0\r\n\r\n");
}

TEST(ChunkedDecoder, DecodesEmptyBody) { expectDone("0\r\n\r\n"); }

TEST(ChunkedDecoder, ChunkDataMayContainCrlfAndAnyByte) {
  expectDone("8\r\n\r\n0\r\n\0\xffZ\r\n0\r\n\r\n"s);
}

TEST(ChunkedDecoder, AcceptsUpperAndLowerCaseHex) {
  expectDone("a\r\n0123456789\r\nB\r\n0123456789X\r\n0\r\n\r\n");
}

TEST(ChunkedDecoder, AcceptsLeadingZerosInSize) { expectDone("0005\r\nhello\r\n000\r\n\r\n"); }

TEST(ChunkedDecoder, AcceptsSixteenHexDigits) {
  expectDone("0000000000000005\r\nhello\r\n0\r\n\r\n");
}

TEST(ChunkedDecoder, AcceptsChunkExtensions) {
  expectDone("5;name=value\r\nhello\r\n3;a;b=\"q; v\"\r\nabc\r\n0\r\n\r\n");
}

TEST(ChunkedDecoder, AcceptsWhitespaceBeforeExtension) {
  expectDone("5 ;a=b\r\nhello\r\n5\t; a = b\r\nworld\r\n0\r\n\r\n");
}

TEST(ChunkedDecoder, AcceptsExtensionsOnLastChunk) { expectDone("0;final=yes\r\n\r\n"); }

TEST(ChunkedDecoder, AcceptsTrailerFields) {
  expectDone("5\r\nhello\r\n0\r\nExpires: Wed, 21 Oct 2015 07:28:00 GMT\r\nX-Sum:\tab c \r\n\r\n");
}

TEST(ChunkedDecoder, AcceptsTrailerWithEmptyValue) { expectDone("0\r\nX-Empty:\r\n\r\n"); }

TEST(ChunkedDecoder, LargeChunkFedInPiecesKeepsCount) {
  std::string body = "10000\r\n" + std::string(0x10000, 'x') + "\r\n0\r\n\r\n";
  Outcome o = feedInPieces(body, 1000);
  EXPECT_EQ(o.state, ParseState::Done);
  EXPECT_EQ(o.consumed, body.size());
}

TEST(ChunkedDecoder, ReportsBytesAfterTheEndAsNotConsumed) {
  std::string body = "5\r\nhello\r\n0\r\n\r\n";
  std::string next = "GET / HTTP/1.1\r\n";
  expectDone(body + next, body.size());
}

TEST(ChunkedDecoder, StaysDoneWithNothingConsumed) {
  ChunkedDecoder d;
  ASSERT_EQ(d.feed("0\r\n\r\n").state, ParseState::Done);
  ChunkedDecoder::Result again = d.feed("5\r\nhello\r\n");
  EXPECT_EQ(again.state, ParseState::Done);
  EXPECT_EQ(again.consumed, 0u);
}

TEST(ChunkedDecoder, StaysInErrorWithNothingConsumed) {
  ChunkedDecoder d;
  ASSERT_EQ(d.feed("x\r\n").state, ParseState::Error);
  ChunkedDecoder::Result again = d.feed("0\r\n\r\n");
  EXPECT_EQ(again.state, ParseState::Error);
  EXPECT_EQ(again.consumed, 0u);
  EXPECT_EQ(d.error(), ChunkedError::BadSize);
}

TEST(ChunkedDecoder, EmptyFeedNeedsMore) {
  ChunkedDecoder d;
  ChunkedDecoder::Result r = d.feed("");
  EXPECT_EQ(r.state, ParseState::NeedMore);
  EXPECT_EQ(r.consumed, 0u);
}

TEST(ChunkedDecoder, ResetStartsANewBody) {
  ChunkedDecoder d;
  ASSERT_EQ(d.feed("zz").state, ParseState::Error);
  d.reset();
  EXPECT_EQ(d.error(), ChunkedError::None);
  EXPECT_EQ(d.feed("0\r\n\r\n").state, ParseState::Done);
}

TEST(ChunkedDecoder, ErrorConsumedIsTheOffsetOfTheOffendingByte) {
  ChunkedDecoder d;
  ChunkedDecoder::Result r = d.feed("5\r\nhelloXY");
  EXPECT_EQ(r.state, ParseState::Error);
  EXPECT_EQ(r.consumed, 8u);
}

// --- Bulk data moves ---------------------------------------------------------------------------

TEST(ChunkedDecoder, DataRemainingIsZeroInsideFraming) {
  ChunkedDecoder d;
  EXPECT_EQ(d.dataRemaining(), 0u);
  d.feed("1a");
  EXPECT_EQ(d.dataRemaining(), 0u);
  d.feed("\r\n");
  EXPECT_EQ(d.dataRemaining(), 26u);
  d.feed("0123456789");
  EXPECT_EQ(d.dataRemaining(), 16u);
}

TEST(ChunkedDecoder, SkipDataMovesTheWholeChunkWithoutFeedingIt) {
  ChunkedDecoder d;
  ASSERT_EQ(d.feed("5\r\n").state, ParseState::NeedMore);
  d.skipData(5);
  EXPECT_EQ(d.dataRemaining(), 0u);
  ChunkedDecoder::Result r = d.feed("\r\n0\r\n\r\n");
  EXPECT_EQ(r.state, ParseState::Done);
  EXPECT_EQ(r.consumed, 7u);
}

TEST(ChunkedDecoder, SkipDataPartlyThenFeedTheRest) {
  ChunkedDecoder d;
  d.feed("a\r\n0123");
  d.skipData(3);
  EXPECT_EQ(d.dataRemaining(), 3u);
  EXPECT_EQ(d.feed("789\r\n0\r\n\r\n").state, ParseState::Done);
}

TEST(ChunkedDecoder, SkipBeyondDataIsAnError) {
  ChunkedDecoder d;
  d.feed("2\r\n");
  d.skipData(3);
  EXPECT_EQ(d.error(), ChunkedError::SkipBeyondData);
  EXPECT_EQ(d.feed("\r\n").state, ParseState::Error);
}

TEST(ChunkedDecoder, SkipInsideFramingIsAnError) {
  ChunkedDecoder d;
  d.feed("2");
  d.skipData(1);
  EXPECT_EQ(d.error(), ChunkedError::SkipBeyondData);
}

// --- Chunk size --------------------------------------------------------------------------------

TEST(ChunkedDecoder, RejectsEmptySize) {
  EXPECT_EQ(errorOf("\r\nhello\r\n0\r\n\r\n"), ChunkedError::BadSize);
  EXPECT_EQ(errorOf(";ext\r\n"), ChunkedError::BadSize);
}

TEST(ChunkedDecoder, RejectsNonHexSize) {
  for (const char* body : {"g\r\n", "-1\r\n", "+5\r\n", "0x5\r\n", "5.0\r\n", " 5\r\n"}) {
    EXPECT_EQ(errorOf(body), ChunkedError::BadSize) << body;
  }
}

TEST(ChunkedDecoder, RejectsWhitespaceAfterSizeWithoutExtension) {
  EXPECT_EQ(errorOf("5 \r\nhello\r\n0\r\n\r\n"), ChunkedError::BadSize);
  EXPECT_EQ(errorOf("5 5\r\nhello\r\n"), ChunkedError::BadSize);
}

TEST(ChunkedDecoder, RejectsMoreThanSixteenHexDigits) {
  EXPECT_EQ(errorOf("00000000000000005\r\nhello\r\n"), ChunkedError::SizeOverflow);
}

TEST(ChunkedDecoder, RejectsSizeAboveInt64Max) {
  EXPECT_EQ(errorOf("8000000000000000\r\n"), ChunkedError::SizeOverflow);
  EXPECT_EQ(errorOf("ffffffffffffffff\r\n"), ChunkedError::SizeOverflow);
  EXPECT_EQ(errorOf("10000000000000005\r\n"), ChunkedError::SizeOverflow);
}

TEST(ChunkedDecoder, AcceptsInt64MaxSize) {
  ChunkedDecoder d;
  EXPECT_EQ(d.feed("7fffffffffffffff\r\n").state, ParseState::NeedMore);
  EXPECT_EQ(d.dataRemaining(), 0x7fffffffffffffffu);
}

TEST(ChunkedDecoder, RejectsBareLfEndingSizeLine) {
  EXPECT_EQ(errorOf("5\nhello\r\n0\r\n\r\n"), ChunkedError::BadLineEnd);
  EXPECT_EQ(errorOf("5;a=b\nhello\r\n"), ChunkedError::BadLineEnd);
}

TEST(ChunkedDecoder, RejectsCrNotFollowedByLfAfterSize) {
  EXPECT_EQ(errorOf("5\rhello\r\n0\r\n\r\n"), ChunkedError::BadLineEnd);
}

TEST(ChunkedDecoder, RejectsControlCharacterInExtension) {
  EXPECT_EQ(errorOf("5;a=\x01\r\nhello\r\n"), ChunkedError::BadExtension);
  EXPECT_EQ(errorOf("5;a\0b\r\nhello\r\n"s), ChunkedError::BadExtension);
}

TEST(ChunkedDecoder, AcceptsSizeLineOfExactly4096Bytes) {
  std::string line = "5;" + std::string(ChunkedDecoder::kMaxSizeLine - 4, 'e') + "\r\n";
  ASSERT_EQ(line.size(), ChunkedDecoder::kMaxSizeLine);
  EXPECT_EQ(feedWhole(line + "hello\r\n0\r\n\r\n").state, ParseState::Done);
}

TEST(ChunkedDecoder, RejectsSizeLineTooLong) {
  std::string line = "5;" + std::string(ChunkedDecoder::kMaxSizeLine - 3, 'e') + "\r\n";
  EXPECT_EQ(feedWhole(line + "hello\r\n0\r\n\r\n").error, ChunkedError::SizeLineTooLong);
  EXPECT_EQ(feedInPieces(line, 1).error, ChunkedError::SizeLineTooLong);
}

TEST(ChunkedDecoder, RejectsEndlessExtensionWithoutCrlf) {
  EXPECT_EQ(feedWhole("1;" + std::string(100000, 'x')).error, ChunkedError::SizeLineTooLong);
}

// --- CRLF after data ---------------------------------------------------------------------------

TEST(ChunkedDecoder, RejectsMissingCrlfAfterData) {
  EXPECT_EQ(errorOf("5\r\nhelloX\r\n0\r\n\r\n"), ChunkedError::MissingDataCrlf);
  EXPECT_EQ(errorOf("5\r\nhello0\r\n\r\n"), ChunkedError::MissingDataCrlf);
}

TEST(ChunkedDecoder, RejectsLfOnlyAfterData) {
  EXPECT_EQ(errorOf("5\r\nhello\n0\r\n\r\n"), ChunkedError::MissingDataCrlf);
}

TEST(ChunkedDecoder, RejectsCrOnlyAfterData) {
  EXPECT_EQ(errorOf("5\r\nhello\r0\r\n\r\n"), ChunkedError::MissingDataCrlf);
}

TEST(ChunkedDecoder, RejectsDataLongerThanItsSize) {
  EXPECT_EQ(errorOf("3\r\nhello\r\n0\r\n\r\n"), ChunkedError::MissingDataCrlf);
}

// --- Trailer section ---------------------------------------------------------------------------

TEST(ChunkedDecoder, RejectsObsFoldInTrailer) {
  EXPECT_EQ(errorOf("0\r\nX-A: 1\r\n 2\r\n\r\n"), ChunkedError::BadTrailer);
}

TEST(ChunkedDecoder, RejectsTrailerWithoutColon) {
  EXPECT_EQ(errorOf("0\r\nX-A\r\n\r\n"), ChunkedError::BadTrailer);
}

TEST(ChunkedDecoder, RejectsWhitespaceBeforeColonInTrailer) {
  EXPECT_EQ(errorOf("0\r\nX-A : 1\r\n\r\n"), ChunkedError::BadTrailer);
}

TEST(ChunkedDecoder, RejectsEmptyTrailerName) {
  EXPECT_EQ(errorOf("0\r\n: 1\r\n\r\n"), ChunkedError::BadTrailer);
}

TEST(ChunkedDecoder, RejectsControlCharacterInTrailerValue) {
  EXPECT_EQ(errorOf("0\r\nX-A: a\x7f\r\n\r\n"), ChunkedError::BadTrailer);
}

TEST(ChunkedDecoder, RejectsBareLfInTrailer) {
  EXPECT_EQ(errorOf("0\r\nX-A: 1\n\r\n"), ChunkedError::BadLineEnd);
  EXPECT_EQ(errorOf("0\r\n\n"), ChunkedError::BadLineEnd);
}

TEST(ChunkedDecoder, RejectsBadFinalCrlf) {
  EXPECT_EQ(errorOf("0\r\n\rX"), ChunkedError::BadLineEnd);
  EXPECT_EQ(errorOf("0\r\nX-A: 1\rX"), ChunkedError::BadLineEnd);
}

TEST(ChunkedDecoder, AcceptsTrailerSectionOfExactly8KiB) {
  std::string field = "X-Pad: " + std::string(ChunkedDecoder::kMaxTrailer - 11, 'p') + "\r\n";
  std::string body = "0\r\n" + field + "\r\n";
  ASSERT_EQ(body.size() - 3, ChunkedDecoder::kMaxTrailer);
  EXPECT_EQ(feedWhole(body).state, ParseState::Done);
}

TEST(ChunkedDecoder, RejectsTrailerSectionOver8KiB) {
  std::string field = "X-Pad: " + std::string(ChunkedDecoder::kMaxTrailer - 10, 'p') + "\r\n";
  EXPECT_EQ(feedWhole("0\r\n" + field + "\r\n").error, ChunkedError::TrailerTooLarge);
  std::string many;
  for (int i = 0; i < 2000; ++i) many += "X: 1\r\n";
  EXPECT_EQ(feedInPieces("0\r\n" + many, 7).error, ChunkedError::TrailerTooLarge);
}

TEST(ChunkedDecoder, EveryErrorHasADistinctName) {
  std::set<std::string> names;
  int last = static_cast<int>(ChunkedError::SkipBeyondData);
  for (int e = 0; e <= last; ++e) names.insert(toString(static_cast<ChunkedError>(e)));
  EXPECT_EQ(names.size(), static_cast<size_t>(last) + 1);
  EXPECT_EQ(names.count("unknown"), 0u);
}

}  // namespace
}  // namespace tollgate::inspect
