#pragma once
// Who a captive-portal client is: its Ethernet MAC (the identity a session is bound to) and the
// IPv4/IPv6 addresses seen for that MAC. A new DHCP lease or an IPv6 privacy address is one more
// address of the same client, never a new client.
//
// Two spellings of each: canonical text ("02:00:00:00:00:01", "2001:db8::7") is what the
// session database stores and tollgatectl prints; the binary forms are what the data plane
// hashes. The MAC layout is the same std::array as nf::MacAddress, so a neighbour-table lookup
// result is a key here without conversion (and without captive/ including nf/).
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tollgate::captive {

using MacAddress = std::array<uint8_t, 6>;

// "02:00:00:00:00:01" or "02-00-00-00-00-01", any case: exactly six two-digit groups, so an
// IPv6 address can never be taken for a MAC. Multicast MACs (group bit set) are refused: no
// client sends from one, and accepting them would let a typo bind a session to a broadcast.
std::optional<MacAddress> parseMac(std::string_view text);
std::string formatMac(const MacAddress& mac);  // lower case, colons
// parseMac + formatMac: the one spelling stored and compared.
std::optional<std::string> canonicalMac(std::string_view text);

struct IpAddress {
  uint8_t family = AF_INET;         // AF_INET or AF_INET6
  std::array<uint8_t, 16> bytes{};  // IPv4 in the first four bytes, the rest zero
  bool operator==(const IpAddress&) const = default;
};

// An address that can identify one LAN client. ::ffff:a.b.c.d (what a dual-stack socket
// reports for an IPv4 peer) becomes IPv4. Refused: unspecified, loopback, multicast, IPv4
// limited broadcast, and IPv6 link-local, which is unique only per interface (fe80::1 on two
// LANs are two hosts) and never the source of forwarded traffic anyway.
std::optional<IpAddress> parseClientAddress(std::string_view text);
std::optional<IpAddress> clientAddressFrom(const sockaddr* address);
std::string formatAddress(const IpAddress& address);  // inet_ntop's form
std::optional<std::string> canonicalAddress(std::string_view text);

struct MacAddressHash {
  size_t operator()(const MacAddress& mac) const noexcept;
};
struct IpAddressHash {
  size_t operator()(const IpAddress& address) const noexcept;
};

}  // namespace tollgate::captive
