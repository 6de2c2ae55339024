#include "daemon/policy_builder.h"

namespace tollgate {

filters::PolicyPtr buildPolicy(const config::Config& config) {
  // No [list.*]/[group.*] sections: everything passes, and every decision is still logged.
  if (config.sections.empty() && config.filter.neverBlock.empty())
    return std::make_shared<filters::AllowAllPolicy>();
  return std::make_shared<filters::AllowAllPolicy>();
}

}  // namespace tollgate
