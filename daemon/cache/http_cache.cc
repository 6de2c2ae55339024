#include "daemon/cache/http_cache.h"

#include <cctype>
#include <cstdio>

namespace tollgate::cache {

namespace {
StoreConfig storeConfig(const config::CacheConfig& c) {
  StoreConfig s;
  s.dir = c.dir;
  s.diskLimit = c.size;
  s.memoryLimit = c.memory;
  s.memoryObjectMax = c.memoryObjectMax;
  s.maxObjectSize = c.maxObjectSize;
  return s;
}

std::string ratio(uint64_t part, uint64_t whole) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", whole == 0 ? 0.0 : static_cast<double>(part) / whole);
  return buf;
}
}  // namespace

HttpCache::HttpCache(const config::CacheConfig& config)
    : config_(config), store_(storeConfig(config)) {
  rules_.heuristicMax =
      std::chrono::duration_cast<std::chrono::seconds>(config.heuristicMax).count();
}

StoreAttempt HttpCache::prepareStore(const StoreRequest& r, const inspect::ResponseHead& head,
                                     int64_t now) {
  StoreAttempt a;
  std::vector<inspect::HeaderField> requestFields = fieldViews(*r.fields);
  inspect::RequestHead request;
  request.method = r.method;
  request.headers = requestFields;
  StoreVerdict verdict = mayStore(request, head);
  std::optional<std::string> variant;
  if (!verdict.store) {
    a.refused = verdict.reason;
  } else if (head.framing != inspect::BodyFraming::ContentLength &&
             head.framing != inspect::BodyFraming::Chunked) {
    a.refused = "framing";  // a close-delimited body cannot tell a cut from an end: not stored
  } else if (head.contentLength > config_.maxObjectSize) {
    a.refused = "too_large";
  } else if (!(variant = varyKey(head.headers, requestFields))) {
    a.refused = "vary";
  } else if (!r.admitted && config_.admission == config::Admission::SecondRequest &&
             (head.framing == inspect::BodyFraming::Chunked ||
              head.contentLength <= config_.admissionMaxSize) &&
             !admission_.seenBefore(r.key)) {
    a.refused = "first_request";  // stored when asked for again (admission.h)
  } else if (config_.verifyHost) {
    switch (verifier_.check(r.host, *r.destination)) {
      case HostVerifier::Answer::Match: break;
      case HostVerifier::Answer::Mismatch: a.refused = "host_mismatch"; break;
      case HostVerifier::Answer::Unknown: a.verifyPending = true; break;
    }
  }
  if (a.refused != nullptr) return a;
  a.meta.key = std::string(r.key);
  a.meta.variant = std::move(*variant);
  a.meta.url = std::string(r.url);
  a.meta.host = std::string(r.host);
  a.meta.status = head.status;
  a.meta.reason = std::string(head.reason);
  a.meta.fields = storableFields(head.headers);
  // Chunked: stored decoded, its length known when the last chunk has come.
  a.meta.bodyLength =
      head.framing == inspect::BodyFraming::Chunked ? kUnknownLength : head.contentLength;
  a.meta.requestTime = r.requestTime;
  a.meta.responseTime = now;
  a.meta.fetchedFrom = *r.destination;
  a.freshness = freshnessOf(head, r.requestTime, now, rules_);
  return a;
}

void HttpCache::finishWhenVerified(WriterPtr writer, std::string host,
                                   const sockaddr_storage& destination, EventLoop& loop,
                                   CounterBlock& counters, bool lastTry) {
  switch (verifier_.check(host, destination)) {
    case HostVerifier::Answer::Match:
      writer->finish();
      counters.add(Counter::cache_stored);
      return;
    case HostVerifier::Answer::Mismatch:
      writer->abandon("host_mismatch");
      counters.add(Counter::cache_host_mismatch);
      return;
    case HostVerifier::Answer::Unknown:
      break;
  }
  if (lastTry) {  // answered, then expired at once: give up rather than loop
    writer->abandon("host_unverified");
    counters.add(Counter::cache_host_unverified);
    return;
  }
  std::string name = host;
  verifier_.whenResolved(name, loop, [this, writer = std::move(writer), host = std::move(host),
                                      destination, &loop, &counters]() mutable {
    finishWhenVerified(std::move(writer), std::move(host), destination, loop, counters, true);
  });
}

void HttpCache::markUncacheable(const std::string& key, int64_t now) {
  std::lock_guard<std::mutex> lock(uncacheableMutex_);
  // Bounded: at the cap, start over (forgetting only makes a miss wait on a fetch once more).
  if (uncacheableUntil_.size() >= 65536) uncacheableUntil_.clear();
  uncacheableUntil_[key] = now + kUncacheableSeconds;
}

bool HttpCache::recentlyUncacheable(const std::string& key, int64_t now) const {
  std::lock_guard<std::mutex> lock(uncacheableMutex_);
  auto it = uncacheableUntil_.find(key);
  return it != uncacheableUntil_.end() && it->second > now;
}

std::string HttpCache::statsJson(uint64_t hits, uint64_t misses, uint64_t hitBytes,
                                 uint64_t missBytes) const {
  StoreStats s = store_.stats();
  std::string out = "{\"ok\":true";
  auto num = [&](const char* name, uint64_t v) {
    out += ",\"";
    out += name;
    out += "\":" + std::to_string(v);
  };
  num("objects", s.objects);
  num("bytes", s.diskBytes);  // on disk (the memory tier holds copies)
  num("disk_limit", config_.size);
  num("memory_bytes", s.memoryBytes);
  num("memory_objects", s.memoryObjects);
  num("writing", s.writing);
  num("evictions", s.evictions);
  num("dropped_corrupt", s.droppedCorrupt);
  num("dropped_unfinished", s.droppedTmp);
  num("write_failures", s.writeFailures);
  num("backlog_give_ups", s.backlogGiveUps);
  num("refused_busy", s.refusedBusy);
  num("begun", s.begun);
  num("backlog_bytes", s.backlogBytes);
  num("reserved_bytes", s.reservedBytes);
  num("hits", hits);
  num("misses", misses);
  num("hit_bytes", hitBytes);
  num("miss_bytes", missBytes);
  out += ",\"request_hit_ratio\":" + ratio(hits, hits + misses);
  out += ",\"byte_hit_ratio\":" + ratio(hitBytes, hitBytes + missBytes);
  out += ",\"dir\":\"";
  for (char c : config_.dir) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += "\"}";
  return out;
}

std::string normalizeUrl(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  size_t pathStart = url.find_first_of("/?", scheme + 3);
  if (pathStart == std::string_view::npos) pathStart = url.size();
  std::string out;
  out.reserve(url.size() + 1);
  for (char c : url.substr(0, pathStart)) {
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (out.size() > 3 && out.compare(out.size() - 3, 3, ":80") == 0 &&
      out.compare(0, 7, "http://") == 0) {
    out.resize(out.size() - 3);
  }
  std::string_view rest = url.substr(pathStart);
  if (rest.empty() || rest[0] != '/') out += '/';
  out += rest;
  return out;
}

}  // namespace tollgate::cache
