// libFuzzer target for the QUIC Initial reader. Random bytes almost never pass the AEAD, so the
// input picks one of two modes with its first byte:
//   bit 0 clear  "raw": the chunks are UDP datagrams, fed as they are (header parsing, the
//                first-packet rules, coalescing, truncation);
//   bit 0 set    "sealed": each chunk is the plaintext payload of a client Initial, which this
//                harness protects as a client would (bit 1: QUIC v2 instead of v1), padded to
//                1200 bytes, so the fuzzer reaches the frame walk, CRYPTO reassembly and the
//                ClientHello parser.
// Then chunks: a 2-byte big-endian header whose low 15 bits give the chunk size (cut to what is
// left) and whose top bit coalesces the chunk into the previous datagram.
//
// Beyond "no crash, no sanitizer report", it traps when the contract breaks:
//   - state and error agree; Done and Error are final and stop counting datagrams;
//   - Done: the hello is a ClientHello message within the cap that parses on its own to the same
//     fields, the SNI is clean, version and DCID are those of a client's first Initial;
//   - feeding the same datagrams again gives the same verdict (no hidden state), and so does
//     feeding every datagram twice in a row (UDP duplication changes nothing);
//   - the one-datagram helper agrees with the assembler on the first datagram.
#include <openssl/evp.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/inspect/quic_initial.h"

namespace {

using namespace tollgate::inspect;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

const std::string kDcid = "\x83\x94\xc8\xf0\x3e\x51\x57\x08";  // RFC 9001 Appendix A

// Protects `payload` as the client Initial with packet number `pn` (RFC 9001 §5.3, §5.4),
// padded to 1200 bytes when `pad`. One-byte packet numbers, a two-byte length field.
std::string seal(uint32_t version, uint64_t pn, std::string payload, bool pad) {
  static QuicInitialKeys keys[2];
  static const bool derived = deriveClientInitialKeys(kQuicVersion1, kDcid, keys[0]) &&
                              deriveClientInitialKeys(kQuicVersion2, kDcid, keys[1]);
  check(derived);
  const QuicInitialKeys& k = keys[version == kQuicVersion2 ? 1 : 0];
  std::string header(1, static_cast<char>(version == kQuicVersion2 ? 0xd0 : 0xc0));
  for (int shift = 24; shift >= 0; shift -= 8) header += static_cast<char>(version >> shift);
  header += static_cast<char>(kDcid.size()) + kDcid + '\0' + '\0';  // DCID, no SCID, no token
  payload.resize(std::min<size_t>(payload.size(), 16000));
  const size_t fixed = header.size() + 2 + 1 + 16;
  if (pad && fixed + payload.size() < 1200) payload.resize(1200 - fixed, 0);
  if (payload.size() < 3) payload.resize(3, 0);  // header protection samples 16 bytes
  const size_t length = 1 + payload.size() + 16;
  header += static_cast<char>(0x40 | length >> 8);
  header += static_cast<char>(length & 0xff);
  header += static_cast<char>(pn);

  unsigned char nonce[12], mask[16];
  std::copy(k.iv.begin(), k.iv.end(), nonce);
  for (size_t i = 0; i < 8; ++i) nonce[11 - i] ^= static_cast<unsigned char>(pn >> (8 * i));
  std::string packet = header + payload + std::string(16, '\0');
  auto* b = reinterpret_cast<unsigned char*>(packet.data());
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int n = 0;
  EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), nullptr, k.key.data(), nonce);
  EVP_EncryptUpdate(ctx, nullptr, &n, b, header.size());
  EVP_EncryptUpdate(ctx, b + header.size(), &n, b + header.size(), payload.size());
  EVP_EncryptFinal_ex(ctx, nonce, &n);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, b + header.size() + payload.size());
  const size_t pnOffset = header.size() - 1;
  EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), nullptr, k.hp.data(), nullptr);
  EVP_EncryptUpdate(ctx, mask, &n, b + pnOffset + 4, 16);
  EVP_CIPHER_CTX_free(ctx);
  b[0] ^= mask[0] & 0x0f;
  b[pnOffset] ^= mask[1];
  return packet;
}

