#!/usr/bin/env bash
# A real browser through the portal: headless Chromium in the client namespace, driven over the
# DevTools protocol by captive_browser.py, opens http://some-site.test/ (every name resolves to
# the origin), is redirected to the portal with ?url= kept, finds the click-through form, ticks
# the box and clicks the button, and lands on http://some-site.test/ as served by the origin.
# The daemon's side: a click-through session for the client's MAC, a "portal" decision line
# for the first request and an "allow" 200 line for the same URL after the login. Skips (77)
# without chromium or python3-websocket.
. "$(dirname "$0")/captive_lib.sh"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[[ -x $CHROMIUM ]] || skip "chromium is not installed ($CHROMIUM; apt-get install chromium)"
/usr/bin/python3 -c 'import websocket' 2>/dev/null ||
  skip "python3-websocket is not installed (apt-get install python3-websocket)"
scenario_lab
MAC1=$(mac_of client)
SITE=http://some-site.test/

captive_start
# Chromium's own files (crash reports, caches) stay in the scenario's scratch dir.
mkdir -p "$OUT/home"
T=$(scaled 20)
set +e
timeout -k 5 "$(scaled 50)" "$LAB_TOOL" exec client env HOME="$OUT/home" \
  XDG_CONFIG_HOME="$OUT/home/.config" XDG_CACHE_HOME="$OUT/home/.cache" \
  /usr/bin/python3 "$SCN_DIR/captive_browser.py" --chromium "$CHROMIUM" --start "$SITE" \
  --portal "$PORTAL" --resolve-to 10.77.2.2 --expect-title 'tollgate lab origin' \
  --expect-text 'It works.' --timeout "$T" --workdir "$OUT" >"$OUT/browser.out" 2>&1
rc=$?
set -e
sed 's/^/  browser| /' "$OUT/browser.out" >&2
if [[ $rc -ne 0 ]]; then
  [[ -s $OUT/chromium.log ]] && { echo "---- chromium.log (last 30 lines)" >&2; tail -n 30 "$OUT/chromium.log" >&2; }
  fail "the browser did not get through the portal (exit $rc): $(grep -E '^FAIL' "$OUT/browser.out" || tail -n 1 "$OUT/browser.out")"
fi
assert_eq OK "$(tail -n 1 "$OUT/browser.out")" "the browser's last line"
portal_url=$(sed -n 's/^STEP portal: //p' "$OUT/browser.out")
assert_eq "${PORTAL}?url=http%3A%2F%2Fsome-site.test%2F" "$portal_url" "the portal URL the browser showed"

# the daemon's view
sess=$(tgctl sessions list)
grep -qE "^$MAC1 +clickthrough" <<<"$sess" || fail "no click-through session for $MAC1: $sess"
assert_eq 1 "$(counter portal_logins_clickthrough)" "portal_logins_clickthrough"
assert_eq 0 "$(counter portal_csrf_failures)" "portal_csrf_failures"
wait_for log_has_lines 2
first=$(log_py '[(r["action"], r["status"]) for r in L if r["url"] == "'"$SITE"'"][0]')
assert_eq "('portal', 302)" "$first" "decision of the browser's first request for $SITE"
last=$(log_py '[(r["action"], r["status"], r["host"]) for r in L if r["url"] == "'"$SITE"'"][-1]')
assert_eq "('allow', 200, 'some-site.test')" "$last" "decision of the request for $SITE after the login"
assert_ge 1 "$(counter captive_redirects)" "captive_redirects"
pass
