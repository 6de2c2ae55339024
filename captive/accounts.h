#pragma once
// Local accounts for `auth = accounts`: a file of salted PBKDF2 password hashes, one per line.
//
//   # comment; blank lines are ignored
//   alice:$pbkdf2-sha256$600000$<salt>$<hash>
//
// The hash string is passlib's pbkdf2_sha256 format (Python: passlib.hash.pbkdf2_sha256), so
// an operator can make lines with either tool: salt and hash in "adapted base64" ('.' for '+',
// no padding). Plain base64 ('+', '=' padding) is accepted too.
//
// Iterations: 600,000 for new hashes, OWASP's 2023 figure for PBKDF2-HMAC-SHA256 (210,000 is
// its figure for SHA-512). Lines with other counts verify with their own count, within
// kMinIterations..kMaxIterations: below, a stolen file is too cheap to brute-force; above, a
// typo would turn every login into seconds of CPU.
//
// verify() does the same work whether or not the user exists (a dummy hash stands in) and
// compares with CRYPTO_memcmp, so neither timing nor the answer tells which names are valid.
// Attempts must still be rate-limited (LoginLimiter): each one costs ~0.1-0.3 s of CPU.
//
// Immutable once loaded; share it as AccountsPtr between threads and replace it on reload.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tollgate::captive {

#define TOLLGATE_ACCOUNT_COUNTERS(X) \
  X(accepted)                        \
  X(wrong_password)                  \
  X(unknown_user)

class Accounts {
 public:
  static constexpr uint32_t kDefaultIterations = 600000;
  static constexpr uint32_t kMinIterations = 100000;
  static constexpr uint32_t kMaxIterations = 10000000;
  static constexpr size_t kSaltBytes = 16;
  static constexpr size_t kHashBytes = 32;
  static constexpr size_t kMaxUserLength = 64;

  struct Counters {
#define TOLLGATE_ACCOUNT_FIELD(name) uint64_t name = 0;
    TOLLGATE_ACCOUNT_COUNTERS(TOLLGATE_ACCOUNT_FIELD)
#undef TOLLGATE_ACCOUNT_FIELD
  };

  // Reads the file. Throws std::runtime_error "PATH:LINE: why" for a bad line (the whole file
  // is refused: a half-loaded file would lock some users out with no sign why), or
  // "PATH: open: strerror" if it cannot be read.
  static std::shared_ptr<const Accounts> load(const std::string& path);
  // The same for text already in memory; `sourceName` prefixes the errors.
  static std::shared_ptr<const Accounts> parse(std::string_view text,
                                               const std::string& sourceName);

  // True only for a known user with the right password. Same cost either way.
  bool verify(std::string_view user, std::string_view password) const;
  bool contains(std::string_view user) const;
  size_t size() const { return accounts_.size(); }
  Counters counters() const;

  // "$pbkdf2-sha256$600000$<salt>$<hash>" with a fresh 16-byte salt from RAND_bytes.
  // Throws std::invalid_argument for iterations outside the limits, std::runtime_error if the
  // CSPRNG fails.
  static std::string makeHash(std::string_view password, uint32_t iterations = kDefaultIterations);
  // Checks one hash string; false for a wrong password or a malformed string.
  static bool verifyHash(std::string_view encoded, std::string_view password);
  // PKCS5_PBKDF2_HMAC with SHA-256: the primitive, exposed for the RFC 7914 test vectors.
  static std::vector<uint8_t> pbkdf2Sha256(std::string_view password, std::string_view salt,
                                           uint32_t iterations, size_t length);

  struct Hash {
    uint32_t iterations = 0;
    std::vector<uint8_t> salt;
    std::vector<uint8_t> hash;
  };

 private:
  Accounts();

  std::unordered_map<std::string, Hash> accounts_;
  Hash dummy_;  // verified against for unknown users, so they cost the same
#define TOLLGATE_ACCOUNT_ATOMIC(name) mutable std::atomic<uint64_t> name##_{0};
  TOLLGATE_ACCOUNT_COUNTERS(TOLLGATE_ACCOUNT_ATOMIC)
#undef TOLLGATE_ACCOUNT_ATOMIC
};
using AccountsPtr = std::shared_ptr<const Accounts>;

}  // namespace tollgate::captive
