#pragma once
// A CompiledList for policy tests: hosts matched exactly or as a domain suffix, each entry
// reporting "file:line" as if it came from a one-entry-per-line file. Keeps the engine tests
// independent of the real loaders in filters/lists/.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "filters/engine.h"
#include "filters/list.h"

namespace tollgate::filters::testing {

class FakeList final : public CompiledList {
 public:
  FakeList(std::string name, std::string category, std::vector<std::string> hosts,
           std::string file = "")
      : CompiledList(std::move(name), std::move(category), "domains"),
        hosts_(std::move(hosts)),
        file_(file.empty() ? this->name() + ".txt" : std::move(file)) {
    stats_.entries = hosts_.size();
  }

  std::optional<ListHit> find(const MatchInput& input) const override {
    for (size_t i = 0; i < hosts_.size(); ++i) {
      const std::string& h = hosts_[i];
      std::string_view host = input.host;
      if (host.size() < h.size() || host.substr(host.size() - h.size()) != h) continue;
      if (host.size() == h.size() || host[host.size() - h.size() - 1] == '.') {
        return ListHit{0, static_cast<uint32_t>(i)};
      }
    }
    return std::nullopt;
  }
  EntryOrigin origin(ListHit hit) const override {
    return EntryOrigin{file_, static_cast<int>(hit.id + 1), hosts_[hit.id]};
  }

 private:
  std::vector<std::string> hosts_;
  std::string file_;
};

// Section name → the lists that section "loads".
using FakeLists = std::map<std::string, std::vector<CompiledListPtr>>;

inline ListLoader fakeLoader(FakeLists lists) {
  return [lists = std::move(lists)](const ListSpec& spec) {
    auto it = lists.find(spec.name);
    if (it == lists.end()) throw FilterError(spec.path + ":1: no such file");
    return it->second;
  };
}

inline CompiledListPtr fake(std::string name, std::vector<std::string> hosts,
                            std::string category = "") {
  if (category.empty()) category = name;
  return std::make_shared<FakeList>(std::move(name), std::move(category), std::move(hosts));
}

inline sockaddr_storage address(const char* text) {
  sockaddr_storage ss{};
  auto* a4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* a6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, text, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
  } else if (inet_pton(AF_INET6, text, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
  }
  return ss;
}

inline ListSpec listSpec(std::string name, int line) {
  return ListSpec{name, "domains", "/lists/" + name, "test.conf", line};
}

inline GroupSpec groupSpec(std::string name, std::string clients, std::string rules,
                           int line, std::string defaultAction = "") {
  GroupSpec g;
  g.name = std::move(name);
  g.clients = std::move(clients);
  g.rules = std::move(rules);
  g.defaultAction = std::move(defaultAction);
  g.configFile = "test.conf";
  g.configLine = line;
  return g;
}

}  // namespace tollgate::filters::testing
