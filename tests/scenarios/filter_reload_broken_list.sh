#!/usr/bin/env bash
# A reload whose list cannot load (missing file) keeps the running policy: the blocked site stays
# blocked, the reload reports the error with file:line, and --check-config reports it too.
. "$(dirname "$0")/lib.sh"
scenario_lab
printf 'blocked.test\n' >"$STATE/bad.txt"
TG_EXTRA="[list.bad]
format = domains
path = $STATE/bad.txt
[group.default]
rules = block bad"
tg_start
code() { client curl -sS -m 5 -o /dev/null -w '%{http_code}' -H 'Host: blocked.test' http://10.77.2.2/1k; }
assert_eq 403 "$(code)" "before the reload"
sed -i "s|^path = $STATE/bad.txt|path = $STATE/missing.txt|" "$TG_CONF"
if reply=$(tgctl --json reload); then fail "reload with a missing list succeeded: $reply"; fi
assert_match 'missing.txt' "$reply" "reload error names the file"
assert_eq 403 "$(code)" "after the failed reload (old policy kept)"
if "$TOLLGATED" --check-config -c "$TG_CONF" 2>"$OUT/check.err"; then fail "--check-config accepted a missing list"; fi
assert_match 'missing.txt' "$(cat "$OUT/check.err")" "--check-config error"
pass
