#include "nf/neighbour_table.h"

#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unordered_map>
#include <vector>

namespace tollgate::nf {
namespace {

// The kernel's NUD_VALID (include/net/neighbour.h, not exported to uapi): states in which the
// entry holds a link-layer address worth using.
constexpr uint16_t kNudValid =
    NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE | NUD_DELAY;

// A dump reply carrying NLM_F_DUMP_INTR may have missed entries; redo it this many times.
constexpr int kDumpAttempts = 3;
constexpr std::chrono::seconds kRetryPause{1};
// Large enough for any one datagram the kernel sends for a dump (libmnl's later
// MNL_SOCKET_DUMP_SIZE); a smaller buffer would truncate it silently.
constexpr size_t kRecvBufferSize = 32768;

// IPv4 is stored as ::ffff:a.b.c.d, so a dual-stack socket's mapped peer address finds it
// without a second lookup. scope is the ifindex for IPv6 link-local addresses, else 0.
struct Key {
  std::array<uint8_t, 16> addr{};
  uint32_t scope = 0;
  bool operator==(const Key&) const = default;
};

struct KeyHash {
  size_t operator()(const Key& k) const {
    uint64_t hi, lo;
    std::memcpy(&hi, k.addr.data(), 8);
    std::memcpy(&lo, k.addr.data() + 8, 8);
    uint64_t h = (hi * 0x9e3779b97f4a7c15ull) ^ (lo + k.scope);
    return static_cast<size_t>(h ^ (h >> 29));
  }
};

struct Value {
  MacAddress mac;
  int ifindex;  // a delete only removes the entry it refers to
};

Key v4Key(const void* bytes) {
  Key k;
  k.addr[10] = 0xff;
  k.addr[11] = 0xff;
  std::memcpy(k.addr.data() + 12, bytes, 4);
  return k;
}

Key v6Key(const in6_addr& a, uint32_t ifindex) {
  if (IN6_IS_ADDR_V4MAPPED(&a)) return v4Key(a.s6_addr + 12);
  Key k;
  std::memcpy(k.addr.data(), a.s6_addr, 16);
  if (IN6_IS_ADDR_LINKLOCAL(&a)) k.scope = ifindex;
  return k;
}

std::string errnoText() { return std::strerror(errno); }

}  // namespace

struct NeighbourTable::Snapshot {
  std::unordered_map<Key, Value, KeyHash> entries;
};

namespace {

// Applies one RTM_NEWNEIGH / RTM_DELNEIGH to the map. Returns whether it changed anything.
bool applyNeighbourMessage(const nlmsghdr* nlh, std::unordered_map<Key, Value, KeyHash>& map) {
  if (nlh->nlmsg_type != RTM_NEWNEIGH && nlh->nlmsg_type != RTM_DELNEIGH) return false;
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(ndmsg)) return false;
  const auto* ndm = static_cast<const ndmsg*>(mnl_nlmsg_get_payload(nlh));
  // The group also carries bridge FDB entries (AF_BRIDGE) and proxy entries, which say
  // nothing about who owns an address.
  if (ndm->ndm_family != AF_INET && ndm->ndm_family != AF_INET6) return false;
  if (ndm->ndm_flags & NTF_PROXY) return false;

