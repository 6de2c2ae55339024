#pragma once
// The captive portal on the wire: Poco::Net HTTPServer listeners, plain HTTP and HTTPS, all
// answering through one PortalLogic. This file is only wiring: every decision is in
// portal_logic.h, which the tests drive without sockets.
//
// Why HTTPS at all: RFC 8908 clients use the API only over https (Android refuses anything
// else), so [captive] https_listen carries /api/captive, and the pages too for sites with a
// real certificate. The daemon sends only portal-bound traffic here, so any Host is served.
//
// Bounded, so slow or many clients cannot take the portal down: kMaxThreads request threads
// shared by every listener, kMaxQueued accepted connections waiting for one (beyond: closed
// at once), kTimeout for each receive and send, kKeepAlive between requests, and bodies over
// kMaxRequestBody answered 413 without being read.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "captive/portal_logic.h"

namespace tollgate::captive {

class PortalServer {
 public:
  static constexpr int kMaxThreads = 16;
  static constexpr int kMaxQueued = 64;
  static constexpr int kBacklog = 64;
  static constexpr std::chrono::seconds kTimeout{10};
  static constexpr std::chrono::seconds kKeepAlive{5};
  static constexpr int kMaxKeepAliveRequests = 50;

  // Keeps a reference to `logic` (which must outlive the server) and a copy of the listen,
  // certificate and key options.
  PortalServer(PortalLogic& logic, const PortalOptions& options);
  ~PortalServer();  // stop()
  PortalServer(const PortalServer&) = delete;
  PortalServer& operator=(const PortalServer&) = delete;

  // Binds every listener, then starts them all; all or nothing. Throws std::runtime_error
  // naming what failed: "portal listen 10.0.0.1:8080: <why>" for a malformed address or a
  // bind failure, "portal certificate PATH: <why>" / "portal key PATH: <why>" for a file that
  // cannot be read or used. Calling it again while running does nothing.
  void start();
  // Stops accepting, aborts open connections and waits for requests in progress to finish.
  void stop();

  // "ADDR:PORT" as bound (with the kernel's port where the option said :0), in option order.
  std::vector<std::string> httpAddresses() const;
  std::vector<std::string> httpsAddresses() const;

 private:
  struct Running;  // the Poco servers and their thread pool (portal_server.cc)

  PortalLogic& logic_;
  const std::vector<std::string> listen_;
  const std::vector<std::string> httpsListen_;
  const std::string certificate_;
  const std::string key_;
  std::unique_ptr<Running> running_;
};

}  // namespace tollgate::captive
