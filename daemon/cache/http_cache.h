#pragma once
// The HTTP cache as the data plane sees it: the store, the anti-poisoning verifier and the
// settings fixed at start. Created by the daemon when [cache] enabled = true (its keys take
// effect at start, like the listeners); Store-ID rules are reloadable and travel with the
// workers' Enforcement snapshot instead.
#include <memory>
#include <mutex>
#include <unordered_map>
#include <string>
#include <string_view>

#include "daemon/cache/freshness.h"
#include "daemon/cache/admission.h"
#include "daemon/cache/host_verifier.h"
#include "daemon/cache/object_store.h"
#include "daemon/config/config.h"
#include "daemon/core/counters.h"

namespace tollgate::cache {

// What a fetch that may be stored knows of its request.
struct StoreRequest {
  std::string_view method;
  std::string_view key;
  std::string_view url;
  std::string_view host;  // lower-case, no port
  const StoredFields* fields = nullptr;  // the request's fields
  int64_t requestTime = 0;
  const sockaddr_storage* destination = nullptr;  // the original destination
  // A fetch made to store (range_miss = fetch_whole, a background revalidation): a client
  // asked for this URL already, so second-request admission does not apply.
  bool admitted = false;
};

// The outcome of asking to store a response: refused (a counter/log name: mayStore's reasons,
// "framing", "too_large", "vary", "first_request", "host_mismatch") or the metadata to begin an ObjectWriter
// with.
struct StoreAttempt {
  const char* refused = nullptr;
  // Host not resolved yet: store, but publish only once HostVerifier says Match.
  bool verifyPending = false;
  ObjectMeta meta;
  FreshnessInfo freshness;
};

class HttpCache {
 public:
  explicit HttpCache(const config::CacheConfig& config);
  // Control plane: opens the store (creates dir, indexes objects). Throws std::runtime_error.
  void open() { store_.open(); }

  ObjectStore& store() { return store_; }
  HostVerifier& verifier() { return verifier_; }
  const StoreRules& rules() const { return rules_; }
  const config::CacheConfig& config() const { return config_; }

  // Every check a response must pass before it is stored (RFC 9111 via mayStore, framing, size,
  // Vary, and the destination being an address of Host), shared by the connection relaying a
  // miss and the background fetch of range_miss = fetch_whole.
  StoreAttempt prepareStore(const StoreRequest& request, const inspect::ResponseHead& response,
                            int64_t now);

  // Finishes a writer whose body is complete, once its host is verified (StoreAttempt::
  // verifyPending): finish() on Match, abandon() on Mismatch, counted in `counters` (cache_stored,
  // cache_host_mismatch, cache_host_unverified). Runs on `loop`; never blocks.
  void finishWhenVerified(WriterPtr writer, std::string host, const sockaddr_storage& destination,
                          EventLoop& loop, CounterBlock& counters, bool lastTry = false);

  // Keys whose last response was refused (RFC 9111 rules, framing, size): for a while, misses
  // on them fetch without waiting on each other (collapsed forwarding would queue every client
  // of a popular uncacheable URL behind one fetch at a time). Thread-safe, O(1), bounded.
  void markUncacheable(const std::string& key, int64_t now);
  bool recentlyUncacheable(const std::string& key, int64_t now) const;
  static constexpr int64_t kUncacheableSeconds = 120;

  // {"objects":...} for `tollgatectl cache stats`, with the request and byte hit ratios from
  // the workers' counters (passed in: the daemon owns them).
  std::string statsJson(uint64_t hits, uint64_t misses, uint64_t hitBytes,
                        uint64_t missBytes) const;

 private:
  config::CacheConfig config_;
  ObjectStore store_;
  HostVerifier verifier_;
  StoreRules rules_;
  AdmissionFilter admission_;  // [cache] admission = second_request
  mutable std::mutex uncacheableMutex_;
  std::unordered_map<std::string, int64_t> uncacheableUntil_;
};

// The URL as a cache key: scheme and host lower-case, the default port dropped, the rest as
// sent ("HTTP://Example.COM:80/a?b" → "http://example.com/a?b").
std::string normalizeUrl(std::string_view url);

}  // namespace tollgate::cache
