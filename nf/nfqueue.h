#pragma once
// One netfilter queue (NFQUEUE) bound over NETLINK_NETFILTER with libnetfilter_queue's libmnl
// API: the kernel hands over the packets the ruleset queues, user space answers each with a
// verdict. Knows nothing of what the packets mean: a Handler decides.
//
// Copy-packet mode with a copy range of whole IP packets (conntrack reassembles fragments
// before the forward hook, so a queued datagram can be up to 64 KiB; cutting it would leave a
// QUIC Initial undecryptable). GSO packets are segmented by the kernel before queueing (no
// NFQA_CFG_F_GSO), so every packet is one datagram.
//
// Each netlink message carries one packet and a recvmsg returns one message, so packets are
// read with recvmmsg, up to kBatch per call, and their verdicts go back in one sendmsg: the
// drops one by one, then a single NFQNL_MSG_VERDICT_BATCH that accepts every packet up to the
// highest accepted id (the kernel applies the messages of one send in order, so the drops are
// gone before the batch covers their ids).
//
// A handler may also hold a packet (its flow is undecided) and give its verdict later with
// release(). The batch verdict never reaches a held id: accepts above the lowest held id go
// one by one.
//
// Fail open (NFQA_CFG_F_FAIL_OPEN): when the queue is full or our socket buffer overflows, the
// kernel accepts the packet instead of dropping it. The ruleset's `bypass` covers the other
// case, no socket bound at all.
//
// Not thread-safe: one thread owns a queue. No exceptions after construction.
#include <sys/socket.h>  // mmsghdr
#include <sys/uio.h>

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

struct mnl_socket;

namespace tollgate::nf {

// Hold: no verdict yet; the handler calls NfQueue::release(id, ...) later.
enum class PacketVerdict : uint8_t { Accept, Drop, Hold };

struct QueuedPacket {
  uint32_t id = 0;
  uint16_t hwProtocol = 0;   // ETH_P_IP or ETH_P_IPV6 (host order)
  std::string_view data;     // from the network header on; valid during onPacket only
  uint32_t length = 0;       // the packet's length; more than data.size() when it was cut
  uint32_t inInterface = 0;  // ifindex it arrived on, 0 when the kernel did not say
};

class NfQueue {
 public:
  struct Options {
    uint16_t queue = 0;
    uint32_t copyRange = 0xffff;
    // Packets the kernel holds for this queue awaiting verdicts; beyond it, fail open.
    uint32_t maxLength = 4096;
    bool failOpen = true;
    int receiveBufferBytes = 8 << 20;
  };

  class Handler {
   public:
    virtual ~Handler() = default;
    // Called in arrival order; must not throw.
    virtual PacketVerdict onPacket(const QueuedPacket& packet) = 0;
  };

#define TOLLGATE_NFQUEUE_COUNTERS(X)                                                           \
  X(packets)         /* packets received and judged */                                        \
  X(accepted)        /* verdict accept */                                                     \
  X(dropped)         /* verdict drop */                                                       \
  X(held)            /* held by the handler, verdict given later by release() */              \
  X(cut)             /* packets longer than the copy range (data is a prefix) */              \
  X(malformed)       /* messages without a packet header, or cut by the receive buffer */    \
  X(overruns)        /* ENOBUFS: the socket buffer overflowed (the kernel failed open) */     \
  X(verdictSends)    /* sendmsg calls carrying verdicts */                                    \
  X(verdictBatches)  /* NFQNL_MSG_VERDICT_BATCH messages (one accepts many packets) */        \
  X(sendFailures)    /* a verdict sendmsg failed: those packets wait until the queue closes */ \
  X(receiveErrors)   /* recvmmsg failed other than EAGAIN or ENOBUFS */
  struct Counters {
#define TOLLGATE_NFQUEUE_FIELD(name) uint64_t name = 0;
    TOLLGATE_NFQUEUE_COUNTERS(TOLLGATE_NFQUEUE_FIELD)
#undef TOLLGATE_NFQUEUE_FIELD
  };

  static constexpr unsigned kBatch = 32;

  // Opens the socket and binds the queue. Throws std::runtime_error naming the failing call
  // and the queue ("nfqueue 0: bind: Device or resource busy" when another process has it).
  explicit NfQueue(Options options);
  ~NfQueue();  // closing the socket unbinds the queue; the kernel drops what still waits
  NfQueue(const NfQueue&) = delete;
  NfQueue& operator=(const NfQueue&) = delete;

  // Non-blocking; poll() it for POLLIN.
  int fd() const;
  uint16_t queue() const { return options_.queue; }

  // Reads what is waiting without blocking (at most `rounds` recvmmsg calls of kBatch),
  // hands each packet to `handler` and sends the verdicts after each call. Returns the
  // packets handled; 0 when nothing was waiting.
  unsigned receive(Handler& handler, unsigned rounds = 4);

  // The verdict for a packet the handler held (Accept or Drop), sent with the next flush().
  // Ids that are not held are ignored.
  void release(uint32_t id, PacketVerdict verdict);
  // Sends the verdicts given since the last send (receive() flushes after every batch).
  void flush();
  size_t heldCount() const { return held_.size(); }

  const Counters& counters() const { return counters_; }

 private:
  void configure();

  Options options_;
  mnl_socket* socket_ = nullptr;
  uint32_t portId_ = 0;
  size_t slotBytes_ = 0;
  std::vector<char> buffers_;             // kBatch receive slots
  std::vector<iovec> iovecs_;
  std::vector<mmsghdr> messages_;
  std::vector<uint32_t> accepts_;  // ids accepted since the last flush
  std::vector<std::pair<uint32_t, int>> singles_;  // drops and released verdicts (NF_*)
  std::vector<uint32_t> held_;     // ids awaiting release(), few
  std::vector<char> sendBuffer_;
  Counters counters_;
};

}  // namespace tollgate::nf
