#include "nf/captive_sets.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "nf/nft_batch.h"

namespace tollgate::nf {
namespace {

using Kind = CaptiveSets::Batch::Kind;
using SetId = CaptiveSets::Batch::SetId;

using SetPtr = std::unique_ptr<nftnl_set, decltype(&nftnl_set_free)>;

constexpr const char* kSetNames[] = {"captive_macs", "captive_v4", "captive_v6",
                                     "captive_down4", "captive_down6"};
constexpr uint8_t kKeyLengths[] = {6, 12, 24, 4, 16};
constexpr SetId kAllSets[] = {SetId::Macs, SetId::V4, SetId::V6, SetId::Down4, SetId::Down6};

bool isDownload(SetId set) { return set == SetId::Down4 || set == SetId::Down6; }

// Elements per message. The largest, an ipv6 . ether add with timeout and expiration, is
// about 60 bytes, so a message stays near 30 KB: inside NftBatch::kMaxMessageBytes and the
// 16-bit length of the attribute that nests the list.
constexpr size_t kMaxElementsPerMessage = 512;
// Dumps of a set the ruleset changed under (NLM_F_DUMP_INTR) are repeated this many times.
constexpr int kDumpAttempts = 3;

const char* setName(SetId set) { return kSetNames[static_cast<int>(set)]; }

uint64_t toMilliseconds(std::chrono::seconds timeout) {
  return timeout.count() <= 0 ? 0 : static_cast<uint64_t>(timeout.count()) * 1000;
}

// Names the set by table and name, the whole payload of a flush or a dump request. Written
// directly rather than through libnftnl, whose payload builder may add an empty element list
// (which the kernel reads as "these zero elements", not as "all of them").
void putSetReference(nlmsghdr* nlh, const std::string& table, SetId set) {
  mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table.c_str());
  mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, setName(set));
}

std::string formatKey(SetId set, const uint8_t* key) {
  MacAddress mac;
  if (set == SetId::Macs) {
    std::memcpy(mac.data(), key, 6);
    return NeighbourTable::formatMac(mac);
  }
  HostAddress address;
  address.family = set == SetId::V4 || set == SetId::Down4 ? AF_INET : AF_INET6;
  const size_t addressLength = address.family == AF_INET ? 4 : 16;
  std::memcpy(address.bytes.data(), key, addressLength);
  if (isDownload(set)) return CaptiveSets::formatAddress(address);
  std::memcpy(mac.data(), key + addressLength, 6);
  return CaptiveSets::formatAddress(address) + " . " + NeighbourTable::formatMac(mac);
}

// Which part of a set-element message an extended ACK offset points into.
struct AttributeAt {
  enum class What { Unknown, Table, Set, Element } what = What::Unknown;
  size_t elementIndex = 0;
};

AttributeAt locateAttribute(const nlmsghdr* nlh, uint32_t offset) {
  const auto* base = reinterpret_cast<const char*>(nlh);
  auto contains = [&](const nlattr* attr) {
    const size_t start = reinterpret_cast<const char*>(attr) - base;
    return offset >= start && offset < start + attr->nla_len;
  };
  AttributeAt at;
  // libmnl's iteration macros assign from void*, which C++ refuses; the same walk by hand.
  const auto* payload =
      static_cast<const char*>(mnl_nlmsg_get_payload_offset(nlh, sizeof(nfgenmsg)));
  const auto* attr = reinterpret_cast<const nlattr*>(payload);
  int left = static_cast<int>(static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh)) - payload);
  for (; mnl_attr_ok(attr, left); left -= MNL_ALIGN(attr->nla_len), attr = mnl_attr_next(attr)) {
    if (!contains(attr)) continue;
    switch (mnl_attr_get_type(attr)) {
      case NFTA_SET_ELEM_LIST_TABLE:
        at.what = AttributeAt::What::Table;
        return at;
      case NFTA_SET_ELEM_LIST_SET:
        at.what = AttributeAt::What::Set;
        return at;
      case NFTA_SET_ELEM_LIST_ELEMENTS: {
        const auto* element = static_cast<const nlattr*>(mnl_attr_get_payload(attr));
        int inside = static_cast<int>(mnl_attr_get_payload_len(attr));
        for (size_t index = 0; mnl_attr_ok(element, inside); ++index) {
          if (contains(element)) {
            at.what = AttributeAt::What::Element;
            at.elementIndex = index;
            return at;
          }
          inside -= MNL_ALIGN(element->nla_len);
          element = mnl_attr_next(element);
        }
        return at;
      }
      default:
        return at;
    }
  }
  return at;
}

