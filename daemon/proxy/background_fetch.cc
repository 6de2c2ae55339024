#include "daemon/proxy/background_fetch.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <cctype>
#include <ctime>

#include "daemon/inspect/http_head.h"
#include "daemon/net/sockets.h"

namespace tollgate::proxy {

namespace {

constexpr uint32_t kEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

bool droppedField(std::string_view name) {
  static const char* const kDropped[] = {
      "range", "if-range", "if-none-match", "if-modified-since", "if-match",
      "if-unmodified-since", "connection", "keep-alive", "proxy-connection", "te", "upgrade",
      "transfer-encoding", "content-length", "expect", "trailer"};
  for (const char* d : kDropped) {
    if (name.size() != std::char_traits<char>::length(d)) continue;
    bool same = true;
    for (size_t i = 0; i < name.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(name[i])) == d[i];
    }
    if (same) return true;
  }
  return false;
}

}  // namespace

void BackgroundFetch::start(WorkerContext& ctx, const sockaddr_storage& destination,
                            const std::string& key, const std::string& url,
                            const std::string& host, const std::string& target,
                            const cache::StoredFields& requestFields, cache::ObjectPtr stale) {
  cache::ObjectStore::Claim claim = ctx.cache->store().claim(key);
  if (!claim.writer) return;  // someone is already fetching it
  auto* f = new BackgroundFetch(ctx, std::move(claim.writer));
  f->key_ = key;
  f->url_ = url;
  f->host_ = host;
  f->destination_ = destination;
  f->requestTime_ = static_cast<int64_t>(std::time(nullptr));
  f->requestHead_ = "GET " + target + " HTTP/1.1\r\n";
  for (const auto& field : requestFields) {
    if (droppedField(field.name)) continue;
    f->fields_.push_back(field);
    f->requestHead_ += field.name + ": " + field.value + "\r\n";
  }
  if (stale) {
    auto cond = cache::conditionalHeaders(cache::fieldViews(stale->meta().fields));
    if (!cond.ifNoneMatch.empty()) f->requestHead_ += "If-None-Match: " + cond.ifNoneMatch + "\r\n";
    if (!cond.ifModifiedSince.empty())
      f->requestHead_ += "If-Modified-Since: " + cond.ifModifiedSince + "\r\n";
    f->stale_ = std::move(stale);
  }
  f->requestHead_ += "Connection: close\r\n\r\n";
  f->request_ = cache::StoreRequest{"GET", f->key_, f->url_, f->host_, &f->fields_,
                                    f->requestTime_, &f->destination_};
  f->request_.admitted = true;
  // Linked first: from here on the worker's sweep owns the deadline and shutdown.
  f->next = ctx.fetches;
  if (f->next) f->next->prev = f;
  ctx.fetches = f;
  int err = 0;
  int fd = net::startConnect(destination, ctx.config->gateway.upstreamMark, nullptr, err);
  if (fd < 0) return f->finish("connect_failed");
  f->ep_.fd = fd;
  if (ctx.loop.add(fd, kEvents, f) != 0) return f->finish("connect_failed");
  f->deadlineMs_ = ctx.loop.nowMs() + ctx.config->limits.connectTimeout.count();
  ctx.counters.add(Counter::cache_background_fetches);
}

BackgroundFetch::BackgroundFetch(WorkerContext& ctx, cache::WriterPtr writer)
    : ctx_(ctx), writer_(std::move(writer)) {}

void BackgroundFetch::onIo(uint32_t events) {
  if (events & EPOLLIN) ep_.readable = true;
  if (events & EPOLLOUT) ep_.writable = true;
  if (events & (EPOLLRDHUP | EPOLLHUP)) {
    ep_.readable = true;
    ep_.peerHup = true;
  }
  if (events & EPOLLERR) ep_.readable = ep_.writable = true;
  advance();
}

void BackgroundFetch::checkDeadline(int64_t nowMs) {
  if (!done_ && nowMs >= deadlineMs_) finish("timeout");
}

void BackgroundFetch::abort() {
  if (!done_) finish("shutdown");
}

