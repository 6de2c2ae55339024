#!/usr/bin/env bash
# A rule limited to a schedule applies only inside its window (local time): one schedule around
# now, one that ended an hour ago.
. "$(dirname "$0")/lib.sh"
scenario_lab
printf 'social.test\n' >"$STATE/social.txt"
hm() { date -d "$1" +%H:%M; }
TG_EXTRA="[list.social]
format = domains
path = $STATE/social.txt
[schedule.now]
days = mon-sun
hours = $(hm '-1 hour')-$(hm '+1 hour')
[schedule.earlier]
days = mon-sun
hours = $(hm '-3 hours')-$(hm '-2 hours')
[group.default]
rules = block social @now"
tg_start
status=$(client curl -sS -m 5 -o /dev/null -w '%{http_code}' -H 'Host: social.test' http://10.77.2.2/1k)
assert_eq 403 "$status" "inside the schedule"
sed -i 's/^rules = block social @now/rules = block social @earlier/' "$TG_CONF"
tg_reload
status=$(client curl -sS -m 5 -o /dev/null -w '%{http_code}' -H 'Host: social.test' http://10.77.2.2/1k)
assert_eq 200 "$status" "outside the schedule"
pass
