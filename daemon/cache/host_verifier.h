#pragma once
// The anti-poisoning check of the cache: a response is stored under Host H only when the
// connection's original destination is one of H's addresses as the gateway itself resolves H.
// A client can put any Host header on a connection to any IP; without this check one client could
// make every other client receive its server's bytes for a victim's URL (Squid answers this with
// its host verification, which fails the request on a mismatch and breaks CDN sites; here a
// mismatch is still relayed, only not stored).
//
// Resolution runs on the verifier's own thread (getaddrinfo blocks); workers only read a small
// cache under a mutex. The first request for a host finds no answer yet (Unknown): it starts the
// resolution, and the response is stored only if the answer has arrived by the time the
// response head has (for /etc/hosts and a warm resolver it usually has).
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "daemon/core/event_loop.h"

namespace tollgate::cache {

class HostVerifier {
 public:
  enum class Answer { Match, Mismatch, Unknown };

  struct Options {
    std::chrono::seconds ttl{300};          // how long an answer is trusted
    std::chrono::seconds negativeTtl{30};   // a name that did not resolve
    size_t maxEntries = 65536;              // beyond it the oldest answers are forgotten
  };

  HostVerifier();
  explicit HostVerifier(Options options);
  ~HostVerifier();
  HostVerifier(const HostVerifier&) = delete;
  HostVerifier& operator=(const HostVerifier&) = delete;

  // Is `destination` an address of `host` (lower-case, no port)? An IP literal is compared
  // directly. Unknown starts a resolution (once per host) and never blocks.
  Answer check(std::string_view host, const sockaddr_storage& destination);

  // Posts `then` to `loop` once `host` has an answer (at once if it has one); check() then
  // answers Match or Mismatch. Used to publish a stored object whose host was still being
  // resolved when its body ended. Callbacks still waiting when the verifier is destroyed are
  // dropped, never run.
  void whenResolved(std::string_view host, EventLoop& loop, std::function<void()> then);

 private:
  struct Entry {
    std::vector<sockaddr_storage> addresses;
    std::chrono::steady_clock::time_point expires;
    bool pending = false;
    std::vector<std::pair<EventLoop*, std::function<void()>>> waiters;
  };
  void run();

  Options options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::unordered_map<std::string, Entry> entries_;
  std::deque<std::string> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

// Same address (v4, v6, v4-mapped v6 compared as v4), ports ignored.
bool sameAddress(sockaddr_storage a, sockaddr_storage b);

}  // namespace tollgate::cache
