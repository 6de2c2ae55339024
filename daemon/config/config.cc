// INI reading and validation. Every option lives in one declarative table with its setter
// (Redis config.c), so an option cannot be documented, defaulted and parsed in three places that
// drift apart. Poco's IniFileConfiguration is not used because it forgets line numbers, and
// every error here must name file:line.
#include "daemon/config/config.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "daemon/config/config_parsing.h"
#include "default_config.h"
#include "filters/address.h"

namespace tollgate::config {

namespace detail {

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> splitList(const std::string& value) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(value);
  while (std::getline(in, item, ',')) {
    item = trim(item);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

uint64_t parseUnsigned(const std::string& text, uint64_t max) {
  if (text.empty()) throw ConfigError("expected a number, got an empty value");
  int base = 10;
  std::string digits = text;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    digits = text.substr(2);
  }
  uint64_t v = 0;
  for (char c : digits) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (base == 16 && std::isxdigit(static_cast<unsigned char>(c))) d = std::tolower(c) - 'a' + 10;
    else throw ConfigError("'" + text + "' is not a number");
    if (v > (max - d) / base) throw ConfigError("'" + text + "' is larger than " + std::to_string(max));
    v = v * base + d;
  }
  return v;
}

bool parseBool(const std::string& text) {
  auto v = lower(text);
  if (v == "true" || v == "yes" || v == "on" || v == "1") return true;
  if (v == "false" || v == "no" || v == "off" || v == "0") return false;
  throw ConfigError("'" + text + "' is not a boolean (true|false)");
}

std::vector<uint16_t> parsePorts(const std::string& text) {
  std::vector<uint16_t> ports;
  for (auto& item : splitList(text)) {
    auto v = parseUnsigned(item, 65535);
    if (v == 0) throw ConfigError("port 0 is not a valid port");
    ports.push_back(static_cast<uint16_t>(v));
  }
  return ports;
}

// Addresses and CIDRs are checked with the filter layer's parser, so the config rejects exactly
// what the ruleset and the policy would (e.g. host bits set below the prefix), with file:line.
void checkCidr(const std::string& text) {
  std::string why;
  if (!filters::parseCidr(text, why)) throw ConfigError(why);
}

[[noreturn]] void failAt(const std::string& source, const std::map<std::string, int>& lines,
                         std::initializer_list<const char*> keys, const std::string& why) {
  for (auto* key : keys)
    if (auto it = lines.find(key); it != lines.end())
      throw ConfigError(source + ":" + std::to_string(it->second) + ": " + why);
  throw ConfigError(source + ": " + why);
}

}  // namespace detail

