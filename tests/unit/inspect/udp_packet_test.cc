// Unit tests of the IP/UDP reader the packet inspector runs on queued packets.
#include "daemon/inspect/udp_packet.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <string>

namespace tollgate::inspect {
namespace {

std::string u8(unsigned v) { return std::string(1, static_cast<char>(v & 0xff)); }
std::string u16(unsigned v) { return u8(v >> 8) + u8(v); }

std::string udp(uint16_t sport, uint16_t dport, const std::string& payload, int lengthDelta = 0) {
  return u16(sport) + u16(dport) + u16(8 + payload.size() + lengthDelta) + u16(0) + payload;
}

std::string ipv4(const std::string& body, uint8_t proto = 17, uint16_t fragment = 0,
                 const std::string& options = "") {
  const size_t header = 20 + options.size();
  return u8(0x40 | header / 4) + u8(0) + u16(header + body.size()) + u16(1) + u16(fragment) +
         u8(64) + u8(proto) + u16(0) + u8(10) + u8(0) + u8(0) + u8(2) + u8(10) + u8(0) + u8(1) +
         u8(7) + options + body;
}

std::string ipv6(const std::string& body, uint8_t next = 17) {
  std::string src(16, '\0'), dst(16, '\0');
  src[0] = '\xfd', src[15] = 2, dst[0] = '\xfd', dst[15] = 3;
  return u8(0x60) + u8(0) + u16(0) + u16(body.size()) + u8(next) + u8(64) + src + dst + body;
}

TEST(UdpPacket, ReadsIpv4AddressesPortsAndPayload) {
  UdpPacket p;
  ASSERT_EQ(parseUdpPacket(ipv4(udp(40001, 443, "hello")), p), UdpPacketError::None);
  EXPECT_EQ(p.family, AF_INET);
  EXPECT_EQ(p.src[0], 10);
  EXPECT_EQ(p.src[3], 2);
  EXPECT_EQ(p.dst[3], 7);
  EXPECT_EQ(p.srcPort, 40001);
  EXPECT_EQ(p.dstPort, 443);
  EXPECT_EQ(p.payload, "hello");
  EXPECT_FALSE(p.cut);
}

TEST(UdpPacket, SkipsIpv4Options) {
  UdpPacket p;
  ASSERT_EQ(parseUdpPacket(ipv4(udp(1, 443, "x"), 17, 0, std::string(8, '\1')), p),
            UdpPacketError::None);
  EXPECT_EQ(p.payload, "x");
}

TEST(UdpPacket, Ipv4FragmentsAreNotDatagrams) {
  UdpPacket p;
  EXPECT_EQ(parseUdpPacket(ipv4(udp(1, 443, "x"), 17, 0x2000), p), UdpPacketError::Fragment);
  EXPECT_EQ(parseUdpPacket(ipv4(udp(1, 443, "x"), 17, 0x0010), p), UdpPacketError::Fragment);
  EXPECT_EQ(parseUdpPacket(ipv4(udp(1, 443, "x"), 17, 0x4000), p), UdpPacketError::None);  // DF
}

TEST(UdpPacket, OtherProtocolsAndVersions) {
  UdpPacket p;
  EXPECT_EQ(parseUdpPacket(ipv4(udp(1, 443, "x"), 6), p), UdpPacketError::NotUdp);
  EXPECT_EQ(parseUdpPacket(std::string("\x50") + std::string(40, '\0'), p), UdpPacketError::NotIp);
  EXPECT_EQ(parseUdpPacket("", p), UdpPacketError::Truncated);
}

TEST(UdpPacket, CutPacketKeepsWhatIsThere) {
  std::string whole = ipv4(udp(1, 443, std::string(100, 'q')));
  UdpPacket p;
  ASSERT_EQ(parseUdpPacket(whole.substr(0, 60), p), UdpPacketError::None);
  EXPECT_TRUE(p.cut);
  EXPECT_EQ(p.payload.size(), 60u - 28u);
  EXPECT_EQ(parseUdpPacket(whole.substr(0, 24), p), UdpPacketError::Truncated);
}

TEST(UdpPacket, LengthsThatContradictEachOtherAreMalformed) {
  UdpPacket p;
  EXPECT_EQ(parseUdpPacket(ipv4(udp(1, 443, "abc", 5)), p), UdpPacketError::Malformed);
  EXPECT_EQ(parseUdpPacket(ipv4(udp(1, 443, "abc", -4)), p), UdpPacketError::Malformed);
  std::string badIhl = ipv4(udp(1, 443, "abc"));
  badIhl[0] = 0x44;
  EXPECT_EQ(parseUdpPacket(badIhl, p), UdpPacketError::Malformed);
}

TEST(UdpPacket, ReadsIpv6) {
  UdpPacket p;
  ASSERT_EQ(parseUdpPacket(ipv6(udp(5555, 443, "six")), p), UdpPacketError::None);
  EXPECT_EQ(p.family, AF_INET6);
  EXPECT_EQ(p.src[0], 0xfd);
  EXPECT_EQ(p.dst[15], 3);
  EXPECT_EQ(p.srcPort, 5555);
  EXPECT_EQ(p.payload, "six");
}

TEST(UdpPacket, WalksIpv6ExtensionHeaders) {
  // hop-by-hop (8 bytes) -> destination options (16 bytes) -> UDP
  std::string dest = u8(17) + u8(1) + std::string(14, '\0');
  std::string hop = u8(60) + u8(0) + std::string(6, '\0');
  UdpPacket p;
  ASSERT_EQ(parseUdpPacket(ipv6(hop + dest + udp(1, 443, "ext"), 0), p), UdpPacketError::None);
  EXPECT_EQ(p.payload, "ext");
  // an atomic fragment (offset 0, M clear) is whole; a first fragment is not
  std::string atomic = u8(17) + u8(0) + u16(0) + std::string(4, '\0');
  ASSERT_EQ(parseUdpPacket(ipv6(atomic + udp(1, 443, "a"), 44), p), UdpPacketError::None);
  std::string first = u8(17) + u8(0) + u16(1) + std::string(4, '\0');
  EXPECT_EQ(parseUdpPacket(ipv6(first + udp(1, 443, "a"), 44), p), UdpPacketError::Fragment);
  EXPECT_EQ(parseUdpPacket(ipv6(udp(1, 443, "t"), 6), p), UdpPacketError::NotUdp);
}

TEST(UdpPacket, EndlessExtensionChainIsMalformed) {
  std::string chain;
  for (int i = 0; i < 12; ++i) chain += u8(60) + u8(0) + std::string(6, '\0');
  UdpPacket p;
  EXPECT_EQ(parseUdpPacket(ipv6(chain + udp(1, 443, "x"), 60), p), UdpPacketError::Malformed);
}

TEST(UdpPacket, EveryPrefixIsHandledWithoutReadingPastIt) {
  const std::string whole = ipv6(u8(17) + u8(0) + u16(0) + std::string(4, '\0') + udp(1, 443, "abcdef"), 44);
  for (size_t n = 0; n <= whole.size(); ++n) {
    std::string prefix = whole.substr(0, n);  // its own allocation: ASan sees an overread
    UdpPacket p;
    UdpPacketError e = parseUdpPacket(prefix, p);
    if (n < 56) {
      EXPECT_EQ(e, UdpPacketError::Truncated) << n;
    } else {
      EXPECT_EQ(e, UdpPacketError::None) << n;
      EXPECT_EQ(p.cut, n < whole.size()) << n;
    }
  }
}

}  // namespace
}  // namespace tollgate::inspect
