#pragma once
// Responses the proxy itself sends (400, 408, 502, 504): small, self-contained, always closing
// the connection, never cached.
#include <string>

namespace tollgate::proxy {

// A complete HTTP/1.1 response with a short HTML body naming the status and `detail`.
// `detail` is HTML-escaped.
std::string errorResponse(int status, const std::string& detail);
const char* reasonPhrase(int status);
std::string htmlEscape(const std::string& text);

}  // namespace tollgate::proxy
