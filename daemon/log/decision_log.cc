#include "daemon/log/decision_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "daemon/log/log_format.h"

namespace tollgate::log {

namespace {
size_t roundUpPow2(size_t n) {
  size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}
}  // namespace

RecordQueue::RecordQueue(size_t capacity) : slots_(roundUpPow2(capacity)), mask_(slots_.size() - 1) {}

bool RecordQueue::push(DecisionRecord&& r) {
  size_t tail = tail_.load(std::memory_order_relaxed);
  if (tail - head_.load(std::memory_order_acquire) >= slots_.size()) return false;
  slots_[tail & mask_] = std::move(r);
  tail_.store(tail + 1, std::memory_order_release);
  return true;
}

bool RecordQueue::pop(DecisionRecord& out) {
  size_t head = head_.load(std::memory_order_relaxed);
  if (head == tail_.load(std::memory_order_acquire)) return false;
  out = std::move(slots_[head & mask_]);
  head_.store(head + 1, std::memory_order_release);
  return true;
}

DecisionLog::DecisionLog(const config::LogConfig& config, size_t queues) : config_(config) {
  for (size_t i = 0; i < queues; ++i) queues_.push_back(std::make_unique<RecordQueue>(config.queueSize));
}

DecisionLog::~DecisionLog() { stop(); }

void DecisionLog::openOutput() {
  std::string path;
  {
    std::lock_guard<std::mutex> lock(configMutex_);
    path = config_.decisions;
  }
  if (path == "-") {
    if (fd_ >= 0 && fd_ != STDOUT_FILENO) close(fd_);
    fd_ = STDOUT_FILENO;
    return;
  }
  // Create the log's directory (as logrotate and a fresh install expect), then the file.
  for (size_t pos = 1; (pos = path.find('/', pos)) != std::string::npos; ++pos)
    mkdir(path.substr(0, pos).c_str(), 0750);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) throw std::runtime_error("open(" + path + "): " + std::strerror(errno));
  if (fd_ >= 0 && fd_ != STDOUT_FILENO) close(fd_);
  fd_ = fd;
}

void DecisionLog::start() {
  openOutput();
  thread_ = std::thread([this] { run(); });
}

void DecisionLog::stop() {
  if (!thread_.joinable()) return;
  stopping_.store(true);
  thread_.join();
  if (fd_ >= 0 && fd_ != STDOUT_FILENO) close(fd_);
  fd_ = -1;
}

void DecisionLog::reconfigure(const config::LogConfig& config) {
  {
    std::lock_guard<std::mutex> lock(configMutex_);
    config_.decisions = config.decisions;
    config_.format = config.format;
  }
  reopen();
}

void DecisionLog::drainOnce(std::string& batch) {
  config::LogFormat format;
  {
    std::lock_guard<std::mutex> lock(configMutex_);
    format = config_.format;
  }
  DecisionRecord r;
  uint64_t lines = 0;
  for (auto& q : queues_) {
    while (q->pop(r)) {
      tally_.add(r.action, r.list, r.group);
      if (format == config::LogFormat::Squid) appendSquidLine(r, batch);
      else appendJsonLine(r, batch);
      ++lines;
      if (batch.size() > 256 * 1024) break;  // write in bounded chunks, then come back
    }
  }
  size_t off = 0;
  bool ok = true;
  while (off < batch.size()) {
    ssize_t n = write(fd_, batch.data() + off, batch.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      // A full disk must not stop the daemon: the batch is lost and counted in log_lines_failed.
      std::fprintf(stderr, "tollgated: write(decision log): %s\n", std::strerror(errno));
      ok = false;
      break;
    }
    off += static_cast<size_t>(n);
  }
  batch.clear();
  (ok ? written_ : failed_).fetch_add(lines, std::memory_order_relaxed);
}

void DecisionLog::run() {
  std::string batch;
  while (true) {
    bool stopping = stopping_.load();
    if (reopenRequested_.exchange(false)) {
      try {
        openOutput();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "tollgated: decision log reopen failed, keeping the old file: %s\n", e.what());
      }
    }
    uint64_t before = written_.load(std::memory_order_relaxed) + failed_.load(std::memory_order_relaxed);
    drainOnce(batch);
    if (stopping) {
      drainOnce(batch);
      break;
    }
    // Idle polling keeps workers free of any wake-up syscall on the hot path.
    if (written_.load(std::memory_order_relaxed) + failed_.load(std::memory_order_relaxed) == before)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace tollgate::log
