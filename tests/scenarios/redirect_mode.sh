#!/usr/bin/env bash
# intercept = redirect (DNAT + SO_ORIGINAL_DST): HTTP still flows, and the decision lines carry
# each connection's original destination, not the gw's listener.
. "$(dirname "$0")/lib.sh"
scenario_lab
tg_start gateway.intercept=redirect

gw nft list table inet tollgate >"$OUT/table"
grep -q "redirect to" "$OUT/table" || fail "no redirect rule in table inet tollgate: $(cat "$OUT/table")"
res=$(client curl -sS -m "$(scaled 10)" -o "$OUT/a" -w '%{http_code}' http://10.77.2.2/1k 2>&1) || fail "curl: $res"
assert_eq 200 "$res" "status via 10.77.2.2:80"
assert_eq "$(file_sha 1k)" "$(sha256sum <"$OUT/a" | cut -d' ' -f1)" "sha256 of /1k"
res=$(client curl -sS -m "$(scaled 10)" -o /dev/null -w '%{http_code}' http://10.77.2.3:8080/100k 2>&1) || fail "curl: $res"
assert_eq 200 "$res" "status via 10.77.2.3:8080"

wait_for log_has_lines 2
assert_eq "10.77.2.2 80 http://10.77.2.2/1k" "$(log_field 1 dst) $(log_field 1 dst_port) $(log_field 1 url)" \
  "first decision line"
assert_eq "10.77.2.3 8080 http://10.77.2.3:8080/100k" "$(log_field 2 dst) $(log_field 2 dst_port) $(log_field 2 url)" \
  "second decision line"
assert_eq 0 "$(counter connections_no_origdst)" "connections_no_origdst"
pass
