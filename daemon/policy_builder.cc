#include "daemon/policy_builder.h"

#include "filters/engine.h"

namespace tollgate {

namespace {
std::string valueOf(const config::NamedSection& section, const char* key) {
  auto it = section.values.find(key);
  return it == section.values.end() ? std::string() : it->second.text;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}
}  // namespace

filters::PolicySpec policySpecFor(const config::Config& config) {
  filters::PolicySpec spec;
  for (const auto& section : config.sections) {
    if (section.kind == "list") {
      spec.lists.push_back({section.name, valueOf(section, "format"), valueOf(section, "path"),
                            section.file, section.line});
    } else if (section.kind == "schedule") {
      spec.schedules.push_back({section.name, valueOf(section, "days"), valueOf(section, "hours"),
                                section.file, section.line});
    } else if (section.kind == "group") {
      spec.groups.push_back({section.name, valueOf(section, "clients"), valueOf(section, "rules"),
                             valueOf(section, "default"), valueOf(section, "safe_search"),
                             valueOf(section, "block_ech"), section.file, section.line});
    }
  }
  const auto& f = config.filter;
  spec.filter.tlsBlock = f.tlsBlock == config::TlsBlock::Alert ? "alert" : "reset";
  spec.filter.blockPage = f.blockPage;
  spec.filter.blockRedirect = f.blockRedirect;
  spec.filter.neverBlock = joined(f.neverBlock);
  spec.filter.blockDoh = config.dns.blockDoh;
  spec.filter.configFile = config.sourceName;
  spec.filter.configLine = f.line;
  return spec;
}

filters::PolicyPtr buildPolicy(const config::Config& config, filters::Clock clock) {
  // No lists, groups or never_block: everything passes, and every decision is still logged.
  if (config.sections.empty() && config.filter.neverBlock.empty())
    return std::make_shared<filters::AllowAllPolicy>();
  if (!clock) clock = [] { return static_cast<int64_t>(time(nullptr)); };
  return filters::buildPolicyEngine(policySpecFor(config), std::move(clock));
}

}  // namespace tollgate
