// The HTTP cache inside an exchange: the lookup before a request is forwarded, the copy of a
// storable response into the store while it is relayed, and answers sent from the store (hits,
// 304 refreshes, ranges, collapsed joiners). Every RFC 9111 judgement comes from
// daemon/cache/freshness.h; this file wires those answers into the connection's state machine.
// Nothing here blocks: store lookups take a short lock, disk reads come back through the loop.
#include <ctime>

#include "daemon/cache/http_cache.h"
#include "daemon/inspect/cache_control.h"
#include "daemon/inspect/http_fields.h"
#include "daemon/log/log_format.h"
#include "daemon/proxy/background_fetch.h"
#include "daemon/proxy/connection.h"
#include "daemon/proxy/error_pages.h"

namespace tollgate::proxy {

namespace {

using inspect::detail::equalsIgnoreCase;

constexpr size_t kReadChunk = 256 * 1024;
constexpr size_t kCoalesce = 16 * 1024;  // pieces up to this size are copied, not sent apart

int64_t unixNow() { return static_cast<int64_t>(std::time(nullptr)); }

bool safeMethod(std::string_view m) {
  return m == "GET" || m == "HEAD" || m == "OPTIONS" || m == "TRACE";
}

cache::StoredFields ownedFields(const std::vector<inspect::HeaderField>& fields) {
  cache::StoredFields out;
  out.reserve(fields.size());
  for (const auto& f : fields) out.push_back({std::string(f.name), std::string(f.value)});
  return out;
}

std::string_view opaqueTag(std::string_view etag) {
  if (etag.substr(0, 2) == "W/") etag.remove_prefix(2);
  return etag;
}

// If-None-Match (weak comparison, RFC 9110 §13.1.2), else If-Modified-Since (§13.1.3), against
// the stored validators: may the cache answer 304 to the client's own conditional request?
bool clientHasCurrentCopy(const std::vector<inspect::HeaderField>& request,
                          const std::vector<inspect::HeaderField>& stored, int64_t now) {
  std::string_view inm = inspect::findHeader(request, "if-none-match");
  std::string_view etag = inspect::findHeader(stored, "etag");
  if (!inm.empty()) {
    if (etag.empty()) return false;
    if (inm == "*") return true;
    size_t start = 0;
    while (start < inm.size()) {
      size_t comma = inm.find(',', start);
      std::string_view tag = inm.substr(start, comma == std::string_view::npos ? inm.npos
                                                                              : comma - start);
      while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
      while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
      if (!tag.empty() && opaqueTag(tag) == opaqueTag(etag)) return true;
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    return false;
  }
  std::string_view ims = inspect::findHeader(request, "if-modified-since");
  std::string_view lm = inspect::findHeader(stored, "last-modified");
  if (ims.empty() || lm.empty()) return false;
  auto since = inspect::parseHttpDate(ims, now);
  auto modified = inspect::parseHttpDate(lm, now);
  return since && modified && *modified <= *since;
}

bool hasConditional(const std::vector<inspect::HeaderField>& request) {
  for (const char* name : {"if-none-match", "if-modified-since", "if-match", "if-unmodified-since",
                           "if-range"}) {
    if (!inspect::findHeader(request, name).empty()) return true;
  }
  return false;
}

// Fields of a stored response the cache never repeats as stored: framing and hop-by-hop fields
// it sets itself, and Age, rebuilt for every answer.
bool regenerated(std::string_view name) {
  for (const char* n : {"content-length", "age", "connection", "keep-alive", "transfer-encoding",
                        "proxy-connection"}) {
    if (equalsIgnoreCase(name, n)) return true;
  }
  return false;
}

// "/path?query" of a normalised absolute URL (the request target a background fetch sends).
std::string targetOf(const std::string& url) {
  size_t path = url.find('/', url.find("://") + 3);
  return path == std::string::npos ? "/" : url.substr(path);
}

std::string multipartBoundary(uint64_t id, int64_t now) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "tollgate-%016llx-%llx", static_cast<unsigned long long>(id),
                static_cast<unsigned long long>(now));
  return buf;
}

}  // namespace

