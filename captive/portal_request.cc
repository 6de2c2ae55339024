#include "captive/portal_request.h"

#include <strings.h>

#include <algorithm>

namespace tollgate::captive {
namespace {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string decodeComponent(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < in.size() && hexValue(in[i + 1]) >= 0 &&
               hexValue(in[i + 2]) >= 0) {
      out += static_cast<char>(hexValue(in[i + 1]) * 16 + hexValue(in[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

const std::string* PortalResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (equalsIgnoreCase(key, name)) return &value;
  }
  return nullptr;
}

void PortalResponse::setHeader(std::string name, std::string value) {
  std::erase_if(headers, [&](const auto& h) { return equalsIgnoreCase(h.first, name); });
  headers.emplace_back(std::move(name), std::move(value));
}

FormFields parseFormFields(std::string_view encoded) {
  FormFields fields;
  size_t read = 0;
  while (!encoded.empty() && read < kMaxFormFields) {
    const size_t amp = encoded.find('&');
    const std::string_view pair = encoded.substr(0, amp);
    encoded = amp == std::string_view::npos ? std::string_view{} : encoded.substr(amp + 1);
    if (pair.empty()) continue;
    ++read;
    const size_t eq = pair.find('=');
    std::string name = decodeComponent(pair.substr(0, eq));
    std::string value =
        eq == std::string_view::npos ? std::string() : decodeComponent(pair.substr(eq + 1));
    fields.emplace(std::move(name), std::move(value));  // emplace keeps the first
  }
  return fields;
}

std::string formValue(const FormFields& fields, std::string_view name) {
  const auto it = fields.find(name);
  return it == fields.end() ? std::string() : it->second;
}

std::string_view pathOf(std::string_view target) {
  return target.substr(0, target.find_first_of("?#"));
}

std::string_view queryOf(std::string_view target) {
  const size_t q = target.find('?');
  if (q == std::string_view::npos) return {};
  const std::string_view rest = target.substr(q + 1);
  return rest.substr(0, rest.find('#'));
}

bool isSafeRedirect(std::string_view url) {
  if (url.empty() || url.size() > kMaxRedirectLength) return false;
  for (char c : url) {
    const auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || b >= 0x7f || c == '\\') return false;
  }
  size_t rest;
  if (url.size() > 7 && equalsIgnoreCase(url.substr(0, 7), "http://")) {
    rest = 7;
  } else if (url.size() > 8 && equalsIgnoreCase(url.substr(0, 8), "https://")) {
    rest = 8;
  } else {
    return false;
  }
  // "http:///evil" is read by browsers as http://evil/: insist that a host comes first.
  const char first = url[rest];
  return first != '/' && first != '?' && first != '#' && first != '@';
}

}  // namespace tollgate::captive
