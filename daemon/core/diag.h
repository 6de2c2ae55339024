#pragma once
// Daemon diagnostics on standard error (journald adds the timestamps under systemd).
// Control plane only: workers count outcomes instead of printing them.
#include <string>

namespace tollgate::diag {

enum class Level { Debug, Info, Warning, Error };
void setLevel(const std::string& level);
void debug(const std::string& msg);
void info(const std::string& msg);
void warning(const std::string& msg);
void error(const std::string& msg);

}  // namespace tollgate::diag