  const nlattr* dst = nullptr;
  const nlattr* lladdr = nullptr;
  const auto* begin = static_cast<const char*>(mnl_nlmsg_get_payload_offset(nlh, sizeof(ndmsg)));
  const auto* end = static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh));
  for (auto* attr = reinterpret_cast<const nlattr*>(begin);
       mnl_attr_ok(attr, static_cast<int>(end - reinterpret_cast<const char*>(attr)));
       attr = mnl_attr_next(attr)) {
    if (mnl_attr_get_type(attr) == NDA_DST) dst = attr;
    if (mnl_attr_get_type(attr) == NDA_LLADDR) lladdr = attr;
  }
  if (!dst) return false;
  Key key;
  if (ndm->ndm_family == AF_INET && mnl_attr_get_payload_len(dst) == 4) {
    key = v4Key(mnl_attr_get_payload(dst));
  } else if (ndm->ndm_family == AF_INET6 && mnl_attr_get_payload_len(dst) == 16) {
    in6_addr a;
    std::memcpy(&a, mnl_attr_get_payload(dst), 16);
    key = v6Key(a, static_cast<uint32_t>(ndm->ndm_ifindex));
  } else {
    return false;
  }

  const bool usable = nlh->nlmsg_type == RTM_NEWNEIGH && (ndm->ndm_state & kNudValid) && lladdr &&
                      mnl_attr_get_payload_len(lladdr) == 6;
  MacAddress mac{};
  if (usable) std::memcpy(mac.data(), mnl_attr_get_payload(lladdr), 6);
  if (usable && mac != MacAddress{}) {
    auto [it, inserted] = map.try_emplace(key, Value{mac, ndm->ndm_ifindex});
    if (inserted) return true;
    if (it->second.mac == mac && it->second.ifindex == ndm->ndm_ifindex) return false;
    it->second = Value{mac, ndm->ndm_ifindex};
    return true;
  }
  // Deleted, failed or incomplete: forget it, unless the entry we hold came from another
  // interface (the same IPv4 address seen on two LANs; the other one still stands).
  auto it = map.find(key);
  if (it == map.end() || it->second.ifindex != ndm->ndm_ifindex) return false;
  map.erase(it);
  return true;
}

// A fresh socket per dump keeps dump replies and change events apart. *result is replaced
// only when the dump completes.
std::optional<std::string> dumpNeighbours(std::unordered_map<Key, Value, KeyHash>* result) {
  std::unordered_map<Key, Value, KeyHash> out;
  mnl_socket* nl = mnl_socket_open(NETLINK_ROUTE);
  if (!nl) return "mnl_socket_open(NETLINK_ROUTE): " + errnoText();
  std::unique_ptr<mnl_socket, int (*)(mnl_socket*)> closer(nl, mnl_socket_close);
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
    return "mnl_socket_bind(NETLINK_ROUTE): " + errnoText();
  const uint32_t portid = mnl_socket_get_portid(nl);
  std::vector<char> buf(kRecvBufferSize);

  for (int attempt = 1;; ++attempt) {
    out.clear();
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = RTM_GETNEIGH;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    nlh->nlmsg_seq = static_cast<uint32_t>(attempt);
    auto* ndm = static_cast<ndmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ndmsg)));
    ndm->ndm_family = AF_UNSPEC;  // ARP and NDP tables in one dump
    if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
      return "mnl_socket_sendto(RTM_GETNEIGH dump): " + errnoText();

    bool done = false, interrupted = false;
    while (!done) {
      ssize_t n = mnl_socket_recvfrom(nl, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return "mnl_socket_recvfrom(RTM_GETNEIGH dump): " + errnoText();
      int left = static_cast<int>(n);
      for (auto* msg = reinterpret_cast<const nlmsghdr*>(buf.data()); mnl_nlmsg_ok(msg, left);
           msg = mnl_nlmsg_next(msg, &left)) {
        if (msg->nlmsg_pid != portid || msg->nlmsg_seq != static_cast<uint32_t>(attempt)) continue;
        if (msg->nlmsg_flags & NLM_F_DUMP_INTR) interrupted = true;
        if (msg->nlmsg_type == NLMSG_DONE) {
          done = true;
          break;
        }
        if (msg->nlmsg_type == NLMSG_ERROR) {
          const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(msg));
          return "RTM_GETNEIGH dump: " + std::string(std::strerror(-err->error));
        }
        applyNeighbourMessage(msg, out);
      }
    }
    if (!interrupted || attempt == kDumpAttempts) {
      result->swap(out);
      return std::nullopt;
    }
  }
}

}  // namespace

NeighbourTable::NeighbourTable() : NeighbourTable(Options{}) {}

NeighbourTable::NeighbourTable(Options options)
    : options_(options), working_(std::make_unique<Snapshot>()) {}

NeighbourTable::~NeighbourTable() {
  stop();
  if (eventSocket_) mnl_socket_close(eventSocket_);
  if (wakeFd_ >= 0) ::close(wakeFd_);
}

std::optional<std::string> NeighbourTable::start() {
  if (thread_.joinable()) return "NeighbourTable::start: already started";
  if (wakeFd_ < 0) {
    wakeFd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wakeFd_ < 0) return "eventfd(neighbour table wake-up): " + errnoText();
  }
  if (auto err = resubscribeAndDump()) return err;
  publish();
  thread_ = std::thread([this] { run(); });
  return std::nullopt;
}

