#!/usr/bin/env bash
# The origin refuses the connection (nothing listens on the port): an HTTP client gets the
# daemon's 502 page and a decision line; a TLS client gets a TCP reset.
. "$(dirname "$0")/lib.sh"
scenario_lab
tg_start gateway.http_ports="80, 81" gateway.tls_ports="443, 444"

res=$(client curl -sS -m "$(scaled 10)" -o "$OUT/page" -w '%{http_code}' http://10.77.2.2:81/nothing-here 2>&1) ||
  fail "curl failed: $res"
assert_eq 502 "$res" "HTTP status"
grep -q '502 Bad Gateway' "$OUT/page" || fail "502 page: $(cat "$OUT/page")"
wait_for log_has_lines 1
assert_eq "http 10.77.2.2 81 502 http://10.77.2.2:81/nothing-here" \
  "$(log_field 1 proto) $(log_field 1 dst) $(log_field 1 dst_port) $(log_field 1 status) $(log_field 1 url)" \
  "HTTP decision line"
assert_eq 1 "$(counter upstream_connect_fail)" "upstream_connect_fail after HTTP"

netc client tls 10.77.2.2 444 hello:origin.test read
assert_eq "reset 0" "$NETC_END $NETC_RECEIVED" "TLS client: end of the connection and bytes received"
assert_eq 2 "$(counter upstream_connect_fail)" "upstream_connect_fail after TLS"
pass
