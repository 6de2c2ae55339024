#pragma once
// Bytes each logged-in guest moved through the proxy, from the workers to the captive
// portal's accounting tick (data quotas, idle timeouts, RADIUS accounting).
//
// A worker sums its connections' new bytes per MAC into a local batch at every sweep and hands
// the batch over with one short lock (never held across I/O); the control plane takes the
// whole map once a second. Traffic the proxy does not see is counted by nft instead.
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "captive/client_id.h"

namespace tollgate::proxy {

struct GuestBytes {
  uint64_t up = 0;    // from the client
  uint64_t down = 0;  // to the client
};

class CaptiveUsage {
 public:
  using Map = std::unordered_map<captive::MacAddress, GuestBytes, captive::MacAddressHash>;

  // Worker: adds `batch` and clears it (its buckets stay allocated for the next sweep).
  void merge(Map& batch) {
    if (batch.empty()) return;
    std::lock_guard lock(mutex_);
    for (auto& [mac, bytes] : batch) {
      auto& total = pending_[mac];
      total.up += bytes.up;
      total.down += bytes.down;
    }
    batch.clear();
  }

  // Control plane: everything since the last take().
  Map take() {
    std::lock_guard lock(mutex_);
    Map out;
    out.swap(pending_);
    return out;
  }

 private:
  std::mutex mutex_;
  Map pending_;
};

}  // namespace tollgate::proxy
