#include "filters/address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cctype>
#include <cstring>

namespace tollgate::filters {

namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// The bytes to compare against a prefix of `family`, with v4-mapped v6 folded to v4.
bool addressBytes(const sockaddr_storage* address, int family, const uint8_t** out) {
  if (address == nullptr) return false;
  if (address->ss_family == AF_INET) {
    if (family != AF_INET) return false;
    *out = reinterpret_cast<const uint8_t*>(
        &reinterpret_cast<const sockaddr_in*>(address)->sin_addr);
    return true;
  }
  if (address->ss_family != AF_INET6) return false;
  const auto* a6 = &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr;
  if (IN6_IS_ADDR_V4MAPPED(a6)) {
    if (family != AF_INET) return false;
    *out = reinterpret_cast<const uint8_t*>(a6) + 12;
    return true;
  }
  if (family != AF_INET6) return false;
  *out = reinterpret_cast<const uint8_t*>(a6);
  return true;
}

}  // namespace

bool Cidr::contains(const sockaddr_storage* address) const {
  const uint8_t* a = nullptr;
  if (!addressBytes(address, family, &a)) return false;
  int full = prefixLength / 8;
  if (std::memcmp(a, bytes.data(), full) != 0) return false;
  int rest = prefixLength % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[full] & mask) == bytes[full];
}

std::optional<Cidr> parseCidr(std::string_view text, std::string& why) {
  std::string addr(text.substr(0, text.find('/')));
  Cidr c;
  int maxLength = 32;
  if (inet_pton(AF_INET, addr.c_str(), c.bytes.data()) == 1) {
    c.family = AF_INET;
  } else if (inet_pton(AF_INET6, addr.c_str(), c.bytes.data()) == 1) {
    c.family = AF_INET6;
    maxLength = 128;
  } else {
    why = "'" + std::string(text) + "' is not an IP address or CIDR";
    return std::nullopt;
  }
  c.prefixLength = maxLength;
  size_t slash = text.find('/');
  if (slash != std::string_view::npos) {
    std::string_view len = text.substr(slash + 1);
    if (len.empty() || len.size() > 3) {
      why = "'" + std::string(text) + "': bad prefix length";
      return std::nullopt;
    }
    int n = 0;
    for (char ch : len) {
      if (!std::isdigit(static_cast<unsigned char>(ch))) {
        why = "'" + std::string(text) + "': bad prefix length";
        return std::nullopt;
      }
      n = n * 10 + (ch - '0');
    }
    if (n > maxLength) {
      why = "'" + std::string(text) + "': prefix length above " + std::to_string(maxLength);
      return std::nullopt;
    }
    c.prefixLength = n;
  }
  for (int bit = c.prefixLength; bit < maxLength; ++bit) {
    if (c.bytes[bit / 8] & (0x80 >> (bit % 8))) {
      why = "'" + std::string(text) + "': host bits set below /" +
            std::to_string(c.prefixLength);
      return std::nullopt;
    }
  }
  return c;
}

std::optional<MacAddress> parseMac(std::string_view text) {
  if (text.size() != 17) return std::nullopt;
  const char sep = text[2];
  if (sep != ':' && sep != '-') return std::nullopt;
  MacAddress mac{};
  for (int i = 0; i < 6; ++i) {
    int hi = hexValue(text[i * 3]);
    int lo = hexValue(text[i * 3 + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    if (i < 5 && text[i * 3 + 2] != sep) return std::nullopt;
    mac[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return mac;
}

std::string formatMac(const MacAddress& mac) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 6; ++i) {
    if (i) out += ':';
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 15];
  }
  return out;
}

std::string formatAddress(const sockaddr_storage* address) {
  if (address == nullptr) return "-";
  char buf[INET6_ADDRSTRLEN] = {};
  if (address->ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, buf,
              sizeof buf);
  } else if (address->ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, buf,
              sizeof buf);
  } else {
    return "?";
  }
  return buf;
}

}  // namespace tollgate::filters