std::vector<std::string> datagramsFrom(std::string_view in) {
  std::vector<std::string> out;
  if (in.empty()) return out;
  const auto mode = static_cast<uint8_t>(in[0]);
  const bool sealed = mode & 1;
  const uint32_t version = mode & 2 ? kQuicVersion2 : kQuicVersion1;
  uint64_t pn = 0;
  for (size_t pos = 1; pos + 2 <= in.size() && out.size() < 16;) {
    const unsigned head = static_cast<uint8_t>(in[pos]) << 8 | static_cast<uint8_t>(in[pos + 1]);
    pos += 2;
    const std::string_view chunk = in.substr(pos, head & 0x7fff);
    pos += chunk.size();
    const bool coalesce = (head & 0x8000) != 0 && !out.empty();
    // A coalesced Initial pads nothing: the datagram it joins already has 1200 bytes or more.
    std::string bytes =
        sealed ? seal(version, pn++, std::string(chunk), !coalesce) : std::string(chunk);
    if (coalesce) {
      out.back() += bytes;
    } else {
      out.push_back(std::move(bytes));
    }
  }
  return out;
}

struct Outcome {
  ParseState state;
  QuicError err;
  QuicInitialInfo info;
  std::string hello;
};

bool same(const Outcome& a, const Outcome& b) {
  if (a.state != b.state || a.err != b.err) return false;
  return a.state != ParseState::Done ||
         (a.hello == b.hello && a.info.version == b.info.version &&
          a.info.dcid.view() == b.info.dcid.view() && a.info.hello.sni == b.info.hello.sni &&
          a.info.hello.alpn == b.info.hello.alpn && a.info.hello.hasEch == b.info.hello.hasEch);
}

void checkDone(const QuicInitialAssembler& a) {
  const QuicInitialInfo& info = a.info();
  const std::string_view hello = a.clientHello();
  check(!hello.empty() && hello.size() == info.hello.bytesUsed);
  check(hello.size() <= QuicLimits{}.maxCryptoBytes && hello[0] == 1);
  check(info.version == kQuicVersion1 || info.version == kQuicVersion2);
  check(info.dcid.size >= 8 && info.dcid.size <= 20 && info.scid.size <= 20);
  check(a.stats().initialPackets >= 1 && info.hello.recordVersion == 0);
  ClientHelloInfo again;
  TlsError err;
  check(parseClientHelloMessage(hello, TlsLimits{QuicLimits{}.maxCryptoBytes}, again, err) ==
        ParseState::Done);
  check(again.sni == info.hello.sni && again.alpn == info.hello.alpn &&
        again.hasEch == info.hello.hasEch && again.bytesUsed == hello.size());
  check(info.hello.sni.size() <= 255);
  for (char c : info.hello.sni) {
    const auto u = static_cast<unsigned char>(c);
    check(u >= 0x20 && u != 0x7f && !(u >= 'A' && u <= 'Z'));
  }
}

Outcome run(const std::vector<std::string>& datagrams, size_t copies) {
  QuicInitialAssembler a;
  for (const std::string& d : datagrams) {
    for (size_t i = 0; i < copies; ++i) {
      const ParseState before = a.state();
      const uint64_t counted = a.stats().datagrams;
      const ParseState s = a.feed(d);
      check(s == a.state());
      check((s == ParseState::Error) == (a.error() != QuicError::None));
      if (before != ParseState::NeedMore) check(s == before && a.stats().datagrams == counted);
    }
  }
  if (a.state() == ParseState::Done) checkDone(a);
  return {a.state(), a.error(), a.info(), std::string(a.clientHello())};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string> datagrams = datagramsFrom(in);

  const Outcome once = run(datagrams, 1);
  check(same(once, run(datagrams, 1)));
  check(same(once, run(datagrams, 2)));

  if (!datagrams.empty()) {
    Outcome first{};
    first.state = parseQuicInitial(datagrams[0], {}, first.info, first.err);
    QuicInitialAssembler a;
    a.feed(datagrams[0]);
    check(first.state == a.state() && first.err == a.error());
  }
  return 0;
}