bool Connection::cacheRequest(const inspect::RequestHead& head) {
  cache::HttpCache& hc = *ctx_.cache;
  auto x = std::make_unique<CacheExchange>();
  x->method = record_.method;
  x->url = cache::normalizeUrl(record_.url);
  x->key = enforcement_.storeIds ? enforcement_.storeIds->keyFor(x->url) : x->url;
  x->requestTime = record_.startUnixMs / 1000;
  x->headLength = head.headLength;
  const bool getOrHead = x->method == "GET" || x->method == "HEAD";
  if (!getOrHead || head.framing != inspect::BodyFraming::None || head.upgrade) {
    // Unsafe methods are relayed; their response invalidates (cacheResponseHead).
    x->requestFields = ownedFields(head.headers);
    ctx_.counters.add(Counter::cache_bypass);
    record_.cache = "bypass";
    cache_ = std::move(x);
    return false;
  }
  x->requestControl = inspect::parseRequestCacheControl(head.headers);
  const int64_t now = unixNow();

  if (cache::ObjectPtr object = hc.store().find(x->key, head)) {
    cache::ServeDecision d = cache::decideServe(object->freshness(), x->requestControl, now);
    switch (d.action) {
      case cache::ServeAction::ServeFresh:
      case cache::ServeAction::ServeStale:
        if (d.action == cache::ServeAction::ServeStale &&
            std::string_view(d.reason) == "stale_while_revalidate" && x->method == "GET") {
          // RFC 5861: served stale now, revalidated in the background so the next is fresh.
          // (A client's max-stale only allows it stale: no origin contact for that.)
          BackgroundFetch::start(ctx_, destination_, x->key, x->url, record_.host,
                                 targetOf(x->url), ownedFields(head.headers), object);
        }
        ctx_.counters.add(Counter::cache_hits);
        record_.cache = "hit";
        record_.squidCacheCode = "TCP_HIT";
        cache_ = std::move(x);
        // The request's fields are read in place (no copy on the hit path), so before the
        // head leaves the buffer.
        cacheServe(std::move(object), false, &head.headers);
        up_.buffer.consume(head.headLength);
        return true;
      case cache::ServeAction::OnlyIfCached504:
        ctx_.counters.add(Counter::cache_only_if_cached_miss);
        record_.cache = "miss";
        cache_ = std::move(x);
        return httpLocalReply(errorResponse(504, "only-if-cached: not fresh in the cache"), 504,
                              head);
      case cache::ServeAction::Revalidate:
      case cache::ServeAction::StaleIfError:
        // A client with validators of its own gets the origin's answer to them, relayed as a
        // miss; otherwise the cache asks with the stored validators.
        if (!hasConditional(head.headers)) {
          auto cond = cache::conditionalHeaders(cache::fieldViews(object->meta().fields));
          std::string extra;
          if (!cond.ifNoneMatch.empty()) extra += "If-None-Match: " + cond.ifNoneMatch + "\r\n";
          if (!cond.ifModifiedSince.empty())
            extra += "If-Modified-Since: " + cond.ifModifiedSince + "\r\n";
          record_.cache = "refresh";
          x->requestFields = ownedFields(head.headers);
          if (hc.config().verifyHost) hc.verifier().check(record_.host, destination_);
          x->stale = std::move(object);
          cache_ = std::move(x);
          return httpForward(head, extra);
        }
        break;
      case cache::ServeAction::Miss:
        break;
    }
  } else if (x->requestControl.onlyIfCached) {
    ctx_.counters.add(Counter::cache_only_if_cached_miss);
    record_.cache = "miss";
    cache_ = std::move(x);
    return httpLocalReply(errorResponse(504, "only-if-cached: not in the cache"), 504, head);
  }

  // Not answered from the store: everything below may outlive the request head's buffer.
  x->requestFields = ownedFields(head.headers);
  // Start resolving the host now: the answer is needed when the response head arrives.
  if (hc.config().verifyHost) hc.verifier().check(record_.host, destination_);
  record_.cache = "miss";
  record_.squidCacheCode = "TCP_MISS";
  // A Range miss is forwarded as is (range_miss = forward): a 206 is never stored. A HEAD miss
  // has no body to store.
  const bool rangeMiss = !inspect::findHeader(head.headers, "range").empty();
  if (x->method == "HEAD" || rangeMiss) {
    ctx_.counters.add(Counter::cache_misses);
    if (rangeMiss && x->method == "GET" && hc.config().rangeMiss == config::RangeMiss::FetchWhole) {
      BackgroundFetch::start(ctx_, destination_, x->key, x->url, record_.host, targetOf(x->url),
                             x->requestFields);
    }
    cache_ = std::move(x);
    return false;
  }
  cache::ObjectStore::Claim claim = hc.store().claim(x->key);
  // Never wait on another fetch for a response that will not be stored: the request says
  // no-store, or this key's last response was refused (Varnish's hit-for-miss: a popular
  // uncacheable URL must not serialise its clients behind one another's fetches).
  const bool noWait = x->requestControl.noStore || hc.recentlyUncacheable(x->key, now);
  if (claim.writer || noWait) {
    ctx_.counters.add(Counter::cache_misses);
    x->writer = std::move(claim.writer);  // may be null: fetched, not stored
    cache_ = std::move(x);
    return false;
  }
  // Another client is fetching this key: wait for its response instead of asking the origin.
  ctx_.counters.add(Counter::cache_collapsed);
  record_.cache = "collapsed";
  record_.squidCacheCode = "TCP_CF_HIT";
  x->joined = std::move(claim.joined);
  x->mode = CacheExchange::Mode::Join;
  cache_ = std::move(x);
  reqState_ = RequestState::Done;  // the head stays buffered until we answer or forward it
  respState_ = ResponseState::Body;
  setDeadline(config_->limits.idleTimeout);
  std::weak_ptr<bool> alive = alive_;
  cache_->joined->onProgress(ctx_.loop, [this, alive] {
    if (!alive.expired()) cacheJoinProgress();
  });
  return true;
}

