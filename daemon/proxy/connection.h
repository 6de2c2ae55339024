#pragma once
// One intercepted client connection and, once decided, its upstream connection.
//   accept → sniff (HTTP head | TLS ClientHello | nothing) → decide (Policy) → connect upstream
//   → tunnel (splice both ways) or HTTP exchange (one judged request at a time) → log → close.
// Runs entirely on its worker's thread: no locks, no blocking calls, no exceptions.
#include <cstdint>
#include <memory>
#include <string>

#include <sys/socket.h>

#include "daemon/inspect/http_head.h"
#include "daemon/inspect/chunked_decoder.h"
#include "daemon/log/decision_record.h"
#include "daemon/net/stream_pump.h"
#include "daemon/proxy/cache_exchange.h"
#include "daemon/proxy/message_relay.h"
#include "daemon/proxy/worker_context.h"

namespace tollgate::proxy {

enum class PortClass { Http, Tls, Tcp };

// Bytes in a socket's send queue not yet acknowledged by the peer (SIOCOUTQ).
int unsentBytes(int fd);

class Connection final : public Deletable {
 public:
  Connection(WorkerContext& ctx, int clientFd, const sockaddr_storage& client,
             const sockaddr_storage& destination, PortClass portClass);
  ~Connection() override;

  void start();
  // Called by the worker's sweep with the loop clock; closes or changes phase on expiry.
  void checkDeadline(int64_t nowMs);
  // SIGTERM drain: an HTTP connection idle between requests closes now; others finish.
  void onDrain();
  void forceClose();  // drain timeout: close whatever state we are in

  Connection* next = nullptr;  // worker's intrusive list
  Connection* prev = nullptr;

 private:
  enum class Phase { Sniffing, Tunnel, Http, Closing, Closed };
  enum class UpstreamState { None, Connecting, Connected };
  // HTTP sub-states, request and response sides progress independently (full duplex).
  enum class RequestState { Head, Body, Done };
  enum class ResponseState { Idle, Head, Body, Done };

  struct Side final : IoHandler {
    Connection* owner = nullptr;
    net::Endpoint ep;
    void onIo(uint32_t events) override;
  };

  void advance();
  void onDeadline();
  void sniff();
  void decideOpaque(const char* proto, std::string sni, const char* note, bool hasEch = false);
  void recordVerdict(filters::Verdict& verdict);
  void beginConnect();
  void onConnected();
  void onConnectFailed(int err, bool timedOut);
  void runTunnel();

  // HTTP (connection_http.cc)
  void httpAdvance();
  bool httpReadRequestHead();  // false: waiting or closing
  void httpForwardRequest();
  void httpReadResponse();
  void httpFinishExchange();
  // Sends the request upstream (connecting or reusing), with `extraFields` ("Name: v\r\n"...)
  // added to its head.
  bool httpForward(const inspect::RequestHead& head, const std::string& extraFields);
  void httpReject(int status, const char* note);
  // A reply the proxy makes itself, then close (after a protocol error, or when the request has a
  // body we will not read).
  void httpReplyAndClose(std::string reply, int status, const char* note);
  // A reply the proxy makes itself for this exchange (block page, 302); the connection stays
  // usable for the next request when the request had no body.
  bool httpLocalReply(std::string reply, int status, const inspect::RequestHead& head);
  void httpOpenRecord();  // a fresh decision record for the next exchange
  void httpStartRecord(const inspect::RequestHead& head);
  bool upstreamReusable();  // may peek at the socket

