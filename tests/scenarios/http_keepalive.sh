#!/usr/bin/env bash
# Two requests on one client connection (keep-alive): both answered, each judged and logged on
# its own decision line, and the daemon accepted exactly one connection.
. "$(dirname "$0")/lib.sh"
scenario_lab
tg_start

res=$(client curl -sS -m "$(scaled 10)" -o "$OUT/a" -o "$OUT/b" \
  -w '%{http_code} %{num_connects}\n' http://10.77.2.2/1k http://10.77.2.2/100k 2>&1) ||
  fail "curl failed: $res"
assert_eq $'200 1\n200 0' "$res" "status and new connections per URL"
assert_eq "$(file_sha 1k)" "$(sha256sum <"$OUT/a" | cut -d' ' -f1)" "sha256 of /1k"
assert_eq "$(file_sha 100k)" "$(sha256sum <"$OUT/b" | cut -d' ' -f1)" "sha256 of /100k"

wait_for log_has_lines 2
assert_eq 2 "$(log_lines)" "decision lines"
assert_eq "http://10.77.2.2/1k 200" "$(log_field 1 url) $(log_field 1 status)" "first decision line"
assert_eq "http://10.77.2.2/100k 200" "$(log_field 2 url) $(log_field 2 status)" "second decision line"
assert_eq "$(log_field 1 client_port)" "$(log_field 2 client_port)" "client port of both lines"
assert_eq 1 "$(counter connections_accepted)" "connections_accepted"
assert_eq 2 "$(counter http_requests)" "http_requests"
pass
