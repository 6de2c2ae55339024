#pragma once
// How a guest logs in on the captive portal: one name for the config ([captive] auth), the
// portal's forms and the logs. Definitions in portal_logic.cc.
#include <optional>
#include <string_view>

namespace tollgate::captive {

enum class AuthMethod { ClickThrough, Voucher, Accounts, Radius };
const char* toString(AuthMethod m);  // "clickthrough", "voucher", "accounts", "radius"
std::optional<AuthMethod> parseAuthMethod(std::string_view text);

}  // namespace tollgate::captive