  // HTTP cache (connection_cache.cc). cacheRequest: true when the cache answers (a hit, a 504
  // for only-if-cached, or waiting on another client's fetch); false: forward as usual.
  bool cacheRequest(const inspect::RequestHead& head);
  // The origin's response head is in: decide storing; true when a 304 refreshed the stored
  // object and the cache answers instead (the 304 is not relayed).
  bool cacheResponseHead(const inspect::ResponseHead& head);
  void cacheTapResponse();    // the relay of a stored response copies its body to the store
  void cacheResponseDone();   // the relayed response ended: publish what was stored
  // Answers from the store. `liveRequest`: the request's fields in place (the hit path, before
  // its head leaves the buffer); null: the exchange's owned copy.
  void cacheServe(cache::ObjectPtr object, bool growing,
                  const std::vector<inspect::HeaderField>* liveRequest = nullptr);
  void cacheServeStep();      // move stored bytes to the client (in place of httpReadResponse)
  void cacheJoinProgress();   // the fetch this exchange waits on moved on
  void cacheReadDone(cache::BodyReader::Status status, std::string bytes);
  // The origin failed (connect error, 5xx) while a stale object was being revalidated: serve it
  // if stale-if-error allows (RFC 5861). True when it does.
  bool cacheServeStaleOnError(const char* why);

  // Captive portal (connection_captive.cc). captiveAdmits: true when the request or flow may go
  // on to the policy; false when it was answered (302 to the portal) or reset.
  bool captiveAdmits(std::string_view host, bool http);
 public:
  // The worker's sweep and close(): a logged-in guest's new bytes into ctx.usageBatch.
  void captiveAccount();

 private:
  void sendAndClose(std::string response);  // proxy-generated reply, then close
  void logRecord(uint64_t unsentReply = 0);  // unsentReply: proxy reply bytes still to send
  void close();
  void setDeadline(std::chrono::milliseconds d) { deadlineMs_ = ctx_.loop.nowMs() + d.count(); }
  void resetUpstream();
  uint64_t bytesToUpstream() const { return upstreamBase_ + upstreamSide_.ep.bytesWritten; }
  uint64_t movedBytes() const {
    return bytesToUpstream() + clientSide_.ep.bytesWritten + clientSide_.ep.bytesRead;
  }

  WorkerContext& ctx_;
  config::ConfigPtr config_;  // the config this connection started under
  Enforcement enforcement_;  // policy and block responses this connection started under
  sockaddr_storage client_;
  sockaddr_storage destination_;
  std::optional<std::array<uint8_t, 6>> mac_;
  PortClass portClass_;
  Phase phase_ = Phase::Sniffing;
  UpstreamState upstreamState_ = UpstreamState::None;
  uint64_t upstreamBase_ = 0;  // bytes written to earlier upstream connections (HTTP reconnects)
  Side clientSide_;
  Side upstreamSide_;
  net::StreamPump up_;    // client → upstream
  net::StreamPump down_;  // upstream → client
  int64_t acceptMs_ = 0;
  int64_t deadlineMs_ = 0;
  int64_t connectStartMs_ = 0;
  int64_t connectMs_ = -1;
  bool limiterHeld_ = false;
  bool resetOnClose_ = false;
  bool inAdvance_ = false;
  bool advanceAgain_ = false;
  log::DecisionRecord record_;
  bool recordOpen_ = false;
  bool captiveGuest_ = false;  // judged logged in: its bytes count against its session
  uint64_t captiveUp_ = 0;     // client bytes read / written already counted for the session
  uint64_t captiveDown_ = 0;
  std::string closingReply_;
  size_t closingSent_ = 0;

  // HTTP exchange state.
  RequestState reqState_ = RequestState::Head;
  MessageRelay request_;   // client → upstream
  MessageRelay response_;  // upstream → client
  ResponseState respState_ = ResponseState::Idle;
  std::string reqMethod_;
  bool reqKeepAlive_ = true;
  bool reqUpgrade_ = false;
  bool respKeepAlive_ = true;
  bool headSeenFirstByte_ = false;
  bool respInterim_ = false;   // forwarding a 1xx interim response
  uint64_t exchanges_ = 0;     // finished request/response pairs on this connection
  uint64_t exchangeUpStart_ = 0;    // client bytes read before this exchange
  uint64_t exchangeDownStart_ = 0;  // client bytes written before this exchange

  // The cache's part of the current exchange (null: the cache is off or out of it).
  std::unique_ptr<CacheExchange> cache_;
  // Expires with the connection: disk-thread completions posted to the loop check it first.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tollgate::proxy
