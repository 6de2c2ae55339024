// QUIC client Initial packets: long-header walk over a datagram, Initial key derivation, header
// protection and AEAD removal, frame walk and CRYPTO reassembly. See quic_initial.h for the
// contract; the ClientHello itself is parsed by client_hello.cc.
#include "daemon/inspect/quic_initial.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <memory>

namespace tollgate::inspect {

const char* toString(QuicError e) {
  // In QuicError's order; the static_assert below keeps the two together.
  static constexpr const char* kNames[] = {"none",
                                           "not_quic",
                                           "unsupported_version",
                                           "malformed",
                                           "decrypt_failed",
                                           "protocol_violation",
                                           "too_large",
                                           "too_fragmented",
                                           "not_client_hello",
                                           "bad_client_hello"};
  static_assert(std::size(kNames) == static_cast<size_t>(QuicError::BadClientHello) + 1);
  const auto i = static_cast<size_t>(e);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

namespace quic_internal {

enum class LongType { Initial, ZeroRtt, Handshake, Retry };

struct LongPacket {
  std::string_view bytes;  // the whole packet; for Retry, the rest of the datagram
  uint32_t version = 0;
  LongType type = LongType::Initial;
  std::string_view dcid, scid;
  size_t pnOffset = 0;  // where the (protected) packet number starts
};

}  // namespace quic_internal

namespace {

using quic_internal::LongPacket;
using quic_internal::LongType;

constexpr uint8_t kLongHeaderBit = 0x80;
constexpr uint8_t kFixedBit = 0x40;
constexpr uint8_t kReservedBits = 0x0c;  // long header, once header protection is off
constexpr size_t kMaxCidLength = 20;     // RFC 9000 §17.2, versions 1 and 2
constexpr size_t kMinInitialDcid = 8;    // RFC 9000 §7.2
constexpr size_t kMaxPnLength = 4;
constexpr size_t kSampleSize = 16;  // RFC 9001 §5.4.2
constexpr size_t kTagSize = 16;

constexpr uint8_t kFramePadding = 0x00;
constexpr uint8_t kFramePing = 0x01;
constexpr uint8_t kFrameAck = 0x02;
constexpr uint8_t kFrameAckEcn = 0x03;
constexpr uint8_t kFrameCrypto = 0x06;
constexpr uint8_t kFrameConnectionClose = 0x1c;  // the transport variant; 0x1d is 1-RTT only

// RFC 9001 §5.2 and RFC 9369 §3.3.1.
constexpr uint8_t kSaltV1[] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
                               0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
constexpr uint8_t kSaltV2[] = {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
                               0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9};

uint8_t byteAt(std::string_view s, size_t i) { return static_cast<uint8_t>(s[i]); }

std::string_view asView(const uint8_t* p, size_t n) {
  return {reinterpret_cast<const char*>(p), n};
}

// ---- libcrypto ----------------------------------------------------------------------------

// Fetching an algorithm walks the provider tables; do it once per process. The handles are
// immutable and safe to share between threads.
EVP_KDF* hkdfAlgorithm() {
  static EVP_KDF* kdf = EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_HKDF, nullptr);
  return kdf;
}
EVP_CIPHER* aes128Gcm() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
  return cipher;
}
EVP_CIPHER* aes128Ecb() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-128-ECB", nullptr);
  return cipher;
}

struct KdfCtxFree {
  void operator()(EVP_KDF_CTX* c) const { EVP_KDF_CTX_free(c); }
};
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using KdfCtx = std::unique_ptr<EVP_KDF_CTX, KdfCtxFree>;
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

// HKDF-SHA256 in one of its two halves: Extract(salt, key) or Expand(key, info).
bool hkdf(int mode, std::string_view key, std::string_view saltOrInfo, uint8_t* out,
          size_t outSize) {
  if (hkdfAlgorithm() == nullptr) return false;
  KdfCtx ctx(EVP_KDF_CTX_new(hkdfAlgorithm()));
  if (!ctx) return false;
  const char* second =
      mode == EVP_KDF_HKDF_MODE_EXTRACT_ONLY ? OSSL_KDF_PARAM_SALT : OSSL_KDF_PARAM_INFO;
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<char*>(key.data()),
                                        key.size()),
      OSSL_PARAM_construct_octet_string(second, const_cast<char*>(saltOrInfo.data()),
                                        saltOrInfo.size()),
      OSSL_PARAM_construct_end(),
  };
  return EVP_KDF_derive(ctx.get(), out, outSize, params) == 1;
}

