#!/usr/bin/env bash
# The OS captive-portal probes (research/captive_anchors.md §2): before login each one (Apple,
# Android, Windows connecttest + /redirect, Firefox, ChromeOS, NetworkManager, Windows over
# IPv6) gets 302 to the portal with its URL kept (never 511, never the real body); after a
# click-through login the same requests reach the origin unchanged and get the exact "open"
# answer each OS wants (the bodies are files in nginx's root; the 204 comes from origin.py's
# /status/204 on 8081). A walled_garden naming a probe domain is refused with file:line; a
# garden host and a garden CIDR pass before login (the CIDR also for TLS and a port the proxy
# does not intercept), while another address on that port gets a reset, and a probe Host sent
# to the garden address is still redirected.
. "$(dirname "$0")/captive_lib.sh"
scenario_lab

# ---- config check: a probe host in the garden is refused, with file:line -------------------------
bad=$OUT/garden-probe.conf
printf '[captive]\nenabled = true\nlisten = 10.77.1.1:8080\nportal_url = http://10.77.1.1:8080/\nwalled_garden = garden.test, apple.com\n' >"$bad"
if "$TOLLGATED" --check-config -c "$bad" >"$OUT/check.out" 2>&1; then
  fail "--check-config accepted walled_garden = apple.com: $(cat "$OUT/check.out")"
fi
assert_match "^$bad:5: walled_garden: .*apple\.com.*captive\.apple\.com" "$(head -1 "$OUT/check.out")" \
  "--check-config message for walled_garden = apple.com"
sed -i 's/, apple.com/, *.gstatic.com/' "$bad"
"$TOLLGATED" --check-config -c "$bad" >"$OUT/check.out" 2>&1 &&
  fail "--check-config accepted walled_garden = *.gstatic.com"
assert_match "^$bad:5: walled_garden: .*gstatic" "$(head -1 "$OUT/check.out")" "message for *.gstatic.com"
sed -i 's/, \*.gstatic.com//' "$bad"
"$TOLLGATED" --check-config -c "$bad" >"$OUT/check.out" 2>&1 ||
  fail "--check-config refused walled_garden = garden.test: $(cat "$OUT/check.out")"

# ---- the origin: each probe's "open" answer, served by nginx on :80 -------------------------------
WWW=$STATE/www
printf '%s' '<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>' >"$WWW/hotspot-detect.html"
printf '%s' 'Microsoft Connect Test' >"$WWW/connecttest.txt"
printf '%s' '<meta http-equiv="refresh" content="0;url=https://support.mozilla.org/kb/captive-portal"/>' \
  >"$WWW/canonical.html"
printf 'NetworkManager is online\n' >"$WWW/check_network_status.txt"
# cache_origin.py answers on every origin address: the garden CIDR test's non-intercepted port
lab_spawn origin corigin "$PY" -u "$SCN_DIR/cache_origin.py" --port 8090 >/dev/null
lab_wait_port origin any 8090 10 >/dev/null || fail "cache_origin.py did not start"

# NAME|URL|address the client resolves the name to|status after login|body file ("" = any)
PROBES=(
  "apple|http://captive.apple.com/hotspot-detect.html|10.77.2.2|200|hotspot-detect.html"
  "android|http://connectivitycheck.gstatic.com/generate_204|10.77.2.2|404|"
  "android204|http://connectivitycheck.gstatic.com:8081/status/204|10.77.2.2|204|"
  "windows|http://www.msftconnecttest.com/connecttest.txt|10.77.2.2|200|connecttest.txt"
  "windows6|http://ipv6.msftconnecttest.com/connecttest.txt|fd77:2::2|200|connecttest.txt"
  "winredirect|http://www.msftconnecttest.com/redirect|10.77.2.2|404|"
  "firefox|http://detectportal.firefox.com/canonical.html|10.77.2.2|200|canonical.html"
  "chromeos|http://www.gstatic.com/generate_204|10.77.2.2|404|"
  "nm|http://nmcheck.gnome.org/check_network_status.txt|10.77.2.2|200|check_network_status.txt"
)
# what each OS sends besides the URL
probe_args() {
  case ${1%-after} in
    apple) ARGS=(-0 -A 'CaptiveNetworkSupport-355.200.27 wispr') ;;
    android|android204)
      ARGS=(-A 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/60.0.3112.32 Safari/537.36') ;;
    windows|windows6|winredirect) ARGS=(-A 'Microsoft NCSI') ;;
    firefox) ARGS=(-H 'Cache-Control: no-cache' -H 'Pragma: no-cache') ;;
    nm) ARGS=(-A 'NetworkManager/1.42.4') ;;
    *) ARGS=() ;;
  esac
}

