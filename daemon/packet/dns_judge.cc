#include "daemon/packet/dns_judge.h"

#include <chrono>

#include "daemon/packet/dns_packet.h"
#include "daemon/proxy/captive_gate.h"
#include "filters/policy.h"

namespace tollgate::packet {
namespace {

constexpr uint16_t kTypeA = 1;
constexpr uint16_t kTypeAaaa = 28;
constexpr uint16_t kTypeHttps = 65;

DnsOutcome answerWith(const uint8_t* packet, size_t length, DnsOutcome out, const DnsAnswer& answer,
                      const char* outcome) {
  out.answer = buildDnsAnswerPacket(packet, length, answer);
  if (out.answer.empty()) {  // cannot happen for a packet that parsed; never drop on it anyway
    out.outcome = "not_query";
    return out;
  }
  out.verdict = DnsOutcome::Verdict::Answer;
  out.outcome = outcome;
  return out;
}

}  // namespace

DnsOutcome judgeDns(const uint8_t* packet, size_t length, const proxy::Enforcement& enforcement,
                    const DnsSettings& settings, const SafeSearchAddresses* safeSearch,
                    const captive::SessionSnapshot* sessions, const MacOf& macOf,
                    int64_t nowUnixMs) {
  DnsOutcome out;
  auto query = parseDnsQueryPacket(packet, length);
  if (!query) {
    out.outcome = "not_query";
    return out;
  }
  out.judged = true;
  const std::optional<std::array<uint8_t, 6>> mac = macOf ? macOf(query->client) : std::nullopt;
  log::DecisionRecord& r = out.record;
  r.startUnixMs = nowUnixMs;
  r.client = query->client;
  r.destination = query->server;
  r.mac = mac;
  r.proto = "dns";
  r.host = query->name;

  // A guest not logged in must resolve the portal and the OS probe hosts, whatever the policy.
  if (enforcement.captive) {
    const auto now = captive::UnixTime{std::chrono::seconds{nowUnixMs / 1000}};
    proxy::CaptiveClient client{mac, query->client};
    if (proxy::judgeCaptive(*enforcement.captive, sessions, client, "", query->server, false, now) !=
        proxy::CaptiveVerdict::LoggedIn) {
      r.action = "allow";
      r.rule = "captive";
      r.note = "not_logged_in";
      out.outcome = "captive";
      return out;
    }
  }

  filters::PolicyRequest req;
  req.protocol = filters::Protocol::Dns;
  req.client = &query->client;
  req.destination = &query->server;
  req.mac = mac;
  req.host = query->name;
  req.unixTime = nowUnixMs / 1000;
  filters::Verdict v = enforcement.policy->decide(req);
  r.action = filters::toString(v.action);
  r.rule = std::move(v.rule);
  r.list = std::move(v.list);
  r.category = std::move(v.category);
  r.group = std::move(v.group);

  if (v.action == filters::Action::Block || v.action == filters::Action::Redirect) {
    if (!settings.blockAddress) {
      return answerWith(packet, length, std::move(out), DnsAnswer{DnsAnswer::Kind::NxDomain, {}, settings.ttl},
                        "blocked");
    }
    DnsAnswer a{DnsAnswer::Kind::Addresses, {*settings.blockAddress}, settings.ttl};
    if (query->type != kTypeA && query->type != kTypeAaaa) a.kind = DnsAnswer::Kind::NoData;
    return answerWith(packet, length, std::move(out), a, "blocked");
  }
  if (query->type == kTypeHttps && settings.suppressHttps && v.groupFilters) {
    r.note = "https_record_suppressed";
    return answerWith(packet, length, std::move(out), DnsAnswer{DnsAnswer::Kind::NoData, {}, settings.ttl},
                      "https_suppressed");
  }
  if (!v.safeSearchHost.empty()) {
    r.note = "safe_search";
    auto addresses = safeSearch ? safeSearch->lookup(v.safeSearchHost) : std::vector<sockaddr_storage>{};
    if (addresses.empty()) {
      // Not resolved (yet): passing the query on is wrong for a child but right for a network
      // whose resolver is briefly away; counted, so it shows.
      out.outcome = "safe_search_unresolved";
      return out;
    }
    DnsAnswer a{DnsAnswer::Kind::Addresses, std::move(addresses), settings.ttl};
    if (query->type != kTypeA && query->type != kTypeAaaa) a.kind = DnsAnswer::Kind::NoData;
    return answerWith(packet, length, std::move(out), a, "safe_search");
  }
  out.outcome = "passed";
  return out;
}

}  // namespace tollgate::packet
