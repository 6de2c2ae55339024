// Store-ID rules, URL normalisation for cache keys, the host verifier and the [cache] config.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "daemon/cache/host_verifier.h"
#include "daemon/cache/http_cache.h"
#include "daemon/cache/store_id.h"
#include "daemon/config/config.h"

namespace tollgate::cache {
namespace {

config::ConfigPtr load(const std::string& text) { return config::loadConfigText(text, "t.conf"); }

TEST(StoreId, RewritesMirrorUrlsToOneKeyAndLeavesOthers) {
  auto c = load(
      "[storeid.debian]\n"
      "match = http://(ftp\\.[a-z]+\\.debian\\.org|deb\\.debian\\.org)/debian/(pool/.*)\n"
      "key = http://debian.mirrors/\\2\n"
      "[storeid.mirrors]\n"
      "match = http://mirror[0-9]+\\.test/(.*)\n"
      "key = http://mirrors.internal/\\1\n");
  auto rules = StoreIdRules::build(*c);
  ASSERT_EQ(rules->size(), 2u);
  EXPECT_EQ(rules->keyFor("http://ftp.de.debian.org/debian/pool/main/a/a.deb"),
            "http://debian.mirrors/pool/main/a/a.deb");
  EXPECT_EQ(rules->keyFor("http://deb.debian.org/debian/pool/main/a/a.deb"),
            "http://debian.mirrors/pool/main/a/a.deb");
  EXPECT_EQ(rules->keyFor("http://mirror7.test/x/y?z=1"), "http://mirrors.internal/x/y?z=1");
  // A full match only: a prefix or a URL merely containing the pattern is left alone.
  EXPECT_EQ(rules->keyFor("http://evil.test/http://mirror7.test/x"),
            "http://evil.test/http://mirror7.test/x");
  EXPECT_EQ(rules->keyFor("http://other.test/a"), "http://other.test/a");
}

TEST(StoreId, FirstMatchingRuleInFileOrderWins) {
  auto c = load(
      "[storeid.a]\nmatch = http://m1\\.test/(.*)\nkey = http://a/\\1\n"
      "[storeid.b]\nmatch = http://m[0-9]\\.test/(.*)\nkey = http://b/\\1\n");
  auto rules = StoreIdRules::build(*c);
  EXPECT_EQ(rules->keyFor("http://m1.test/f"), "http://a/f");
  EXPECT_EQ(rules->keyFor("http://m2.test/f"), "http://b/f");
}

TEST(StoreId, BadRegexIsAnErrorAtItsLine) {
  auto c = load("[storeid.x]\nmatch = http://(unclosed\nkey = k\n");
  try {
    StoreIdRules::build(*c);
    FAIL() << "expected an error";
  } catch (const config::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("t.conf:2:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bad regex"), std::string::npos) << e.what();
  }
}

TEST(StoreId, KeyNamingAMissingCaptureIsAnErrorAtItsLine) {
  auto c = load("[storeid.x]\nmatch = http://a/(.*)\nkey = http://b/\\2\n");
  try {
    StoreIdRules::build(*c);
    FAIL() << "expected an error";
  } catch (const config::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("t.conf:3:"), std::string::npos) << e.what();
  }
}

TEST(StoreId, SectionNeedsMatchAndKey) {
  EXPECT_THROW(load("[storeid.x]\nmatch = a\n"), config::ConfigError);
  EXPECT_THROW(load("[storeid.x]\nmatch = a\nkey = b\nflavour = c\n"), config::ConfigError);
}

// The shipped examples load, and each maps two mirrors of one file to one key (and leaves the
// changing indexes alone).
TEST(StoreId, ShippedExamplesMergeMirrors) {
  std::ifstream in(TOLLGATE_SOURCE_DIR "/docs/examples/storeid.conf");
  ASSERT_TRUE(in) << "docs/examples/storeid.conf";
  std::stringstream text;
  text << in.rdbuf();
  auto rules = StoreIdRules::build(*config::loadConfigText(text.str(), "storeid.conf"));
  auto same = [&](const char* a, const char* b) {
    EXPECT_EQ(rules->keyFor(a), rules->keyFor(b)) << a << " vs " << b;
    EXPECT_NE(rules->keyFor(a), a) << a;
  };
  same("http://deb.debian.org/debian/pool/main/c/curl/curl_7.88.1-10_amd64.deb",
       "http://ftp.de.debian.org/debian/pool/main/c/curl/curl_7.88.1-10_amd64.deb");
  same("http://archive.ubuntu.com/ubuntu/pool/main/c/curl/curl_8.5.0_amd64.deb",
       "http://de.archive.ubuntu.com/ubuntu/pool/main/c/curl/curl_8.5.0_amd64.deb");
  same("http://mirror.a.test/fedora/linux/updates/40/Everything/x86_64/Packages/c/curl-8.6.rpm",
       "http://mirror.b.test/pub/fedora/linux/updates/40/Everything/x86_64/Packages/c/curl-8.6.rpm");
  same("http://download.windowsupdate.com/d/msdownload/update/software/x_0123abcd.cab",
       "http://au.download.windowsupdate.com/d/msdownload/update/software/x_0123abcd.cab");
  same("http://cache1-fra1.steamcontent.com/depot/731/chunk/0a1b2c3d4e5f",
       "http://cache9-ams1.steamcontent.com/depot/731/chunk/0a1b2c3d4e5f");
  // Indexes change under the same path: never merged.
  const char* index = "http://deb.debian.org/debian/dists/bookworm/InRelease";
  EXPECT_EQ(rules->keyFor(index), index);
}