void Connection::cacheJoinProgress() {
  if (phase_ != Phase::Http || !cache_ || cache_->mode != CacheExchange::Mode::Join) return;
  CacheExchange& x = *cache_;
  using State = cache::ObjectWriter::State;
  State state = x.joined->state();
  if (state == State::Waiting) {
    std::weak_ptr<bool> alive = alive_;
    x.joined->onProgress(ctx_.loop, [this, alive] {
      if (!alive.expired()) cacheJoinProgress();
    });
    return;
  }
  cache::ObjectPtr object =
      state == State::Writing || state == State::Complete ? x.joined->object() : nullptr;
  if (state == State::Writing && object &&
      (object->meta().bodyLength == cache::kUnknownLength ||
       !cache::sameAddress(object->meta().fetchedFrom, destination_))) {
    // Wait for Complete: a chunked response's length is known only then; and bytes fetched
    // from another address are served only once the store has verified them against the Host.
    std::weak_ptr<bool> alive = alive_;
    x.joined->onProgress(ctx_.loop, [this, alive] {
      if (!alive.expired()) cacheJoinProgress();
    });
    return;
  }
  // The fetched variant must be the one this request selects (Vary).
  if (object) {
    auto variant = cache::varyKey(cache::fieldViews(object->meta().fields),
                                  cache::fieldViews(x.requestFields));
    if (!variant || *variant != object->meta().variant) object = nullptr;
  }
  if (object) {
    up_.buffer.consume(x.headLength);
    cacheServe(std::move(object), state == State::Writing);
    advance();
    return;
  }
  // The other fetch was not storable or failed: ask the origin ourselves.
  record_.cache = "miss";
  record_.squidCacheCode = "TCP_MISS";
  x.mode = CacheExchange::Mode::Forward;
  x.joined.reset();
  // The key is free again: this fetch may store (if another client claimed it meanwhile, this
  // one is only relayed).
  x.writer = ctx_.cache->store().claim(x.key).writer;
  ctx_.counters.add(Counter::cache_misses);
  inspect::HttpLimits limits;
  limits.maxHead = config_->limits.maxHeadSize;
  inspect::RequestHead head;
  inspect::HttpError err = inspect::HttpError::None;
  if (inspect::parseRequestHead(up_.buffer.view(), limits, head, err) != inspect::ParseState::Done) {
    return close();  // cannot happen: the same bytes parsed before
  }
  httpForward(head, "");
  advance();
}

