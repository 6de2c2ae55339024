#include "daemon/proxy/error_pages.h"

namespace tollgate::proxy {

const char* reasonPhrase(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 408: return "Request Timeout";
    case 431: return "Request Header Fields Too Large";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Error";
  }
}

std::string htmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string errorResponse(int status, const std::string& detail) {
  std::string title = std::to_string(status) + " " + reasonPhrase(status);
  std::string body = "<!DOCTYPE html>\n<html><head><title>" + title + "</title></head><body><h1>" + title +
                     "</h1><p>" + htmlEscape(detail) + "</p><hr><p>tollgate</p></body></html>\n";
  std::string out = "HTTP/1.1 " + title + "\r\n";
  out += "Content-Type: text/html; charset=utf-8\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += "Cache-Control: no-store\r\nConnection: close\r\n\r\n";
  out += body;
  return out;
}

}  // namespace tollgate::proxy
