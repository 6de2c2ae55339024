#pragma once
// Turns the config's [list.*], [schedule.*], [group.*] and [filter] sections into the policy the
// workers ask. Control plane only: loading lists may take seconds. Throws filters::FilterError
// ("file:line: reason") on any error, so start fails and a reload keeps the running policy.
#include "daemon/config/config.h"
#include "filters/policy.h"
#include "filters/policy_spec.h"

namespace tollgate {

filters::PolicySpec policySpecFor(const config::Config& config);
// `clock` empty: the system clock.
filters::PolicyPtr buildPolicy(const config::Config& config, filters::Clock clock = {});

}  // namespace tollgate
