#include "nf/nfqueue.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

extern "C" {
#include <libnetfilter_queue/libnetfilter_queue.h>
}

namespace tollgate::nf {
namespace {

// Room in a receive slot for the message around the packet: the netlink and nfgenmsg headers
// and the attributes the kernel adds (packet header, mark, timestamp, interfaces, hardware
// address, cap length, skb info), each a few dozen bytes.
constexpr size_t kMessageOverhead = 1024;
// One verdict message: headers plus an NFQA_VERDICT_HDR attribute.
constexpr size_t kVerdictBytes = 64;

std::string errnoText(int err) { return std::strerror(err); }

}  // namespace

NfQueue::NfQueue(Options options) : options_(options) {
  const std::string what = "nfqueue " + std::to_string(options_.queue) + ": ";
  socket_ = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
  if (!socket_) throw std::runtime_error(what + "socket(NETLINK_NETFILTER): " + errnoText(errno));
  if (mnl_socket_bind(socket_, 0, MNL_SOCKET_AUTOPID) < 0) {
    int err = errno;
    mnl_socket_close(socket_);
    throw std::runtime_error(what + "bind(NETLINK_NETFILTER): " + errnoText(err));
  }
  portId_ = mnl_socket_get_portid(socket_);
  try {
    configure();
  } catch (...) {
    mnl_socket_close(socket_);
    throw;
  }
  const int fd = mnl_socket_get_fd(socket_);
  // A burst of new flows must fit while the thread judges the previous batch; FORCE needs
  // CAP_NET_ADMIN, which binding a queue needs anyway, but fall back to the capped size.
  int bytes = options_.receiveBufferBytes;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

  slotBytes_ = MNL_ALIGN(options_.copyRange + kMessageOverhead);
  buffers_.resize(slotBytes_ * kBatch);
  iovecs_.resize(kBatch);
  messages_.resize(kBatch);
  for (unsigned i = 0; i < kBatch; ++i) {
    iovecs_[i] = iovec{buffers_.data() + i * slotBytes_, slotBytes_};
    std::memset(&messages_[i], 0, sizeof messages_[i]);
    messages_[i].msg_hdr.msg_iov = &iovecs_[i];
    messages_[i].msg_hdr.msg_iovlen = 1;
  }
  accepts_.reserve(kBatch);
  singles_.reserve(kBatch);
  sendBuffer_.resize((kBatch + 1) * kVerdictBytes);
}

NfQueue::~NfQueue() {
  if (socket_) mnl_socket_close(socket_);
}

int NfQueue::fd() const { return mnl_socket_get_fd(socket_); }

// Bind, then copy mode, queue length and flags, each acknowledged: a refusal is reported with
// the step that failed rather than discovered as silence later.
void NfQueue::configure() {
  const std::string what = "nfqueue " + std::to_string(options_.queue) + ": ";
  std::vector<char> buffer(MNL_SOCKET_BUFFER_SIZE);
  uint32_t seq = 1;
  auto request = [&](const char* step, auto&& fill) {
    nlmsghdr* nlh = nfq_nlmsg_put(buffer.data(), NFQNL_MSG_CONFIG, options_.queue);
    nlh->nlmsg_flags |= NLM_F_ACK;
    nlh->nlmsg_seq = ++seq;
    fill(nlh);
    if (mnl_socket_sendto(socket_, nlh, nlh->nlmsg_len) < 0)
      throw std::runtime_error(what + step + ": sendto: " + errnoText(errno));
    ssize_t n = mnl_socket_recvfrom(socket_, buffer.data(), buffer.size());
    if (n < 0) throw std::runtime_error(what + step + ": recvfrom: " + errnoText(errno));
    if (mnl_cb_run(buffer.data(), n, seq, portId_, nullptr, nullptr) < 0)
      throw std::runtime_error(what + step + ": " + errnoText(errno));
  };
  request("bind", [](nlmsghdr* nlh) { nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND); });
  request("copy mode", [&](nlmsghdr* nlh) {
    nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, static_cast<int>(options_.copyRange));
    nfq_nlmsg_cfg_put_qmaxlen(nlh, options_.maxLength);
  });
  request("flags", [&](nlmsghdr* nlh) {
    const uint32_t flags = options_.failOpen ? NFQA_CFG_F_FAIL_OPEN : 0;
    mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
    mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN));
  });
}

