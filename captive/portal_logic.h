#pragma once
// What the captive portal answers: the login, status and logout pages and the RFC 8908 API,
// decided from a PortalRequest without any networking, so every branch is a unit test.
// PortalServer (portal_server.h) puts it on the wire.
//
// Who the client is: the TCP peer's address, turned into a MAC by hooks.macOf (the daemon's
// neighbour table). No MAC, no login: a session is bound to a MAC, and a session bound to
// nothing could be used by anyone taking the address.
//
// A login runs in this order, each step able to end it:
//   MAC known → CSRF token valid for this MAC → method enabled → fields present (terms ticked,
//   code, user and password) → LoginLimiter::attempt (voucher, accounts, radius) → the method
//   → SessionStore::login → LoginLimiter::success → hooks.onLogin → RADIUS Accounting-Start
//   → 303 See Other to the page the guest asked for (or /status).
// The answer to a login is always a full-page navigation (303, then a GET): Apple's captive
// sheet re-probes only after one, so a script-driven login would leave it saying "Cancel".
//
// A client that already has a live session gets its status page instead of the login form,
// and a login POST from it changes nothing (303 as if it had succeeded): replacing a session
// in place would restart a voucher's data count, so a guest wanting to change method logs out
// first. A session that has ended but that the accounting tick has not swept yet is ended
// properly (voucher usage, accounting Stop, onLogout) before the new one starts.
//
// RADIUS accounting (radiusAccounting) covers every session, whatever its login method, so a
// site can authenticate with vouchers and still log sessions to a RADIUS server. The
// Acct-Session-Id is derived from the session (start time and MAC), so a Stop sent after a
// daemon restart still matches its Start; the Class values from the Access-Accept are kept in
// memory only, and a Stop after a restart goes without them.
//
// Thread-safe: called from the HTTP server's threads at once. Every dependency locks for
// itself; the logic's own state is the accounting map (one mutex) and atomic counters.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "captive/accounts.h"
#include "captive/auth_method.h"
#include "captive/csrf.h"
#include "captive/login_limiter.h"
#include "captive/portal_request.h"
#include "captive/portal_templates.h"
#include "captive/radius_client.h"
#include "captive/session_store.h"
#include "captive/vouchers.h"

namespace tollgate::captive {


struct PortalOptions {
  std::vector<std::string> listen;  // "ADDR:PORT" plain HTTP: "10.0.0.1:8080", "[fd00::1]:8080"
  std::vector<std::string> httpsListen;  // "ADDR:PORT" HTTPS (RFC 8908 needs it); may be empty
  std::string certificate, key;          // PEM paths for HTTPS
  std::string portalUrl;                 // where clients are sent: "http://portal.lan:8080/"
  std::string apiUrl;            // RFC 8908 API URL advertised; "" = portalUrl + "api/captive"
  std::string venueInfoUrl;      // optional
  std::vector<AuthMethod> auth;  // one or more; the login page has a form for each
  // For click-through, accounts and RADIUS sessions (a voucher carries its own; a RADIUS
  // Session-Timeout, Idle-Timeout or ChilliSpot-Max-Total-Octets wins over these).
  std::chrono::seconds sessionTimeout{std::chrono::hours(24)};
  std::chrono::seconds idleTimeout{0};  // 0: none
  uint64_t dataQuota = 0;               // bytes up + down; 0: none
  std::string templatesDir;             // "" = built-in pages (portal_templates.h)
  bool radiusAccounting = false;
};

struct PortalHooks {  // called on the server's threads; any may be empty
  // The neighbour table: the canonical MAC of a client address, or nullopt.
  std::function<std::optional<std::string>(const std::string& clientAddress)> macOf;
  std::function<void(const Session&)> onLogin;    // after SessionStore::login committed
  std::function<void(const Session&)> onLogout;   // after SessionStore::kick by a logout
  std::function<std::chrono::sys_seconds()> now;  // default: the system clock
};

#define TOLLGATE_PORTAL_COUNTERS(X)                                                    \
  X(login_pages)         /* login forms served */                                      \
  X(status_pages)        /* status pages served */                                     \
  X(logins_clickthrough) /* sessions started, by method */                             \
  X(logins_voucher)                                                                    \
  X(logins_accounts)                                                                   \
  X(logins_radius)                                                                     \
  X(already_logged_in)    /* a login POST from a live session: nothing changed */      \
  X(stale_sessions_ended) /* an ended, unswept session closed before a login */        \
  X(logouts)                                                                           \
  X(unknown_device)      /* no MAC for the peer address: refused */                    \
  X(csrf_failures)       /* token missing, malformed, forged (another MAC), expired */ \
  X(method_disabled)     /* a login for a method not configured, or no such method */  \
  X(incomplete_forms)    /* terms not accepted; an empty code, user or password */     \
  X(rate_limited)        /* refused by LoginLimiter: 429 */                            \
  X(voucher_rejected)    /* unknown, expired, used up on its devices or data */        \
  X(password_rejected)   /* accounts: wrong user or password */                        \
  X(radius_rejected)     /* Access-Reject (or Challenge) */                            \
  X(radius_unavailable)  /* no server answered, or a local error */                    \
  X(redirects_refused)   /* an original URL unsafe to redirect to: sent to /status */  \
  X(api_requests)        /* RFC 8908 GETs */                                           \
  X(not_found)           /* unknown paths: 404 */                                      \
  X(method_not_allowed)  /* a known path with the wrong HTTP method: 405 */            \
  X(bodies_too_large)    /* over kMaxRequestBody: 413 */                               \
  X(accounting_failures) /* Accounting-Start or Stop not acknowledged */               \
  X(errors)              /* exceptions caught at the request edge: 500 */

struct PortalCounters {
#define TOLLGATE_PORTAL_FIELD(name) uint64_t name = 0;
  TOLLGATE_PORTAL_COUNTERS(TOLLGATE_PORTAL_FIELD)
#undef TOLLGATE_PORTAL_FIELD
};

class PortalLogic {
 public:
  // Checks the options and loads the templates. Throws std::invalid_argument naming the
  // option: no auth method, a method without its backend (null Vouchers, Accounts or
  // RadiusClient), radiusAccounting without a RadiusClient, a portal, API or venue URL that is
  // not an absolute http(s) URL, a non-positive sessionTimeout; std::runtime_error naming the
  // file for a template that cannot be loaded.
  PortalLogic(PortalOptions options, SessionStore& sessions, Vouchers* vouchers,
              AccountsPtr accounts, RadiusClient* radius, LoginLimiter& limiter, CsrfTokens& csrf,
              PortalHooks hooks);
  ~PortalLogic();
  PortalLogic(const PortalLogic&) = delete;
  PortalLogic& operator=(const PortalLogic&) = delete;

