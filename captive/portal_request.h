#pragma once
// A portal request and its answer as plain data, so PortalLogic decides everything without a
// socket: PortalServer copies a Poco request into a PortalRequest and a PortalResponse back
// out, and the tests build both by hand. Also here: decoding form fields, and the check on
// the "url" a guest is sent back to after login.
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tollgate::captive {

// A login or logout form is a few hundred bytes; the cap keeps a client from making a server
// thread buffer megabytes. Larger bodies are answered 413 without being read.
inline constexpr size_t kMaxRequestBody = 16 * 1024;
// Longer original URLs are not kept: browsers send longer ones, but a guest landing on /status
// instead loses nothing, and a shorter Location is one less thing for a CNA sheet to choke on.
inline constexpr size_t kMaxRedirectLength = 2048;
inline constexpr size_t kMaxFormFields = 32;

struct PortalRequest {
  std::string method;         // "GET", "HEAD", "POST", ...
  std::string target;         // as received: "/login?url=http%3A%2F%2Fexample.com%2F"
  std::string clientAddress;  // the TCP peer, no port: "10.0.0.23", "fd00::23"
  std::string contentType;    // of the body, if any
  std::string body;           // at most kMaxRequestBody bytes
};

struct PortalResponse {
  int status = 200;
  std::string contentType;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // in order, beside Content-Type

  // The value of the first header named `name` (case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const;
  void setHeader(std::string name, std::string value);  // replaces every header of that name
};

using FormFields = std::map<std::string, std::string, std::less<>>;

// application/x-www-form-urlencoded (also a query string): '+' is a space, %XX a byte, an
// invalid escape stays as typed. The first of repeated names wins, so a field appended after
// the form's own cannot override it; at most kMaxFormFields are read.
FormFields parseFormFields(std::string_view encoded);
std::string formValue(const FormFields& fields, std::string_view name);  // "" if absent

// "/login?url=x" → "/login" and "url=x"; a fragment is dropped.
std::string_view pathOf(std::string_view target);
std::string_view queryOf(std::string_view target);

// True for what may go into a Location header and an href: an absolute http:// or https://
// URL with a host, at most kMaxRedirectLength bytes, every byte printable ASCII (no CR/LF or
// other controls, no spaces, nothing a header or an attribute could be split at) and no
// backslash (browsers read "http:\\evil" as a host). Everything else — javascript:, data:,
// relative and protocol-relative URLs, header injection — is refused.
bool isSafeRedirect(std::string_view url);

}  // namespace tollgate::captive