# probe_get NAME URL ADDR: GET from the client with NAME's arguments, the URL's host resolved to
# ADDR; head and body to $OUT/NAME.head / NAME.body; prints "STATUS LOCATION"
probe_get() {
  local name=$1 url=$2 addr=$3 hostport
  hostport=${url#http://}
  hostport=${hostport%%/*}
  [[ $hostport == *:* ]] || hostport=$hostport:80
  [[ $addr == *:* ]] && addr="[$addr]"
  probe_args "$name"
  client curl -sS -m 5 --resolve "$hostport:$addr" -D "$OUT/$name.head" -o "$OUT/$name.body" \
    -w '%{http_code} %{redirect_url}' ${ARGS[@]+"${ARGS[@]}"} "$url" 2>"$OUT/$name.err" ||
    echo "000 curl failed: $(cat "$OUT/$name.err")"
}
pct() { "$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

captive_start "captive.walled_garden=garden.test, 10.77.2.3/32"

# ---- before login: every probe is sent to the portal ---------------------------------------------
n=0
for p in "${PROBES[@]}"; do
  IFS='|' read -r name url addr _ bodyf <<<"$p"
  out=$(probe_get "$name" "$url" "$addr")
  assert_eq "302 ${PORTAL}?url=$(pct "$url")" "$out" "$name probe before login ($url)"
  grep -qi '^cache-control: no-store' "$OUT/$name.head" || fail "$name: 302 without no-store"
  if [[ -n $bodyf ]] && cmp -s "$WWW/$bodyf" "$OUT/$name.body"; then
    fail "$name: the real 'open' body came through before login"
  fi
  n=$((n + 1))
  wait_for log_has_lines "$n"
  assert_eq "portal 302 $url" "$(log_field -1 action) $(log_field -1 status) $(log_field -1 url)" \
    "decision line of the $name probe before login"
done
assert_eq "$n" "$(counter captive_redirects)" "captive_redirects after $n probes"
assert_eq 0 "$(counter captive_garden)" "captive_garden after the probes"

# ---- the walled garden, before login ------------------------------------------------------------
out=$(probe_get garden http://garden.test/1k 10.77.2.2)
assert_eq "200 " "$out" "garden host before login"
assert_eq "$(file_sha 1k)" "$(sha256sum <"$OUT/garden.body" | cut -d' ' -f1)" "garden host body"
out=$(probe_get gardensub http://www.garden.test/1k 10.77.2.2)
assert_eq "200 " "$out" "a subdomain of the garden host before login"
out=$(probe_get notgarden http://notgarden.test/1k 10.77.2.2)
assert_match "^302 " "$out" "notgarden.test (not a subdomain of garden.test)"
# the garden CIDR: intercepted HTTP and TLS, and a port the proxy does not intercept
out=$(probe_get cidr http://10.77.2.3/1k 10.77.2.3)
assert_eq "200 " "$out" "HTTP to the garden CIDR before login"
client curl -sS -m 5 -k -o /dev/null https://10.77.2.3/1k 2>"$OUT/tls.err" ||
  fail "TLS to the garden CIDR before login: $(cat "$OUT/tls.err")"
out=$(client curl -sS -m 5 -o /dev/null -D - http://10.77.2.3:8090/x 2>&1) ||
  fail "TCP 8090 (not intercepted) to the garden CIDR before login: $out"
grep -q '^X-Origin-Addr: 10.77.2.3' <<<"${out//$'\r'/}" || fail "8090 to the garden CIDR: $out"
if client curl -sS -m 5 -o /dev/null http://10.77.2.2:8090/x 2>"$OUT/reset.err"; then
  fail "TCP 8090 to 10.77.2.2 (outside the garden) went through before login"
fi
grep -qiE "couldn't connect|refused|reset" "$OUT/reset.err" ||
  fail "TCP 8090 outside the garden: expected a reset (connection refused), got: $(cat "$OUT/reset.err")"
# a probe Host at the garden address is still sent to the portal
out=$(client curl -sS -m 5 -o /dev/null -w '%{http_code} %{redirect_url}' \
  -H 'Host: captive.apple.com' http://10.77.2.3/hotspot-detect.html)
assert_match "^302 ${PORTAL}" "$out" "probe Host sent to the garden CIDR"
assert_ge 3 "$(counter captive_garden)" "captive_garden (garden host, subdomain, CIDR)"
assert_eq "$((n + 2))" "$(counter captive_redirects)" "captive_redirects after the garden checks"

# ---- login, then the probes reach the origin ------------------------------------------------------
out=$(portal_login client clickthrough accept=on)
assert_eq "303 http://example.test/" "$out" "click-through login"
before=$(counter captive_logged_in)
lines=$(log_lines)
for p in "${PROBES[@]}"; do
  IFS='|' read -r name url addr want bodyf <<<"$p"
  out=$(probe_get "$name-after" "$url" "$addr")
  assert_eq "$want " "$out" "$name probe after login ($url)"
  if [[ -n $bodyf ]]; then
    cmp -s "$WWW/$bodyf" "$OUT/$name-after.body" ||
      fail "$name after login: body is not the origin's: $(head -c 200 "$OUT/$name-after.body")"
  elif [[ $want == 404 ]]; then
    # nginx's own 404: the request reached the real host
    grep -qi '^server: nginx' "$OUT/$name-after.head" || fail "$name after login: 404 not from nginx"
  fi
  lines=$((lines + 1))
  wait_for log_has_lines "$lines"
  assert_eq "allow $want $url" "$(log_field -1 action) $(log_field -1 status) $(log_field -1 url)" \
    "decision line of the $name probe after login"
done
assert_ge $((before + ${#PROBES[@]})) "$(counter captive_logged_in)" "captive_logged_in after the probes"
assert_eq "$((n + 2))" "$(counter captive_redirects)" "captive_redirects after login (no more redirects)"
pass
