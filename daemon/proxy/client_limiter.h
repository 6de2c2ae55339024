#pragma once
// Open-connection counts in all and per client address, shared by every worker. Touched once at
// accept and once at close (never across I/O); striped so workers rarely meet on one lock.
#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include <sys/socket.h>

namespace tollgate::proxy {

class ClientLimiter {
 public:
  // Takes a slot for `client`; false (and nothing taken) when over either limit.
  bool acquire(const sockaddr_storage& client, uint32_t maxTotal, uint32_t maxPerClient);
  void release(const sockaddr_storage& client);
  uint64_t total() const { return total_.load(std::memory_order_relaxed); }

 private:
  static std::string key(const sockaddr_storage& client);
  struct Stripe {
    std::mutex mutex;
    std::unordered_map<std::string, uint32_t> counts;
  };
  std::array<Stripe, 64> stripes_;
  std::atomic<uint64_t> total_{0};
};

}  // namespace tollgate::proxy
