// judgeDns with a stand-in policy: which queries are answered, with what, and what is logged.
#include "daemon/packet/dns_judge.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <tins/dns.h>
#include <tins/ip.h>
#include <tins/rawpdu.h>
#include <tins/udp.h>

namespace tollgate::packet {
namespace {

// Blocks *.blocked.test; safe search for www.google.com; the group filters unless told not to.
class StandInPolicy final : public filters::Policy {
 public:
  bool filters = true;
  filters::Verdict decide(const filters::PolicyRequest& r) const override {
    filters::Verdict v;
    v.rule = "default";
    v.group = "kids";
    v.groupFilters = filters;
    if (r.host.size() >= 12 && r.host.substr(r.host.size() - 12) == "blocked.test") {
      v.action = filters::Action::Block;
      v.rule = "block bad";
      v.list = "bad";
    }
    if (r.host == "www.google.com") v.safeSearchHost = "forcesafesearch.google.com";
    return v;
  }
};

std::vector<uint8_t> query(const std::string& name, uint16_t type) {
  Tins::DNS dns;
  dns.id(7);
  dns.add_query(Tins::DNS::query(name, static_cast<Tins::DNS::QueryType>(type), Tins::DNS::IN));
  return (Tins::IP("10.77.1.1", "10.77.1.2") / Tins::UDP(53, 40000) / dns).serialize();
}

Tins::DNS dnsOf(const std::vector<uint8_t>& packet) {
  Tins::IP ip(packet.data(), static_cast<uint32_t>(packet.size()));
  const auto& raw = ip.rfind_pdu<Tins::RawPDU>();
  return Tins::DNS(raw.payload().data(), static_cast<uint32_t>(raw.payload().size()));
}

sockaddr_storage v4(const char* text) {
  sockaddr_storage ss{};
  auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
  sin->sin_family = AF_INET;
  inet_pton(AF_INET, text, &sin->sin_addr);
  return ss;
}

class DnsJudgeTest : public ::testing::Test {
 protected:
  std::shared_ptr<StandInPolicy> policy_ = std::make_shared<StandInPolicy>();
  proxy::Enforcement enforcement_{policy_, nullptr, nullptr, nullptr};
  DnsSettings settings_;
  SafeSearchAddresses safe_;
  DnsOutcome judge(const std::string& name, uint16_t type) {
    auto p = query(name, type);
    return judgeDns(p.data(), p.size(), enforcement_, settings_, &safe_, nullptr, nullptr,
                    1'700'000'000'000);
  }
};

TEST_F(DnsJudgeTest, BlockedNameGetsNxDomainAndALogLine) {
  DnsOutcome o = judge("ads.blocked.test", 1);
  ASSERT_EQ(o.verdict, DnsOutcome::Verdict::Answer);
  EXPECT_STREQ(o.outcome, "blocked");
  EXPECT_EQ(dnsOf(o.answer).rcode(), 3);
  EXPECT_TRUE(o.judged);
  EXPECT_STREQ(o.record.proto, "dns");
  EXPECT_STREQ(o.record.action, "block");
  EXPECT_EQ(o.record.host, "ads.blocked.test");
  EXPECT_EQ(o.record.list, "bad");
}

TEST_F(DnsJudgeTest, BlockAddressAnswersItsOwnFamilyOnly) {
  settings_.blockAddress = v4("192.0.2.80");
  DnsOutcome a = judge("ads.blocked.test", 1);
  ASSERT_EQ(dnsOf(a.answer).answers().size(), 1u);
  EXPECT_EQ(dnsOf(a.answer).answers()[0].data(), "192.0.2.80");
  DnsOutcome aaaa = judge("ads.blocked.test", 28);
  EXPECT_EQ(aaaa.verdict, DnsOutcome::Verdict::Answer);
  EXPECT_EQ(dnsOf(aaaa.answer).rcode(), 0);
  EXPECT_EQ(dnsOf(aaaa.answer).answers_count(), 0);
}

TEST_F(DnsJudgeTest, HttpsRecordsAreSuppressedOnlyWhereTheGroupFilters) {
  DnsOutcome o = judge("example.org", 65);
  EXPECT_STREQ(o.outcome, "https_suppressed");
  EXPECT_EQ(dnsOf(o.answer).answers_count(), 0);
  EXPECT_EQ(judge("example.org", 1).verdict, DnsOutcome::Verdict::Accept);
  policy_->filters = false;
  EXPECT_EQ(judge("example.org", 65).verdict, DnsOutcome::Verdict::Accept);
  settings_.suppressHttps = false;
  policy_->filters = true;
  EXPECT_EQ(judge("example.org", 65).verdict, DnsOutcome::Verdict::Accept);
}

TEST_F(DnsJudgeTest, SafeSearchAnswersWithTheSafeHostsAddressesOnceResolved) {
  DnsOutcome before = judge("www.google.com", 1);
  EXPECT_EQ(before.verdict, DnsOutcome::Verdict::Accept);
  EXPECT_STREQ(before.outcome, "safe_search_unresolved");
  safe_.set("forcesafesearch.google.com", {v4("216.239.38.120")});
  DnsOutcome after = judge("www.google.com", 1);
  ASSERT_EQ(after.verdict, DnsOutcome::Verdict::Answer);
  EXPECT_STREQ(after.outcome, "safe_search");
  ASSERT_EQ(dnsOf(after.answer).answers().size(), 1u);
  EXPECT_EQ(dnsOf(after.answer).answers()[0].data(), "216.239.38.120");
  EXPECT_EQ(after.record.note, "safe_search");
}

TEST_F(DnsJudgeTest, NotAQueryIsAcceptedUnjudged) {
  std::vector<uint8_t> junk(60, 0x45);
  DnsOutcome o = judgeDns(junk.data(), junk.size(), enforcement_, settings_, &safe_, nullptr,
                          nullptr, 0);
  EXPECT_EQ(o.verdict, DnsOutcome::Verdict::Accept);
  EXPECT_FALSE(o.judged);
}

}  // namespace
}  // namespace tollgate::packet
