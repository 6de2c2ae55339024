#!/usr/bin/env bash
# A reload that changes listen_port (a key that needs a restart) keeps intercepting on the
# running listeners: the ruleset is not pointed at a port nobody listens on, and the reply says
# what needs a restart.
. "$(dirname "$0")/lib.sh"
scenario_lab
tg_start
client curl -sS -m 5 -o /dev/null http://10.77.2.2/1k || fail "curl before reload failed"
wait_for counter_ge http_requests 1
sed -i 's/^listen_port = .*/listen_port = 3199/; t; s/^\[gateway\]$/[gateway]\nlisten_port = 3199/' "$TG_CONF"
grep -q '^listen_port = 3199' "$TG_CONF" || fail "could not edit the config"
reply=$(tgctl --json reload) || fail "reload failed: $reply"
assert_match 'listen_port' "$reply" "reload reply naming the restart-only key"
gw nft list table inet tollgate >"$OUT/table" 2>&1 || fail "nft list failed: $(cat "$OUT/table")"
grep -q 'tproxy ip to :3129' "$OUT/table" || fail "ruleset no longer points at the running listener: $(cat "$OUT/table")"
client curl -sS -m 5 -o /dev/null http://10.77.2.2/1k || fail "curl after reload failed"
wait_for counter_ge http_requests 2
pass