// Collects one dump reply's elements.
struct DumpContext {
  SetId set;
  std::vector<CaptiveSets::ElementCounters>* out;
};

int readCounterExpression(nftnl_expr* expr, void* data) {
  auto* element = static_cast<CaptiveSets::ElementCounters*>(data);
  const char* name = nftnl_expr_get_str(expr, NFTNL_EXPR_NAME);
  if (name && std::strcmp(name, "counter") == 0) {
    element->bytes = nftnl_expr_get_u64(expr, NFTNL_EXPR_CTR_BYTES);
    element->packets = nftnl_expr_get_u64(expr, NFTNL_EXPR_CTR_PACKETS);
  }
  return 0;
}

int readElement(nftnl_set_elem* e, void* data) {
  const auto* context = static_cast<DumpContext*>(data);
  uint32_t length = 0;
  const auto* key = static_cast<const uint8_t*>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &length));
  // A key of another length means the set was declared with another type: not ours to read.
  if (!key || length != kKeyLengths[static_cast<int>(context->set)]) return 0;
  CaptiveSets::ElementCounters element;
  if (context->set == SetId::Macs) {
    std::memcpy(element.mac.data(), key, 6);
  } else {
    HostAddress address;
    address.family = context->set == SetId::V4 || context->set == SetId::Down4 ? AF_INET : AF_INET6;
    const size_t addressLength = address.family == AF_INET ? 4 : 16;
    std::memcpy(address.bytes.data(), key, addressLength);
    if (isDownload(context->set)) element.download = true;
    else std::memcpy(element.mac.data(), key + addressLength, 6);
    element.address = address;
  }
  nftnl_set_elem_expr_foreach(e, readCounterExpression, &element);
  context->out->push_back(element);
  return 0;
}

}  // namespace

struct CaptiveSets::MessagePlan {
  SetId set;
  Kind kind;
  size_t firstChange;  // index into Batch::changes_ of the message's first element
  size_t count;        // elements in the message
};

void CaptiveSets::Batch::allowMac(const MacAddress& mac, std::chrono::seconds timeout) {
  Change c{Kind::Add, SetId::Macs, 6, {}, toMilliseconds(timeout)};
  std::memcpy(c.key.data(), mac.data(), 6);
  changes_.push_back(c);
}

void CaptiveSets::Batch::revokeMac(const MacAddress& mac) {
  Change c{Kind::Remove, SetId::Macs, 6, {}, 0};
  std::memcpy(c.key.data(), mac.data(), 6);
  changes_.push_back(c);
}

void CaptiveSets::Batch::allowAddress(const HostAddress& address, const MacAddress& mac,
                                      std::chrono::seconds timeout) {
  addAddressChange(Kind::Add, address, mac, timeout);
}

void CaptiveSets::Batch::revokeAddress(const HostAddress& address, const MacAddress& mac) {
  addAddressChange(Kind::Remove, address, mac, std::chrono::seconds(0));
}

