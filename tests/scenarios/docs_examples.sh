#!/usr/bin/env bash
# Every shipped example config passes `tollgated --check-config`, and the dnsmasq example for
# RFC 8910 passes `dnsmasq --test`: the docs never hand an admin a file that does not load.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"  # example list paths are relative to the source tree
STATE_TMP=$(mktemp)
trap 'rm -f "$STATE_TMP"' EXIT
n=0
for f in "$ROOT"/docs/examples/*.conf; do
  case $(basename "$f") in
    dnsmasq-*.conf)
      command -v dnsmasq >/dev/null || skip "dnsmasq is not installed (make deps)"
      dnsmasq --test -C "$f" >"$STATE_TMP" 2>&1 || fail "dnsmasq --test -C $f: $(cat "$STATE_TMP")" ;;
    *)
      "$TOLLGATED" --check-config -c "$f" >/dev/null 2>"$STATE_TMP" || fail "tollgated --check-config -c $f: $(cat "$STATE_TMP")" ;;
  esac
  n=$((n + 1))
done
assert_ge 3 "$n" "example files checked"
pass
