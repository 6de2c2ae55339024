#pragma once
// Shared by the captive-portal tests: a temporary directory for database files that must
// survive a close and reopen, and a fixed wall-clock origin so times read as offsets.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <string>

namespace tollgate::captive::testing {

// 2023-11-14 22:13:20 UTC: any fixed instant works; a round one makes failures readable.
inline const std::chrono::sys_seconds kT0{std::chrono::seconds{1'700'000'000}};

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tollgate-captive-XXXXXX");
    if (::mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace tollgate::captive::testing
