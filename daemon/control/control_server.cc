#include "daemon/control/control_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "daemon/core/diag.h"
#include "daemon/log/log_format.h"

namespace tollgate::control {

namespace {

std::runtime_error sysError(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

sockaddr_un unixAddress(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) throw std::runtime_error("control socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

void makeParentDirs(const std::string& path) {
  for (size_t pos = 1; (pos = path.find('/', pos)) != std::string::npos; ++pos) {
    auto dir = path.substr(0, pos);
    if (mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST) throw sysError("mkdir(" + dir + ")");
  }
}

std::string errorJson(const std::string& message) {
  std::string out = "{\"ok\":false,\"error\":";
  log::appendJsonString(message, out);
  out += "}";
  return out;
}

}  // namespace

ControlServer::~ControlServer() { stop(); }

void ControlServer::start() {
  if (listenFd_ < 0) bindSocket();
  if (pipe2(wakePipe_, O_CLOEXEC) < 0) throw sysError("pipe2");
  thread_ = std::thread([this] { run(); });
}

void ControlServer::bindSocket() {
  makeParentDirs(path_);
  auto addr = unixAddress(path_);
  listenFd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listenFd_ < 0) throw sysError("socket(AF_UNIX)");
  // A stale socket from a crashed daemon would make bind fail; a live one means a second daemon.
  try {
    request(path_, "ping", 500);
    throw std::runtime_error("control socket " + path_ + " is in use: is another tollgated running?");
  } catch (const std::runtime_error& e) {
    if (std::string(e.what()).find("in use") != std::string::npos) throw;
  }
  unlink(path_.c_str());
  mode_t old = umask(0177);  // the socket is created 0600: only root talks to the daemon
  int rc = bind(listenFd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  umask(old);
  if (rc < 0) throw sysError("bind(" + path_ + ")");
  bound_ = true;
  if (listen(listenFd_, 16) < 0) throw sysError("listen(" + path_ + ")");
}

void ControlServer::stop() {
  if (thread_.joinable()) {
    [[maybe_unused]] auto n = write(wakePipe_[1], "x", 1);
    thread_.join();
  }
  for (int* fd : {&listenFd_, &wakePipe_[0], &wakePipe_[1]}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
  // Only a socket this instance bound is ours to remove: a second daemon that failed to start
  // must not delete the running one's socket.
  if (bound_) unlink(path_.c_str());
  bound_ = false;
}

void ControlServer::run() {
  while (true) {
    pollfd fds[2] = {{listenFd_, POLLIN, 0}, {wakePipe_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    int fd = accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    timeval tv{5, 0};  // a client that never sends its line must not hold the control plane
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    serve(fd);
    ::close(fd);
  }
}

void ControlServer::serve(int fd) {
  std::string line;
  char buf[1024];
  while (line.find('\n') == std::string::npos && line.size() < 4096) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  if (auto nl = line.find('\n'); nl != std::string::npos) line.resize(nl);
  std::vector<std::string> words;
  std::istringstream in(line);
  for (std::string w; in >> w;) words.push_back(w);
  std::string reply;
  if (words.empty()) {
    reply = errorJson("empty request");
  } else if (words[0] == "ping") {
    reply = "{\"ok\":true}";
  } else if (auto it = handlers_.find(words[0]); it == handlers_.end()) {
    reply = errorJson("unknown command '" + words[0] + "'");
  } else {
    try {
      reply = it->second(words);
    } catch (const std::exception& e) {
      reply = errorJson(e.what());
    }
  }
  reply += '\n';
  size_t off = 0;
  while (off < reply.size()) {
    ssize_t n = send(fd, reply.data() + off, reply.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
}

std::string ControlServer::request(const std::string& path, const std::string& line, int timeoutMs) {
  auto addr = unixAddress(path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw sysError("socket(AF_UNIX)");
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    auto err = sysError("connect(" + path + ")");
    ::close(fd);
    throw err;
  }
  timeval tv{timeoutMs / 1000, (timeoutMs % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string req = line + "\n";
  send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string reply;
  char buf[4096];
  while (true) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    reply.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (reply.empty()) throw std::runtime_error("no reply from " + path);
  while (!reply.empty() && reply.back() == '\n') reply.pop_back();
  return reply;
}

}  // namespace tollgate::control
