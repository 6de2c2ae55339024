#include "daemon/control/policy_commands.h"

#include <arpa/inet.h>

#include <cstdio>
#include <ctime>
#include <stdexcept>

#include "daemon/log/log_format.h"
#include "filters/address.h"
#include "filters/engine.h"

namespace tollgate::control {

namespace {

sockaddr_storage parseAddress(const std::string& text) {
  sockaddr_storage ss{};
  if (inet_pton(AF_INET, text.c_str(), &reinterpret_cast<sockaddr_in&>(ss).sin_addr) == 1) {
    ss.ss_family = AF_INET;
  } else if (inet_pton(AF_INET6, text.c_str(), &reinterpret_cast<sockaddr_in6&>(ss).sin6_addr) == 1) {
    ss.ss_family = AF_INET6;
  } else {
    throw std::invalid_argument("'" + text + "' is not an IP address");
  }
  return ss;
}

int64_t parseTime(const std::string& text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) return std::stoll(text);
  tm t{};
  if (!strptime(text.c_str(), "%Y-%m-%dT%H:%M", &t))
    throw std::invalid_argument("'" + text + "' is not a time (unix seconds or YYYY-MM-DDTHH:MM)");
  t.tm_isdst = -1;
  return static_cast<int64_t>(mktime(&t));
}

std::shared_ptr<const filters::PolicyEngine> engineOf(const filters::PolicyPtr& policy) {
  return std::dynamic_pointer_cast<const filters::PolicyEngine>(policy);
}

void addField(std::string& out, const char* name, const std::string& value) {
  out += ",\"";
  out += name;
  out += "\":";
  log::appendJsonString(value, out);
}

}  // namespace

std::string explainJson(const filters::PolicyPtr& policy, const std::vector<std::string>& words) {
  sockaddr_storage client{}, destination{};
  bool haveClient = false, haveDst = false;
  filters::PolicyRequest req;
  std::string target, host, url;
  for (size_t i = 1; i < words.size(); ++i) {
    const auto& w = words[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= words.size()) throw std::invalid_argument(w + " needs a value");
      return words[++i];
    };
    if (w == "--client") client = parseAddress(value()), haveClient = true;
    else if (w == "--mac") {
      auto mac = filters::parseMac(value());
      if (!mac) throw std::invalid_argument("'" + words[i] + "' is not a MAC address (aa:bb:cc:dd:ee:ff)");
      req.mac = *mac;
    }
    else if (w == "--at") req.unixTime = parseTime(value());
    else if (w == "--dst") destination = parseAddress(value()), haveDst = true;
    else if (w == "--sni") req.protocol = filters::Protocol::Tls, host = value();
    else if (!w.empty() && w[0] != '-' && target.empty()) target = w;
    else throw std::invalid_argument("unexpected '" + w + "'");
  }
  if (!haveClient) throw std::invalid_argument("explain needs --client IP");
  if (target.empty() && host.empty()) throw std::invalid_argument("explain needs a URL or --sni NAME");
  if (!target.empty()) {
    req.protocol = filters::Protocol::Http;
    url = target.find("://") == std::string::npos ? "http://" + target : target;
    auto start = url.find("://") + 3;
    auto end = url.find_first_of("/?:", start);
    host = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
    req.method = "GET";
  }
  for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  req.client = &client;
  req.destination = haveDst ? &destination : nullptr;
  req.host = host;
  req.url = url;

  std::string out = "{\"ok\":true";
  auto engine = engineOf(policy);
  if (!engine) {
    addField(out, "action", "allow");
    addField(out, "rule", "default");
    addField(out, "text", "No lists or groups are configured: everything is allowed (rule default).\n");
    return out + "}";
  }
  auto explanation = engine->explain(req);
  const auto& v = explanation.verdict;
  addField(out, "action", filters::toString(v.action));
  addField(out, "rule", v.rule);
  addField(out, "list", v.list);
  addField(out, "category", v.category);
  addField(out, "group", v.group);
  addField(out, "entry", v.entry);
  addField(out, "text", filters::formatExplanation(explanation));
  return out + "}";
}

std::string listsJson(const filters::PolicyPtr& policy, const std::string& lastError) {
  std::string out = "{\"ok\":true";
  addField(out, "last_error", lastError);
  std::string text;
  out += ",\"lists\":[";
  if (auto engine = engineOf(policy)) {
    char line[512];
    std::snprintf(line, sizeof line, "%-24s %-9s %10s %8s %9s %10s %9s\n", "list", "format", "entries",
                  "skipped", "load ms", "memory KB", "match ns");
    text += line;
    bool first = true;
    for (const auto& r : engine->lists()) {
      const auto& s = r.stats;
      out += first ? "{" : ",{";
      first = false;
      out += "\"name\":";
      log::appendJsonString(r.name, out);
      addField(out, "section", r.section);
      addField(out, "format", r.format);
      addField(out, "category", r.category);
      out += ",\"entries\":" + std::to_string(s.entries) + ",\"skipped\":" + std::to_string(s.skipped);
      out += ",\"load_ms\":" + std::to_string(s.loadMs) + ",\"memory_bytes\":" + std::to_string(s.memoryBytes);
      out += ",\"match_ns\":" + std::to_string(s.matchNs) + ",\"warnings\":[";
      for (size_t i = 0; i < s.warnings.size(); ++i) {
        if (i) out += ',';
        log::appendJsonString(s.warnings[i], out);
      }
      out += "]}";
      std::snprintf(line, sizeof line, "%-24s %-9s %10zu %8zu %9.1f %10zu %9.0f\n", r.name.c_str(),
                    r.format.c_str(), s.entries, s.skipped, s.loadMs, s.memoryBytes / 1024, s.matchNs);
      text += line;
      for (const auto& w : s.warnings) text += "    warning: " + w + "\n";
    }
  } else {
    text = "No lists configured.\n";
  }
  out += "]";
  if (!lastError.empty()) text += "last reload failed, the policy above is still running:\n  " + lastError + "\n";
  addField(out, "text", text);
  return out + "}";
}

}  // namespace tollgate::control