void CaptiveSets::Batch::addAddressChange(Kind kind, const HostAddress& address,
                                          const MacAddress& mac, std::chrono::seconds timeout) {
  if (address.family != AF_INET && address.family != AF_INET6) {
    if (invalid_.empty()) {
      invalid_ = std::string("captive sets: ") +
                 (kind == Kind::Add ? "allowAddress" : "revokeAddress") + " for " +
                 NeighbourTable::formatMac(mac) + " with address family " +
                 std::to_string(address.family) + ", neither AF_INET nor AF_INET6";
    }
    return;
  }
  const bool v4 = address.family == AF_INET;
  const size_t addressLength = v4 ? 4 : 16;
  Change c{kind, v4 ? SetId::V4 : SetId::V6, kKeyLengths[v4 ? 1 : 2], {}, toMilliseconds(timeout)};
  std::memcpy(c.key.data(), address.bytes.data(), addressLength);
  std::memcpy(c.key.data() + addressLength, mac.data(), 6);  // the 2 padding bytes stay zero
  changes_.push_back(c);
  // The same address in the download set, keyed by address alone: traffic to a guest
  // leaves on the LAN before the link layer knows its MAC.
  const SetId down = v4 ? SetId::Down4 : SetId::Down6;
  Change d{kind, down, kKeyLengths[static_cast<int>(down)], {}, toMilliseconds(timeout)};
  std::memcpy(d.key.data(), address.bytes.data(), addressLength);
  changes_.push_back(d);
}

void CaptiveSets::Batch::flushAll() {
  for (SetId set : kAllSets) changes_.push_back(Change{Kind::Flush, set, 0, {}, 0});
}

CaptiveSets::CaptiveSets(std::string table) : CaptiveSets(Options{std::move(table), true}) {}

CaptiveSets::CaptiveSets(Options options)
    : table_(std::move(options.table)), useDestroy_(options.useDestroy) {
  // The kernel would refuse a longer name anyway; refusing it here keeps dump requests
  // within their fixed buffer.
  if (table_.empty() || table_.size() >= NFT_TABLE_MAXNAMELEN) {
    throw std::runtime_error("captive sets: table name \"" + table_ +
                             "\" is empty or longer than " +
                             std::to_string(NFT_TABLE_MAXNAMELEN - 1) + " bytes");
  }
  socket_ = std::make_unique<NftSocket>();
}

CaptiveSets::~CaptiveSets() = default;

// Consecutive changes of the same kind to the same set share a message, which keeps a
// 30,000-element rebuild at about 60 messages (and 60 acknowledgements) while preserving the
// batch's order, so "revoke X, allow X" still ends with X present.
void CaptiveSets::encode(const Batch& batch, bool useDestroy, NftBatch* nft,
                         std::vector<MessagePlan>* plan) const {
  const auto& changes = batch.changes_;
  auto appendElements = [&](uint16_t type, uint16_t flags, size_t first, size_t end,
                            bool withTimeouts) {
    SetPtr set(nftnl_set_alloc(), nftnl_set_free);
    if (!set) throw std::bad_alloc();
    nftnl_set_set_str(set.get(), NFTNL_SET_TABLE, table_.c_str());
    nftnl_set_set_str(set.get(), NFTNL_SET_NAME, setName(changes[first].set));
    for (size_t i = first; i < end; ++i) {
      nftnl_set_elem* element = nftnl_set_elem_alloc();
      if (!element) throw std::bad_alloc();
      nftnl_set_elem_set(element, NFTNL_SET_ELEM_KEY, changes[i].key.data(), changes[i].keyLength);
      if (withTimeouts && changes[i].timeoutMs > 0) {
        // The expiration is what restarts the clock of an element that already exists: on
        // 6.18 a re-add with an unchanged timeout alone leaves its expiry where it was.
        nftnl_set_elem_set_u64(element, NFTNL_SET_ELEM_TIMEOUT, changes[i].timeoutMs);
        nftnl_set_elem_set_u64(element, NFTNL_SET_ELEM_EXPIRATION, changes[i].timeoutMs);
      }
      nftnl_set_elem_add(set.get(), element);  // owned by the set from here
    }
    nlmsghdr* nlh = nft->beginMessage(type, NFPROTO_INET, flags);
    nftnl_set_elems_nlmsg_build_payload(nlh, set.get());
    plan->push_back(MessagePlan{changes[first].set, changes[first].kind, first, end - first});
  };

  // Without NLM_F_EXCL an add of an existing element updates it instead of failing.
  const uint16_t kAddFlags = NLM_F_CREATE | NLM_F_ACK;
  for (size_t i = 0; i < changes.size();) {
    const Batch::Change& first = changes[i];
    if (first.kind == Kind::Flush) {
      nlmsghdr* nlh = nft->beginMessage(NFT_MSG_DELSETELEM, NFPROTO_INET, NLM_F_ACK);
      putSetReference(nlh, table_, first.set);
      plan->push_back(MessagePlan{first.set, Kind::Flush, i, 0});
      ++i;
      continue;
    }
    size_t end = i + 1;
    while (end < changes.size() && end - i < kMaxElementsPerMessage &&
           changes[end].kind == first.kind && changes[end].set == first.set) {
      ++end;
    }
    if (first.kind == Kind::Add) {
      appendElements(NFT_MSG_NEWSETELEM, kAddFlags, i, end, true);
    } else if (useDestroy) {
      appendElements(kNftMsgDestroySetElem, NLM_F_ACK, i, end, false);
    } else {
      // Adding first makes every element present, so the delete cannot fail on an absent
      // one; both halves land in the same transaction, so nothing ever sees the add.
      appendElements(NFT_MSG_NEWSETELEM, kAddFlags, i, end, false);
      appendElements(NFT_MSG_DELSETELEM, NLM_F_ACK, i, end, false);
    }
    i = end;
  }
}

