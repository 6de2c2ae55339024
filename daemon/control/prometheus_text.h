#pragma once
// The metrics endpoint's body: every counter of the daemon in the Prometheus text exposition
// format 0.0.4. Pure rendering: the daemon gathers a MetricsSnapshot (the same sums as
// `tollgatectl status`), this file names and formats it, so tests need no daemon.
//
// Naming: tollgate_<counter>_total for every data-plane counter, unchanged (grep one name in
// counters.h, the status JSON and the scrape alike), except the families whose counters are
// one outcome split by a word, which become one metric with a label:
//   connections_{http,tls,tcp}  → tollgate_connections_total{protocol="http"}
//   decisions_{allow,block,...} → tollgate_decisions_total{action="block"}
//   bytes_{client_to_upstream,upstream_to_client} → tollgate_bytes_total{direction="..."}
//   nfq_{accepted,dropped}      → tollgate_nfq_verdicts_total{verdict="accept|drop"}
// (the other nfq_* and quic_* counters of the packet inspector keep their names).
// Durations are exported in seconds, sizes in bytes, with the unit in the name.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/cache/object_store.h"
#include "daemon/core/counters.h"
#include "daemon/core/histogram.h"
#include "daemon/log/decision_tally.h"
#include "nf/neighbour_table.h"

namespace tollgate::control {

// A label value as the format wants it: backslash, double quote and newline escaped.
std::string escapeLabelValue(std::string_view value);
// Microseconds as a decimal number of seconds without trailing zeros ("0.0005", "2.5", "5").
std::string formatSeconds(uint64_t micros);

// Appends families to one text. Each family is written whole (HELP, TYPE, then its samples),
// as the format requires; the writer refuses a family name it has already written, so two
// sources of the same name can never produce a scrape Prometheus rejects.
class PrometheusWriter {
 public:
  enum class Type { Counter, Gauge, Histogram };
  using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

  // Writes # HELP and # TYPE for `name` (the full name: tollgate_..._total for a counter).
  // False when `name` was written before; the caller then skips its samples.
  bool family(std::string_view name, Type type, std::string_view help);
  void sample(std::string_view name, const Labels& labels, uint64_t value);
  void sample(std::string_view name, const Labels& labels, int64_t value);
  // Raw value text (seconds as formatSeconds gives them).
  void sample(std::string_view name, const Labels& labels, std::string_view value);
  // One-sample families.
  void counter(std::string_view name, std::string_view help, uint64_t value);
  void gauge(std::string_view name, std::string_view help, int64_t value);
  // A whole histogram in seconds: cumulative _bucket{le="..."} up to le="+Inf", _sum, _count.
  void histogram(std::string_view name, std::string_view help, const LatencyHistogram::Snapshot& h);

  std::string take() { return std::move(out_); }

 private:
  std::string out_;
  std::vector<std::string> written_;
};

struct MetricsSnapshot {
  std::string version;
  std::array<uint64_t, kCounterCount> counters{};  // summed over workers
  int64_t activeConnections = 0;
  LatencyHistogram::Snapshot upstreamConnect;
  LatencyHistogram::Snapshot firstByte;
  unsigned workers = 0;
  int64_t uptimeSeconds = 0;
  uint64_t reloads = 0;
  uint64_t logLinesWritten = 0;
  uint64_t logLinesFailed = 0;
  std::vector<log::DecisionTally::Entry> decisions;  // by (action, list, group)
  uint64_t decisionLabelOverflows = 0;
  std::optional<cache::StoreStats> cacheStore;  // [cache] enabled
  uint64_t cacheDiskLimit = 0;
  std::optional<nf::NeighbourTable::Counters> neighbours;  // the table is running
  // The captive portal's counts (CaptivePortal::statusFields).
  std::vector<std::pair<std::string, int64_t>> captive;
  uint64_t metricsScrapes = 0;  // MetricsServer's own outcomes
  uint64_t metricsRefused = 0;
};

// The whole scrape body.
std::string renderMetrics(const MetricsSnapshot& s);


}  // namespace tollgate::control
