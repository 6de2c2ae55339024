#pragma once
// The data plane's view of the captive-portal sessions: which MACs are logged in until when,
// and which MAC owns each address. Immutable once published, so any number of worker threads
// read it without locks; no Poco and no SQLite behind it.
//
// SessionStore builds it and the control plane publishes it (see session_store.h). It is
// sharded: each of the 64 shards is a shared_ptr<const map>, and a new snapshot copies only
// the shards a change touched, sharing the rest with the previous one. A login among 10,000
// sessions therefore copies ~160 entries, not 10,000, and publishing stays well under the
// millisecond a "login → access" path can spend on it.
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "captive/client_id.h"

namespace tollgate::captive {

using UnixTime = std::chrono::sys_seconds;
using Seconds = std::chrono::seconds;

class SessionSnapshot {
 public:
  static constexpr size_t kShards = 64;
  struct Entry {
    MacAddress mac;
    UnixTime expires;
  };

  // The session of this MAC if it has not expired at `now`, else null. The expiry is checked
  // here so the time limit holds to the second between two publications.
  const Entry* byMac(const MacAddress& mac, UnixTime now) const {
    const auto& shard = *macs_[shardOf(MacAddressHash{}(mac))];
    auto it = shard.find(mac);
    if (it == shard.end() || it->second.expires <= now) return nullptr;
    return &it->second;
  }

  // The session owning this address if it has not expired at `now`, else null. The caller
  // should also compare the MAC its neighbour table reports for the address: a session is
  // bound to its MAC, and another device that took the address over is not that session.
  const Entry* byAddress(const IpAddress& address, UnixTime now) const {
    const auto& shard = *addresses_[shardOf(IpAddressHash{}(address))];
    auto it = shard.find(address);
    return it == shard.end() ? nullptr : byMac(it->second, now);
  }

  // Which shard a MAC or address hash falls in; SessionStore shards its index the same way.
  // Bits from the middle of the folded hash: the maps inside a shard use the low ones.
  static size_t shardOf(size_t hash) { return (hash ^ (hash >> 32)) >> 26 & (kShards - 1); }

  uint64_t version() const { return version_; }
  size_t size() const { return sessions_; }
  size_t addressCount() const { return addressCount_; }

  // Everything, to fill the nft sets at start and after a firewall reload:
  // fn(const Entry&) per session, fn(const IpAddress&, const MacAddress&) per address.
  template <class Fn>
  void forEachSession(Fn&& fn) const {
    for (const auto& shard : macs_) {
      for (const auto& [mac, entry] : *shard) fn(entry);
    }
  }
  template <class Fn>
  void forEachAddress(Fn&& fn) const {
    for (const auto& shard : addresses_) {
      for (const auto& [address, mac] : *shard) fn(address, mac);
    }
  }

 private:
  friend class SessionStore;
  using MacShard = std::unordered_map<MacAddress, Entry, MacAddressHash>;
  using AddressShard = std::unordered_map<IpAddress, MacAddress, IpAddressHash>;
  uint64_t version_ = 0;
  size_t sessions_ = 0;
  size_t addressCount_ = 0;
  std::array<std::shared_ptr<const MacShard>, kShards> macs_;
  std::array<std::shared_ptr<const AddressShard>, kShards> addresses_;
};
using SessionSnapshotPtr = std::shared_ptr<const SessionSnapshot>;

}  // namespace tollgate::captive
