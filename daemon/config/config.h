#pragma once
// The validated configuration: parsed once from one INI file into immutable per-concern structs
// (nghttpx shrpx_config.h), shared by shared_ptr<const Config>; a reload builds a new one and
// swaps it, so a component never sees a half-applied file.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "captive/auth_method.h"

namespace tollgate::config {

using Millis = std::chrono::milliseconds;

enum class InterceptMode { Tproxy, Redirect };
enum class FailMode { Open, Closed };
enum class LogFormat { Json, Squid };

struct GatewayConfig {
  std::vector<std::string> lanInterfaces;
  std::vector<uint16_t> httpPorts;
  std::vector<uint16_t> tlsPorts;
  std::vector<uint16_t> tcpPorts;
  unsigned workers = 0;  // resolved: never 0 after loading
  InterceptMode intercept = InterceptMode::Tproxy;
  bool manageNftables = true;
  uint16_t listenPort = 3129;
  FailMode failMode = FailMode::Open;
  std::vector<std::string> bypassDst;
  std::vector<std::string> bypassSrc;
  uint32_t interceptMark = 0x1;
  uint32_t upstreamMark = 0x2;
  uint32_t markMask = 0xff;
  uint32_t routeTable = 100;
  bool transparentUpstream = false;
  std::string user = "tollgate";  // outside systemd, root becomes this user; "" = stay root
};

struct LimitsConfig {
  uint32_t maxConnections = 20000;
  uint32_t maxConnectionsPerClient = 1000;
  uint32_t maxHeadSize = 64 * 1024;
  uint32_t maxClientHello = 16 * 1024;
  uint32_t maxPipesPerWorker = 1024;
  Millis sniffTimeout{1000};
  Millis connectTimeout{5000};
  Millis requestTimeout{15000};
  Millis keepaliveTimeout{60000};
  Millis idleTimeout{300000};
  Millis drainTimeout{10000};
};

struct HttpConfig {
  bool via = false;
  bool xForwardedFor = false;
};

struct LogConfig {
  std::string decisions;  // path; "-" is standard output
  LogFormat format = LogFormat::Json;
  uint32_t queueSize = 16384;  // per worker
  std::string level = "info";
};

enum class RangeMiss { Forward, FetchWhole };
enum class Admission { All, SecondRequest };

// [cache]: the shared HTTP cache (RFC 9111). Store-ID rules are [storeid.NAME] sections.
struct CacheConfig {
  bool enabled = false;
  std::string dir = "/var/cache/tollgate";
  uint64_t size = uint64_t{10} << 30;           // disk bytes
  uint64_t memory = uint64_t{256} << 20;        // memory tier bytes
  uint64_t maxObjectSize = uint64_t{4} << 30;
  uint64_t memoryObjectMax = uint64_t{1} << 20;
  RangeMiss rangeMiss = RangeMiss::Forward;
  Millis heuristicMax{24 * 3600 * 1000};
  bool verifyHost = true;                       // the anti-poisoning check
  Admission admission = Admission::SecondRequest;  // for bodies up to admissionMaxSize
  uint64_t admissionMaxSize = uint64_t{64} << 10;
  int line = 0;                                 // the [cache] header, for errors
};

// The portal's own enum: the config names the methods the portal offers, nothing more.
using CaptiveAuth = captive::AuthMethod;

// [captive]: the captive portal. Unauthenticated clients reach DHCP, DNS, the portal and the
// walled garden; their HTTP is redirected to portal_url, their TLS and other TCP reset.
struct CaptiveConfig {
  bool enabled = false;
  std::vector<std::string> listen;       // "ADDR:PORT" of the portal's plain-HTTP server
  std::vector<std::string> httpsListen;  // "ADDR:PORT" of its HTTPS server (RFC 8908 API)
  std::string certificate;               // PEM, for https_listen
  std::string key;
  std::string portalUrl;     // where unauthenticated HTTP is sent (the user-portal-url)
  std::string apiUrl;        // the RFC 8908 API URL for DHCP option 114; "" = derived
  std::string venueInfoUrl;
  std::vector<CaptiveAuth> auth{CaptiveAuth::ClickThrough};
  Millis sessionTimeout{24 * 3600 * 1000};
  Millis idleTimeout{0};      // 0: none
  uint64_t dataQuota = 0;     // bytes up + down per session; 0: none
  std::string walledGarden;   // host names and CIDRs, as written ("a.example, 192.0.2.0/24")
  std::vector<std::string> dnsServers;  // resolvers guests may reach before login (forwarded)
  std::string database = "/var/lib/tollgate/sessions.db";
  std::string accounts;       // the accounts file for auth = accounts
  std::string templates;      // a directory of operator templates; "" = built-in
  int line = 0;               // the [captive] header, for errors
};

// One [radius] server entry, "HOST[:AUTHPORT[:ACCTPORT]]" parsed (the accounting port defaults
// to the authentication port + 1, as 1812/1813).
struct RadiusServerAddress {
  std::string host;  // a literal or a name (resolved once when the client is created)
  uint16_t authPort = 1812;
  uint16_t acctPort = 1813;
  bool operator==(const RadiusServerAddress&) const = default;
};

// [radius]: the RADIUS servers behind auth = radius.
struct RadiusConfig {
  std::vector<RadiusServerAddress> servers;  // tried in order
  std::string secret;
  bool accounting = false;
  std::string nasIdentifier = "tollgate";
  Millis timeout{2000};
  uint32_t tries = 3;
  bool requireMessageAuthenticator = true;
};

struct ControlConfig {
  std::string socket;
};

// [metrics]: the Prometheus scrape endpoint.
struct MetricsConfig {
  std::string listen;  // "ADDR:PORT" / "[ADDR6]:PORT"; empty: no endpoint
};

enum class TlsBlock { Alert, Reset };

// [filter]: how blocks look, and what is never blocked.
struct FilterConfig {
  TlsBlock tlsBlock = TlsBlock::Alert;
  std::string blockPage;      // HTML template path; empty = the built-in page
  std::string blockRedirect;  // when set, HTTP blocks answer 302 to this URL instead of 403
  std::vector<std::string> neverBlock;  // hosts and CIDRs always allowed
  std::string adminContact;   // shown on the block page
  int line = 0;               // the [filter] header, for errors about its values
};

enum class QuicMode { Inspect, Drop, Pass };

// [nfqueue]: the packet inspector (daemon/packet_inspector.h). The kernel queues the first
// packets of each UDP flow to a QUIC port; the inspector judges the Initial's SNI like TLS.
struct NfqueueConfig {
  bool enabled = false;
  uint16_t queue = 0;       // the first queue number; threads consecutive queues from it
  uint32_t threads = 1;     // one queue and one inspector thread each (flow-hash balanced)
  QuicMode quic = QuicMode::Inspect;
  std::vector<uint16_t> quicPorts{443};
  bool dns = false;         // DNS queries from the LAN judged too ([dns])
  FailMode failMode = FailMode::Open;  // open: `bypass` (packets flow while no one listens)
  uint32_t firstPackets = 4;           // packets per flow (original direction) queued
  Millis blockTimeout{300000};         // a blocked flow's element in the quic_blocked sets
  uint32_t maxFlows = 4096;            // flow table entries per thread
};

// [dns]: what the packet inspector answers for DNS queries ([nfqueue] dns = true).
struct DnsConfig {
  std::string blockAnswer;     // "" = NXDOMAIN; else an IPv4 or IPv6 address (the block page)
  bool suppressHttps = true;   // HTTPS (type 65) queries in filtering groups: no records
  bool blockDoh = true;        // known DoH endpoints blocked (SNI, QUIC, DNS) in filtering groups
  bool blockDot = false;       // DNS over TLS/QUIC (port 853) from the LAN refused
};

// A section of a kind that may appear many times, [list.NAME], [schedule.NAME], [group.NAME]:
// kept as validated strings with their lines; filters/ turns them into a policy (and reports
// its own errors with the same file:line).
struct NamedSection {
  std::string kind;  // list | schedule | group | storeid
  std::string name;
  std::string file;
  int line = 0;
  struct Value {
    std::string text;
    int line = 0;
  };
  std::map<std::string, Value> values;
};

struct Config {
  std::string sourceName;  // file path, or "<default>" for the embedded config
  GatewayConfig gateway;
  LimitsConfig limits;
  HttpConfig http;
  LogConfig log;
  ControlConfig control;
  MetricsConfig metrics;
  FilterConfig filter;
  CacheConfig cache;
  CaptiveConfig captive;
  RadiusConfig radius;
  NfqueueConfig nfqueue;
  DnsConfig dns;
  std::vector<NamedSection> sections;  // in file order
};
using ConfigPtr = std::shared_ptr<const Config>;

// Thrown by the loaders with a message of the form "file:line: reason".
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses and validates a whole file. Unknown sections or keys, bad values, duplicate keys and an
// unreadable file are errors; nothing is half-applied.
ConfigPtr loadConfigFile(const std::string& path);
ConfigPtr loadConfigText(const std::string& text, const std::string& sourceName);

// The embedded default config, every key present and commented.
const char* defaultConfigText();

// Parsers shared with other components (tollgatectl, tests). Throw ConfigError without location.
Millis parseDuration(const std::string& text);
uint64_t parseSize(const std::string& text);

}  // namespace tollgate::config
