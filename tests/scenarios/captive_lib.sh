# Shared by the captive_* scenarios: a gateway with the captive portal on, and a curl-driven
# login the way a browser does it (GET the form, POST it with its CSRF token).
# shellcheck shell=bash
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PORTAL=http://10.77.1.1:8080/

# captive_start [SECTION.KEY=VALUE]...: tollgated with [captive] on, the portal on the gw's LAN
# address, the session database in the lab state dir.
captive_start() {
  tg_start captive.enabled=true captive.listen=10.77.1.1:8080 "captive.portal_url=$PORTAL" \
    "captive.database=$STATE/sessions.db" "$@"
}

# portal_form [CLIENT_NS] [URL]: the login page for the client, saved to $OUT/form.html; prints
# the CSRF token of the first form.
portal_form() {
  local ns=${1:-client} url=${2:-http://example.test/}
  lab_exec "$ns" curl -sS -m 5 -o "$OUT/form.html" -w '%{http_code}' -G \
    --data-urlencode "url=$url" "$PORTAL" >"$OUT/form.code" || fail "portal GET failed"
  assert_eq 200 "$(cat "$OUT/form.code")" "login page status"
  grep -o 'name="csrf" value="[^"]*"' "$OUT/form.html" | head -1 | sed 's/.*value="//; s/"$//'
}

# portal_login NS METHOD [FIELD=VALUE]...: POSTs a login form; prints the HTTP status and the
# Location (e.g. "303 http://example.test/").
portal_login() {
  local ns=$1 method=$2 csrf
  shift 2
  csrf=$(portal_form "$ns") || return 1
  [[ -n $csrf ]] || fail "no CSRF token in the login page: $(head -c 400 "$OUT/form.html")"
  local args=(--data-urlencode "method=$method" --data-urlencode "csrf=$csrf"
              --data-urlencode "url=http://example.test/")
  local f
  for f in "$@"; do args+=(--data-urlencode "$f"); done
  lab_exec "$ns" curl -sS -m 10 -o "$OUT/login.html" -w '%{http_code} %{redirect_url}' \
    "${args[@]}" "${PORTAL}login"
}

# probe NS URL: status and Location of a plain-HTTP GET (no redirects followed).
probe() {
  lab_exec "$1" curl -sS -m 5 -o "$OUT/probe.body" -w '%{http_code} %{redirect_url}' "$2" 2>/dev/null ||
    echo "000 curl-failed"
}

# ---- helpers of the captive_* scenarios ----------------------------------------------------------
# mac_of NS: the MAC of NS's LAN interface
mac_of() { lab_exec "$1" cat /sys/class/net/c0/address; }
# session_listed MAC / session_gone MAC: whether `sessions list` has MAC (the output is read whole:
# `grep -q` in a pipe could stop the writer early, which pipefail turns into a failure)
session_listed() { local l; l=$(tgctl sessions list) && grep -q "^$1 " <<<"$l"; }
session_gone() { ! session_listed "$1"; }
# session_field MAC FIELD: FIELD of `tollgatectl --json sessions show MAC` (seconds_left,
# bytes_down, method, user, expires...)
session_field() {
  tgctl --json sessions show "$1" |
    "$PY" -c 'import json,sys; print(json.load(sys.stdin)["session"][sys.argv[1]])' "$2"
}
# login_message: the alert of the last portal_login answer ($OUT/login.html), e.g. "Wrong user
# name or password."
login_message() { grep -o '<p class="message"[^>]*>[^<]*' "$OUT/login.html" | sed 's/.*>//'; }
