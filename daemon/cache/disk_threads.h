#pragma once
// The store's disk threads: a FIFO of jobs run by N threads. Every open/pread/pwrite/rename/
// unlink of the cache runs here, so that a worker never waits for a disk; a job that has a
// result for a worker hands it over with EventLoop::post().
//
// Jobs run in no particular order relative to each other once two threads are running: work
// that must be sequential (the writes of one object, the reads of one reader) keeps its own
// "one job scheduled at a time" flag or lock (see WriterImpl, body_readers.h).
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tollgate::cache {

class DiskThreads {
 public:
  using Job = std::function<void()>;
  DiskThreads() = default;
  ~DiskThreads();  // stop()
  DiskThreads(const DiskThreads&) = delete;
  DiskThreads& operator=(const DiskThreads&) = delete;

  // Starts `count` threads (at least 1). Throws std::system_error when a thread cannot start
  // (control plane). Jobs posted before start() wait for it.
  void start(int count);
  // Queues a job. False once stop() has finished: the job is not run and is destroyed here.
  // A job must not throw (an exception escaping a job terminates the process, like any other
  // thread of the daemon).
  bool post(Job job);
  // Runs every job already queued, and those they queue, then joins the threads. Jobs posted
  // from other threads while it runs are run too; after it returns post() refuses. Must not be
  // called from a job. Idempotent.
  void stop();
  size_t queued() const;

 private:
  void run();

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stopping_ = false;  // threads exit once the queue is empty
  bool stopped_ = false;   // joined: post() refuses
  std::vector<std::thread> threads_;
};

}  // namespace tollgate::cache
