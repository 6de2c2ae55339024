#pragma once
// The client MAC lookup: a mirror of the kernel's neighbour tables (ARP and NDP), kept by one
// thread over rtnetlink and read by any number of worker threads.
//
// The thread dumps the tables, then follows RTNLGRP_NEIGH. Readers see an immutable snapshot;
// bursts of changes are coalesced so a new snapshot is built at most once per
// publishInterval. Publication is two slots and an index rather than
// std::atomic<std::shared_ptr>: libstdc++ 12 implements that with a spin bit (not lock-free)
// whose relaxed unlock in load() ThreadSanitizer reports as a data race.
//
// Only entries with a usable link-layer address count (the kernel's NUD_VALID states:
// reachable, stale, delay, probe, permanent, noarp); incomplete and failed entries do not, so
// a host that stopped answering drops out. IPv6 link-local entries are keyed by interface,
// since fe80::1 on two LANs are two hosts.
#include <sys/socket.h>

#include <array>
#include <functional>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

struct mnl_socket;

namespace tollgate::nf {

using MacAddress = std::array<uint8_t, 6>;

class NeighbourTable {
 public:
  struct Options {
    // Kernel receive buffer for change events; overflowing it costs a full re-dump.
    int receiveBufferBytes = 1 << 20;
    std::chrono::milliseconds publishInterval{100};
  };

  // Every outcome of the thread's work, for tests and metrics.
#define TOLLGATE_NEIGHBOUR_COUNTERS(X)                                         \
  X(dumps)     /* full dumps, the first one included */                        \
  X(events)    /* change notifications that altered an entry */                \
  X(overruns)  /* ENOBUFS on the event socket: events lost, table re-dumped */ \
  X(publishes) /* snapshots published */                                       \
  X(errors)    /* unexpected netlink failures; the thread retries after a pause */
  struct Counters {
#define TOLLGATE_NEIGHBOUR_FIELD(name) uint64_t name = 0;
    TOLLGATE_NEIGHBOUR_COUNTERS(TOLLGATE_NEIGHBOUR_FIELD)
#undef TOLLGATE_NEIGHBOUR_FIELD
  };

  NeighbourTable();
  explicit NeighbourTable(Options options);
  ~NeighbourTable();  // stop()
  NeighbourTable(const NeighbourTable&) = delete;
  NeighbourTable& operator=(const NeighbourTable&) = delete;

  // Subscribes to changes, dumps the tables and publishes the first snapshot before it
  // returns, so a lookup right after start() already sees existing entries; then starts the
  // thread. Errors name the failing call ("mnl_socket_bind(RTNLGRP_NEIGH): ...").
  std::optional<std::string> start();

  // Wakes and joins the thread. Idempotent; the last snapshot stays readable.
  void stop();

  // The MAC of the neighbour with this address (AF_INET, or AF_INET6 including
  // ::ffff:a.b.c.d, which is looked up as IPv4; link-local IPv6 needs sin6_scope_id). Safe
  // from any thread and lock-free: a few atomic operations on the active slot and one hash
  // lookup; it retries only if a publication flips the slot between two of them.
  std::optional<MacAddress> lookup(const sockaddr* addr) const;

  // Entries in the current snapshot.
  size_t size() const;

  // Calls fn(address, mac) for every entry of the current snapshot (IPv4 as AF_INET, IPv6
  // with sin6_scope_id for link-local). For the control plane (the captive portal binds every
  // address of a logged-in MAC once a second); it holds a reader slot while it runs, so fn
  // must be quick and must not call back into the table.
  void forEach(const std::function<void(const sockaddr_storage&, const MacAddress&)>& fn) const;

  Counters counters() const;
  // The last unexpected failure of the thread, empty if none.
  std::string lastError() const;

  // "02:00:00:00:00:09"
  static std::string formatMac(const MacAddress& mac);

 private:
  struct Snapshot;  // defined in the .cc: an unordered_map from address to MAC
  void run();
  enum class Drain { Unchanged, Changed, Failed };
  Drain drainEvents();
  std::optional<std::string> resubscribeAndDump();
  void publish();
  void fail(const std::string& what);
  uint32_t enterReader() const;  // the slot index to pass to leaveReader
  void leaveReader(uint32_t slot) const;

  const Options options_;
  mnl_socket* eventSocket_ = nullptr;  // subscribed to RTNLGRP_NEIGH; the thread's once started
  int wakeFd_ = -1;                    // eventfd: stop() writes, the thread polls it
  std::thread thread_;
  // The thread's private copy, mutated by events and copied into each published snapshot.
  std::unique_ptr<Snapshot> working_;
  // Readers announce themselves on the active slot and confirm it is still active; the thread
  // rewrites only the other slot, and only once no reader is announced there.
  struct Slot {
    std::atomic<uint32_t> readers{0};
    std::unique_ptr<const Snapshot> snapshot;
  };
  mutable Slot slots_[2];
  std::atomic<uint32_t> active_{0};

#define TOLLGATE_NEIGHBOUR_ATOMIC(name) std::atomic<uint64_t> name##_{0};
  TOLLGATE_NEIGHBOUR_COUNTERS(TOLLGATE_NEIGHBOUR_ATOMIC)
#undef TOLLGATE_NEIGHBOUR_ATOMIC
  mutable std::mutex errorMutex_;
  std::string lastError_;
};

}  // namespace tollgate::nf
