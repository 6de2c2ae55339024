// PortalLogic::login and the four methods behind it; the order of the checks is set out in
// portal_logic.h.
#include <algorithm>
#include <cstdio>

#include "captive/portal_logic.h"
#include "captive/portal_logic_internal.h"

namespace tollgate::captive {
namespace {

// "2 minutes", "45 seconds": for the rate-limit message, rounded up so the guest who waits
// what it says is let through.
std::string waitText(std::chrono::seconds s) {
  const int64_t n = std::max<int64_t>(1, s.count());
  if (n < 120) return std::to_string(n) + (n == 1 ? " second" : " seconds");
  return std::to_string((n + 59) / 60) + " minutes";
}

bool enabled(const std::vector<AuthMethod>& methods, AuthMethod m) {
  return std::find(methods.begin(), methods.end(), m) != methods.end();
}

// Which fields a method needs; the message if one is missing.
const char* missingField(AuthMethod method, const FormFields& form) {
  switch (method) {
    case AuthMethod::ClickThrough:
      return formValue(form, "accept").empty() ? "Please accept the terms to connect." : nullptr;
    case AuthMethod::Voucher:
      return formValue(form, "code").empty() ? "Please enter your voucher code." : nullptr;
    case AuthMethod::Accounts:
    case AuthMethod::Radius:
      return formValue(form, "username").empty() || formValue(form, "password").empty()
                 ? "Please enter your user name and password."
                 : nullptr;
  }
  return nullptr;
}

const char* voucherMessage(RedeemStatus s) {
  switch (s) {
    case RedeemStatus::Ok: return "";
    case RedeemStatus::Unknown:
      return "That voucher code is not valid. Please check it and try again.";
    case RedeemStatus::Expired: return "That voucher has expired.";
    case RedeemStatus::DevicesUsedUp:
      return "That voucher is already in use on as many devices as it allows.";
    case RedeemStatus::DataUsedUp: return "That voucher's data allowance is used up.";
  }
  return "That voucher cannot be used.";
}

constexpr const char* kWrongPassword = "Wrong user name or password.";

}  // namespace

namespace portal_internal {

AccountingSession accountingFor(const Session& session, const std::string& clientAddress) {
  AccountingSession a;
  // Start time and MAC name a session uniquely (a MAC holds one session at a time, and a new
  // one starts a new clock), and both are in the database, so the id survives restarts.
  char id[64];
  std::snprintf(id, sizeof id, "%llx-",
                static_cast<unsigned long long>(session.start.time_since_epoch().count()));
  a.sessionId = id;
  for (char c : session.mac) {
    if (c != ':') a.sessionId += c;
  }
  // Click-through sessions have no user; the MAC is what a RADIUS log can group them by.
  a.userName = session.user.empty() ? session.mac : session.user;
  a.mac = parseMac(session.mac);
  a.ip = inspect::RadiusIp::parse(clientAddress).value_or(inspect::RadiusIp{});
  return a;
}

}  // namespace portal_internal

PortalResponse PortalLogic::login(const Client& client, const FormFields& form) {
  const std::string url = formValue(form, "url");
  const std::string& mac = *client.mac;

  // A failed check shows the form again with a fresh token (csrf.h): after a daemon restart
  // every open form fails once, and an error page would leave the guest nowhere to go.
  if (csrf_.verify(formValue(form, "csrf"), mac, client.now) != CsrfTokens::Check::Valid) {
    ++counters_->csrf_failures;
    return loginPage(client, 403, "This page had expired. Please try again.", url, form);
  }
  if (client.session) {
    ++counters_->already_logged_in;
    return redirectAfterLogin(url);
  }
  const auto method = parseAuthMethod(formValue(form, "method"));
  if (!method || !enabled(options_.auth, *method)) {
    ++counters_->method_disabled;
    return loginPage(client, 400, "This way of connecting is not available.", url, form);
  }
  if (const char* missing = missingField(*method, form)) {
    ++counters_->incomplete_forms;
    return loginPage(client, 400, missing, url, form);
  }
  // Click-through guesses nothing, so it is not limited; the others are, before any work.
  if (*method != AuthMethod::ClickThrough) {
    const LoginLimiter::Verdict verdict = limiter_.attempt(mac);
    if (!verdict.allowed) {
      ++counters_->rate_limited;
      PortalResponse r = loginPage(client, 429,
                                   "Too many attempts from this device. Please wait " +
                                       waitText(verdict.retryAfter) + " and try again.",
                                   url, form);
      r.setHeader("Retry-After", std::to_string(std::max<int64_t>(1, verdict.retryAfter.count())));
      return r;
    }
  }
  // An ended session not swept yet is closed properly first: its voucher data is recorded
  // before a redemption reads it, and accounting gets its Stop before the next Start.
  if (client.stale) {
    if (auto ended = sessions_.kick(mac)) {
      ++counters_->stale_sessions_ended;
      if (hooks_.onLogout) hooks_.onLogout(*ended);
      const auto reason = portal_internal::endedBy(*ended, client.now);
      finish(*ended, portal_internal::terminateCause(reason.value_or(EndReason::Expired)));
    }
  }

  LoginResult result;
  switch (*method) {
    case AuthMethod::ClickThrough:
      result.ok = true;
      result.method = LoginMethod::ClickThrough;
      result.duration = options_.sessionTimeout;
      result.idleTimeout = options_.idleTimeout;
      result.dataQuota = options_.dataQuota;
      break;
    case AuthMethod::Voucher: result = loginWithVoucher(client, formValue(form, "code")); break;
    case AuthMethod::Accounts:
      result = loginWithAccount(formValue(form, "username"), formValue(form, "password"));
      break;
    case AuthMethod::Radius:
      result = loginWithRadius(client, formValue(form, "username"), formValue(form, "password"));
      break;
  }
  if (!result.ok) {
    // The attempt stays counted by the limiter, a RADIUS timeout included: success() would
    // also lift a lock, and an unanswered server must not become a way around it.
    FormFields typed = form;
    typed.erase("password");
    return loginPage(client, result.status, result.message, url, typed);
  }

  const Session session = sessions_.login(mac, result.method, result.user, result.duration,
                                          result.idleTimeout, result.dataQuota, client.now);
  if (*method != AuthMethod::ClickThrough) limiter_.success(mac);
  switch (*method) {
    case AuthMethod::ClickThrough: ++counters_->logins_clickthrough; break;
    case AuthMethod::Voucher: ++counters_->logins_voucher; break;
    case AuthMethod::Accounts: ++counters_->logins_accounts; break;
    case AuthMethod::Radius: ++counters_->logins_radius; break;
  }
  if (hooks_.onLogin) hooks_.onLogin(session);
  if (options_.radiusAccounting && radius_) {
    startAccounting(session, client.address, std::move(result.classes));
  }
  return redirectAfterLogin(url);
}

PortalLogic::LoginResult PortalLogic::loginWithVoucher(const Client& client,
                                                       const std::string& code) {
  const Redemption r = vouchers_->redeem(code, *client.mac, client.now);
  // A voucher whose last second is now is as good as expired: the store refuses a zero
  // duration, and the guest would get nothing for it.
  if (r.status == RedeemStatus::Ok && r.expiresAt <= client.now) {
    ++counters_->voucher_rejected;
    return LoginResult::refused(403, voucherMessage(RedeemStatus::Expired));
  }
  if (r.status != RedeemStatus::Ok) {
    ++counters_->voucher_rejected;
    return LoginResult::refused(403, voucherMessage(r.status));
  }
  LoginResult result;
  result.ok = true;
  result.method = LoginMethod::Voucher;
  result.user = r.code;
  result.duration = r.expiresAt - client.now;
  result.idleTimeout = options_.idleTimeout;
  result.dataQuota = r.dataQuota != 0 ? r.dataLeft : 0;
  return result;
}

PortalLogic::LoginResult PortalLogic::loginWithAccount(const std::string& user,
                                                       const std::string& password) {
  if (!accounts_->verify(user, password)) {
    ++counters_->password_rejected;
    return LoginResult::refused(403, kWrongPassword);
  }
  LoginResult result;
  result.ok = true;
  result.method = LoginMethod::Account;
  result.user = user;
  result.duration = options_.sessionTimeout;
  result.idleTimeout = options_.idleTimeout;
  result.dataQuota = options_.dataQuota;
  return result;
}

PortalLogic::LoginResult PortalLogic::loginWithRadius(const Client& client, const std::string& user,
                                                      const std::string& password) {
  // Too long to encode is a wrong password, not a broken server: no request is sent.
  if (user.size() > inspect::kRadiusMaxValueSize ||
      password.size() > inspect::kRadiusMaxPasswordSize) {
    ++counters_->radius_rejected;
    return LoginResult::refused(403, kWrongPassword);
  }
  const auto ip = inspect::RadiusIp::parse(client.address).value_or(inspect::RadiusIp{});
  const AuthResult auth = radius_->authenticate(user, password, parseMac(*client.mac), ip);
  switch (auth.outcome) {
    case AuthOutcome::Accept: break;
    case AuthOutcome::Reject:
      ++counters_->radius_rejected;
      return LoginResult::refused(403, kWrongPassword);
    case AuthOutcome::Timeout:
    case AuthOutcome::Error:
      ++counters_->radius_unavailable;
      return LoginResult::refused(
          503, "The login service is not answering. Please try again in a minute.");
  }
  const inspect::RadiusReply& reply = auth.reply;
  LoginResult result;
  result.ok = true;
  result.method = LoginMethod::Radius;
  result.user = user;
  result.duration = reply.sessionTimeout && *reply.sessionTimeout > 0
                        ? Seconds{*reply.sessionTimeout}
                        : options_.sessionTimeout;
  result.idleTimeout = reply.idleTimeout ? Seconds{*reply.idleTimeout} : options_.idleTimeout;
  result.dataQuota = reply.maxTotalOctets ? *reply.maxTotalOctets : options_.dataQuota;
  result.classes = reply.classes;
  return result;
}

void PortalLogic::startAccounting(const Session& session, const std::string& clientAddress,
                                  std::vector<std::string> classes) {
  AccountingSession a = portal_internal::accountingFor(session, clientAddress);
  a.classes = classes;
  {
    // Kept even if the Start goes unanswered: the Stop is still worth sending, and a server
    // that missed the Start can open the session from it.
    std::lock_guard lock(accountingMutex_);
    accounting_[session.mac] = Accounting{clientAddress, std::move(classes)};
  }
  // Blocking, on the login request's thread: the guest waits at most servers x tries x
  // timeout, and only when the server that just said Accept has gone quiet since.
  if (radius_->account(inspect::AcctStatusType::Start, a).outcome != AcctOutcome::Acknowledged) {
    ++counters_->accounting_failures;
  }
}

}  // namespace tollgate::captive
