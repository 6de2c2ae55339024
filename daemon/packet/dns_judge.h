#pragma once
// DNS under the same policy as HTTP and TLS ([nfqueue] dns = true): the packet inspector hands
// every queued query here and either lets it go on to the resolver or drops it and sends the
// answer built here instead.
//
//   not a plain query / the client is held by the captive portal  → accept (answered normally:
//                                                                    a guest must resolve the portal)
//   the policy blocks the name (any rule, as for the Host/SNI)     → [dns] block_answer: NXDOMAIN
//                                                                    or the block page's address
//   HTTPS (type 65) query in a group that filters                  → NOERROR, no records: the
//                                                                    client gets no ECH config and
//                                                                    must show its SNI
//   a search engine or YouTube in a safe_search group              → the safe host's addresses
//                                                                    (forcesafesearch.google.com, ...)
//   anything else                                                  → accept
// Every judged query is one decision line (proto dns).
#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "captive/session_snapshot.h"
#include "daemon/log/decision_record.h"
#include "daemon/packet/safe_search_addresses.h"
#include "daemon/proxy/worker_context.h"

namespace tollgate::packet {

struct DnsSettings {
  // [dns] block_answer: nxdomain, or this address for A (IPv4) / AAAA (IPv6) queries (a query
  // of the other family gets NOERROR without records).
  std::optional<sockaddr_storage> blockAddress;
  bool suppressHttps = true;  // [dns] suppress_https
  uint32_t ttl = 60;          // of forged answers
};

struct DnsOutcome {
  enum class Verdict { Accept, Answer };
  Verdict verdict = Verdict::Accept;
  std::vector<uint8_t> answer;  // Answer: the whole IP packet to send back to the client
  bool judged = false;          // a query was parsed: `record` is filled, log it
  log::DecisionRecord record;
  const char* outcome = "";     // for counters: blocked, safe_search, https_suppressed, passed,
                                // captive, not_query, safe_search_unresolved
};

// The client's MAC (the neighbour table), asked only for a packet that is a query.
using MacOf = std::function<std::optional<std::array<uint8_t, 6>>(const sockaddr_storage& client)>;

DnsOutcome judgeDns(const uint8_t* packet, size_t length, const proxy::Enforcement& enforcement,
                    const DnsSettings& settings, const SafeSearchAddresses* safeSearch,
                    const captive::SessionSnapshot* sessions, const MacOf& macOf,
                    int64_t nowUnixMs);

}  // namespace tollgate::packet
