#!/usr/bin/env bash
# A blocked TLS connection (by SNI) gets a TLS access_denied alert without any upstream
# connection (tls_block = alert, the default) or a reset (tls_block = reset). An allowed SNI on
# the same port passes with the certificate verified end to end.
. "$(dirname "$0")/lib.sh"
scenario_lab
printf 'www.example.test\n' >"$STATE/bad.txt"
TG_EXTRA="[list.bad]
format = domains
path = $STATE/bad.txt
[group.default]
rules = block bad"
CA=$(lab_ca)
tg_start
if client curl -sS -m 5 --cacert "$CA" --resolve www.example.test:443:10.77.2.2 \
     https://www.example.test/ -o /dev/null 2>"$OUT/alert.err"; then
  fail "blocked SNI was let through"
fi
grep -qi 'alert access denied' "$OUT/alert.err" || fail "no access_denied alert: $(cat "$OUT/alert.err")"
code=$(client curl -sS -m 5 --cacert "$CA" --resolve origin.test:443:10.77.2.2 -o /dev/null \
  -w '%{http_code}' https://origin.test/1k) || fail "allowed SNI failed"
assert_eq 200 "$code" "allowed SNI"
wait_for counter_ge tls_block_alerts 1
assert_eq 0 "$(counter upstream_connect_fail)" "upstream connects failed"
tg_stop

tg_start filter.tls_block=reset
if client curl -sS -m 5 --cacert "$CA" --resolve www.example.test:443:10.77.2.2 \
     https://www.example.test/ -o /dev/null 2>"$OUT/reset.err"; then
  fail "blocked SNI was let through (reset mode)"
fi
grep -qiE 'reset|SSL_ERROR_SYSCALL' "$OUT/reset.err" || fail "expected a reset: $(cat "$OUT/reset.err")"
pass
