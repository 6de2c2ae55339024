#pragma once
// One epoll loop per worker thread (Redis ae.h in spirit). File descriptors are registered once,
// edge-triggered for both directions, so the hot path never calls epoll_ctl to change interest:
// owners remember readiness and drain until EAGAIN. Handlers destroyed inside a batch must be
// freed through deferDelete() so events later in the same batch never touch freed memory.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace tollgate {

class IoHandler {
 public:
  virtual ~IoHandler() = default;
  virtual void onIo(uint32_t events) = 0;
};

class Deletable {
 public:
  virtual ~Deletable() = default;
};

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Registers fd for `events` (EPOLLIN/EPOLLOUT/EPOLLET...). Returns 0 or an errno.
  int add(int fd, uint32_t events, IoHandler* handler);
  int modify(int fd, uint32_t events, IoHandler* handler);
  void remove(int fd);

  // Runs fn on the loop thread at its next iteration. Safe from any thread.
  void post(std::function<void()> fn);
  // Calls fn every `period` on the loop thread (coarse: the sweep of idle timeouts).
  void setTick(std::chrono::milliseconds period, std::function<void()> fn);
  // Calls handler->onIo(0) after the current batch of events (and before objects handed to
  // deferDelete in this iteration are freed): for work that yielded its budget, since with
  // edge-triggered epoll no new event would come for it.
  void runSoon(IoHandler* handler) { ready_.push_back(handler); }
  // Frees obj after the current batch of events has been dispatched.
  void deferDelete(std::unique_ptr<Deletable> obj);

  // Milliseconds on the steady clock, cached once per loop iteration: cheap to read per I/O.
  int64_t nowMs() const { return nowMs_; }
  void run();
  void stop();  // safe from any thread

  static int64_t steadyMs();

 private:
  void drainPosted();

  int epollFd_ = -1;
  int wakeFd_ = -1;  // eventfd: post() and stop() wake epoll_wait
  std::atomic<bool> stopping_{false};
  int64_t nowMs_ = 0;
  std::mutex postedMutex_;
  std::vector<std::function<void()>> posted_;
  std::chrono::milliseconds tickPeriod_{0};
  int64_t nextTickMs_ = 0;
  std::function<void()> tick_;
  std::vector<std::unique_ptr<Deletable>> graveyard_;
  std::vector<IoHandler*> ready_;
};

}  // namespace tollgate
