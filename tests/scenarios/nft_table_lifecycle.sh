#!/usr/bin/env bash
# manage_nftables = true: while the daemon runs, the gw has `table inet tollgate` and the policy
# routing for the intercept mark (v4 and v6 rule + local route in route_table); after a stop,
# all of it is gone.
. "$(dirname "$0")/lib.sh"
scenario_lab

rules() { gw ip "$1" rule show | grep -E 'fwmark 0x1(/0xff)? lookup 100' || true; }
routes() { gw ip "$1" route show table 100 2>/dev/null | grep -E '^local (default|0\.0\.0\.0/0|::/0)' || true; }

[[ -z $(rules -4)$(rules -6) ]] || fail "fwmark rule present before start: $(rules -4) $(rules -6)"
gw nft list table inet tollgate >/dev/null 2>&1 && fail "table inet tollgate present before start"

tg_start
gw nft list table inet tollgate >"$OUT/table" 2>&1 || fail "no table inet tollgate after start: $(cat "$OUT/table")"
grep -q 'tproxy' "$OUT/table" || fail "table inet tollgate has no tproxy rule: $(cat "$OUT/table")"
[[ -n $(rules -4) ]] || fail "no IPv4 fwmark rule after start: $(gw ip -4 rule show)"
[[ -n $(rules -6) ]] || fail "no IPv6 fwmark rule after start: $(gw ip -6 rule show)"
[[ -n $(routes -4) ]] || fail "no IPv4 local route in table 100: $(gw ip -4 route show table 100 2>&1)"
[[ -n $(routes -6) ]] || fail "no IPv6 local route in table 100: $(gw ip -6 route show table 100 2>&1)"

tg_stop
if gw nft list table inet tollgate >/dev/null 2>&1; then fail "table inet tollgate still present after stop"; fi
[[ -z $(rules -4) ]] || fail "IPv4 fwmark rule still present after stop: $(rules -4)"
[[ -z $(rules -6) ]] || fail "IPv6 fwmark rule still present after stop: $(rules -6)"
[[ -z $(routes -4)$(routes -6) ]] || fail "local routes left in table 100 after stop: $(routes -4) $(routes -6)"
grep -q 'stopped' "$STATE/tollgated.log" || fail "the daemon did not log 'stopped'"
pass
