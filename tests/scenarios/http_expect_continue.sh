#!/usr/bin/env bash
# "Expect: 100-continue": the origin's interim 100 reaches the client before the body is sent,
# the body follows, and the final 200 carries the origin's digest of it.
. "$(dirname "$0")/lib.sh"
scenario_lab
tg_start

# --expect100-timeout longer than the scenario's wait: curl must not send the body on its own.
out=$(client curl -sS -v -m "$(scaled 20)" --expect100-timeout "$(scaled 15)" \
  -H 'Expect: 100-continue' --data-binary @"$STATE/www/100k" http://10.77.2.2:8081/upload 2>&1) ||
  fail "curl failed: $out"
grep -q '^< HTTP/1.1 100 Continue' <<<"$out" || fail "the client never saw '100 Continue': $out"
grep -q '^< HTTP/1.1 200' <<<"$out" || fail "no final 200: $out"
grep -q "^sha256=$(file_sha 100k)" <<<"$out" || fail "origin's digest does not match: $out"

assert_ge 1 "$(counter http_continue)" "http_continue"
wait_for log_has_lines 1
assert_eq "POST 200" "$(log_field 1 method) $(log_field 1 status)" "decision line (the final status)"
pass
