#pragma once
// Sends whole IP packets the inspector forged (DNS answers) back to a LAN client: raw sockets
// with the IP header included (IPPROTO_RAW: IP_HDRINCL for IPv4, the header is ours for IPv6),
// so the answer carries the address of the resolver the client asked. Needs CAP_NET_RAW, which
// tollgated keeps. One instance per inspector thread: sendto() on a raw socket never blocks for
// long (it drops when the device queue is full) and needs no lock.
#include <cstdint>
#include <string>
#include <vector>

namespace tollgate::packet {

class RawSender {
 public:
  RawSender();  // opens both sockets; a family that fails is reported by send()
  ~RawSender();
  RawSender(const RawSender&) = delete;
  RawSender& operator=(const RawSender&) = delete;

  // The packet's own header says where it goes. False (and `error` set) if it could not be
  // handed to the kernel.
  bool send(const std::vector<uint8_t>& packet, std::string* error);

 private:
  int v4_ = -1;
  int v6_ = -1;
  int v4Errno_ = 0;
  int v6Errno_ = 0;
};

}  // namespace tollgate::packet
