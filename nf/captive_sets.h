#pragma once
// The captive portal's grip on forwarding: three nft sets, declared by nf/ruleset.cc in the
// gateway's table, whose elements let an authorised guest's traffic through.
//
//   set captive_macs { type ether_addr; flags timeout; counter; }
//   set captive_v4 { type ipv4_addr . ether_addr; flags timeout; counter; }
//   set captive_v6 { type ipv6_addr . ether_addr; flags timeout; counter; }
//
// Elements are changed over NETLINK_NETFILTER (nf/nft_batch.h), never by running nft, so a
// login (a MAC and its addresses) is one transaction of a few hundred bytes that commits in
// well under a millisecond, however many guests the sets hold. Each element carries the
// counter the sets declare: the bytes of the guest's traffic the forward chain matched, which
// includes what the proxy never sees.
//
// An address element pairs the address with the MAC it was authorised for, so a neighbour
// that takes over a logged-in guest's address does not inherit its session.
//
// Control plane only: commit() and readCounters() block on netlink for as long as the kernel
// takes (microseconds for a login, tens of milliseconds for a 10,000-client rebuild).
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "nf/neighbour_table.h"  // MacAddress

namespace tollgate::nf {

class NftBatch;
class NftSocket;
struct NftBatchError;

struct HostAddress {
  uint8_t family = 0;               // AF_INET or AF_INET6
  std::array<uint8_t, 16> bytes{};  // network order; AF_INET uses the first 4
  bool operator==(const HostAddress&) const = default;
};

class CaptiveSets {
 public:
  struct Options {
    std::string table = "tollgate";  // in family inet
    // Revoke with NFT_MSG_DESTROYSETELEM (kernel 6.3+), which ignores absent elements. When
    // false, or once a kernel refuses it, a revoke is sent as add-then-delete in the same
    // transaction, which is as atomic but twice the messages.
    bool useDestroy = true;
  };

  // Every outcome, for tests and metrics.
#define TOLLGATE_CAPTIVE_SETS_COUNTERS(X)                                                \
  X(commits)             /* transactions the kernel applied */                           \
  X(commitFailures)      /* batches refused, invalid or lost; nothing of them applied */ \
  X(elementsAdded)       /* adds and refreshes in applied transactions */                \
  X(elementsRemoved)     /* revokes in applied transactions, absent elements included */ \
  X(setFlushes)          /* sets emptied by flushAll() in applied transactions */        \
  X(destroyFallbacks)    /* batches resent as add-then-delete: DESTROYSETELEM refused */ \
  X(counterReads)        /* readCounters() calls that succeeded */                       \
  X(counterReadFailures) /* readCounters() calls that failed */
  struct Counters {
#define TOLLGATE_CAPTIVE_SETS_FIELD(name) uint64_t name = 0;
    TOLLGATE_CAPTIVE_SETS_COUNTERS(TOLLGATE_CAPTIVE_SETS_FIELD)
#undef TOLLGATE_CAPTIVE_SETS_FIELD
  };

  // Changes applied together or not at all, in the order they were added. Building one
  // touches no kernel state; an invalid argument is reported by commit().
  class Batch {
   public:
    // Adds the element or refreshes it: a refresh restarts its timeout (0: never expires) and
    // keeps its counter.
    void allowMac(const MacAddress& mac, std::chrono::seconds timeout);
    void allowAddress(const HostAddress& address, const MacAddress& mac,
                      std::chrono::seconds timeout);
    // Removes the element; one that is not there is not an error.
    void revokeMac(const MacAddress& mac);
    void revokeAddress(const HostAddress& address, const MacAddress& mac);
    // Empties the five sets, counters gone with their elements: for a full rebuild, with
    // the new elements added after it in the same batch so no guest is locked out meanwhile.
    void flushAll();
    size_t size() const { return changes_.size(); }  // a flushAll() counts one per set

    // What a change does and to which set (captive_macs, captive_v4, captive_v6, and the
    // download-direction captive_down4/_down6 that allowAddress/revokeAddress keep in step).
    enum class Kind : uint8_t { Add, Remove, Flush };
    enum class SetId : uint8_t { Macs, V4, V6, Down4, Down6 };

   private:
    friend class CaptiveSets;
    // A set's key as the kernel stores it: in a concatenation each field is padded to 4
    // bytes, so ipv4 . ether is 4 + 8 bytes and ipv6 . ether 16 + 8.
    struct Change {
      Kind kind;
      SetId set;
      uint8_t keyLength;
      std::array<uint8_t, 24> key;
      uint64_t timeoutMs;  // Add only; 0 for none
    };
    void addAddressChange(Kind kind, const HostAddress& address, const MacAddress& mac,
                          std::chrono::seconds timeout);

    std::vector<Change> changes_;
    std::string invalid_;  // the first invalid argument, reported by commit()
  };

  // Per-element counters. address is empty for captive_macs elements; download elements
  // (captive_down4/_down6: traffic to the guest) have an address and no MAC.
  struct ElementCounters {
    MacAddress mac{};
    std::optional<HostAddress> address;
    bool download = false;
    uint64_t bytes = 0;
    uint64_t packets = 0;
  };

  // Opens the netlink socket; touches no kernel state. Throws std::runtime_error naming the
  // failing call, or for a table name the kernel would refuse (empty, 256 bytes or more).
  explicit CaptiveSets(std::string table = "tollgate");
  explicit CaptiveSets(Options options);
  ~CaptiveSets();
  CaptiveSets(const CaptiveSets&) = delete;
  CaptiveSets& operator=(const CaptiveSets&) = delete;

  // Applies the batch as one nf_tables transaction and reads every acknowledgement. nullopt
  // on success (an empty batch is not sent); else one line naming the set, the element and
  // the kernel's errno text, e.g. "set inet tollgate captive_v4, adding element 10.0.0.7 .
  // 02:00:00:00:00:07: Invalid argument". On failure nothing of the batch applied. Safe from
  // any thread (one transaction at a time).
  std::optional<std::string> commit(const Batch& batch);

  // Replaces *out with every element of the three sets and its counter, one dump per set.
  // nullopt on success, else the set that could not be read and why.
  std::optional<std::string> readCounters(std::vector<ElementCounters>* out);

  Counters counters() const;

  // "10.0.0.7 . 02:00:00:00:00:07", as nft lists it.
  static std::string formatAddress(const HostAddress& address);

 private:
  struct MessagePlan;  // what each message of a built batch carries, to explain a refusal
  void encode(const Batch& batch, bool useDestroy, NftBatch* nft,
              std::vector<MessagePlan>* plan) const;
  std::string describe(const NftBatchError& error, const NftBatch& nft,
                       const std::vector<MessagePlan>& plan, const Batch& batch) const;
  std::optional<std::string> dumpSet(Batch::SetId set, std::vector<ElementCounters>* out);

  const std::string table_;
  std::mutex mutex_;  // one transaction or dump on the socket at a time
  std::unique_ptr<NftSocket> socket_;
  bool useDestroy_;  // guarded by mutex_; cleared for good when the kernel refuses destroy

#define TOLLGATE_CAPTIVE_SETS_ATOMIC(name) std::atomic<uint64_t> name##_{0};
  TOLLGATE_CAPTIVE_SETS_COUNTERS(TOLLGATE_CAPTIVE_SETS_ATOMIC)
#undef TOLLGATE_CAPTIVE_SETS_ATOMIC
};

}  // namespace tollgate::nf
