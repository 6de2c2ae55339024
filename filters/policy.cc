#include "filters/policy.h"

namespace tollgate::filters {

const char* toString(Action a) {
  switch (a) {
    case Action::Allow: return "allow";
    case Action::Block: return "block";
    case Action::Log: return "log";
    case Action::Redirect: return "redirect";
  }
  return "unknown";
}

const char* toString(Protocol p) {
  switch (p) {
    case Protocol::Http: return "http";
    case Protocol::Tls: return "tls";
    case Protocol::Tcp: return "tcp";
    case Protocol::Quic: return "quic";
    case Protocol::Dns: return "dns";
  }
  return "unknown";
}

}  // namespace tollgate::filters