void BackgroundFetch::advance() {
  if (done_) return;
  if (!connected_) {
    if (!ep_.writable) return;
    int soError = 0;
    socklen_t len = sizeof soError;
    if (getsockopt(ep_.fd, SOL_SOCKET, SO_ERROR, &soError, &len) != 0 || soError != 0) {
      return finish("connect_failed");
    }
    connected_ = true;
    deadlineMs_ = ctx_.loop.nowMs() + ctx_.config->limits.idleTimeout.count();
  }
  while (requestSent_ < requestHead_.size()) {
    size_t n = ep_.writeFrom(requestHead_.data() + requestSent_, requestHead_.size() - requestSent_);
    requestSent_ += n;
    if (ep_.failed) return finish("write_failed");
    if (n == 0) return;
  }
  if (!headDone_ && !readHead()) return;
  readBody();
}

bool BackgroundFetch::readHead() {
  inspect::HttpLimits limits;
  limits.maxHead = ctx_.config->limits.maxHeadSize;
  while (true) {
    inspect::ResponseHead head;
    inspect::HttpError err = inspect::HttpError::None;
    if (!buffer_.empty()) {
      auto state = inspect::parseResponseHead(buffer_.view(), "GET", limits, head, err);
      if (state == inspect::ParseState::Error) {
        finish("bad_response");
        return false;
      }
      if (state == inspect::ParseState::Done) {
        if (head.status >= 100 && head.status < 200) {  // interim: skip it
          buffer_.consume(head.headLength);
          continue;
        }
        const int64_t now = static_cast<int64_t>(std::time(nullptr));
        if (stale_ && head.status == 304) {
          const cache::ObjectMeta& m = stale_->meta();
          cache::StoredFields fields = cache::updateFrom304(m.fields, head.headers);
          cache::FreshnessInfo fresh = cache::freshnessAfter304(
              m.status, fields, head.headers, requestTime_, now, ctx_.cache->rules());
          ctx_.cache->store().refresh(stale_, std::move(fields), fresh);
          ctx_.counters.add(Counter::cache_refresh_unmodified);
          finish("revalidated");  // nothing new to write: the joiners (if any) fetch themselves
          return false;
        }
        if (stale_) ctx_.counters.add(Counter::cache_refresh_modified);
        if (head.framing != inspect::BodyFraming::ContentLength) {
          finish("framing");  // this reader only counts Content-Length bodies
          return false;
        }
        cache::StoreAttempt attempt = ctx_.cache->prepareStore(request_, head, now);
        if (attempt.refused != nullptr) {
          finish(attempt.refused);
          return false;
        }
        bodyLeft_ = head.contentLength;
        verifyPending_ = attempt.verifyPending;
        buffer_.consume(head.headLength);
        if (!writer_->begin(std::move(attempt.meta), attempt.freshness)) {
          writer_.reset();  // the store will not take it: nothing to abandon
          finish("store_refused");
          return false;
        }
        headDone_ = true;
        return true;
      }
    }
    if (ep_.readInto(buffer_, limits.maxHead + 1) == 0) {
      if (ep_.readEof || ep_.failed) finish("no_response");
      return false;
    }
  }
}

void BackgroundFetch::readBody() {
  while (!done_) {
    if (!buffer_.empty()) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(buffer_.size(), bodyLeft_));
      if (n > 0 && !writer_->append(std::string_view(buffer_.data(), n))) return finish("store_gave_up");
      bodyLeft_ -= n;
      buffer_.consume(buffer_.size());
      if (bodyLeft_ == 0) return finish(nullptr);
    }
    if (bodyLeft_ == 0) return finish(nullptr);
    if (ep_.readInto(buffer_, 256 * 1024) == 0) {
      if (ep_.readEof || ep_.failed) finish("short_body");
      return;
    }
    deadlineMs_ = ctx_.loop.nowMs() + ctx_.config->limits.idleTimeout.count();
  }
}

void BackgroundFetch::finish(const char* abandonReason) {
  if (done_) return;
  done_ = true;
  if (writer_) {
    if (abandonReason == nullptr && verifyPending_) {
      ctx_.cache->finishWhenVerified(std::move(writer_), host_, destination_, ctx_.loop,
                                     ctx_.counters);
    } else if (abandonReason == nullptr) {
      writer_->finish();
      ctx_.counters.add(Counter::cache_stored);
    } else {
      writer_->abandon(abandonReason);
    }
    writer_.reset();
  }
  if (ep_.fd >= 0) {
    ::close(ep_.fd);  // also leaves the epoll set
    ep_.fd = -1;
  }
  if (prev) prev->next = next;
  else if (ctx_.fetches == this) ctx_.fetches = next;
  if (next) next->prev = prev;
  ctx_.loop.deferDelete(std::unique_ptr<Deletable>(this));
}

}  // namespace tollgate::proxy
