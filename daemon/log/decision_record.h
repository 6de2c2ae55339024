#pragma once
// One logged decision: an HTTP request, or a TLS / opaque TCP connection. Filled on a worker with
// raw values (addresses unformatted) and formatted on the logging thread, so the hot path does
// no string formatting beyond copying the strings it already has.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include <sys/socket.h>

namespace tollgate::log {

struct DecisionRecord {
  int64_t startUnixMs = 0;  // wall clock when the request/connection started
  sockaddr_storage client{};
  sockaddr_storage destination{};
  std::optional<std::array<uint8_t, 6>> mac;
  const char* proto = "tcp";   // http | tls | tcp
  const char* action = "allow";
  std::string rule;
  std::string list;      // the list whose entry decided; empty for defaults
  std::string category;
  std::string group;
  std::string host;
  std::string sni;
  std::string method;
  std::string url;
  std::string contentType;  // squid format only
  std::string note;         // why a connection ended abnormally (e.g. "upstream_refused")
  // HTTP cache outcome: hit | miss | refresh | collapsed | bypass; null when the cache is off.
  const char* cache = nullptr;
  // Squid's finer code for it (TCP_MEM_HIT, TCP_REFRESH_UNMODIFIED...); null: derived.
  const char* squidCacheCode = nullptr;
  int status = 0;           // HTTP status sent to the client; 0 when none
  uint64_t bytesUp = 0;     // client → upstream
  uint64_t bytesDown = 0;   // upstream/proxy → client
  int64_t durationMs = 0;
  int64_t connectMs = -1;   // upstream connect time; -1 when no connect happened
};

}  // namespace tollgate::log
