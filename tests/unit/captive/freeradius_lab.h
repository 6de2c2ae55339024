#pragma once
// A real FreeRADIUS for the RADIUS client's tests: a minimal config written to a temporary
// directory, the server run in the foreground on kernel-chosen loopback ports, and killed (and
// its directory removed) by the destructor. It also dies with the test process
// (PR_SET_PDEATHSIG), so a crashed test leaves nothing behind.
//
// The config (written by writeConfig below): modules expr (for %{md5:}), pap, files (the users
// file), detail and linelog; an inline acct_unique policy; listeners for auth and acct on
// 127.0.0.1 and auth on ::1 when the host has it; one client per loopback address with
// require_message_authenticator = yes, so the server drops any Access-Request whose
// Message-Authenticator is missing or wrong; reject_delay 0 so rejects come at once.
// FreeRADIUS 3.2.1 (Debian 12) adds a Message-Authenticator to an answer only when the reply
// list holds one, so post-auth puts "Message-Authenticator := 0x00" in every answer except to
// the user "nomsgauth", who stands for a server without BlastRADIUS fixes.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace tollgate::captive::testing {

// 10 s times TOLLGATE_TEST_TIMEOUT_SCALE (default 1), the bound of every wait here.
inline std::chrono::milliseconds scaled(std::chrono::milliseconds base) {
  double scale = 1;
  if (const char* s = std::getenv("TOLLGATE_TEST_TIMEOUT_SCALE")) scale = std::atof(s);
  if (scale <= 0) scale = 1;
  return std::chrono::milliseconds(static_cast<int64_t>(static_cast<double>(base.count()) * scale));
}

inline std::string readWholeFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A UDP port on `host` ("127.0.0.1" or "::1") free when asked; the socket stays bound (so
// two calls differ) until the caller closes it. 0 if the address cannot be bound.
inline uint16_t reserveUdpPort(bool v6, int& fd) {
  fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_storage a{};
  socklen_t len;
  if (v6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&a);
    in6->sin6_family = AF_INET6;
    in6->sin6_addr = in6addr_loopback;
    len = sizeof *in6;
  } else {
    auto* in = reinterpret_cast<sockaddr_in*>(&a);
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *in;
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return 0;
  return ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&a)->sin6_port
                  : reinterpret_cast<sockaddr_in*>(&a)->sin_port);
}

class FreeRadiusLab {
 public:
  static constexpr const char* kSecret = "testing123-loopback";

  // The server binary, or empty when FreeRADIUS is not installed.
  static std::string binary() {
    for (const char* p : {"/usr/sbin/freeradius", "/usr/sbin/radiusd", "/usr/local/sbin/radiusd"})
      if (::access(p, X_OK) == 0) return p;
    return {};
  }

  ~FreeRadiusLab() { stop(); }