unsigned NfQueue::receive(Handler& handler, unsigned rounds) {
  unsigned total = 0;
  nlattr* attr[NFQA_MAX + 1];
  for (unsigned round = 0; round < rounds; ++round) {
    for (auto& m : messages_) m.msg_hdr.msg_flags = 0;
    int got = recvmmsg(fd(), messages_.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (got < 0) {
      if (errno == ENOBUFS) {
        // Packets were lost on the way to us; with fail-open the kernel accepted them. The
        // socket is usable at once.
        ++counters_.overruns;
        continue;
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) ++counters_.receiveErrors;
      break;
    }
    for (int i = 0; i < got; ++i) {
      const char* base = buffers_.data() + i * slotBytes_;
      const auto* nlh = reinterpret_cast<const nlmsghdr*>(base);
      size_t left = messages_[i].msg_len;
      if (messages_[i].msg_hdr.msg_flags & MSG_TRUNC) ++counters_.malformed;
      for (; mnl_nlmsg_ok(nlh, static_cast<int>(left));
           left -= MNL_ALIGN(nlh->nlmsg_len),
           nlh = reinterpret_cast<const nlmsghdr*>(reinterpret_cast<const char*>(nlh) +
                                                   MNL_ALIGN(nlh->nlmsg_len))) {
        if (nlh->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET)) continue;
        std::memset(attr, 0, sizeof attr);
        if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR] ||
            mnl_attr_get_payload_len(attr[NFQA_PACKET_HDR]) < sizeof(nfqnl_msg_packet_hdr)) {
          ++counters_.malformed;
          continue;
        }
        nfqnl_msg_packet_hdr header;
        std::memcpy(&header, mnl_attr_get_payload(attr[NFQA_PACKET_HDR]), sizeof header);
        QueuedPacket p;
        p.id = ntohl(header.packet_id);
        p.hwProtocol = ntohs(header.hw_protocol);
        if (attr[NFQA_PAYLOAD]) {
          p.data = std::string_view(static_cast<const char*>(mnl_attr_get_payload(attr[NFQA_PAYLOAD])),
                                    mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]));
        }
        p.length = static_cast<uint32_t>(p.data.size());
        if (attr[NFQA_CAP_LEN] && mnl_attr_get_payload_len(attr[NFQA_CAP_LEN]) >= 4) {
          p.length = ntohl(mnl_attr_get_u32(attr[NFQA_CAP_LEN]));
          if (p.length > p.data.size()) ++counters_.cut;
        }
        if (attr[NFQA_IFINDEX_INDEV] && mnl_attr_get_payload_len(attr[NFQA_IFINDEX_INDEV]) >= 4)
          p.inInterface = ntohl(mnl_attr_get_u32(attr[NFQA_IFINDEX_INDEV]));
        ++counters_.packets;
        switch (handler.onPacket(p)) {
          case PacketVerdict::Accept:
            ++counters_.accepted;
            accepts_.push_back(p.id);
            break;
          case PacketVerdict::Drop:
            ++counters_.dropped;
            singles_.emplace_back(p.id, NF_DROP);
            break;
          case PacketVerdict::Hold:
            ++counters_.held;
            held_.push_back(p.id);
            break;
        }
      }
    }
    total += static_cast<unsigned>(got);
    flush();
    if (static_cast<unsigned>(got) < kBatch) break;  // drained
  }
  return total;
}

void NfQueue::release(uint32_t id, PacketVerdict verdict) {
  for (size_t i = 0; i < held_.size(); ++i) {
    if (held_[i] != id) continue;
    held_[i] = held_.back();
    held_.pop_back();
    if (verdict == PacketVerdict::Drop) {
      ++counters_.dropped;
      singles_.emplace_back(id, NF_DROP);
    } else {
      ++counters_.accepted;
      singles_.emplace_back(id, NF_ACCEPT);
    }
    return;
  }
}

void NfQueue::flush() {
  if (singles_.empty() && accepts_.empty()) return;
  // Packet ids grow by one per queued packet and wrap at 2^32: compare as serial numbers.
  auto before = [](uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; };
  bool anyHeld = !held_.empty();
  uint32_t lowestHeld = anyHeld ? held_[0] : 0;
  for (uint32_t id : held_)
    if (before(id, lowestHeld)) lowestHeld = id;
  bool batch = false;
  uint32_t highest = 0;
  for (uint32_t id : accepts_) {
    if (anyHeld && !before(id, lowestHeld)) {
      singles_.emplace_back(id, NF_ACCEPT);  // a batch up to it would release a held packet
    } else if (!batch || before(highest, id)) {
      highest = id;
      batch = true;
    }
  }
  accepts_.clear();
  const size_t need = (singles_.size() + 1) * kVerdictBytes;
  if (sendBuffer_.size() < need) sendBuffer_.resize(need);
  size_t used = 0;
  auto put = [&](int type, uint32_t id, int verdict) {
    nlmsghdr* nlh = nfq_nlmsg_put(sendBuffer_.data() + used, type, options_.queue);
    nfq_nlmsg_verdict_put(nlh, static_cast<int>(id), verdict);
    used += MNL_ALIGN(nlh->nlmsg_len);
  };
  for (auto [id, verdict] : singles_) put(NFQNL_MSG_VERDICT, id, verdict);
  singles_.clear();
  if (batch) {
    put(NFQNL_MSG_VERDICT_BATCH, highest, NF_ACCEPT);
    ++counters_.verdictBatches;
  }
  ++counters_.verdictSends;
  if (mnl_socket_sendto(socket_, sendBuffer_.data(), used) < 0) ++counters_.sendFailures;
}

}  // namespace tollgate::nf
