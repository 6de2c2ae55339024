#!/usr/bin/env bash
# A response without Content-Length or chunking (body ends when the origin closes) is relayed
# intact up to the close, and the client connection ends with it.
. "$(dirname "$0")/lib.sh"
scenario_lab
tg_start

n=300000
res=$(client curl -sS -m "$(scaled 10)" -D "$OUT/head" -o "$OUT/body" -w '%{http_code} %{size_download}' \
  "http://10.77.2.2:8081/close?n=$n" 2>&1) || fail "curl failed: $res"
assert_eq "200 $n" "$res" "status and body size"
grep -qi '^content-length' "$OUT/head" && fail "the response grew a Content-Length: $(cat "$OUT/head")"
assert_eq "$(pattern_sha $n)" "$(sha256sum <"$OUT/body" | cut -d' ' -f1)" "sha256 of the body"

wait_for log_has_lines 1
assert_eq 200 "$(log_field 1 status)" "status in the decision line"
assert_ge "$n" "$(log_field 1 bytes_down)" "bytes_down"
pass
