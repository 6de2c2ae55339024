// PortalLogic: routing, the pages, the RFC 8908 API, logout and the end of sessions. Logging
// in, the part with the most branches, is in portal_login.cc.
#include "captive/portal_logic.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSONString.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <sstream>
#include <stdexcept>

#include "captive/portal_logic_internal.h"

namespace tollgate::captive {

using portal_internal::endedBy;
using portal_internal::humanBytes;
using portal_internal::humanDuration;

namespace {

constexpr const char* kHtml = "text/html; charset=utf-8";

std::string utcTime(std::chrono::sys_seconds t) {
  const std::time_t tt = t.time_since_epoch().count();
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &tm);
  return text;
}

const char* methodLabel(LoginMethod m) {
  switch (m) {
    case LoginMethod::ClickThrough: return "Click-through";
    case LoginMethod::Voucher: return "Voucher";
    case LoginMethod::Account: return "Account";
    case LoginMethod::Radius: return "RADIUS";
  }
  return "?";
}

// Applied to every answer. The pages carry no script, so the policy forbids it outright; the
// inline stylesheet is the one exception. No form-action: browsers apply it to the redirect
// after the POST too, which would block the 303 to the guest's original page. no-store
// matters: a status page cached by the browser would show "connected" after the session ended.
void addSecurityHeaders(PortalResponse& r) {
  if (!r.header("Cache-Control")) r.setHeader("Cache-Control", "no-store");
  r.setHeader("X-Frame-Options", "DENY");
  r.setHeader("Content-Security-Policy",
              "default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; "
              "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'");
  r.setHeader("Referrer-Policy", "no-referrer");
  r.setHeader("X-Content-Type-Options", "nosniff");
}

void requireHttpUrl(const std::string& url, const char* option) {
  if (!isSafeRedirect(url)) {
    throw std::invalid_argument(std::string("captive ") + option + " '" + url +
                                "' is not an absolute http(s) URL");
  }
}

}  // namespace

// ---- shared helpers (portal_logic_internal.h) -------------------------------------------

