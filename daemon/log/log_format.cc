#include "daemon/log/log_format.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdio>
#include <ctime>

namespace tollgate::log {

std::string formatAddress(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = "";
  if (ss.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(ss).sin_addr, buf, sizeof buf);
  } else if (ss.ss_family == AF_INET6) {
    auto& a = reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr;
    // A v4 client seen on a dual-stack socket is logged as plain v4.
    if (IN6_IS_ADDR_V4MAPPED(&a)) inet_ntop(AF_INET, &a.s6_addr[12], buf, sizeof buf);
    else inet_ntop(AF_INET6, &a, buf, sizeof buf);
  }
  return buf;
}

int addressPort(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(ss).sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(ss).sin6_port);
  return 0;
}

void appendJsonString(std::string_view s, std::string& out) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char esc[8];
          std::snprintf(esc, sizeof esc, "\\u%04x", c);
          out += esc;
        } else {
          out += static_cast<char>(c);  // UTF-8 passes through; invalid bytes are the peer's
        }
    }
  }
  out += '"';
}

namespace {

std::string formatMac(const std::optional<std::array<uint8_t, 6>>& mac) {
  if (!mac) return "";
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", (*mac)[0], (*mac)[1], (*mac)[2],
                (*mac)[3], (*mac)[4], (*mac)[5]);
  return buf;
}

// RFC 3339 with milliseconds, UTC.
void appendTimestamp(int64_t unixMs, std::string& out) {
  time_t secs = static_cast<time_t>(unixMs / 1000);
  tm t{};
  gmtime_r(&secs, &t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900, t.tm_mon + 1,
                t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, static_cast<int>(unixMs % 1000));
  out += buf;
}

void field(std::string& out, const char* name, std::string_view value) {
  out += ",\"";
  out += name;
  out += "\":";
  appendJsonString(value, out);
}

void field(std::string& out, const char* name, int64_t value) {
  out += ",\"";
  out += name;
  out += "\":";
  out += std::to_string(value);
}

// Squid result codes: what a Squid log reader expects for each outcome.
const char* squidCode(const DecisionRecord& r) {
  std::string_view action = r.action;
  if (action == "block" || action == "redirect") return "TCP_DENIED";
  if (std::string_view(r.proto) != "http") return "TCP_TUNNEL";
  if (r.squidCacheCode != nullptr) return r.squidCacheCode;
  if (r.status == 0 || r.status >= 500) return "TCP_MISS_ABORTED";
  return "TCP_MISS";
}

}  // namespace

void appendJsonLine(const DecisionRecord& r, std::string& out) {
  out += "{\"ts\":\"";
  appendTimestamp(r.startUnixMs, out);
  out += '"';
  field(out, "client", formatAddress(r.client));
  field(out, "client_port", addressPort(r.client));
  field(out, "mac", formatMac(r.mac));
  field(out, "dst", formatAddress(r.destination));
  field(out, "dst_port", addressPort(r.destination));
  field(out, "proto", r.proto);
  field(out, "host", r.host);
  field(out, "sni", r.sni);
  field(out, "method", r.method);
  field(out, "url", r.url);
  field(out, "status", r.status);
  field(out, "action", r.action);
  field(out, "rule", r.rule);
  field(out, "list", r.list);
  field(out, "category", r.category);
  field(out, "group", r.group);
  field(out, "bytes_up", static_cast<int64_t>(r.bytesUp));
  field(out, "bytes_down", static_cast<int64_t>(r.bytesDown));
  field(out, "duration_ms", r.durationMs);
  field(out, "connect_ms", r.connectMs);
  if (r.cache != nullptr) field(out, "cache", r.cache);
  if (!r.note.empty()) field(out, "note", r.note);
  out += "}\n";
}

// time elapsed remotehost code/status bytes method URL rfc931 hierarchy/peer type
void appendSquidLine(const DecisionRecord& r, std::string& out) {
  char head[64];
  int64_t endMs = r.startUnixMs + r.durationMs;
  std::snprintf(head, sizeof head, "%lld.%03lld %6lld ", static_cast<long long>(endMs / 1000),
                static_cast<long long>(endMs % 1000), static_cast<long long>(r.durationMs));
  out += head;
  out += formatAddress(r.client);
  out += ' ';
  out += squidCode(r);
  out += '/';
  out += std::to_string(r.status == 0 && std::string_view(r.proto) != "http" ? 200 : r.status);
  out += ' ';
  out += std::to_string(r.bytesDown);
  out += ' ';
  auto dst = formatAddress(r.destination);
  auto dstHost = r.destination.ss_family == AF_INET6 ? "[" + dst + "]" : dst;
  if (std::string_view(r.proto) == "http") {
    out += r.method.empty() ? "-" : r.method;
    out += ' ';
    out += r.url.empty() ? "-" : r.url;
  } else {
    // Squid logs intercepted TLS as a CONNECT to host:port (the SNI when known).
    out += "CONNECT ";
    out += r.sni.empty() ? dstHost : r.sni;
    out += ':';
    out += std::to_string(addressPort(r.destination));
  }
  out += " - ";
  out += r.connectMs >= 0 ? "ORIGINAL_DST/" : "HIER_NONE/";
  out += r.connectMs >= 0 ? dst : "-";
  out += ' ';
  out += r.contentType.empty() ? "-" : r.contentType;
  out += '\n';
}

}  // namespace tollgate::log
