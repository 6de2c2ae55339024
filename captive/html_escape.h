#pragma once
// HTML escaping for the portal's templates: every value put into a page goes through this.
//
// daemon/proxy/error_pages.h has the same function for block pages, but captive/ sits below
// daemon/ and must not include it (layers look down only). Both are five lines of switch; if a
// third user appears, the shared one belongs in a layer both can see.
#include <string>
#include <string_view>

namespace tollgate::captive {

// Escapes & < > " ' so the result is safe as element text and inside a quoted attribute
// value (either quote). It does not make a value safe inside <script>, <style>, an unquoted
// attribute or a URL attribute: templates must not put values there.
std::string htmlEscape(std::string_view text);

}  // namespace tollgate::captive
