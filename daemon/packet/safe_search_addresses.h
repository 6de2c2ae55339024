#pragma once
// The addresses of the search engines' safe hosts (forcesafesearch.google.com, strict.bing.com,
// safe.duckduckgo.com, restrict.youtube.com), resolved by the gateway itself and kept fresh,
// so a DNS answer for www.google.com can carry them without a lookup on the packet path.
//
// A control-plane thread resolves every name at start and then every `refresh` (getaddrinfo
// may block: never on the inspector's thread); readers take the current snapshot without
// waiting. A name that never resolved has no addresses: its queries are passed on unchanged
// (counted), never answered with nothing.
#include <sys/socket.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace tollgate::packet {

class SafeSearchAddresses {
 public:
  using Snapshot = std::map<std::string, std::vector<sockaddr_storage>, std::less<>>;

  explicit SafeSearchAddresses(std::chrono::seconds refresh = std::chrono::minutes(10));
  ~SafeSearchAddresses();  // stop()
  void start();
  void stop();

  // The addresses of one safe host (empty: not resolved). Thread-safe.
  std::vector<sockaddr_storage> lookup(std::string_view host) const;
  // Resolves every name now (the thread calls this; tests may too).
  void refreshNow();
  // Fixes the addresses of one host (tests; a site pointing a safe host at its own proxy).
  void set(const std::string& host, std::vector<sockaddr_storage> addresses);

 private:
  void run();

  const std::chrono::seconds refresh_;
  mutable std::mutex mutex_;  // guards snapshot_ (a pointer swap) and the thread's state
  std::shared_ptr<const Snapshot> snapshot_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tollgate::packet
