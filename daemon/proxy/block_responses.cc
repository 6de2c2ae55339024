#include "daemon/proxy/block_responses.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "daemon/proxy/error_pages.h"

namespace tollgate::proxy {

const char* BlockResponses::kDefaultTemplate = R"(<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Blocked</title>
<style>body{font-family:sans-serif;max-width:40em;margin:3em auto;color:#222}
td{padding:.2em 1em .2em 0;vertical-align:top}td:first-child{color:#666}</style></head>
<body><h1>This page is blocked</h1>
<p>The network you are on does not allow <b>{{host}}</b>.</p>
<table>
<tr><td>Address</td><td>{{url}}</td></tr>
<tr><td>Category</td><td>{{category}}</td></tr>
<tr><td>Rule</td><td>{{rule}} (list {{list}}, group {{group}})</td></tr>
<tr><td>Your device</td><td>{{client}}</td></tr>
<tr><td>Time</td><td>{{time}}</td></tr>
</table>
<p>If you think this is a mistake, contact {{contact}}.</p>
</body></html>
)";

std::shared_ptr<const BlockResponses> BlockResponses::build(const config::FilterConfig& filter) {
  auto r = std::make_shared<BlockResponses>();
  r->template_ = kDefaultTemplate;
  if (!filter.blockPage.empty()) {
    std::ifstream in(filter.blockPage);
    if (!in) throw std::runtime_error("block_page " + filter.blockPage + ": cannot open: " + std::strerror(errno));
    std::stringstream ss;
    ss << in.rdbuf();
    r->template_ = ss.str();
  }
  r->redirect_ = filter.blockRedirect;
  r->contact_ = filter.adminContact.empty() ? "the network administrator" : filter.adminContact;
  r->tlsAlert_ = filter.tlsBlock == config::TlsBlock::Alert;
  return r;
}

std::string urlEncode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

namespace {
std::string localTime(int64_t unixMs) {
  time_t secs = static_cast<time_t>(unixMs / 1000);
  tm t{};
  localtime_r(&secs, &t);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %Z", &t);
  return buf;
}

// Replaces {{name}} placeholders; unknown names are left as they are so a typo shows.
std::string render(const std::string& templ, const BlockContext& ctx, const std::string& contact) {
  std::string out;
  out.reserve(templ.size() + 256);
  size_t pos = 0;
  while (true) {
    size_t open = templ.find("{{", pos);
    if (open == std::string::npos) break;
    size_t close = templ.find("}}", open + 2);
    if (close == std::string::npos) break;
    out.append(templ, pos, open - pos);
    std::string key = templ.substr(open + 2, close - open - 2);
    const std::string* value = nullptr;
    std::string time;
    if (key == "url") value = &ctx.url;
    else if (key == "host") value = &ctx.host;
    else if (key == "rule") value = &ctx.rule;
    else if (key == "list") value = &ctx.list;
    else if (key == "category") value = &ctx.category;
    else if (key == "group") value = &ctx.group;
    else if (key == "client") value = &ctx.client;
    else if (key == "contact") value = &contact;
    else if (key == "time") value = &(time = localTime(ctx.unixMs));
    if (value) out += htmlEscape(*value);
    else out.append(templ, open, close + 2 - open);
    pos = close + 2;
  }
  out.append(templ, pos, std::string::npos);
  return out;
}
}  // namespace

std::string BlockResponses::httpFound(const std::string& location) {
  std::string body = "<!DOCTYPE html>\n<html><body><a href=\"" + htmlEscape(location) + "\">" +
                     htmlEscape(location) + "</a></body></html>\n";
  std::string out = "HTTP/1.1 302 Found\r\nLocation: " + location + "\r\n";
  out += "Content-Type: text/html; charset=utf-8\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  out += "Cache-Control: no-store\r\n\r\n";
  out += body;
  return out;
}

std::string BlockResponses::httpBlock(const BlockContext& ctx, int& status) const {
  if (!redirect_.empty()) {
    status = 302;
    std::string location = redirect_ + (redirect_.find('?') == std::string::npos ? "?" : "&");
    location += "url=" + urlEncode(ctx.url) + "&category=" + urlEncode(ctx.category) +
                "&client=" + urlEncode(ctx.client);
    return httpFound(location);
  }
  status = 403;
  std::string body = render(template_, ctx, contact_);
  std::string out = "HTTP/1.1 403 Forbidden\r\nContent-Type: text/html; charset=utf-8\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\nCache-Control: no-store\r\n\r\n";
  out += body;
  return out;
}

std::string BlockResponses::tlsAccessDeniedAlert() {
  // TLSPlaintext { type = alert(21), legacy_version = 0x0303, length = 2 }
  // Alert { level = fatal(2), description = access_denied(49) }
  return std::string("\x15\x03\x03\x00\x02\x02\x31", 7);
}

}  // namespace tollgate::proxy
