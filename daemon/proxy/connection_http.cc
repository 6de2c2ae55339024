// The HTTP/1.1 exchange on an intercepted connection (RFC 9112). Requests are judged and logged
// one at a time; pipelined requests wait in the client buffer until the previous response is
// complete, which keeps responses in order without a queue. Heads are forwarded as received
// (the proxy is invisible) unless Via / X-Forwarded-For are configured; bodies are relayed with
// their framing validated: Content-Length bodies by splice when large, chunked bodies through
// the ChunkedDecoder.
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

#include "daemon/log/log_format.h"
#include "daemon/proxy/connection.h"
#include "daemon/proxy/error_pages.h"

namespace tollgate::proxy {

namespace {
std::string lowerHost(std::string_view host) {
  // Drop the port, keep brackets off IPv6 literals, lower-case.
  std::string h(host);
  if (!h.empty() && h[0] == '[') {
    auto end = h.find(']');
    h = end == std::string::npos ? h : h.substr(1, end - 1);
  } else if (auto colon = h.rfind(':'); colon != std::string::npos && h.find(':') == colon) {
    h.resize(colon);
  }
  for (auto& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return h;
}

// A head can only complete at a LF (or fail by growing past the cap), so a slow client that
// trickles bytes one at a time would make re-parsing from the start quadratic: skip the parse
// when the bytes added since the last one hold no LF.
bool worthParsing(std::string_view buffered, size_t& parsedUpTo, size_t maxHead) {
  bool worth = parsedUpTo == 0 || buffered.size() > maxHead ||
               buffered.substr(std::min(parsedUpTo, buffered.size())).find('\n') != std::string_view::npos;
  parsedUpTo = buffered.size();
  return worth;
}

// Parses the head at the start of `buffer`, reading more from `src` while it is incomplete.
// Buffered bytes are parsed first (pipelined requests). NeedMore: wait for the next event.
template <typename Head, typename Parse>
inspect::ParseState readHead(net::Buffer& buffer, net::Endpoint& src, size_t& parsedUpTo,
                             size_t maxHead, Head& head, inspect::HttpError& err, Parse parse) {
  while (true) {
    if (!buffer.empty() && worthParsing(buffer.view(), parsedUpTo, maxHead)) {
      auto state = parse(buffer.view(), head, err);
      if (state != inspect::ParseState::NeedMore) return state;
    }
    if (src.readInto(buffer, maxHead + 1) == 0) return inspect::ParseState::NeedMore;
  }
}

// The head with Via / X-Forwarded-For appended (only when configured).
std::string rewriteHead(std::string_view raw, size_t headLength, const std::string& extra) {
  // raw ends with CRLF CRLF; insert before the final CRLF.
  std::string out(raw.substr(0, headLength - 2));
  out += extra;
  out += "\r\n";
  return out;
}
}  // namespace

void Connection::httpOpenRecord() {
  record_ = log::DecisionRecord{};
  record_.startUnixMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
  record_.client = client_;
  record_.destination = destination_;
  record_.mac = mac_;
  record_.proto = "http";
  recordOpen_ = true;
  exchangeUpStart_ = bytesToUpstream();
  exchangeDownStart_ = clientSide_.ep.bytesWritten;
}

void Connection::httpStartRecord(const inspect::RequestHead& head) {
  httpOpenRecord();
  record_.method = std::string(head.method);
  record_.host = lowerHost(head.host);
  if (!head.target.empty() && head.target[0] == '/') {
    record_.url = "http://";
    record_.url += head.host.empty() ? log::formatAddress(destination_) : std::string(head.host);
    record_.url += head.target;
  } else {
    record_.url = std::string(head.target);
  }
}

void Connection::httpReject(int status, const char* note) {
  if (status == 400) ctx_.counters.add(Counter::http_bad_request);
  if (status == 400 || status == 408) record_.action = "error";
  httpReplyAndClose(errorResponse(status, note), status, note);
}

void Connection::httpReplyAndClose(std::string reply, int status, const char* note) {
  if (!recordOpen_) httpOpenRecord();  // rejected before a head could be parsed
  record_.status = status;
  if (note && *note) record_.note = note;
  logRecord(reply.size());
  // The client connection cannot be resynchronised (protocol error, or a body we will not
  // read): reply and close.
  closingReply_ = std::move(reply);
  closingSent_ = 0;
  resetUpstream();
  phase_ = Phase::Closing;
  deadlineMs_ = ctx_.loop.nowMs() + 2000;
  advanceAgain_ = true;
}

bool Connection::httpLocalReply(std::string reply, int status, const inspect::RequestHead& head) {
  if (head.framing != inspect::BodyFraming::None) {
    httpReplyAndClose(std::move(reply), status, nullptr);
    return false;
  }
  // The reply travels the response path as if the origin had sent it: the exchange ends, is
  // logged, and the next request on this connection is judged on its own.
  up_.buffer.consume(head.headLength);
  record_.status = status;
  reqKeepAlive_ = head.keepAlive;
  reqUpgrade_ = false;
  respKeepAlive_ = true;
  respInterim_ = false;
  reqState_ = RequestState::Done;
  response_.start(inspect::BodyFraming::None, reply.size(), 0);
  down_.buffer.append(reply);
  respState_ = ResponseState::Body;
  headSeenFirstByte_ = false;
  setDeadline(config_->limits.idleTimeout);
  return true;
}

bool Connection::upstreamReusable() {
  auto& u = upstreamSide_.ep;
  if (upstreamState_ == UpstreamState::None || u.peerHup || u.readEof || u.failed) return false;
  if (upstreamState_ == UpstreamState::Connecting || !u.readable) return true;
  // Something may have arrived while idle (an edge set `readable`): an origin that talks out of
  // turn would desynchronise the next exchange, a FIN means it is gone. Peek, do not consume.
  char byte;
  ssize_t n = recv(u.fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && errno == EAGAIN) {
    u.readable = false;
    return true;
  }
  return false;
}

void Connection::httpAdvance() {
  // Repeat until nothing changes: one event may complete a response and let the next pipelined
  // request start.
  for (int guard = 0; guard < 64 && phase_ == Phase::Http; ++guard) {
    auto reqBefore = reqState_;
    auto respBefore = respState_;
    auto exchangesBefore = exchanges_;
    if (reqState_ == RequestState::Head && respState_ == ResponseState::Idle) {
      if (!httpReadRequestHead()) return;
    }
    if (phase_ != Phase::Http) return;
    if (upstreamState_ == UpstreamState::Connecting) return;
    if (reqState_ == RequestState::Body) httpForwardRequest();
    if (phase_ != Phase::Http) return;
    if (respState_ == ResponseState::Head || respState_ == ResponseState::Body) httpReadResponse();
    if (phase_ != Phase::Http) return;
    // A final response before the request body was all sent (413, 401...): the exchange is over
    // and the connection cannot be reused; httpFinishExchange closes it (lingering).
    if (respState_ == ResponseState::Done) httpFinishExchange();
    // An exchange can start and finish within one pass (a local reply): count it as progress,
    // or a pipelined request already in the buffer would wait for an event that never comes.
    if (reqBefore == reqState_ && respBefore == respState_ && exchangesBefore == exchanges_) return;
  }
}

bool Connection::httpReadRequestHead() {
  auto& c = clientSide_.ep;
  const auto& limits = config_->limits;
  inspect::HttpLimits httpLimits;
  httpLimits.maxHead = limits.maxHeadSize;
  inspect::RequestHead head;
  inspect::HttpError err = inspect::HttpError::None;
  auto state = readHead(up_.buffer, c, request_.parsedUpTo, httpLimits.maxHead, head, err,
                        [&](std::string_view in, inspect::RequestHead& h, inspect::HttpError& e) {
                          return inspect::parseRequestHead(in, httpLimits, h, e);
                        });
  if (!headSeenFirstByte_ && !up_.buffer.empty()) {
    headSeenFirstByte_ = true;
    setDeadline(limits.requestTimeout);
  }
  if (state == inspect::ParseState::NeedMore) {
    if (c.readEof || c.failed) {
      if (!up_.buffer.empty()) record_.note = "client_closed_mid_head";
      close();
    }
    return false;
  }
  if (state == inspect::ParseState::Error) {
    // The very first bytes on an HTTP port were not HTTP at all.
    if (exchangeDownStart_ == 0 && c.bytesWritten == 0 && err == inspect::HttpError::BadRequestLine)
      ctx_.counters.add(Counter::sniff_not_http);
    httpReject(400, inspect::toString(err));
    return false;
  }
  request_.parsedUpTo = 0;
  ctx_.counters.add(Counter::http_requests);
  httpStartRecord(head);
  if (enforcement_.captive && !captiveAdmits(record_.host, true)) return false;

  filters::PolicyRequest req;
  req.protocol = filters::Protocol::Http;
  req.client = &client_;
  req.destination = &destination_;
  req.mac = mac_;
  req.host = record_.host;
  req.method = record_.method;
  req.url = record_.url;
  req.unixTime = record_.startUnixMs / 1000;
  auto verdict = enforcement_.policy->decide(req);
  auto action = verdict.action;
  auto safeSearchUrl = std::move(verdict.safeSearchUrl);
  recordVerdict(verdict);
  if (action == filters::Action::Block || action == filters::Action::Redirect) {
    BlockContext ctx{record_.url, record_.host, record_.rule, record_.list, record_.category,
                     record_.group, log::formatAddress(client_), record_.startUnixMs};
    int status = 403;
    auto reply = enforcement_.responses->httpBlock(ctx, status);
    return httpLocalReply(std::move(reply), status, head);
  }
  if (!safeSearchUrl.empty()) {
    ctx_.counters.add(Counter::safe_search_redirects);
    record_.note = "safe_search";
    return httpLocalReply(BlockResponses::httpFound(safeSearchUrl), 302, head);
  }

  reqMethod_ = record_.method;
  reqKeepAlive_ = head.keepAlive;
  reqUpgrade_ = head.upgrade;
  if (ctx_.cache != nullptr && cacheRequest(head)) return true;
  return httpForward(head, "");
}

bool Connection::httpForward(const inspect::RequestHead& head, const std::string& extraFields) {
  const auto& limits = config_->limits;
  size_t headLength = head.headLength;
  std::string extra = extraFields;
  if (config_->http.via) extra += "Via: 1." + std::to_string(head.versionMinor) + " tollgate\r\n";
  if (config_->http.xForwardedFor) extra += "X-Forwarded-For: " + log::formatAddress(client_) + "\r\n";
  if (!extra.empty()) {
    auto rewritten = rewriteHead(up_.buffer.view(), headLength, extra);
    up_.buffer.replacePrefix(headLength, rewritten);
    headLength = rewritten.size();
  }
  request_.start(head.framing, headLength, head.contentLength);
  reqState_ = RequestState::Body;
  respState_ = ResponseState::Head;
  response_.parsedUpTo = 0;
  respInterim_ = false;
  headSeenFirstByte_ = false;
  setDeadline(limits.idleTimeout);
  if (!upstreamReusable()) {
    resetUpstream();
    beginConnect();
  }
  return true;
}

void Connection::httpForwardRequest() {
  auto& c = clientSide_.ep;
  auto& u = upstreamSide_.ep;
  switch (request_.run(up_, c, u, ctx_.pipes, ctx_.counters)) {
    case MessageRelay::Step::Blocked: return;
    case MessageRelay::Step::Done: reqState_ = RequestState::Done; return;
    case MessageRelay::Step::SrcEnded:
      record_.note = "client_closed_mid_request";
      return close();
    case MessageRelay::Step::Failed: return close();
    case MessageRelay::Step::BadChunk: return httpReject(400, "bad chunked request body");
  }
}

void Connection::httpReadResponse() {
  if (cache_ && cache_->answering()) return cacheServeStep();
  auto& c = clientSide_.ep;
  auto& u = upstreamSide_.ep;
  const auto& limits = config_->limits;
  if (respState_ == ResponseState::Head) {
    inspect::HttpLimits httpLimits;
    httpLimits.maxHead = limits.maxHeadSize;
    inspect::ResponseHead head;
    inspect::HttpError err = inspect::HttpError::None;
    // No status yet: no byte of this exchange's response (not even a 1xx) has come in.
    bool awaitingFirstByte = down_.buffer.empty() && record_.status == 0;
    auto state = readHead(down_.buffer, u, response_.parsedUpTo, httpLimits.maxHead, head, err,
                          [&](std::string_view in, inspect::ResponseHead& h, inspect::HttpError& e) {
                            return inspect::parseResponseHead(in, reqMethod_, httpLimits, h, e);
                          });
    if (awaitingFirstByte && !down_.buffer.empty()) {
      // From the record's start (the request head parsed), on the wall clock it is kept in.
      auto nowMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
      ctx_.counters.firstByte.observeMs(nowMs - record_.startUnixMs);
    }
    if (state == inspect::ParseState::NeedMore) {
      if (u.readEof || u.failed) {
        ctx_.counters.add(Counter::upstream_bad_response);
        httpReject(502, down_.buffer.empty() ? "upstream closed without a response" : "truncated response head");
      }
      return;
    }
    if (state == inspect::ParseState::Error) {
      ctx_.counters.add(Counter::upstream_bad_response);
      httpReject(502, std::string("bad response from upstream: ").append(inspect::toString(err)).c_str());
      return;
    }
    respInterim_ = head.status >= 100 && head.status < 200 && head.status != 101;
    if (respInterim_) ctx_.counters.add(Counter::http_continue);
    record_.status = head.status;
    auto ct = inspect::findHeader(head.headers, "content-type");
    record_.contentType.assign(ct.data(), ct.size());
    respKeepAlive_ = head.keepAlive;
    if (cache_ && !respInterim_ && cacheResponseHead(head)) return;  // answered from the store
    response_.start(respInterim_ ? inspect::BodyFraming::None : head.framing, head.headLength,
                    head.contentLength);
    if (cache_ && !respInterim_) cacheTapResponse();
    respState_ = ResponseState::Body;
  }
  // Head (still in the buffer) and body.
  switch (response_.run(down_, u, c, ctx_.pipes, ctx_.counters)) {
    case MessageRelay::Step::Blocked: return;
    case MessageRelay::Step::SrcEnded:
      record_.note = "upstream_closed_mid_response";
      return close();
    case MessageRelay::Step::Failed: return close();
    case MessageRelay::Step::BadChunk:
      record_.note = "bad_chunked_response";
      return close();
    case MessageRelay::Step::Done: break;
  }
  if (respInterim_) {
    respState_ = ResponseState::Head;  // the final response follows
    // It may already be in the buffer (103 + 200 in one segment): no new edge will announce it.
    if (!down_.buffer.empty()) advanceAgain_ = true;
    return;
  }
  if (record_.status == 101) {
    if (!reqUpgrade_) {
      httpReject(502, "101 without an upgrade request");
      return;
    }
    // WebSocket and friends: from here on the bytes are opaque.
    ctx_.counters.add(Counter::http_upgrades);
    record_.note = "upgrade";
    phase_ = Phase::Tunnel;
    advanceAgain_ = true;
    return;
  }
  respState_ = ResponseState::Done;
  if (cache_) cacheResponseDone();
}

void Connection::httpFinishExchange() {
  ++exchanges_;
  logRecord();
  cache_.reset();
  bool keepAlive = reqKeepAlive_ && respKeepAlive_ && reqState_ == RequestState::Done;
  if (!keepAlive) {
    sendAndClose(std::string());
    return;
  }
  // Bytes the origin sent past the end of its response would be read as the next response and
  // shift every later answer by one: never reuse such an upstream connection (HAProxy does the same).
  if (!down_.buffer.empty()) {
    ctx_.counters.add(Counter::upstream_bad_response);
    resetUpstream();
  }
  reqState_ = RequestState::Head;
  respState_ = ResponseState::Idle;
  up_.releaseIdle(ctx_.pipes);
  down_.releaseIdle(ctx_.pipes);
  setDeadline(ctx_.draining ? std::chrono::milliseconds(0) : config_->limits.keepaliveTimeout);
}

}  // namespace tollgate::proxy
