#!/usr/bin/env bash
# An unauthenticated client: plain HTTP anywhere gets 302 to the portal with the original URL
# (no-store, Connection: close), TLS and other TCP a reset, UDP dropped; after a click-through
# login (CSRF token, 303 back to the original URL) the same requests reach the origin, and the
# session shows in `tollgatectl sessions list`. Kicking it brings the redirect back.
. "$(dirname "$0")/captive_lib.sh"
scenario_lab
captive_start
MAC1=$(lab_exec client cat /sys/class/net/c0/address)

# before login
out=$(probe client http://10.77.2.2/1k?x=1)
assert_match "^302 http://10.77.1.1:8080/\?url=http%3A%2F%2F10.77.2.2%2F1k%3Fx%3D1$" "$out" "redirect before login"
client curl -sS -m 5 -D "$OUT/h" -o /dev/null http://10.77.2.2/1k || true
grep -qi '^cache-control: no-store' "$OUT/h" || fail "redirect without Cache-Control: no-store: $(cat "$OUT/h")"
grep -qi '^connection: close' "$OUT/h" || fail "redirect without Connection: close"
if client curl -sS -m 5 -k -o /dev/null https://10.77.2.2/1k 2>"$OUT/tls.err"; then
  fail "TLS went through before login"
fi
grep -qiE 'reset|recv failure|connection' "$OUT/tls.err" || fail "TLS before login: $(cat "$OUT/tls.err")"
assert_ge 1 "$(counter captive_redirects)" "captive_redirects"
assert_ge 1 "$(counter captive_resets)" "captive_resets"
wait_for log_has_lines 1
assert_eq portal "$(log_field 1 action)" "action of a redirected request"

# login (click-through)
out=$(portal_login client clickthrough accept=on)
assert_eq "303 http://example.test/" "$out" "login answer"
tgctl sessions list >"$OUT/sessions"
grep -q "$MAC1" "$OUT/sessions" || fail "session of $MAC1 not listed: $(cat "$OUT/sessions")"
out=$(probe client http://10.77.2.2/1k)
assert_eq "200 " "$out" "plain HTTP after login"
client curl -sS -m 5 -k -o /dev/null https://10.77.2.2/1k || fail "TLS after login failed"
# the other client is still held
out=$(probe client2 http://10.77.2.2/1k)
assert_match "^302 " "$out" "the other client, not logged in"

# kick: held again
tgctl sessions kick "$MAC1" >/dev/null || fail "kick failed"
out=$(probe client http://10.77.2.2/1k)
assert_match "^302 " "$out" "after kick"
pass
