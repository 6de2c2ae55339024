// tollgated: wiring only. Parses the command line, loads the config, leaves root, runs the
// Daemon, turns signals into lifecycle calls (SIGHUP reload + log reopen, SIGTERM/SIGINT drain
// and stop) and tells a service manager about each (READY, RELOADING, STOPPING, WATCHDOG).
#include <signal.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "daemon/config/config.h"
#include "daemon/core/diag.h"
#include "daemon/cache/store_id.h"
#include "daemon/core/sd_notify.h"
#include "daemon/daemon.h"
#include "daemon/interception.h"
#include "daemon/policy_builder.h"
#include "daemon/privileges.h"
#include "daemon/proxy/block_responses.h"

namespace {

void usage() {
  std::puts(
      "usage: tollgated [-c FILE] [--check-config] [--print-default-config] [--version]\n"
      "                 [--remove-interception]\n"
      "  -c FILE                 configuration file (default: the embedded default config)\n"
      "  --check-config          validate the configuration and exit (non-zero: FILE:LINE: reason)\n"
      "  --print-default-config  print the embedded default configuration, every key commented\n"
      "  --remove-interception   remove what a killed daemon left installed (fail_mode = open:\n"
      "                          the nftables table and policy routing) and exit; the unit's\n"
      "                          ExecStopPost\n"
      "Runs in the foreground. SIGHUP reloads the config and reopens the decision log;\n"
      "SIGTERM stops accepting and drains connections for up to limits.drain_timeout.");
}

// Each connection costs two descriptors plus pipes: lift the soft limit to the hard one.
void raiseFileLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

// sigwait that keeps a service manager's watchdog fed: it wakes every half interval to ping.
int waitForSignal(const sigset_t& set, tollgate::sd::Notifier& notifier,
                  std::chrono::steady_clock::time_point& nextPing) {
  using Clock = std::chrono::steady_clock;
  const auto interval = notifier.watchdogPingInterval();
  while (true) {
    if (interval.count() == 0) {
      int sig = 0;
      if (sigwait(&set, &sig) == 0) return sig;
      continue;
    }
    auto now = Clock::now();
    if (now >= nextPing) {
      notifier.watchdog();
      nextPing = now + interval;
    }
    auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(nextPing - now);
    timespec ts{static_cast<time_t>(left.count() / 1000000000),
                static_cast<long>(left.count() % 1000000000)};
    int sig = sigtimedwait(&set, nullptr, &ts);
    if (sig > 0) return sig;  // else EAGAIN (time to ping) or EINTR
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string configPath;
  bool checkOnly = false;
  bool removeOnly = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "-c" || a == "--config") && i + 1 < argc) {
      configPath = argv[++i];
    } else if (a == "--check-config") {
      checkOnly = true;
    } else if (a == "--remove-interception") {
      removeOnly = true;
    } else if (a == "--print-default-config") {
      std::fputs(tollgate::config::defaultConfigText(), stdout);
      return 0;
    } else if (a == "--version") {
      std::puts("tollgated 0.1.0");
      return 0;
    } else if (a == "-h" || a == "--help") {
      usage();
      return 0;
    } else {
      std::fprintf(stderr, "tollgated: unknown argument '%s'\n", a.c_str());
      usage();
      return 2;
    }
  }

  tollgate::config::ConfigPtr config;
  try {
    config = configPath.empty() ? tollgate::config::loadConfigText("", "<default>")
                                : tollgate::config::loadConfigFile(configPath);
  } catch (const tollgate::config::ConfigError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  if (checkOnly) {
    // Lists, schedules, groups, the block page and store-ID rules are checked too: everything a
    // start would load (the cache directory is not touched).
    try {
      tollgate::buildPolicy(*config);
      tollgate::proxy::BlockResponses::build(config->filter);
      tollgate::cache::StoreIdRules::build(*config);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s\n", e.what());
      return 1;
    }
    std::printf("%s: OK\n", config->sourceName.c_str());
    return 0;
  }
  if (removeOnly) {
    // Idempotent: after a clean stop there is nothing left and this succeeds quietly.
    if (!config->gateway.manageNftables) return 0;
    if (auto err = tollgate::removeInterception(*config)) {
      std::fprintf(stderr, "tollgated: removing interception: %s\n", err->c_str());
      return 1;
    }
    return 0;
  }

  // Signals are taken synchronously by this thread only; every other thread inherits the mask.
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&set, s);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  raiseFileLimit();
  tollgate::sd::Notifier notifier;
  try {
    tollgate::dropPrivileges(*config);  // before any thread: see privileges.h
  } catch (const std::exception& e) {
    tollgate::diag::error(std::string("privileges: ") + e.what());
    notifier.status(std::string("privilege drop failed: ") + e.what());
    return 1;
  }

  tollgate::Daemon daemon(configPath, config);
  try {
    daemon.start();
  } catch (const std::exception& e) {
    tollgate::diag::error(std::string("start failed: ") + e.what());
    notifier.status(std::string("start failed: ") + e.what());
    daemon.stop();
    return 1;
  }
  notifier.ready("running, config " + config->sourceName);
  auto nextPing = std::chrono::steady_clock::now();
  while (true) {
    int sig = waitForSignal(set, notifier, nextPing);
    if (sig == SIGHUP) {
      notifier.reloading();
      daemon.reopenLogs();
      bool ok = daemon.reload().rfind("{\"ok\":true", 0) == 0;
      notifier.ready(ok ? "running, reloaded" : "running, reload failed: the config stays");
      continue;
    }
    tollgate::diag::info(std::string("received ") + strsignal(sig) + ", draining");
    notifier.stopping();
    break;
  }
  daemon.stop();
  tollgate::diag::info("stopped");
  return 0;
}
