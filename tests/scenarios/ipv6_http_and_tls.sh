#!/usr/bin/env bash
# IPv6 clients are intercepted like IPv4 ones: HTTP and TLS to the origin's v6 address work, and
# the decision lines carry the v6 client and destination.
. "$(dirname "$0")/lib.sh"
scenario_lab
tg_start

res=$(client curl -sS -m "$(scaled 10)" -o /dev/null -w '%{http_code} %{size_download}' \
  'http://[fd77:2::2]/1k' 2>&1) || fail "curl http v6 failed: $res"
assert_eq "200 1024" "$res" "HTTP over v6"
res=$(client curl -sS -m "$(scaled 10)" --cacert "$CA" --resolve 'origin.test:443:[fd77:2::2]' \
  -o /dev/null -w '%{http_code} %{ssl_verify_result}' https://origin.test/1k 2>&1) || fail "curl https v6 failed: $res"
assert_eq "200 0" "$res" "HTTPS over v6 (certificate verified)"

wait_for log_has_lines 2
assert_eq "http fd77:1::2 fd77:2::2 80 http://[fd77:2::2]/1k" \
  "$(log_field 1 proto) $(log_field 1 client) $(log_field 1 dst) $(log_field 1 dst_port) $(log_field 1 url)" \
  "HTTP decision line"
assert_eq "tls fd77:1::2 fd77:2::2 443 origin.test" \
  "$(log_field 2 proto) $(log_field 2 client) $(log_field 2 dst) $(log_field 2 dst_port) $(log_field 2 sni)" \
  "TLS decision line"
pass
