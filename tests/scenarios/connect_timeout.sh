#!/usr/bin/env bash
# The origin drops SYNs: after connect_timeout (1 s) the HTTP client gets the daemon's 504.
. "$(dirname "$0")/lib.sh"
scenario_lab
origin nft -f - <<'NFT'
table inet blackhole {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 8888 drop
  }
}
NFT
tg_start gateway.http_ports="80, 8888" limits.connect_timeout=1s

t0=$(now_ms)
res=$(client curl -sS -m "$(scaled 10)" -o "$OUT/page" -w '%{http_code}' http://10.77.2.2:8888/ 2>&1) ||
  fail "curl failed: $res"
elapsed=$(( $(now_ms) - t0 ))
assert_eq 504 "$res" "HTTP status"
grep -q '504 Gateway Timeout' "$OUT/page" || fail "504 page: $(cat "$OUT/page")"
assert_between 900 "$(awk -v s="$SCALE" 'BEGIN { print 1000 + 2000 * s }')" "$elapsed" "ms until the 504"
assert_eq 1 "$(counter upstream_connect_timeout)" "upstream_connect_timeout"
wait_for log_has_lines 1
assert_eq "504 10.77.2.2 8888" "$(log_field 1 status) $(log_field 1 dst) $(log_field 1 dst_port)" "decision line"
pass