bool Connection::cacheResponseHead(const inspect::ResponseHead& head) {
  CacheExchange& x = *cache_;
  cache::HttpCache& hc = *ctx_.cache;
  const int64_t now = unixNow();
  if (!safeMethod(x.method)) {
    for (const std::string& url : cache::invalidatedUrls(x.method, head.status, x.url, head.headers)) {
      std::string key = enforcement_.storeIds ? enforcement_.storeIds->keyFor(url) : url;
      ctx_.counters.add(Counter::cache_invalidations, hc.store().purgeKey(key));
    }
    return false;
  }
  bool replacing = false;
  if (x.stale) {
    if (head.status >= 500 && cacheServeStaleOnError("upstream_error")) return true;
    if (head.status == 304) {
      const cache::ObjectMeta& m = x.stale->meta();
      cache::StoredFields fields = cache::updateFrom304(m.fields, head.headers);
      cache::FreshnessInfo fresh = cache::freshnessAfter304(m.status, fields, head.headers,
                                                            x.requestTime, now, hc.rules());
      cache::ObjectPtr refreshed = hc.store().refresh(x.stale, std::move(fields), fresh);
      ctx_.counters.add(Counter::cache_refresh_unmodified);
      record_.squidCacheCode = "TCP_REFRESH_UNMODIFIED";
      down_.buffer.consume(head.headLength);  // the 304 itself is not relayed
      cacheServe(std::move(refreshed), false);
      return true;
    }
    ctx_.counters.add(Counter::cache_refresh_modified);
    record_.squidCacheCode = "TCP_REFRESH_MODIFIED";
    x.stale.reset();
    replacing = true;  // stored before: no admission test for its new version
    if (!x.writer) x.writer = hc.store().claim(x.key).writer;  // null if someone else fetches
  }
  if (!x.writer) return false;

  cache::StoreRequest request{x.method,      x.key,         x.url,        record_.host,
                              &x.requestFields, x.requestTime, &destination_};
  request.admitted = replacing;
  cache::StoreAttempt attempt = hc.prepareStore(request, head, now);
  if (attempt.refused != nullptr) {
    std::string_view why = attempt.refused;
    // Hit-for-miss only for what the origin forbids storing: a first request for a small
    // object is stored when it comes again, and a Host mismatch says nothing of the URL.
    if (why != "host_mismatch" && why != "first_request") hc.markUncacheable(x.key, now);
    ctx_.counters.add(why == "host_mismatch"    ? Counter::cache_host_mismatch
                      : why == "first_request" ? Counter::cache_admission_deferred
                                               : Counter::cache_not_storable);
    x.writer->abandon(attempt.refused);
    x.writer.reset();
    return false;
  }
  if (!x.writer->begin(std::move(attempt.meta), attempt.freshness)) {
    x.writer.reset();
    return false;
  }
  x.storing = true;
  x.verifyPending = attempt.verifyPending;
  x.bodyLength = head.framing == inspect::BodyFraming::Chunked ? cache::kUnknownLength
                                                                : head.contentLength;
  return false;
}

bool Connection::cacheServeStaleOnError(const char* why) {
  CacheExchange& x = *cache_;
  if (!x.stale || !cache::mayServeOnError(x.stale->freshness(), unixNow())) return false;
  // What is in flight either way is dropped: the unsent request (a GET: its head only) and,
  // after a 5xx, the origin's response, with the connection it came on.
  up_.buffer.consume(static_cast<size_t>(std::min<uint64_t>(request_.pending(), up_.buffer.size())));
  down_.buffer.consume(down_.buffer.size());
  resetUpstream();
  ctx_.counters.add(Counter::cache_stale_if_error);
  record_.cache = "hit";
  record_.squidCacheCode = "TCP_REFRESH_FAIL_OLD";
  record_.note = why;
  cacheServe(std::move(x.stale), false);
  return true;
}

void Connection::cacheTapResponse() {
  if (cache_->storing) response_.setTap(cache_.get());
}

void Connection::cacheResponseDone() {
  CacheExchange& x = *cache_;
  if (x.mode != CacheExchange::Mode::Forward) return;
  if (record_.cache != nullptr && std::string_view(record_.cache) != "bypass") {
    ctx_.counters.add(Counter::cache_miss_bytes, clientSide_.ep.bytesWritten - exchangeDownStart_);
  }
  if (!x.storing || x.finished) return;
  x.finished = true;
  const bool whole = x.bodyLength == cache::kUnknownLength ? !x.tapStopped : x.tapped == x.bodyLength;
  if (whole && x.verifyPending) {
    // Published once the gateway has resolved the Host (it usually has by now).
    ctx_.cache->finishWhenVerified(std::move(x.writer), record_.host, destination_, ctx_.loop,
                                   ctx_.counters);
  } else if (whole) {
    x.writer->finish();
    ctx_.counters.add(Counter::cache_stored);
  } else {
    x.writer->abandon("store gave up");
  }
}

