// The captive portal's part of a connection: the login check before the policy, and the
// bytes a logged-in guest moved, for quotas and accounting. See captive_gate.h.
#include <chrono>

#include "daemon/proxy/connection.h"

namespace tollgate::proxy {

bool Connection::captiveAdmits(std::string_view host, bool http) {
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  CaptiveClient client{mac_, client_};
  switch (judgeCaptive(*enforcement_.captive, ctx_.captiveSessions.get(), client, host,
                       destination_, http, now)) {
    case CaptiveVerdict::LoggedIn:
      ctx_.counters.add(Counter::captive_logged_in);
      captiveGuest_ = mac_.has_value();
      return true;
    case CaptiveVerdict::Garden:
      ctx_.counters.add(Counter::captive_garden);
      return true;
    case CaptiveVerdict::Redirect:
      ctx_.counters.add(Counter::captive_redirects);
      record_.action = "portal";
      record_.rule = "captive";
      httpReplyAndClose(captiveRedirectResponse(*enforcement_.captive, record_.url), 302, "captive");
      return false;
    case CaptiveVerdict::Reset:
      ctx_.counters.add(Counter::captive_resets);
      record_.action = "portal";
      record_.rule = "captive";
      record_.note = "captive";
      recordOpen_ = true;
      resetOnClose_ = true;
      close();
      return false;
  }
  return true;
}

void Connection::captiveAccount() {
  if (!captiveGuest_ || ctx_.captiveUsage == nullptr || !mac_) return;
  const uint64_t up = clientSide_.ep.bytesRead;
  const uint64_t down = clientSide_.ep.bytesWritten;
  if (up == captiveUp_ && down == captiveDown_) return;
  auto& bytes = ctx_.usageBatch[*mac_];
  bytes.up += up - captiveUp_;
  bytes.down += down - captiveDown_;
  captiveUp_ = up;
  captiveDown_ = down;
}

}  // namespace tollgate::proxy
