#include "daemon/control/prometheus_text.h"

#include <algorithm>
#include <cctype>

namespace tollgate::control {

namespace {

// Counters that are one outcome split by a word: exported as one metric with a label, so a
// dashboard sums or splits them without listing names. Every other counter keeps its name.
struct Split {
  Counter counter;
  std::string_view family;  // tollgate_<family>_total
  std::string_view label;
  std::string_view value;
};
constexpr Split kSplits[] = {
    {Counter::connections_http, "connections", "protocol", "http"},
    {Counter::connections_tls, "connections", "protocol", "tls"},
    {Counter::connections_tcp, "connections", "protocol", "tcp"},
    {Counter::decisions_allow, "decisions", "action", "allow"},
    {Counter::decisions_block, "decisions", "action", "block"},
    {Counter::decisions_log, "decisions", "action", "log"},
    {Counter::decisions_redirect, "decisions", "action", "redirect"},
    {Counter::bytes_client_to_upstream, "bytes", "direction", "client_to_upstream"},
    {Counter::bytes_upstream_to_client, "bytes", "direction", "upstream_to_client"},
    {Counter::nfq_accepted, "nfq_verdicts", "verdict", "accept"},
    {Counter::nfq_dropped, "nfq_verdicts", "verdict", "drop"},
};

std::string_view splitHelp(std::string_view family) {
  if (family == "connections")
    return "Intercepted connections, by the protocol their destination port is classified as.";
  if (family == "decisions")
    return "Policy decisions (HTTP requests, TLS and TCP connections), by action.";
  if (family == "nfq_verdicts")
    return "Verdicts given to packets the kernel queued to the packet inspector (NFQUEUE).";
  return "Bytes relayed between clients and origins, by direction; added when a decision is "
         "logged.";
}

bool isSplit(Counter c) {
  return std::any_of(std::begin(kSplits), std::end(kSplits),
                     [c](const Split& s) { return s.counter == c; });
}

std::string prefixed(std::string_view stem, std::string_view suffix = "") {
  std::string name = "tollgate_";
  for (char ch : stem) name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  name += suffix;
  return name;
}

std::string escapeHelp(std::string_view help) {
  std::string out;
  for (char ch : help) {
    if (ch == '\\')
      out += "\\\\";
    else if (ch == '\n')
      out += "\\n";
    else
      out += ch;
  }
  return out;
}

void appendLabels(std::string& out, const PrometheusWriter::Labels& labels) {
  if (labels.empty()) return;
  out += '{';
  bool first = true;
  for (auto& [name, value] : labels) {
    if (!first) out += ',';
    first = false;
    out += name;
    out += "=\"";
    out += escapeLabelValue(value);
    out += '"';
  }
  out += '}';
}

void writeCache(PrometheusWriter& w, const cache::StoreStats& s, uint64_t diskLimit) {
  w.gauge("tollgate_cache_objects", "Objects in the cache index.", static_cast<int64_t>(s.objects));
  w.gauge("tollgate_cache_disk_bytes", "Disk used by cached objects (rounded up to blocks).",
          static_cast<int64_t>(s.diskBytes));
  w.gauge("tollgate_cache_disk_limit_bytes", "[cache] size: the disk budget.",
          static_cast<int64_t>(diskLimit));
  w.gauge("tollgate_cache_memory_bytes", "Bodies held in the memory tier.",
          static_cast<int64_t>(s.memoryBytes));
  w.gauge("tollgate_cache_memory_objects", "Objects whose body is in the memory tier.",
          static_cast<int64_t>(s.memoryObjects));
  w.gauge("tollgate_cache_writing", "Fetches that claimed a key and have not ended.",
          static_cast<int64_t>(s.writing));
  w.gauge("tollgate_cache_backlog_bytes", "Bytes appended by writers, not yet on disk.",
          static_cast<int64_t>(s.backlogBytes));
  w.gauge("tollgate_cache_reserved_bytes", "Disk set aside for objects being written.",
          static_cast<int64_t>(s.reservedBytes));
  w.counter("tollgate_cache_evictions_total", "Objects evicted to stay under the disk budget.",
            s.evictions);
  w.counter("tollgate_cache_corrupt_dropped_total",
            "Objects dropped for a failed check (at open or served).", s.droppedCorrupt);
  w.counter("tollgate_cache_unfinished_dropped_total", "Unfinished files removed at open.",
            s.droppedTmp);
  w.counter("tollgate_cache_write_failures_total", "Objects lost to a write error (ENOSPC...).",
            s.writeFailures);
  w.counter("tollgate_cache_backlog_give_ups_total",
            "Objects given up because the disk did not keep up.", s.backlogGiveUps);
  w.counter("tollgate_cache_refused_busy_total",
            "Stores refused because the store was busy writing.", s.refusedBusy);
  w.counter("tollgate_cache_abandoned_total",
            "Claims that stored nothing (abandoned, refused, short body).", s.abandoned);
  w.counter("tollgate_cache_replaced_total", "Objects superseded by a newer one of the same key.",
            s.replaced);
  w.counter("tollgate_cache_memory_evictions_total",
            "Bodies dropped from the memory tier (the file stays).", s.memoryEvictions);
}

// The portal's status fields: *_ms are durations of the last run of something (gauges, in
// seconds), captive_sessions is a gauge, every other field is a counter.
void writeCaptive(PrometheusWriter& w, const std::vector<std::pair<std::string, int64_t>>& fields) {
  for (auto& [name, value] : fields) {
    std::string_view n = name;
    if (n.size() > 3 && n.substr(n.size() - 3) == "_ms") {
      auto metric = prefixed(n.substr(0, n.size() - 3), "_seconds");
      if (w.family(metric, PrometheusWriter::Type::Gauge,
                   "Captive portal: duration of the last " +
                       std::string(n.substr(0, n.size() - 3)) + " (tollgatectl status field " +
                       name + ")."))
        w.sample(metric, {},
                 formatSeconds(static_cast<uint64_t>(std::max<int64_t>(value, 0)) * 1000));
    } else if (n == "captive_sessions") {
      w.gauge(prefixed(n), "Captive portal sessions (logged-in guests) now.", value);
    } else {
      w.counter(prefixed(n, "_total"), "Captive portal counter " + name + " (tollgatectl status).",
                static_cast<uint64_t>(std::max<int64_t>(value, 0)));
    }
  }
}

}  // namespace

std::string escapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char ch : value) {
    if (ch == '\\')
      out += "\\\\";
    else if (ch == '"')
      out += "\\\"";
    else if (ch == '\n')
      out += "\\n";
    else
      out += ch;
  }
  return out;
}

