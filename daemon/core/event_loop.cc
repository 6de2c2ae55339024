#include "daemon/core/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace tollgate {

namespace {
// A sentinel handler pointer for the wake eventfd: never dereferenced.
IoHandler* const kWakeTag = reinterpret_cast<IoHandler*>(uintptr_t{1});
constexpr int kMaxEvents = 256;
}  // namespace

int64_t EventLoop::steadyMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

EventLoop::EventLoop() {
  epollFd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epollFd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  wakeFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wakeFd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = kWakeTag;
  epoll_ctl(epollFd_, EPOLL_CTL_ADD, wakeFd_, &ev);
  nowMs_ = steadyMs();
}

EventLoop::~EventLoop() {
  graveyard_.clear();
  if (wakeFd_ >= 0) close(wakeFd_);
  if (epollFd_ >= 0) close(epollFd_);
}

int EventLoop::add(int fd, uint32_t events, IoHandler* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  return epoll_ctl(epollFd_, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : errno;
}

int EventLoop::modify(int fd, uint32_t events, IoHandler* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  return epoll_ctl(epollFd_, EPOLL_CTL_MOD, fd, &ev) == 0 ? 0 : errno;
}

void EventLoop::remove(int fd) { epoll_ctl(epollFd_, EPOLL_CTL_DEL, fd, nullptr); }

void EventLoop::post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(postedMutex_);
    posted_.push_back(std::move(fn));
  }
  uint64_t one = 1;
  [[maybe_unused]] auto n = write(wakeFd_, &one, sizeof one);
}

void EventLoop::setTick(std::chrono::milliseconds period, std::function<void()> fn) {
  tickPeriod_ = period;
  tick_ = std::move(fn);
  nextTickMs_ = steadyMs() + period.count();
}

void EventLoop::deferDelete(std::unique_ptr<Deletable> obj) { graveyard_.push_back(std::move(obj)); }

void EventLoop::stop() {
  stopping_.store(true);
  uint64_t one = 1;
  [[maybe_unused]] auto n = write(wakeFd_, &one, sizeof one);
}

void EventLoop::drainPosted() {
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(postedMutex_);
    batch.swap(posted_);
  }
  for (auto& fn : batch) fn();
}

void EventLoop::run() {
  epoll_event events[kMaxEvents];
  while (!stopping_.load(std::memory_order_relaxed)) {
    int timeout = -1;
    if (tick_) timeout = static_cast<int>(std::max<int64_t>(0, nextTickMs_ - nowMs_));
    if (!ready_.empty()) timeout = 0;
    int n = epoll_wait(epollFd_, events, kMaxEvents, timeout);
    nowMs_ = steadyMs();
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < n; ++i) {
      IoHandler* h = static_cast<IoHandler*>(events[i].data.ptr);
      if (h == kWakeTag) {
        uint64_t v;
        [[maybe_unused]] auto r = read(wakeFd_, &v, sizeof v);
        drainPosted();
        continue;
      }
      h->onIo(events[i].events);
    }
    if (tick_ && nowMs_ >= nextTickMs_) {
      nextTickMs_ = nowMs_ + tickPeriod_.count();
      tick_();
    }
    // Handlers scheduled before this point run now; ones they schedule again wait for the next
    // iteration. Objects closed in this iteration are still allocated here (freed just below),
    // and a closed owner ignores the call.
    if (!ready_.empty()) {
      std::vector<IoHandler*> ready;
      ready.swap(ready_);
      for (auto* h : ready) h->onIo(0);
    }
    graveyard_.clear();
  }
  drainPosted();
  graveyard_.clear();
}

}  // namespace tollgate
