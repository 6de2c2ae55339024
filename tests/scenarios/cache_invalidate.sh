#!/usr/bin/env bash
# Invalidation (RFC 9111 §4.4) and purging:
#  - a successful POST, PUT or DELETE to a URL drops its stored response: the next GET is a miss;
#  - it also drops the responses stored for its Location and Content-Location when they are of
#    the same origin, and not those of another host;
#  - an unsafe request that fails (5xx) invalidates nothing;
#  - `tollgatectl cache purge URL` drops that URL only; `purge --host H` every URL of H only;
#    `cache stats --json` counts the objects that went.
. "$(dirname "$0")/cache_lib.sh"
cache_lab
cache_start
stored=0
store() {  # store NAME URL: fetch a URL that is fresh for 10 min (defaults set with oset), wait
  assert_eq 200 "$(cget "$1" "$2")" "status of $2"
  stored=$((stored + 1))
  wait_stored $stored
}
is_hit() {  # is_hit NAME URL PATH N: fetch again; it must be a hit (origin count for PATH stays N)
  assert_eq 200 "$(cget "$1" "$2")" "status of $2"
  assert_eq "$4" "$(ocount "GET $3")" "origin GETs for $3 (a hit)"
}
is_miss() {  # is_miss NAME URL PATH N: fetch again; it must reach the origin (count becomes N)
  assert_eq 200 "$(cget "$1" "$2")" "status of $2"
  assert_eq "$4" "$(ocount "GET $3")" "origin GETs for $3 (a miss)"
}
for p in /i/post /i/put /i/delete /i/loc /i/cloc /i/other /i/keep /i/p1 /i/p2 /i/h1 /i/h2 /i/h3; do
  oset "$p" cc=max-age=600
done

# --- the request URL itself -----------------------------------------------------------------------
inv=0
for m in POST PUT DELETE; do
  p=/i/${m,,}
  store "${m}1" "$CO$p"
  is_hit "${m}2" "$CO$p" "$p" 1
  assert_eq 200 "$(cget "${m}u" "$CO$p" -X "$m" -d 'x=1')" "status of $m $p"
  assert_eq 1 "$(ocount "$m $p")" "$m requests for $p at the origin"
  [[ $(cache_of "$p" 3) != hit ]] || fail "$m $p was answered from the store"
  inv=$((inv + 1))
  wait_for counter_ge cache_invalidations "$inv"
  is_miss "${m}3" "$CO$p" "$p" 2
  stored=$((stored + 1)); wait_stored $stored   # the miss is stored again
done

# --- Location and Content-Location ----------------------------------------------------------------
store loc1 "$CO/i/loc"
store cloc1 "$CO/i/cloc"
store oth1 "http://mirror1.test:$CO_PORT/i/other"
t="/i/form?status=201&location=/i/loc&content_location=$CO/i/cloc"
assert_eq 201 "$(cget form "$CO$t" -X POST -d 'x=1')" "status of the POST with Location"
t="/i/form2?location=http://mirror1.test:$CO_PORT/i/other"
assert_eq 200 "$(cget form2 "$CO$t" -X POST -d 'x=1')" "status, POST with another host's Location"
assert_eq "$CO/i/cloc" "$(hdr form Content-Location)" "Content-Location relayed"
is_miss loc2 "$CO/i/loc" /i/loc 2
is_miss cloc2 "$CO/i/cloc" /i/cloc 2
is_hit oth2 "http://mirror1.test:$CO_PORT/i/other" /i/other 1
stored=$((stored + 2)); wait_stored $stored   # /i/loc and /i/cloc again

# --- a failed unsafe request invalidates nothing ----------------------------------------------
store keep1 "$CO/i/keep"
oset /i/keep status=500
assert_eq 500 "$(cget keepx "$CO/i/keep" -X POST -d 'x=1')" "status of the failing POST"
is_hit keep2 "$CO/i/keep" /i/keep 1

# --- purge URL and purge --host -----------------------------------------------------------------
store p1 "$CO/i/p1"
store p2 "$CO/i/p2"
url=$(rec_field /i/p1 1 url)
before=$(cstat objects)
out=$(tgctl cache purge "$url" 2>&1) || fail "tollgatectl cache purge $url: $out"
assert_eq $((before - 1)) "$(cstat objects)" "objects after purging one URL ($out)"
is_miss p1b "$CO/i/p1" /i/p1 2
is_hit p2b "$CO/i/p2" /i/p2 1
stored=$((stored + 1)); wait_stored $stored   # /i/p1 again

store h1 "http://mirror1.test:$CO_PORT/i/h1"
store h2 "http://mirror1.test:$CO_PORT/i/h2"
store h3 "$CO/i/h3"
before=$(cstat objects)
out=$(tgctl cache purge --host mirror1.test 2>&1) || fail "tollgatectl cache purge --host: $out"
# /i/h1, /i/h2 and /i/other are mirror1.test's
assert_eq $((before - 3)) "$(cstat objects)" "objects after purging mirror1.test ($out)"
is_miss h1b "http://mirror1.test:$CO_PORT/i/h1" /i/h1 2
is_miss h2b "http://mirror1.test:$CO_PORT/i/h2" /i/h2 2
is_hit h3b "$CO/i/h3" /i/h3 1
pass
