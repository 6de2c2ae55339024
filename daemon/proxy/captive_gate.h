#pragma once
// The captive portal on the data plane: may this client's request go where it asked, or does
// it belong on the portal first?
//
// A client is logged in when the session snapshot holds its MAC (from the neighbour table),
// unexpired; a client whose MAC the gateway does not know is looked up by address instead
// (the snapshot binds addresses to MACs as the portal and the neighbour table saw them).
// Before login: the walled garden (Host or SNI, or the destination address) and the portal's own
// host pass to the policy as usual; OS probe hosts never do, whatever the garden says
// (captive/probe_hosts.h); any other HTTP request gets 302 to the portal with the original URL,
// Cache-Control: no-store and Connection: close (never 511: Android and Firefox read 511 as "no
// internet" and show no login sheet); TLS and any other TCP get a reset, so browsers fail fast
// and operating systems fall back to their HTTP probe.
//
// The rules are built on the control plane with the policy and swapped with it on reload; the
// session snapshot is replaced on every login and logout (Worker::setCaptiveSessions). Both are
// immutable: no locks here.
#include <sys/socket.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "captive/session_snapshot.h"
#include "filters/destination_set.h"

namespace tollgate::proxy {

struct CaptiveRules {
  std::string portalUrl;          // the redirect target; the original URL is appended as ?url=
  std::string portalHost;         // portalUrl's host, lower case, no port: always reachable
  filters::DestinationSet garden;  // [captive] walled_garden

  // Throws std::runtime_error ("file:line: [captive] walled_garden: ...") for a bad entry.
  static std::shared_ptr<const CaptiveRules> build(const std::string& portalUrl,
                                                   const std::string& walledGarden,
                                                   const std::string& origin);
};
using CaptiveRulesPtr = std::shared_ptr<const CaptiveRules>;

enum class CaptiveVerdict {
  LoggedIn,  // a live session: the policy decides as for anyone
  Garden,    // not logged in, bound for the walled garden or the portal: the policy decides
  Redirect,  // not logged in, HTTP: 302 to the portal
  Reset,     // not logged in, TLS or other TCP: reset
};

struct CaptiveClient {
  const std::optional<captive::MacAddress>& mac;  // from the neighbour table
  const sockaddr_storage& address;
};

// `host`: the request's Host or the ClientHello's SNI (lower case, no port), empty for opaque
// TCP. `http`: an HTTP request (may be redirected) rather than a TLS/TCP flow (reset).
CaptiveVerdict judgeCaptive(const CaptiveRules& rules, const captive::SessionSnapshot* sessions,
                            const CaptiveClient& client, std::string_view host,
                            const sockaddr_storage& destination, bool http, captive::UnixTime now);

// The whole 302 response sending the client to the portal, `originalUrl` preserved.
std::string captiveRedirectResponse(const CaptiveRules& rules, std::string_view originalUrl);

}  // namespace tollgate::proxy
