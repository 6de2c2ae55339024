#include "nf/nfqueue_fallback.h"

#include <unistd.h>

#include <cstdio>
#include <utility>

#include "nf/nft_runner.h"

namespace tollgate::nf {
namespace {

// A table of its own, so the probe can neither meet nor disturb Tollgate's; `nft -c` sends the
// transaction with the check flag, so the kernel validates the expression and commits nothing.
constexpr const char* kProbe =
    "table inet tollgate_queue_probe {\n"
    "\tchain probe {\n"
    "\t\ttype filter hook forward priority 0; policy accept;\n"
    "\t\tudp dport 443 queue flags bypass to 0\n"
    "\t}\n"
    "}\n";

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", v);
  return buf;
}

std::string runError(const NftRun& run, const char* tool) {
  if (run.spawnError) return *run.spawnError;
  std::string err = run.err;
  while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
  if (size_t nl = err.find('\n'); nl != std::string::npos) err.resize(nl);
  return std::string(tool) + " exited with status " + std::to_string(run.exitStatus) +
         (err.empty() ? "" : ": " + err);
}

// Runs a tool (iptables-nft, ip6tables-nft or their -restore) with stdin; error text or nullopt.
std::optional<std::string> runTool(const std::string& path, const std::vector<std::string>& args,
                                   std::string_view input = "") {
  NftRun run = runNft(args, input, path.c_str(), 15000);
  if (!run.spawnError && run.exitStatus == 0) return std::nullopt;
  std::string line = path;
  for (const auto& a : args) line += " " + a;
  return line + ": " + runError(run, path.c_str());
}

// The jumps: QUIC from FORWARD (after the nft chain there), DNS from PREROUTING.
constexpr std::pair<const char*, const char*> kJumps[] = {{"FORWARD", kIptablesQueueChain},
                                                          {"PREROUTING", kIptablesDnsChain}};

std::optional<std::string> installFamily(const std::string& tool, const std::string& rules) {
  if (auto err = runTool(tool + "-restore", {"--noflush"}, rules)) return err;
  for (auto [hook, chain] : kJumps) {
    // -C fails when the jump is absent (or the chain is): then insert it first in the hook.
    NftRun check = runNft({"-t", "mangle", "-C", hook, "-j", chain}, "", tool.c_str(), 15000);
    if (!check.spawnError && check.exitStatus == 0) continue;
    if (auto err = runTool(tool, {"-t", "mangle", "-I", hook, "1", "-j", chain})) return err;
  }
  return std::nullopt;
}

void removeFamily(const std::string& tool) {
  for (auto [hook, chain] : kJumps) {
    // Every jump (a crashed start may have left two), then the chain itself.
    for (int i = 0; i < 8; ++i) {
      NftRun run = runNft({"-t", "mangle", "-D", hook, "-j", chain}, "", tool.c_str(), 15000);
      if (run.spawnError || run.exitStatus != 0) break;
    }
    runNft({"-t", "mangle", "-F", chain}, "", tool.c_str(), 15000);
    runNft({"-t", "mangle", "-X", chain}, "", tool.c_str(), 15000);
  }
}

}  // namespace

const char* toString(QueueSteering s) {
  switch (s) {
    case QueueSteering::None: return "none";
    case QueueSteering::Nft: return "nft queue";
    case QueueSteering::Iptables: return "iptables-nft NFQUEUE";
  }
  return "unknown";
}

std::string renderIptablesQueueRules(const RulesetSpec& spec) {
  const RulesetSpec::Nfqueue& q = spec.nfqueue;
  std::string ports;
  for (uint16_t p : q.quicPorts) ports += (ports.empty() ? "" : ",") + std::to_string(p);
  std::string target = q.queues > 1 ? "--queue-balance " + std::to_string(q.queue) + ":" +
                                          std::to_string(q.queue + q.queues - 1)
                                    : "--queue-num " + std::to_string(q.queue);
  if (q.bypass) target += " --queue-bypass";
  std::string out = "*mangle\n";
  out += std::string(":") + kIptablesQueueChain + " - [0:0]\n";
  out += std::string(":") + kIptablesDnsChain + " - [0:0]\n";
  for (const auto& lan : spec.lanInterfaces) {
    // The mark carries the nft chain's verdict; the other matches repeat it so that a packet
    // marked by anyone else is still not queued beyond the first packets.
    out += std::string("-A ") + kIptablesQueueChain + " -i " + lan +
           " -p udp -m multiport --dports " + ports + " -m mark --mark " + hex(nfqueueFallbackMark(spec)) +
           "/" + hex(spec.markMask) + " -m connbytes --connbytes 0:" +
           std::to_string(q.firstPackets) +
           " --connbytes-dir original --connbytes-mode packets -j NFQUEUE " + target + "\n";
    if (q.dns) {
      out += std::string("-A ") + kIptablesDnsChain + " -i " + lan + " -p udp --dport 53 -m mark --mark " +
             hex(nfqueueFallbackMark(spec)) + "/" + hex(spec.markMask) + " -j NFQUEUE " + target + "\n";
    }
  }
  out += "COMMIT\n";
  return out;
}

std::optional<bool> nftHasQueue(std::string* error) {
  NftRun run = runNft({"-c", "-f", "-"}, kProbe);
  if (run.spawnError) {
    *error = *run.spawnError;
    return std::nullopt;
  }
  return run.exitStatus == 0;
}

SteeringResult installQueueSteering(RulesetSpec spec) {
  SteeringResult result;
  if (!spec.nfqueue.enabled) return result;
  const bool inspect =
      spec.nfqueue.quic == RulesetSpec::Nfqueue::Quic::Inspect || spec.nfqueue.dns;
  bool useNft = true;
  if (inspect) {
    std::string probeError;
    auto has = nftHasQueue(&probeError);
    if (!has) {
      result.error = "probing nft's queue statement: " + probeError;
      return result;
    }
    useNft = *has;
  }
  spec.nfqueue.queueInNft = useNft;
  std::string text;
  try {
    text = renderNfqueueRules(spec);
  } catch (const std::exception& e) {
    result.error = std::string("nfqueue ruleset: ") + e.what();
    return result;
  }
  if (auto err = applyRuleset(text)) {
    result.error = "nfqueue chain: " + *err;
    return result;
  }
  if (!inspect || useNft) {
    removeIptablesQueueRules();  // a fallback from an earlier run on another kernel
    result.steering = inspect ? QueueSteering::Nft : QueueSteering::None;
    return result;
  }
  const std::string rules = renderIptablesQueueRules(spec);
  for (const char* tool : {kIptablesPath, kIp6tablesPath}) {
    if (access(tool, X_OK) != 0) {
      result.error = std::string("the kernel lacks nft's queue expression and ") + tool +
                     " is not installed (Debian: apt install iptables)";
      return result;
    }
    if (auto err = installFamily(tool, rules)) {
      result.error = "iptables-nft fallback: " + *err;
      return result;
    }
  }
  result.steering = QueueSteering::Iptables;
  return result;
}

std::optional<std::string> removeIptablesQueueRules() {
  for (const char* tool : {kIptablesPath, kIp6tablesPath})
    if (access(tool, X_OK) == 0) removeFamily(tool);
  return std::nullopt;
}

}  // namespace tollgate::nf
