#pragma once
// The CompiledList every format compiles to: a fixed set of matchers, each optional. A plain
// list has one; a UT1 category has up to three (domains, urls, expressions).
#include <atomic>
#include <memory>

#include "filters/list.h"
#include "filters/lists/cidr_set.h"
#include "filters/lists/domain_set.h"
#include "filters/lists/regex_set.h"
#include "filters/lists/url_prefix_set.h"

namespace tollgate::filters::lists {

struct ListMatchers {
  std::unique_ptr<DomainSet> domains;     // over the host
  std::unique_ptr<UrlPrefixSet> urls;     // over the URL
  std::unique_ptr<RegexSet> urlRegexes;   // over the URL
  std::unique_ptr<RegexSet> hostRegexes;  // over the host
  std::unique_ptr<CidrSet> cidrs;         // over the destination
};

class SetList final : public CompiledList {
 public:
  SetList(std::string name, std::string category, std::string format, ListMatchers matchers,
          ListStats stats);

  // Tries domains, urls, cidrs, host regexes, URL regexes, in that order.
  std::optional<ListHit> find(const MatchInput& input) const override;
  EntryOrigin origin(ListHit hit) const override;
  uint64_t matchErrors() const override { return matchErrors_.load(std::memory_order_relaxed); }

  const ListMatchers& matchers() const { return matchers_; }
  // Load-time only: the loader measures the finished list, then records the result.
  void setMatchNs(double ns) { stats_.matchNs = ns; }
  void setLoadMs(double ms) { stats_.loadMs = ms; }
  void addWarning(std::string warning) { stats_.warnings.push_back(std::move(warning)); }

 private:
  enum Part : uint32_t { kDomains, kUrls, kCidrs, kHostRegexes, kUrlRegexes };
  std::optional<uint32_t> matchRegex(const RegexSet& set, std::string_view text,
                                     const MatchInput& input) const;

  ListMatchers matchers_;
  mutable std::atomic<uint64_t> matchErrors_{0};
};

}  // namespace tollgate::filters::lists
