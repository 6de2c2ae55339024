#include "captive/client_id.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace tollgate::captive {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool isV4Mapped(const uint8_t* b) {
  static constexpr uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(b, kPrefix, sizeof kPrefix) == 0;
}

// Applies the refusals listed in the header to an address already in binary form.
std::optional<IpAddress> checked(IpAddress a) {
  if (a.family == AF_INET6 && isV4Mapped(a.bytes.data())) {
    IpAddress v4;
    std::memcpy(v4.bytes.data(), a.bytes.data() + 12, 4);
    a = v4;
  }
  const uint8_t* b = a.bytes.data();
  if (a.family == AF_INET) {
    const bool unspecified = b[0] == 0;  // 0.0.0.0/8: "this network", never a source we serve
    const bool loopback = b[0] == 127;
    const bool multicast = (b[0] & 0xf0) == 0xe0;
    const bool broadcast = b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255;
    if (unspecified || loopback || multicast || broadcast) return std::nullopt;
    return a;
  }
  static constexpr uint8_t kZero[16] = {};
  static constexpr uint8_t kLoopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  const bool unspecified = std::memcmp(b, kZero, 16) == 0;
  const bool loopback = std::memcmp(b, kLoopback, 16) == 0;
  const bool multicast = b[0] == 0xff;
  const bool linkLocal = b[0] == 0xfe && (b[1] & 0xc0) == 0x80;
  if (unspecified || loopback || multicast || linkLocal) return std::nullopt;
  return a;
}

}  // namespace

std::optional<MacAddress> parseMac(std::string_view text) {
  // "xx:xx:xx:xx:xx:xx" is 17 characters; one separator style throughout.
  if (text.size() != 17) return std::nullopt;
  const char sep = text[2];
  if (sep != ':' && sep != '-') return std::nullopt;
  MacAddress mac{};
  for (size_t i = 0; i < 6; ++i) {
    const size_t at = i * 3;
    if (i > 0 && text[at - 1] != sep) return std::nullopt;
    const int hi = hexValue(text[at]);
    const int lo = hexValue(text[at + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    mac[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  if (mac[0] & 0x01) return std::nullopt;  // group (multicast/broadcast) bit
  return mac;
}

std::string formatMac(const MacAddress& mac) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(17);
  for (size_t i = 0; i < mac.size(); ++i) {
    if (i > 0) out += ':';
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0x0f];
  }
  return out;
}

std::optional<std::string> canonicalMac(std::string_view text) {
  auto mac = parseMac(text);
  if (!mac) return std::nullopt;
  return formatMac(*mac);
}

std::optional<IpAddress> parseClientAddress(std::string_view text) {
  // inet_pton needs a terminated string; anything longer than the longest textual IPv6
  // address (with an embedded IPv4 part) is not an address.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress a;
  if (inet_pton(AF_INET, buf, a.bytes.data()) == 1) {
    a.family = AF_INET;
    return checked(a);
  }
  if (inet_pton(AF_INET6, buf, a.bytes.data()) == 1) {
    a.family = AF_INET6;
    return checked(a);
  }
  return std::nullopt;
}

std::optional<IpAddress> clientAddressFrom(const sockaddr* address) {
  if (address == nullptr) return std::nullopt;
  IpAddress a;
  if (address->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(address);
    a.family = AF_INET;
    std::memcpy(a.bytes.data(), &in->sin_addr, 4);
    return checked(a);
  }
  if (address->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    a.family = AF_INET6;
    std::memcpy(a.bytes.data(), &in6->sin6_addr, 16);
    return checked(a);
  }
  return std::nullopt;
}

std::string formatAddress(const IpAddress& address) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(address.family, address.bytes.data(), buf, sizeof buf);
  return buf;
}

std::optional<std::string> canonicalAddress(std::string_view text) {
  auto a = parseClientAddress(text);
  if (!a) return std::nullopt;
  return formatAddress(*a);
}

size_t MacAddressHash::operator()(const MacAddress& mac) const noexcept {
  uint64_t v = 0;
  std::memcpy(&v, mac.data(), mac.size());
  return static_cast<size_t>(v * 0x9e3779b97f4a7c15ull >> 16);
}

size_t IpAddressHash::operator()(const IpAddress& address) const noexcept {
  uint64_t hi = 0, lo = 0;
  std::memcpy(&hi, address.bytes.data(), 8);
  std::memcpy(&lo, address.bytes.data() + 8, 8);
  // Multiply-xorshift: IPv6 clients on one /64 differ only in the low half, IPv4 clients only
  // in the first four bytes, so both halves must reach every output bit.
  uint64_t h = (hi ^ address.family) * 0x9e3779b97f4a7c15ull;
  h ^= lo + 0x7f4a7c159e3779b9ull + (h << 6) + (h >> 2);
  h *= 0xbf58476d1ce4e5b9ull;
  return static_cast<size_t>(h ^ (h >> 31));
}

}  // namespace tollgate::captive
