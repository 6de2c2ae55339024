#!/usr/bin/env bash
# tollgated --check-config rejects bad files with a non-zero exit and names the place:
# "FILE:LINE: reason" for a bad line, "FILE: reason" for a file that cannot be read. The embedded
# default config passes. No lab, no privileges needed.
. "$(dirname "$0")/lib.sh"
[[ -x $TOLLGATED ]] || fail "$TOLLGATED missing: build first"
OUT=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-config-errors.XXXXXX")
on_exit "rm -rf '$OUT'"
_cleanup() {
  local rc=$? c
  for c in "${_scn_cleanups[@]}"; do eval "$c"; done
  exit "$rc"
}
trap _cleanup EXIT

# check NAME LINE WORD CONTENT: CONTENT (printf format) must be rejected with FILE:LINE: and a
# reason that mentions WORD
check() {
  local name=$1 line=$2 word=$3 f=$OUT/$1.conf err rc
  # shellcheck disable=SC2059
  printf "$4" >"$f"
  set +e
  err=$("$TOLLGATED" --check-config -c "$f" 2>&1 >/dev/null)
  rc=$?
  set -e
  [[ $rc -ne 0 ]] || fail "$name: --check-config accepted it (exit 0)"
  [[ $err == *"$f:$line: "* ]] || fail "$name: stderr does not name $f:$line: '$err'"
  [[ ${err,,} == *"${word,,}"* ]] || fail "$name: reason does not mention '$word': '$err'"
  note "$name: $err"
}

check unknown_key 3 bogus_key '[gateway]\nworkers = 2\nbogus_key = 1\n'
check unknown_section 2 nosuchsection '# comment\n[nosuchsection]\nx = 1\n'
check not_a_number 3 workers '[gateway]\n\nworkers = banana\n'
check bad_duration 2 sniff_timeout '[limits]\nsniff_timeout = 5 parsecs\n'
check bad_size 2 max_head_size '[limits]\nmax_head_size = 10X\n'
check port_out_of_range 2 listen_port '[gateway]\nlisten_port = 70000\n'
check bad_choice 2 intercept '[gateway]\nintercept = nat\n'
check bad_port_list 2 http_ports '[gateway]\nhttp_ports = 80, abc\n'
check duplicate_key 3 workers '[gateway]\nworkers = 2\nworkers = 3\n'
check no_equals 2 "key = value" '[gateway]\nworkers\n'
check empty_interfaces 3 lan_interfaces '[gateway]\nworkers = 2\nlan_interfaces =\n'

missing=$OUT/does-not-exist.conf
set +e
err=$("$TOLLGATED" --check-config -c "$missing" 2>&1 >/dev/null)
rc=$?
set -e
[[ $rc -ne 0 ]] || fail "missing file: exit 0"
[[ $err == *"$missing: "* ]] || fail "missing file: stderr does not name the file: '$err'"
note "missing_file: $err"

"$TOLLGATED" --print-default-config >"$OUT/default.conf"
"$TOLLGATED" --check-config -c "$OUT/default.conf" >/dev/null 2>"$OUT/default.err" ||
  fail "the embedded default config does not pass --check-config: $(cat "$OUT/default.err")"
pass