TEST(CacheConfig, KeysParseAndValidate) {
  auto c = load(
      "[cache]\nenabled = true\ndir = /var/cache/t\nsize = 2G\nmemory = 64M\n"
      "max_object_size = 100M\nrange_miss = fetch_whole\nheuristic_max = 2h\nverify_host = false\n");
  EXPECT_TRUE(c->cache.enabled);
  EXPECT_EQ(c->cache.dir, "/var/cache/t");
  EXPECT_EQ(c->cache.size, uint64_t{2} << 30);
  EXPECT_EQ(c->cache.memory, uint64_t{64} << 20);
  EXPECT_EQ(c->cache.maxObjectSize, uint64_t{100} << 20);
  EXPECT_EQ(c->cache.rangeMiss, config::RangeMiss::FetchWhole);
  EXPECT_EQ(c->cache.heuristicMax, std::chrono::hours(2));
  EXPECT_FALSE(c->cache.verifyHost);
  auto d = load("");
  EXPECT_FALSE(d->cache.enabled);
  EXPECT_EQ(d->cache.rangeMiss, config::RangeMiss::Forward);
}

TEST(CacheConfig, BadValuesNameTheLine) {
  try {
    load("[cache]\nenabled = true\nrange_miss = sometimes\n");
    FAIL();
  } catch (const config::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("t.conf:3:"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load("[cache]\ndir = relative/path\n"), config::ConfigError);
  EXPECT_THROW(load("[cache]\nmemory = 1M\nmemory_object_max = 2M\n"), config::ConfigError);
}

TEST(NormalizeUrl, LowerCasesSchemeAndHostAndDropsDefaultPort) {
  EXPECT_EQ(normalizeUrl("HTTP://Example.COM:80/A/b?C=D"), "http://example.com/A/b?C=D");
  EXPECT_EQ(normalizeUrl("http://example.com:8080/x"), "http://example.com:8080/x");
  EXPECT_EQ(normalizeUrl("http://example.com"), "http://example.com/");
  EXPECT_EQ(normalizeUrl("http://example.com?q"), "http://example.com/?q");
}

sockaddr_storage ip(const char* text) {
  sockaddr_storage s{};
  auto* a4 = reinterpret_cast<sockaddr_in*>(&s);
  auto* a6 = reinterpret_cast<sockaddr_in6*>(&s);
  if (inet_pton(AF_INET, text, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
  } else if (inet_pton(AF_INET6, text, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
  }
  return s;
}

TEST(HostVerifier, IpLiteralHostsAreComparedDirectly) {
  HostVerifier v;
  EXPECT_EQ(v.check("10.0.0.1", ip("10.0.0.1")), HostVerifier::Answer::Match);
  EXPECT_EQ(v.check("10.0.0.1", ip("::ffff:10.0.0.1")), HostVerifier::Answer::Match);
  EXPECT_EQ(v.check("10.0.0.1", ip("10.0.0.2")), HostVerifier::Answer::Mismatch);
  EXPECT_EQ(v.check("::1", ip("::1")), HostVerifier::Answer::Match);
}

// "localhost" resolves through /etc/hosts on any machine, without a network.
TEST(HostVerifier, ResolvesOffTheCallerThreadThenAnswers) {
  HostVerifier v;
  EXPECT_EQ(v.check("localhost", ip("127.0.0.1")), HostVerifier::Answer::Unknown);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  HostVerifier::Answer a = HostVerifier::Answer::Unknown;
  while (a == HostVerifier::Answer::Unknown && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    a = v.check("localhost", ip("127.0.0.1"));
  }
  EXPECT_EQ(a, HostVerifier::Answer::Match);
  EXPECT_EQ(v.check("localhost", ip("192.0.2.1")), HostVerifier::Answer::Mismatch);
}

}  // namespace
}  // namespace tollgate::cache