std::string formatSeconds(uint64_t micros) {
  std::string out = std::to_string(micros / 1000000);
  uint64_t frac = micros % 1000000;
  if (frac == 0) return out;
  std::string digits = std::to_string(frac);
  digits.insert(0, 6 - digits.size(), '0');
  while (digits.back() == '0') digits.pop_back();
  return out + "." + digits;
}

bool PrometheusWriter::family(std::string_view name, Type type, std::string_view help) {
  if (std::find(written_.begin(), written_.end(), name) != written_.end()) return false;
  written_.emplace_back(name);
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += escapeHelp(help);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += type == Type::Counter ? " counter\n" : type == Type::Gauge ? " gauge\n" : " histogram\n";
  return true;
}

void PrometheusWriter::sample(std::string_view name, const Labels& labels, std::string_view value) {
  out_ += name;
  appendLabels(out_, labels);
  out_ += ' ';
  out_ += value;
  out_ += '\n';
}

void PrometheusWriter::sample(std::string_view name, const Labels& labels, uint64_t value) {
  sample(name, labels, std::string_view(std::to_string(value)));
}

void PrometheusWriter::sample(std::string_view name, const Labels& labels, int64_t value) {
  sample(name, labels, std::string_view(std::to_string(value)));
}

void PrometheusWriter::counter(std::string_view name, std::string_view help, uint64_t value) {
  if (family(name, Type::Counter, help)) sample(name, {}, value);
}

void PrometheusWriter::gauge(std::string_view name, std::string_view help, int64_t value) {
  if (family(name, Type::Gauge, help)) sample(name, {}, value);
}

