#!/usr/bin/env bash
# A 100 MB download arrives intact (sha256 as in SHA256SUMS) and the body moved through splice().
. "$(dirname "$0")/lib.sh"
scenario_lab
tg_start

sum=$(client sh -c 'curl -sS -m "$1" http://10.77.2.2/100m | sha256sum' _ "$(scaled 60)" | cut -d' ' -f1)
assert_eq "$(file_sha 100m)" "$sum" "sha256 of /100m"
splice=$(counter relay_splice_bytes)
assert_ge 1 "$splice" "relay_splice_bytes"
wait_for log_has_lines 1
assert_eq 200 "$(log_field 1 status)" "status"
assert_ge 104857600 "$(log_field 1 bytes_down)" "bytes_down"
note "relay_splice_bytes=$splice relay_copy_bytes=$(counter relay_copy_bytes)"
pass
