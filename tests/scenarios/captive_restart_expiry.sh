#!/usr/bin/env bash
# Captive sessions outlive the daemon and end on time, idleness and quota:
#  1. a click-through session survives a restart (SQLite): after tg_stop + tg_start with the same
#     config the client browses without logging in again, `sessions list` shows it and the nft
#     set captive_macs has its MAC again (refilled at start);
#  2. session_timeout = 3s: the session ends 3 s after login (gone from the list and the set,
#     captive_ended_expired), and the next request is redirected; `sessions extend MAC 1h` on a
#     live session keeps it (and its nft element) past the 3 s;
#  3. data_quota = 200K: a 1 MB download ends the session within ~2 s (captive_ended_quota),
#     then the client is redirected;
#  4. idle_timeout = 2s: traffic every 0.4 s keeps the session for longer than that, silence
#     ends it (captive_ended_idle);
#  5. data_quota counts "up + down" (default.conf) also for traffic the proxy does not see: a
#     1 MB download from a port that is not intercepted (cache_origin.py on 8090) ends a 200K
#     session too.
# Step 1 also checks that the bytes counted before the restart are still there after it, and
# that the client's IPv6 address is let through again.
. "$(dirname "$0")/captive_lib.sh"
scenario_lab
MAC1=$(mac_of client)
URL=http://10.77.2.2/1k

listed() { session_listed "$MAC1"; }
not_listed() { session_gone "$MAC1"; }
in_set() { local l; l=$(gw nft list set inet tollgate captive_macs) && grep -q "$MAC1" <<<"$l"; }
not_in_set() { ! in_set; }
# seconds since $1 (ms), one decimal
since() { awk -v ms=$(( $(now_ms) - $1 )) 'BEGIN { printf "%.1f", ms / 1000 }'; }

URL6="http://[fd77:2::2]/1k"
show() { session_field "$MAC1" "$1"; }
bytes_down_ge() { local b; b=$(show bytes_down) && (( b >= $1 )); }

# ---- 1. restart ---------------------------------------------------------------------------------
CONF1=(captive.session_timeout=1h)
captive_start "${CONF1[@]}"
assert_match "^302 " "$(probe client "$URL")" "before login"
assert_match "^302 " "$(probe client "$URL6")" "IPv6 before login"
assert_eq "303 http://example.test/" "$(portal_login client clickthrough accept=on)" "login"
assert_eq "200 " "$(probe client "$URL")" "after login"
assert_eq "200 " "$(probe client "$URL6")" "IPv6 after login"
client curl -sS -m 5 -o /dev/null http://10.77.2.2/100k || fail "100k download"
wait_for -t 3 bytes_down_ge 102400
wait_for in_set

tg_stop
captive_start "${CONF1[@]}"
grep -q '1 session(s) restored' "$STATE/tollgated.log" ||
  fail "the restarted daemon did not restore the session: $(cat "$STATE/tollgated.log")"
listed || fail "sessions list after the restart has no $MAC1: $(tgctl sessions list)"
in_set || fail "captive_macs after the restart has no $MAC1: $(gw nft list set inet tollgate captive_macs)"
assert_eq "200 " "$(probe client "$URL")" "after the restart, without a new login"
assert_eq "200 " "$(probe client "$URL6")" "IPv6 after the restart, without a new login"
bytes_down_ge 102400 || fail "bytes_down after the restart: $(show bytes_down), expected >= 102400 (counted before it)"
assert_eq 0 "$(counter captive_redirects)" "captive_redirects of the restarted daemon"
assert_ge 1 "$(counter captive_logged_in)" "captive_logged_in of the restarted daemon"
wait_for log_has_lines 1
assert_eq "allow 200" "$(log_field -1 action) $(log_field -1 status)" "decision after the restart"
api=$(client curl -sS -m 5 "${PORTAL}api/captive")
assert_match '"captive":false' "$api" "RFC 8908 API after the restart"
tgctl sessions kick "$MAC1" >/dev/null || fail "kick failed"
wait_for not_in_set
assert_match "^302 " "$(probe client "$URL")" "after the kick"

