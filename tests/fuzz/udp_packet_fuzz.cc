// libFuzzer target for the IP/UDP reader of queued packets (daemon/inspect/udp_packet.h).
// Beyond "no crash, no sanitizer report", it traps when the contract breaks:
//   - None: the payload lies inside the input, ports and family are set, and `cut` says
//     whether the UDP length reaches past the input;
//   - a prefix never yields None unless the whole does too, with the same ports.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <sys/socket.h>

#include "daemon/inspect/udp_packet.h"

using tollgate::inspect::parseUdpPacket;
using tollgate::inspect::UdpPacket;
using tollgate::inspect::UdpPacketError;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  UdpPacket whole;
  const UdpPacketError e = parseUdpPacket(input, whole);
  if (e == UdpPacketError::None) {
    if (whole.family != AF_INET && whole.family != AF_INET6) __builtin_trap();
    if (whole.payload.data() < input.data() ||
        whole.payload.data() + whole.payload.size() > input.data() + input.size())
      __builtin_trap();
    if (whole.cut && whole.payload.data() + whole.payload.size() != input.data() + input.size())
      __builtin_trap();
  }
  for (size_t n : {size / 2, size > 0 ? size - 1 : 0}) {
    UdpPacket part;
    if (parseUdpPacket(input.substr(0, n), part) != UdpPacketError::None) continue;
    if (e != UdpPacketError::None || part.srcPort != whole.srcPort || part.dstPort != whole.dstPort)
      __builtin_trap();
  }
  return 0;
}
