#include "nf/quic_blocked_set.h"

#include <libmnl/libmnl.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <sys/socket.h>

#include <cstring>
#include <stdexcept>

#include "nf/nft_batch.h"
#include "nf/ruleset.h"

namespace tollgate::nf {
namespace {

using SetPtr = std::unique_ptr<nftnl_set, decltype(&nftnl_set_free)>;

// Elements per message: an IPv6 element with timeout and expiration is under 80 bytes, so a
// message stays far inside NftBatch::kMaxMessageBytes.
constexpr size_t kMaxElementsPerMessage = 256;

}  // namespace

QuicBlockedSet::QuicBlockedSet(std::string table)
    : table_(std::move(table)), socket_(std::make_unique<NftSocket>()) {}

QuicBlockedSet::~QuicBlockedSet() = default;

size_t QuicBlockedSet::encodeKey(const UdpFlow& flow, uint8_t* out) {
  const size_t addressLength = flow.family == AF_INET ? 4 : 16;
  std::memset(out, 0, 2 * addressLength + 8);
  std::memcpy(out, flow.src.data(), addressLength);
  std::memcpy(out + addressLength, flow.dst.data(), addressLength);
  uint8_t* ports = out + 2 * addressLength;
  ports[0] = static_cast<uint8_t>(flow.srcPort >> 8);  // network order, then 2 bytes padding
  ports[1] = static_cast<uint8_t>(flow.srcPort);
  ports[4] = static_cast<uint8_t>(flow.dstPort >> 8);
  ports[5] = static_cast<uint8_t>(flow.dstPort);
  return 2 * addressLength + 8;
}

std::optional<std::string> QuicBlockedSet::add(const std::vector<UdpFlow>& flows,
                                               std::chrono::milliseconds timeout) {
  if (flows.empty()) return std::nullopt;
  const uint64_t ms = static_cast<uint64_t>(timeout.count());
  try {
    NftBatch batch = socket_->newBatch();
    for (int family : {AF_INET, AF_INET6}) {
      const char* name = family == AF_INET ? kQuicBlockedV4Set : kQuicBlockedV6Set;
      size_t i = 0;
      while (i < flows.size()) {
        SetPtr set(nftnl_set_alloc(), nftnl_set_free);
        if (!set) throw std::bad_alloc();
        nftnl_set_set_str(set.get(), NFTNL_SET_TABLE, table_.c_str());
        nftnl_set_set_str(set.get(), NFTNL_SET_NAME, name);
        size_t count = 0;
        for (; i < flows.size() && count < kMaxElementsPerMessage; ++i) {
          if (flows[i].family != family) continue;
          uint8_t key[40];
          const size_t length = encodeKey(flows[i], key);
          nftnl_set_elem* element = nftnl_set_elem_alloc();
          if (!element) throw std::bad_alloc();
          nftnl_set_elem_set(element, NFTNL_SET_ELEM_KEY, key, static_cast<uint32_t>(length));
          // The expiration restarts the clock of an element already there (see captive_sets.cc).
          nftnl_set_elem_set_u64(element, NFTNL_SET_ELEM_TIMEOUT, ms);
          nftnl_set_elem_set_u64(element, NFTNL_SET_ELEM_EXPIRATION, ms);
          nftnl_set_elem_add(set.get(), element);
          ++count;
        }
        if (count == 0) break;
        nlmsghdr* nlh = batch.beginMessage(NFT_MSG_NEWSETELEM, NFPROTO_INET, NLM_F_CREATE | NLM_F_ACK);
        nftnl_set_elems_nlmsg_build_payload(nlh, set.get());
      }
    }
    batch.finish();
    if (auto error = socket_->commit(batch)) {
      std::string reason = std::strerror(error->error);
      if (!error->detail.empty()) reason = error->detail + ": " + reason;
      return "set inet " + table_ + " " + kQuicBlockedV4Set + "/" + kQuicBlockedV6Set +
             ", adding " + std::to_string(flows.size()) + " flows: " + reason;
    }
  } catch (const std::exception& e) {
    return std::string("quic_blocked sets: ") + e.what();
  }
  return std::nullopt;
}

}  // namespace tollgate::nf