// HKDF-Expand-Label (RFC 8446 §7.1) with an empty context, the only form QUIC's Initial keys use:
//   struct { uint16 length; opaque label<7..255> = "tls13 " + label; opaque context<0..255>; }
bool expandLabel(std::string_view secret, std::string_view label, uint8_t* out, size_t outSize) {
  constexpr std::string_view kPrefix = "tls13 ";
  std::string info{static_cast<char>(outSize >> 8), static_cast<char>(outSize & 0xff),
                   static_cast<char>(kPrefix.size() + label.size())};
  info.append(kPrefix).append(label).push_back('\0');  // then the empty context
  return hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, secret, info, out, outSize);
}

// RFC 9001 §5.4.3: mask = AES-ECB(hp, sample).
bool headerMask(const QuicInitialKeys& keys, const uint8_t* sample, uint8_t (&mask)[16]) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int n = 0;
  return ctx && aes128Ecb() != nullptr &&
         EVP_EncryptInit_ex2(ctx.get(), aes128Ecb(), keys.hp.data(), nullptr, nullptr) == 1 &&
         EVP_CIPHER_CTX_set_padding(ctx.get(), 0) == 1 &&
         EVP_EncryptUpdate(ctx.get(), mask, &n, sample, kSampleSize) == 1 &&
         n == static_cast<int>(kSampleSize);
}

// RFC 9001 §5.3: AEAD_AES_128_GCM, nonce = iv XOR the packet number left-padded to 12 bytes.
// Decrypts `text` in place; true only if the tag verifies.
bool aeadOpen(const QuicInitialKeys& keys, uint64_t pn, std::string_view aad, uint8_t* text,
              size_t textSize, const uint8_t* tag) {
  uint8_t nonce[12];
  std::memcpy(nonce, keys.iv.data(), sizeof nonce);
  for (size_t i = 0; i < 8; ++i) nonce[sizeof nonce - 1 - i] ^= static_cast<uint8_t>(pn >> (8 * i));
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int n = 0;
  return ctx && aes128Gcm() != nullptr &&
         EVP_DecryptInit_ex2(ctx.get(), aes128Gcm(), keys.key.data(), nonce, nullptr) == 1 &&
         EVP_DecryptUpdate(ctx.get(), nullptr, &n, reinterpret_cast<const uint8_t*>(aad.data()),
                           static_cast<int>(aad.size())) == 1 &&
         EVP_DecryptUpdate(ctx.get(), text, &n, text, static_cast<int>(textSize)) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, kTagSize,
                             const_cast<uint8_t*>(tag)) == 1 &&
         EVP_DecryptFinal_ex(ctx.get(), text + n, &n) == 1;
}

// ---- Wire reading ---------------------------------------------------------------------------

// Bounds-checked cursor; a failed read leaves it where it was.
class Cursor {
 public:
  explicit Cursor(std::string_view bytes) : bytes_(bytes) {}

  bool empty() const { return pos_ == bytes_.size(); }
  size_t pos() const { return pos_; }
  size_t left() const { return bytes_.size() - pos_; }
  uint8_t peek() const { return byteAt(bytes_, pos_); }

