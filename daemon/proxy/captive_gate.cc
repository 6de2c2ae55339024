#include "daemon/proxy/captive_gate.h"

#include <stdexcept>

#include "captive/client_id.h"
#include "captive/probe_hosts.h"
#include "daemon/proxy/block_responses.h"
#include "daemon/proxy/error_pages.h"

namespace tollgate::proxy {
namespace {

// "http://portal.lan:8080/x" → "portal.lan"; "http://[fd00::1]:8080/" → "fd00::1".
std::string hostOf(const std::string& url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t end = url.find_first_of("/?#", start);
  std::string authority = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (auto at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
  std::string host;
  if (!authority.empty() && authority[0] == '[') {
    host = authority.substr(1, authority.find(']') - 1);
  } else {
    host = authority.substr(0, authority.find(':'));
  }
  for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return host;
}

bool loggedIn(const captive::SessionSnapshot* sessions, const CaptiveClient& client,
              captive::UnixTime now) {
  if (sessions == nullptr) return false;
  if (client.mac) return sessions->byMac(*client.mac, now) != nullptr;
  // No neighbour entry (it can lag a brand-new client by a moment): the address binding the
  // portal recorded for the session stands in.
  auto address = captive::clientAddressFrom(reinterpret_cast<const sockaddr*>(&client.address));
  return address && sessions->byAddress(*address, now) != nullptr;
}

}  // namespace

CaptiveRulesPtr CaptiveRules::build(const std::string& portalUrl, const std::string& walledGarden,
                                    const std::string& origin) {
  auto rules = std::make_shared<CaptiveRules>();
  rules->portalUrl = portalUrl;
  rules->portalHost = hostOf(portalUrl);
  rules->garden = filters::DestinationSet::parse(walledGarden, origin, "[captive] walled_garden");
  return rules;
}

CaptiveVerdict judgeCaptive(const CaptiveRules& rules, const captive::SessionSnapshot* sessions,
                            const CaptiveClient& client, std::string_view host,
                            const sockaddr_storage& destination, bool http, captive::UnixTime now) {
  if (loggedIn(sessions, client, now)) return CaptiveVerdict::LoggedIn;
  // Probe hosts first: a garden address range that happens to hold one must not answer it.
  if (!host.empty() && captive::isProbeHost(host))
    return http ? CaptiveVerdict::Redirect : CaptiveVerdict::Reset;
  if (!host.empty() && host == rules.portalHost) return CaptiveVerdict::Garden;
  if (rules.garden.match(host, &destination)) return CaptiveVerdict::Garden;
  return http ? CaptiveVerdict::Redirect : CaptiveVerdict::Reset;
}

std::string captiveRedirectResponse(const CaptiveRules& rules, std::string_view originalUrl) {
  std::string location = rules.portalUrl;
  location += location.find('?') == std::string::npos ? '?' : '&';
  location += "url=" + urlEncode(std::string(originalUrl));
  // A real page with a link, not an empty body: Android counts a tiny 200 as a failed probe,
  // and a person whose browser does not follow the redirect still has somewhere to click.
  std::string body =
      "<!DOCTYPE html>\n<html><head><title>Log in to this network</title></head><body>"
      "<p>This network needs you to log in first.</p><p><a href=\"" +
      htmlEscape(location) + "\">Continue to the login page</a></p></body></html>\n";
  std::string out = "HTTP/1.1 302 Found\r\nLocation: " + location + "\r\n";
  out += "Content-Type: text/html; charset=utf-8\r\nContent-Length: " + std::to_string(body.size());
  out += "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n";
  out += body;
  return out;
}

}  // namespace tollgate::proxy