  // Answers one request. Never throws: an exception becomes a 500 page, counted in errors.
  PortalResponse handle(const PortalRequest& request);

  // What the server answers without calling handle(): a body over kMaxRequestBody, and an
  // exception on its own side of the edge. Both counted; neither throws.
  PortalResponse tooLarge();
  PortalResponse internalError();

  // The daemon calls this for each session SessionStore::expire() returned, so a voucher's
  // data use is recorded and RADIUS accounting gets its Stop with the right cause. Logouts
  // through the portal are handled here already. Never throws (failures are counted).
  void sessionEnded(const EndedSession& ended);

  // The RFC 8908 URL to advertise (DHCP option 114, RA option 37): options.apiUrl, or
  // portalUrl + "api/captive".
  const std::string& apiUrl() const { return apiUrl_; }
  const PortalOptions& options() const { return options_; }
  PortalCounters counters() const;

 private:
  struct Client;       // one request's view: MAC, address, live session (portal_logic.cc)
  struct LoginResult;  // what a method decided (portal_login.cc)
  struct Accounting {  // what a session's Start told the RADIUS server, echoed in its Stop
    std::string clientAddress;
    std::vector<std::string> classes;
  };
  struct Counters;  // the atomics behind PortalCounters

  // Routing and pages (portal_logic.cc).
  PortalResponse route(const PortalRequest& request);
  PortalResponse showLogin(const Client& client, std::string_view url);
  PortalResponse showStatus(const Client& client, std::string_view url);
  PortalResponse apiStatus(const Client& client);
  PortalResponse logout(const Client& client, const FormFields& form);
  PortalResponse loginPage(const Client& client, int status, std::string_view message,
                           std::string_view url, const FormFields& typed);
  PortalResponse errorPage(int status, std::string_view title, std::string_view message);
  PortalResponse page(int status, PortalPage which, TemplateValues values);
  PortalResponse redirectAfterLogin(std::string_view url);
  Client identify(const PortalRequest& request);
  std::chrono::sys_seconds now() const;

  // Logging in (portal_login.cc).
  PortalResponse login(const Client& client, const FormFields& form);
  LoginResult loginWithVoucher(const Client& client, const std::string& code);
  LoginResult loginWithAccount(const std::string& user, const std::string& password);
  LoginResult loginWithRadius(const Client& client, const std::string& user,
                              const std::string& password);
  void startAccounting(const Session& session, const std::string& clientAddress,
                       std::vector<std::string> classes);
  // Voucher usage, accounting Stop; the hook is the caller's (logout) or nobody's (expiry).
  void finish(const Session& session, inspect::AcctTerminateCause cause);

  const PortalOptions options_;
  SessionStore& sessions_;
  Vouchers* const vouchers_;
  const AccountsPtr accounts_;
  RadiusClient* const radius_;
  LoginLimiter& limiter_;
  CsrfTokens& csrf_;
  const PortalHooks hooks_;
  const PortalTemplates templates_;
  std::string apiUrl_;
  std::mutex accountingMutex_;
  std::unordered_map<std::string, Accounting> accounting_;  // by MAC, sessions with a Start
  std::unique_ptr<Counters> counters_;
};

}  // namespace tollgate::captive
