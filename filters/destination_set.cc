#include "filters/destination_set.h"

#include <cctype>

#include "filters/list.h"

namespace tollgate::filters {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Host names as the daemon hands them over: lower-case letters, digits, '-', '_' and dots,
// no empty label. Kept local rather than normalizeHost() because that one drops "www." and the
// request host keeps it; suffix matching covers "www." anyway.
bool validHost(std::string_view h) {
  if (h.empty() || h.front() == '.' || h.back() == '.' || h.find("..") != std::string_view::npos) {
    return false;
  }
  for (char c : h) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

}  // namespace

DestinationSet DestinationSet::parseNeverBlock(const FilterSettings& settings) {
  return parse(settings.neverBlock, settings.configFile + ":" + std::to_string(settings.configLine),
               "[filter] never_block");
}

DestinationSet DestinationSet::parse(std::string_view entries, std::string origin,
                                     std::string_view label) {
  DestinationSet nb;
  nb.origin_ = std::move(origin);
  std::string_view rest = entries;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = trim(rest.substr(0, comma));
    if (!item.empty()) {
      std::string why;
      if (std::optional<Cidr> cidr = parseCidr(item, why)) {
        nb.cidrs_.push_back(*cidr);
        nb.cidrTexts_.emplace_back(item);
      } else {
        std::string host;
        for (char c : item) host += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (host.size() > 1 && host.back() == '.') host.pop_back();
        if (host.substr(0, 2) == "*.") host.erase(0, 2);
        // Something with a '/' or ':' was meant as an address; report the address error.
        if (item.find_first_of("/:") != std::string_view::npos || !validHost(host)) {
          throw FilterError(nb.origin_ + ": " + std::string(label) + ": '" + std::string(item) +
                            "' is not a host name, IP address or CIDR");
        }
        nb.hosts_.push_back(std::move(host));
      }
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return nb;
}

const std::string* DestinationSet::match(std::string_view host,
                                     const sockaddr_storage* destination) const {
  if (!host.empty()) {
    for (const std::string& h : hosts_) {
      if (host.size() < h.size() || host.substr(host.size() - h.size()) != h) continue;
      if (host.size() == h.size() || host[host.size() - h.size() - 1] == '.') return &h;
    }
  }
  for (size_t i = 0; i < cidrs_.size(); ++i) {
    if (cidrs_[i].contains(destination)) return &cidrTexts_[i];
  }
  return nullptr;
}

}  // namespace tollgate::filters
