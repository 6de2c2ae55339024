#include "daemon/interception.h"

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
