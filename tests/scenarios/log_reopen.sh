#!/usr/bin/env bash
# Log rotation: after `mv decisions.log decisions.log.1` and a SIGHUP, new decision lines land in
# a fresh decisions.log; the rotated file keeps the old lines and gets no new ones.
. "$(dirname "$0")/lib.sh"
scenario_lab
tg_start

get() { client curl -sS -m "$(scaled 10)" -o /dev/null -w '%{http_code}' "http://10.77.2.2/1k?$1"; }
assert_eq 200 "$(get before-rotation)" "status before the rotation"
wait_for log_has_lines 1

mv "$TG_DECISIONS" "$TG_DECISIONS.1"
tg_reload
wait_for test -f "$TG_DECISIONS"
assert_eq 200 "$(get after-rotation)" "status after the rotation"
wait_for log_has_lines 1

assert_eq "http://10.77.2.2/1k?after-rotation" "$(log_field 1 url)" "first line of the new file"
assert_eq 1 "$(log_lines)" "lines in the new file"
assert_eq 1 "$(log_lines "$TG_DECISIONS.1")" "lines in the rotated file"
assert_eq "http://10.77.2.2/1k?before-rotation" "$(log_field 1 url "$TG_DECISIONS.1")" "line of the rotated file"
pass
