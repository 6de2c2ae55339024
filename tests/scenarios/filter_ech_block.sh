#!/usr/bin/env bash
# A ClientHello carrying Encrypted Client Hello (Chromium's, captured) is logged as such; a group
# with block_ech = true gets a TLS access_denied alert for it, without any upstream connection.
. "$(dirname "$0")/lib.sh"
scenario_lab
HELLO=$ROOT/tests/unit/inspect/fixtures/clienthello_chromium.bin
[[ -f $HELLO ]] || fail "missing fixture $HELLO"
tg_start
client "$PY" "$(dirname "$0")/netc.py" --timeout 2 10.77.2.2 443 "sendfile:$HELLO" read >/dev/null || true
wait_for log_has_lines 1
assert_eq ech "$(log_field 1 note)" "note of an ECH ClientHello"
tg_stop

TG_EXTRA="[group.default]
block_ech = true"
tg_start
client "$PY" "$(dirname "$0")/netc.py" --timeout 2 --out "$OUT/reply" 10.77.2.2 443 "sendfile:$HELLO" read >/dev/null || true
assert_eq "15030300020231" "$(od -An -tx1 "$OUT/reply" | tr -d ' \n')" "bytes received: a fatal access_denied alert"
wait_for log_has_lines 1
assert_eq block_ech "$(log_field -1 rule)" "rule"
assert_eq 0 "$(counter upstream_connect_ok)" "upstream connections for the blocked flow"
pass
