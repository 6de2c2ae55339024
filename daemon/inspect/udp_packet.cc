#include "daemon/inspect/udp_packet.h"

#include <sys/socket.h>

#include <cstring>

namespace tollgate::inspect {
namespace {

constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kHopByHop = 0, kRouting = 43, kFragment = 44, kDestOptions = 60;
// A chain longer than this is not a real client's: RFC 8200 §4.1 expects each at most once
// (dest options twice).
constexpr int kMaxExtensionHeaders = 8;

uint8_t at(std::string_view s, size_t i) { return static_cast<uint8_t>(s[i]); }
uint16_t be16(std::string_view s, size_t i) { return static_cast<uint16_t>(at(s, i) << 8 | at(s, i + 1)); }

// The UDP header at `offset`; `ipEnd` is where the IP header says the packet ends, which may
// lie past the bytes given when the copy range cut it.
UdpPacketError readUdp(std::string_view packet, size_t offset, size_t ipEnd, UdpPacket& out) {
  if (offset + 8 > packet.size()) return UdpPacketError::Truncated;
  out.srcPort = be16(packet, offset);
  out.dstPort = be16(packet, offset + 2);
  const size_t udpLength = be16(packet, offset + 4);
  if (udpLength < 8 || offset + udpLength > ipEnd) return UdpPacketError::Malformed;
  const size_t end = offset + udpLength;
  out.cut = end > packet.size();
  out.payload = packet.substr(offset + 8, (out.cut ? packet.size() : end) - offset - 8);
  return UdpPacketError::None;
}

UdpPacketError parseV4(std::string_view packet, UdpPacket& out) {
  if (packet.size() < 20) return UdpPacketError::Truncated;
  const size_t headerLength = (at(packet, 0) & 0x0f) * 4u;
  const size_t totalLength = be16(packet, 2);
  if (headerLength < 20 || totalLength < headerLength) return UdpPacketError::Malformed;
  if (headerLength > packet.size()) return UdpPacketError::Truncated;
  // More-fragments set, or a fragment offset: not a whole datagram.
  if ((be16(packet, 6) & 0x3fff) != 0) return UdpPacketError::Fragment;
  if (at(packet, 9) != kProtoUdp) return UdpPacketError::NotUdp;
  out.family = AF_INET;
  std::memcpy(out.src.data(), packet.data() + 12, 4);
  std::memcpy(out.dst.data(), packet.data() + 16, 4);
  return readUdp(packet, headerLength, totalLength, out);
}

UdpPacketError parseV6(std::string_view packet, UdpPacket& out) {
  if (packet.size() < 40) return UdpPacketError::Truncated;
  // A payload length of 0 is a jumbogram (RFC 2675): never on a LAN, not handled.
  const size_t ipEnd = 40 + size_t{be16(packet, 4)};
  if (ipEnd == 40) return UdpPacketError::Malformed;
  out.family = AF_INET6;
  std::memcpy(out.src.data(), packet.data() + 8, 16);
  std::memcpy(out.dst.data(), packet.data() + 24, 16);
  uint8_t next = at(packet, 6);
  size_t offset = 40;
  for (int n = 0;; ++n) {
    if (next == kProtoUdp) return readUdp(packet, offset, ipEnd, out);
    if (next != kHopByHop && next != kRouting && next != kFragment && next != kDestOptions)
      return UdpPacketError::NotUdp;
    if (n == kMaxExtensionHeaders) return UdpPacketError::Malformed;
    if (offset + 8 > packet.size()) return UdpPacketError::Truncated;
    size_t length = 8;
    if (next == kFragment) {
      // Offset or M flag set: a piece of a datagram (an atomic fragment, RFC 6946, is whole).
      if ((be16(packet, offset + 2) & 0xfff9) != 0) return UdpPacketError::Fragment;
    } else {
      length = (size_t{at(packet, offset + 1)} + 1) * 8;
    }
    next = at(packet, offset);
    offset += length;
    if (offset > ipEnd) return UdpPacketError::Malformed;
  }
}

}  // namespace

const char* toString(UdpPacketError e) {
  switch (e) {
    case UdpPacketError::None: return "none";
    case UdpPacketError::Truncated: return "truncated";
    case UdpPacketError::NotIp: return "not_ip";
    case UdpPacketError::NotUdp: return "not_udp";
    case UdpPacketError::Fragment: return "fragment";
    case UdpPacketError::Malformed: return "malformed";
  }
  return "unknown";
}

UdpPacketError parseUdpPacket(std::string_view packet, UdpPacket& out) {
  out = UdpPacket{};
  if (packet.empty()) return UdpPacketError::Truncated;
  switch (at(packet, 0) >> 4) {
    case 4: return parseV4(packet, out);
    case 6: return parseV6(packet, out);
    default: return UdpPacketError::NotIp;
  }
}

}  // namespace tollgate::inspect
