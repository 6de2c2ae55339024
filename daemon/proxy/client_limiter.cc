#include "daemon/proxy/client_limiter.h"

#include <netinet/in.h>

#include <functional>

namespace tollgate::proxy {

std::string ClientLimiter::key(const sockaddr_storage& client) {
  if (client.ss_family == AF_INET) {
    auto& a = reinterpret_cast<const sockaddr_in&>(client).sin_addr;
    return std::string(reinterpret_cast<const char*>(&a), 4);
  }
  auto& a = reinterpret_cast<const sockaddr_in6&>(client).sin6_addr;
  return std::string(reinterpret_cast<const char*>(&a), 16);
}

bool ClientLimiter::acquire(const sockaddr_storage& client, uint32_t maxTotal, uint32_t maxPerClient) {
  if (total_.fetch_add(1, std::memory_order_relaxed) >= maxTotal) {
    total_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  auto k = key(client);
  auto& stripe = stripes_[std::hash<std::string>{}(k) % stripes_.size()];
  std::lock_guard<std::mutex> lock(stripe.mutex);
  auto& count = stripe.counts[k];
  if (count >= maxPerClient) {
    if (count == 0) stripe.counts.erase(k);
    total_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  ++count;
  return true;
}

void ClientLimiter::release(const sockaddr_storage& client) {
  auto k = key(client);
  auto& stripe = stripes_[std::hash<std::string>{}(k) % stripes_.size()];
  {
    std::lock_guard<std::mutex> lock(stripe.mutex);
    auto it = stripe.counts.find(k);
    if (it != stripe.counts.end() && --it->second == 0) stripe.counts.erase(it);
  }
  total_.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace tollgate::proxy