std::optional<std::string> CaptiveSets::commit(const Batch& batch) {
  if (!batch.invalid_.empty()) {
    commitFailures_.fetch_add(1, std::memory_order_relaxed);
    return batch.invalid_;
  }
  if (batch.changes_.empty()) return std::nullopt;
  try {
    std::lock_guard<std::mutex> lock(mutex_);
    for (;;) {
      const bool useDestroy = useDestroy_;
      NftBatch nft = socket_->newBatch();
      std::vector<MessagePlan> plan;
      encode(batch, useDestroy, &nft, &plan);
      nft.finish();
      const std::optional<NftBatchError> error = socket_->commit(nft);
      if (!error) break;
      // A kernel older than 6.3 answers an unknown message type with EINVAL and no
      // attribute; the transaction was aborted whole, so resending it differently is safe.
      const nlmsghdr* refused = error->seq ? nft.findMessage(*error->seq) : nullptr;
      if (useDestroy && refused && (refused->nlmsg_type & 0xff) == kNftMsgDestroySetElem &&
          (error->error == EINVAL || error->error == EOPNOTSUPP) && !error->attributeOffset) {
        useDestroy_ = false;
        destroyFallbacks_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      commitFailures_.fetch_add(1, std::memory_order_relaxed);
      return describe(*error, nft, plan, batch);
    }
  } catch (const std::exception& e) {
    commitFailures_.fetch_add(1, std::memory_order_relaxed);
    return std::string("captive sets: building the nf_tables batch: ") + e.what();
  }
  commits_.fetch_add(1, std::memory_order_relaxed);
  for (const Batch::Change& c : batch.changes_) {
    if (c.kind == Kind::Add) elementsAdded_.fetch_add(1, std::memory_order_relaxed);
    if (c.kind == Kind::Remove) elementsRemoved_.fetch_add(1, std::memory_order_relaxed);
    if (c.kind == Kind::Flush) setFlushes_.fetch_add(1, std::memory_order_relaxed);
  }
  return std::nullopt;
}

std::string CaptiveSets::describe(const NftBatchError& error, const NftBatch& nft,
                                  const std::vector<MessagePlan>& plan, const Batch& batch) const {
  std::string reason = std::strerror(error.error);
  if (!error.seq) return error.detail + ": " + reason;  // local: detail names the call
  if (!error.detail.empty()) reason += " (" + error.detail + ")";
  const nlmsghdr* nlh = nft.findMessage(*error.seq);
  if (!nlh) {  // the begin marker: the commit itself failed
    return "nf_tables transaction on table inet " + table_ + " (" +
           std::to_string(batch.changes_.size()) + " changes): " + reason;
  }
  const MessagePlan& m = plan[*error.seq - nft.beginSeq() - 1];
  const std::string set = "set inet " + table_ + " " + setName(m.set);
  if (m.kind == Kind::Flush) return set + ", flushing: " + reason;
  const char* verb = m.kind == Kind::Add ? "adding" : "removing";
  if (error.attributeOffset) {
    const AttributeAt at = locateAttribute(nlh, *error.attributeOffset);
    if (at.what == AttributeAt::What::Table) {
      return "table inet " + table_ + ": " + reason + " (" + verb + " elements of " +
             setName(m.set) + ")";
    }
    if (at.what == AttributeAt::What::Set) return set + ": " + reason;
    if (at.what == AttributeAt::What::Element && at.elementIndex < m.count) {
      const Batch::Change& c = batch.changes_[m.firstChange + at.elementIndex];
      return set + ", " + verb + " element " + formatKey(c.set, c.key.data()) + ": " + reason;
    }
  }
  return set + ", " + verb + " " + std::to_string(m.count) + " elements: " + reason;
}

std::optional<std::string> CaptiveSets::dumpSet(SetId set, std::vector<ElementCounters>* out) {
  const size_t before = out->size();
  for (int attempt = 1;; ++attempt) {
    // Header, a table name of under NFT_TABLE_MAXNAMELEN bytes and a set name; zeroed
    // because libmnl 1.0.4 leaves attribute padding as it finds it.
    char request[1024] = {};
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(request, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_DUMP, 0);
    putSetReference(nlh, table_, set);
    DumpContext context{set, out};
    bool malformed = false;
    bool interrupted = false;
    auto onReply = [&](const nlmsghdr* reply) {
      SetPtr parsed(nftnl_set_alloc(), nftnl_set_free);
      if (!parsed || nftnl_set_elems_nlmsg_parse(reply, parsed.get()) < 0) {
        malformed = true;
        return;
      }
      nftnl_set_elem_foreach(parsed.get(), readElement, &context);
    };
    std::optional<std::string> error = socket_->dump(nlh, onReply, &interrupted);
    if (interrupted && attempt < kDumpAttempts) {
      out->resize(before);
      continue;
    }
    if (error) return "set inet " + table_ + " " + setName(set) + ": " + *error;
    if (malformed) return "set inet " + table_ + " " + setName(set) + ": unparseable dump reply";
    return std::nullopt;
  }
}

std::optional<std::string> CaptiveSets::readCounters(std::vector<ElementCounters>* out) {
  out->clear();
  std::optional<std::string> error;
  try {
    std::lock_guard<std::mutex> lock(mutex_);
    for (SetId set : kAllSets) {
      error = dumpSet(set, out);
      if (error) break;
    }
  } catch (const std::exception& e) {
    error = std::string("captive sets: reading counters: ") + e.what();
  }
  if (error) {
    counterReadFailures_.fetch_add(1, std::memory_order_relaxed);
    return error;
  }
  counterReads_.fetch_add(1, std::memory_order_relaxed);
  return std::nullopt;
}

CaptiveSets::Counters CaptiveSets::counters() const {
  Counters c;
#define TOLLGATE_CAPTIVE_SETS_READ(name) c.name = name##_.load(std::memory_order_relaxed);
  TOLLGATE_CAPTIVE_SETS_COUNTERS(TOLLGATE_CAPTIVE_SETS_READ)
#undef TOLLGATE_CAPTIVE_SETS_READ
  return c;
}

std::string CaptiveSets::formatAddress(const HostAddress& address) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (address.family == AF_INET || address.family == AF_INET6) {
    inet_ntop(address.family, address.bytes.data(), text, sizeof text);
  }
  return text;
}

}  // namespace tollgate::nf
