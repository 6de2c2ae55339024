#!/usr/bin/env bash
# A blocked HTTP request gets the 403 block page (host, category, rule, list, group; values
# escaped), its decision line says so, and no upstream connection is ever opened for it: the
# origin counts no SYN. On the same keep-alive connection the next, allowed request goes through
# (each request is judged on its own).
. "$(dirname "$0")/lib.sh"
scenario_lab
printf '# test list\nblocked.test\n<script>.evil.test\n' >"$STATE/bad.txt"
TG_EXTRA="[list.bad]
format = domains
path = $STATE/bad.txt
[group.default]
rules = block bad
default = allow"
tg_start filter.admin_contact="it@example.test"
origin nft add table inet count
origin nft add chain inet count in '{ type filter hook input priority 0; }'
origin nft add rule inet count in tcp dport 80 tcp flags syn counter

client curl -sS -m 5 -o "$OUT/blocked" -w '%{http_code}' -H 'Host: www.Blocked.test' \
  http://10.77.2.2/page >"$OUT/code" || fail "curl failed"
assert_eq 403 "$(cat "$OUT/code")" "status of a blocked request"
grep -q 'blocked.test' "$OUT/blocked" || fail "block page does not name the host: $(cat "$OUT/blocked")"
grep -q 'it@example.test' "$OUT/blocked" || fail "block page has no admin contact"
grep -q 'block bad' "$OUT/blocked" || fail "block page does not name the rule"
syns=$(origin nft list chain inet count in | awk '/counter/ { for (i=1;i<=NF;i++) if ($i=="packets") print $(i+1) }')
assert_eq 0 "$syns" "SYNs at the origin for a blocked request"
wait_for log_has_lines 1
assert_eq block "$(log_field 1 action)" "action"
assert_eq bad "$(log_field 1 list)" "list"
assert_eq default "$(log_field 1 group)" "group"
assert_eq "block bad" "$(log_field 1 rule)" "rule"

# allowed / blocked / allowed, pipelined on one connection: each request judged on its own
before=$(counter connections_accepted)
client "$PY" "$(dirname "$0")/netc.py" --out "$OUT/seq" 10.77.2.2 80 \
  'send:GET /1k HTTP/1.1\r\nHost: 10.77.2.2\r\n\r\nGET /1k HTTP/1.1\r\nHost: blocked.test\r\n\r\nGET /1k HTTP/1.1\r\nHost: 10.77.2.2\r\nConnection: close\r\n\r\n' \
  read || fail "netc failed"
statuses=$(grep -a -o 'HTTP/1.1 [0-9]*' "$OUT/seq" | awk '{print $2}' | tr '\n' ' ')
assert_eq "200 403 200 " "$statuses" "statuses of three requests on one connection"
assert_eq $((before + 1)) "$(counter connections_accepted)" "connections used"
pass
