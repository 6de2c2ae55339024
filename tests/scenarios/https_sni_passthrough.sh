#!/usr/bin/env bash
# TLS on a tls_ports port is relayed untouched: the client verifies the origin's own certificate
# (the lab CA) end to end, and the decision line names the SNI from the ClientHello.
. "$(dirname "$0")/lib.sh"
scenario_lab
tg_start

res=$(client curl -sS -m "$(scaled 10)" --cacert "$CA" --resolve origin.test:443:10.77.2.2 \
  -o "$OUT/body" -w '%{http_code} %{ssl_verify_result}' https://origin.test/100k 2>&1) || fail "curl failed: $res"
assert_eq "200 0" "$res" "status and certificate verification"
assert_eq "$(file_sha 100k)" "$(sha256sum <"$OUT/body" | cut -d' ' -f1)" "sha256 of /100k over TLS"

wait_for log_has_lines 1
assert_eq "tls origin.test 10.77.2.2 443" \
  "$(log_field 1 proto) $(log_field 1 sni) $(log_field 1 dst) $(log_field 1 dst_port)" "decision line"
assert_ge 102400 "$(log_field 1 bytes_down)" "bytes_down"
assert_eq 1 "$(counter connections_tls)" "connections_tls"
assert_eq 1 "$(counter tls_sni_found)" "tls_sni_found"
pass
