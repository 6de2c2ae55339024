#pragma once
// The IP and UDP headers of a packet the kernel queued to user space (NFQUEUE hands over the
// packet from its network header on). Pure and bounded: every length is checked against what
// is there; nothing is allocated.
//
//   IPv4 (RFC 791)                              IPv6 (RFC 8200)
//   0      4      8             16      31      0      4             12             31
//   |ver=4 | IHL  |  ...        | total length  |ver=6 | traffic class | flow label   |
//   | ...                 | flags+frag offset   | payload length | next hdr | hop lim |
//   | TTL  | protocol=17  | checksum            | source address (16 bytes)           |
//   | source address                            | destination address (16 bytes)      |
//   | destination address                       | extension headers (hop-by-hop 0,    |
//   | options (IHL*4 - 20 bytes)                |   routing 43, fragment 44, dest 60) |
//   UDP (RFC 768): source port | destination port | length | checksum | payload
//
// Fragments: conntrack reassembles before the hooks that queue, so a fragment here is unusual;
// a non-first fragment has no UDP header and is reported as such.
#include <array>
#include <cstdint>
#include <string_view>

namespace tollgate::inspect {

enum class UdpPacketError {
  None,
  Truncated,  // a header runs past the bytes given
  NotIp,      // neither version 4 nor 6
  NotUdp,     // another transport protocol (after IPv6 extension headers)
  Fragment,   // a fragment other than a whole first one: no complete UDP datagram
  Malformed,  // IHL under 5, lengths that contradict each other, too many extension headers
};
const char* toString(UdpPacketError e);

struct UdpPacket {
  int family = 0;                 // AF_INET or AF_INET6
  std::array<uint8_t, 16> src{};  // network order; IPv4 uses the first 4 bytes
  std::array<uint8_t, 16> dst{};
  uint16_t srcPort = 0;
  uint16_t dstPort = 0;
  // The UDP payload. Shorter than the UDP length field says when the packet was cut (the
  // queue's copy range); `cut` tells.
  std::string_view payload;
  bool cut = false;
};

// Reads `packet` (from the IP header on). `out` is meaningful only on None.
UdpPacketError parseUdpPacket(std::string_view packet, UdpPacket& out);

}  // namespace tollgate::inspect
