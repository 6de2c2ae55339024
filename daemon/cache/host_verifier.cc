#include "daemon/cache/host_verifier.h"

#include "daemon/net/sockets.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <cstring>

namespace tollgate::cache {

namespace {

// A Host that is an IP literal ("10.0.0.1", "::1"; brackets already removed) as a sockaddr.
bool parseLiteral(const std::string& host, sockaddr_storage& out) {
  out = {};
  auto* a4 = reinterpret_cast<sockaddr_in*>(&out);
  auto* a6 = reinterpret_cast<sockaddr_in6*>(&out);
  if (inet_pton(AF_INET, host.c_str(), &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    return true;
  }
  if (inet_pton(AF_INET6, host.c_str(), &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    return true;
  }
  return false;
}

}  // namespace

bool sameAddress(sockaddr_storage a, sockaddr_storage b) {
  // The daemon's comparison, after taking v4-mapped v6 (what a dual-stack socket reports) to v4.
  net::unmapV4(a);
  net::unmapV4(b);
  return net::sameAddress(a, b);
}

HostVerifier::HostVerifier() : HostVerifier(Options{}) {}

HostVerifier::HostVerifier(Options options) : options_(options), thread_([this] { run(); }) {}

HostVerifier::~HostVerifier() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

HostVerifier::Answer HostVerifier::check(std::string_view host, const sockaddr_storage& dst) {
  std::string name(host);
  sockaddr_storage literal;
  if (parseLiteral(name, literal)) return sameAddress(literal, dst) ? Answer::Match : Answer::Mismatch;
  auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(name);
  if (it != entries_.end() && !it->second.pending && it->second.expires > now) {
    for (const auto& a : it->second.addresses) {
      if (sameAddress(a, dst)) return Answer::Match;
    }
    return Answer::Mismatch;
  }
  if (it == entries_.end()) {
    if (entries_.size() >= options_.maxEntries) entries_.clear();  // crude, rare, safe
    it = entries_.emplace(name, Entry{}).first;
  }
  if (!it->second.pending) {
    it->second.pending = true;
    queue_.push_back(name);
    wake_.notify_one();
  }
  return Answer::Unknown;
}

void HostVerifier::whenResolved(std::string_view host, EventLoop& loop,
                                std::function<void()> then) {
  std::string name(host);
  sockaddr_storage literal;
  if (!parseLiteral(name, literal)) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(name);
    if (it == entries_.end() || it->second.pending ||
        it->second.expires <= std::chrono::steady_clock::now()) {
      if (it == entries_.end()) it = entries_.emplace(name, Entry{}).first;
      if (!it->second.pending) {
        it->second.pending = true;
        queue_.push_back(name);
        wake_.notify_one();
      }
      it->second.waiters.emplace_back(&loop, std::move(then));
      return;
    }
  }
  loop.post(std::move(then));
}

void HostVerifier::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    std::string name = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    std::vector<sockaddr_storage> addresses;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* result = nullptr;
    if (getaddrinfo(name.c_str(), nullptr, &hints, &result) == 0) {
      for (addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
        sockaddr_storage s{};
        std::memcpy(&s, ai->ai_addr, std::min<size_t>(ai->ai_addrlen, sizeof s));
        addresses.push_back(s);
      }
      freeaddrinfo(result);
    }
    auto now = std::chrono::steady_clock::now();
    lock.lock();
    Entry& e = entries_[name];
    e.pending = false;
    e.expires = now + (addresses.empty() ? options_.negativeTtl : options_.ttl);
    e.addresses = std::move(addresses);
    for (auto& [loop, then] : e.waiters) loop->post(std::move(then));
    e.waiters.clear();
  }
}

}  // namespace tollgate::cache