  bool u8(uint8_t& v) {
    if (left() < 1) return false;
    v = byteAt(bytes_, pos_++);
    return true;
  }
  bool u32(uint32_t& v) {
    if (left() < 4) return false;
    v = 0;
    for (size_t i = 0; i < 4; ++i) v = v << 8 | byteAt(bytes_, pos_ + i);
    pos_ += 4;
    return true;
  }
  // Variable-length integer (RFC 9000 §16): the top two bits of the first byte give its size.
  bool varint(uint64_t& v) {
    if (left() < 1) return false;
    const size_t size = size_t{1} << (peek() >> 6);
    if (left() < size) return false;
    v = peek() & 0x3f;
    for (size_t i = 1; i < size; ++i) v = v << 8 | byteAt(bytes_, pos_ + i);
    pos_ += size;
    return true;
  }
  bool bytes(uint64_t n, std::string_view& v) {
    if (left() < n) return false;
    v = bytes_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool skip(uint64_t n) {
    if (left() < n) return false;
    pos_ += n;
    return true;
  }
  bool skipVarints(size_t count) {
    uint64_t ignored;
    for (size_t i = 0; i < count; ++i)
      if (!varint(ignored)) return false;
    return true;
  }
  void skipZeros() {
    while (!empty() && peek() == 0) ++pos_;
  }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

bool readCid(Cursor& c, std::string_view& cid) {
  uint8_t size;
  return c.u8(size) && size <= kMaxCidLength && c.bytes(size, cid);
}

// RFC 9000 §A.3: the full packet number nearest to the one after the largest received.
uint64_t decodePacketNumber(int64_t largest, uint64_t truncated, size_t bits) {
  const int64_t expected = largest + 1;
  const int64_t window = int64_t{1} << bits;
  const int64_t half = window / 2;
  const int64_t candidate = (expected & ~(window - 1)) | static_cast<int64_t>(truncated);
  if (candidate <= expected - half && candidate < (int64_t{1} << 62) - window)
    return static_cast<uint64_t>(candidate + window);
  if (candidate > expected + half && candidate >= window)
    return static_cast<uint64_t>(candidate - window);
  return static_cast<uint64_t>(candidate);
}

// Long header (RFC 9000 §17.2, RFC 8999 §5.1, RFC 9369 §3.2), each field checked against what
// is left of the datagram:
//
//   +-+-+-+-+-+-+-+-+------------------+------+-----------+------+-----------+
//   |1|F|T T|R R|P P| version (32)     | dlen | DCID      | slen | SCID      |
//   +-+-+-+-+-+-+-+-+------------------+------+-----------+------+-----------+
//   Initial only:  | token length (varint) | token |
//   but Retry:     | length (varint) | packet number (P+1 bytes) | payload + 16-byte tag |
//                    \------------------- length -------------------/
//
// F is the fixed bit, T the type (v1: Initial 0, 0-RTT 1, Handshake 2, Retry 3; v2 rotates
// them: Retry 0, Initial 1, 0-RTT 2, Handshake 3). R (reserved, must be 0) and P are under
// header protection. Retry carries no length: it runs to the end of the datagram.
QuicError parseLongHeader(std::string_view rest, LongPacket& p) {
  Cursor c(rest);
  uint8_t first;
  if (!c.u8(first) || !c.u32(p.version)) return QuicError::Malformed;
  if (p.version != kQuicVersion1 && p.version != kQuicVersion2)
    return QuicError::UnsupportedVersion;
  const unsigned bits = first >> 4 & 0x03;
  p.type = static_cast<LongType>(p.version == kQuicVersion2 ? (bits + 3) & 0x03 : bits);
  if (!readCid(c, p.dcid) || !readCid(c, p.scid)) return QuicError::Malformed;
  if (p.type == LongType::Retry) {
    p.bytes = rest;
    return QuicError::None;
  }
  uint64_t tokenSize = 0;
  if (p.type == LongType::Initial && (!c.varint(tokenSize) || !c.skip(tokenSize)))
    return QuicError::Malformed;
  // RFC 9287 §3.1 lets a client clear the fixed bit on an Initial only when it carries a token
  // from a server that advertised grease_quic_bit; anywhere else a clear bit is not QUIC v1/v2.
  if ((first & kFixedBit) == 0 && !(p.type == LongType::Initial && tokenSize > 0))
    return QuicError::Malformed;
  uint64_t length;
  if (!c.varint(length) || length > c.left()) return QuicError::Malformed;
  // Header protection samples 16 bytes starting 4 past the packet number's offset, whatever
  // its real length (RFC 9001 §5.4.2): a shorter Initial cannot be opened by anyone.
  if (p.type == LongType::Initial && length < kMaxPnLength + kSampleSize)
    return QuicError::Malformed;
  p.pnOffset = c.pos();
  p.bytes = rest.substr(0, c.pos() + length);
  return QuicError::None;
}

struct Opened {
  uint8_t first = 0;  // first byte without header protection
  uint64_t pn = 0;
  std::string_view payload;
};

// Removes header protection (RFC 9001 §5.4.1) and opens the AEAD of an Initial packet, working
// on a copy in `scratch`. False when the tag does not verify.
bool unprotect(const LongPacket& p, const QuicInitialKeys& keys, int64_t largestPn,
               std::string& scratch, Opened& out) {
  scratch.assign(p.bytes);
  auto* b = reinterpret_cast<uint8_t*>(scratch.data());
  uint8_t mask[16];
  if (!headerMask(keys, b + p.pnOffset + kMaxPnLength, mask)) return false;
  b[0] ^= mask[0] & 0x0f;
  const size_t pnLength = (b[0] & 0x03) + 1;
  uint64_t truncated = 0;
  for (size_t i = 0; i < pnLength; ++i) {
    b[p.pnOffset + i] ^= mask[1 + i];
    truncated = truncated << 8 | b[p.pnOffset + i];
  }
  // parseLongHeader guaranteed length >= 20, so the tag fits after any packet number length.
  const size_t headerSize = p.pnOffset + pnLength;
  const size_t textSize = scratch.size() - headerSize - kTagSize;
  out.pn = decodePacketNumber(largestPn, truncated, pnLength * 8);
  if (!aeadOpen(keys, out.pn, asView(b, headerSize), b + headerSize, textSize,
                b + headerSize + textSize))
    return false;
  out.first = b[0];
  out.payload = asView(b + headerSize, textSize);
  return true;
}

QuicError fromTls(TlsError e) {
  if (e == TlsError::NotClientHello) return QuicError::NotClientHello;
  return e == TlsError::TooLarge ? QuicError::TooLarge : QuicError::BadClientHello;
}

void copyCid(std::string_view from, ConnectionId& to) {
  to.size = static_cast<uint8_t>(from.size());
  std::copy(from.begin(), from.end(), to.bytes.begin());
}

}  // namespace

bool deriveClientInitialKeys(uint32_t version, std::string_view dcid, QuicInitialKeys& out) {
  std::string_view salt, keyLabel, ivLabel, hpLabel;
  if (version == kQuicVersion1) {
    salt = asView(kSaltV1, sizeof kSaltV1);
    keyLabel = "quic key", ivLabel = "quic iv", hpLabel = "quic hp";
  } else if (version == kQuicVersion2) {
    salt = asView(kSaltV2, sizeof kSaltV2);
    keyLabel = "quicv2 key", ivLabel = "quicv2 iv", hpLabel = "quicv2 hp";
  } else {
    return false;
  }
  uint8_t initialSecret[32];
  if (!hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, dcid, salt, initialSecret, sizeof initialSecret))
    return false;
  const std::string_view secret = asView(out.secret.data(), out.secret.size());
  return expandLabel(asView(initialSecret, sizeof initialSecret), "client in", out.secret.data(),
                     out.secret.size()) &&
         expandLabel(secret, keyLabel, out.key.data(), out.key.size()) &&
         expandLabel(secret, ivLabel, out.iv.data(), out.iv.size()) &&
         expandLabel(secret, hpLabel, out.hp.data(), out.hp.size());
}

