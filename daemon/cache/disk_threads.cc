#include "daemon/cache/disk_threads.h"

#include <algorithm>

namespace tollgate::cache {

DiskThreads::~DiskThreads() { stop(); }

void DiskThreads::start(int count) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_ || !threads_.empty()) return;
  for (int i = 0; i < std::max(1, count); ++i) threads_.emplace_back([this] { run(); });
}

bool DiskThreads::post(Job job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return false;
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

void DiskThreads::stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return;
    stopping_ = true;
    threads.swap(threads_);
  }
  cv_.notify_all();
  for (std::thread& t : threads) t.join();
  // A job posted after the last thread found the queue empty (or with no thread ever started)
  // still runs: writers rely on their cleanup job running.
  for (;;) {
    Job job;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (jobs_.empty()) {
        stopped_ = true;
        return;
      }
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

size_t DiskThreads::queued() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return jobs_.size();
}

void DiskThreads::run() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and nothing left
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

}  // namespace tollgate::cache
