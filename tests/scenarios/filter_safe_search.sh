#!/usr/bin/env bash
# A group with safe_search = true: a search on Google/Bing over HTTP is answered with a 302 to the
# same search in safe mode; the safe URL itself passes (no redirect loop); other groups are not
# touched.
. "$(dirname "$0")/lib.sh"
scenario_lab
mac=$(client cat /sys/class/net/c0/address)
TG_EXTRA="[group.kids]
clients = $mac
safe_search = true"
tg_start
location() { lab_exec "$1" curl -sS -m 5 -o /dev/null -w '%{http_code} %{redirect_url}' -H "Host: $2" "http://10.77.2.2$3"; }
assert_match '^302 http://www.google.com/search\?q=cats.*safe=active' "$(location client www.google.com '/search?q=cats')" "google"
assert_match '^302 http://www.bing.com/search\?q=cats.*adlt=strict' "$(location client www.bing.com '/search?q=cats')" "bing"
assert_match '^404 $' "$(location client www.google.com '/search?q=cats&safe=active')" "already safe: relayed to the origin"
assert_match '^404 $' "$(location client2 www.google.com '/search?q=cats')" "another group: untouched"
wait_for counter_ge safe_search_redirects 2
pass
