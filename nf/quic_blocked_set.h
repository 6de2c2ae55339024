#pragma once
// The kernel side of a QUIC block: elements of the quic_blocked4/6 sets (nf/ruleset.h), which
// the inspector's chain drops before anything is queued, so a blocked flow's retransmissions
// never reach user space and never get past the queued first packets to the origin.
//
//   set quic_blocked4 { type ipv4_addr . ipv4_addr . inet_service . inet_service; flags timeout; }
//   set quic_blocked6 { type ipv6_addr . ipv6_addr . inet_service . inet_service; flags timeout; }
//
// Added over NETLINK_NETFILTER (nf/nft_batch.h), never by running nft: the inspector thread
// adds a batch's blocked flows in one transaction of a few hundred bytes. Each thread owns one
// QuicBlockedSet (a socket each); not thread-safe.
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tollgate::nf {

class NftSocket;

// A client-to-server UDP flow as the sets key it.
struct UdpFlow {
  int family = 0;                 // AF_INET or AF_INET6
  std::array<uint8_t, 16> src{};  // network order; AF_INET uses the first 4 bytes
  std::array<uint8_t, 16> dst{};
  uint16_t srcPort = 0;  // host order
  uint16_t dstPort = 0;
};

class QuicBlockedSet {
 public:
  // Opens the socket; touches no kernel state. Throws std::runtime_error naming the call.
  explicit QuicBlockedSet(std::string table = "tollgate");
  ~QuicBlockedSet();
  QuicBlockedSet(const QuicBlockedSet&) = delete;
  QuicBlockedSet& operator=(const QuicBlockedSet&) = delete;

  // Adds (or refreshes) every flow with this timeout, in one transaction: all or none.
  // nullopt on success; else "set inet tollgate quic_blocked4: No such file or directory".
  std::optional<std::string> add(const std::vector<UdpFlow>& flows, std::chrono::milliseconds timeout);

  // The key bytes as the kernel stores them (each field padded to 4 bytes): 16 for IPv4, 40
  // for IPv6. Exposed for tests.
  static size_t encodeKey(const UdpFlow& flow, uint8_t* out);

 private:
  const std::string table_;
  std::unique_ptr<NftSocket> socket_;
};

}  // namespace tollgate::nf
