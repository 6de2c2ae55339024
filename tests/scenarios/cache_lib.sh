# shellcheck shell=bash
# tests/scenarios/cache_lib.sh -- sourced by the cache_*.sh scenarios in place of lib.sh (it
# sources lib.sh). Not executable, so tests/scenarios/run never takes it for a scenario.
#
#   . "$(dirname "$0")/cache_lib.sh"
#   cache_lab                              # scenario_lab, gateway hosts file, cache_origin.py
#   cache_start cache.range_miss=forward   # tg_start: cache on in $CACHE_DIR, :8090 intercepted
#   assert_eq 200 "$(cget a "$CO/b/x?cc=max-age=60")"   # $OUT/a.head, a.body, a.time
#   wait_stored 1                          # the response is in the store (cache_stored >= 1)
#   assert_eq 1 "$(ocount 'GET /b/x')"     # requests the origin saw (cache_origin.py /_count)
#   assert_eq hit "$(cache_of '/b/x?cc=max-age=60' 2)"   # `cache` of the 2nd log line for it
#
# The gateway resolves cache.test, mirror1.test, mirror2.test to 10.77.2.2 and victim.test to
# 10.77.2.3 (the store keeps a response under Host H only when the connection went to an address
# of H); the client reaches the same names through curl --resolve.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CO_PORT=8090
# shellcheck disable=SC2034  # for the scenarios
CO=http://cache.test:$CO_PORT
CACHE_HOSTS=("10.77.2.2 cache.test mirror1.test mirror2.test" "10.77.2.3 victim.test")
RESOLVE=()
for _line in "${CACHE_HOSTS[@]}"; do
  read -r _addr _names <<<"$_line"
  for _name in $_names; do RESOLVE+=(--resolve "$_name:$CO_PORT:$_addr"); done
done
unset _line _addr _names _name

# cache_lab: scenario_lab, the gateway's hosts file and cache_origin.py on :8090 in the origin
# namespace. Sets CACHE_DIR (not created: the daemon creates it).
cache_lab() {
  scenario_lab
  gateway_hosts "${CACHE_HOSTS[@]}"
  lab_spawn origin corigin "$PY" -u "$SCN_DIR/cache_origin.py" --port "$CO_PORT" >/dev/null
  lab_wait_port origin any "$CO_PORT" 10 >/dev/null || fail "cache_origin.py did not start"
  CACHE_DIR=$STATE/cache
}

# cache_start [SECTION.KEY=VALUE]...: tg_start with the cache enabled in $CACHE_DIR and the
# origin's port judged as HTTP; later arguments override these.
cache_start() {
  # admission = all: these scenarios check RFC 9111 storing from the first response on;
  # cache_admission.sh covers second_request, the default.
  tg_start gateway.http_ports="80, $CO_PORT" cache.enabled=true cache.dir="$CACHE_DIR" \
    cache.admission=all "$@"
}

# ---- the client -------------------------------------------------------------------------------
# cget NAME URL [CURL ARG...]: one request from the client through the gateway. Head to
# $OUT/NAME.head, body to $OUT/NAME.body, time_total to $OUT/NAME.time; prints the status code.
cget() {
  local name=$1 url=$2 res
  shift 2
  res=$(client curl -sS -m "$(scaled 10)" "${RESOLVE[@]}" -D "$OUT/$name.head" \
    -o "$OUT/$name.body" -w '%{http_code} %{time_total}' "$@" "$url" 2>&1) ||
    fail "curl $name $* $url: $res"
  echo "${res#* }" >"$OUT/$name.time"
  echo "${res%% *}"
}
# hdr NAME FIELD: FIELD's value in $OUT/NAME.head (the last if repeated; empty if absent)
hdr() {
  tr -d '\r' <"$OUT/$1.head" | awk -v f="${2,,}" '
    { i = index($0, ":") }
    i > 1 && tolower(substr($0, 1, i - 1)) == f { v = substr($0, i + 1); sub(/^[ \t]+/, "", v) }
    END { print v }'
}
bsha() { sha256sum <"$OUT/$1.body" | cut -d' ' -f1; }
bsize() { stat -c %s "$OUT/$1.body"; }
# age_of NAME: the Age of a response, failing unless there is exactly one, a number
age_of() {
  local a
  a=$(hdr "$1" Age)
  [[ $a =~ ^[0-9]+$ ]] ||
    fail "$1: Age missing or not a number: '$a' (head: $(tr -d '\r' <"$OUT/$1.head" | tr '\n' '|'))"
  echo "$a"
}

