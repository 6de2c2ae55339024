#include "captive/accounts.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace tollgate::captive {
namespace {

constexpr std::string_view kScheme = "pbkdf2-sha256";
constexpr size_t kMinSalt = 8, kMaxSalt = 64;  // passlib's default is 16; 8 is RFC 8018's floor
constexpr size_t kMinHash = 16, kMaxHash = 64;

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// passlib's "adapted base64": standard alphabet with '.' for '+', no '=' padding.
std::string ab64Encode(const std::vector<uint8_t>& in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (uint8_t b : in) {
    acc = acc << 8 | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kB64[(acc >> bits) & 0x3f];
    }
  }
  if (bits > 0) out += kB64[(acc << (6 - bits)) & 0x3f];
  for (char& c : out) {
    if (c == '+') c = '.';
  }
  return out;
}

int b64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '.') return 62;
  if (c == '/') return 63;
  return -1;
}

// Accepts both spellings: '.' or '+', padded or not. Strict otherwise: a stray character is a
// corrupted line, not something to skip.
std::optional<std::vector<uint8_t>> b64Decode(std::string_view in) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return std::nullopt;  // no byte count leaves one lone symbol
  std::vector<uint8_t> out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = b64Value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6 | static_cast<uint32_t>(v)) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
    }
  }
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// "$pbkdf2-sha256$ITER$SALT$HASH" → parts, or the reason it is not one.
std::optional<Accounts::Hash> parseHash(std::string_view text, std::string& why) {
  auto parts = split(text, '$');
  if (parts.size() != 5 || !parts[0].empty()) {
    why = "expected $pbkdf2-sha256$ITERATIONS$SALT$HASH";
    return std::nullopt;
  }
  if (parts[1] != kScheme) {
    why = "unsupported hash scheme '" + std::string(parts[1]) + "' (only pbkdf2-sha256)";
    return std::nullopt;
  }
  Accounts::Hash h;
  uint64_t iterations = 0;
  bool digits = !parts[2].empty() && parts[2].size() <= 9;
  for (char c : parts[2]) {
    if (c < '0' || c > '9') {
      digits = false;
      break;
    }
    iterations = iterations * 10 + static_cast<uint64_t>(c - '0');
  }
  if (!digits) {
    why = "iterations '" + std::string(parts[2]) + "' is not a number";
    return std::nullopt;
  }
  if (iterations < Accounts::kMinIterations || iterations > Accounts::kMaxIterations) {
    why = "iterations " + std::to_string(iterations) + " outside " +
          std::to_string(Accounts::kMinIterations) + ".." +
          std::to_string(Accounts::kMaxIterations);
    return std::nullopt;
  }
  h.iterations = static_cast<uint32_t>(iterations);
  auto salt = b64Decode(parts[3]);
  if (!salt || salt->size() < kMinSalt || salt->size() > kMaxSalt) {
    why =
        salt ? "salt is " + std::to_string(salt->size()) + " bytes (8..64)" : "salt is not base64";
    return std::nullopt;
  }
  auto hash = b64Decode(parts[4]);
  if (!hash || hash->size() < kMinHash || hash->size() > kMaxHash) {
    why =
        hash ? "hash is " + std::to_string(hash->size()) + " bytes (16..64)" : "hash is not base64";
    return std::nullopt;
  }
  h.salt = std::move(*salt);
  h.hash = std::move(*hash);
  return h;
}

std::optional<std::string> badUserName(std::string_view user) {
  if (user.empty()) return "empty user name";
  if (user.size() > Accounts::kMaxUserLength) return "user name longer than 64 bytes";
  for (unsigned char c : user) {
    if (c <= ' ' || c == 0x7f) return "user name contains a space or control character";
  }
  return std::nullopt;
}

std::vector<uint8_t> randomBytes(size_t n) {
  std::vector<uint8_t> out(n);
  if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
    char buf[256] = {};
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    throw std::runtime_error(std::string("RAND_bytes: ") + buf);
  }
  return out;
}

}  // namespace

namespace {
bool matches(const Accounts::Hash& h, std::string_view password) {
  auto derived = Accounts::pbkdf2Sha256(
      password, std::string_view(reinterpret_cast<const char*>(h.salt.data()), h.salt.size()),
      h.iterations, h.hash.size());
  return CRYPTO_memcmp(derived.data(), h.hash.data(), h.hash.size()) == 0;
}
}  // namespace

