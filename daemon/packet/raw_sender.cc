#include "daemon/packet/raw_sender.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tollgate::packet {

RawSender::RawSender() {
  v4_ = ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
  if (v4_ < 0) v4Errno_ = errno;
  v6_ = ::socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
  if (v6_ < 0) v6Errno_ = errno;
}

RawSender::~RawSender() {
  if (v4_ >= 0) ::close(v4_);
  if (v6_ >= 0) ::close(v6_);
}

bool RawSender::send(const std::vector<uint8_t>& packet, std::string* error) {
  if (packet.empty()) {
    *error = "empty packet";
    return false;
  }
  const int version = packet[0] >> 4;
  ssize_t n = -1;
  if (version == 4 && packet.size() >= 20) {
    if (v4_ < 0) {
      *error = std::string("raw IPv4 socket: ") + std::strerror(v4Errno_);
      return false;
    }
    sockaddr_in to{};
    to.sin_family = AF_INET;
    std::memcpy(&to.sin_addr, packet.data() + 16, 4);
    n = ::sendto(v4_, packet.data(), packet.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&to), sizeof to);
  } else if (version == 6 && packet.size() >= 40) {
    if (v6_ < 0) {
      *error = std::string("raw IPv6 socket: ") + std::strerror(v6Errno_);
      return false;
    }
    sockaddr_in6 to{};
    to.sin6_family = AF_INET6;
    std::memcpy(&to.sin6_addr, packet.data() + 24, 16);
    n = ::sendto(v6_, packet.data(), packet.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&to), sizeof to);
  } else {
    *error = "not an IPv4 or IPv6 packet";
    return false;
  }
  if (n == static_cast<ssize_t>(packet.size())) return true;
  *error = std::string("sendto: ") + (n < 0 ? std::strerror(errno) : "short write");
  return false;
}

}  // namespace tollgate::packet
