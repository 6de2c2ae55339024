#include "daemon/interception.h"

#include "filters/address.h"
#include "nf/nft_runner.h"
#include "nf/policy_routing.h"

namespace tollgate {

nf::RulesetSpec rulesetSpecFor(const config::Config& config) {
  const auto& g = config.gateway;
  nf::RulesetSpec spec;
  spec.lanInterfaces = g.lanInterfaces;
  spec.httpPorts = g.httpPorts;
  spec.tlsPorts = g.tlsPorts;
  spec.tcpPorts = g.tcpPorts;
  spec.listenPort = g.listenPort;
  spec.mode = g.intercept == config::InterceptMode::Redirect ? nf::RulesetSpec::Mode::Redirect
                                                             : nf::RulesetSpec::Mode::Tproxy;
  spec.interceptMark = g.interceptMark;
  spec.markMask = g.markMask;
  spec.upstreamMark = g.upstreamMark;
  spec.routeTable = g.routeTable;
  spec.bypassDst = g.bypassDst;
  spec.bypassSrc = g.bypassSrc;
  spec.failClosed = g.failMode == config::FailMode::Closed;
  spec.blockDot = config.dns.blockDot;
  if (config.captive.enabled) {
    spec.captive.enabled = true;
    spec.captive.dnsServers = config.captive.dnsServers;
    // Garden host names are judged by the daemon (Host/SNI); only addresses go to nft.
    std::string_view rest = config.captive.walledGarden;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string item(rest.substr(0, comma));
      item.erase(0, item.find_first_not_of(" \t"));
      item.erase(item.find_last_not_of(" \t") + 1);
      std::string why;
      if (!item.empty() && filters::parseCidr(item, why)) spec.captive.gardenCidrs.push_back(item);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return spec;
}

namespace {
nf::PolicyRoutingSpec routingSpecFor(const config::Config& config) {
  nf::PolicyRoutingSpec spec;
  spec.mark = config.gateway.interceptMark;
  spec.mask = config.gateway.markMask;
  spec.table = config.gateway.routeTable;
  return spec;
}
}  // namespace

std::optional<std::string> installInterception(const config::Config& config) {
  if (auto err = nf::checkInterfacesExist(config.gateway.lanInterfaces)) return err;
  auto spec = rulesetSpecFor(config);
  if (auto err = nf::validateRulesetSpec(spec)) return "ruleset: " + *err;
  if (auto err = nf::applyRuleset(nf::renderNftRuleset(spec))) return err;
  if (spec.mode == nf::RulesetSpec::Mode::Tproxy) {
    if (auto err = nf::installPolicyRouting(routingSpecFor(config))) {
      nf::removeTable();
      return "policy routing: " + *err;
    }
  }
  return std::nullopt;
}

std::optional<std::string> removeInterception(const config::Config& config) {
  std::optional<std::string> first;
  if (config.gateway.failMode == config::FailMode::Open) first = nf::removeTable();
  if (config.gateway.intercept == config::InterceptMode::Tproxy &&
      config.gateway.failMode == config::FailMode::Open) {
    auto err = nf::removePolicyRouting(routingSpecFor(config));
    if (!first) first = err;
  }
  return first;
}

}  // namespace tollgate
