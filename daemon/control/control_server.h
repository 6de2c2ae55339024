#pragma once
// The control socket behind tollgatectl: a Unix stream socket (mode 0600) served by one
// control-plane thread. Protocol: the client sends one line of words ("status", "reload"),
// the server answers one JSON object on one line and closes. Handlers may block (a reload
// runs nft) and may throw: errors become {"ok":false,"error":"..."}.
#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace tollgate::control {

class ControlServer {
 public:
  // Returns the JSON body of the reply (without the trailing newline).
  using Handler = std::function<std::string(const std::vector<std::string>& args)>;

  explicit ControlServer(std::string path) : path_(std::move(path)) {}
  ~ControlServer();

  void on(const std::string& verb, Handler handler) { handlers_[verb] = std::move(handler); }
  // Binds the socket (creating its directory) without serving it yet: the socket doubles as the
  // single-instance lock. Throws std::runtime_error naming the failing call.
  void bindSocket();
  // Starts serving (binding first if needed). Requests made in between wait in the backlog, so a
  // readiness probe never gets an answer from a half-started daemon.
  void start();
  void stop();

  // One request/response exchange with a server at `path` (used by tollgatectl and tests).
  // Throws std::runtime_error on connection failure.
  static std::string request(const std::string& path, const std::string& line, int timeoutMs = 30000);

 private:
  void run();
  void serve(int fd);

  std::string path_;
  std::map<std::string, Handler> handlers_;
  int listenFd_ = -1;
  bool bound_ = false;
  int wakePipe_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace tollgate::control