void NeighbourTable::stop() {
  if (!thread_.joinable()) return;
  uint64_t one = 1;
  // An eventfd write only fails when the counter would overflow, i.e. it is already set.
  [[maybe_unused]] ssize_t n = ::write(wakeFd_, &one, sizeof one);
  thread_.join();
  uint64_t drained;
  [[maybe_unused]] ssize_t m = ::read(wakeFd_, &drained, sizeof drained);
}

// Subscribe first, dump second: a change racing the dump is then queued as an event and
// applied after it. Events only ever describe an entry's whole new state, so replaying ones
// the dump already reflects is harmless. A fresh socket also discards whatever was queued
// before an overrun: those older events would otherwise be replayed over the newer dump while
// the ones lost in the overrun are not.
std::optional<std::string> NeighbourTable::resubscribeAndDump() {
  if (eventSocket_) {
    mnl_socket_close(eventSocket_);
    eventSocket_ = nullptr;
  }
  eventSocket_ = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (!eventSocket_) return "mnl_socket_open2(NETLINK_ROUTE): " + errnoText();
  int size = options_.receiveBufferBytes;
  // FORCE lets root exceed net.core.rmem_max; without CAP_NET_ADMIN fall back to the capped one.
  if (mnl_socket_setsockopt(eventSocket_, SO_RCVBUFFORCE, &size, sizeof size) < 0) {
    setsockopt(mnl_socket_get_fd(eventSocket_), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  if (mnl_socket_bind(eventSocket_, 0, MNL_SOCKET_AUTOPID) < 0)
    return "mnl_socket_bind(NETLINK_ROUTE): " + errnoText();
  int group = RTNLGRP_NEIGH;
  if (mnl_socket_setsockopt(eventSocket_, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0)
    return "setsockopt(NETLINK_ADD_MEMBERSHIP, RTNLGRP_NEIGH): " + errnoText();
  if (auto err = dumpNeighbours(&working_->entries)) return err;
  dumps_.fetch_add(1, std::memory_order_relaxed);
  return std::nullopt;
}

// Reads every queued event into the working map.
NeighbourTable::Drain NeighbourTable::drainEvents() {
  std::vector<char> buf(kRecvBufferSize);
  Drain result = Drain::Unchanged;
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(eventSocket_, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return result;
      if (errno == ENOBUFS) {
        // Events were lost, so the map may be wrong in ways no later event will repair.
        overruns_.fetch_add(1, std::memory_order_relaxed);
        if (auto err = resubscribeAndDump()) {
          fail(*err);
          return Drain::Failed;
        }
        return Drain::Changed;  // the dump replaced the map; the new socket starts empty
      }
      fail("mnl_socket_recvfrom(RTNLGRP_NEIGH): " + errnoText());
      return Drain::Failed;
    }
    int left = static_cast<int>(n);
    for (auto* msg = reinterpret_cast<const nlmsghdr*>(buf.data()); mnl_nlmsg_ok(msg, left);
         msg = mnl_nlmsg_next(msg, &left)) {
      if (applyNeighbourMessage(msg, working_->entries)) {
        events_.fetch_add(1, std::memory_order_relaxed);
        result = Drain::Changed;
      }
    }
  }
}

void NeighbourTable::run() {
  using Clock = std::chrono::steady_clock;
  auto lastPublish = Clock::now();
  bool pending = false;
  bool broken = false;  // after fail(): pause, then start over with a fresh dump
  for (;;) {
    int timeoutMs = -1;
    if (broken) {
      timeoutMs = static_cast<int>(std::chrono::milliseconds(kRetryPause).count());
    } else if (pending) {
      auto due = lastPublish + options_.publishInterval - Clock::now();
      timeoutMs = std::max<int>(
          0, static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(due).count()));
    }
    pollfd pfds[2] = {{wakeFd_, POLLIN, 0},
                      {eventSocket_ ? mnl_socket_get_fd(eventSocket_) : -1, POLLIN, 0}};
    int n = ::poll(pfds, broken ? 1 : 2, timeoutMs);
    if (n < 0 && errno != EINTR) {
      fail("poll(RTNLGRP_NEIGH): " + errnoText());
      broken = true;
      continue;
    }
    if (n > 0 && (pfds[0].revents & POLLIN)) return;
    if (broken) {
      if (auto err = resubscribeAndDump()) {
        fail(*err);
        continue;
      }
      broken = false;
      pending = true;
    } else if (n > 0 && pfds[1].revents) {
      Drain d = drainEvents();
      if (d == Drain::Changed) pending = true;
      if (d == Drain::Failed) broken = true;
    }
    if (!broken && pending && Clock::now() - lastPublish >= options_.publishInterval) {
      publish();
      lastPublish = Clock::now();
      pending = false;
    }
  }
}

// Why the slots are safe, with every access below seq_cst: a reader that finds slot i still
// active after announcing itself either saw the store that made i active, and so sees the
// snapshot written before it, or announced itself before the flip away from i, and so the
// writer's later wait on slot i sees it and waits until it leaves.
uint32_t NeighbourTable::enterReader() const {
  for (;;) {
    uint32_t i = active_.load();
    slots_[i].readers.fetch_add(1);
    if (active_.load() == i) return i;
    slots_[i].readers.fetch_sub(1);  // a publication flipped the slot meanwhile; retry
  }
}

void NeighbourTable::leaveReader(uint32_t slot) const { slots_[slot].readers.fetch_sub(1); }

void NeighbourTable::publish() {
  auto next = std::make_unique<const Snapshot>(*working_);  // built before touching any slot
  const uint32_t target = 1 - active_.load();               // only this thread flips active_
  // Readers still in the previous snapshot hold it for one hash lookup.
  while (slots_[target].readers.load() != 0) std::this_thread::yield();
  slots_[target].snapshot = std::move(next);
  active_.store(target);
  publishes_.fetch_add(1, std::memory_order_relaxed);
}

void NeighbourTable::fail(const std::string& what) {
  errors_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(errorMutex_);
  lastError_ = what;
}

std::optional<MacAddress> NeighbourTable::lookup(const sockaddr* addr) const {
  if (!addr) return std::nullopt;
  Key key;
  if (addr->sa_family == AF_INET) {
    key = v4Key(&reinterpret_cast<const sockaddr_in*>(addr)->sin_addr);
  } else if (addr->sa_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(addr);
    key = v6Key(sin6->sin6_addr, sin6->sin6_scope_id);
  } else {
    return std::nullopt;
  }
  const uint32_t slot = enterReader();
  std::optional<MacAddress> mac;
  if (const Snapshot* snap = slots_[slot].snapshot.get()) {
    auto it = snap->entries.find(key);
    if (it != snap->entries.end()) mac = it->second.mac;
  }
  leaveReader(slot);
  return mac;
}

size_t NeighbourTable::size() const {
  const uint32_t slot = enterReader();
  const Snapshot* snap = slots_[slot].snapshot.get();
  size_t n = snap ? snap->entries.size() : 0;
  leaveReader(slot);
  return n;
}

void NeighbourTable::forEach(
    const std::function<void(const sockaddr_storage&, const MacAddress&)>& fn) const {
  static constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  const uint32_t slot = enterReader();
  if (const Snapshot* snap = slots_[slot].snapshot.get()) {
    for (const auto& [key, value] : snap->entries) {
      sockaddr_storage ss{};
      if (std::memcmp(key.addr.data(), kMappedPrefix, 12) == 0) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
        sin->sin_family = AF_INET;
        std::memcpy(&sin->sin_addr, key.addr.data() + 12, 4);
      } else {
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
        sin6->sin6_family = AF_INET6;
        std::memcpy(&sin6->sin6_addr, key.addr.data(), 16);
        sin6->sin6_scope_id = key.scope;
      }
      fn(ss, value.mac);
    }
  }
  leaveReader(slot);
}

NeighbourTable::Counters NeighbourTable::counters() const {
  Counters c;
#define TOLLGATE_NEIGHBOUR_READ(name) c.name = name##_.load(std::memory_order_relaxed);
  TOLLGATE_NEIGHBOUR_COUNTERS(TOLLGATE_NEIGHBOUR_READ)
#undef TOLLGATE_NEIGHBOUR_READ
  return c;
}

std::string NeighbourTable::lastError() const {
  std::lock_guard<std::mutex> lock(errorMutex_);
  return lastError_;
}

std::string NeighbourTable::formatMac(const MacAddress& mac) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                mac[4], mac[5]);
  return buf;
}

}  // namespace tollgate::nf
