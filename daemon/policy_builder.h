#pragma once
// Turns the config's [list.*], [schedule.*], [group.*] and [filter] sections into the policy the
// workers ask. Control plane only: loading lists may take seconds. Throws with file:line.
#include "daemon/config/config.h"
#include "filters/policy.h"

namespace tollgate {

filters::PolicyPtr buildPolicy(const config::Config& config);

}  // namespace tollgate
