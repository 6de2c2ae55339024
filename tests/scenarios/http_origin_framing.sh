#!/usr/bin/env bash
# Awkward origins (tests/scenarios/misbehaving_origin.py on :8090):
# - data and FIN in one segment on a close-delimited response: the client gets the body and EOF at
#   once, not after idle_timeout;
# - 103 Early Hints and the 200 in one write: both reach the client;
# - bytes past Content-Length: never delivered as the next request's response (no desync).
. "$(dirname "$0")/lib.sh"
scenario_lab
lab_spawn origin badorigin "$PY" "$(dirname "$0")/misbehaving_origin.py" 8090 >/dev/null
lab_wait_port origin 10.77.2.2 8090 10 >/dev/null || fail "misbehaving origin did not start"
tg_start gateway.http_ports="80, 8090" limits.idle_timeout=30s

start=$(now_ms)
body=$(client curl -sS -m 10 http://10.77.2.2:8090/fin-with-data) || fail "curl /fin-with-data failed"
elapsed=$(( $(now_ms) - start ))
assert_eq "hello world" "$body" "close-delimited body"
assert_le 2000 "$elapsed" "ms to receive a response whose FIN came with the data"

client curl -sS -m 5 -v http://10.77.2.2:8090/early-hints >"$OUT/early.body" 2>"$OUT/early.err" ||
  fail "curl /early-hints failed: $(cat "$OUT/early.err")"
grep -q '< HTTP/1.1 103' "$OUT/early.err" || fail "the 103 did not reach the client: $(cat "$OUT/early.err")"
assert_eq "ok" "$(cat "$OUT/early.body")" "final response after 103"

# Two requests on one client connection: the second must get its own answer.
client curl -sS -m 5 http://10.77.2.2:8090/extra-bytes -o "$OUT/first" http://10.77.2.2:8090/ok -o "$OUT/second" ||
  fail "keep-alive pair failed"
assert_eq "ok" "$(cat "$OUT/first")" "first response"
assert_eq "ok" "$(cat "$OUT/second")" "second response (must not be the injected one)"
wait_for counter_ge upstream_bad_response 1
pass
