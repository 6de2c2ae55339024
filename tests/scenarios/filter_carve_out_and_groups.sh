#!/usr/bin/env bash
# An allow rule before a block rule carves an exception out of it; a group chosen by MAC gets
# its own rules while another client on the LAN falls to [group.default].
. "$(dirname "$0")/lib.sh"
scenario_lab
printf 'blocked.test\n' >"$STATE/bad.txt"
printf 'ok.blocked.test\n' >"$STATE/homework.txt"
mac=$(client cat /sys/class/net/c0/address)
TG_EXTRA="[list.bad]
format = domains
path = $STATE/bad.txt
[list.homework]
format = domains
path = $STATE/homework.txt
[group.kids]
clients = $mac
rules = allow homework; block bad
[group.default]
default = allow"
tg_start
code() { lab_exec "$1" curl -sS -m 5 -o /dev/null -w '%{http_code}' -H "Host: $2" http://10.77.2.2/1k; }
assert_eq 200 "$(code client ok.blocked.test)" "carve-out for the kids group"
assert_eq 403 "$(code client other.blocked.test)" "blocked for the kids group"
assert_eq 200 "$(code client2 other.blocked.test)" "another client (default group)"
wait_for log_has_lines 3
assert_eq kids "$(log_field 1 group)" "group of the client with the kids MAC"
assert_eq "allow homework" "$(log_field 1 rule)" "carve-out rule"
assert_eq default "$(log_field 3 group)" "group of the other client"

# tollgatectl explain: the decision for a hypothetical request, with the rules and file:line
tgctl explain --client 10.77.1.9 --mac "$mac" http://other.blocked.test/x >"$OUT/explain" ||
  fail "explain failed"
grep -q 'group:.*kids' "$OUT/explain" || fail "explain: wrong group: $(cat "$OUT/explain")"
grep -q "block bad: matched bad ($STATE/bad.txt:1: blocked.test)" "$OUT/explain" ||
  fail "explain does not show the matching entry with file:line: $(cat "$OUT/explain")"
assert_eq block "$(tgctl --json explain --client 10.77.1.9 --mac "$mac" http://other.blocked.test/x |
  "$PY" -c 'import json,sys; print(json.load(sys.stdin)["action"])')" "explain --json action"
# tollgatectl lists: every list with its entries
tgctl lists >"$OUT/lists" || fail "lists failed"
grep -qE '^homework +domains +1 ' "$OUT/lists" || fail "lists: $(cat "$OUT/lists")"
tgctl reload lists >/dev/null || fail "reload lists failed"
pass
