#pragma once
// CSRF tokens for the portal's forms (login, logout, extend).
//
//   token = ISSUED "." base64url(HMAC-SHA256(secret, "tollgate-csrf-v1|" MAC "|" ISSUED))
//
// ISSUED is Unix seconds in decimal. Binding the client's MAC means a token lifted from one
// guest's page is useless from another device, and a page on some other site cannot make a
// guest's browser post a valid form: it cannot read the token (same-origin policy) nor make
// one (no secret). Stateless: nothing is stored per form, so a flood of page loads costs no
// memory.
//
// The secret comes from RAND_bytes when the daemon starts, so a restart invalidates open forms;
// the portal should answer a failed check by showing the form again with a fresh token rather
// than an error page. Verification recomputes the HMAC and compares with CRYPTO_memcmp.
// Thread-safe: the object is immutable apart from relaxed counters.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace tollgate::captive {

#define TOLLGATE_CSRF_COUNTERS(X)                                       \
  X(issued)                                                             \
  X(valid)                                                              \
  X(malformed) /* not shaped like a token */                            \
  X(forged)    /* wrong HMAC: another MAC, another secret, or edited */ \
  X(expired)   /* older than the lifetime, or from the future */

class CsrfTokens {
 public:
  static constexpr std::chrono::seconds kDefaultLifetime{3600};
  // How far in the future ISSUED may be: the token came from this process, so only a wall
  // clock stepped backwards (NTP after boot on a router without RTC) can cause it.
  static constexpr std::chrono::seconds kClockSkew{60};
  static constexpr size_t kSecretBytes = 32;

  enum class Check { Valid, Malformed, Forged, Expired };

  struct Counters {
#define TOLLGATE_CSRF_FIELD(name) uint64_t name = 0;
    TOLLGATE_CSRF_COUNTERS(TOLLGATE_CSRF_FIELD)
#undef TOLLGATE_CSRF_FIELD
  };

  // A fresh secret from RAND_bytes; throws std::runtime_error if the CSPRNG fails.
  explicit CsrfTokens(std::chrono::seconds lifetime = kDefaultLifetime);
  // A given secret (tests; several processes sharing tokens). Throws std::invalid_argument if
  // it is shorter than kSecretBytes.
  CsrfTokens(std::string secret, std::chrono::seconds lifetime);

  std::string issue(std::string_view mac, std::chrono::sys_seconds now) const;
  Check verify(std::string_view token, std::string_view mac, std::chrono::sys_seconds now) const;

  Counters counters() const;

 private:
  std::string tag(std::string_view clientMac, int64_t issued) const;  // base64url HMAC

  std::string secret_;
  std::chrono::seconds lifetime_;
#define TOLLGATE_CSRF_ATOMIC(name) mutable std::atomic<uint64_t> name##_{0};
  TOLLGATE_CSRF_COUNTERS(TOLLGATE_CSRF_ATOMIC)
#undef TOLLGATE_CSRF_ATOMIC
};

const char* toString(CsrfTokens::Check c);

}  // namespace tollgate::captive
