#pragma once
// The captive portal's three pages (login, status, error): built-in HTML kept here as raw
// strings, any of which an operator replaces with a file of the same name in
// [captive] templates_dir (login.html, status.html, error.html; a missing file keeps the
// built-in page).
//
// The template language is four forms, nothing more:
//   {{name}}               the value, HTML-escaped (htmlEscape): safe as element text and in a
//                          quoted attribute, never inside <script>, <style> or an unquoted
//                          attribute. There is no unescaped form, on purpose.
//   {{#name}}...{{/name}}  kept when the value is not empty (a flag is "1")
//   {{^name}}...{{/name}}  kept when the value is empty or absent
//   anything else          copied as is, including single braces (CSS) and "{{" not followed
//                          by a name
// Names are [a-z0-9_]; an unknown name is empty. Sections nest (at most kMaxTemplateDepth deep).
// Values are never parsed again, so a value holding "{{x}}" shows as text.
//
// The names each page receives (every one may be empty unless said otherwise):
//   all pages   title        the page's heading ("Log in", "Connected", "Not found" ...)
//               message      a notice or the reason a login failed
//               venue_info_url  the operator's venue page ([captive] venue_info_url)
//               mac          the device's MAC address, when known
//   login.html  csrf         the form token, bound to this device; always set
//               url          the page the guest asked for, kept through the form; "" if unsafe
//               clickthrough, voucher, accounts, radius
//                            "1" for each login method enabled: one form each; every form
//                            posts to /login with method=<that name>, csrf and url
//               code         the voucher code typed last time (after a failure)
//               username     the user name typed last time (after a failure); the password is
//                            never sent back
//   status.html csrf         the logout form's token; always set
//               method       how the guest logged in ("Click-through", "Voucher", "Account",
//                            "RADIUS")
//               user         the account or RADIUS name, or the voucher code
//               time_left    "2 h 05 min"; expires_at "2023-11-14 22:13 UTC"
//               data_left    "1.4 GB", or empty when there is no quota; data_used "12.0 MB"
//               url          the page the guest asked for, if safe: a "continue" link target
//   error.html  status       the HTTP status code ("403")
// url and venue_info_url are the only values fit for an href: both are checked to be absolute
// http(s) URLs without spaces or control characters before they get here, so no javascript:.
//
// Loading checks every template (balanced sections), so a broken file stops the daemon at
// start-up, with its path, instead of breaking every guest's page later.
#include <array>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace tollgate::captive {

enum class PortalPage { Login, Status, Error };
const char* fileName(PortalPage page);  // "login.html", "status.html", "error.html"

using TemplateValues = std::map<std::string, std::string, std::less<>>;
inline constexpr int kMaxTemplateDepth = 16;  // section nesting; deeper is a broken file

// Renders `text` with `values` (see above). Throws std::invalid_argument for a section that is
// not closed, a close without its open, a name that is not [a-z0-9_]+ inside a section tag,
// or sections nested deeper than kMaxTemplateDepth.
std::string renderTemplate(std::string_view text, const TemplateValues& values);

class PortalTemplates {
 public:
  // Operator files larger than this are refused: a page, not a media library.
  static constexpr size_t kMaxFileSize = 256 * 1024;

  PortalTemplates();  // the built-in pages
  // Built-in pages overridden by the files found in `dir` ("" = none). Throws
  // std::runtime_error "PATH: why" for a file that exists but cannot be read, is too large or
  // does not parse, and for a `dir` that is not a directory.
  explicit PortalTemplates(const std::string& dir);

  std::string render(PortalPage page, const TemplateValues& values) const;
  const std::string& source(PortalPage page) const;
  bool overridden(PortalPage page) const;

  static std::string_view builtIn(PortalPage page);

 private:
  std::array<std::string, 3> sources_;
  std::array<bool, 3> overridden_{};
};

}  // namespace tollgate::captive
