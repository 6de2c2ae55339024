#include "captive/html_escape.h"

namespace tollgate::captive {

std::string htmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;  // &apos; is not HTML 4; &#39; works everywhere
      default: out += c;
    }
  }
  return out;
}

}  // namespace tollgate::captive
