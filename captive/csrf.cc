#include "captive/csrf.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "captive/client_id.h"

namespace tollgate::captive {
namespace {

constexpr std::string_view kDomain = "tollgate-csrf-v1|";  // keeps these HMACs from meaning
                                                           // anything to another use of a key
constexpr size_t kTagChars = 43;                           // 32 bytes of base64url without padding
constexpr size_t kMaxIssuedDigits = 19;

std::string base64Url(const unsigned char* data, size_t n) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    acc = acc << 8 | data[i];
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 0x3f];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 0x3f];
  return out;
}

std::string randomSecret() {
  std::string s(CsrfTokens::kSecretBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(s.data()), static_cast<int>(s.size())) != 1) {
    char buf[256] = {};
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    throw std::runtime_error(std::string("RAND_bytes: ") + buf);
  }
  return s;
}

}  // namespace

const char* toString(CsrfTokens::Check c) {
  switch (c) {
    case CsrfTokens::Check::Valid: return "valid";
    case CsrfTokens::Check::Malformed: return "malformed";
    case CsrfTokens::Check::Forged: return "forged";
    case CsrfTokens::Check::Expired: return "expired";
  }
  return "?";
}

CsrfTokens::CsrfTokens(std::chrono::seconds lifetime) : CsrfTokens(randomSecret(), lifetime) {}

CsrfTokens::CsrfTokens(std::string secret, std::chrono::seconds lifetime)
    : secret_(std::move(secret)), lifetime_(lifetime) {
  if (secret_.size() < kSecretBytes) {
    throw std::invalid_argument("CSRF secret must be at least 32 bytes");
  }
  if (lifetime_ <= std::chrono::seconds{0}) {
    throw std::invalid_argument("CSRF token lifetime must be positive");
  }
}

std::string CsrfTokens::tag(std::string_view clientMac, int64_t issued) const {
  // The canonical spelling, so "AA-BB-..." from one code path and "aa:bb:..." from another
  // agree; a key that is not a MAC is used as given (tests, or a non-MAC client key).
  const std::string who = canonicalMac(clientMac).value_or(std::string(clientMac));
  const std::string message = std::string(kDomain) + who + "|" + std::to_string(issued);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), out,
           &len) == nullptr) {
    throw std::runtime_error("HMAC(SHA-256) failed");
  }
  return base64Url(out, len);
}

std::string CsrfTokens::issue(std::string_view mac, std::chrono::sys_seconds now) const {
  const int64_t issued = now.time_since_epoch().count();
  issued_.fetch_add(1, std::memory_order_relaxed);
  return std::to_string(issued) + "." + tag(mac, issued);
}

CsrfTokens::Check CsrfTokens::verify(std::string_view token, std::string_view mac,
                                     std::chrono::sys_seconds now) const {
  auto count = [](std::atomic<uint64_t>& c, Check result) {
    c.fetch_add(1, std::memory_order_relaxed);
    return result;
  };
  // Shape first: only digits, one dot, a tag of the exact length. A form field is attacker
  // input, so nothing longer than a real token is ever hashed or copied.
  const size_t dot = token.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot > kMaxIssuedDigits ||
      token.size() - dot - 1 != kTagChars) {
    return count(malformed_, Check::Malformed);
  }
  int64_t issued = 0;
  for (char c : token.substr(0, dot)) {
    if (c < '0' || c > '9') return count(malformed_, Check::Malformed);
    if (issued > (INT64_MAX - 9) / 10) return count(malformed_, Check::Malformed);
    issued = issued * 10 + (c - '0');
  }
  // The HMAC before the time: an edited timestamp must read as forged, not expired.
  const std::string expected = tag(mac, issued);
  const std::string_view given = token.substr(dot + 1);
  if (expected.size() != given.size() ||
      CRYPTO_memcmp(expected.data(), given.data(), expected.size()) != 0) {
    return count(forged_, Check::Forged);
  }
  const int64_t t = now.time_since_epoch().count();
  if (issued > t + kClockSkew.count() || t - issued > lifetime_.count()) {
    return count(expired_, Check::Expired);
  }
  return count(valid_, Check::Valid);
}

CsrfTokens::Counters CsrfTokens::counters() const {
  Counters c;
#define TOLLGATE_CSRF_LOAD(name) c.name = name##_.load(std::memory_order_relaxed);
  TOLLGATE_CSRF_COUNTERS(TOLLGATE_CSRF_LOAD)
#undef TOLLGATE_CSRF_LOAD
  return c;
}

}  // namespace tollgate::captive
