#!/usr/bin/env bash
# A second tollgated with the same config fails at once ("control socket ... is in use") and
# leaves the running one untouched: its control socket, its nftables table and its traffic.
. "$(dirname "$0")/lib.sh"
scenario_lab

tg_start
if gw "$TOLLGATED" -c "$TG_CONF" >"$OUT/second.out" 2>&1; then
  fail "a second tollgated with the same config started: $(cat "$OUT/second.out")"
fi
assert_match 'control socket .* is in use' "$(cat "$OUT/second.out")" "second instance's error"
[[ -S $TG_SOCK ]] || fail "the running daemon's control socket was removed by the second instance"
tgctl status >/dev/null || fail "the running daemon no longer answers on $TG_SOCK"
gw nft list table inet tollgate >/dev/null 2>&1 || fail "the second instance removed table inet tollgate"
code=$(client curl -sS -m 5 -o /dev/null -w '%{http_code}' http://10.77.2.2/1k) || fail "curl failed"
assert_eq 200 "$code" "HTTP through the running daemon"
wait_for counter_ge http_requests 1
pass
