#!/usr/bin/env bash
# The Prometheus endpoint ([metrics] listen, default 127.0.0.1:9750), scraped from the gateway
# itself: after an allowed HTTP request, a blocked one and a TLS connection through the gateway,
# the counters moved (connections by protocol, decisions by action and by list and group, bytes,
# the connect and first-byte histograms) and agree with `tollgatectl status`; the answer has the
# text format's content type; other paths get 404; `promtool check metrics` passes (skipped
# without the prometheus package).
. "$(dirname "$0")/lib.sh"
scenario_lab
printf '# test list\nblocked.test\n' >"$STATE/bad.txt"
TG_EXTRA="[list.bad]
format = domains
path = $STATE/bad.txt
[group.default]
rules = block bad
default = allow"
tg_start metrics.listen=127.0.0.1:9750
URL=http://127.0.0.1:9750/metrics

# scrape NAME: the endpoint's body into $OUT/NAME, its headers into $OUT/NAME.h
scrape() {
  gw curl -sS -m "$(scaled 5)" -D "$OUT/$1.h" -o "$OUT/$1" "$URL" || fail "scrape $1 failed"
}
# metric FILE SERIES: the value of one series (name with its labels, as written), or "missing"
metric() { awk -v s="$2" '$1 == s { print $2; found = 1 } END { if (!found) print "missing" }' "$OUT/$1"; }

scrape before
grep -qi '^HTTP/1.1 200' "$OUT/before.h" || fail "status: $(head -1 "$OUT/before.h")"
grep -qi '^Content-Type: text/plain; version=0.0.4' "$OUT/before.h" ||
  fail "content type: $(grep -i '^Content-Type' "$OUT/before.h")"
assert_eq 0 "$(metric before 'tollgate_connections_total{protocol="http"}')" "http connections before"
assert_eq 0 "$(metric before tollgate_upstream_connect_duration_seconds_count)" "connects before"

code=$(client curl -sS -m "$(scaled 10)" -o /dev/null -w '%{http_code}' http://10.77.2.2/1k) ||
  fail "allowed request failed"
assert_eq 200 "$code" "allowed request"
code=$(client curl -sS -m "$(scaled 10)" -o /dev/null -w '%{http_code}' -H 'Host: blocked.test' \
  http://10.77.2.2/1k) || fail "blocked request failed"
assert_eq 403 "$code" "blocked request"
res=$(client curl -sS -m "$(scaled 10)" --cacert "$CA" --resolve origin.test:443:10.77.2.2 \
  -o /dev/null -w '%{http_code}' https://origin.test/100k 2>&1) || fail "TLS request failed: $res"
assert_eq 200 "$res" "TLS request"
# The by-list counts are the logging thread's: wait until it has drained all three records, and
# until the TLS connection's close has been counted (its bytes are added then).
wait_for log_has_lines 3
wait_for counter_eq active_connections 0

scrape after
m() { metric after "$1"; }
assert_eq "$(counter connections_accepted)" "$(m tollgate_connections_accepted_total)" \
  "connections_accepted: metrics vs status"
assert_eq 2 "$(m 'tollgate_connections_total{protocol="http"}')" "http connections"
assert_eq 1 "$(m 'tollgate_connections_total{protocol="tls"}')" "tls connections"
assert_eq 0 "$(m 'tollgate_connections_total{protocol="tcp"}')" "tcp connections"
assert_eq 2 "$(m 'tollgate_decisions_total{action="allow"}')" "allow decisions"
assert_eq 1 "$(m 'tollgate_decisions_total{action="block"}')" "block decisions"
assert_eq 1 "$(m 'tollgate_decisions_by_list_total{action="block",list="bad",group="default"}')" \
  "block decisions by list bad, group default"
assert_eq 2 "$(m 'tollgate_decisions_by_list_total{action="allow",list="",group="default"}')" \
  "allow decisions by the default group's default"
assert_ge 102400 "$(m 'tollgate_bytes_total{direction="upstream_to_client"}')" "bytes to clients"
assert_eq 0 "$(m tollgate_active_connections)" "active connections"
assert_eq 3 "$(m tollgate_log_lines_written_total)" "log lines written"
assert_eq 0 "$(m tollgate_log_lines_dropped_total)" "log lines dropped"
# One upstream connect each for the allowed HTTP request and the TLS connection; none for the
# blocked one. Both saw a first byte from the origin.
for h in tollgate_upstream_connect_duration_seconds tollgate_time_to_first_byte_seconds; do
  assert_eq 2 "$(m ${h}_count)" "$h count"
  assert_eq 2 "$(m "${h}_bucket{le=\"+Inf\"}")" "$h +Inf bucket"
  assert_between 0 5 "$(m ${h}_sum)" "$h sum (seconds)"
done
assert_eq 2 "$(m tollgate_metrics_scrapes_total)" "scrapes"

code=$(gw curl -sS -m "$(scaled 5)" -o /dev/null -w '%{http_code}' http://127.0.0.1:9750/) ||
  fail "curl / failed"
assert_eq 404 "$code" "GET /"

if command -v promtool >/dev/null; then
  promtool check metrics <"$OUT/after" >"$OUT/promtool" 2>&1 ||
    fail "promtool check metrics: $(cat "$OUT/promtool")"
else
  note "promtool missing (Debian package prometheus): format check skipped"
fi
pass
