#include "daemon/net/sockets.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tollgate::net {

namespace {
std::string sysError(const std::string& what) { return what + ": " + std::strerror(errno); }
}  // namespace

socklen_t sockaddrLength(const sockaddr_storage& ss) {
  return ss.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

void unmapV4(sockaddr_storage& ss) {
  if (ss.ss_family != AF_INET6) return;
  auto in6 = reinterpret_cast<sockaddr_in6&>(ss);
  if (!IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr)) return;
  sockaddr_in in4{};
  in4.sin_family = AF_INET;
  in4.sin_port = in6.sin6_port;
  std::memcpy(&in4.sin_addr, &in6.sin6_addr.s6_addr[12], 4);
  std::memset(&ss, 0, sizeof ss);
  std::memcpy(&ss, &in4, sizeof in4);
}

bool sameAddress(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET)
    return reinterpret_cast<const sockaddr_in&>(a).sin_addr.s_addr ==
           reinterpret_cast<const sockaddr_in&>(b).sin_addr.s_addr;
  return std::memcmp(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr,
                     &reinterpret_cast<const sockaddr_in6&>(b).sin6_addr, 16) == 0;
}

std::string formatEndpoint(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (ss.ss_family == AF_INET) {
    auto& in = reinterpret_cast<const sockaddr_in&>(ss);
    inet_ntop(AF_INET, &in.sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(ntohs(in.sin_port));
  }
  auto& in6 = reinterpret_cast<const sockaddr_in6&>(ss);
  inet_ntop(AF_INET6, &in6.sin6_addr, buf, sizeof buf);
  return "[" + std::string(buf) + "]:" + std::to_string(ntohs(in6.sin6_port));
}

int openListener(int family, uint16_t port, bool transparent, std::string& error) {
  std::string where = std::string(family == AF_INET6 ? "[::]:" : "0.0.0.0:") + std::to_string(port);
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = sysError("socket(" + where + ")");
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
    error = sysError("setsockopt(SO_REUSEPORT, " + where + ")");
    close(fd);
    return -1;
  }
  if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (transparent) {
    int rc = family == AF_INET6 ? setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof one)
                                : setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof one);
    if (rc < 0) {
      error = sysError("setsockopt(IP_TRANSPARENT, " + where + ") (needs CAP_NET_ADMIN)");
      close(fd);
      return -1;
    }
  }
  sockaddr_storage ss{};
  if (family == AF_INET6) {
    auto& in6 = reinterpret_cast<sockaddr_in6&>(ss);
    in6.sin6_family = AF_INET6;
    in6.sin6_addr = in6addr_any;
    in6.sin6_port = htons(port);
  } else {
    auto& in = reinterpret_cast<sockaddr_in&>(ss);
    in.sin_family = AF_INET;
    in.sin_addr.s_addr = htonl(INADDR_ANY);
    in.sin_port = htons(port);
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), sockaddrLength(ss)) < 0) {
    error = sysError("bind(" + where + ")");
    close(fd);
    return -1;
  }
  if (listen(fd, 4096) < 0) {
    error = sysError("listen(" + where + ")");
    close(fd);
    return -1;
  }
  return fd;
}

bool originalDestination(int fd, bool redirectMode, sockaddr_storage& out) {
  socklen_t len = sizeof out;
  if (!redirectMode) {
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&out), &len) < 0) return false;
    unmapV4(out);
    return true;
  }
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&out), &len) < 0) return false;
  len = sizeof out;
  if (out.ss_family == AF_INET6)
    return getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &out, &len) == 0;
  return getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &out, &len) == 0;
}

int startConnect(const sockaddr_storage& dst, uint32_t mark, const sockaddr_storage* source, int& err) {
  int fd = socket(dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    err = errno;
    return -1;
  }
  if (mark != 0) setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (source) {
    int rc = dst.ss_family == AF_INET6 ? setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof one)
                                       : setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof one);
    sockaddr_storage src = *source;
    // Let the kernel pick the source port: reusing the client's port collides (EADDRINUSE)
    // whenever the client reconnects quickly.
    if (src.ss_family == AF_INET) reinterpret_cast<sockaddr_in&>(src).sin_port = 0;
    else reinterpret_cast<sockaddr_in6&>(src).sin6_port = 0;
    if (rc < 0 || bind(fd, reinterpret_cast<sockaddr*>(&src), sockaddrLength(src)) < 0) {
      err = errno;
      close(fd);
      return -1;
    }
  }
  if (connect(fd, reinterpret_cast<const sockaddr*>(&dst), sockaddrLength(dst)) < 0 && errno != EINPROGRESS) {
    err = errno;
    close(fd);
    return -1;
  }
  err = 0;
  return fd;
}

}  // namespace tollgate::net