void PrometheusWriter::histogram(std::string_view name, std::string_view help,
                                 const LatencyHistogram::Snapshot& h) {
  if (!family(name, Type::Histogram, help)) return;
  std::string bucket = std::string(name) + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < LatencyHistogram::kBuckets; ++i) {
    cumulative += h.buckets[i];
    std::string le = i < LatencyHistogram::kBoundsUs.size()
                         ? formatSeconds(LatencyHistogram::kBoundsUs[i])
                         : "+Inf";
    sample(bucket, {{"le", le}}, cumulative);
  }
  sample(std::string(name) + "_sum", {}, std::string_view(formatSeconds(h.sumUs)));
  sample(std::string(name) + "_count", {}, cumulative);
}

std::string renderMetrics(const MetricsSnapshot& s) {
  PrometheusWriter w;
  using T = PrometheusWriter::Type;
  if (w.family("tollgate_build_info", T::Gauge, "Always 1; the version is in the label."))
    w.sample("tollgate_build_info", {{"version", s.version}}, int64_t{1});
  w.gauge("tollgate_uptime_seconds", "Seconds since the daemon started.", s.uptimeSeconds);
  w.gauge("tollgate_workers", "Worker threads.", static_cast<int64_t>(s.workers));
  w.gauge("tollgate_active_connections", "Client connections open now.", s.activeConnections);
  w.counter("tollgate_reloads_total", "Successful reloads (config or lists).", s.reloads);

  for (auto& split : kSplits) {
    auto name = prefixed(split.family, "_total");
    if (!w.family(name, T::Counter, splitHelp(split.family))) continue;
    for (auto& member : kSplits)
      if (member.family == split.family)
        w.sample(name, {{member.label, member.value}},
                 s.counters[static_cast<unsigned>(member.counter)]);
  }
  for (unsigned i = 0; i < kCounterCount; ++i) {
    auto c = static_cast<Counter>(i);
    if (isSplit(c)) continue;
    auto stem = counterName(c);
    w.counter(prefixed(stem, "_total"),
              "Data-plane counter " + std::string(stem) +
                  " (daemon/core/counters.h), summed over workers.",
              s.counters[i]);
  }

  w.histogram("tollgate_upstream_connect_duration_seconds",
              "Upstream TCP connect time (1 ms resolution: the worker's loop clock).",
              s.upstreamConnect);
  w.histogram(
      "tollgate_time_to_first_byte_seconds",
      "From forwarding (HTTP: request head parsed; TLS/TCP: connect started) to the first byte "
      "from the origin (1 ms resolution).",
      s.firstByte);

  if (w.family("tollgate_decisions_by_list_total", T::Counter,
               "Logged decisions by action, list and group (list empty: a group default decided). "
               "Records dropped at a full log queue are not here; past 1000 label sets, new ones "
               "count under list=\"other\".")) {
    for (auto& e : s.decisions)
      w.sample("tollgate_decisions_by_list_total",
               {{"action", e.action}, {"list", e.list}, {"group", e.group}}, e.count);
  }
  w.counter(
      "tollgate_decisions_by_list_overflow_total",
      "Logged decisions counted under list=\"other\" because the label sets were at their cap.",
      s.decisionLabelOverflows);
  w.counter("tollgate_log_lines_written_total", "Decision log lines written.", s.logLinesWritten);
  w.counter("tollgate_log_lines_failed_total",
            "Decision log lines lost to a failed write (full disk...).", s.logLinesFailed);

  if (s.cacheStore) writeCache(w, *s.cacheStore, s.cacheDiskLimit);
  writeCaptive(w, s.captive);
  if (s.neighbours) {
    auto& n = *s.neighbours;
#define TOLLGATE_NEIGHBOUR_METRIC(name)           \
  w.counter("tollgate_neighbour_" #name "_total", \
            "Neighbour table (IP to MAC) counter " #name " (nf/neighbour_table.h).", n.name);
    TOLLGATE_NEIGHBOUR_COUNTERS(TOLLGATE_NEIGHBOUR_METRIC)
#undef TOLLGATE_NEIGHBOUR_METRIC
  }
  w.counter("tollgate_metrics_scrapes_total", "GET/HEAD /metrics answered (this one included).",
            s.metricsScrapes);
  w.counter("tollgate_metrics_refused_total",
            "Requests to the metrics endpoint answered 404 or 405.", s.metricsRefused);
  return w.take();
}

}  // namespace tollgate::control
