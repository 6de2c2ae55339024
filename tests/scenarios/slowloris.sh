#!/usr/bin/env bash
# A client that sends half a request head and stalls is answered 408 and closed once
# request_timeout (1 s) has passed since its first byte.
. "$(dirname "$0")/lib.sh"
scenario_lab
tg_start limits.request_timeout=1s

netc client slow 10.77.2.2 80 'send:GET /1k HTTP/1.1\r\nHost: 10.77.2.2\r\nX-Slow: ' read
assert_eq eof "$NETC_END" "end of the connection"
head -n 1 "$OUT/slow.out" | grep -q '^HTTP/1.1 408' || fail "reply: $(head -n 1 "$OUT/slow.out")"
assert_between 0.9 "$(scaled 2.5)" "$NETC_T_END" "seconds until the close"
wait_for log_has_lines 1
assert_eq 408 "$(log_field 1 status)" "status in the decision line"
assert_eq 0 "$(counter upstream_connect_ok)" "upstream connections"
pass
