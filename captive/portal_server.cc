#include "captive/portal_server.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>
#include <strings.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <istream>
#include <stdexcept>

namespace tollgate::captive {
namespace {

using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

// ---- one request -----------------------------------------------------------------------

// Reads at most kMaxRequestBody + 1 bytes: one more than allowed tells "too large" apart from
// "exactly the limit" when the client sent no Content-Length (chunked).
bool readBody(std::istream& in, std::string& body) {
  char buffer[4096];
  while (in && body.size() <= kMaxRequestBody) {
    in.read(buffer, sizeof buffer);
    body.append(buffer, static_cast<size_t>(in.gcount()));
  }
  return body.size() <= kMaxRequestBody;
}

constexpr size_t kDrainLimit = 256 * 1024;

class PortalRequestHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit PortalRequestHandler(PortalLogic& logic) : logic_(logic) {}

  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    PortalResponse answer;
    try {
      answer = decide(request);
    } catch (...) {
      // The logic catches its own; what lands here failed reading the request (a stream
      // error, a bad address). The guest still gets a page, never a dropped connection.
      answer = logic_.internalError();
    }
    try {
      send(answer, response);
    } catch (...) {
      // The client went away mid-answer; there is no one left to tell.
    }
  }

 private:
  PortalResponse decide(HTTPServerRequest& request) {
    const Poco::Int64 declared = request.getContentLength64();
    if (declared != HTTPServerRequest::UNKNOWN_CONTENT_LENGTH &&
        declared > static_cast<Poco::Int64>(kMaxRequestBody)) {
      return refuseBody(request.stream(), declared);
    }
    PortalRequest portal;
    if (!readBody(request.stream(), portal.body)) return refuseBody(request.stream(), -1);
    portal.method = request.getMethod();
    portal.target = request.getURI();
    portal.clientAddress = request.clientAddress().host().toString();
    portal.contentType = request.getContentType();
    return logic_.handle(portal);
  }

  // Closing a socket with unread bytes makes the kernel answer with a reset, which can
  // destroy the 413 before the client reads it. So a modest excess is read and dropped
  // first; beyond kDrainLimit the client is not a form, and the connection just closes.
  PortalResponse refuseBody(std::istream& in, Poco::Int64 declared) {
    if (declared >= 0 && declared > static_cast<Poco::Int64>(kDrainLimit)) {
      return logic_.tooLarge();
    }
    char buffer[4096];
    size_t drained = 0;
    while (in && drained <= kDrainLimit) {
      in.read(buffer, sizeof buffer);
      drained += static_cast<size_t>(in.gcount());
    }
    return logic_.tooLarge();
  }

  static void send(const PortalResponse& answer, HTTPServerResponse& response) {
    response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
    for (const auto& [name, value] : answer.headers) {
      // Connection is Poco's to write; "close" from the logic means an unread body is left
      // on the socket, so the connection must not be reused.
      if (::strcasecmp(name.c_str(), "Connection") == 0) {
        if (::strcasecmp(value.c_str(), "close") == 0) response.setKeepAlive(false);
        continue;
      }
      response.set(name, value);
    }
    if (!answer.contentType.empty()) response.setContentType(answer.contentType);
    response.sendBuffer(answer.body.data(), answer.body.size());
  }

  PortalLogic& logic_;
};

class PortalHandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit PortalHandlerFactory(PortalLogic& logic) : logic_(logic) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new PortalRequestHandler(logic_);
  }

 private:
  PortalLogic& logic_;
};

// ---- listeners -------------------------------------------------------------------------

// "10.0.0.1:8080", "[fd00::1]:8080" → the socket address. Literals only: a name would be
// resolved once at start and silently go stale, and the daemon listens on its own addresses.
Poco::Net::SocketAddress parseListen(const std::string& text) {
  const auto fail = [&](const char* why) -> Poco::Net::SocketAddress {
    throw std::runtime_error("portal listen " + text + ": " + why);
  };
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size()) return fail("not ADDR:PORT");
  std::string host = text.substr(0, colon);
  const std::string port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    return fail("an IPv6 address needs brackets: [ADDR]:PORT");
  }
  Poco::Net::IPAddress ip;
  if (!Poco::Net::IPAddress::tryParse(host, ip)) return fail("not an IP address");
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) > 65535) {
    return fail("not a port number");
  }
  return Poco::Net::SocketAddress(ip, static_cast<Poco::UInt16>(std::stoul(port)));
}

