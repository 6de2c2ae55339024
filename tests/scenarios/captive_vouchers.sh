#!/usr/bin/env bash
# auth = voucher. `tollgatectl voucher create` prints a roll; a --devices 2 code serves both
# clients on one clock (the duration runs from first use). A --devices 1 code logs the client in
# (303, a voucher session); the same code from client2 is refused with the reason on the page
# and no session; click-through is not offered. Brute force: client2's 6th voucher attempt in
# 5 minutes gets 429 with Retry-After, and while the lock lasts even a valid code is refused
# (429, no session), while the other client still logs in with it. A voucher with --data 200K
# ends its session once a download used it up, and cannot be used again.
. "$(dirname "$0")/captive_lib.sh"
scenario_lab
MAC1=$(mac_of client)
MAC2=$(mac_of client2)
URL=http://10.77.2.2/1k
CODE_RE='^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{2}$'

# new_voucher ARGS...: one code from `voucher create --json --count 1 ARGS`
new_voucher() {
  local out code
  out=$(tgctl --json voucher create --count 1 "$@") || fail "voucher create $*: $out"
  code=$("$PY" -c 'import json,sys; c=json.load(sys.stdin)["codes"]; assert len(c)==1; print(c[0])' <<<"$out") ||
    fail "voucher create $*: no single code in $out"
  assert_match "$CODE_RE" "$code" "voucher code"
  echo "$code"
}

captive_start captive.auth=voucher

# the text roll: a header, then one code per line
tgctl voucher create --count 3 --duration 24h --devices 2 >"$OUT/roll.txt" || fail "voucher create (text)"
assert_eq 3 "$(grep -cE '^ +[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{2}$' "$OUT/roll.txt")" \
  "codes in the text roll: $(cat "$OUT/roll.txt")"
grep -q '24h' "$OUT/roll.txt" || fail "the roll does not say its duration: $(cat "$OUT/roll.txt")"

# ---- a --devices 2 code: both clients, one clock (the duration runs from first use) --------------
ROLL1=$(grep -oE '[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{2}' "$OUT/roll.txt" | head -1)
assert_eq "303 http://example.test/" "$(portal_login client voucher "code=$ROLL1")" "client with a 2-device code"
sleep 1.1
assert_eq "303 http://example.test/" "$(portal_login client2 voucher "code=$ROLL1")" "client2 with the same code"
e1=$(session_field "$MAC1" expires) e2=$(session_field "$MAC2" expires)
assert_between -1 1 $((e2 - e1)) "client2's session end minus client's (one voucher clock)"
assert_between 86390 86400 $((e1 - $(date +%s))) "seconds left on a 24h voucher"
tgctl sessions kick "$MAC1" >/dev/null || fail "kick $MAC1"
tgctl sessions kick "$MAC2" >/dev/null || fail "kick $MAC2"

CODE1=$(new_voucher --duration 1h --devices 1)
portal_form client >/dev/null
grep -q 'name="code"' "$OUT/form.html" || fail "the login page has no voucher field"
if grep -q 'name="method" value="clickthrough"' "$OUT/form.html"; then
  fail "the login page offers click-through with auth = voucher"
fi
out=$(portal_login client clickthrough accept=on)
assert_match "^400 " "$out" "a click-through POST with auth = voucher"
session_gone "$MAC1" || fail "click-through logged in with auth = voucher"

# ---- one device per code ------------------------------------------------------------------------
out=$(portal_login client voucher "code=$CODE1")
assert_eq "303 http://example.test/" "$out" "voucher login of client"
sess=$(tgctl sessions list)
grep -qE "^$MAC1 +voucher" <<<"$sess" || fail "no voucher session for $MAC1: $sess"
assert_eq "200 " "$(probe client "$URL")" "client after the voucher login"

out=$(portal_login client2 voucher "code=$CODE1")
assert_match "^403 $" "$out" "the same --devices 1 code from client2"
assert_match "already in use on as many devices" "$(login_message)" "the refusal's message"
session_gone "$MAC2" || fail "client2 got a session with a used-up code"
assert_match "^302 " "$(probe client2 "$URL")" "client2 after the refused code"
assert_eq 1 "$(counter portal_voucher_rejected)" "portal_voucher_rejected"

# ---- brute force: 5 attempts per MAC in 5 minutes, then 429 -------------------------------------
# client2 has used 1 attempt (above); attempts 2..5 are judged, the 6th is refused unread.
for i in 2 3 4 5; do
  out=$(portal_login client2 voucher "code=WRNG-C0DE-0$i")
  assert_eq "403 " "$out" "wrong code, attempt $i"
  assert_match "not valid" "$(login_message)" "message for a wrong code"
done
CODE2=$(new_voucher --duration 1h --devices 1)
for what in wrong right; do
  [[ $what == wrong ]] && c=WRNG-C0DE-06 || c=$CODE2
  csrf=$(portal_form client2)
  client2_out=$(lab_exec client2 curl -sS -m 10 -D "$OUT/429.head" -o "$OUT/login.html" -w '%{http_code}' \
    --data-urlencode method=voucher --data-urlencode "csrf=$csrf" --data-urlencode "code=$c" \
    --data-urlencode "url=http://example.test/" "${PORTAL}login")
  assert_eq 429 "$client2_out" "the $what code while locked"
  ra=$(tr -d '\r' <"$OUT/429.head" | awk -F': *' 'tolower($1) == "retry-after" { print $2 }')
  assert_match '^[0-9]+$' "$ra" "Retry-After of the 429 ($what code)"
  assert_between 1 300 "$ra" "Retry-After seconds"
  assert_match "Too many attempts" "$(login_message)" "the 429 page's message"
done
session_gone "$MAC2" || fail "client2 logged in while locked"
assert_match "^302 " "$(probe client2 "$URL")" "client2 while locked"
assert_eq 2 "$(counter portal_rate_limited)" "portal_rate_limited"
# the code refused during the lock was not spent: client (another MAC) can use it
tgctl sessions kick "$MAC1" >/dev/null || fail "kick $MAC1"
out=$(portal_login client voucher "code=$CODE2")
assert_eq "303 http://example.test/" "$out" "client (not locked) with the code client2 was refused"

# ---- a voucher with a data allowance -------------------------------------------------------------
CODE3=$(new_voucher --duration 1h --data 200K)
tgctl sessions kick "$MAC1" >/dev/null || fail "kick $MAC1"
out=$(portal_login client voucher "code=$CODE3")
assert_eq "303 http://example.test/" "$out" "login with the 200K voucher"
api=$(client curl -sS -m 5 "${PORTAL}api/captive")
assert_match '"bytes-remaining":20[0-9]{4}[,}]' "$api" "RFC 8908 bytes-remaining of the 200K voucher"
client curl -sS -m 10 -o /dev/null http://10.77.2.2/1m || fail "1m download"
t0=$(now_ms)
wait_for -t 4 session_gone "$MAC1"
assert_le 3000 $(( $(now_ms) - t0 )) "ms from the over-quota download to the end of the session"
assert_eq 1 "$(counter captive_ended_quota)" "captive_ended_quota"
assert_match "^302 ${PORTAL}" "$(probe client "$URL")" "after the voucher's data ran out"
out=$(portal_login client voucher "code=$CODE3")
assert_eq "403 " "$out" "the used-up 200K voucher again"
assert_match "data allowance is used up" "$(login_message)" "message for a used-up data voucher"
session_gone "$MAC1" || fail "a used-up data voucher gave a session"
pass
