#pragma once
// Addresses as configuration names them: CIDR prefixes (v4 and v6) and Ethernet MACs. Used to
// select a client's group and for [filter] never_block destinations.
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tollgate::filters {

using MacAddress = std::array<uint8_t, 6>;

struct Cidr {
  int family = AF_INET;          // AF_INET or AF_INET6
  std::array<uint8_t, 16> bytes{};  // network address, host bits zero
  int prefixLength = 32;

  // Does `address` fall inside? IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, what a dual-stack
  // socket reports for a v4 client) are compared as IPv4. A null address never matches.
  bool contains(const sockaddr_storage* address) const;
};

// "10.0.0.0/24", "10.0.0.7" (= /32), "fd00::/64", "fd00::1" (= /128). Host bits set below the
// prefix ("10.0.0.5/24") are refused: that is usually a typo for a single host, and silently
// widening it to the network would put other clients in the wrong group.
// Returns nullopt and sets `why` on error.
std::optional<Cidr> parseCidr(std::string_view text, std::string& why);

// "02:00:00:00:00:01" or "02-00-00-00-00-01", any case. Exactly six two-digit groups, so no
// IPv6 address can be mistaken for a MAC (a six-group IPv6 address needs "::").
std::optional<MacAddress> parseMac(std::string_view text);

std::string formatMac(const MacAddress& mac);

// "10.0.0.7" / "fd00::1" for explanations; "-" for null.
std::string formatAddress(const sockaddr_storage* address);

}  // namespace tollgate::filters
