#include "daemon/packet/dns_packet.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <tins/dns.h>
#include <tins/exceptions.h>
#include <tins/ip.h>
#include <tins/ipv6.h>
#include <tins/rawpdu.h>
#include <tins/udp.h>

namespace tollgate::packet {
namespace {

constexpr size_t kMaxName = 253;

void fill(sockaddr_storage& out, const Tins::IPv4Address& a, uint16_t port) {
  auto* sin = reinterpret_cast<sockaddr_in*>(&out);
  sin->sin_family = AF_INET;
  sin->sin_addr.s_addr = static_cast<uint32_t>(a);  // libtins keeps network order
  sin->sin_port = htons(port);
}

void fill(sockaddr_storage& out, const Tins::IPv6Address& a, uint16_t port) {
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out);
  sin6->sin6_family = AF_INET6;
  std::memcpy(&sin6->sin6_addr, a.begin(), 16);
  sin6->sin6_port = htons(port);
}

// The DNS message in a UDP payload; throws Tins exceptions on malformed bytes.
Tins::DNS dnsOf(const Tins::UDP& udp) {
  const auto* raw = udp.find_pdu<Tins::RawPDU>();
  if (raw == nullptr) throw Tins::malformed_packet();
  return Tins::DNS(raw->payload().data(), static_cast<uint32_t>(raw->payload().size()));
}

std::string canonicalName(std::string name) {
  if (!name.empty() && name.back() == '.') name.pop_back();
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::optional<DnsQuery> queryOf(const Tins::DNS& dns) {
  if (dns.type() != Tins::DNS::QUERY || dns.opcode() != 0 || dns.questions_count() != 1 ||
      dns.answers_count() != 0 || dns.authority_count() != 0)
    return std::nullopt;
  auto questions = dns.queries();
  if (questions.size() != 1) return std::nullopt;
  DnsQuery q;
  q.id = dns.id();
  q.name = canonicalName(questions[0].dname());
  q.type = static_cast<uint16_t>(questions[0].query_type());
  if (q.name.empty() || q.name.size() > kMaxName) return std::nullopt;
  return q;
}

Tins::DNS answerFor(const Tins::DNS& request, const DnsAnswer& answer) {
  Tins::DNS out;
  out.id(request.id());
  out.type(Tins::DNS::RESPONSE);
  out.recursion_desired(request.recursion_desired());
  out.recursion_available(1);
  const auto question = request.queries().at(0);
  out.add_query(question);
  switch (answer.kind) {
    case DnsAnswer::Kind::NxDomain: out.rcode(3); break;
    case DnsAnswer::Kind::NoData: out.rcode(0); break;
    case DnsAnswer::Kind::Addresses:
      out.rcode(0);
      for (const auto& a : answer.addresses) {
        char text[INET6_ADDRSTRLEN];
        if (a.ss_family == AF_INET && question.query_type() == Tins::DNS::A) {
          inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&a)->sin_addr, text, sizeof text);
          out.add_answer(Tins::DNS::resource(question.dname(), text, Tins::DNS::A, Tins::DNS::IN, answer.ttl));
        } else if (a.ss_family == AF_INET6 && question.query_type() == Tins::DNS::AAAA) {
          inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&a)->sin6_addr, text, sizeof text);
          out.add_answer(Tins::DNS::resource(question.dname(), text, Tins::DNS::AAAA, Tins::DNS::IN, answer.ttl));
        }
      }
      break;
  }
  return out;
}

// IP is Tins::IP or Tins::IPv6: the two differ only in their address types.
template <class IP>
std::optional<DnsQuery> parseAs(const uint8_t* packet, size_t length) {
  IP ip(packet, static_cast<uint32_t>(length));
  const auto* udp = ip.template find_pdu<Tins::UDP>();
  if (udp == nullptr) return std::nullopt;
  auto q = queryOf(dnsOf(*udp));
  if (!q) return std::nullopt;
  fill(q->client, ip.src_addr(), udp->sport());
  fill(q->server, ip.dst_addr(), udp->dport());
  return q;
}

template <class IP>
std::vector<uint8_t> answerAs(const uint8_t* packet, size_t length, const DnsAnswer& answer) {
  IP ip(packet, static_cast<uint32_t>(length));
  const auto& udp = ip.template rfind_pdu<Tins::UDP>();
  Tins::DNS dns = answerFor(dnsOf(udp), answer);
  // Swapped: the answer comes from the resolver the client asked (Tins takes dst, src).
  IP reply = IP(ip.src_addr(), ip.dst_addr()) / Tins::UDP(udp.sport(), udp.dport()) / dns;
  return reply.serialize();
}

}  // namespace

std::optional<DnsQuery> parseDnsQueryPacket(const uint8_t* packet, size_t length) {
  if (length < 20) return std::nullopt;
  try {
    const uint8_t version = packet[0] >> 4;
    if (version == 4) return parseAs<Tins::IP>(packet, length);
    if (version == 6) return parseAs<Tins::IPv6>(packet, length);
  } catch (const std::exception&) {
    // libtins reports malformed input by throwing: not a query we judge.
  }
  return std::nullopt;
}

std::vector<uint8_t> buildDnsAnswerPacket(const uint8_t* packet, size_t length,
                                          const DnsAnswer& answer) {
  try {
    const uint8_t version = length > 0 ? packet[0] >> 4 : 0;
    if (version == 4) return answerAs<Tins::IP>(packet, length, answer);
    if (version == 6) return answerAs<Tins::IPv6>(packet, length, answer);
  } catch (const std::exception&) {
  }
  return {};
}

}  // namespace tollgate::packet
