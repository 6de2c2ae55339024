// [captive] and [radius]: the captive portal's keys and their cross-checks, kept apart from
// config.cc so each feature's options read in one place.
#include <arpa/inet.h>

#include "captive/probe_hosts.h"
#include "daemon/config/config_parsing.h"
#include "filters/destination_set.h"
#include <algorithm>

namespace tollgate::config::detail {
namespace {

std::vector<std::string> parseListenList(const std::string& v) {
  auto list = splitList(v);
  for (auto& item : list) checkListenAddress(item);
  return list;
}

std::string checkUrl(const std::string& v, bool httpsOnly) {
  if (v.empty()) return v;
  bool https = v.rfind("https://", 0) == 0;
  if (!https && (httpsOnly || v.rfind("http://", 0) != 0))
    throw ConfigError(httpsOnly ? "must be an https:// URL" : "must be an http:// or https:// URL");
  for (char c : v)
    if (static_cast<unsigned char>(c) <= ' ' || c == '"' || c == '<' || c == '>')
      throw ConfigError("'" + v + "' has a space, quote or control character");
  return v;
}

std::vector<CaptiveAuth> parseAuth(const std::string& v) {
  std::vector<CaptiveAuth> out;
  for (auto& item : splitList(v)) {
    auto method = parseEnum<CaptiveAuth>(item, {{"clickthrough", CaptiveAuth::ClickThrough},
                                                {"voucher", CaptiveAuth::Voucher},
                                                {"accounts", CaptiveAuth::Accounts},
                                                {"radius", CaptiveAuth::Radius}});
    for (auto m : out)
      if (m == method) throw ConfigError("'" + item + "' is listed twice");
    out.push_back(method);
  }
  if (out.empty()) throw ConfigError("needs at least one of clickthrough|voucher|accounts|radius");
  return out;
}

// "radius.lan", "10.0.0.5:1812", "[fd00::5]:1812:1813".
RadiusServerAddress parseRadiusServer(const std::string& text) {
  RadiusServerAddress server;
  std::string rest;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos) throw ConfigError("'" + text + "': unterminated [");
    server.host = text.substr(1, close - 1);
    rest = text.substr(close + 1);
  } else if (std::count(text.begin(), text.end(), ':') > 2) {
    throw ConfigError("'" + text + "': write an IPv6 address as [ADDR]:PORT");
  } else {
    size_t colon = text.find(':');
    server.host = text.substr(0, colon);
    rest = colon == std::string::npos ? "" : text.substr(colon);
  }
  std::vector<uint16_t> ports;
  while (!rest.empty()) {
    if (rest[0] != ':') throw ConfigError("'" + text + "' is not HOST[:AUTHPORT[:ACCTPORT]]");
    size_t next = rest.find(':', 1);
    auto port = parseUnsigned(rest.substr(1, next == std::string::npos ? std::string::npos : next - 1), 65535);
    if (port == 0) throw ConfigError("port 0 in '" + text + "'");
    ports.push_back(static_cast<uint16_t>(port));
    rest = next == std::string::npos ? "" : rest.substr(next);
  }
  if (ports.size() > 2) throw ConfigError("'" + text + "' is not HOST[:AUTHPORT[:ACCTPORT]]");
  if (!ports.empty()) server.authPort = ports[0];
  server.acctPort = ports.size() > 1 ? ports[1] : static_cast<uint16_t>(server.authPort + 1);
  return server;
}

std::string absolutePath(const std::string& v, const char* what) {
  if (!v.empty() && v[0] != '/') throw ConfigError(std::string(what) + " must be an absolute path");
  return v;
}

}  // namespace

void checkListenAddress(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size())
    throw ConfigError("'" + text + "' is not ADDR:PORT");
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  else if (host.find(':') != std::string::npos)
    throw ConfigError("'" + text + "': write an IPv6 address as [ADDR]:PORT");
  unsigned char buf[16];
  if (inet_pton(AF_INET, host.c_str(), buf) != 1 && inet_pton(AF_INET6, host.c_str(), buf) != 1)
    throw ConfigError("'" + text + "': '" + host + "' is not an IP address");
  if (parseUnsigned(text.substr(colon + 1), 65535) == 0) throw ConfigError("port 0 in '" + text + "'");
}