  // Empty on success, else what failed (with the server's log). Retries with new ports if
  // another process took one between the choice and the server's bind.
  std::string start() {
    std::string why;
    for (int attempt = 0; attempt < 3; ++attempt) {
      why = startOnce();
      if (why.empty()) return why;
      stop();
    }
    return why;
  }

  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      const auto until = std::chrono::steady_clock::now() + scaled(std::chrono::seconds(5));
      int status = 0;
      while (::waitpid(pid_, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > until) {
          ::kill(pid_, SIGKILL);
          ::waitpid(pid_, &status, 0);
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      pid_ = -1;
    }
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
      dir_.clear();
    }
  }

  uint16_t authPort() const { return authPort_; }
  uint16_t acctPort() const { return acctPort_; }
  uint16_t auth6Port() const { return auth6Port_; }  // 0 without IPv6 loopback
  std::string detail() const { return readWholeFile(dir_ / "acct" / "detail"); }
  std::string linelog() const { return readWholeFile(dir_ / "log" / "linelog"); }
  std::string log() const { return readWholeFile(dir_ / "log" / "radius.log"); }

 private:
  std::string startOnce() {
    char pattern[] = "/tmp/tollgate-freeradius.XXXXXX";
    if (::mkdtemp(pattern) == nullptr) return "mkdtemp failed";
    dir_ = pattern;
    for (const char* sub : {"log", "acct", "run"}) std::filesystem::create_directory(dir_ / sub);
    int fds[3] = {-1, -1, -1};
    authPort_ = reserveUdpPort(false, fds[0]);
    acctPort_ = reserveUdpPort(false, fds[1]);
    auth6Port_ = reserveUdpPort(true, fds[2]);
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
    if (authPort_ == 0 || acctPort_ == 0) return "no free UDP port on 127.0.0.1";
    writeConfig();

    const std::string bin = binary(), conf = dir_.string(), out = (dir_ / "stdout").string();
    const char* argv[] = {bin.c_str(), "-f", "-d", conf.c_str(), nullptr};
    pid_ = ::fork();
    if (pid_ < 0) return "fork failed";
    if (pid_ == 0) {  // only async-signal-safe calls until exec
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execv(argv[0], const_cast<char* const*>(argv));
      ::_exit(127);
    }
    // Ready when the log says so; bounded, and an early exit is reported with the log.
    const auto until = std::chrono::steady_clock::now() + scaled(std::chrono::seconds(10));
    for (;;) {
      if (log().find("Ready to process requests") != std::string::npos) return {};
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return "freeradius exited: " + log() + readWholeFile(dir_ / "stdout");
      }
      if (std::chrono::steady_clock::now() > until) return "freeradius not ready: " + log();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  void writeConfig() const {
    const std::string d = dir_.string();
    std::ofstream(dir_ / "radiusd.conf")
        << R"(
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
raddbdir = )"
        << d << R"(
confdir = ${raddbdir}
modconfdir = ${confdir}
logdir = ${raddbdir}/log
radacctdir = ${raddbdir}/acct
run_dir = ${raddbdir}/run
db_dir = ${raddbdir}
libdir = /usr/lib/freeradius
pidfile = ${run_dir}/radiusd.pid
name = freeradius
max_request_time = 30
cleanup_delay = 5
max_requests = 1024
hostname_lookups = no
log {
  destination = files
  file = ${logdir}/radius.log
  auth = yes
}
security {
  allow_core_dumps = no
  max_attributes = 200
  reject_delay = 0
  status_server = no
}
thread pool {
  start_servers = 2
  max_servers = 8
  min_spare_servers = 1
  max_spare_servers = 4
  max_requests_per_server = 0
}
$INCLUDE clients.conf
modules {
  expr {
  }
  pap {
  }
  files {
    filename = ${confdir}/users
  }
  detail {
    filename = ${radacctdir}/detail
    permissions = 0600
    header = "%t"
  }
  linelog {
    filename = ${logdir}/linelog
    permissions = 0600
    format = "%{Packet-Type} %{User-Name}"
    reference = "messages.%{%{Acct-Status-Type}:-default}"
    messages {
      default = "%{Packet-Type} user=%{User-Name}"
      Start = "Start session=%{Acct-Session-Id} user=%{User-Name} cli=%{Calling-Station-Id} ip=%{Framed-IP-Address} class=%{Class}"
      Interim-Update = "Interim-Update session=%{Acct-Session-Id} in=%{Acct-Input-Octets}/%{Acct-Input-Gigawords} out=%{Acct-Output-Octets}/%{Acct-Output-Gigawords} time=%{Acct-Session-Time}"
      Stop = "Stop session=%{Acct-Session-Id} in=%{Acct-Input-Octets}/%{Acct-Input-Gigawords} out=%{Acct-Output-Octets}/%{Acct-Output-Gigawords} time=%{Acct-Session-Time} cause=%{Acct-Terminate-Cause}"
    }
  }
}
policy {
  acct_unique {
    update request {
      &Acct-Unique-Session-Id := "%{md5:%{User-Name},%{Acct-Session-Id},%{NAS-Identifier},%{Calling-Station-Id}}"
    }
  }
}
server default {
  listen {
    type = auth
    ipaddr = 127.0.0.1
    port = )"
        << authPort_ << R"(
  }
  listen {
    type = acct
    ipaddr = 127.0.0.1
    port = )"
        << acctPort_ << R"(
  }
)"
        << (auth6Port_ ? "  listen {\n    type = auth\n    ipv6addr = ::1\n    port = " +
                             std::to_string(auth6Port_) + "\n  }\n"
                       : std::string())
        << R"(
  authorize {
    files
    pap
  }
  authenticate {
    Auth-Type PAP {
      pap
    }
  }
  preacct {
    acct_unique
  }
  accounting {
    detail
    linelog
  }
  post-auth {
    if (&User-Name != "nomsgauth") {
      update reply {
        &Message-Authenticator := 0x00
      }
    }
    Post-Auth-Type REJECT {
      update {
        &reply: !* ANY
      }
      update reply {
        &Reply-Message := "Login incorrect"
        &Message-Authenticator := 0x00
      }
    }
  }
}
)";
    std::ofstream(dir_ / "clients.conf")
        << "client loopback {\n  ipaddr = 127.0.0.1\n  secret = " << kSecret
        << "\n  require_message_authenticator = yes\n}\n"
           "client loopback6 {\n  ipv6addr = ::1\n  secret = "
        << kSecret << "\n  require_message_authenticator = yes\n}\n";
    std::ofstream(dir_ / "users") << R"(alice Cleartext-Password := "wonderland"
	Session-Timeout = 3600,
	Idle-Timeout = 600,
	Acct-Interim-Interval = 300,
	Reply-Message = "Welcome, alice",
	Class = 0x746f6c6c676174652d636c617373,
	WISPr-Bandwidth-Max-Up = 1000000,
	WISPr-Bandwidth-Max-Down = 5000000,
	ChilliSpot-Max-Total-Octets = 1048576

nomsgauth Cleartext-Password := "plain"
	Session-Timeout = 60
)";
  }

  std::filesystem::path dir_;
  pid_t pid_ = -1;
  uint16_t authPort_ = 0, acctPort_ = 0, auth6Port_ = 0;
};

}  // namespace tollgate::captive::testing