namespace {

using namespace detail;

// [metrics] listen: "127.0.0.1:9750", "[::1]:9750", or empty (no endpoint).
std::string parseMetricsListen(const std::string& text) {
  if (!text.empty()) checkListenAddress(text);
  return text;
}

std::vector<OptionSpec> withCaptive(std::vector<OptionSpec> table) {
  for (auto& spec : captiveOptions()) table.push_back(std::move(spec));
  return table;
}

const std::vector<OptionSpec>& optionTable() {
  using C = Config;
  using S = const std::string&;
  static const std::vector<OptionSpec> table = withCaptive({
      {"gateway", "lan_interfaces", [](C& c, S v) { c.gateway.lanInterfaces = splitList(v); }},
      {"gateway", "http_ports", [](C& c, S v) { c.gateway.httpPorts = parsePorts(v); }},
      {"gateway", "tls_ports", [](C& c, S v) { c.gateway.tlsPorts = parsePorts(v); }},
      {"gateway", "tcp_ports", [](C& c, S v) { c.gateway.tcpPorts = parsePorts(v); }},
      {"gateway", "workers",
       [](C& c, S v) { c.gateway.workers = lower(v) == "auto" ? 0 : toU32(parseUnsigned(v, 256)); }},
      {"gateway", "intercept",
       [](C& c, S v) {
         c.gateway.intercept = parseEnum<InterceptMode>(
             v, {{"tproxy", InterceptMode::Tproxy}, {"redirect", InterceptMode::Redirect}});
       }},
      {"gateway", "manage_nftables", [](C& c, S v) { c.gateway.manageNftables = parseBool(v); }},
      {"gateway", "listen_port",
       [](C& c, S v) {
         auto p = parsePorts(v);
         if (p.size() != 1) throw ConfigError("listen_port takes exactly one port");
         c.gateway.listenPort = p[0];
       }},
      {"gateway", "fail_mode",
       [](C& c, S v) {
         c.gateway.failMode =
             parseEnum<FailMode>(v, {{"open", FailMode::Open}, {"closed", FailMode::Closed}});
       }},
      {"gateway", "bypass_dst",
       [](C& c, S v) {
         c.gateway.bypassDst = splitList(v);
         for (auto& x : c.gateway.bypassDst) checkCidr(x);
       }},
      {"gateway", "bypass_src",
       [](C& c, S v) {
         c.gateway.bypassSrc = splitList(v);
         for (auto& x : c.gateway.bypassSrc) checkCidr(x);
       }},
      {"gateway", "intercept_mark",
       [](C& c, S v) { c.gateway.interceptMark = toU32(parseUnsigned(v, 0xffffffffu)); }},
      {"gateway", "upstream_mark",
       [](C& c, S v) { c.gateway.upstreamMark = toU32(parseUnsigned(v, 0xffffffffu)); }},
      {"gateway", "mark_mask",
       [](C& c, S v) { c.gateway.markMask = toU32(parseUnsigned(v, 0xffffffffu)); }},
      {"gateway", "route_table",
       [](C& c, S v) { c.gateway.routeTable = toU32(parseUnsigned(v, 0xfffffffeu)); }},
      {"gateway", "transparent_upstream",
       [](C& c, S v) { c.gateway.transparentUpstream = parseBool(v); }},
      {"gateway", "user",
       [](C& c, S v) {
         // The shape useradd accepts: a typo fails here, not as "no such user" at start.
         auto ok = [](char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                                        ch == '_' || ch == '-'; };
         if (!v.empty() && (v.size() > 32 || (v[0] >= '0' && v[0] <= '9') || v[0] == '-' ||
                            !std::all_of(v.begin(), v.end(), ok)))
           throw ConfigError("not a user name: " + v);
         c.gateway.user = v;
       }},
      {"limits", "max_connections",
       [](C& c, S v) { c.limits.maxConnections = toU32(parseUnsigned(v, 10000000)); }},
      {"limits", "max_connections_per_client",
       [](C& c, S v) { c.limits.maxConnectionsPerClient = toU32(parseUnsigned(v, 10000000)); }},
      {"limits", "max_head_size",
       [](C& c, S v) {
         auto s = parseSize(v);
         if (s < 1024 || s > 1024 * 1024) throw ConfigError("max_head_size must be 1K..1M");
         c.limits.maxHeadSize = toU32(s);
       }},
      {"limits", "max_client_hello",
       [](C& c, S v) {
         auto s = parseSize(v);
         if (s < 512 || s > 256 * 1024) throw ConfigError("max_client_hello must be 512..256K");
         c.limits.maxClientHello = toU32(s);
       }},
      {"limits", "max_pipes_per_worker",
       [](C& c, S v) { c.limits.maxPipesPerWorker = toU32(parseUnsigned(v, 100000)); }},
      {"limits", "sniff_timeout", [](C& c, S v) { c.limits.sniffTimeout = parseDuration(v); }},
      {"limits", "connect_timeout", [](C& c, S v) { c.limits.connectTimeout = parseDuration(v); }},
      {"limits", "request_timeout", [](C& c, S v) { c.limits.requestTimeout = parseDuration(v); }},
      {"limits", "keepalive_timeout",
       [](C& c, S v) { c.limits.keepaliveTimeout = parseDuration(v); }},
      {"limits", "idle_timeout", [](C& c, S v) { c.limits.idleTimeout = parseDuration(v); }},
      {"limits", "drain_timeout", [](C& c, S v) { c.limits.drainTimeout = parseDuration(v); }},
      {"http", "via", [](C& c, S v) { c.http.via = parseBool(v); }},
      {"http", "x_forwarded_for", [](C& c, S v) { c.http.xForwardedFor = parseBool(v); }},
      {"log", "decisions",
       [](C& c, S v) {
         if (v.empty()) throw ConfigError("decisions needs a path (or - for standard output)");
         c.log.decisions = v;
       }},
      {"log", "format",
       [](C& c, S v) {
         c.log.format = parseEnum<LogFormat>(v, {{"json", LogFormat::Json}, {"squid", LogFormat::Squid}});
       }},
      {"log", "queue_size",
       [](C& c, S v) {
         auto n = parseUnsigned(v, 1u << 24);
         if (n < 16) throw ConfigError("queue_size must be at least 16");
         c.log.queueSize = toU32(n);
       }},
      {"log", "level",
       [](C& c, S v) {
         auto l = lower(v);
         if (l != "debug" && l != "info" && l != "warning" && l != "error")
           throw ConfigError("'" + v + "' is not one of debug|info|warning|error");
         c.log.level = l;
       }},
      {"filter", "tls_block",
       [](C& c, S v) {
         c.filter.tlsBlock = parseEnum<TlsBlock>(v, {{"alert", TlsBlock::Alert}, {"reset", TlsBlock::Reset}});
       }},
      {"filter", "block_page", [](C& c, S v) { c.filter.blockPage = v; }},
      {"filter", "block_redirect",
       [](C& c, S v) {
         if (!v.empty() && v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0)
           throw ConfigError("block_redirect must be an http:// or https:// URL");
         c.filter.blockRedirect = v;
       }},
      {"filter", "never_block", [](C& c, S v) { c.filter.neverBlock = splitList(v); }},
      {"filter", "admin_contact", [](C& c, S v) { c.filter.adminContact = v; }},
      {"cache", "enabled", [](C& c, S v) { c.cache.enabled = parseBool(v); }},
      {"cache", "dir",
       [](C& c, S v) {
         if (v.empty() || v[0] != '/') throw ConfigError("dir must be an absolute path");
         c.cache.dir = v;
       }},
      {"cache", "size", [](C& c, S v) { c.cache.size = parseSize(v); }},
      {"cache", "memory", [](C& c, S v) { c.cache.memory = parseSize(v); }},
      {"cache", "max_object_size", [](C& c, S v) { c.cache.maxObjectSize = parseSize(v); }},
      {"cache", "memory_object_max", [](C& c, S v) { c.cache.memoryObjectMax = parseSize(v); }},
      {"cache", "range_miss",
       [](C& c, S v) {
         c.cache.rangeMiss = parseEnum<RangeMiss>(
             v, {{"forward", RangeMiss::Forward}, {"fetch_whole", RangeMiss::FetchWhole}});
       }},
      {"cache", "heuristic_max", [](C& c, S v) { c.cache.heuristicMax = parseDuration(v); }},
      {"cache", "verify_host", [](C& c, S v) { c.cache.verifyHost = parseBool(v); }},
      {"cache", "admission",
       [](C& c, S v) {
         c.cache.admission = parseEnum<Admission>(
             v, {{"all", Admission::All}, {"second_request", Admission::SecondRequest}});
       }},
      {"cache", "admission_max_size", [](C& c, S v) { c.cache.admissionMaxSize = parseSize(v); }},
      {"nfqueue", "enabled", [](C& c, S v) { c.nfqueue.enabled = parseBool(v); }},
      {"nfqueue", "queue", [](C& c, S v) { c.nfqueue.queue = static_cast<uint16_t>(parseUnsigned(v, 65535)); }},
      {"nfqueue", "threads",
       [](C& c, S v) {
         auto n = parseUnsigned(v, 64);
         if (n == 0) throw ConfigError("threads must be 1..64");
         c.nfqueue.threads = toU32(n);
       }},
      {"nfqueue", "quic",
       [](C& c, S v) {
         c.nfqueue.quic = parseEnum<QuicMode>(
             v, {{"inspect", QuicMode::Inspect}, {"drop", QuicMode::Drop}, {"pass", QuicMode::Pass}});
       }},
      {"nfqueue", "quic_ports", [](C& c, S v) { c.nfqueue.quicPorts = parsePorts(v); }},
      {"nfqueue", "dns", [](C& c, S v) { c.nfqueue.dns = parseBool(v); }},
      {"dns", "block_answer",
       [](C& c, S v) {
         auto l = lower(v);
         if (l == "nxdomain" || l.empty()) {
           c.dns.blockAnswer.clear();
           return;
         }
         unsigned char buf[16];
         if (inet_pton(AF_INET, v.c_str(), buf) != 1 && inet_pton(AF_INET6, v.c_str(), buf) != 1)
           throw ConfigError("'" + v + "' is neither nxdomain nor an IP address");
         c.dns.blockAnswer = v;
       }},
      {"dns", "suppress_https", [](C& c, S v) { c.dns.suppressHttps = parseBool(v); }},
      {"dns", "block_doh", [](C& c, S v) { c.dns.blockDoh = parseBool(v); }},
      {"dns", "block_dot", [](C& c, S v) { c.dns.blockDot = parseBool(v); }},
      {"nfqueue", "fail_mode",
       [](C& c, S v) {
         c.nfqueue.failMode = parseEnum<FailMode>(v, {{"open", FailMode::Open}, {"closed", FailMode::Closed}});
       }},
      {"nfqueue", "first_packets",
       [](C& c, S v) {
         auto n = parseUnsigned(v, 32);
         if (n == 0) throw ConfigError("first_packets must be 1..32");
         c.nfqueue.firstPackets = toU32(n);
       }},
      {"nfqueue", "block_timeout",
       [](C& c, S v) {
         auto d = parseDuration(v);
         if (d < Millis(1000) || d > Millis(86400000)) throw ConfigError("block_timeout must be 1s..1d");
         c.nfqueue.blockTimeout = d;
       }},
      {"nfqueue", "max_flows",
       [](C& c, S v) {
         auto n = parseUnsigned(v, 1u << 22);
         if (n < 16) throw ConfigError("max_flows must be at least 16");
         c.nfqueue.maxFlows = toU32(n);
       }},
      {"control", "socket",
       [](C& c, S v) {
         if (v.empty() || v[0] != '/') throw ConfigError("socket must be an absolute path");
         c.control.socket = v;
       }},
      {"metrics", "listen", [](C& c, S v) { c.metrics.listen = parseMetricsListen(v); }},
  });
  return table;
}

// Sections that may appear many times as [kind.NAME], and the keys each accepts. Values are
// checked by filters/ when the policy is built (it reports file:line the same way).
const std::map<std::string, std::set<std::string>> kNamedKinds = {
    {"list", {"format", "path"}},
    {"schedule", {"days", "hours"}},
    {"group", {"clients", "rules", "default", "safe_search", "block_ech"}},
    {"storeid", {"match", "key"}},
};

bool validSectionName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

// Cross-key checks that no single setter can make. `lines` maps "section.key" to the line that
// set it, so an error points at the line to change (or at the file when the default is at fault).
void validate(Config& c, const std::string& source, const std::map<std::string, int>& lines) {
  auto failAt = [&](std::initializer_list<const char*> keys, const std::string& why) {
    detail::failAt(source, lines, keys, why);
  };
  if (c.gateway.workers == 0) c.gateway.workers = std::max(1u, std::thread::hardware_concurrency());
  std::set<uint16_t> seen;
  for (auto* list : {&c.gateway.httpPorts, &c.gateway.tlsPorts, &c.gateway.tcpPorts})
    for (auto p : *list)
      if (!seen.insert(p).second) failAt({"gateway.tcp_ports", "gateway.tls_ports", "gateway.http_ports"}, "port " + std::to_string(p) + " is listed twice in *_ports");
  if (seen.empty())
    failAt({"gateway.http_ports", "gateway.tls_ports", "gateway.tcp_ports"}, "no intercepted ports: set http_ports, tls_ports or tcp_ports");
  if (seen.count(c.gateway.listenPort))
    failAt({"gateway.listen_port", "gateway.http_ports", "gateway.tls_ports", "gateway.tcp_ports"},
           "listen_port " + std::to_string(c.gateway.listenPort) + " is also an intercepted port");
  if (c.gateway.lanInterfaces.empty()) failAt({"gateway.lan_interfaces"}, "lan_interfaces is empty");
  if (c.gateway.interceptMark == 0 || c.gateway.upstreamMark == 0 ||
      c.gateway.interceptMark == c.gateway.upstreamMark)
    failAt({"gateway.upstream_mark", "gateway.intercept_mark"}, "intercept_mark and upstream_mark must be distinct and non-zero");
  auto m = c.gateway.markMask;
  if ((c.gateway.interceptMark & ~m) || (c.gateway.upstreamMark & ~m))
    failAt({"gateway.mark_mask", "gateway.upstream_mark", "gateway.intercept_mark"},
           "intercept_mark and upstream_mark must lie inside mark_mask");
  if (c.cache.enabled && c.cache.size < c.cache.maxObjectSize && c.cache.size < (uint64_t{1} << 20))
    failAt({"cache.size"}, "cache size must be at least 1M");
  if (c.cache.memoryObjectMax > c.cache.memory)
    failAt({"cache.memory_object_max", "cache.memory"}, "memory_object_max exceeds memory");
  if (c.limits.maxConnectionsPerClient > c.limits.maxConnections)
    failAt({"limits.max_connections_per_client", "limits.max_connections"},
           "max_connections_per_client exceeds max_connections");
  if (c.nfqueue.queue + c.nfqueue.threads - 1 > 65535)
    failAt({"nfqueue.threads", "nfqueue.queue"}, "queue + threads - 1 exceeds 65535");
  if (c.nfqueue.quic != QuicMode::Pass && c.nfqueue.quicPorts.empty())
    failAt({"nfqueue.quic_ports", "nfqueue.quic"}, "quic_ports is empty");
  validateCaptive(c, source, lines);
}

}  // namespace