std::vector<OptionSpec> captiveOptions() {
  using C = Config;
  using S = const std::string&;
  return {
      {"captive", "enabled", [](C& c, S v) { c.captive.enabled = parseBool(v); }},
      {"captive", "listen", [](C& c, S v) { c.captive.listen = parseListenList(v); }},
      {"captive", "https_listen", [](C& c, S v) { c.captive.httpsListen = parseListenList(v); }},
      {"captive", "certificate",
       [](C& c, S v) { c.captive.certificate = absolutePath(v, "certificate"); }},
      {"captive", "key", [](C& c, S v) { c.captive.key = absolutePath(v, "key"); }},
      {"captive", "portal_url", [](C& c, S v) { c.captive.portalUrl = checkUrl(v, false); }},
      {"captive", "api_url", [](C& c, S v) { c.captive.apiUrl = checkUrl(v, true); }},
      {"captive", "venue_info_url", [](C& c, S v) { c.captive.venueInfoUrl = checkUrl(v, false); }},
      {"captive", "auth", [](C& c, S v) { c.captive.auth = parseAuth(v); }},
      {"captive", "session_timeout",
       [](C& c, S v) { c.captive.sessionTimeout = parseDuration(v); }},
      {"captive", "idle_timeout", [](C& c, S v) { c.captive.idleTimeout = parseDuration(v); }},
      {"captive", "data_quota", [](C& c, S v) { c.captive.dataQuota = parseSize(v); }},
      {"captive", "walled_garden",
       [](C& c, S v) {
         // Parsed here only to report errors at this line; the daemon parses it again.
         try {
           filters::DestinationSet::parse(v, "", "");
         } catch (const std::exception& e) {
           std::string why = e.what();  // ": : 'x' is not a host name, IP address or CIDR"
           throw ConfigError(why.substr(why.find('\'')));
         }
         for (auto& entry : splitList(v))
           if (auto probe = captive::probeHostCoveredBy(lower(entry)))
             throw ConfigError("'" + entry + "' would let the OS probe host " + *probe +
                               " through before login, so no device would show the login page");
         c.captive.walledGarden = v;
       }},
      {"captive", "dns_servers",
       [](C& c, S v) {
         auto list = splitList(v);
         for (auto& item : list) {
           unsigned char buf[16];
           if (inet_pton(AF_INET, item.c_str(), buf) != 1 && inet_pton(AF_INET6, item.c_str(), buf) != 1)
             throw ConfigError("'" + item + "' is not an IP address");
         }
         c.captive.dnsServers = list;
       }},
      {"captive", "database",
       [](C& c, S v) {
         if (v.empty()) throw ConfigError("database needs a path");
         c.captive.database = absolutePath(v, "database");
       }},
      {"captive", "accounts", [](C& c, S v) { c.captive.accounts = absolutePath(v, "accounts"); }},
      {"captive", "templates", [](C& c, S v) { c.captive.templates = absolutePath(v, "templates"); }},
      {"radius", "server",
       [](C& c, S v) {
         c.radius.servers.clear();
         for (auto& item : splitList(v)) c.radius.servers.push_back(parseRadiusServer(item));
       }},
      {"radius", "secret", [](C& c, S v) { c.radius.secret = v; }},
      {"radius", "accounting", [](C& c, S v) { c.radius.accounting = parseBool(v); }},
      {"radius", "nas_identifier", [](C& c, S v) { c.radius.nasIdentifier = v; }},
      {"radius", "timeout",
       [](C& c, S v) {
         c.radius.timeout = parseDuration(v);
         if (c.radius.timeout.count() < 100 || c.radius.timeout.count() > 30000)
           throw ConfigError("timeout must be 100ms..30s");
       }},
      {"radius", "tries",
       [](C& c, S v) {
         c.radius.tries = toU32(parseUnsigned(v, 10));
         if (c.radius.tries == 0) throw ConfigError("tries must be 1..10");
       }},
      {"radius", "require_message_authenticator",
       [](C& c, S v) { c.radius.requireMessageAuthenticator = parseBool(v); }},
  };
}

void validateCaptive(Config& c, const std::string& source, const std::map<std::string, int>& lines) {
  auto& cap = c.captive;
  if (!cap.enabled) return;
  auto fail = [&](std::initializer_list<const char*> keys, const std::string& why) {
    failAt(source, lines, keys, why);
  };
  if (cap.portalUrl.empty()) fail({"captive.portal_url", "captive.enabled"}, "[captive] needs portal_url");
  if (cap.listen.empty() && cap.httpsListen.empty())
    fail({"captive.listen", "captive.enabled"}, "[captive] needs listen or https_listen");
  if (!cap.httpsListen.empty() && (cap.certificate.empty() || cap.key.empty()))
    fail({"captive.https_listen"}, "https_listen needs certificate and key");
  for (auto method : cap.auth) {
    if (method == CaptiveAuth::Accounts && cap.accounts.empty())
      fail({"captive.auth"}, "auth = accounts needs [captive] accounts = PATH");
    if (method == CaptiveAuth::Radius && (c.radius.servers.empty() || c.radius.secret.empty()))
      fail({"captive.auth", "radius.server"}, "auth = radius needs [radius] server and secret");
  }
  if (cap.sessionTimeout.count() < 1000)
    fail({"captive.session_timeout"}, "session_timeout must be at least 1s");
}

}  // namespace tollgate::config::detail
