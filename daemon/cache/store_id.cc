#include "daemon/cache/store_id.h"

namespace tollgate::cache {

std::shared_ptr<const StoreIdRules> StoreIdRules::build(const config::Config& config) {
  auto rules = std::make_shared<StoreIdRules>();
  for (const auto& section : config.sections) {
    if (section.kind != "storeid") continue;
    const auto& match = section.values.at("match");
    const auto& key = section.values.at("key");
    auto where = [&](int line) { return section.file + ":" + std::to_string(line) + ": "; };
    RE2::Options options;
    options.set_log_errors(false);
    // Anchored at both ends so that the captures are those of a full match.
    auto re = std::make_unique<RE2>("^(?:" + match.text + ")$", options);
    if (!re->ok()) {
      throw config::ConfigError(where(match.line) + "[storeid." + section.name +
                                "] match: bad regex: " + re->error());
    }
    std::string error;
    if (!re->CheckRewriteString(key.text, &error)) {
      throw config::ConfigError(where(key.line) + "[storeid." + section.name + "] key: " + error);
    }
    rules->rules_.push_back({section.name, std::move(re), key.text});
  }
  return rules;
}

std::string StoreIdRules::keyFor(std::string_view url) const {
  re2::StringPiece input(url.data(), url.size());
  for (const Rule& r : rules_) {
    std::string key;
    if (RE2::Extract(input, *r.match, r.key, &key)) return key;
  }
  return std::string(url);
}

}  // namespace tollgate::cache
