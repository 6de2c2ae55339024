#include "daemon/privileges.h"

#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "daemon/core/diag.h"
#include "daemon/core/sd_notify.h"

namespace tollgate {

namespace {

const cap_value_t kKept[] = {CAP_NET_ADMIN, CAP_NET_RAW, CAP_NET_BIND_SERVICE};
constexpr int kKeptCount = sizeof kKept / sizeof kKept[0];

bool isKept(cap_value_t c) {
  for (cap_value_t k : kKept)
    if (k == c) return true;
  return false;
}

std::runtime_error sysError(const std::string& call) {
  return std::runtime_error(call + ": " + std::strerror(errno));
}

std::string capName(cap_value_t c) {
  char* n = cap_to_name(c);
  std::string s = n ? n : "cap_" + std::to_string(c);
  cap_free(n);
  return s;
}

std::string keptNames() {
  std::string s;
  for (cap_value_t c : kKept) s += (s.empty() ? "" : ",") + capName(c);
  return s;
}

struct User {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};

bool lookUpUser(const std::string& name, User* out) {
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || !found) return false;
  *out = User{name, pw.pw_uid, pw.pw_gid};
  return true;
}

std::string dirOf(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string baseOf(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Credentials are per thread in Linux; glibc applies setuid() to every thread but capabilities
// and keepcaps only to the caller, so a thread started earlier would run with no capabilities.
void requireSingleThread() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("Threads:", 0) == 0 && std::stoi(line.substr(8)) != 1)
      throw std::runtime_error("privilege drop with " + line.substr(8) +
                               " threads running: it must happen before any thread starts");
  }
}

void chownPath(const std::string& path, const User& u) {
  if (::lchown(path.c_str(), u.uid, u.gid) != 0) throw sysError("lchown(" + path + ")");
}

// mkdir -p. Missing parents are root's (0755), the leaf is the user's with `mode`.
void makeOwnedDir(const std::string& path, mode_t mode, const User& u) {
  std::string parent = dirOf(path);
  struct stat st {};
  if (parent != path && ::stat(parent.c_str(), &st) != 0)
    makeOwnedDir(parent, 0755, User{"root", 0, 0});
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) throw sysError("mkdir(" + path + ")");
  chownPath(path, u);
}

const User* gTreeOwner = nullptr;  // nftw has no user pointer

int chownEntry(const char* path, const struct stat* st, int, FTW*) {
  if (st->st_uid == gTreeOwner->uid && st->st_gid == gTreeOwner->gid) return 0;
  return ::lchown(path, gTreeOwner->uid, gTreeOwner->gid) == 0 ? 0 : -1;
}

// Gives the user what the daemon will write, while we are still root. A directory is changed
// only when it is the daemon's own: cache.dir (the whole tree: objects a root run stored), one
// this call creates, or one named "tollgate" (/run/tollgate, /var/log/tollgate,
// /var/lib/tollgate). A shared directory (/var/log, /tmp) is never made the user's; files the
// daemon made there as root are. lchown and FTW_PHYS never follow a symbolic link.
int handOver(const config::Config& config, const User& u) {
  int changed = 0;
  for (const auto& w : writtenPaths(config)) {
    struct stat st {};
    bool exists = ::lstat(w.path.c_str(), &st) == 0;
    if (w.tree) {
      if (!exists) makeOwnedDir(w.path, 0700, u);
      gTreeOwner = &u;
      if (::nftw(w.path.c_str(), chownEntry, 16, FTW_PHYS | FTW_MOUNT) != 0)
        throw sysError("chown -R " + w.path);
      ++changed;
    } else if (w.isDir) {
      if (!exists) {
        makeOwnedDir(w.path, 0750, u);
        ++changed;
      } else if (S_ISDIR(st.st_mode) && baseOf(w.path) == "tollgate" &&
                 (st.st_uid != u.uid || st.st_gid != u.gid)) {
        chownPath(w.path, u);
        ++changed;
      }
    } else if (exists && (S_ISREG(st.st_mode) || S_ISSOCK(st.st_mode)) &&
               (st.st_uid != u.uid || st.st_gid != u.gid)) {
      chownPath(w.path, u);
      ++changed;
    }
  }
  return changed;
}

