#pragma once
// The TLS ClientHello inside a client's QUIC Initial packets (RFC 9000 §17.2.2, RFC 9001 §5,
// RFC 9369 for version 2), read from the UDP payloads of the flow's first datagrams. Initial
// packets are encrypted, but with keys anyone can derive from the client's Destination
// Connection ID, so the proxy can read the SNI the way it does for TLS over TCP: remove header
// protection, open the AEAD, reassemble the CRYPTO frames, and hand the handshake message to
// parseClientHelloMessage (client_hello.h).
//
// Cost: one HKDF-SHA256 extract and four expands per flow, at its first Initial; then per
// Initial packet one AES-128-ECB block (header protection) and one AES-128-GCM open of the
// packet. A real client sends one Initial per datagram; a hostile one can coalesce one per ~40
// bytes, so the work per datagram stays linear in its size. Memory per flow: a CRYPTO buffer grown
// to the highest offset received (never past QuicLimits::maxCryptoBytes) and a scratch copy of the
// largest packet decrypted. Pure: no I/O, no exceptions, no global state but OpenSSL's algorithm
// handles, fetched once.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/inspect/client_hello.h"
#include "daemon/inspect/parse_state.h"

namespace tollgate::inspect {

inline constexpr uint32_t kQuicVersion1 = 0x00000001;  // RFC 9000
inline constexpr uint32_t kQuicVersion2 = 0x6b3343cf;  // RFC 9369

enum class QuicError {
  None,
  NotQuic,             // a datagram that cannot start a QUIC packet, before any Initial
  UnsupportedVersion,  // long header of a version other than 1 and 2 (drafts, negotiation)
  Malformed,           // a header or frame field runs past its packet, a CID over 20 bytes, a
                       // first Initial with a DCID under 8 bytes (RFC 9000 §7.2)
  DecryptFailed,       // the flow's first Initial does not open with its DCID's client keys
  ProtocolViolation,   // reserved bits set, a frame not allowed in Initial packets, an empty
                       // payload, CRYPTO data that changes on retransmission or lies past the
                       // ClientHello
  TooLarge,            // CRYPTO data or the ClientHello beyond QuicLimits::maxCryptoBytes
  TooFragmented,       // more disjoint CRYPTO ranges pending than the assembler tracks
  NotClientHello,      // the CRYPTO stream starts with another handshake message
  BadClientHello,      // the ClientHello body is malformed (client_hello.h's Malformed)
};
const char* toString(QuicError e);

struct QuicLimits {
  // Cap on CRYPTO stream offsets, hence on the ClientHello. Chromium's post-quantum hello is
  // about 2 KB; 64 KiB leaves room for large hellos and bounds the per-flow buffer.
  size_t maxCryptoBytes = 64 * 1024;
  // RFC 9000 §14.1: servers drop Initial packets in datagrams smaller than this, so they are
  // skipped here too; otherwise a small decoy Initial, dropped by the server, could be judged
  // in place of the real one.
  size_t minDatagramSize = 1200;
};

// A connection ID (RFC 9000 §5.1): at most 20 bytes for versions 1 and 2.
struct ConnectionId {
  std::array<uint8_t, 20> bytes{};
  uint8_t size = 0;
  std::string_view view() const { return {reinterpret_cast<const char*>(bytes.data()), size}; }
};

// Per-flow outcomes, one counter each (X-macro so the inspector can export them unchanged).
#define TOLLGATE_QUIC_INITIAL_STATS(X)                                                       \
  X(datagrams)            /* datagrams fed while undecided */                                \
  X(initialPackets)       /* Initial packets decrypted */                                    \
  X(cryptoFrames)         /* CRYPTO frames taken into the stream */                          \
  X(skippedPackets)       /* 0-RTT, Handshake, Retry, short-header, other version or DCID */ \
  X(undersizedDatagrams)  /* Initial packets skipped: datagram under minDatagramSize */      \
  X(undecryptablePackets) /* later Initials that did not open (Retry, stray): skipped */

struct QuicInitialStats {
#define TOLLGATE_QUIC_STAT_FIELD(name) uint64_t name = 0;
  TOLLGATE_QUIC_INITIAL_STATS(TOLLGATE_QUIC_STAT_FIELD)
#undef TOLLGATE_QUIC_STAT_FIELD
};

struct QuicInitialInfo {
  uint32_t version = 0;   // of the first Initial decrypted: kQuicVersion1 or kQuicVersion2
  ConnectionId dcid;      // that Initial's Destination Connection ID: the Initial keys' input
  ConnectionId scid;      // its Source Connection ID
  ClientHelloInfo hello;  // sni, alpn, hasEch, ...; recordVersion 0, bytesUsed = message size
};

// Client Initial keys (RFC 9001 §5.2, RFC 9369 §3.3.1): HKDF-Extract with the version's salt
// over the DCID, "client in", then "quic key/iv/hp" (v1) or "quicv2 key/iv/hp" (v2).
struct QuicInitialKeys {
  std::array<uint8_t, 32> secret{};  // client_initial_secret
  std::array<uint8_t, 16> key{};     // AEAD_AES_128_GCM key
  std::array<uint8_t, 12> iv{};
  std::array<uint8_t, 16> hp{};  // header protection (AES-128-ECB) key
};
// False for another version, or if libcrypto fails (no HKDF provider).
bool deriveClientInitialKeys(uint32_t version, std::string_view dcid, QuicInitialKeys& out);

namespace quic_internal {
struct LongPacket;  // one long-header packet located in a datagram (quic_initial.cc)
}

// Reassembles one flow's client Initials. Feed it the UDP payloads of the client's datagrams
// in arrival order; each may coalesce several QUIC packets (RFC 9000 §12.2).
//
// The first Initial that opens fixes the flow's version, DCID and keys. Until then a packet
// that cannot be parsed, is of another version or does not open is an Error: the flow does not
// start like QUIC. After it, such packets are skipped (and counted), as a server discards them.
// Always skipped, as a server would: 0-RTT, Handshake, Retry and short-header packets (a
// reordered 0-RTT datagram may come first) and Initials in datagrams under minDatagramSize.
// Anything wrong inside an opened Initial (frames, CRYPTO data, the hello) is an Error.
// CRYPTO frames may arrive in any order, across packets and datagrams (Chromium splits and
// shuffles its hello, which spans two datagrams once it carries an ML-KEM key share).
class QuicInitialAssembler {
 public:
  explicit QuicInitialAssembler(QuicLimits limits = {}) : limits_(limits) {}