void Connection::cacheServe(cache::ObjectPtr object, bool growing,
                            const std::vector<inspect::HeaderField>* liveRequest) {
  CacheExchange& x = *cache_;
  const int64_t now = unixNow();
  const cache::ObjectMeta& m = object->meta();
  std::vector<inspect::HeaderField> stored = cache::fieldViews(m.fields);
  std::vector<inspect::HeaderField> owned;
  if (liveRequest == nullptr) owned = cache::fieldViews(x.requestFields);
  const std::vector<inspect::HeaderField>& request = liveRequest ? *liveRequest : owned;
  int status = m.status;
  std::string reason = m.reason;
  std::vector<std::pair<std::string, std::string>> set;
  x.segments.clear();
  x.segment = 0;
  x.segmentDone = 0;
  if (!growing && status == 200 && clientHasCurrentCopy(request, stored, now)) {
    status = 304;
    reason = "Not Modified";
  } else {
    const uint64_t length = m.bodyLength;
    std::string_view range = inspect::findHeader(request, "range");
    if (!growing && status == 200 && !range.empty()) {
      std::string_view ifRange = inspect::findHeader(request, "if-range");
      bool applies = true;
      if (!ifRange.empty()) {
        inspect::StoredValidators v{inspect::findHeader(stored, "etag"),
                                    inspect::parseHttpDate(inspect::findHeader(stored, "last-modified"), now),
                                    inspect::parseHttpDate(inspect::findHeader(stored, "date"), now)};
        applies = inspect::evaluateIfRange(ifRange, inspect::parseHttpDate(ifRange, now), v);
      }
      inspect::RangeSet ranges;
      inspect::RangeIgnore why = inspect::RangeIgnore::None;
      switch (applies ? inspect::parseRange(range, length, inspect::RangeLimits{}, ranges, why)
                      : inspect::RangeResult::Ignore) {
        case inspect::RangeResult::Satisfiable: {
          auto plan = inspect::planRangeResponse(ranges, length, inspect::findHeader(stored, "content-type"),
                                                 multipartBoundary(object->id(), now));
          status = plan.status;
          reason = status == 206 ? "Partial Content" : reason;
          set = std::move(plan.fields);
          x.segments = std::move(plan.segments);
          ctx_.counters.add(Counter::cache_range_hits);
          break;
        }
        case inspect::RangeResult::Unsatisfiable:
          status = 416;
          reason = "Range Not Satisfiable";
          set = {{"Content-Range", inspect::contentRangeUnsatisfied(length)}, {"Content-Length", "0"}};
          break;
        case inspect::RangeResult::Ignore:
          break;
      }
    }
    if (status == m.status) {
      set = {{"Content-Length", std::to_string(length)}};
      if (length > 0) x.segments.push_back(inspect::BodySegment{"", {0, length}});
    }
    if (x.method == "HEAD") x.segments.clear();
  }

  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n";
  for (const auto& f : m.fields) {
    if (regenerated(f.name)) continue;
    if (status == 304 && (equalsIgnoreCase(f.name, "content-type") ||
                          equalsIgnoreCase(f.name, "content-range")))
      continue;
    bool replaced = false;
    for (const auto& s : set) replaced = replaced || equalsIgnoreCase(f.name, s.first);
    if (replaced) continue;
    out += f.name + ": " + f.value + "\r\n";
  }
  out += "Age: " + std::to_string(cache::ageHeaderValue(object->freshness(), now)) + "\r\n";
  for (const auto& s : set) out += s.first + ": " + s.second + "\r\n";
  if (!reqKeepAlive_) out += "Connection: close\r\n";
  out += "\r\n";
  down_.buffer.append(out);

  x.mode = CacheExchange::Mode::Answer;
  x.growing = growing;
  x.memory = growing ? nullptr : object->memoryBody();
  if (x.memory && std::string_view(record_.cache ? record_.cache : "") == "hit") {
    ctx_.counters.add(Counter::cache_mem_hits);
    record_.squidCacheCode = "TCP_MEM_HIT";
  }
  x.object = std::move(object);
  record_.status = status;
  record_.contentType = std::string(inspect::findHeader(stored, "content-type"));
  reqState_ = RequestState::Done;
  respState_ = ResponseState::Body;
  respKeepAlive_ = true;
  respInterim_ = false;
  setDeadline(config_->limits.idleTimeout);
}