# ---- the origin -------------------------------------------------------------------------------
# obody PATH SIZE [VERSION [VARIANT]]: the body cache_origin.py serves for PATH (stdout)
obody() {
  "$PY" "$SCN_DIR/cache_origin.py" --body "$1" --version "${3:-0}" --variant "${4:-}" "$2"
}
osha() { obody "$@" | sha256sum | cut -d' ' -f1; }
_ourl() { echo "http://127.0.0.1:$CO_PORT/$1"; }
# ocount KEY: requests the origin counted under KEY ("/p", "GET /p", "COND /p", "RANGE /p", ...)
ocount() { origin curl -sS -m 5 -G --data-urlencode "key=$1" "$(_ourl _count)"; }
# oset PATH NAME=VALUE...: default parameters of PATH at the origin (a later request's own query
# still wins); changing version= changes the object in place
oset() {
  local path=$1 a args=()
  shift
  for a in "$@"; do args+=(--data-urlencode "$a"); done
  origin curl -sS -m 5 -G --data-urlencode "path=$path" "${args[@]}" "$(_ourl _set)" >/dev/null ||
    fail "oset $path $*"
}
ocount_is() { [[ $(ocount "$1") == "$2" ]]; }
# olast PATH: the raw head of the last request the origin got for PATH
olast() { origin curl -sS -m 5 -G --data-urlencode "path=$1" "$(_ourl _last)" | tr -d '\r'; }
# origin_got PATH ERE WHAT: the last request for PATH at the origin has a line matching ERE
# (case-insensitive)
origin_got() {
  local head
  head=$(olast "$1")
  grep -qiE "$2" <<<"$head" || fail "$3: the origin's last request for $1 has no /$2/: $head"
}

# ---- the daemon's view ------------------------------------------------------------------------
# counter0 NAME: like counter, but 0 when the daemon has no such counter
counter0() {
  tgctl --json status | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
print(d.get("counters", {}).get(sys.argv[1], d.get(sys.argv[1], 0)))' "$1"
}
# wait_stored N: until cache_stored reaches N (a response is stored once its body is complete,
# after the client may have it: a request sent before that would join the fetch, not hit)
wait_stored() { wait_for counter_ge cache_stored "$1"; }
# cstat FIELD: a field of `tollgatectl cache stats --json`
cstat() {
  tgctl cache stats --json |
    "$PY" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# _recs TARGET FIELD: FIELD of every decision line whose URL's path and query is TARGET, one per
# line, in log order. JSON lines give their fields; a squid line gives url, method, status and
# code (TCP_HIT...).
_recs() {
  [[ -f $TG_DECISIONS ]] || return 0
  "$PY" - "$1" "$2" "$TG_DECISIONS" <<'EOF'
import json, sys
target, field, path = sys.argv[1:]
def rec(line):
    if line.startswith("{"):
        return json.loads(line)
    f = line.split()
    code, _, status = f[3].partition("/")
    return {"code": code, "status": status, "method": f[5], "url": f[6]}
def target_of(url):
    rest = url.split("://", 1)[-1]
    return rest[rest.find("/"):] if "/" in rest else "/"
for r in map(rec, filter(str.strip, open(path, encoding="utf-8", errors="replace"))):
    if target_of(r.get("url", "")) == target:
        v = r.get(field)
        print("" if v is None else str(v).lower() if isinstance(v, bool) else v)
EOF
}
# rec_count TARGET: decision lines for TARGET so far
rec_count() { _recs "$1" url | wc -l | tr -d ' '; }
rec_count_ge() { (( $(rec_count "$1") >= $2 )); }
# rec_field TARGET N FIELD: FIELD of the Nth decision line for TARGET (waits for it to be written)
rec_field() {
  wait_for rec_count_ge "$1" "$2"
  _recs "$1" "$3" | sed -n "$2p"
}
cache_of() { rec_field "$1" "$2" cache; }
squid_code() { rec_field "$1" "$2" code; }
# rec_values TARGET FIELD: FIELD over every line of TARGET, counted: "1 miss,49 collapsed"
rec_values() {
  _recs "$1" "$2" | sort | uniq -c | awk '{ printf "%s%s %s", (NR > 1 ? "," : ""), $1, $2 }'
}

# On failure, lib.sh's dump calls this: the origin's counts, the cache's stats, the origin log.
scn_dump_extra() {
  echo "---- cache_origin.py counts"
  origin curl -sS -m 5 "$(_ourl _counts)" 2>&1 | tr -d '\n' | cut -c1-3000
  echo
  if [[ -S ${TG_SOCK:-/nonexistent} ]]; then
    echo "---- tollgatectl cache stats"
    timeout 5 "$TOLLGATECTL" -s "$TG_SOCK" cache stats 2>&1 | sed -n 1,40p
  fi
  if [[ -s $STATE/corigin.log ]]; then
    echo "---- $STATE/corigin.log (last 30 lines)"
    tail -n 30 "$STATE/corigin.log"
  fi
}