namespace {
// "250ms" → {250, "ms"}; the number part is required.
std::pair<uint64_t, std::string> numberAndUnit(const std::string& text, uint64_t max, const char* example) {
  auto t = lower(trim(text));
  size_t i = 0;
  while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
  if (i == 0) throw ConfigError("'" + text + "' is not " + example);
  return {parseUnsigned(t.substr(0, i), max), t.substr(i)};
}
}  // namespace

Millis parseDuration(const std::string& text) {
  auto [n, unit] = numberAndUnit(text, 1ull << 40, "a duration (e.g. 250ms, 5s, 2m, 1h)");
  uint64_t mult;
  if (unit == "ms") mult = 1;
  else if (unit == "s" || unit.empty()) mult = 1000;
  else if (unit == "m") mult = 60000;
  else if (unit == "h") mult = 3600000;
  else if (unit == "d") mult = 86400000;
  else throw ConfigError("'" + text + "' has an unknown duration unit (ms, s, m, h, d)");
  return Millis(n * mult);
}

uint64_t parseSize(const std::string& text) {
  auto [n, unit] = numberAndUnit(text, 1ull << 50, "a size (e.g. 512, 64K, 10M, 4G)");
  if (unit == "" || unit == "b") return n;
  if (unit == "k" || unit == "kb") return n << 10;
  if (unit == "m" || unit == "mb") return n << 20;
  if (unit == "g" || unit == "gb") return n << 30;
  if (unit == "t" || unit == "tb") return n << 40;
  throw ConfigError("'" + text + "' has an unknown size unit (K, M, G, T)");
}

