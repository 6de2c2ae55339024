#include "captive/probe_hosts.h"

#include <array>

namespace tollgate::captive {
namespace {

// Exact probe hosts by vendor; sources in captive_anchors.md §2.1. www.google.com is Android's
// and ChromeOS's fallback; leaving it out of the garden is the price of Android detection.
constexpr std::array<std::string_view, 30> kProbeHosts = {
    // Apple
    "captive.apple.com", "www.apple.com", "www.appleiphonecell.com", "www.ibook.info",
    "www.itools.info", "www.thinkdifferent.us", "www.airport.us",
    // Android, ChromeOS, vendor Androids
    "connectivitycheck.gstatic.com", "connectivitycheck.gstatic.cn", "www.gstatic.com",
    "www.google.com", "clients1.google.com", "clients3.google.com", "play.googleapis.com",
    "connectivitycheck.android.com", "connectivitycheck.platform.hicloud.com",
    "connect.rom.miui.com",
    // Windows NCSI
    "www.msftconnecttest.com", "ipv6.msftconnecttest.com", "www.msftncsi.com",
    // Firefox
    "detectportal.firefox.com",
    // NetworkManager as the distributions configure it, KDE, others
    "nmcheck.gnome.org", "connectivity-check.ubuntu.com", "network-test.debian.org",
    "ping.archlinux.org", "fedoraproject.org", "networkcheck.kde.org", "cp.cloudflare.com",
    "spectrum.s3.amazonaws.com", "connectivity-check.archlinux.org"};

// `host` is `suffix` or ends with "." + suffix.
bool within(std::string_view host, std::string_view suffix) {
  if (host.size() < suffix.size() || host.substr(host.size() - suffix.size()) != suffix)
    return false;
  return host.size() == suffix.size() || host[host.size() - suffix.size() - 1] == '.';
}

}  // namespace

bool isProbeHost(std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  for (std::string_view probe : kProbeHosts)
    if (within(host, probe)) return true;
  return false;
}

std::optional<std::string> probeHostCoveredBy(std::string_view gardenEntry) {
  if (gardenEntry.substr(0, 2) == "*.") gardenEntry.remove_prefix(2);
  if (!gardenEntry.empty() && gardenEntry.back() == '.') gardenEntry.remove_suffix(1);
  for (std::string_view probe : kProbeHosts)
    if (within(probe, gardenEntry) || within(gardenEntry, probe)) return std::string(probe);
  return std::nullopt;
}

}  // namespace tollgate::captive
