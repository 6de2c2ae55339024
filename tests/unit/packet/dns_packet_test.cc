// DNS queries in whole IP packets, and the answers forged for them, checked by re-parsing the
// answers with libtins as a client's resolver library would read them.
#include "daemon/packet/dns_packet.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <random>
#include <tins/dns.h>
#include <tins/ip.h>
#include <tins/ipv6.h>
#include <tins/rawpdu.h>
#include <tins/udp.h>

namespace tollgate::packet {
namespace {

std::vector<uint8_t> queryPacket(const std::string& name, Tins::DNS::QueryType type, bool v6 = false,
                                 uint16_t id = 0x1234) {
  Tins::DNS dns;
  dns.id(id);
  dns.recursion_desired(1);
  dns.add_query(Tins::DNS::query(name, type, Tins::DNS::IN));
  if (v6) {
    auto p = Tins::IPv6("fd77:1::1", "fd77:1::2") / Tins::UDP(53, 40000) / dns;
    return p.serialize();
  }
  auto p = Tins::IP("10.77.1.1", "10.77.1.2") / Tins::UDP(53, 40000) / dns;
  return p.serialize();
}

sockaddr_storage v4(const char* text) {
  sockaddr_storage ss{};
  auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
  sin->sin_family = AF_INET;
  inet_pton(AF_INET, text, &sin->sin_addr);
  return ss;
}

sockaddr_storage v6(const char* text) {
  sockaddr_storage ss{};
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
  sin6->sin6_family = AF_INET6;
  inet_pton(AF_INET6, text, &sin6->sin6_addr);
  return ss;
}

Tins::DNS dnsOfIp(const std::vector<uint8_t>& bytes, std::string* src = nullptr, std::string* dst = nullptr) {
  Tins::IP ip(bytes.data(), static_cast<uint32_t>(bytes.size()));
  if (src) *src = ip.src_addr().to_string();
  if (dst) *dst = ip.dst_addr().to_string();
  const auto& udp = ip.rfind_pdu<Tins::UDP>();
  EXPECT_EQ(udp.sport(), 53);
  EXPECT_EQ(udp.dport(), 40000);
  const auto& raw = udp.rfind_pdu<Tins::RawPDU>();
  return Tins::DNS(raw.payload().data(), static_cast<uint32_t>(raw.payload().size()));
}

TEST(DnsPacket, ParsesAQueryNameTypeAndEndpoints) {
  auto p = queryPacket("WWW.Example.COM", Tins::DNS::AAAA);
  auto q = parseDnsQueryPacket(p.data(), p.size());
  ASSERT_TRUE(q);
  EXPECT_EQ(q->name, "www.example.com");
  EXPECT_EQ(q->type, 28);
  EXPECT_EQ(q->id, 0x1234);
  EXPECT_EQ(q->client.ss_family, AF_INET);
  EXPECT_EQ(ntohs(reinterpret_cast<sockaddr_in*>(&q->client)->sin_port), 40000);
  EXPECT_EQ(ntohs(reinterpret_cast<sockaddr_in*>(&q->server)->sin_port), 53);
  auto p6 = queryPacket("example.org", Tins::DNS::A, true);
  auto q6 = parseDnsQueryPacket(p6.data(), p6.size());
  ASSERT_TRUE(q6);
  EXPECT_EQ(q6->client.ss_family, AF_INET6);
}

TEST(DnsPacket, ResponsesAndMalformedBytesAreNotQueries) {
  Tins::DNS dns;
  dns.type(Tins::DNS::RESPONSE);
  dns.add_query(Tins::DNS::query("example.org", Tins::DNS::A, Tins::DNS::IN));
  auto resp = (Tins::IP("10.0.0.1", "10.0.0.2") / Tins::UDP(53, 1000) / dns).serialize();
  EXPECT_FALSE(parseDnsQueryPacket(resp.data(), resp.size()));
  auto p = queryPacket("example.org", Tins::DNS::A);
  for (size_t cut = 0; cut < p.size(); ++cut) EXPECT_FALSE(parseDnsQueryPacket(p.data(), cut)) << cut;
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {  // never throws, whatever the bytes
    std::vector<uint8_t> junk = p;
    for (int k = 0; k < 4; ++k) junk[rng() % junk.size()] = static_cast<uint8_t>(rng());
    parseDnsQueryPacket(junk.data(), junk.size());
    buildDnsAnswerPacket(junk.data(), junk.size(), DnsAnswer{});
  }
}

TEST(DnsPacket, NxDomainComesFromTheResolverTheClientAsked) {
  auto p = queryPacket("blocked.test", Tins::DNS::A);
  auto out = buildDnsAnswerPacket(p.data(), p.size(), DnsAnswer{DnsAnswer::Kind::NxDomain, {}, 60});
  ASSERT_FALSE(out.empty());
  std::string src, dst;
  Tins::DNS d = dnsOfIp(out, &src, &dst);
  EXPECT_EQ(src, "10.77.1.1");  // the resolver the query went to (Tins::IP takes dst, src)
  EXPECT_EQ(dst, "10.77.1.2");  // the client
  EXPECT_EQ(d.id(), 0x1234);
  EXPECT_EQ(d.type(), Tins::DNS::RESPONSE);
  EXPECT_EQ(d.rcode(), 3);
  EXPECT_EQ(d.recursion_desired(), 1);
  ASSERT_EQ(d.queries().size(), 1u);
  EXPECT_EQ(d.queries()[0].dname(), "blocked.test");
  EXPECT_EQ(d.answers_count(), 0);
}

TEST(DnsPacket, AddressAnswersMatchTheQueryType) {
  DnsAnswer a{DnsAnswer::Kind::Addresses, {v4("192.0.2.7"), v6("2001:db8::7")}, 300};
  auto pa = queryPacket("www.google.com", Tins::DNS::A);
  Tins::DNS da = dnsOfIp(buildDnsAnswerPacket(pa.data(), pa.size(), a));
  ASSERT_EQ(da.answers().size(), 1u);
  EXPECT_EQ(da.answers()[0].data(), "192.0.2.7");
  EXPECT_EQ(da.answers()[0].ttl(), 300u);
  EXPECT_EQ(da.answers()[0].dname(), "www.google.com");
  auto p6 = queryPacket("www.google.com", Tins::DNS::AAAA, true);
  auto out6 = buildDnsAnswerPacket(p6.data(), p6.size(), a);
  Tins::IPv6 ip6(out6.data(), static_cast<uint32_t>(out6.size()));
  const auto& raw = ip6.rfind_pdu<Tins::RawPDU>();
  Tins::DNS d6(raw.payload().data(), static_cast<uint32_t>(raw.payload().size()));
  ASSERT_EQ(d6.answers().size(), 1u);
  EXPECT_EQ(d6.answers()[0].data(), "2001:db8::7");
}

TEST(DnsPacket, NoDataSuppressesHttpsRecords) {
  auto p = queryPacket("example.org", static_cast<Tins::DNS::QueryType>(65));
  auto q = parseDnsQueryPacket(p.data(), p.size());
  ASSERT_TRUE(q);
  EXPECT_EQ(q->type, 65);
  Tins::DNS d = dnsOfIp(buildDnsAnswerPacket(p.data(), p.size(), DnsAnswer{DnsAnswer::Kind::NoData, {}, 60}));
  EXPECT_EQ(d.rcode(), 0);
  EXPECT_EQ(d.answers_count(), 0);
}

}  // namespace
}  // namespace tollgate::packet
