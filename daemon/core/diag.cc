#include "daemon/core/diag.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace tollgate::diag {

namespace {
std::atomic<Level> gLevel{Level::Info};
std::mutex gMutex;

void emit(Level level, const char* tag, const std::string& msg) {
  if (level < gLevel.load(std::memory_order_relaxed)) return;
  std::lock_guard<std::mutex> lock(gMutex);
  std::fprintf(stderr, "tollgated: %s: %s\n", tag, msg.c_str());
  std::fflush(stderr);
}
}  // namespace

void setLevel(const std::string& level) {
  if (level == "debug") gLevel = Level::Debug;
  else if (level == "warning") gLevel = Level::Warning;
  else if (level == "error") gLevel = Level::Error;
  else gLevel = Level::Info;
}

void debug(const std::string& msg) { emit(Level::Debug, "debug", msg); }
void info(const std::string& msg) { emit(Level::Info, "info", msg); }
void warning(const std::string& msg) { emit(Level::Warning, "warning", msg); }
void error(const std::string& msg) { emit(Level::Error, "error", msg); }

}  // namespace tollgate::diag
