// Local accounts: the PBKDF2 primitive against RFC 7914's vectors, the hash string format both
// ways (ours and passlib's), the file format with its file:line errors, and verify() costing
// the same for unknown users.
#include "captive/accounts.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <regex>
#include <stdexcept>

#include "tests/unit/captive/captive_test_support.h"

namespace tollgate::captive {
namespace {

using testing::TempDir;

std::string hex(const std::vector<uint8_t>& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

// Made by Python's hashlib.pbkdf2_hmac('sha256', b'correct horse', salt, 100000, 32) with salt
// = b'\xfb\xef\xbe' * 5 + b'\x01', encoded the way passlib does (ab64: '.' for '+', no '='):
// an independent encoder, and a salt chosen so the '+' / '.' difference shows.
constexpr const char* kPasslibHash =
    "$pbkdf2-sha256$100000$....................AQ$WDwAvLdyomA.YwbsqYdzY8OG7UfIrVHOLk./isiyES0";
constexpr const char* kPlainBase64Hash =
    "$pbkdf2-sha256$100000$++++++++++++++++++++AQ==$WDwAvLdyomA+YwbsqYdzY8OG7UfIrVHOLk+/isiyES0=";

// Shaped right, never verified: for the parser's tests.
const std::string kSalt = "AAECAwQFBgcICQoLDA0ODw";
const std::string kHash = "V/LC8HOXSNUWQZsGKohGZjI8WD6krhZVBKgfe1PGKgk";
std::string line(const std::string& user, const std::string& iterations = "100000",
                 const std::string& salt = kSalt, const std::string& hash = kHash) {
  return user + ":$pbkdf2-sha256$" + iterations + "$" + salt + "$" + hash;
}

TEST(AccountHashTest, Pbkdf2MatchesRfc7914Vectors) {
  EXPECT_EQ(hex(Accounts::pbkdf2Sha256("passwd", "salt", 1, 64)),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
  EXPECT_EQ(hex(Accounts::pbkdf2Sha256("Password", "NaCl", 80000, 64)),
            "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
            "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d");
}

TEST(AccountHashTest, MadeHashesRoundTripInPasslibFormat) {
  const std::string h = Accounts::makeHash("s3cret pass", Accounts::kMinIterations);
  // 16-byte salt → 22 symbols, 32-byte hash → 43, adapted base64, no padding.
  EXPECT_TRUE(std::regex_match(
      h, std::regex(R"(\$pbkdf2-sha256\$100000\$[A-Za-z0-9./]{22}\$[A-Za-z0-9./]{43})")))
      << h;
  EXPECT_TRUE(Accounts::verifyHash(h, "s3cret pass"));
  EXPECT_FALSE(Accounts::verifyHash(h, "s3cret pas"));
  EXPECT_FALSE(Accounts::verifyHash(h, ""));
  EXPECT_NE(Accounts::makeHash("s3cret pass", Accounts::kMinIterations), h);  // fresh salt
}

TEST(AccountHashTest, NewHashesUseOwasps2023Count) {
  EXPECT_EQ(Accounts::makeHash("x").rfind("$pbkdf2-sha256$600000$", 0), 0u);
  EXPECT_THROW(Accounts::makeHash("x", Accounts::kMinIterations - 1), std::invalid_argument);
  EXPECT_THROW(Accounts::makeHash("x", Accounts::kMaxIterations + 1), std::invalid_argument);
}

TEST(AccountHashTest, HashesFromPythonVerifyInEitherBase64Spelling) {
  EXPECT_TRUE(Accounts::verifyHash(kPasslibHash, "correct horse"));
  EXPECT_TRUE(Accounts::verifyHash(kPlainBase64Hash, "correct horse"));
  EXPECT_FALSE(Accounts::verifyHash(kPasslibHash, "correct horse "));
}

TEST(AccountHashTest, MalformedHashStringsNeverVerify) {
  for (const char* bad : {"", "$pbkdf2-sha256$100000$AAECAwQFBgcICQoLDA0ODw",
                          "$pbkdf2-sha1$100000$AAECAwQFBgcICQoLDA0ODw$V/LC8HOXSNUWQZsGKohGZjI8WD",
                          "pbkdf2-sha256$100000$a$b$c"}) {
    EXPECT_FALSE(Accounts::verifyHash(bad, "")) << bad;
  }
}

TEST(AccountsFileTest, CommentsBlankLinesAndCrlfAreIgnored) {
  const std::string text = "# guests\n\n   \n" +
                           Accounts::makeHash("pw", 100000).insert(0, "alice:") +
                           "\r\n  # indented comment\n" + "bob:" + kPasslibHash + "\n";
  auto accounts = Accounts::parse(text, "accounts.txt");
  EXPECT_EQ(accounts->size(), 2u);
  EXPECT_TRUE(accounts->contains("alice"));
  EXPECT_TRUE(accounts->verify("alice", "pw"));
  EXPECT_TRUE(accounts->verify("bob", "correct horse"));
  EXPECT_FALSE(accounts->verify("bob", "pw"));
  EXPECT_FALSE(accounts->verify("carol", "pw"));
  EXPECT_FALSE(accounts->verify("Alice", "pw"));  // names are exact
  auto c = accounts->counters();
  EXPECT_EQ(c.accepted, 2u);
  EXPECT_EQ(c.wrong_password, 1u);
  EXPECT_EQ(c.unknown_user, 2u);
}

TEST(AccountsFileTest, AnEmptyFileHasNoAccounts) {
  auto accounts = Accounts::parse("# nobody yet\n", "accounts.txt");
  EXPECT_EQ(accounts->size(), 0u);
  EXPECT_FALSE(accounts->verify("", ""));
}

TEST(AccountsFileTest, EachBadLineIsNamedByFileAndLine) {
  struct Case {
    std::string badLine;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"alice", "expected USER:$pbkdf2-sha256$..."},
      {line(""), "empty user name"},
      {line("al ice"), "user name contains a space or control character"},
      {line(std::string(65, 'a')), "user name longer than 64 bytes"},
      {"alice:" + std::string(kPasslibHash).substr(0, 30),
       "expected $pbkdf2-sha256$ITERATIONS$SALT$HASH"},
      {"alice:$pbkdf2-sha512$100000$" + kSalt + "$" + kHash,
       "unsupported hash scheme 'pbkdf2-sha512' (only pbkdf2-sha256)"},
      {line("alice", "lots"), "iterations 'lots' is not a number"},
      {line("alice", "1000"), "iterations 1000 outside 100000..10000000"},
      {line("alice", "99999999"), "iterations 99999999 outside 100000..10000000"},
      {line("alice", "100000", "AAE*AwQF"), "salt is not base64"},
      {line("alice", "100000", "AAECAw"), "salt is 4 bytes (8..64)"},
      {line("alice", "100000", kSalt, "V/LC8HOX"), "hash is 6 bytes (16..64)"},
      {line("alice", "100000", kSalt, "V/LC8HOXSNUWQZsGKohGZjI8WD6krhZVBKgfe1PGKg!"),
       "hash is not base64"},
  };
  for (const Case& c : cases) {
    const std::string text = "# header\n" + line("ok") + "\n" + c.badLine + "\n";
    try {
      Accounts::parse(text, "/etc/tollgate/accounts");
      ADD_FAILURE() << "accepted: " << c.badLine;
    } catch (const std::runtime_error& e) {
      EXPECT_EQ(std::string(e.what()), "/etc/tollgate/accounts:3: " + c.message);
    }
  }
}

TEST(AccountsFileTest, ADuplicateUserPointsAtTheFirstOne) {
  const std::string text = line("alice") + "\n" + line("bob") + "\n\n" + line("alice") + "\n";
  try {
    Accounts::parse(text, "accounts.txt");
    FAIL() << "accepted a duplicate";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "accounts.txt:4: duplicate user 'alice' (first on line 1)");
  }
}

TEST(AccountsFileTest, LoadReadsAFileAndNamesOneItCannotOpen) {
  TempDir dir;
  const std::string path = dir.file("accounts");
  std::ofstream(path) << "alice:" << kPasslibHash << "\n";
  auto accounts = Accounts::load(path);
  EXPECT_TRUE(accounts->verify("alice", "correct horse"));
  try {
    Accounts::load(dir.file("missing"));
    FAIL() << "loaded a missing file";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), dir.file("missing") + ": open: No such file or directory");
  }
}

TEST(AccountsFileTest, AnUnknownUserCostsAsMuchAsAKnownOne) {
  // Without the dummy hash an unknown name answers in microseconds against ~30 ms for a known
  // one; the bounds are loose so only that difference, not scheduling noise, can fail this.
  auto accounts = Accounts::parse(line("alice"), "accounts.txt");
  auto median = [&](const char* user) {
    std::vector<double> ms;
    for (int i = 0; i < 5; ++i) {
      auto start = std::chrono::steady_clock::now();
      accounts->verify(user, "guess");
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count());
    }
    std::sort(ms.begin(), ms.end());
    return ms[2];
  };
  const double known = median("alice");
  const double unknown = median("mallory");
  EXPECT_GT(unknown, known / 3) << "known " << known << " ms, unknown " << unknown << " ms";
  EXPECT_LT(unknown, known * 3) << "known " << known << " ms, unknown " << unknown << " ms";
}

}  // namespace
}  // namespace tollgate::captive
