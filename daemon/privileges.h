#pragma once
// Leaving root. Started as root outside a service manager, the daemon becomes [gateway] user
// before it starts anything, keeping only the three capabilities a gateway needs:
// - CAP_NET_ADMIN: nftables and policy routing (start, reload, stop), SO_MARK, IP_TRANSPARENT;
// - CAP_NET_RAW: IP_TRANSPARENT on upstream sockets (transparent_upstream);
// - CAP_NET_BIND_SERVICE: the captive portal on ports 80 and 443.
// They are kept in every set (permitted, effective, inheritable, bounding) and raised as ambient
// capabilities, because the daemon runs nft: without ambient capabilities a non-root process
// loses all of them at execve and nft could not load the ruleset on a reload or remove it at stop.
// Under systemd the unit does the same (User=, AmbientCapabilities=, CapabilityBoundingSet=) and
// this code stays out of the way.
#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "daemon/config/config.h"

namespace tollgate {

// What the start did about privileges, one name each (logged at start).
#define TOLLGATE_PRIVILEGE_OUTCOMES(X)                                                \
  X(dropped)         /* now gateway.user with the three network capabilities */       \
  X(service_manager) /* NOTIFY_SOCKET or INVOCATION_ID set: the unit applied User= */ \
  X(not_root)        /* started unprivileged: nothing to give up */                   \
  X(disabled)        /* gateway.user is empty: stays root */                          \
  X(no_such_user)    /* gateway.user does not exist here: stays root, with a warning */

enum class PrivilegeOutcome {
#define TOLLGATE_PRIVILEGE_ENUM(name) name,
  TOLLGATE_PRIVILEGE_OUTCOMES(TOLLGATE_PRIVILEGE_ENUM)
#undef TOLLGATE_PRIVILEGE_ENUM
};
std::string_view privilegeOutcomeName(PrivilegeOutcome outcome);

// The decision alone (no system calls): `userExists` only matters for a root start.
PrivilegeOutcome decidePrivilegeDrop(bool underServiceManager, uid_t euid, const std::string& user,
                                     bool userExists);

// A path the daemon writes after the drop and what would fail if the user cannot write there.
struct WrittenPath {
  std::string path;
  bool tree = false;   // the whole tree is the daemon's (cache.dir)
  bool isDir = false;  // a directory the daemon creates files in; otherwise one file
  std::string use;     // "the decision log's reopen after rotation", for the warning
};
// Everything the running daemon creates or rewrites, from its config.
std::vector<WrittenPath> writtenPaths(const config::Config& config);

// Decides, and for `dropped`: makes the daemon's own directories the user's (see
// privileges.cc), switches uid, gid and groups, keeps the three capabilities, sets
// no_new_privs, and warns about each directory the user still cannot write. Must run before any
// thread starts (threads keep the credentials they were created with). Throws
// std::runtime_error naming the failing call; the caller must not start as root after a throw.
PrivilegeOutcome dropPrivileges(const config::Config& config);

}  // namespace tollgate