bool QuicInitialAssembler::fail(QuicError e) {
  state_ = ParseState::Error;
  error_ = e;
  info_.hello = {};  // a hello parsed before a later violation must not be mistaken for a verdict
  return false;
}

std::string_view QuicInitialAssembler::clientHello() const {
  if (state_ != ParseState::Done) return {};
  return std::string_view(crypto_).substr(0, info_.hello.bytesUsed);
}

// Coalesced packets (RFC 9000 §12.2): long-header packets back to back, each sized by its
// length field, optionally ending with one short-header packet that runs to the datagram's end.
ParseState QuicInitialAssembler::feed(std::string_view datagram) {
  if (state_ != ParseState::NeedMore) return state_;
  ++stats_.datagrams;
  if (datagram.empty() && !accepted_) fail(QuicError::NotQuic);
  std::string_view datagramDcid;
  for (size_t pos = 0; pos < datagram.size() && state_ == ParseState::NeedMore;) {
    const std::string_view rest = datagram.substr(pos);
    const uint8_t first = byteAt(rest, 0);
    if ((first & kLongHeaderBit) == 0) {
      // A 1-RTT packet, keyed by the handshake we cannot see. With the fixed bit clear too it
      // is no QUIC packet at all: fatal as a flow's first bytes, but after a packet it is the
      // zero padding some stacks append to reach 1200 bytes.
      if (pos == 0 && !accepted_ && (first & kFixedBit) == 0) fail(QuicError::NotQuic);
      ++stats_.skippedPackets;
      break;
    }
    LongPacket p;
    if (QuicError e = parseLongHeader(rest, p); e != QuicError::None) {
      // Its size is unknown, so the rest of the datagram goes with it.
      if (!accepted_) fail(e);
      ++stats_.skippedPackets;
      break;
    }
    if (pos == 0) {
      datagramDcid = p.dcid;
    } else if (p.dcid != datagramDcid) {
      // RFC 9000 §12.2: packets coalesced with another DCID are ignored.
      ++stats_.skippedPackets;
      break;
    }
    pos += p.bytes.size();
    if (p.type != LongType::Initial || (accepted_ && p.version != info_.version)) {
      ++stats_.skippedPackets;
    } else if (datagram.size() < limits_.minDatagramSize) {
      ++stats_.undersizedDatagrams;
    } else {
      takeInitial(p);
    }
  }
  return state_;
}

