#!/usr/bin/env bash
# Collapsed forwarding: 50 clients ask at once for one cacheable URL whose origin takes 1.5 s to
# answer. Exactly one request reaches the origin; the 49 others join it (cache=collapsed, or a
# hit for a late one) and all 50 get the same, complete body, in about the time of one fetch.
# Then the same with a response that turns out not storable (no-store): the clients that waited
# on it are released to fetch for themselves, and each still gets a correct answer.
. "$(dirname "$0")/cache_lib.sh"
cache_lab
cache_start

# burst N NAME URL: N concurrent curls from the client; NAME$i.code / .body / .err in $OUT
burst() {
  # shellcheck disable=SC2016  # expanded by the inner bash
  client bash -c '
    n=$1 out=$2 name=$3 url=$4 secs=$5
    shift 5
    for i in $(seq 1 "$n"); do
      curl -sS -m "$secs" "$@" -o "$out/$name$i.body" -w "%{http_code}" "$url" \
        >"$out/$name$i.code" 2>"$out/$name$i.err" &
    done
    wait' _ "$1" "$OUT" "$2" "$3" "$(scaled 15)" "${RESOLVE[@]}"
}
# check_bodies N NAME SHA: every one of the N answers is a 200 with that body
check_bodies() {
  local i
  for i in $(seq 1 "$1"); do
    assert_eq 200 "$(cat "$OUT/$2$i.code")" "status of client $i ($(cat "$OUT/$2$i.err"))"
    assert_eq "$3" "$(sha256sum <"$OUT/$2$i.body" | cut -d' ' -f1)" "sha256 of client $i's body"
  done
}

t="/c/slow?delay_ms=1500&cc=max-age=600&size=200000"
t0=$(now_ms)
burst 50 c "$CO$t"
elapsed=$(( $(now_ms) - t0 ))
check_bodies 50 c "$(osha /c/slow 200000)"
assert_eq 1 "$(ocount "GET /c/slow")" "origin requests for 50 concurrent clients"
assert_le "$(awk -v s="$SCALE" 'BEGIN { printf "%d", 6000 * s }')" "$elapsed" \
  "milliseconds for 50 clients of one 1.5 s fetch"
wait_for rec_count_ge "$t" 50
values=$(rec_values "$t" cache)
note "cache field over the 50 decision lines: $values"
assert_eq 1 "$(_recs "$t" cache | grep -cx miss)" "decision lines with cache=miss ($values)"
assert_eq 49 "$(_recs "$t" cache | grep -cxE 'collapsed|hit')" "collapsed or hit lines ($values)"
assert_ge 1 "$(counter cache_collapsed)" "cache_collapsed"
assert_eq 1 "$(counter cache_stored)" "cache_stored"

# --- the fetch everyone waited on is not storable ---------------------------------------------
t="/c/nostore?delay_ms=1000&cc=no-store&size=5000"
burst 5 n "$CO$t"
check_bodies 5 n "$(osha /c/nostore 5000)"
assert_eq 5 "$(ocount "GET /c/nostore")" "origin requests for 5 clients of a no-store response"
wait_for rec_count_ge "$t" 5
[[ $(_recs "$t" cache | grep -cx hit) == 0 ]] ||
  fail "a no-store response was served as a hit: $(rec_values "$t" cache)"
assert_eq 1 "$(counter cache_stored)" "cache_stored after the no-store burst"
pass