Accounts::Accounts() {
  // Unknown users are checked against this. Its bytes are random so no password matches it;
  // parse() sets its iteration count to the file's most common one.
  dummy_.iterations = kDefaultIterations;
  dummy_.salt = randomBytes(kSaltBytes);
  dummy_.hash = randomBytes(kHashBytes);
}

std::shared_ptr<const Accounts> Accounts::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": open: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw std::runtime_error(path + ": read: " + std::strerror(errno));
  return parse(text.str(), path);
}

std::shared_ptr<const Accounts> Accounts::parse(std::string_view text,
                                                const std::string& sourceName) {
  std::shared_ptr<Accounts> accounts(new Accounts());
  std::map<std::string, size_t, std::less<>> firstLine;
  std::map<uint32_t, size_t> iterationCounts;
  size_t lineNo = 0;
  for (std::string_view raw : split(text, '\n')) {
    ++lineNo;
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    auto fail = [&](const std::string& why) {
      throw std::runtime_error(sourceName + ":" + std::to_string(lineNo) + ": " + why);
    };
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) fail("expected USER:$pbkdf2-sha256$...");
    std::string_view user = line.substr(0, colon);
    if (auto why = badUserName(user)) fail(*why);
    std::string why;
    auto hash = parseHash(line.substr(colon + 1), why);
    if (!hash) fail(why);
    if (auto seen = firstLine.find(user); seen != firstLine.end()) {
      fail("duplicate user '" + std::string(user) + "' (first on line " +
           std::to_string(seen->second) + ")");
    }
    firstLine.emplace(std::string(user), lineNo);
    ++iterationCounts[hash->iterations];
    accounts->accounts_.emplace(std::string(user), std::move(*hash));
  }
  // Unknown names should cost what most known names cost; with mixed counts the majority is
  // the best a single dummy can match.
  size_t best = 0;
  for (auto [iterations, count] : iterationCounts) {
    if (count > best) {
      best = count;
      accounts->dummy_.iterations = iterations;
    }
  }
  return accounts;
}

bool Accounts::verify(std::string_view user, std::string_view password) const {
  auto it = accounts_.find(std::string(user));
  if (it == accounts_.end()) {
    (void)matches(dummy_, password);  // the work, not the answer, is the point
    unknown_user_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  if (matches(it->second, password)) {
    accepted_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  wrong_password_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

bool Accounts::contains(std::string_view user) const {
  return accounts_.count(std::string(user)) != 0;
}

Accounts::Counters Accounts::counters() const {
  Counters c;
#define TOLLGATE_ACCOUNT_LOAD(name) c.name = name##_.load(std::memory_order_relaxed);
  TOLLGATE_ACCOUNT_COUNTERS(TOLLGATE_ACCOUNT_LOAD)
#undef TOLLGATE_ACCOUNT_LOAD
  return c;
}

std::string Accounts::makeHash(std::string_view password, uint32_t iterations) {
  if (iterations < kMinIterations || iterations > kMaxIterations) {
    throw std::invalid_argument("iterations must be " + std::to_string(kMinIterations) + ".." +
                                std::to_string(kMaxIterations));
  }
  Hash h;
  h.iterations = iterations;
  h.salt = randomBytes(kSaltBytes);
  h.hash = pbkdf2Sha256(
      password, std::string_view(reinterpret_cast<const char*>(h.salt.data()), h.salt.size()),
      iterations, kHashBytes);
  return "$" + std::string(kScheme) + "$" + std::to_string(iterations) + "$" + ab64Encode(h.salt) +
         "$" + ab64Encode(h.hash);
}

bool Accounts::verifyHash(std::string_view encoded, std::string_view password) {
  std::string why;
  auto h = parseHash(encoded, why);
  return h && matches(*h, password);
}

std::vector<uint8_t> Accounts::pbkdf2Sha256(std::string_view password, std::string_view salt,
                                            uint32_t iterations, size_t length) {
  std::vector<uint8_t> out(length);
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                        static_cast<int>(length), out.data()) != 1) {
    char buf[256] = {};
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    throw std::runtime_error(std::string("PKCS5_PBKDF2_HMAC: ") + buf);
  }
  return out;
}

}  // namespace tollgate::captive
