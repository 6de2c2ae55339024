#!/usr/bin/env bash
# A port listed in tcp_ports is relayed opaque: 32 KiB through the origin's echo service come back
# unchanged, the half-close travels through, and the decision line is proto tcp with both byte
# counts.
. "$(dirname "$0")/lib.sh"
scenario_lab
tg_start gateway.tcp_ports=7

head -c 32768 "$STATE/www/1m" >"$OUT/payload"
netc client echo 10.77.2.2 7 "sendfile:$OUT/payload" shut read
assert_eq eof "$NETC_END" "end after our FIN (the echo server closes after it)"
cmp -s "$OUT/payload" "$OUT/echo.out" || fail "echo differs: sent 32768 bytes, got $NETC_RECEIVED"

wait_for log_has_lines 1
assert_eq "tcp 10.77.2.2 7 32768 32768" \
  "$(log_field 1 proto) $(log_field 1 dst) $(log_field 1 dst_port) $(log_field 1 bytes_up) $(log_field 1 bytes_down)" \
  "decision line"
assert_eq 1 "$(counter connections_tcp)" "connections_tcp"
assert_eq 0 "$(counter connections_http)" "connections_http"
pass
