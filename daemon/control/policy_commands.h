#pragma once
// The control-socket commands that look into the running policy: `explain` (the decision for a
// hypothetical request, with every rule that matched and where) and `lists` (each compiled list
// with its size, load time and warnings). Control plane only; replies are JSON with a "text"
// field for humans.
#include <string>
#include <vector>

#include "filters/policy.h"

namespace tollgate::control {

// words: explain --client IP [--mac MAC] [--at TIME] [--dst IP] (URL | --sni NAME)
// TIME: unix seconds or local "YYYY-MM-DDTHH:MM". Throws std::invalid_argument on bad words.
std::string explainJson(const filters::PolicyPtr& policy, const std::vector<std::string>& words);
std::string listsJson(const filters::PolicyPtr& policy, const std::string& lastError);

}  // namespace tollgate::control
