#pragma once
// Well-known DNS-over-HTTPS endpoints ([dns] block_doh): a browser or an app that resolves
// through one of these never asks the network's resolver, so neither DNS filtering nor safe
// search would see its names. Groups that filter have them blocked by SNI (TLS and QUIC) and by
// DNS name, which makes browsers fall back to the system resolver. The list also holds Firefox's
// canary domain, use-application-dns.net: a network that answers it NXDOMAIN tells Firefox to
// leave DoH off.
//
// Public resolvers change; the list is the widely published set as of 2026 and is matched with
// subdomains (mozilla.cloudflare-dns.com under cloudflare-dns.com).
#include <string_view>

namespace tollgate::filters {

// `host`: lower case, no trailing dot.
bool isDohEndpoint(std::string_view host);

}  // namespace tollgate::filters
