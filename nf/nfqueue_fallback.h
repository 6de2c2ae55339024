#pragma once
// Getting packets into the queue: nft's queue statement when the kernel has it (the production
// ruleset), else iptables-nft's NFQUEUE target in a chain of its own.
//
// Some kernels are built without nft's queue expression (CONFIG_NFT_QUEUE; nft answers "Could
// not process rule: No such file or directory" on the rule) but with the xtables NFQUEUE target,
// which iptables-nft loads through nft_compat. Then the inspector's nft chain still does all the
// classifying (LAN interface, bypass sets, the quic_blocked drop, ports, first packets, long
// header) and marks what it would have queued (nfqueueFallbackMark, nf/ruleset.h); an iptables-nft rule in mangle
// FORWARD, which runs right after that chain, queues the marked packets:
//
//   iptables-nft -t mangle -N TOLLGATE_QUIC
//   -A TOLLGATE_QUIC -i lan -p udp -m multiport --dports 443 -m mark --mark 0x3/0xff
//      -m connbytes --connbytes 0:4 --connbytes-dir original --connbytes-mode packets
//      -j NFQUEUE --queue-num 0 --queue-bypass
//   -I FORWARD 1 -j TOLLGATE_QUIC
//
// and the same with ip6tables-nft. The chain is replaced as a whole on every install
// (iptables-nft-restore --noflush) and removed on stop. Control plane only: runs processes.
#include <optional>
#include <string>
#include <vector>

#include "nf/ruleset.h"

namespace tollgate::nf {

inline constexpr const char* kIptablesQueueChain = "TOLLGATE_QUIC";
// DNS queries ([nfqueue] dns), marked by the nft prerouting chain: jumped to from PREROUTING.
inline constexpr const char* kIptablesDnsChain = "TOLLGATE_DNS";
inline constexpr const char* kIptablesPath = "/usr/sbin/iptables-nft";
inline constexpr const char* kIp6tablesPath = "/usr/sbin/ip6tables-nft";

enum class QueueSteering {
  None,      // nothing queued: [nfqueue] quic = drop or pass
  Nft,       // nft's queue statement
  Iptables,  // the kernel lacks it: iptables-nft NFQUEUE rules
};
const char* toString(QueueSteering s);

// The iptables-nft-restore input for one family (pure; tested).
std::string renderIptablesQueueRules(const RulesetSpec& spec);

// True when the kernel takes nft's queue statement (`nft -c` of a probe table; nothing is
// committed). nullopt with *error when nft itself could not be run.
std::optional<bool> nftHasQueue(std::string* error);

struct SteeringResult {
  QueueSteering steering = QueueSteering::None;
  std::optional<std::string> error;  // nothing usable was installed
};

// Loads renderNfqueueRules(spec) into the existing table, with the queue statement when the
// kernel has it, else without it plus the iptables-nft rules. Removes a fallback chain left
// from before when it is not needed. spec.nfqueue.queueInNft is decided here.
SteeringResult installQueueSteering(RulesetSpec spec);

// Removes the iptables-nft chains (both families); no error when they are absent.
std::optional<std::string> removeIptablesQueueRules();

}  // namespace tollgate::nf
