# shellcheck shell=bash
# tests/scenarios/lib.sh -- sourced by every scenario (HAProxy reg-tests style: one behaviour per
# script, real tollgated in the namespace lab, real origin, real client).
#
#   . "$(dirname "$0")/lib.sh"
#   scenario_lab                       # skip (77) without root/netns; own lab, torn down on exit
#   tg_start http.via=true             # write $TG_CONF (defaults + SECTION.KEY=VALUE), start, wait
#   out=$(client curl -sS -m "$(scaled 10)" http://10.77.2.2/1k)
#   wait_for log_has_lines 1
#   assert_eq 200 "$(log_field 1 status)" "status of the decision line"
#   pass
#
# Helpers: counter NAME (also active_connections), status_field NAME, log_lines, log_field N FIELD,
# log_py EXPR, wait_for / try_wait_for [-t SECS] CMD..., assert_eq/_ge/_le/_match/_between, fail,
# skip, tg_reload (SIGHUP + wait), tg_stop, tg_pid, netc (scripted raw TCP client, netc.py),
# client/origin/gw CMD... (run in that namespace), file_sha NAME, pattern_sha N, on_exit CMD,
# gateway_hosts "ADDR NAME..." (the gateway's /etc/hosts, before tg_start).
#
# Exit status: 0 pass, 1 fail, 77 skip.  On failure the EXIT trap prints the daemon's stderr, the
# decision log and the counters, then the lab goes down (LAB_KEEP=1 leaves it up).
# Every wait is bounded and multiplied by TOLLGATE_TEST_TIMEOUT_SCALE (default 1).
set -euo pipefail

SCN_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCN_DIR/../.." && pwd)
BUILD=${TOLLGATE_BUILD:-$ROOT/build}
TOLLGATED=$BUILD/tollgated
TOLLGATECTL=$BUILD/tollgatectl
SCALE=${TOLLGATE_TEST_TIMEOUT_SCALE:-1}
SCENARIO=$(basename "$0" .sh)
# The system python (stdlib only) starts much faster than a pyenv shim.
if [[ -x /usr/bin/python3 ]]; then PY=/usr/bin/python3; else PY=$(command -v python3); fi
NETC=$SCN_DIR/netc.py

# shellcheck source=../../tools/lab.d/lib.sh
. "$ROOT/tools/lab.d/lib.sh"

# ---- reporting --------------------------------------------------------------------------------
note() { echo "[$SCENARIO] $*" >&2; }
fail() { echo "FAIL: $SCENARIO: $*" >&2; exit 1; }
skip() { echo "SKIP: $SCENARIO: $*" >&2; exit 77; }
pass() { echo "PASS: $SCENARIO" >&2; exit 0; }

assert_eq() {  # assert_eq EXPECTED ACTUAL [WHAT]
  [[ $1 == "$2" ]] || fail "${3:-value}: expected '$1', got '$2'"
}
assert_ge() {  # assert_ge MIN ACTUAL [WHAT]   (integers)
  [[ $2 =~ ^-?[0-9]+$ ]] || fail "${3:-value}: expected a number >= $1, got '$2'"
  (( $2 >= $1 )) || fail "${3:-value}: expected >= $1, got $2"
}
assert_le() {  # assert_le MAX ACTUAL [WHAT]   (integers)
  [[ $2 =~ ^-?[0-9]+$ ]] || fail "${3:-value}: expected a number <= $1, got '$2'"
  (( $2 <= $1 )) || fail "${3:-value}: expected <= $1, got $2"
}
assert_match() {  # assert_match ERE ACTUAL [WHAT]
  [[ $2 =~ $1 ]] || fail "${3:-value}: '$2' does not match /$1/"
}
assert_between() {  # assert_between MIN MAX ACTUAL [WHAT]  (decimals, e.g. seconds)
  awk -v lo="$1" -v hi="$2" -v v="$3" 'BEGIN { exit !(v + 0 >= lo + 0 && v + 0 <= hi + 0) }' ||
    fail "${4:-value}: expected between $1 and $2, got $3"
}

# scaled SECONDS: SECONDS multiplied by TOLLGATE_TEST_TIMEOUT_SCALE
scaled() { awk -v a="$1" -v s="$SCALE" 'BEGIN { v = a * s; if (v <= 0) v = a; printf "%.3f\n", v }'; }

