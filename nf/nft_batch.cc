#include "nf/nft_batch.h"

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace tollgate::nf {
namespace {

// One datagram of a dump. The kernel sizes dump skbs by the largest buffer it has seen us
// offer, up to 32 KB on this kernel; more room costs nothing and never truncates.
constexpr size_t kReceiveBufferSize = 64 * 1024;
// What one acknowledgement costs in the receive buffer: a capped nlmsgerr is 36 bytes, but
// the queue counts the skb's truesize, about 768 bytes on x86-64. Doubled for headroom.
constexpr int kAckTruesize = 2048;
// A reply the kernel owes us never takes this long; the bound only keeps a kernel bug from
// hanging the caller forever on a dump.
constexpr time_t kDumpReplyTimeoutSeconds = 5;

std::string errnoText(int err) { return std::strerror(err); }

// Asks for a buffer of at least `bytes`, past net.core.[rw]mem_max when we hold
// CAP_NET_ADMIN, and returns what the kernel granted (it stores twice the request).
int growBuffer(int fd, int forceOption, int option, int bytes) {
  if (setsockopt(fd, SOL_SOCKET, forceOption, &bytes, sizeof bytes) < 0) {
    setsockopt(fd, SOL_SOCKET, option, &bytes, sizeof bytes);
  }
  int granted = 0;
  socklen_t len = sizeof granted;
  getsockopt(fd, SOL_SOCKET, option, &granted, &len);
  return granted;
}

// Reads an NLMSG_ERROR reply: the errno and, with NETLINK_EXT_ACK, the offset of the
// offending attribute and the kernel's text.
NftBatchError parseErrorReply(const nlmsghdr* nlh) {
  NftBatchError e;
  e.seq = nlh->nlmsg_seq;
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(nlmsgerr)) {
    e.error = EPROTO;
    e.detail = "truncated netlink error reply";
    return e;
  }
  const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  e.error = -err->error;
  if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS)) return e;
  // Without NETLINK_CAP_ACK the refused message is echoed before the TLVs.
  size_t tlvStart = sizeof(nlmsgerr);
  if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
    tlvStart += NLMSG_ALIGN(err->msg.nlmsg_len - NLMSG_HDRLEN);
  const size_t payloadLen = mnl_nlmsg_get_payload_len(nlh);
  if (tlvStart >= payloadLen) return e;
  const auto* begin = static_cast<const char*>(mnl_nlmsg_get_payload(nlh)) + tlvStart;
  int left = static_cast<int>(payloadLen - tlvStart);
  auto* attr = reinterpret_cast<const nlattr*>(begin);
  while (mnl_attr_ok(attr, left)) {
    if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_OFFS && mnl_attr_get_payload_len(attr) == 4) {
      e.attributeOffset = mnl_attr_get_u32(attr);
    } else if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG) {
      const auto* text = static_cast<const char*>(mnl_attr_get_payload(attr));
      e.detail.assign(text, strnlen(text, mnl_attr_get_payload_len(attr)));
    }
    left -= static_cast<int>(MNL_ALIGN(attr->nla_len));
    attr = mnl_attr_next(attr);
  }
  return e;
}

int dispatchDumpReply(const nlmsghdr* nlh, void* data) {
  (*static_cast<const std::function<void(const nlmsghdr*)>*>(data))(nlh);
  return MNL_CB_OK;
}

}  // namespace

NftBatch::NftBatch(uint32_t firstSeq) : firstSeq_(firstSeq), nextSeq_(firstSeq) {
  nlmsghdr* begin = nftnl_batch_begin(reserve(NLMSG_SPACE(sizeof(nfgenmsg))), nextSeq_++);
  used_ += NLMSG_ALIGN(begin->nlmsg_len);
}

char* NftBatch::reserve(size_t bytes) {
  // resize() grows geometrically, so a large batch costs amortised O(1) per message.
  if (buffer_.size() < used_ + bytes) buffer_.resize(std::max(used_ + bytes, 2 * buffer_.size()));
  return buffer_.data() + used_;
}

void NftBatch::sealOpenMessage() {
  if (!messageOpen_) return;
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(buffer_.data() + offsets_.back());
  used_ += NLMSG_ALIGN(nlh->nlmsg_len);
  messageOpen_ = false;
}

nlmsghdr* NftBatch::beginMessage(uint16_t type, uint16_t family, uint16_t flags) {
  sealOpenMessage();
  char* at = reserve(kMaxMessageBytes);
  offsets_.push_back(used_);
  messageOpen_ = true;
  return nftnl_nlmsg_build_hdr(at, type, family, flags, nextSeq_++);
}

void NftBatch::finish() {
  sealOpenMessage();
  nlmsghdr* end = nftnl_batch_end(reserve(NLMSG_SPACE(sizeof(nfgenmsg))), nextSeq_++);
  used_ += NLMSG_ALIGN(end->nlmsg_len);
}

const nlmsghdr* NftBatch::findMessage(uint32_t seq) const {
  const uint32_t index = seq - firstSeq_ - 1;  // wraps to huge for the begin marker
  if (index >= offsets_.size()) return nullptr;
  return reinterpret_cast<const nlmsghdr*>(buffer_.data() + offsets_[index]);
}