# ---- 2. session_timeout, extend -----------------------------------------------------------------
tg_stop
captive_start captive.session_timeout=3s captive.data_quota=200K
t0=$(now_ms)
assert_eq "303 http://example.test/" "$(portal_login client clickthrough accept=on)" "login (3 s session)"
assert_eq "200 " "$(probe client "$URL")" "right after the 3 s login"
left=$(show seconds_left)
assert_between 1 3 "$left" "seconds_left of a 3 s session"
wait_for -t 8 not_listed
t=$(since "$t0")
# (times are whole seconds: a login at x.99 starts at x, so the end may come 2 s later)
assert_between 1.9 5.5 "$t" "seconds from login to the end of a 3 s session"
not_in_set || fail "captive_macs still has $MAC1 after the session ended"
assert_match "^302 ${PORTAL}" "$(probe client "$URL")" "after session_timeout"
assert_eq 1 "$(counter captive_ended_expired)" "captive_ended_expired"
api=$(client curl -sS -m 5 "${PORTAL}api/captive")
assert_match '"captive":true' "$api" "RFC 8908 API after the session ended"

# extend a live session: it outlives its 3 s, in the daemon and in nft
t0=$(now_ms)
assert_eq "303 http://example.test/" "$(portal_login client clickthrough accept=on)" "second login"
out=$(tgctl sessions extend "$MAC1" 1h 2>&1) || fail "sessions extend $MAC1 1h: $out"
left=$(show seconds_left)
assert_between 3590 3605 "$left" "seconds_left after extend 1h"
elem=$(gw nft list set inet tollgate captive_macs | grep "$MAC1")
assert_match 'expires ([0-9]+h|[0-9]{2}m)' "$elem" "nft element of the extended session"
sleep "$(scaled 4.5)"
listed || fail "the extended session ended after $(since "$t0") s: $(tgctl sessions list)"
assert_eq "200 " "$(probe client "$URL")" "$(since "$t0") s after login with extend 1h"
if tgctl sessions extend 02:00:00:00:00:99 1h >"$OUT/extend.out" 2>&1; then
  fail "sessions extend of an unknown MAC succeeded: $(cat "$OUT/extend.out")"
fi

# ---- 3. data quota (200K, set at login) ----------------------------------------------------------
client curl -sS -m 10 -o "$OUT/1m" http://10.77.2.2/1m || fail "1m download"
t0=$(now_ms)
wait_for -t 4 not_listed
t=$(since "$t0")
assert_le 3 "${t%.*}" "seconds from the over-quota download to the end of the session"
assert_eq 1 "$(counter captive_ended_quota)" "captive_ended_quota"
not_in_set || fail "captive_macs still has $MAC1 after the quota ended the session"
assert_match "^302 ${PORTAL}" "$(probe client "$URL")" "after the quota"
grep -q "session of $MAC1 ended (quota)" "$STATE/tollgated.log" ||
  fail "no 'ended (quota)' in the daemon's log"

# ---- 4. idle_timeout ----------------------------------------------------------------------------
tg_stop
captive_start captive.session_timeout=1h captive.idle_timeout=2s
assert_eq "303 http://example.test/" "$(portal_login client clickthrough accept=on)" "login (idle 2 s)"
t0=$(now_ms)
while (( $(now_ms) - t0 < 4000 )); do
  assert_eq "200 " "$(probe client "$URL")" "request $(since "$t0") s into a busy session"
  sleep 0.4
done
listed || fail "a session with traffic every 0.4 s ended (idle_timeout 2s)"
t0=$(now_ms)
wait_for -t 8 not_listed
t=$(since "$t0")
assert_between 1 5 "$t" "seconds of silence before the idle session ended"
assert_eq 1 "$(counter captive_ended_idle)" "captive_ended_idle"
assert_match "^302 ${PORTAL}" "$(probe client "$URL")" "after idle_timeout"

# ---- 5. quota: traffic the proxy does not see ---------------------------------------------------
lab_spawn origin corigin "$PY" -u "$SCN_DIR/cache_origin.py" --port 8090 >/dev/null
lab_wait_port origin any 8090 10 >/dev/null || fail "cache_origin.py did not start"
tg_stop
captive_start captive.session_timeout=1h captive.data_quota=200K
assert_eq "303 http://example.test/" "$(portal_login client clickthrough accept=on)" "login (200K, port 8090)"
got=$(client curl -sS -m 10 -o /dev/null -w '%{http_code} %{size_download}' "http://10.77.2.2:8090/big?size=1048576")
assert_eq "200 1048576" "$got" "1 MB from port 8090 (not intercepted)"
t0=$(now_ms)
try_wait_for -t 4 not_listed ||
  fail "a 1 MB download on a port the proxy does not intercept did not end a 200K session \
($(since "$t0") s later: bytes_up $(show bytes_up), bytes_down $(show bytes_down)): only the upload is counted"
assert_match "^302 ${PORTAL}" "$(probe client "$URL")" "after the quota (port 8090)"
pass