bool QuicInitialAssembler::takeInitial(const LongPacket& p) {
  if (!accepted_) {
    if (p.dcid.size() < kMinInitialDcid) return fail(QuicError::Malformed);
    // A libcrypto failure here looks like a packet that does not open: either way the flow
    // cannot be read.
    if (!deriveClientInitialKeys(p.version, p.dcid, keys_)) return fail(QuicError::DecryptFailed);
  }
  // Later Initials keep the first one's keys even when their DCID changes: the client switches
  // to the server's connection ID, not to new keys (RFC 9001 §5.2), except after a Retry,
  // whose packets then do not open and are skipped.
  Opened o;
  if (!unprotect(p, keys_, largestPn_, scratch_, o)) {
    if (!accepted_) return fail(QuicError::DecryptFailed);
    ++stats_.undecryptablePackets;
    return true;
  }
  if (!accepted_) {
    accepted_ = true;
    info_.version = p.version;
    copyCid(p.dcid, info_.dcid);
    copyCid(p.scid, info_.scid);
  }
  ++stats_.initialPackets;
  largestPn_ = std::max(largestPn_, static_cast<int64_t>(o.pn));
  // RFC 9000 §17.2: non-zero reserved bits, once both protections are off, are a
  // PROTOCOL_VIOLATION.
  if ((o.first & kReservedBits) != 0) return fail(QuicError::ProtocolViolation);
  return walkFrames(o.payload) && checkHello();
}

// Frames of an Initial packet (RFC 9000 §12.4, §19). Only these may appear in one; anything
// else, including a type in a longer encoding than needed, is a PROTOCOL_VIOLATION:
//
//   PADDING          0x00
//   PING             0x01
//   ACK              0x02 | largest | delay | range count | first range | (gap, length)* |
//   ACK (ECN)        0x03 |   ... as ACK ...                             | ECT0 | ECT1 | CE |
//   CRYPTO           0x06 | offset | length | data
//   CONNECTION_CLOSE 0x1c | error code | frame type | reason length | reason
//
// Every field after the type is a varint. A frame running past the payload is Malformed.
bool QuicInitialAssembler::walkFrames(std::string_view payload) {
  // RFC 9000 §12.4: a packet without frames is a PROTOCOL_VIOLATION.
  if (payload.empty()) return fail(QuicError::ProtocolViolation);
  Cursor c(payload);
  while (!c.empty()) {
    uint8_t type;
    c.u8(type);
    bool ok = true;
    switch (type) {
      case kFramePadding:
        c.skipZeros();
        break;
      case kFramePing:
        break;
      case kFrameAck:
      case kFrameAckEcn: {
        uint64_t ranges = 0;
        ok = c.skipVarints(2) && c.varint(ranges) && c.skipVarints(1);
        // Each range is two varints of at least a byte: a count beyond what is left fails
        // within left()/2 rounds, so a hostile count cannot make this loop long.
        for (uint64_t i = 0; ok && i < ranges; ++i) ok = c.skipVarints(2);
        if (ok && type == kFrameAckEcn) ok = c.skipVarints(3);
        break;
      }
      case kFrameCrypto: {
        uint64_t offset, length;
        std::string_view data;
        if (!c.varint(offset) || !c.varint(length) || !c.bytes(length, data)) {
          ok = false;
          break;
        }
        if (!addCrypto(offset, data)) return false;
        ++stats_.cryptoFrames;
        break;
      }
      case kFrameConnectionClose: {
        uint64_t reasonSize = 0;
        ok = c.skipVarints(2) && c.varint(reasonSize) && c.skip(reasonSize);
        break;
      }
      default:
        return fail(QuicError::ProtocolViolation);
    }
    if (!ok) return fail(QuicError::Malformed);
  }
  return true;
}