now_ms() { local t=$EPOCHREALTIME; echo $(( ${t%.*} * 1000 + 10#${t#*.} / 1000 )); }

# try_wait_for [-t SECS] CMD...: poll CMD (every 20-100 ms) until it succeeds; 1 on timeout.
# SECS (default 10) is scaled.
try_wait_for() {
  local secs=10
  if [[ $1 == -t ]]; then secs=$2; shift 2; fi
  local t deadline delay=0.02
  t=$(scaled "$secs")
  deadline=$(( $(now_ms) + ${t%.*} * 1000 + 10#${t#*.} ))
  until "$@" >/dev/null 2>&1; do
    (( $(now_ms) < deadline )) || return 1
    sleep "$delay"
    [[ $delay == 0.02 ]] && delay=0.05 || delay=0.1
  done
}
# wait_for [-t SECS] CMD...: like try_wait_for, but a timeout fails the scenario.
wait_for() {
  local secs=10
  if [[ $1 == -t ]]; then secs=$2; shift 2; fi
  try_wait_for -t "$secs" "$@" || fail "timed out after $(scaled "$secs") s waiting for: $*"
}

# ---- the lab ----------------------------------------------------------------------------------
_scn_cleanups=()
on_exit() { _scn_cleanups+=("$1"); }

# scenario_lab: skip unless we may create namespaces, bring up this scenario's own lab (unique
# prefix: scenario name + pid), and make sure it comes down whatever happens.
scenario_lab() {
  require_root_netns
  [[ -x $TOLLGATED && -x $TOLLGATECTL ]] ||
    fail "$TOLLGATED or $TOLLGATECTL missing: build first (cmake --build $BUILD -j2)"
  # Never an inherited LAB: `tools/lab up` would tear down that lab (someone's dev lab), and
  # scenarios running in parallel would share it.
  local base=${SCENARIO//_/-}
  LAB="s-${base:0:28}-$$"
  lab_up
  # lab_up installed tools/lab.d/lib.sh's EXIT trap; ours prints the daemon's view first.
  trap _scn_exit EXIT
  STATE=$(lab_state_dir)
  TG_CONF=$STATE/tollgate.conf
  TG_SOCK=$STATE/control.sock
  TG_DECISIONS=$STATE/decisions.log
  # shellcheck disable=SC2034  # for the scenarios
  CA=$STATE/ca.pem
  OUT=$STATE/out   # scratch files of the scenario
  mkdir -p "$OUT"
}

_scn_dump() {
  local f
  echo "==== $SCENARIO failed; lab $LAB, state $STATE" >&2
  if [[ -n ${TG_SOCK:-} ]] && [[ -S $TG_SOCK ]]; then
    echo "---- tollgatectl status" >&2
    timeout 5 "$TOLLGATECTL" -s "$TG_SOCK" status 2>&1 | grep -Ev ': 0$' >&2 || true
  fi
  if [[ -f $STATE/tollgated.log ]]; then
    echo "---- tollgated stderr ($STATE/tollgated.log, last 200 lines)" >&2
    tail -n 200 "$STATE/tollgated.log" >&2
  fi
  for f in "$STATE"/decisions.log*; do
    [[ -e $f ]] || continue
    echo "---- decision log $f (last 60 lines)" >&2
    tail -n 60 "$f" >&2
  done
  if [[ -f ${TG_CONF:-/nonexistent} ]]; then
    echo "---- $TG_CONF" >&2
    grep -Ev '^\s*(#|;|$)' "$TG_CONF" >&2
  fi
  for f in "$STATE/origin.log" "$STATE/nginx.log"; do
    [[ -s $f ]] || continue
    echo "---- $f (last 20 lines)" >&2
    tail -n 20 "$f" >&2
  done
  # A family of scenarios may add its own view (cache_lib.sh: origin counts, cache stats).
  if declare -F scn_dump_extra >/dev/null; then scn_dump_extra >&2 || true; fi
}

_scn_exit() {
  local rc=$? c
  trap - EXIT INT TERM HUP
  for c in "${_scn_cleanups[@]}"; do eval "$c" || true; done
  if [[ $rc -ne 0 && $rc -ne 77 && -n ${STATE:-} && -d $STATE ]]; then _scn_dump; fi
  if [[ ${LAB_KEEP:-0} == 1 ]]; then
    echo "LAB_KEEP=1: lab '$LAB' left up; tear down with: LAB=$LAB $LAB_TOOL down" >&2
  else
    "$LAB_TOOL" down >/dev/null 2>&1 || echo "lab: down of '$LAB' failed" >&2
  fi
  exit "$rc"
}

# gateway_hosts "ADDR NAME..."...: the gateway namespace's /etc/hosts (plus localhost) for every
# process started there afterwards: `ip netns exec` bind-mounts /etc/netns/NS/hosts over
# /etc/hosts. Its resolv.conf points at 127.0.0.1, where nothing answers, so a name missing here
# fails at once and no lookup leaves the lab. Removed on exit (an empty /etc/netns stays: another
# lab may be about to use it).
gateway_hosts() {
  local dir=/etc/netns/$LAB-gw
  mkdir -p "$dir"
  on_exit "rm -rf '$dir'"
  { printf '127.0.0.1 localhost\n::1 localhost\n'; printf '%s\n' "$@"; } >"$dir/hosts"
  printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$dir/resolv.conf"
}

client() { lab_exec client "$@"; }
origin() { lab_exec origin "$@"; }
gw() { lab_exec gw "$@"; }

# sha256 of a served file, from the lab's SHA256SUMS
file_sha() { awk -v n="$1" '$2 == n { print $1 }' "$STATE/SHA256SUMS"; }
# sha256 of the first N bytes of origin.py's pattern (bytes 0..255 repeated)
pattern_sha() { "$PY" -c 'import hashlib,sys; n=int(sys.argv[1]); print(hashlib.sha256((bytes(range(256))*(n//256+1))[:n]).hexdigest())' "$1"; }

# ---- the daemon -------------------------------------------------------------------------------
# tg_write_config [SECTION.KEY=VALUE]...: $TG_CONF with the lab defaults and these overrides.
# An empty VALUE is written as `key =`; the special value @omit leaves the key out.
tg_write_config() {
  local -A kv=(
    [gateway.lan_interfaces]=lan
    [gateway.http_ports]="80, 8080, 8081"
    [gateway.tls_ports]=443
    [gateway.tcp_ports]=""
    [gateway.workers]=2
    [gateway.intercept]=tproxy
    [gateway.manage_nftables]=true
    [gateway.user]=""
    [log.decisions]=$TG_DECISIONS
    [log.format]=json
    [control.socket]=$TG_SOCK
  )
  local a sec key
  for a in "$@"; do
    [[ $a == *.*=* ]] || fail "tg_write_config: '$a' is not SECTION.KEY=VALUE"
    kv[${a%%=*}]=${a#*=}
  done
  {
    echo "# written by tests/scenarios/lib.sh for $SCENARIO"
    for sec in $(printf '%s\n' "${!kv[@]}" | cut -d. -f1 | sort -u); do
      echo "[$sec]"
      for key in $(printf '%s\n' "${!kv[@]}" | grep "^$sec\." | sort); do
        [[ ${kv[$key]} == @omit ]] && continue
        echo "${key#*.} = ${kv[$key]}"
      done
    done
    # Sections that may repeat ([list.NAME], [group.NAME], ...) go verbatim in TG_EXTRA.
    [[ -z ${TG_EXTRA:-} ]] || printf '%s\n' "$TG_EXTRA"
  } >"$TG_CONF"
}

tgctl() { "$TOLLGATECTL" -s "$TG_SOCK" "$@"; }

# pid_running PID: the process exists and is not a zombie (this machine's pid 1 may take a second
# to reap an orphan, and `kill -0` succeeds on a zombie)
pid_running() {
  local st
  st=$(sed -E 's/^.*\) (.).*$/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $st && $st != Z && $st != X ]]
}
pid_gone() { ! pid_running "$1"; }

# tg_pid: the running daemon's pid (fails when it is not running)
tg_pid() { lab pid tollgated 2>/dev/null; }
tg_running() { tg_pid >/dev/null; }

# tg_start [SECTION.KEY=VALUE]...: write the config, start tollgated in the gw namespace, wait
# until its control socket answers and its listener is up.
tg_start() {
  tg_write_config "$@"
  rm -f "$TG_SOCK"
  lab_spawn gw tollgated "$TOLLGATED" -c "$TG_CONF" >/dev/null
  local t deadline
  t=$(scaled 10)
  deadline=$(( $(now_ms) + ${t%.*} * 1000 ))
  until tgctl status >/dev/null 2>&1; do
    tg_running || fail "tollgated exited during start-up"
    (( $(now_ms) < deadline )) || fail "tollgated did not answer on $TG_SOCK within $t s"
    sleep 0.02
  done
  local port
  port=$(awk -F' *= *' '$1 == "listen_port" { print $2 }' "$TG_CONF")
  lab_wait_port gw any "${port:-3129}" 10 >/dev/null || fail "tollgated is not listening on ${port:-3129}"
}

# tg_stop [SIGNAL]: stop the daemon (TERM) and wait for it to exit
tg_stop() { lab_stop tollgated "${1:-TERM}"; }

# tg_reload: SIGHUP, then wait until the daemon has taken it (the "reloads" status field moves)
tg_reload() {
  local before
  before=$(status_field reloads)
  lab signal tollgated HUP
  wait_for status_field_gt reloads "$before"
}

# status_field NAME: a top-level field of `tollgatectl --json status` (uptime_s, reloads...)
status_field() {
  tgctl --json status | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}
status_field_gt() { local v; v=$(status_field "$1") && (( v > $2 )); }

# counter NAME: one counter (also active_connections) from `tollgatectl --json status`
counter() {
  tgctl --json status | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
n = sys.argv[1]
print(d["counters"][n] if n in d["counters"] else d[n])' "$1"
}
counter_ge() { local v; v=$(counter "$1") && (( v >= $2 )); }
counter_eq() { local v; v=$(counter "$1") && (( v == $2 )); }

# ---- the decision log -------------------------------------------------------------------------
# log_lines [FILE]: number of lines in the decision log (0 if it does not exist yet)
log_lines() {
  local f=${1:-$TG_DECISIONS}
  if [[ -f $f ]]; then wc -l <"$f" | tr -d ' '; else echo 0; fi
}
log_has_lines() { (( $(log_lines "${2:-$TG_DECISIONS}") >= $1 )); }

# log_field N FIELD [FILE]: FIELD of JSON decision line N (1-based; -1 = last)
log_field() {
  "$PY" - "$1" "$2" "${3:-$TG_DECISIONS}" <<'EOF'
import json, sys
n, field, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
lines = [l for l in open(path, encoding="utf-8", errors="replace") if l.strip()]
rec = json.loads(lines[n - 1 if n > 0 else n])
v = rec.get(field, "")
print(v if not isinstance(v, bool) else str(v).lower())
EOF
}

# log_py EXPR [FILE]: evaluate a Python expression over L, the decision log as a list of dicts
log_py() {
  "$PY" - "$1" "${2:-$TG_DECISIONS}" <<'EOF'
import json, sys
expr, path = sys.argv[1], sys.argv[2]
L = [json.loads(l) for l in open(path, encoding="utf-8", errors="replace") if l.strip()]
print(eval(expr))
EOF
}

# ---- clients ----------------------------------------------------------------------------------
# netc ROLE NAME HOST PORT STEP...: run tests/scenarios/netc.py in ROLE's namespace; the bytes
# received go to $OUT/NAME.out, and NETC_END / NETC_T_FIRST / NETC_T_END / NETC_RECEIVED /
# NETC_SEND_ERROR are set from its meta output (see netc.py).
netc() {
  local role=$1 name=$2
  shift 2
  local meta=$OUT/$name.meta
  rm -f "$meta"
  lab_exec "$role" "$PY" -I -S "$NETC" --out "$OUT/$name.out" --meta "$meta" "$@" ||
    fail "netc $name: client failed: $*"
  local end t_connect t_first t_end received send_error
  # shellcheck disable=SC1090
  . "$meta"
  # shellcheck disable=SC2034  # for the scenarios
  NETC_END=$end NETC_T_FIRST=$t_first NETC_T_END=$t_end NETC_RECEIVED=$received
  # shellcheck disable=SC2034
  NETC_SEND_ERROR=$send_error
  : "$t_connect"
}
