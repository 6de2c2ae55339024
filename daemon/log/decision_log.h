#pragma once
// The decision log: each worker pushes records into its own bounded single-producer queue; one
// logging thread drains every queue, formats and writes. A worker never blocks on logging: when
// its queue is full the record is dropped and counted (log_lines_dropped), never silently lost.
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "daemon/config/config.h"
#include "daemon/log/decision_record.h"
#include "daemon/log/decision_tally.h"

namespace tollgate::log {

// Bounded lock-free single-producer/single-consumer ring.
class RecordQueue {
 public:
  explicit RecordQueue(size_t capacity);
  bool push(DecisionRecord&& r);  // producer; false when full
  bool pop(DecisionRecord& out);  // consumer; false when empty

 private:
  std::vector<DecisionRecord> slots_;
  size_t mask_;
  alignas(64) std::atomic<size_t> head_{0};  // next slot to pop
  alignas(64) std::atomic<size_t> tail_{0};  // next slot to push
};

class DecisionLog {
 public:
  // `queues` producers, one per worker. Opens the file at start(); throws on failure.
  DecisionLog(const config::LogConfig& config, size_t queues);
  ~DecisionLog();

  void start();
  void stop();  // drains every queue, flushes, joins
  RecordQueue& queue(size_t worker) { return *queues_[worker]; }
  // Applies a new [log] section: path and format may change (reopens the file).
  void reconfigure(const config::LogConfig& config);
  void reopen() { reopenRequested_.store(true); }  // SIGHUP / logrotate
  uint64_t linesWritten() const { return written_.load(std::memory_order_relaxed); }
  uint64_t linesFailed() const { return failed_.load(std::memory_order_relaxed); }
  // Every record drained so far, by (action, list, group): the metrics endpoint reads it.
  const DecisionTally& tally() const { return tally_; }

 private:
  void run();
  void openOutput();
  void drainOnce(std::string& batch);

  std::mutex configMutex_;  // guards config_ between reconfigure() and the logging thread
  config::LogConfig config_;
  std::vector<std::unique_ptr<RecordQueue>> queues_;
  int fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> reopenRequested_{false};
  std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> failed_{0};  // formatted, but write() failed (full disk...)
  DecisionTally tally_;
};

}  // namespace tollgate::log
