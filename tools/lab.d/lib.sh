# shellcheck shell=bash
# tools/lab.d/lib.sh -- bash helpers for tests that use the namespace lab.
#
#   . "$(dirname "$0")/../../tools/lab.d/lib.sh"   # path relative to the test
#   require_root_netns          # exit 77 (skip) unless root and `ip netns add` works
#   lab_up                      # unique LAB, tools/lab up, EXIT trap -> tools/lab down
#   lab_spawn gw tollgated "$BUILD/tollgated" --config ...
#   lab_wait_port gw any 3129
#   lab_exec client curl -sf http://10.77.2.2/1k
#   lab_stop tollgated
#
# lab_up exports LAB, so plain `tools/lab ...` calls in the test use the same
# lab.  On a failing exit (status not 0 and not 77) the EXIT trap prints the
# tail of every log in the state dir before tearing down; set LAB_KEEP=1 to
# leave the lab up for inspection (then run `LAB=... tools/lab down` yourself).
# Extra cleanup: lab_on_exit 'command' (run before the lab goes down).

LAB_TOOL=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lab
LAB_LOG_TAIL=${LAB_LOG_TAIL:-40}
_lab_cleanups=()

lab() { "$LAB_TOOL" "$@"; }
lab_exec() { "$LAB_TOOL" exec "$@"; }
lab_spawn() { "$LAB_TOOL" spawn "$@"; }
lab_stop() { "$LAB_TOOL" stop "$@"; }
lab_wait_port() { "$LAB_TOOL" wait-port "$@"; }
lab_addr() { "$LAB_TOOL" addr "$@"; }
lab_ca() { "$LAB_TOOL" ca; }
lab_state_dir() { "$LAB_TOOL" state-dir; }

# skip (exit 77) unless we may create network namespaces
require_root_netns() {
  if [[ $EUID -ne 0 ]]; then
    echo "SKIP: $(basename "$0"): needs root to create network namespaces" >&2
    exit 77
  fi
  local probe="tgprobe-$$-$RANDOM" err
  if ! err=$(ip netns add "$probe" 2>&1); then
    echo "SKIP: $(basename "$0"): 'ip netns add' is not permitted here: $err" >&2
    exit 77
  fi
  ip netns del "$probe" 2>/dev/null || true
  local tool
  for tool in nft nginx openssl curl python3; do
    command -v "$tool" >/dev/null || { echo "SKIP: $(basename "$0"): $tool is not installed" >&2; exit 77; }
  done
}

lab_on_exit() { _lab_cleanups+=("$1"); }

_lab_exit() {
  local rc=$? c f
  trap - EXIT INT TERM HUP
  for c in "${_lab_cleanups[@]}"; do eval "$c" || true; done
  if [[ $rc -ne 0 && $rc -ne 77 ]]; then
    local st
    st=$("$LAB_TOOL" state-dir 2>/dev/null)
    for f in "$st"/*.log; do
      [[ -s $f ]] || continue
      echo "---- lab $LAB: last $LAB_LOG_TAIL lines of $f" >&2
      tail -n "$LAB_LOG_TAIL" "$f" >&2
    done
  fi
  if [[ ${LAB_KEEP:-0} == 1 ]]; then
    echo "LAB_KEEP=1: lab '$LAB' left up; tear down with: LAB=$LAB $LAB_TOOL down" >&2
  else
    "$LAB_TOOL" down >/dev/null 2>&1 || echo "lab: down of '$LAB' failed" >&2
  fi
  exit "$rc"
}

# lab_up: pick a unique lab prefix (unless LAB is set), bring the lab up and
# make sure it comes down when the test exits, whatever the reason.
lab_up() {
  if [[ -z ${LAB:-} ]]; then
    local base
    base=$(basename "${0%.*}" | tr -c 'A-Za-z0-9_.\n-' '-' | sed 's/^[^A-Za-z0-9]*//')
    LAB="t${base:0:24}-$$"
  fi
  export LAB
  trap _lab_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
  if ! "$LAB_TOOL" up; then
    echo "lab_up: tools/lab up failed for lab '$LAB'" >&2
    exit 1
  fi
  # lets `tools/lab gc` reclaim the lab if this shell dies without running its trap
  echo $$ >"$("$LAB_TOOL" state-dir)/owner"
}
