#pragma once
// Every outcome of the data plane is a named counter, declared once here (Envoy's ALL_*_STATS
// X-macro). Each worker owns one CounterBlock and is its only writer, so increments are relaxed
// atomic stores without contention; readers (control socket, metrics) sum the blocks.
#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

#include "daemon/core/histogram.h"

namespace tollgate {

#define TOLLGATE_COUNTERS(X)                                                                   \
  X(connections_accepted)      /* accepted from a listener */                                  \
  X(connections_http)          /* classified HTTP by port */                                   \
  X(connections_tls)           /* classified TLS by port */                                    \
  X(connections_tcp)           /* opaque TCP by port */                                        \
  X(connections_rejected_limit)/* over the global or per-client connection limit */           \
  X(connections_no_origdst)    /* original destination could not be recovered */               \
  X(connections_loop)          /* original destination is the listener itself */               \
  X(sniff_timeout_opaque)      /* client silent within sniff_timeout: relayed opaque */        \
  X(sniff_not_tls)             /* TLS port, bytes were not TLS: relayed opaque */              \
  X(sniff_not_http)            /* HTTP port, not an HTTP request line: 400 */                  \
  X(tls_sni_found)                                                                             \
  X(tls_sni_missing)                                                                           \
  X(tls_ech_seen)                                                                              \
  X(tls_hello_too_large)                                                                       \
  X(http_requests)             /* request heads judged */                                      \
  X(http_bad_request)          /* 400 for malformed / smuggling shapes */                      \
  X(http_upgrades)             /* 101 switched to an opaque relay */                           \
  X(http_continue)             /* 100-continue interim responses relayed */                    \
  X(decisions_allow)                                                                           \
  X(decisions_block)                                                                           \
  X(decisions_log)             /* allowed by a "log" rule */                                    \
  X(decisions_redirect)        /* a "redirect" rule sent the client elsewhere */              \
  X(safe_search_redirects)     /* a search URL answered with its safe-mode URL (302) */       \
  X(tls_block_alerts)          /* blocked TLS answered with an access_denied alert */          \
  X(captive_logged_in)         /* requests/flows of logged-in guests (judged by the policy) */ \
  X(captive_garden)            /* not logged in, bound for the walled garden or the portal */  \
  X(captive_redirects)         /* not logged in, HTTP: 302 to the portal */                    \
  X(captive_resets)            /* not logged in, TLS or other TCP: reset */                    \
  X(upstream_connect_ok)                                                                       \
  X(upstream_connect_fail)     /* refused / unreachable: 502 or reset */                      \
  X(upstream_connect_timeout)  /* 504 or reset */                                              \
  X(upstream_bad_response)     /* unparsable response head: 502 */                             \
  X(idle_timeouts)             /* a phase's idle timeout closed the connection */             \
  X(relay_splice_bytes)        /* bytes moved with splice() */                                 \
  X(relay_copy_bytes)          /* bytes moved through user-space buffers */                    \
  X(relay_splice_fallbacks)    /* splice unavailable (no pipe / EINVAL): buffered copy */      \
  X(bytes_client_to_upstream)                                                                  \
  X(bytes_upstream_to_client)                                                                  \
  X(log_lines_queued)          /* handed to the logging thread */                               \
  X(log_lines_dropped)         /* the worker's log queue was full */                           \
  X(mac_unknown)               /* no neighbour entry for the client */                        \
  X(cache_hits)                /* served from the cache (fresh, or stale where allowed) */     \
  X(cache_mem_hits)            /* ...of which the body came from the memory tier */            \
  X(cache_misses)              /* looked up, not there: fetched from the origin */            \
  X(cache_refresh_unmodified)  /* revalidated, 304: served from the cache */                   \
  X(cache_refresh_modified)    /* revalidated, the origin sent a new object */                \
  X(cache_collapsed)           /* joined another client's fetch of the same object */         \
  X(cache_bypass)              /* not looked up (method, no-store, body, Range miss...) */    \
  X(cache_stored)              /* responses written to the store */                            \
  X(cache_not_storable)        /* fetched on a miss, refused by RFC 9111 rules */             \
  X(cache_admission_deferred)  /* small object asked for the first time: stored the next time */\
  X(cache_host_mismatch)       /* destination is not an address of Host: served, not stored */ \
  X(cache_host_unverified)     /* Host not resolved yet: served, not stored */                \
  X(cache_invalidations)       /* objects dropped by an unsafe method's response */           \
  X(cache_range_hits)          /* 206 answered from a complete stored object */               \
  X(cache_stale_if_error)      /* origin failed on revalidation: stale served (RFC 5861) */  \
  X(cache_only_if_cached_miss) /* only-if-cached and nothing usable: 504 */                   \
  X(cache_corrupt_served)      /* a body failed its CRC while served: client reset */         \
  X(cache_background_fetches)  /* whole objects fetched after a Range miss (fetch_whole) */    \
  X(cache_hit_bytes)           /* body bytes sent from the cache */                            \
  X(cache_miss_bytes)          /* body bytes relayed on cacheable misses */                    \
  X(nfq_packets)               /* packets the kernel queued to the packet inspector */         \
  X(nfq_accepted)              /* ...given verdict accept */                                    \
  X(nfq_dropped)               /* ...given verdict drop */                                      \
  X(nfq_verdict_batches)       /* NFQNL_MSG_VERDICT_BATCH messages (one accepts many) */        \
  X(nfq_cut)                   /* packets longer than the copy range */                         \
  X(nfq_malformed)             /* queue messages without a packet header: ignored */            \
  X(nfq_overruns)              /* socket buffer overflowed (ENOBUFS): the kernel failed open */ \
  X(nfq_send_failures)         /* a verdict sendmsg failed */                                   \
  X(nfq_receive_errors)        /* recvmmsg failed (not EAGAIN/ENOBUFS) */                       \
  X(nfq_not_udp)               /* queued packets without a whole UDP datagram: accepted */      \
  X(quic_short_header)         /* no long header (no Initial can be in it): accepted */         \
  X(quic_not_initial)          /* datagrams that cannot start a QUIC flow: accepted, skipped */ \
  X(quic_initial_packets)      /* Initial packets decrypted */                                  \
  X(quic_crypto_frames)        /* CRYPTO frames taken into a flow's stream */                   \
  X(quic_skipped_packets)      /* 0-RTT, Handshake, short, other version or DCID: skipped */    \
  X(quic_undersized_datagrams) /* Initials in datagrams under 1200 bytes: skipped */            \
  X(quic_undecryptable_packets)/* later Initials that did not open: skipped */                  \
  X(quic_sni_found)            /* ClientHello whole, with SNI: judged by it */                  \
  X(quic_sni_missing)          /* ClientHello whole, no SNI: judged without */                  \
  X(quic_ech_seen)             /* ClientHello carries encrypted_client_hello */                 \
  X(quic_hello_errors)         /* broken CRYPTO data or ClientHello: judged without SNI */      \
  X(quic_incomplete)           /* last queued packet, no whole ClientHello: judged without SNI */\
  X(quic_flows_allowed)        /* flows accepted and remembered */                              \
  X(quic_flows_blocked)        /* flows dropped and added to the quic_blocked sets */           \
  X(quic_held_packets)         /* packets held until their flow was decided */                  \
  X(quic_hold_timeouts)        /* held packets accepted unjudged: no verdict within 1 s */      \
  X(quic_allowed_packets)      /* later queued packets of allowed flows: accepted */            \
  X(quic_blocked_packets)      /* later queued packets of blocked flows: dropped */             \
  X(quic_flows_evicted)        /* flows forgotten because the table was full */                 \
  X(quic_flows_expired)        /* decided flows forgotten after their timeout */                \
  X(quic_undecided_expired)    /* undecided flows forgotten after their timeout */              \
  X(quic_block_set_adds)       /* flows added to the quic_blocked sets */                       \
  X(quic_block_set_failures)   /* adding to the quic_blocked sets failed (later packets pass) */ \
  X(dns_queries)               /* DNS queries judged by the packet inspector */            \
  X(dns_blocked)               /* answered NXDOMAIN or the block address */               \
  X(dns_safe_search)           /* answered with a search engine's safe host */            \
  X(dns_safe_search_unresolved)/* safe host not resolved yet: passed on */                \
  X(dns_https_suppressed)      /* HTTPS (type 65) answered with no records */             \
  X(dns_captive)               /* guest not logged in: passed on unjudged */              \
  X(dns_answer_failures)       /* a forged answer could not be sent: the query passed */

enum class Counter : unsigned {
#define TOLLGATE_COUNTER_ENUM(name) name,
  TOLLGATE_COUNTERS(TOLLGATE_COUNTER_ENUM)
#undef TOLLGATE_COUNTER_ENUM
      Count
};
inline constexpr unsigned kCounterCount = static_cast<unsigned>(Counter::Count);

// Name of a counter as exported (without the tollgate_ prefix or _total suffix).
std::string_view counterName(Counter c);

struct alignas(64) CounterBlock {
  std::array<std::atomic<uint64_t>, kCounterCount> values{};
  // Gauge: connections currently open on this worker.
  std::atomic<int64_t> activeConnections{0};
  // Upstream TCP connect, from connect() to writable (HTTP, TLS and opaque TCP alike).
  LatencyHistogram upstreamConnect;
  // From the decision to forward (HTTP: the request head parsed; tunnels: the connect started) to
  // the first byte from the origin, so it includes the connect when one was needed.
  LatencyHistogram firstByte;

  // Single writer per block: a relaxed load+store is enough and avoids a locked RMW.
  void add(Counter c, uint64_t n = 1) {
    auto& v = values[static_cast<unsigned>(c)];
    v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t get(Counter c) const {
    return values[static_cast<unsigned>(c)].load(std::memory_order_relaxed);
  }
};

}  // namespace tollgate