// Takes CRYPTO data at `offset` into the stream. Received ranges stay sorted, disjoint and
// non-adjacent, so their count is the number of gaps plus one, and it is bounded.
bool QuicInitialAssembler::addCrypto(uint64_t offset, std::string_view data) {
  const uint64_t cap = limits_.maxCryptoBytes;
  if (offset > cap || data.size() > cap - offset) return fail(QuicError::TooLarge);
  if (data.empty()) return true;
  const size_t begin = offset;
  const size_t end = begin + data.size();

  // RFC 9000 §2.2: data at an offset must not change when sent again. If it did, this parser
  // and the server's TLS stack could each keep a different copy and judge different hellos.
  for (size_t i = 0; i < rangeCount_; ++i) {
    const size_t lo = std::max(begin, ranges_[i].begin);
    const size_t hi = std::min(end, ranges_[i].end);
    if (lo < hi && crypto_.compare(lo, hi - lo, data.substr(lo - begin, hi - lo)) != 0)
      return fail(QuicError::ProtocolViolation);
  }

  // Ranges [first, last) overlap or touch the new one and merge into it.
  size_t first = 0;
  while (first < rangeCount_ && ranges_[first].end < begin) ++first;
  size_t last = first;
  Range merged{begin, end};
  for (; last < rangeCount_ && ranges_[last].begin <= end; ++last) {
    merged.begin = std::min(merged.begin, ranges_[last].begin);
    merged.end = std::max(merged.end, ranges_[last].end);
  }
  const size_t count = rangeCount_ - (last - first) + 1;
  if (count > kMaxCryptoRanges) return fail(QuicError::TooFragmented);

  if (crypto_.size() < end) crypto_.resize(end);
  std::copy(data.begin(), data.end(), crypto_.begin() + begin);
  if (last == first) {
    std::move_backward(ranges_.begin() + first, ranges_.begin() + rangeCount_,
                       ranges_.begin() + rangeCount_ + 1);
  } else {
    std::move(ranges_.begin() + last, ranges_.begin() + rangeCount_, ranges_.begin() + first + 1);
  }
  ranges_[first] = merged;
  rangeCount_ = count;
  return true;
}

// Judges the stream's contiguous prefix once a packet's frames are in.
bool QuicInitialAssembler::checkHello() {
  if (rangeCount_ == 0 || ranges_[0].begin != 0) return true;
  const std::string_view prefix(crypto_.data(), ranges_[0].end);
  TlsError tlsError = TlsError::None;
  const ParseState s =
      parseClientHelloMessage(prefix, TlsLimits{limits_.maxCryptoBytes}, info_.hello, tlsError);
  if (s == ParseState::NeedMore) return true;
  if (s == ParseState::Error) return fail(fromTls(tlsError));
  // The client's Initial CRYPTO stream holds its first ClientHello alone (a second one, after
  // HelloRetryRequest, only follows a server reply). Bytes past it are what the server's TLS
  // stack would read as a next message; refuse rather than ignore what it would see.
  if (ranges_[rangeCount_ - 1].end > info_.hello.bytesUsed)
    return fail(QuicError::ProtocolViolation);
  state_ = ParseState::Done;
  return true;
}

ParseState parseQuicInitial(std::string_view datagram, const QuicLimits& limits,
                            QuicInitialInfo& out, QuicError& err) {
  QuicInitialAssembler assembler(limits);
  const ParseState s = assembler.feed(datagram);
  out = assembler.info();
  err = assembler.error();
  return s;
}

}  // namespace tollgate::inspect
