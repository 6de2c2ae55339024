#pragma once
// nf_tables transactions over NETLINK_NETFILTER: a batch of messages framed by
// NFNL_MSG_BATCH_BEGIN / _END, which the kernel applies all or nothing, and the socket that
// sends it and reads every acknowledgement back. Message payloads are written by libnftnl
// (*_nlmsg_build_payload); this layer knows nothing of what they change.
//
// A batch is sized, never split: however large (a 10,000-client rebuild is about 1.5 MB), it
// goes out in one sendmsg, i.e. one skb and one transaction, because splitting it would let
// forwarding see a half-applied state (the sets flushed but not yet refilled). The socket
// raises SO_SNDBUF to fit the batch and SO_RCVBUF to fit one acknowledgement per message.
//
// The kernel processes a batch synchronously inside sendmsg, so every reply is already queued
// when it returns: the replies are read without blocking until the queue is empty.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

struct mnl_socket;
struct nlmsghdr;

namespace tollgate::nf {

// NFT_MSG_DESTROYSETELEM (kernel 6.3): delete elements, absent ones included. Missing from
// Debian 12's uapi headers and libnftnl 1.2.4; the value is its place in the kernel's enum
// nf_tables_msg_types, which is ABI.
inline constexpr uint16_t kNftMsgDestroySetElem = 30;

// Why a commit did not apply.
struct NftBatchError {
  // The message the kernel refused (the batch's begin seq when the commit itself failed);
  // empty when the batch never reached the kernel or its replies were lost.
  std::optional<uint32_t> seq;
  int error = 0;  // positive errno
  // Extended ACK: where the offending attribute starts, from the refused message's start.
  std::optional<uint32_t> attributeOffset;
  // The failing call for local failures ("sendmsg(nf_tables batch, 1523400 bytes)"), the
  // kernel's extended ACK text for refusals (often empty for nf_tables).
  std::string detail;
};

// One transaction being built. Messages get consecutive sequence numbers after the begin
// marker's, which is how a reply is traced back to the message it answers.
class NftBatch {
 public:
  // The room given to each message. Element lists nest in one attribute whose length is 16
  // bits, so no valid message comes close.
  static constexpr size_t kMaxMessageBytes = 64 * 1024;

  explicit NftBatch(uint32_t firstSeq);

  // Appends a header (nfgenmsg included) for the caller to fill, within kMaxMessageBytes in
  // all. The pointer is valid until the next beginMessage() or finish(), which seal it.
  nlmsghdr* beginMessage(uint16_t type, uint16_t family, uint16_t flags);
  // Appends the end marker; no message may follow.
  void finish();

  uint32_t beginSeq() const { return firstSeq_; }
  uint32_t endSeq() const { return nextSeq_ - 1; }         // once finished
  size_t messageCount() const { return offsets_.size(); }  // markers excluded
  const char* data() const { return buffer_.data(); }
  size_t size() const { return used_; }
  // The message with this sequence number, or nullptr for a marker or a foreign number.
  const nlmsghdr* findMessage(uint32_t seq) const;

 private:
  void sealOpenMessage();
  char* reserve(size_t bytes);

  std::vector<char> buffer_;
  size_t used_ = 0;
  std::vector<size_t> offsets_;  // of each message, in seq order
  bool messageOpen_ = false;
  const uint32_t firstSeq_;
  uint32_t nextSeq_;
};

// A NETLINK_NETFILTER socket for transactions and dumps. Not thread-safe: one caller at a time.
class NftSocket {
 public:
  // Throws std::runtime_error naming the failing call.
  NftSocket();
  ~NftSocket();
  NftSocket(const NftSocket&) = delete;
  NftSocket& operator=(const NftSocket&) = delete;

  // Sequence numbers continue across batches and dumps, so a stale reply is never taken for
  // an answer to the current request. They restart well before 2^32 so that no batch's
  // range wraps (a batch never holds 2^28 messages).
  NftBatch newBatch() {
    if (nextSeq_ > 0xf0000000u) nextSeq_ = 1;
    return NftBatch(nextSeq_);
  }

  // Sends a finished batch in one sendmsg and reads every reply. nullopt when the kernel
  // acknowledged every message and committed; else the first refusal (replies come in message
  // order, a failed commit first of all) or the local failure. The socket stays usable.
  std::optional<NftBatchError> commit(const NftBatch& batch);

  // Sends a dump request (NLM_F_DUMP set by the caller, seq set here) and hands every reply
  // to onReply until the dump is done. nullopt on success, else "<call>: <errno text>";
  // *interrupted tells that the ruleset changed mid-dump (NLM_F_DUMP_INTR), so what onReply
  // saw may be inconsistent and the dump is worth repeating.
  std::optional<std::string> dump(nlmsghdr* request,
                                  const std::function<void(const nlmsghdr*)>& onReply,
                                  bool* interrupted);

 private:
  void discardStaleReplies();
  void fitBuffers(const NftBatch& batch);

  mnl_socket* socket_ = nullptr;
  uint32_t portId_ = 0;
  uint32_t nextSeq_ = 0;
  int sendBufferBytes_ = 0;     // as the kernel reports it (twice what was asked)
  int receiveBufferBytes_ = 0;  // likewise
  std::vector<char> receiveBuffer_;
};

}  // namespace tollgate::nf