namespace portal_internal {

std::optional<EndReason> endedBy(const Session& s, std::chrono::sys_seconds now) {
  // The same checks, in the same order, as SessionStore::expire(), which will end it.
  if (now >= s.expires) return EndReason::Expired;
  if (s.idleTimeout > Seconds{0} && now - s.lastActivity >= s.idleTimeout) return EndReason::Idle;
  if (s.dataQuota != 0 && s.bytesUsed() >= s.dataQuota) return EndReason::Quota;
  return std::nullopt;
}

inspect::AcctTerminateCause terminateCause(EndReason r) {
  using Cause = inspect::AcctTerminateCause;
  switch (r) {
    case EndReason::Expired: return Cause::SessionTimeout;
    case EndReason::Idle: return Cause::IdleTimeout;
    // RFC 2866 has no cause for a data quota; Session-Timeout is what ChilliSpot reports for
    // its octet limits, so RADIUS servers' reports already expect it.
    case EndReason::Quota: return Cause::SessionTimeout;
    case EndReason::Kicked: return Cause::AdminReset;
  }
  return Cause::None;
}

std::string humanDuration(std::chrono::seconds d) {
  const int64_t s = std::max<int64_t>(0, d.count());
  const int64_t days = s / 86400, hours = s % 86400 / 3600, minutes = s % 3600 / 60;
  char text[48];
  if (days > 0) {
    std::snprintf(text, sizeof text, "%lld d %lld h", static_cast<long long>(days),
                  static_cast<long long>(hours));
  } else if (hours > 0) {
    std::snprintf(text, sizeof text, "%lld h %02lld min", static_cast<long long>(hours),
                  static_cast<long long>(minutes));
  } else if (minutes > 0) {
    std::snprintf(text, sizeof text, "%lld min", static_cast<long long>(minutes));
  } else {
    std::snprintf(text, sizeof text, "%lld s", static_cast<long long>(s));
  }
  return text;
}

std::string humanBytes(uint64_t bytes) {
  // Decimal units: what phone settings and operators' price lists use.
  static constexpr const char* kUnits[] = {"kB", "MB", "GB", "TB", "PB"};
  if (bytes < 1000) return std::to_string(bytes) + " B";
  double value = static_cast<double>(bytes) / 1000;
  size_t unit = 0;
  while (value >= 1000 && unit + 1 < std::size(kUnits)) {
    value /= 1000;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %s", value, kUnits[unit]);
  return text;
}

}  // namespace portal_internal

// ---- construction ----------------------------------------------------------------------

const char* toString(AuthMethod m) {
  switch (m) {
    case AuthMethod::ClickThrough: return "clickthrough";
    case AuthMethod::Voucher: return "voucher";
    case AuthMethod::Accounts: return "accounts";
    case AuthMethod::Radius: return "radius";
  }
  return "?";
}

std::optional<AuthMethod> parseAuthMethod(std::string_view text) {
  for (auto m :
       {AuthMethod::ClickThrough, AuthMethod::Voucher, AuthMethod::Accounts, AuthMethod::Radius}) {
    if (text == toString(m)) return m;
  }
  return std::nullopt;
}

PortalLogic::PortalLogic(PortalOptions options, SessionStore& sessions, Vouchers* vouchers,
                         AccountsPtr accounts, RadiusClient* radius, LoginLimiter& limiter,
                         CsrfTokens& csrf, PortalHooks hooks)
    : options_(std::move(options)),
      sessions_(sessions),
      vouchers_(vouchers),
      accounts_(std::move(accounts)),
      radius_(radius),
      limiter_(limiter),
      csrf_(csrf),
      hooks_(std::move(hooks)),
      templates_(options_.templatesDir),
      counters_(std::make_unique<Counters>()) {
  if (options_.auth.empty()) throw std::invalid_argument("captive auth: no login method");
  for (AuthMethod m : options_.auth) {
    const bool backed =
        (m == AuthMethod::ClickThrough) || (m == AuthMethod::Voucher && vouchers_) ||
        (m == AuthMethod::Accounts && accounts_) || (m == AuthMethod::Radius && radius_);
    if (!backed) {
      throw std::invalid_argument(std::string("captive auth = ") + toString(m) +
                                  " needs its backend (vouchers, accounts file or radius)");
    }
  }
  if (options_.radiusAccounting && !radius_) {
    throw std::invalid_argument("captive radius accounting needs a RADIUS server");
  }
  if (options_.sessionTimeout <= Seconds{0}) {
    throw std::invalid_argument("captive session_timeout must be positive");
  }
  if (options_.idleTimeout < Seconds{0}) {
    throw std::invalid_argument("captive idle_timeout must not be negative");
  }
  requireHttpUrl(options_.portalUrl, "portal_url");
  apiUrl_ = options_.apiUrl;
  if (apiUrl_.empty()) {
    apiUrl_ = options_.portalUrl + (options_.portalUrl.ends_with('/') ? "" : "/") + "api/captive";
  }
  requireHttpUrl(apiUrl_, "api_url");
  if (!options_.venueInfoUrl.empty()) requireHttpUrl(options_.venueInfoUrl, "venue_info_url");
}

PortalLogic::~PortalLogic() = default;

PortalCounters PortalLogic::counters() const { return counters_->snapshot(); }

std::chrono::sys_seconds PortalLogic::now() const {
  if (hooks_.now) return hooks_.now();
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

// ---- the request edge ------------------------------------------------------------------

PortalResponse PortalLogic::handle(const PortalRequest& request) {
  PortalResponse response;
  try {
    response = route(request);
  } catch (const std::exception&) {
    // The store names its database in the message, but the guest needs none of it; the
    // daemon's log has the same failure from its own calls, and the counter says how often.
    response = internalError();
  } catch (...) {
    response = internalError();
  }
  addSecurityHeaders(response);
  return response;
}

PortalResponse PortalLogic::tooLarge() {
  ++counters_->bodies_too_large;
  PortalResponse r = errorPage(413, "Request too large", "That request was too large.");
  r.setHeader("Connection", "close");
  addSecurityHeaders(r);
  return r;
}

PortalResponse PortalLogic::internalError() {
  ++counters_->errors;
  PortalResponse r;
  try {
    r = errorPage(500, "Something went wrong",
                  "The portal could not complete your request. Please try again in a moment.");
  } catch (...) {
    r.status = 500;  // a template that cannot render: plain text, never nothing
    r.contentType = "text/plain; charset=utf-8";
    r.body = "Internal error\n";
  }
  addSecurityHeaders(r);
  return r;
}

PortalLogic::Client PortalLogic::identify(const PortalRequest& request) {
  Client client;
  client.address = request.clientAddress;
  client.now = now();
  if (hooks_.macOf) {
    if (auto mac = hooks_.macOf(request.clientAddress)) client.mac = canonicalMac(*mac);
  }
  if (!client.mac) return client;
  if (auto session = sessions_.find(*client.mac)) {
    if (endedBy(*session, client.now)) {
      client.stale = std::move(session);
    } else {
      client.session = std::move(session);
    }
  }
  return client;
}

PortalResponse PortalLogic::route(const PortalRequest& request) {
  const std::string_view path = pathOf(request.target);
  const bool read = request.method == "GET" || request.method == "HEAD";
  const bool post = request.method == "POST";
  const auto notAllowed = [&](const char* allow) {
    ++counters_->method_not_allowed;
    PortalResponse r = errorPage(405, "Not allowed", "That page cannot be used this way.");
    r.setHeader("Allow", allow);
    return r;
  };

  if (path == "/api/captive") {
    if (!read) return notAllowed("GET, HEAD");
    return apiStatus(identify(request));
  }
  const bool loginPath = path == "/" || path == "/login";
  if (!loginPath && path != "/status" && path != "/logout") {
    ++counters_->not_found;
    return errorPage(404, "Not found", "There is no such page on this portal.");
  }
  if (path == "/" && !read) return notAllowed("GET, HEAD");
  if (path == "/login" && !read && !post) return notAllowed("GET, HEAD, POST");
  if (path == "/status" && !read) return notAllowed("GET, HEAD");
  if (path == "/logout" && !post) return notAllowed("POST");

  const Client client = identify(request);
  if (!client.mac) {
    ++counters_->unknown_device;
    return errorPage(403, "Cannot identify your device",
                     "The portal cannot identify your device, so it cannot log it in. Connect "
                     "to this network directly (not through another router, a VPN or a proxy) "
                     "and reload this page.");
  }
  FormFields form;
  if (post) {
    if (request.contentType.starts_with("application/x-www-form-urlencoded")) {
      form = parseFormFields(request.body);
    }
  } else {
    form = parseFormFields(queryOf(request.target));
  }
  if (post && path == "/login") return login(client, form);
  if (path == "/logout") return logout(client, form);
  const std::string url = formValue(form, "url");
  if (path == "/status") {
    if (client.session) return showStatus(client, url);
    PortalResponse r = errorPage(302, "Not logged in", "You are not logged in.");
    r.setHeader("Location", "/");
    return r;
  }
  return client.session ? showStatus(client, url) : showLogin(client, url);
}

// ---- pages -----------------------------------------------------------------------------

PortalResponse PortalLogic::page(int status, PortalPage which, TemplateValues values) {
  if (!options_.venueInfoUrl.empty()) values.emplace("venue_info_url", options_.venueInfoUrl);
  PortalResponse r;
  r.status = status;
  r.contentType = kHtml;
  r.body = templates_.render(which, values);
  return r;
}

PortalResponse PortalLogic::errorPage(int status, std::string_view title,
                                      std::string_view message) {
  // Redirects get a body too (for clients that do not follow them), without "Error 303".
  return page(status, PortalPage::Error,
              {{"title", std::string(title)},
               {"message", std::string(message)},
               {"status", status >= 400 ? std::to_string(status) : std::string()}});
}

PortalResponse PortalLogic::showLogin(const Client& client, std::string_view url) {
  return loginPage(client, 200, {}, url, {});
}

PortalResponse PortalLogic::loginPage(const Client& client, int status, std::string_view message,
                                      std::string_view url, const FormFields& typed) {
  ++counters_->login_pages;
  TemplateValues v{{"title", "Connect to the Internet"},
                   {"message", std::string(message)},
                   {"csrf", csrf_.issue(*client.mac, client.now)},
                   {"url", isSafeRedirect(url) ? std::string(url) : std::string()},
                   {"mac", *client.mac},
                   {"code", formValue(typed, "code")},
                   {"username", formValue(typed, "username")}};
  for (AuthMethod m : options_.auth) v[toString(m)] = "1";
  return page(status, PortalPage::Login, std::move(v));
}

PortalResponse PortalLogic::showStatus(const Client& client, std::string_view url) {
  ++counters_->status_pages;
  const Session& s = *client.session;
  const auto left = s.bytesLeft();
  return page(200, PortalPage::Status,
              {{"title", "You are connected"},
               {"csrf", csrf_.issue(*client.mac, client.now)},
               {"mac", *client.mac},
               {"method", methodLabel(s.method)},
               {"user", s.user},
               {"time_left", humanDuration(s.secondsLeft(client.now))},
               {"expires_at", utcTime(s.expires)},
               {"data_left", left ? humanBytes(*left) : std::string()},
               {"data_used", humanBytes(s.bytesUsed())},
               {"url", isSafeRedirect(url) ? std::string(url) : std::string()}});
}

PortalResponse PortalLogic::redirectAfterLogin(std::string_view url) {
  std::string target = "/status";
  if (isSafeRedirect(url)) {
    target = url;
  } else if (!url.empty()) {
    ++counters_->redirects_refused;
  }
  // 303 turns the POST into a GET of the target: a full navigation, which is what makes a
  // captive sheet probe again and close.
  PortalResponse r = errorPage(303, "Connected", "You are connected.");
  r.setHeader("Location", target);
  return r;
}

// ---- RFC 8908 --------------------------------------------------------------------------

PortalResponse PortalLogic::apiStatus(const Client& client) {
  ++counters_->api_requests;
  Poco::JSON::Object json(Poco::JSON_PRESERVE_KEY_ORDER);
  // A client the portal cannot identify is captive: it could not log in either, and the portal
  // page tells it why.
  json.set("captive", !client.session.has_value());
  json.set("user-portal-url", options_.portalUrl);
  if (!options_.venueInfoUrl.empty()) json.set("venue-info-url", options_.venueInfoUrl);
  if (client.session) {
    json.set("seconds-remaining",
             static_cast<Poco::Int64>(client.session->secondsLeft(client.now).count()));
    if (auto left = client.session->bytesLeft()) {
      json.set("bytes-remaining", static_cast<Poco::UInt64>(*left));
    }
  }
  json.set("can-extend-session", false);
  std::ostringstream body;
  json.stringify(body);
  PortalResponse r;
  r.contentType = "application/captive+json";
  r.body = body.str();
  // RFC 8908 §5: the answer is per client, so no shared cache may keep it.
  r.setHeader("Cache-Control", "private");
  return r;
}

// ---- logout and the end of sessions ----------------------------------------------------

PortalResponse PortalLogic::logout(const Client& client, const FormFields& form) {
  if (csrf_.verify(formValue(form, "csrf"), *client.mac, client.now) != CsrfTokens::Check::Valid) {
    ++counters_->csrf_failures;
    if (!client.session) return loginPage(client, 403, {}, {}, {});
    PortalResponse r = showStatus(client, {});
    r.status = 403;
    return r;
  }
  if (auto ended = sessions_.kick(*client.mac)) {
    ++counters_->logouts;
    if (hooks_.onLogout) hooks_.onLogout(*ended);
    finish(*ended, inspect::AcctTerminateCause::UserRequest);
  }
  Client after = client;
  after.session.reset();
  return loginPage(after, 200, "You are logged out.", {}, {});
}

void PortalLogic::sessionEnded(const EndedSession& ended) {
  try {
    finish(ended.session, portal_internal::terminateCause(ended.reason));
  } catch (...) {
    ++counters_->errors;
  }
}

void PortalLogic::finish(const Session& session, inspect::AcctTerminateCause cause) {
  if (session.method == LoginMethod::Voucher && vouchers_) {
    vouchers_->recordUsage(session.user, session.mac, session.bytesUsed());
  }
  if (!options_.radiusAccounting || !radius_) return;
  Accounting known;
  {
    std::lock_guard lock(accountingMutex_);
    if (auto it = accounting_.find(session.mac); it != accounting_.end()) {
      known = std::move(it->second);
      accounting_.erase(it);
    }
  }
  const auto end = std::min(now(), session.expires);
  AccountingSession a = portal_internal::accountingFor(session, known.clientAddress);
  a.inputOctets = session.bytesUp;
  a.outputOctets = session.bytesDown;
  a.sessionTime =
      static_cast<uint32_t>(std::clamp<int64_t>((end - session.start).count(), 0, UINT32_MAX));
  a.terminateCause = cause;
  a.classes = std::move(known.classes);
  if (radius_->account(inspect::AcctStatusType::Stop, a).outcome != AcctOutcome::Acknowledged) {
    ++counters_->accounting_failures;
  }
}

}  // namespace tollgate::captive
