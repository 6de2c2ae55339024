#include "nf/policy_routing.h"

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

namespace tollgate::nf {
namespace {

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", v);
  return buf;
}

const char* familyName(int family) { return family == AF_INET ? "ipv4" : "ipv6"; }

// One NETLINK_ROUTE socket for a batch of requests, each sent alone and acknowledged before
// the next, so an error belongs to exactly one request.
class RtnlSocket {
 public:
  ~RtnlSocket() {
    if (nl_) mnl_socket_close(nl_);
  }

  std::optional<std::string> open() {
    nl_ = mnl_socket_open(NETLINK_ROUTE);
    if (!nl_) return "mnl_socket_open(NETLINK_ROUTE): " + std::string(std::strerror(errno));
    // Ask the kernel to say why, not only errno (e.g. which attribute it disliked); and not
    // to echo our request back in every error.
    int on = 1;
    mnl_socket_setsockopt(nl_, NETLINK_EXT_ACK, &on, sizeof on);
    mnl_socket_setsockopt(nl_, NETLINK_CAP_ACK, &on, sizeof on);
    if (mnl_socket_bind(nl_, 0, MNL_SOCKET_AUTOPID) < 0)
      return "mnl_socket_bind(NETLINK_ROUTE): " + std::string(std::strerror(errno));
    portid_ = mnl_socket_get_portid(nl_);
    return std::nullopt;
  }

  nlmsghdr* start(uint16_t type, uint16_t flags) {
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf_);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    nlh->nlmsg_seq = ++seq_;
    return nlh;
  }

  // Sends nlh and waits for its acknowledgement. Returns 0 or the positive errno; *why gets
  // the kernel's extended-ack message, if any.
  int transact(nlmsghdr* nlh, std::string* why) {
    if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) return errno;
    const uint32_t seq = nlh->nlmsg_seq;
    for (;;) {
      ssize_t n = mnl_socket_recvfrom(nl_, buf_, sizeof buf_);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno;
      int left = static_cast<int>(n);
      for (auto* msg = reinterpret_cast<nlmsghdr*>(buf_); mnl_nlmsg_ok(msg, left);
           msg = mnl_nlmsg_next(msg, &left)) {
        if (msg->nlmsg_seq != seq || msg->nlmsg_pid != portid_) continue;  // stale
        if (msg->nlmsg_type != NLMSG_ERROR) continue;
        const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(msg));
        if (err->error != 0) *why = extAckMessage(msg, err);
        return -err->error;
      }
    }
  }

 private:
  // Layout of an error with NLM_F_ACK_TLVS: nlmsgerr, the request (only its header when
  // NLM_F_CAPPED), then attributes; NLMSGERR_ATTR_MSG is a string.
  static std::string extAckMessage(const nlmsghdr* msg, const nlmsgerr* err) {
    if (!(msg->nlmsg_flags & NLM_F_ACK_TLVS)) return "";
    size_t offset = sizeof(nlmsgerr);
    if (!(msg->nlmsg_flags & NLM_F_CAPPED)) offset += err->msg.nlmsg_len - sizeof(nlmsghdr);
    offset = MNL_ALIGN(offset);
    const size_t payload = mnl_nlmsg_get_payload_len(msg);
    if (offset >= payload) return "";
    const auto* base = static_cast<const char*>(mnl_nlmsg_get_payload(msg)) + offset;
    const char* end = base + (payload - offset);
    for (auto* attr = reinterpret_cast<const nlattr*>(base);
         mnl_attr_ok(attr, end - (const char*)attr); attr = mnl_attr_next(attr)) {
      if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
          mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
        return mnl_attr_get_str(attr);
    }
    return "";
  }

  mnl_socket* nl_ = nullptr;
  uint32_t portid_ = 0;
  uint32_t seq_ = 0;
  // Acks are small and requests smaller still; one page as libmnl suggests.
  alignas(nlmsghdr) char buf_[8192];
};

enum class Op { Add, Delete };

// One of the four entries: a rule or a route, for one family.
struct Entry {
  bool isRule;
  int family;
};

std::string describe(const PolicyRoutingSpec& spec, const Entry& e, Op op) {
  if (e.isRule) {
    return std::string(op == Op::Add ? "RTM_NEWRULE" : "RTM_DELRULE") + " fwmark " +
           hex(spec.mark) + "/" + hex(spec.mask) + " table " + std::to_string(spec.table) +
           " priority " + std::to_string(spec.priority) + " (" + familyName(e.family) + ")";
  }
  return std::string(op == Op::Add ? "RTM_NEWROUTE" : "RTM_DELROUTE") +
         " local default dev lo table " + std::to_string(spec.table) + " (" + familyName(e.family) +
         ")";
}

// The table id fits the header only below 256; FRA_TABLE / RTA_TABLE always carry it.
uint8_t headerTable(uint32_t table) { return table < 256 ? table : RT_TABLE_UNSPEC; }

