#!/usr/bin/env bash
# A WebSocket upgrade (101) switches the connection to an opaque relay: messages, ping and close
# are echoed end to end.
. "$(dirname "$0")/lib.sh"
scenario_lab
tg_start

out=$(client timeout "$(scaled 15)" "$PY" "$ROOT/tools/lab.d/wsclient.py" --timeout "$(scaled 10)" \
  ws://10.77.2.2:8081/ws hello "second message" "$(head -c 3000 /dev/zero | tr '\0' x)" 2>&1) ||
  fail "wsclient failed: $out"
assert_eq "hello|second message" "$(echo "$out" | head -n 2 | paste -sd'|')" "echoed messages"

assert_eq 1 "$(counter http_upgrades)" "http_upgrades"
wait_for log_has_lines 1
assert_eq "GET 101" "$(log_field 1 method) $(log_field 1 status)" "decision line"
pass