const char* defaultConfigText() { return kDefaultConfigText; }

ConfigPtr loadConfigText(const std::string& text, const std::string& sourceName) {
  auto config = std::make_shared<Config>();
  config->sourceName = sourceName;
  std::map<std::string, const OptionSpec*> byName;
  std::set<std::string> sections;
  for (auto& spec : optionTable()) {
    byName[std::string(spec.section) + "." + spec.key] = &spec;
    sections.insert(spec.section);
  }
  // Defaults come from the embedded default file itself, through the same setters, so the file
  // users read and the values the daemon uses cannot disagree.
  std::map<std::string, int> keyLines;
  auto applyText = [&](const std::string& body, const std::string& name, std::set<std::string>* setKeys) {
    std::istringstream in(body);
    std::string raw, section;
    NamedSection* named = nullptr;  // the [kind.NAME] section being read, if any
    int lineNo = 0;
    while (std::getline(in, raw)) {
      ++lineNo;
      auto where = name + ":" + std::to_string(lineNo) + ": ";
      auto line = trim(raw);
      if (line.empty() || line[0] == '#' || line[0] == ';') continue;
      if (line[0] == '[') {
        if (line.back() != ']') throw ConfigError(where + "unterminated section header");
        auto header = trim(line.substr(1, line.size() - 2));
        named = nullptr;
        if (auto dot = header.find('.'); dot != std::string::npos && kNamedKinds.count(lower(header.substr(0, dot)))) {
          if (!setKeys) throw ConfigError(where + "named sections do not belong in the default config");
          NamedSection ns{lower(header.substr(0, dot)), header.substr(dot + 1), name, lineNo, {}};
          if (!validSectionName(ns.name))
            throw ConfigError(where + "bad name '" + ns.name + "' (letters, digits, - and _)");
          for (auto& other : config->sections)
            if (other.kind == ns.kind && other.name == ns.name)
              throw ConfigError(where + "duplicate section [" + header + "] (first at line " +
                                std::to_string(other.line) + ")");
          config->sections.push_back(std::move(ns));
          named = &config->sections.back();
          section.clear();
          continue;
        }
        section = lower(header);
        if (!sections.count(section)) throw ConfigError(where + "unknown section [" + section + "]");
        if (section == "filter" && setKeys) config->filter.line = lineNo;
        if (section == "cache" && setKeys) config->cache.line = lineNo;
        if (section == "captive" && setKeys) config->captive.line = lineNo;
        continue;
      }
      auto eq = line.find('=');
      if (eq == std::string::npos) throw ConfigError(where + "expected 'key = value'");
      auto key = lower(trim(line.substr(0, eq)));
      auto value = trim(line.substr(eq + 1));
      if (named) {
        auto& allowed = kNamedKinds.at(named->kind);
        if (!allowed.count(key))
          throw ConfigError(where + "unknown key '" + key + "' in [" + named->kind + "." + named->name + "]");
        if (!named->values.emplace(key, NamedSection::Value{value, lineNo}).second)
          throw ConfigError(where + "duplicate key '" + key + "' in [" + named->kind + "." + named->name + "]");
        continue;
      }
      if (section.empty()) throw ConfigError(where + "key '" + key + "' outside any [section]");
      auto it = byName.find(section + "." + key);
      if (it == byName.end()) throw ConfigError(where + "unknown key '" + key + "' in [" + section + "]");
      if (setKeys && !setKeys->insert(it->first).second)
        throw ConfigError(where + "duplicate key '" + key + "' in [" + section + "]");
      if (setKeys) keyLines[it->first] = lineNo;
      try {
        it->second->apply(*config, value);
      } catch (const ConfigError& e) {
        throw ConfigError(where + key + ": " + e.what());
      }
    }
  };
  applyText(kDefaultConfigText, "<default>", nullptr);
  std::set<std::string> setKeys;
  if (sourceName != "<default>") applyText(text, sourceName, &setKeys);
  validate(*config, sourceName, keyLines);
  for (auto& ns : config->sections) {
    static const std::map<std::string, std::vector<const char*>> required = {
        {"list", {"format", "path"}}, {"schedule", {"days", "hours"}}, {"group", {}},
        {"storeid", {"match", "key"}}};
    for (auto* key : required.at(ns.kind))
      if (!ns.values.count(key))
        throw ConfigError(ns.file + ":" + std::to_string(ns.line) + ": [" + ns.kind + "." + ns.name +
                          "] needs '" + key + "'");
  }
  return config;
}

ConfigPtr loadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot open: " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return loadConfigText(ss.str(), path);
}

}  // namespace tollgate::config
