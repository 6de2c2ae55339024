#pragma once
// A fetch no client waits for, beside the exchanges of the same worker loop:
//  - the whole object behind a Range miss, so that later ranges hit ([cache] range_miss =
//    fetch_whole, the Windows Update and game-download pattern: clients ask for one slice at a
//    time and would never make the cache see the whole file; the client's own Range request is
//    forwarded as usual);
//  - the revalidation of a stale object just served under stale-while-revalidate (RFC 5861):
//    a conditional request; a 304 refreshes the stored head, a 200 replaces the object.
//
// It asks the original destination for the URL with the client's fields minus Range, If-Range,
// the conditionals and the hop-by-hop fields, "Connection: close", reads the response head, and
// stores the body if the cache's checks pass; anything else (refused, connect error, timeout,
// short body) abandons the store, which never affects a client.
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>

#include "daemon/cache/http_cache.h"
#include "daemon/core/event_loop.h"
#include "daemon/net/buffer.h"
#include "daemon/net/stream_pump.h"
#include "daemon/proxy/worker_context.h"

namespace tollgate::proxy {

class BackgroundFetch final : public Deletable, public IoHandler {
 public:
  // Starts the fetch of `key` unless one is already in flight (collapsed: nothing to do).
  // `stale` set: revalidate that object instead of fetching blind.
  static void start(WorkerContext& ctx, const sockaddr_storage& destination,
                    const std::string& key, const std::string& url, const std::string& host,
                    const std::string& target, const cache::StoredFields& requestFields,
                    cache::ObjectPtr stale = nullptr);

  void onIo(uint32_t events) override;
  // Called by the worker's sweep: abandons the fetch past its deadline.
  void checkDeadline(int64_t nowMs);
  void abort();  // worker shutdown

  BackgroundFetch* next = nullptr;  // worker's intrusive list
  BackgroundFetch* prev = nullptr;

 private:
  BackgroundFetch(WorkerContext& ctx, cache::WriterPtr writer);
  void advance();
  bool readHead();
  void readBody();
  void finish(const char* abandonReason);  // nullptr: stored

  WorkerContext& ctx_;
  cache::WriterPtr writer_;
  cache::ObjectPtr stale_;
  cache::StoreRequest request_{};
  std::string key_, url_, host_;
  cache::StoredFields fields_;
  sockaddr_storage destination_{};
  std::string requestHead_;
  size_t requestSent_ = 0;
  net::Endpoint ep_;
  net::Buffer buffer_;
  bool connected_ = false;
  bool headDone_ = false;
  bool done_ = false;
  bool verifyPending_ = false;
  uint64_t bodyLeft_ = 0;
  int64_t deadlineMs_ = 0;
  int64_t requestTime_ = 0;
};

}  // namespace tollgate::proxy
