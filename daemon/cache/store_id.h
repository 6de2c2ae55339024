#pragma once
// Store-ID (Squid's name for it): one object for a file that many mirror or CDN hostnames serve.
// [storeid.NAME] match = RE2 regex, a full match over the request URL ("http://host/path?q") ;
// key = the cache key to use instead, with \1..\9 replaced by the match's captures.
// Rules are tried in file order; the first that matches gives the key; no match: the URL is the
// key. Built on the control thread from the config, immutable, shared by the workers.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <re2/re2.h>

#include "daemon/config/config.h"

namespace tollgate::cache {

class StoreIdRules {
 public:
  // Throws config::ConfigError "file:line: reason" (bad regex, a \N beyond the captures).
  static std::shared_ptr<const StoreIdRules> build(const config::Config& config);

  // The cache key for `url`.
  std::string keyFor(std::string_view url) const;
  size_t size() const { return rules_.size(); }

 private:
  struct Rule {
    std::string name;
    std::unique_ptr<RE2> match;
    std::string key;
  };
  std::vector<Rule> rules_;
};
using StoreIdRulesPtr = std::shared_ptr<const StoreIdRules>;

}  // namespace tollgate::cache
