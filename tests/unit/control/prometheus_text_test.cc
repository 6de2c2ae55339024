// The scrape body: names, HELP/TYPE, label escaping, histograms, and the fields the daemon's
// status appenders hand over.
#include "daemon/control/prometheus_text.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>

namespace tollgate::control {
namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

bool hasLine(const std::string& text, const std::string& line) {
  for (auto& l : lines(text))
    if (l == line) return true;
  return false;
}

MetricsSnapshot sample() {
  MetricsSnapshot s;
  s.version = "1.2.3";
  s.workers = 2;
  s.activeConnections = 7;
  s.counters[static_cast<unsigned>(Counter::connections_http)] = 10;
  s.counters[static_cast<unsigned>(Counter::connections_tls)] = 20;
  s.counters[static_cast<unsigned>(Counter::decisions_block)] = 3;
  s.counters[static_cast<unsigned>(Counter::bytes_upstream_to_client)] = 4096;
  s.counters[static_cast<unsigned>(Counter::log_lines_dropped)] = 5;
  s.counters[static_cast<unsigned>(Counter::cache_hits)] = 6;
  return s;
}

TEST(PrometheusText, EveryPlainCounterIsTollgateNameTotal) {
  auto text = renderMetrics(sample());
  EXPECT_TRUE(hasLine(text, "tollgate_log_lines_dropped_total 5"));
  EXPECT_TRUE(hasLine(text, "tollgate_cache_hits_total 6"));
  EXPECT_TRUE(hasLine(text, "# TYPE tollgate_connections_accepted_total counter"));
  EXPECT_TRUE(hasLine(text, "tollgate_upstream_connect_fail_total 0"));
}

TEST(PrometheusText, SplitCountersBecomeOneLabelledFamily) {
  auto text = renderMetrics(sample());
  EXPECT_TRUE(hasLine(text, "# TYPE tollgate_connections_total counter"));
  EXPECT_TRUE(hasLine(text, "tollgate_connections_total{protocol=\"http\"} 10"));
  EXPECT_TRUE(hasLine(text, "tollgate_connections_total{protocol=\"tls\"} 20"));
  EXPECT_TRUE(hasLine(text, "tollgate_connections_total{protocol=\"tcp\"} 0"));
  EXPECT_TRUE(hasLine(text, "tollgate_decisions_total{action=\"block\"} 3"));
  EXPECT_TRUE(hasLine(text, "tollgate_decisions_total{action=\"redirect\"} 0"));
  EXPECT_TRUE(hasLine(text, "tollgate_bytes_total{direction=\"upstream_to_client\"} 4096"));
  // Not also under their own names.
  EXPECT_EQ(text.find("tollgate_connections_http_total"), std::string::npos);
  EXPECT_EQ(text.find("tollgate_decisions_block_total"), std::string::npos);
}

TEST(PrometheusText, GaugesForActiveConnectionsAndWorkers) {
  auto text = renderMetrics(sample());
  EXPECT_TRUE(hasLine(text, "# TYPE tollgate_active_connections gauge"));
  EXPECT_TRUE(hasLine(text, "tollgate_active_connections 7"));
  EXPECT_TRUE(hasLine(text, "tollgate_workers 2"));
  EXPECT_TRUE(hasLine(text, "tollgate_build_info{version=\"1.2.3\"} 1"));
}

TEST(PrometheusText, EveryFamilyHasHelpThenTypeOnceAndSamplesTogether) {
  auto s = sample();
  s.cacheStore = cache::StoreStats{};
  s.neighbours = nf::NeighbourTable::Counters{};
  s.captive = {{"captive_sessions", 1}, {"captive_logins", 2}, {"captive_restore_ms", 15}};
  s.decisions = {{"block", "ads", "kids", 4}};
  auto all = lines(renderMetrics(s));
  std::set<std::string> families;
  std::string current;
  for (size_t i = 0; i < all.size(); ++i) {
    auto& l = all[i];
    ASSERT_FALSE(l.empty()) << "blank line at " << i;
    if (l.rfind("# HELP ", 0) == 0) {
      auto name = l.substr(7, l.find(' ', 7) - 7);
      ASSERT_TRUE(families.insert(name).second) << "family twice: " << name;
      ASSERT_LT(i + 1, all.size());
      ASSERT_EQ(all[i + 1].rfind("# TYPE " + name + " ", 0), 0u)
          << "no TYPE after HELP of " << name;
      current = name;
      ++i;
      continue;
    }
    // A sample belongs to the family just declared (histograms add _bucket/_sum/_count).
    auto sampleName = l.substr(0, l.find_first_of("{ "));
    bool ok = sampleName == current || sampleName == current + "_bucket" ||
              sampleName == current + "_sum" || sampleName == current + "_count";
    EXPECT_TRUE(ok) << "sample " << l << " outside its family " << current;
    EXPECT_EQ(sampleName.rfind("tollgate_", 0), 0u) << l;
  }
  EXPECT_GT(families.size(), static_cast<size_t>(kCounterCount) - 6);
}

TEST(PrometheusText, CountersEndInTotalAndOthersDoNot) {
  auto s = sample();
  s.cacheStore = cache::StoreStats{};
  for (auto& l : lines(renderMetrics(s))) {
    if (l.rfind("# TYPE ", 0) != 0) continue;
    auto name = l.substr(7, l.rfind(' ') - 7);
    auto type = l.substr(l.rfind(' ') + 1);
    bool total = name.size() > 6 && name.substr(name.size() - 6) == "_total";
    EXPECT_EQ(type == "counter", total) << l;
  }
}

TEST(PrometheusText, LabelValuesAreEscaped) {
  EXPECT_EQ(escapeLabelValue("plain"), "plain");
  EXPECT_EQ(escapeLabelValue("a\"b"), "a\\\"b");
  EXPECT_EQ(escapeLabelValue("a\\b"), "a\\\\b");
  EXPECT_EQ(escapeLabelValue("a\nb"), "a\\nb");
  auto s = sample();
  s.decisions = {{"block", "ut1/\"adult\"\\x", "kids\n", 2}};
  auto text = renderMetrics(s);
  EXPECT_TRUE(
      hasLine(text,
              "tollgate_decisions_by_list_total{action=\"block\",list=\"ut1/\\\"adult\\\"\\\\x\","
              "group=\"kids\\n\"} 2"))
      << text;
}

TEST(PrometheusText, DecisionsByListCarryActionListAndGroup) {
  auto s = sample();
  s.decisions = {{"allow", "", "default", 9}, {"block", "ads", "kids", 4}};
  s.decisionLabelOverflows = 1;
  auto text = renderMetrics(s);
  EXPECT_TRUE(hasLine(text, "# TYPE tollgate_decisions_by_list_total counter"));
  EXPECT_TRUE(hasLine(
      text, "tollgate_decisions_by_list_total{action=\"allow\",list=\"\",group=\"default\"} 9"));
  EXPECT_TRUE(hasLine(
      text, "tollgate_decisions_by_list_total{action=\"block\",list=\"ads\",group=\"kids\"} 4"));
  EXPECT_TRUE(hasLine(text, "tollgate_decisions_by_list_overflow_total 1"));
}

TEST(PrometheusText, HistogramHasCumulativeBucketsInfSumAndCount) {
  LatencyHistogram h;
  h.observeMs(0);  // le 0.0005
  h.observeMs(1);  // le 0.001
  h.observeMs(3);  // le 0.005
  h.observeMs(3);
  h.observeMs(9000);  // past 5 s: +Inf only
  auto s = sample();
  s.upstreamConnect = h.snapshot();
  auto text = renderMetrics(s);
  const std::string n = "tollgate_upstream_connect_duration_seconds";
  EXPECT_TRUE(hasLine(text, "# TYPE " + n + " histogram"));
  EXPECT_TRUE(hasLine(text, n + "_bucket{le=\"0.0005\"} 1"));
  EXPECT_TRUE(hasLine(text, n + "_bucket{le=\"0.001\"} 2"));
  EXPECT_TRUE(hasLine(text, n + "_bucket{le=\"0.002\"} 2"));
  EXPECT_TRUE(hasLine(text, n + "_bucket{le=\"0.005\"} 4"));
  EXPECT_TRUE(hasLine(text, n + "_bucket{le=\"2.5\"} 4"));
  EXPECT_TRUE(hasLine(text, n + "_bucket{le=\"5\"} 4"));
  EXPECT_TRUE(hasLine(text, n + "_bucket{le=\"+Inf\"} 5"));
  EXPECT_TRUE(hasLine(text, n + "_sum 9.007"));
  EXPECT_TRUE(hasLine(text, n + "_count 5"));
  EXPECT_TRUE(hasLine(text, "tollgate_time_to_first_byte_seconds_bucket{le=\"+Inf\"} 0"));
  EXPECT_TRUE(hasLine(text, "tollgate_time_to_first_byte_seconds_count 0"));
}

TEST(PrometheusText, HistogramBoundaryValueIsInItsBucket) {
  LatencyHistogram h;
  h.observeUs(1000);  // exactly 1 ms: le="0.001" (upper bounds are inclusive)
  h.observeUs(-5);    // a clock step: counted as 0
  auto snap = h.snapshot();
  EXPECT_EQ(snap.buckets[0], 1u);
  EXPECT_EQ(snap.buckets[1], 1u);
  EXPECT_EQ(snap.count(), 2u);
  EXPECT_EQ(snap.sumUs, 1000u);
}

TEST(PrometheusText, SecondsAreExactDecimals) {
  EXPECT_EQ(formatSeconds(0), "0");
  EXPECT_EQ(formatSeconds(500), "0.0005");
  EXPECT_EQ(formatSeconds(2500000), "2.5");
  EXPECT_EQ(formatSeconds(5000000), "5");
  EXPECT_EQ(formatSeconds(1000001), "1.000001");
}

TEST(PrometheusText, CacheFamiliesOnlyWhenTheCacheIsOn) {
  auto s = sample();
  EXPECT_EQ(renderMetrics(s).find("tollgate_cache_objects"), std::string::npos);
  cache::StoreStats st;
  st.objects = 12;
  st.diskBytes = 8192;
  st.evictions = 3;
  s.cacheStore = st;
  s.cacheDiskLimit = 1 << 20;
  auto text = renderMetrics(s);
  EXPECT_TRUE(hasLine(text, "# TYPE tollgate_cache_objects gauge"));
  EXPECT_TRUE(hasLine(text, "tollgate_cache_objects 12"));
  EXPECT_TRUE(hasLine(text, "tollgate_cache_disk_bytes 8192"));
  EXPECT_TRUE(hasLine(text, "tollgate_cache_disk_limit_bytes 1048576"));
  EXPECT_TRUE(hasLine(text, "tollgate_cache_evictions_total 3"));
}

TEST(PrometheusText, CaptiveFieldsSessionsGaugeMillisecondsAsSecondsOthersCounters) {
  auto s = sample();
  s.captive = {{"captive_sessions", 4},
               {"captive_logins", 9},
               {"portal_logins_voucher", 2},
               {"captive_sets_rebuild_ms", 12}};
  auto text = renderMetrics(s);
  EXPECT_TRUE(hasLine(text, "# TYPE tollgate_captive_sessions gauge"));
  EXPECT_TRUE(hasLine(text, "tollgate_captive_sessions 4"));
  EXPECT_TRUE(hasLine(text, "tollgate_captive_logins_total 9"));
  EXPECT_TRUE(hasLine(text, "tollgate_portal_logins_voucher_total 2"));
  EXPECT_TRUE(hasLine(text, "# TYPE tollgate_captive_sets_rebuild_seconds gauge"));
  EXPECT_TRUE(hasLine(text, "tollgate_captive_sets_rebuild_seconds 0.012"));
}

TEST(PrometheusText, NfqueueVerdictsAreOneLabelledFamily) {
  auto s = sample();
  s.counters[static_cast<unsigned>(Counter::nfq_accepted)] = 5;
  s.counters[static_cast<unsigned>(Counter::nfq_dropped)] = 1;
  auto text = renderMetrics(s);
  EXPECT_TRUE(hasLine(text, "tollgate_nfq_verdicts_total{verdict=\"accept\"} 5"));
  EXPECT_TRUE(hasLine(text, "tollgate_nfq_verdicts_total{verdict=\"drop\"} 1"));
  EXPECT_EQ(text.find("tollgate_nfq_accepted_total"), std::string::npos);
}

TEST(PrometheusText, WriterRefusesAFamilyNameTwice) {
  PrometheusWriter w;
  w.counter("tollgate_x_total", "first", 1);
  w.counter("tollgate_x_total", "second", 2);
  auto text = w.take();
  EXPECT_EQ(text,
            "# HELP tollgate_x_total first\n# TYPE tollgate_x_total counter\ntollgate_x_total 1\n");
}

TEST(PrometheusText, HelpEscapesBackslashAndNewline) {
  PrometheusWriter w;
  w.gauge("tollgate_g", "a\\b\nc", 1);
  EXPECT_EQ(w.take(), "# HELP tollgate_g a\\\\b\\nc\n# TYPE tollgate_g gauge\ntollgate_g 1\n");
}

}  // namespace
}  // namespace tollgate::control