nlmsghdr* buildRule(RtnlSocket& sock, const PolicyRoutingSpec& spec, int family, Op op) {
  // EXCL turns "already there" into EEXIST; without it the kernel would add a duplicate.
  nlmsghdr* nlh = op == Op::Add ? sock.start(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL)
                                : sock.start(RTM_DELRULE, 0);
  auto* frh = static_cast<fib_rule_hdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(fib_rule_hdr)));
  frh->family = family;
  frh->action = FR_ACT_TO_TBL;
  frh->table = headerTable(spec.table);
  mnl_attr_put_u32(nlh, FRA_PRIORITY, spec.priority);
  mnl_attr_put_u32(nlh, FRA_FWMARK, spec.mark);
  mnl_attr_put_u32(nlh, FRA_FWMASK, spec.mask);
  mnl_attr_put_u32(nlh, FRA_TABLE, spec.table);
  return nlh;
}

nlmsghdr* buildRoute(RtnlSocket& sock, const PolicyRoutingSpec& spec, int family, Op op,
                     uint32_t loIndex) {
  nlmsghdr* nlh = op == Op::Add ? sock.start(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL)
                                : sock.start(RTM_DELROUTE, 0);
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = family;
  rtm->rtm_dst_len = 0;  // default
  rtm->rtm_table = headerTable(spec.table);
  rtm->rtm_type = RTN_LOCAL;
  if (op == Op::Add) {
    rtm->rtm_protocol = RTPROT_STATIC;
    rtm->rtm_scope = RT_SCOPE_HOST;
  } else {
    // As `ip route del` does: match whoever installed it and whatever its scope.
    rtm->rtm_protocol = RTPROT_UNSPEC;
    rtm->rtm_scope = RT_SCOPE_NOWHERE;
  }
  mnl_attr_put_u32(nlh, RTA_TABLE, spec.table);
  mnl_attr_put_u32(nlh, RTA_OIF, loIndex);
  return nlh;
}

std::optional<std::string> checkSpec(const PolicyRoutingSpec& spec) {
  if (spec.mask == 0) return "policy routing: mask must not be 0";
  if (spec.mark == 0 || (spec.mark & ~spec.mask) != 0)
    return "policy routing: mark " + hex(spec.mark) + " must be non-zero and inside mask " +
           hex(spec.mask);
  if (spec.table == 0 || (spec.table >= 253 && spec.table <= 255))
    return "policy routing: table " + std::to_string(spec.table) + " is reserved by the kernel";
  return std::nullopt;
}

std::optional<std::string> lookupLoopback(uint32_t* index) {
  *index = if_nametoindex("lo");
  if (*index == 0) return "if_nametoindex(lo): " + std::string(std::strerror(errno));
  return std::nullopt;
}

// Returns 0 when the entry now is (Add) or is not (Delete) in place, else the errno, with the
// full message in *error.
int apply(RtnlSocket& sock, const PolicyRoutingSpec& spec, const Entry& e, Op op, uint32_t loIndex,
          std::string* error) {
  nlmsghdr* nlh = e.isRule ? buildRule(sock, spec, e.family, op)
                           : buildRoute(sock, spec, e.family, op, loIndex);
  std::string why;
  int err = sock.transact(nlh, &why);
  if (err == 0) return 0;
  // Already present / already gone: the state we wanted. IPv4 says ESRCH for a missing
  // route, IPv6 and rules say ENOENT.
  if (op == Op::Add && err == EEXIST) return EEXIST;
  if (op == Op::Delete && (err == ENOENT || err == ESRCH)) return 0;
  *error = describe(spec, e, op) + ": " + std::strerror(err);
  if (!why.empty()) *error += " (kernel: " + why + ")";
  return err;
}

// Route before rule on install, so marked packets never meet an empty table; the reverse on
// removal.
constexpr Entry kInstallOrder[] = {
    {false, AF_INET}, {true, AF_INET}, {false, AF_INET6}, {true, AF_INET6}};
constexpr Entry kRemoveOrder[] = {
    {true, AF_INET}, {false, AF_INET}, {true, AF_INET6}, {false, AF_INET6}};

}  // namespace

std::optional<std::string> installPolicyRouting(const PolicyRoutingSpec& spec) {
  if (auto err = checkSpec(spec)) return err;
  uint32_t loIndex = 0;
  if (auto err = lookupLoopback(&loIndex)) return err;
  RtnlSocket sock;
  if (auto err = sock.open()) return err;
  std::vector<Entry> added;
  for (const Entry& e : kInstallOrder) {
    std::string error;
    int rc = apply(sock, spec, e, Op::Add, loIndex, &error);
    if (rc == 0) {
      added.push_back(e);
    } else if (rc != EEXIST) {
      // Leave the system as it was before this call rather than half-installed.
      for (auto it = added.rbegin(); it != added.rend(); ++it) {
        std::string ignored;
        apply(sock, spec, *it, Op::Delete, loIndex, &ignored);
      }
      return error;
    }
  }
  return std::nullopt;
}

std::optional<std::string> removePolicyRouting(const PolicyRoutingSpec& spec) {
  if (auto err = checkSpec(spec)) return err;
  uint32_t loIndex = 0;
  if (auto err = lookupLoopback(&loIndex)) return err;
  RtnlSocket sock;
  if (auto err = sock.open()) return err;
  std::optional<std::string> first;
  for (const Entry& e : kRemoveOrder) {
    std::string error;
    if (apply(sock, spec, e, Op::Delete, loIndex, &error) != 0 && !first) first = error;
  }
  return first;
}

}  // namespace tollgate::nf