  // Takes one datagram and returns the flow's state:
  //   Done      the ClientHello is whole and parsed: info() and clientHello() are filled.
  //   NeedMore  no verdict yet (no Initial seen, or the CRYPTO stream has a gap).
  //   Error     error() says why.
  // Done and Error are final: later calls return them without reading the datagram.
  ParseState feed(std::string_view datagram);

  ParseState state() const { return state_; }
  QuicError error() const { return error_; }
  // version/dcid/scid once the first Initial has opened; hello only after Done (else empty).
  const QuicInitialInfo& info() const { return info_; }
  // The ClientHello handshake message (header + body) after Done, else empty. Points into the
  // assembler: valid until it is destroyed or assigned.
  std::string_view clientHello() const;
  const QuicInitialStats& stats() const { return stats_; }

 private:
  struct Range {
    size_t begin = 0;
    size_t end = 0;
  };
  // Disjoint CRYPTO ranges received and not yet joined to their neighbours.
  static constexpr size_t kMaxCryptoRanges = 32;

  // Each returns false once the flow has failed (state_ Error, error_ set).
  bool fail(QuicError e);
  bool takeInitial(const quic_internal::LongPacket& p);
  bool walkFrames(std::string_view payload);
  bool addCrypto(uint64_t offset, std::string_view data);
  bool checkHello();  // sets state_ Done once the ClientHello is whole

  QuicLimits limits_;
  ParseState state_ = ParseState::NeedMore;
  QuicError error_ = QuicError::None;
  QuicInitialInfo info_;
  QuicInitialStats stats_;
  bool accepted_ = false;  // an Initial has opened: version, DCID and keys_ are fixed
  QuicInitialKeys keys_;
  int64_t largestPn_ = -1;  // for packet number recovery (RFC 9000 §A.3)
  std::string scratch_;     // the packet being decrypted, unprotected in place
  std::string crypto_;      // CRYPTO stream bytes, indexed by offset
  std::array<Range, kMaxCryptoRanges> ranges_{};
  size_t rangeCount_ = 0;
};

// One datagram, no flow state: a fresh assembler fed `datagram` once. Enough when the
// ClientHello fits one packet; `out` is meaningful after Done.
ParseState parseQuicInitial(std::string_view datagram, const QuicLimits& limits,
                            QuicInitialInfo& out, QuicError& err);

}  // namespace tollgate::inspect
