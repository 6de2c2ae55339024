#include "daemon/core/counters.h"

namespace tollgate {

std::string_view counterName(Counter c) {
  static constexpr std::string_view kNames[] = {
#define TOLLGATE_COUNTER_NAME(name) #name,
      TOLLGATE_COUNTERS(TOLLGATE_COUNTER_NAME)
#undef TOLLGATE_COUNTER_NAME
  };
  auto i = static_cast<unsigned>(c);
  return i < kCounterCount ? kNames[i] : std::string_view("unknown");
}

}  // namespace tollgate
