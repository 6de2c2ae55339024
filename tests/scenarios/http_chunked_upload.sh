#!/usr/bin/env bash
# A request body in chunked transfer coding (curl -T - from a pipe) reaches the origin intact:
# the sha256 the origin computed matches the file sent.
. "$(dirname "$0")/lib.sh"
scenario_lab
tg_start

# curl -T - reads stdin of unknown length, so it sends Transfer-Encoding: chunked;
# "Expect:" keeps 100-continue out of this scenario (http_expect_continue covers it).
res=$(client sh -c 'cat "$1" | curl -sS -m "$2" -T - -H "Transfer-Encoding: chunked" -H "Expect:" -D "$3" http://10.77.2.2:8081/upload' \
  _ "$STATE/www/1m" "$(scaled 20)" "$OUT/head") || fail "curl failed: $res"
grep -qi '^HTTP/1.1 200' "$OUT/head" || fail "status: $(head -n 1 "$OUT/head")"
assert_eq "sha256=$(file_sha 1m) bytes=1048576" "$(echo "$res" | paste -sd' ')" "origin's digest of the body"

wait_for log_has_lines 1
assert_eq "PUT 200" "$(log_field 1 method) $(log_field 1 status)" "decision line"
assert_ge 1048576 "$(log_field 1 bytes_up)" "bytes_up (chunked body and head)"
assert_eq 0 "$(counter http_bad_request)" "http_bad_request"
pass
