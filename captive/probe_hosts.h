#pragma once
// The hosts operating systems probe to decide whether a network is captive (see
// ../shared/research/captive_anchors.md §2). Before login they must see the portal's redirect,
// never the real answer: a probe that reaches its host tells the OS "online", so no login sheet
// pops (openNDS's walled-garden warning, openNDS PR#726). So the walled garden may not contain
// them, and the redirector checks them before the garden.
#include <optional>
#include <string>
#include <string_view>

namespace tollgate::captive {

// `host` (lower case, no port) is a probe host or a subdomain of one.
bool isProbeHost(std::string_view host);

// The first probe host a walled-garden host entry would let through ("apple.com" covers
// captive.apple.com; "gstatic.com" covers connectivitycheck.gstatic.com), or nullopt.
std::optional<std::string> probeHostCoveredBy(std::string_view gardenEntry);

}  // namespace tollgate::captive
