#include "daemon/packet/safe_search_addresses.h"

#include <netdb.h>

#include <cstring>

namespace tollgate::packet {
namespace {

constexpr const char* kSafeHosts[] = {"forcesafesearch.google.com", "strict.bing.com",
                                      "safe.duckduckgo.com", "restrict.youtube.com"};

std::vector<sockaddr_storage> resolve(const char* name) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* result = nullptr;
  std::vector<sockaddr_storage> out;
  if (getaddrinfo(name, nullptr, &hints, &result) != 0) return out;
  for (addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    sockaddr_storage ss{};
    std::memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
    bool seen = false;
    for (const auto& o : out) seen = seen || std::memcmp(&o, &ss, sizeof ss) == 0;
    if (!seen) out.push_back(ss);
  }
  freeaddrinfo(result);
  return out;
}

}  // namespace

SafeSearchAddresses::SafeSearchAddresses(std::chrono::seconds refresh)
    : refresh_(refresh), snapshot_(std::make_shared<const Snapshot>()) {}

SafeSearchAddresses::~SafeSearchAddresses() { stop(); }

void SafeSearchAddresses::start() {
  thread_ = std::thread([this] { run(); });
}

void SafeSearchAddresses::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<sockaddr_storage> SafeSearchAddresses::lookup(std::string_view host) const {
  std::shared_ptr<const Snapshot> snap;
  {
    std::lock_guard lock(mutex_);
    snap = snapshot_;
  }
  auto it = snap->find(host);
  return it == snap->end() ? std::vector<sockaddr_storage>{} : it->second;
}

void SafeSearchAddresses::refreshNow() {
  std::shared_ptr<const Snapshot> old;
  {
    std::lock_guard lock(mutex_);
    old = snapshot_;
  }
  auto next = std::make_shared<Snapshot>();
  for (const char* name : kSafeHosts) {
    auto addresses = resolve(name);
    // A failed lookup keeps the last good answer: DNS hiccups must not turn safe search off.
    if (addresses.empty()) {
      if (auto it = old->find(name); it != old->end()) addresses = it->second;
    }
    if (!addresses.empty()) (*next)[name] = std::move(addresses);
  }
  std::lock_guard lock(mutex_);
  snapshot_ = std::move(next);
}

void SafeSearchAddresses::set(const std::string& host, std::vector<sockaddr_storage> addresses) {
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<Snapshot>(*snapshot_);
  (*next)[host] = std::move(addresses);
  snapshot_ = std::move(next);
}

void SafeSearchAddresses::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    refreshNow();
    lock.lock();
    wake_.wait_for(lock, refresh_, [this] { return stopping_; });
  }
}

}  // namespace tollgate::packet
