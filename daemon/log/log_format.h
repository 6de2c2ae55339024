#pragma once
// Turns a DecisionRecord into one log line: JSON (one object per line) or Squid's native
// access.log format, which SARG and Calamaris read.
#include <string>

#include "daemon/log/decision_record.h"

namespace tollgate::log {

void appendJsonLine(const DecisionRecord& r, std::string& out);
void appendSquidLine(const DecisionRecord& r, std::string& out);

// Helpers shared with other writers.
std::string formatAddress(const sockaddr_storage& ss);  // "10.0.0.1" or "fd00::1", no port
int addressPort(const sockaddr_storage& ss);
void appendJsonString(std::string_view s, std::string& out);

}  // namespace tollgate::log
