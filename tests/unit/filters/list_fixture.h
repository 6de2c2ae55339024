#pragma once
// Test helpers for the list loaders: a temporary folder removed at the end of the test, and
// writers for plain and gzip fixture files (so tests show their input next to their checks).
#include <Poco/DeflatingStream.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "filters/list.h"

namespace tollgate::filters::list_testing {

class TempDir {
 public:
  TempDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "tollgate-lists-XXXXXX").string();
    path_ = mkdtemp(templ.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

  std::string write(const std::string& name, const std::string& content) const {
    std::string p = path_ + "/" + name;
    std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  std::string writeGzip(const std::string& name, const std::string& content) const {
    std::string p = path_ + "/" + name;
    std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    std::ofstream out(p, std::ios::binary);
    Poco::DeflatingOutputStream gz(out, Poco::DeflatingStreamBuf::STREAM_GZIP);
    gz << content;
    gz.close();
    return p;
  }

 private:
  std::string path_;
};

inline ListSpec spec(const std::string& format, const std::string& path,
                     const std::string& name = "test") {
  ListSpec s;
  s.name = name;
  s.format = format;
  s.path = path;
  s.configFile = "/etc/tollgate/tollgate.conf";
  s.configLine = 42;
  return s;
}

// Loads a one-list format and returns that list.
inline CompiledListPtr loadOne(const std::string& format, const std::string& path) {
  auto lists = loadList(spec(format, path));
  return lists.at(0);
}

inline std::optional<EntryOrigin> matchHost(const CompiledList& list, std::string_view host) {
  MatchInput in;
  in.host = host;
  return list.match(in);
}

inline std::optional<EntryOrigin> matchUrl(const CompiledList& list, std::string_view url) {
  MatchInput in;
  in.url = url;
  in.host = url.substr(0, url.find_first_of("/?"));
  return list.match(in);
}

inline sockaddr_storage address(const std::string& text) {
  sockaddr_storage ss{};
  if (inet_pton(AF_INET, text.c_str(), &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr) == 1) {
    ss.ss_family = AF_INET;
  } else if (inet_pton(AF_INET6, text.c_str(),
                       &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr) == 1) {
    ss.ss_family = AF_INET6;
  }
  return ss;
}

}  // namespace tollgate::filters::list_testing
