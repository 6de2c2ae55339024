#pragma once
// Installs and removes what steers LAN traffic into the daemon: the nftables table and, for
// TPROXY, the policy routing. Control plane only (blocks on nft and netlink).
#include <optional>
#include <string>

#include "daemon/config/config.h"
#include "nf/ruleset.h"

namespace tollgate {

nf::RulesetSpec rulesetSpecFor(const config::Config& config);
// Checks interfaces, loads the ruleset, installs policy routing. Error text for the admin.
std::optional<std::string> installInterception(const config::Config& config);
// Removes the table and routing. With fail_mode = closed the table stays, so connections to
// intercepted ports are reset while the daemon is down.
std::optional<std::string> removeInterception(const config::Config& config);

}  // namespace tollgate
