// tollgated: wiring only. Parses the command line, loads the config, runs the Daemon and turns
// signals into lifecycle calls (SIGHUP reload + log reopen, SIGTERM/SIGINT drain and stop).
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "daemon/config/config.h"
#include "daemon/core/diag.h"
#include "daemon/cache/store_id.h"
#include "daemon/daemon.h"
#include "daemon/policy_builder.h"
#include "daemon/proxy/block_responses.h"

namespace {

void usage() {
  std::puts(
      "usage: tollgated [-c FILE] [--check-config] [--print-default-config] [--version]\n"
      "  -c FILE                 configuration file (default: the embedded default config)\n"
      "  --check-config          validate the configuration and exit (non-zero: FILE:LINE: reason)\n"
      "  --print-default-config  print the embedded default configuration, every key commented\n"
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

}  // namespace

int main(int argc, char** argv) {
  std::string configPath;
  bool checkOnly = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "-c" || a == "--config") && i + 1 < argc) {
      configPath = argv[++i];
    } else if (a == "--check-config") {
      checkOnly = true;
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

  // Signals are taken synchronously by this thread only; every other thread inherits the mask.
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&set, s);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  raiseFileLimit();

  tollgate::Daemon daemon(configPath, config);
  try {
    daemon.start();
  } catch (const std::exception& e) {
    tollgate::diag::error(std::string("start failed: ") + e.what());
    daemon.stop();
    return 1;
  }
  while (true) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) {
      daemon.reopenLogs();
      daemon.reload();
      continue;
    }
    tollgate::diag::info(std::string("received ") + strsignal(sig) + ", draining");
    break;
  }
  daemon.stop();
  tollgate::diag::info("stopped");
  return 0;
}
