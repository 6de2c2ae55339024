#pragma once
// DNS queries as the packet inspector sees them (whole IPv4/IPv6 UDP packets from NFQUEUE),
// and the answers it forges for the names it blocks or rewrites. Parsing and crafting go
// through libtins; every libtins exception stays in here (malformed input is "not a query",
// and the packet is then accepted untouched), so callers never see one.
//
// Bounded: at most one question is accepted (what every client resolver sends), names at most
// 253 bytes; anything else is left alone rather than guessed at.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <sys/socket.h>

namespace tollgate::packet {

struct DnsQuery {
  uint16_t id = 0;
  std::string name;   // lower case, no trailing dot
  uint16_t type = 0;  // 1 A, 28 AAAA, 65 HTTPS, ...
  sockaddr_storage client{};  // source address and port of the query
  sockaddr_storage server{};  // its destination (the resolver it was sent to)
};

// nullopt: not a plain standard query with exactly one question (a response, an update, a
// malformed packet, not UDP): accept it untouched.
std::optional<DnsQuery> parseDnsQueryPacket(const uint8_t* packet, size_t length);

struct DnsAnswer {
  enum class Kind {
    NxDomain,   // RCODE 3: the name does not exist
    Addresses,  // NOERROR with A/AAAA records of `addresses` matching the query type (none if
                // no address of that family: NOERROR/NODATA)
    NoData,     // NOERROR, no records (HTTPS-record suppression)
  };
  Kind kind = Kind::NxDomain;
  std::vector<sockaddr_storage> addresses;  // AF_INET / AF_INET6, port ignored
  uint32_t ttl = 60;
};

// The whole IP packet answering `query` that the original `packet` carried: source and
// destination swapped (it appears to come from the resolver the client asked), same ID, the
// question echoed, RD copied, RA set. Empty if the packet cannot be re-parsed.
std::vector<uint8_t> buildDnsAnswerPacket(const uint8_t* packet, size_t length,
                                          const DnsAnswer& answer);

}  // namespace tollgate::packet
