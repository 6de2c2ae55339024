#pragma once
// What a blocked or redirected flow gets instead of the origin: the HTTP block page (an
// operator template, every value HTML-escaped) or a 302, and the TLS access_denied alert. Built
// once from [filter] on the control plane (the template file is read there) and shared,
// immutable, by the workers.
#include <memory>
#include <string>

#include "daemon/config/config.h"

namespace tollgate::proxy {

struct BlockContext {
  std::string url;
  std::string host;
  std::string rule;
  std::string list;
  std::string category;
  std::string group;
  std::string client;
  int64_t unixMs = 0;
};

class BlockResponses {
 public:
  // Reads [filter] block_page when set; throws std::runtime_error naming the file.
  static std::shared_ptr<const BlockResponses> build(const config::FilterConfig& filter);

  // A complete HTTP/1.1 response for a blocked request: 302 to block_redirect when configured,
  // else the 403 page. `status` receives the code. Keeps the connection usable (Content-Length).
  std::string httpBlock(const BlockContext& ctx, int& status) const;
  // 302 to `location` (safe search, redirect rules).
  static std::string httpFound(const std::string& location);
  bool tlsAlert() const { return tlsAlert_; }
  // A fatal TLS access_denied alert record, sent before any ServerHello: the browser shows an
  // error naming the refusal instead of a connection reset.
  static std::string tlsAccessDeniedAlert();

  static const char* kDefaultTemplate;

 private:
  std::string template_;
  std::string redirect_;
  std::string contact_;
  bool tlsAlert_ = true;
};
using BlockResponsesPtr = std::shared_ptr<const BlockResponses>;

std::string urlEncode(const std::string& text);

}  // namespace tollgate::proxy
