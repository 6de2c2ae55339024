#include "daemon/control/metrics_server.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>

#include <stdexcept>

#include "daemon/core/diag.h"

namespace tollgate::control {

namespace {

constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

// "127.0.0.1:9750", "[::1]:9750". The config loader validated the shape; this turns it into a
// socket address and names the option in the one error it can still have.
Poco::Net::SocketAddress parseListen(const std::string& text) {
  auto fail = [&](const char* why) -> Poco::Net::SocketAddress {
    throw std::runtime_error("metrics listen " + text + ": " + why);
  };
  size_t colon = text.rfind(':');
  if (colon == std::string::npos) return fail("not ADDR:PORT");
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  Poco::Net::IPAddress ip;
  if (!Poco::Net::IPAddress::tryParse(host, ip)) return fail("not an IP address");
  unsigned long port = 0;
  try {
    port = std::stoul(text.substr(colon + 1));
  } catch (const std::exception&) {
    return fail("not a port number");
  }
  if (port > 65535) return fail("not a port number");
  return Poco::Net::SocketAddress(ip, static_cast<Poco::UInt16>(port));
}

}  // namespace

class MetricsServer::Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(MetricsServer& server) : server_(server) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    using Poco::Net::HTTPResponse;
    // The query string is ignored, as Prometheus' own exporters do (?name[]= is not supported).
    std::string path = request.getURI().substr(0, request.getURI().find('?'));
    bool get = request.getMethod() == "GET", head = request.getMethod() == "HEAD";
    response.setKeepAlive(false);  // one scrape per connection: a thread is never held idle
    if (path != "/metrics" || !(get || head)) {
      server_.refused_.fetch_add(1, std::memory_order_relaxed);
      bool wrongMethod = path == "/metrics";
      response.setStatusAndReason(wrongMethod ? HTTPResponse::HTTP_METHOD_NOT_ALLOWED
                                              : HTTPResponse::HTTP_NOT_FOUND);
      if (wrongMethod) response.set("Allow", "GET, HEAD");
      std::string body = wrongMethod ? "only GET /metrics\n" : "not found: try /metrics\n";
      response.setContentType("text/plain; charset=utf-8");
      response.setContentLength(static_cast<std::streamsize>(body.size()));
      response.send() << body;
      return;
    }
    server_.scrapes_.fetch_add(1, std::memory_order_relaxed);
    std::string body;
    try {
      body = server_.render_();
    } catch (const std::exception& e) {
      // A scrape that fails says so (Prometheus marks the target down) instead of half a body.
      diag::warning(std::string("metrics: rendering failed: ") + e.what());
      response.setStatusAndReason(HTTPResponse::HTTP_INTERNAL_SERVER_ERROR);
      response.setContentType("text/plain; charset=utf-8");
      std::string msg = std::string(e.what()) + "\n";
      response.setContentLength(static_cast<std::streamsize>(msg.size()));
      response.send() << msg;
      return;
    }
    response.setStatusAndReason(HTTPResponse::HTTP_OK);
    response.setContentType(kContentType);
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    auto& out = response.send();
    if (get) out << body;
  }

 private:
  MetricsServer& server_;
};

class MetricsServer::Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(MetricsServer& server) : server_(server) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(server_);
  }

 private:
  MetricsServer& server_;
};

struct MetricsServer::Running {
  // Declared first, destroyed last: the server's connections run on its threads.
  Poco::ThreadPool pool{1, MetricsServer::kMaxThreads, 60};
  std::unique_ptr<Poco::Net::HTTPServer> server;
  std::string address;
};

MetricsServer::MetricsServer(std::string listen, Render render)
    : listen_(std::move(listen)), render_(std::move(render)) {}

MetricsServer::~MetricsServer() { stop(); }

void MetricsServer::start() {
  if (running_) return;
  auto running = std::make_unique<Running>();
  auto address = parseListen(listen_);
  Poco::Net::ServerSocket socket;
  try {
    // SO_REUSEADDR for a restart over TIME_WAIT, never SO_REUSEPORT: a second daemon must fail
    // here rather than take every other scrape.
    if (address.family() == Poco::Net::AddressFamily::IPv6)
      socket.bind6(address, true, false, true);
    else
      socket.bind(address, true, false);
    socket.listen(kBacklog);
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("metrics listen " + listen_ + ": " + e.displayText());
  }
  running->address = socket.address().toString();
  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(kMaxThreads);
  params->setMaxQueued(kMaxQueued);
  params->setTimeout(Poco::Timespan(kTimeout.count(), 0));
  params->setKeepAlive(false);
  running->server =
      std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), running->pool, socket, params);
  running->server->start();
  running_ = std::move(running);
  diag::info("metrics: serving http://" + running_->address + "/metrics");
}

void MetricsServer::stop() {
  if (!running_) return;
  running_->server->stopAll(true);
  running_->server.reset();
  running_->pool.joinAll();
  running_.reset();
}

std::string MetricsServer::address() const { return running_ ? running_->address : std::string(); }

}  // namespace tollgate::control