// The bounding set first (it needs CAP_SETPCAP, gone after setuid), then the user, then the
// three capabilities back in every set; PR_SET_KEEPCAPS carries the permitted set over setuid.
void becomeUser(const User& u) {
  cap_t now = cap_get_proc();
  if (!now) throw sysError("cap_get_proc");
  for (cap_value_t c : kKept) {
    cap_flag_value_t v = CAP_CLEAR;
    cap_get_flag(now, c, CAP_PERMITTED, &v);
    if (v != CAP_SET) {
      cap_free(now);
      throw std::runtime_error("cannot keep " + capName(c) +
                               ": this root process does not hold it");
    }
  }
  cap_free(now);
  for (cap_value_t c = 0; c < cap_max_bits(); ++c) {
    if (!isKept(c) && cap_get_bound(c) == 1 && cap_drop_bound(c) != 0)
      throw sysError("cap_drop_bound(" + capName(c) + ")");
  }
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) throw sysError("prctl(PR_SET_KEEPCAPS)");
  if (::initgroups(u.name.c_str(), u.gid) != 0) throw sysError("initgroups(" + u.name + ")");
  if (::setresgid(u.gid, u.gid, u.gid) != 0)
    throw sysError("setresgid(" + std::to_string(u.gid) + ")");
  if (::setresuid(u.uid, u.uid, u.uid) != 0)
    throw sysError("setresuid(" + std::to_string(u.uid) + ")");

  cap_t want = cap_init();
  for (auto flag : {CAP_PERMITTED, CAP_EFFECTIVE, CAP_INHERITABLE})
    cap_set_flag(want, flag, kKeptCount, kKept, CAP_SET);
  int rc = cap_set_proc(want);
  int err = errno;
  if (rc == 0) {
    // Ambient needs the capability permitted and inheritable, as set just above.
    for (cap_value_t c : kKept) {
      if (cap_set_ambient(c, CAP_SET) != 0) {
        err = errno;
        rc = -1;
        break;
      }
    }
  }
  cap_t got = cap_get_proc();
  bool same = got && cap_compare(want, got) == 0;
  cap_free(got);
  cap_free(want);
  errno = err;
  if (rc != 0) throw sysError("cap_set_proc/cap_set_ambient(" + keptNames() + ")");
  if (!same) throw std::runtime_error("capabilities after the drop differ from " + keptNames());
  ::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  // What the unit's NoNewPrivileges= does: no setuid program or file capability can give
  // back what was dropped. Ambient capabilities still reach nft.
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) throw sysError("prctl(PR_SET_NO_NEW_PRIVS)");
  // setuid() made the process undumpable. A unit's User= process is dumpable, and a core file
  // is how a crash gets diagnosed; everything in memory was read as this user anyway.
  ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  // The drop must be one-way (CERT POS37-C).
  if (::setresuid(0, 0, 0) == 0) throw std::runtime_error("setresuid(0) succeeded after the drop");
}

// access() checks the real uid, which is now the user's: exactly what the daemon will meet.
void warnUnwritable(const config::Config& config, const std::string& user) {
  for (const auto& w : writtenPaths(config)) {
    struct stat st {};
    if (!w.isDir && ::lstat(w.path.c_str(), &st) != 0) continue;  // created in its directory
    if (::access(w.path.c_str(), w.isDir ? (W_OK | X_OK) : W_OK) != 0) {
      diag::warning("privileges: user " + user + " cannot write " + w.path + " (" +
                    std::strerror(errno) + "): " + w.use + " will fail; make it the user's");
    }
  }
}

}  // namespace

std::string_view privilegeOutcomeName(PrivilegeOutcome outcome) {
  switch (outcome) {
#define TOLLGATE_PRIVILEGE_NAME(name) \
  case PrivilegeOutcome::name:        \
    return #name;
    TOLLGATE_PRIVILEGE_OUTCOMES(TOLLGATE_PRIVILEGE_NAME)
#undef TOLLGATE_PRIVILEGE_NAME
  }
  return "unknown";
}

PrivilegeOutcome decidePrivilegeDrop(bool underServiceManager, uid_t euid, const std::string& user,
                                     bool userExists) {
  if (underServiceManager) return PrivilegeOutcome::service_manager;
  if (euid != 0) return PrivilegeOutcome::not_root;
  if (user.empty()) return PrivilegeOutcome::disabled;
  return userExists ? PrivilegeOutcome::dropped : PrivilegeOutcome::no_such_user;
}

std::vector<WrittenPath> writtenPaths(const config::Config& config) {
  std::vector<WrittenPath> out;
  if (config.cache.enabled) out.push_back({config.cache.dir, true, true, "the cache store"});
  if (!config.control.socket.empty()) {
    out.push_back(
        {dirOf(config.control.socket), false, true, "binding and removing the control socket"});
  }
  const auto& log = config.log.decisions;
  if (!log.empty() && log != "-") {
    out.push_back({log, false, false, "the decision log"});
    out.push_back({dirOf(log), false, true, "reopening the decision log after it was moved"});
  }
  if (config.captive.enabled && !config.captive.database.empty()) {
    const auto& db = config.captive.database;
    out.push_back({dirOf(db), false, true, "the sessions database (SQLite journals beside it)"});
    for (const char* suffix : {"", "-journal", "-wal", "-shm"})
      out.push_back({db + suffix, false, false, "the sessions database"});
  }
  return out;
}

PrivilegeOutcome dropPrivileges(const config::Config& config) {
  const std::string& name = config.gateway.user;
  User user;
  bool exists = !name.empty() && ::geteuid() == 0 && lookUpUser(name, &user);
  auto outcome = decidePrivilegeDrop(sd::underServiceManager(), ::geteuid(), name, exists);
  switch (outcome) {
    case PrivilegeOutcome::dropped:
      break;
    case PrivilegeOutcome::no_such_user:
      diag::warning("privileges: user " + name +
                    " does not exist, running as root (create it with systemd-sysusers, or "
                    "leave [gateway] user empty to run as root on purpose)");
      return outcome;
    case PrivilegeOutcome::disabled:
      diag::info("privileges: running as root ([gateway] user is empty)");
      return outcome;
    default:
      diag::debug("privileges: " + std::string(privilegeOutcomeName(outcome)));
      return outcome;
  }
  requireSingleThread();
  int changed = handOver(config, user);
  becomeUser(user);
  warnUnwritable(config, name);
  diag::info("privileges: running as " + name + " (uid " + std::to_string(user.uid) + ", gid " +
             std::to_string(user.gid) + ") with " + keptNames() + "; " + std::to_string(changed) +
             " path(s) handed over");
  return outcome;
}

}  // namespace tollgate
