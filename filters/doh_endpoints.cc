#include "filters/doh_endpoints.h"

#include <array>

namespace tollgate::filters {
namespace {

constexpr std::array<std::string_view, 36> kEndpoints = {
    "use-application-dns.net",  // Firefox's canary: NXDOMAIN keeps its DoH off
    "dns.google", "dns.google.com", "8888.google",
    "cloudflare-dns.com", "one.one.one.one", "1dot1dot1dot1.cloudflare-dns.com",
    "dns.quad9.net", "dns9.quad9.net", "dns10.quad9.net", "dns11.quad9.net",
    "doh.opendns.com", "doh.familyshield.opendns.com",
    "dns.nextdns.io", "doh.cleanbrowsing.org",
    "dns.adguard.com", "dns.adguard-dns.com", "dns-family.adguard.com",
    "doh.mullvad.net", "dns.mullvad.net",
    "dns.alidns.com", "doh.pub", "doh.360.cn",
    "dns0.eu", "dns.controld.com", "freedns.controld.com",
    "doh.dns.sb", "dns.switch.ch", "doh.applied-privacy.net", "dns.digitale-gesellschaft.ch",
    "doh.libredns.gr", "odvr.nic.cz", "doh.ffmuc.net", "dns.twnic.tw",
    "doh.xfinity.com", "ordns.he.net"};

bool within(std::string_view host, std::string_view suffix) {
  if (host.size() < suffix.size() || host.substr(host.size() - suffix.size()) != suffix) return false;
  return host.size() == suffix.size() || host[host.size() - suffix.size() - 1] == '.';
}

}  // namespace

bool isDohEndpoint(std::string_view host) {
  if (host.empty()) return false;
  for (std::string_view e : kEndpoints)
    if (within(host, e)) return true;
  return false;
}

}  // namespace tollgate::filters