NftSocket::NftSocket() : receiveBuffer_(kReceiveBufferSize) {
  socket_ = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
  if (!socket_) throw std::runtime_error("mnl_socket_open(NETLINK_NETFILTER): " + errnoText(errno));
  if (mnl_socket_bind(socket_, 0, MNL_SOCKET_AUTOPID) < 0) {
    const int err = errno;
    mnl_socket_close(socket_);
    throw std::runtime_error("mnl_socket_bind(NETLINK_NETFILTER): " + errnoText(err));
  }
  portId_ = mnl_socket_get_portid(socket_);
  nextSeq_ = static_cast<uint32_t>(time(nullptr));  // as nft does: distinct across restarts
  const int fd = mnl_socket_get_fd(socket_);
  const int on = 1;
  // Capped: an error reply need not echo a 30 KB element list. Extended: it points at the
  // refused element. Both are only refinements, so failures to set them are ignored.
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof on);
  const timeval timeout{kDumpReplyTimeoutSeconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  socklen_t len = sizeof sendBufferBytes_;
  getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sendBufferBytes_, &len);
  len = sizeof receiveBufferBytes_;
  getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receiveBufferBytes_, &len);
}

NftSocket::~NftSocket() { mnl_socket_close(socket_); }

// Replies nobody waited for (a dump abandoned half-way by an earlier failure) would otherwise
// be read as answers to the next request.
void NftSocket::discardStaleReplies() {
  for (;;) {
    ssize_t n = recv(mnl_socket_get_fd(socket_), receiveBuffer_.data(), receiveBuffer_.size(),
                     MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == ENOBUFS) continue;  // an overrun of replies we are discarding anyway
    if (n <= 0) return;
  }
}

void NftSocket::fitBuffers(const NftBatch& batch) {
  const int fd = mnl_socket_get_fd(socket_);
  // netlink_sendmsg refuses a datagram larger than sk_sndbuf - 32.
  const size_t sendNeeded = batch.size() + 4096;
  if (sendNeeded > static_cast<size_t>(sendBufferBytes_)) {
    sendBufferBytes_ = growBuffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, static_cast<int>(sendNeeded));
  }
  // An acknowledgement that finds the queue full is dropped, and a transaction whose
  // acknowledgements were dropped has an unknown outcome: make room for all of them.
  const size_t receiveNeeded = (batch.messageCount() + 2) * kAckTruesize + kReceiveBufferSize;
  if (receiveNeeded > static_cast<size_t>(receiveBufferBytes_)) {
    receiveBufferBytes_ =
        growBuffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, static_cast<int>(receiveNeeded));
  }
}

std::optional<NftBatchError> NftSocket::commit(const NftBatch& batch) {
  discardStaleReplies();
  fitBuffers(batch);
  nextSeq_ = batch.endSeq() + 1;

  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  iovec iov{const_cast<char*>(batch.data()), batch.size()};
  msghdr msg{};
  msg.msg_name = &kernel;
  msg.msg_namelen = sizeof kernel;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  ssize_t sent;
  do {
    sent = sendmsg(mnl_socket_get_fd(socket_), &msg, 0);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    return NftBatchError{std::nullopt, errno, std::nullopt,
                         "sendmsg(nf_tables batch, " + std::to_string(batch.size()) + " bytes)"};
  }

  std::optional<NftBatchError> firstRefusal;
  size_t acknowledged = 0;
  bool overrun = false;
  for (;;) {
    ssize_t n = recv(mnl_socket_get_fd(socket_), receiveBuffer_.data(), receiveBuffer_.size(),
                     MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == ENOBUFS) {  // replies were dropped; read what is left before reporting it
        overrun = true;
        continue;
      }
      return NftBatchError{std::nullopt, errno, std::nullopt, "recv(nf_tables acknowledgements)"};
    }
    int left = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<const nlmsghdr*>(receiveBuffer_.data());
         mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
      if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_pid != portId_) continue;
      if (nlh->nlmsg_seq < batch.beginSeq() || nlh->nlmsg_seq > batch.endSeq()) continue;
      NftBatchError reply = parseErrorReply(nlh);
      if (reply.error == 0) {
        ++acknowledged;
      } else {
        if (batch.findMessage(nlh->nlmsg_seq)) ++acknowledged;
        if (!firstRefusal) firstRefusal = std::move(reply);
      }
    }
  }
  if (firstRefusal) return firstRefusal;
  if (overrun) {
    return NftBatchError{std::nullopt, ENOBUFS, std::nullopt,
                         "recv(nf_tables acknowledgements): some were dropped, so whether "
                         "the transaction applied is unknown"};
  }
  if (acknowledged < batch.messageCount()) {
    return NftBatchError{std::nullopt, EPROTO, std::nullopt,
                         "nf_tables acknowledged " + std::to_string(acknowledged) + " of " +
                             std::to_string(batch.messageCount()) + " messages"};
  }
  return std::nullopt;
}

std::optional<std::string> NftSocket::dump(nlmsghdr* request,
                                           const std::function<void(const nlmsghdr*)>& onReply,
                                           bool* interrupted) {
  *interrupted = false;
  discardStaleReplies();
  const uint32_t seq = nextSeq_++;
  request->nlmsg_seq = seq;
  if (mnl_socket_sendto(socket_, request, request->nlmsg_len) < 0) {
    return "mnl_socket_sendto(nf_tables dump): " + errnoText(errno);
  }
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(socket_, receiveBuffer_.data(), receiveBuffer_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return "mnl_socket_recvfrom(nf_tables dump): " + errnoText(errno);
    // dispatchDumpReply never stops the run, so a -1 is the kernel's error reply.
    auto* callback = const_cast<std::function<void(const nlmsghdr*)>*>(&onReply);
    int rc = mnl_cb_run(receiveBuffer_.data(), static_cast<size_t>(n), seq, portId_,
                        dispatchDumpReply, callback);
    if (rc == MNL_CB_STOP) return std::nullopt;
    // libmnl turns NLM_F_DUMP_INTR into EINTR; the rest of the dump is left for
    // discardStaleReplies() to drain.
    if (rc < 0 && errno == EINTR) *interrupted = true;
    if (rc < 0) return "nf_tables dump: " + errnoText(errno);
  }
}

}  // namespace tollgate::nf
