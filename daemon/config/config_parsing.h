#pragma once
// The value parsers and the option-table shape shared by config.cc and the per-feature option
// files (captive_options.cc): one spelling of "a boolean", "a list", "a port" for every key.
// Internal to daemon/config; everything throws ConfigError without a location, which the reader
// prefixes with file:line.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/config/config.h"

namespace tollgate::config::detail {

std::string trim(std::string_view s);
std::string lower(std::string s);
std::vector<std::string> splitList(const std::string& value);  // comma-separated, trimmed
uint64_t parseUnsigned(const std::string& text, uint64_t max);  // decimal or 0x hex
bool parseBool(const std::string& text);
std::vector<uint16_t> parsePorts(const std::string& text);
void checkCidr(const std::string& text);
// "10.0.0.1:8080", "[fd00::1]:8080": a literal address (listeners bind to the gateway's own
// addresses, never to a name resolved once at start) and a non-zero port.
void checkListenAddress(const std::string& text);

template <typename E>
E parseEnum(const std::string& text, std::initializer_list<std::pair<const char*, E>> choices) {
  auto v = lower(text);
  std::string names;
  for (auto& [name, value] : choices) {
    if (v == name) return value;
    names += names.empty() ? name : std::string("|") + name;
  }
  throw ConfigError("'" + text + "' is not one of " + names);
}

struct OptionSpec {
  const char* section;
  const char* key;
  std::function<void(Config&, const std::string&)> apply;
};

inline uint32_t toU32(uint64_t v) { return static_cast<uint32_t>(v); }

// Throws ConfigError at the line of the first of `keys` the file set ("section.key"), else at
// the file: the error points at the line to change.
[[noreturn]] void failAt(const std::string& source, const std::map<std::string, int>& lines,
                         std::initializer_list<const char*> keys, const std::string& why);

// [captive] and [radius] (captive_options.cc).
std::vector<OptionSpec> captiveOptions();
void validateCaptive(Config& c, const std::string& source, const std::map<std::string, int>& lines);

}  // namespace tollgate::config::detail
