#pragma once
// Socket set-up for the data plane. Errors are returned as text naming the failing call and its
// argument (Redis anet.c), for start-up messages an admin can act on.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace tollgate::net {

// A non-blocking SO_REUSEPORT listener on the wildcard address of `family` (AF_INET/AF_INET6,
// the latter v6-only). `transparent` sets IP_TRANSPARENT/IPV6_TRANSPARENT so TPROXY may hand it
// connections addressed to any destination. Returns the fd, or -1 with `error` set.
int openListener(int family, uint16_t port, bool transparent, std::string& error);

// Under TPROXY the accepted socket's local address *is* the client's original destination
// (HAProxy sock_inet.c); under REDIRECT/DNAT the kernel rewrote it, and SO_ORIGINAL_DST /
// IP6T_SO_ORIGINAL_DST read conntrack's record of the original. Returns false when unknown.
bool originalDestination(int fd, bool redirectMode, sockaddr_storage& out);

// Starts a non-blocking connect to `dst` with SO_MARK = mark (so the ruleset never intercepts
// the daemon's own traffic). With `source` set, binds to it first with IP_TRANSPARENT (full
// transparency). Returns the fd (connect in progress or done) or -1 with errno-style `err`.
int startConnect(const sockaddr_storage& dst, uint32_t mark, const sockaddr_storage* source, int& err);

socklen_t sockaddrLength(const sockaddr_storage& ss);
bool sameAddress(const sockaddr_storage& a, const sockaddr_storage& b);  // address only, no port
std::string formatEndpoint(const sockaddr_storage& ss);                  // "1.2.3.4:80", "[::1]:80"
// Normalises a v4-mapped v6 address (::ffff:1.2.3.4) to plain AF_INET.
void unmapV4(sockaddr_storage& ss);

}  // namespace tollgate::net
