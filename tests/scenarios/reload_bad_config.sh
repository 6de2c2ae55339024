#!/usr/bin/env bash
# A SIGHUP with a broken config file keeps the running config: the daemon logs FILE:LINE: reason
# on stderr and keeps serving.
. "$(dirname "$0")/lib.sh"
scenario_lab
tg_start

echo "this_key_does_not_exist = 1" >>"$TG_CONF"
line=$(wc -l <"$TG_CONF")
lab signal tollgated HUP
wait_for grep -qF "$TG_CONF:$line:" "$STATE/tollgated.log"
note "daemon said: $(grep -F "$TG_CONF:$line:" "$STATE/tollgated.log")"

tg_running || fail "tollgated exited after the bad reload"
assert_eq 0 "$(status_field reloads)" "reloads (the bad one must not count)"
res=$(client curl -sS -m "$(scaled 10)" -o /dev/null -w '%{http_code}' http://10.77.2.2/1k 2>&1) || fail "curl: $res"
assert_eq 200 "$res" "a request after the failed reload"
wait_for log_has_lines 1
pass