void bindAndListen(Poco::Net::ServerSocket& socket, const std::string& text) {
  const Poco::Net::SocketAddress address = parseListen(text);
  try {
    // SO_REUSEADDR for a restart while old connections sit in TIME_WAIT; never SO_REUSEPORT
    // (Poco's two-argument bind sets both), which would let a second process share the port
    // and take half the guests. IPv6 is v6-only, so "[::]:8080" and "0.0.0.0:8080" can both
    // be configured.
    if (address.family() == Poco::Net::AddressFamily::IPv6) {
      socket.bind6(address, true, false, true);
    } else {
      socket.bind(address, true, false);
    }
    socket.listen(PortalServer::kBacklog);
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("portal listen " + text + ": " + e.displayText());
  }
}

void requireReadable(const std::string& path, const char* what) {
  if (path.empty()) {
    throw std::runtime_error(std::string("portal ") + what + ": not set (needed for https_listen)");
  }
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error(std::string("portal ") + what + " " + path + ": " +
                             std::strerror(errno));
}

Poco::Net::Context::Ptr tlsContext(const std::string& certificate, const std::string& key) {
  requireReadable(certificate, "certificate");
  requireReadable(key, "key");
  Poco::Net::Context::Params params;
  params.certificateFile = certificate;  // a chain file: leaf first, then intermediates
  params.privateKeyFile = key;
  params.verificationMode = Poco::Net::Context::VERIFY_NONE;  // clients bring no certificate
  params.loadDefaultCAs = false;
  params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES";
  try {
    Poco::Net::Context::Ptr context =
        new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
    context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    return context;
  } catch (const Poco::Exception& e) {
    // A key that does not match, a file that is not PEM: OpenSSL's text says which.
    throw std::runtime_error("portal certificate " + certificate + " / key " + key + ": " +
                             e.displayText());
  }
}

Poco::Net::HTTPServerParams::Ptr serverParams() {
  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(PortalServer::kMaxThreads);
  params->setMaxQueued(PortalServer::kMaxQueued);
  params->setTimeout(Poco::Timespan(PortalServer::kTimeout.count(), 0));
  params->setKeepAlive(true);
  params->setKeepAliveTimeout(Poco::Timespan(PortalServer::kKeepAlive.count(), 0));
  params->setMaxKeepAliveRequests(PortalServer::kMaxKeepAliveRequests);
  return params;
}

}  // namespace

struct PortalServer::Running {
  // Declared first, destroyed last: the servers' connections run on its threads.
  Poco::ThreadPool pool{2, PortalServer::kMaxThreads, 60};
  std::vector<std::unique_ptr<Poco::Net::HTTPServer>> servers;
  std::vector<std::string> httpAddresses, httpsAddresses;
};

PortalServer::PortalServer(PortalLogic& logic, const PortalOptions& options)
    : logic_(logic),
      listen_(options.listen),
      httpsListen_(options.httpsListen),
      certificate_(options.certificate),
      key_(options.key) {}

PortalServer::~PortalServer() { stop(); }

void PortalServer::start() {
  if (running_) return;
  auto running = std::make_unique<Running>();
  // Every socket is bound before any server starts, so a failure leaves nothing running.
  std::vector<Poco::Net::ServerSocket> plain;
  for (const std::string& text : listen_) {
    Poco::Net::ServerSocket socket;
    bindAndListen(socket, text);
    running->httpAddresses.push_back(socket.address().toString());
    plain.push_back(socket);
  }
  std::vector<Poco::Net::SecureServerSocket> secure;
  if (!httpsListen_.empty()) {
    const Poco::Net::Context::Ptr context = tlsContext(certificate_, key_);
    for (const std::string& text : httpsListen_) {
      Poco::Net::SecureServerSocket socket(context);
      bindAndListen(socket, text);
      running->httpsAddresses.push_back(socket.address().toString());
      secure.push_back(socket);
    }
  }
  const auto params = serverParams();
  const auto add = [&](const Poco::Net::ServerSocket& socket) {
    running->servers.push_back(std::make_unique<Poco::Net::HTTPServer>(
        new PortalHandlerFactory(logic_), running->pool, socket, params));
  };
  for (const auto& socket : plain) add(socket);
  for (const auto& socket : secure) add(socket);
  for (auto& server : running->servers) server->start();
  running_ = std::move(running);
}

void PortalServer::stop() {
  if (!running_) return;
  for (auto& server : running_->servers) server->stopAll(true);
  running_->servers.clear();
  running_->pool.joinAll();
  running_.reset();
}

std::vector<std::string> PortalServer::httpAddresses() const {
  return running_ ? running_->httpAddresses : std::vector<std::string>{};
}

std::vector<std::string> PortalServer::httpsAddresses() const {
  return running_ ? running_->httpsAddresses : std::vector<std::string>{};
}

}  // namespace tollgate::captive