void Connection::cacheServeStep() {
  CacheExchange& x = *cache_;
  if (x.mode != CacheExchange::Mode::Answer) return;  // joined: waiting for the other fetch
  auto& c = clientSide_.ep;
  uint64_t moved = 0;
  while (true) {
    // Small pieces join the head in the buffer, so a small hit goes out in one send().
    while (x.segment < x.segments.size() && down_.buffer.size() < kCoalesce) {
      const inspect::BodySegment& seg = x.segments[x.segment];
      uint64_t left = seg.object.length - x.segmentDone;
      if (!seg.literal.empty()) {
        down_.buffer.append(seg.literal);
      } else if (x.memory && left <= kCoalesce) {
        down_.buffer.append(std::string_view(*x.memory).substr(
            static_cast<size_t>(seg.object.offset + x.segmentDone), static_cast<size_t>(left)));
        ctx_.counters.add(Counter::cache_hit_bytes, left);
      } else {
        break;
      }
      ++x.segment;
      x.segmentDone = 0;
    }
    if (!down_.buffer.empty()) {
      moved += down_.flushBuffer(c, UINT64_MAX);
      if (c.failed) return close();
      if (!down_.buffer.empty()) return;  // EPOLLOUT brings us back
    }
    if (x.segment >= x.segments.size()) {
      x.reader.reset();
      respState_ = ResponseState::Done;
      return;
    }
    if (moved >= net::StreamPump::kBudget) {
      ctx_.loop.runSoon(&clientSide_);  // let the other connections of this worker run
      return;
    }
    const inspect::BodySegment& seg = x.segments[x.segment];
    if (!seg.literal.empty()) {
      down_.buffer.append(seg.literal);
      ++x.segment;
      continue;
    }
    uint64_t left = seg.object.length - x.segmentDone;
    if (left == 0) {
      ++x.segment;
      x.segmentDone = 0;
      x.reader.reset();
      continue;
    }
    if (x.memory) {
      // Straight from the shared body to the socket: no copy (the buffer is empty here).
      size_t n = static_cast<size_t>(std::min<uint64_t>(left, kReadChunk));
      size_t sent = c.writeFrom(x.memory->data() + seg.object.offset + x.segmentDone, n);
      if (c.failed) return close();
      x.segmentDone += sent;
      moved += sent;
      ctx_.counters.add(Counter::cache_hit_bytes, sent);
      if (sent < n) return;  // EPOLLOUT brings us back
      continue;
    }
    if (x.readPending) return;
    if (!x.reader) {
      cache::ObjectStore& store = ctx_.cache->store();
      x.reader = x.growing ? store.openGrowingBody(x.joined, seg.object.offset)
                           : store.openBody(x.object, seg.object.offset, seg.object.length);
    }
    x.readPending = true;
    std::weak_ptr<bool> alive = alive_;
    x.reader->next(static_cast<size_t>(std::min<uint64_t>(left, kReadChunk)), ctx_.loop,
                   [this, alive](cache::BodyReader::Status status, std::string bytes) {
                     if (!alive.expired()) cacheReadDone(status, std::move(bytes));
                   });
    return;
  }
}

void Connection::cacheReadDone(cache::BodyReader::Status status, std::string bytes) {
  if (phase_ != Phase::Http || !cache_ || !cache_->readPending) return;
  CacheExchange& x = *cache_;
  x.readPending = false;
  const char* failure = nullptr;
  switch (status) {
    case cache::BodyReader::Status::Ok:
      down_.buffer.append(bytes);
      x.segmentDone += bytes.size();
      ctx_.counters.add(Counter::cache_hit_bytes, bytes.size());
      break;
    case cache::BodyReader::Status::End:
      failure = "cache_short_body";
      break;
    case cache::BodyReader::Status::Corrupt:
      ctx_.counters.add(Counter::cache_corrupt_served);
      failure = "cache_corrupt";
      break;
    case cache::BodyReader::Status::Failed:
      failure = "cache_read_failed";
      break;
  }
  if (failure != nullptr) {
    // Part of the answer may be out already: only a reset tells the client it is incomplete.
    record_.note = failure;
    resetOnClose_ = true;
    return close();
  }
  advance();
}

}  // namespace tollgate::proxy
