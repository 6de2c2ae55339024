#!/usr/bin/env bash
# log.format = squid with the cache: the action codes SARG and Calamaris count.
#   miss TCP_MISS, hit TCP_HIT or TCP_MEM_HIT, revalidated TCP_REFRESH_UNMODIFIED (304) or
#   TCP_REFRESH_MODIFIED (200), collapsed TCP_CF_HIT, bypass (a POST, a no-store response)
#   TCP_MISS; the status after the slash is the one the client got.
. "$(dirname "$0")/cache_lib.sh"
cache_lab
cache_start log.format=squid

t="/q/a?cc=max-age=600"
cget a1 "$CO$t" >/dev/null
wait_stored 1
cget a2 "$CO$t" >/dev/null
assert_eq TCP_MISS "$(squid_code "$t" 1)" "code of a miss"
assert_match '^TCP_(MEM_)?HIT$' "$(squid_code "$t" 2)" "code of a hit"
assert_eq 200 "$(rec_field "$t" 2 status)" "status of the hit's line"

oset /q/r cc=max-age=60 age=120 etag=r1
cget r1 "$CO/q/r" >/dev/null
wait_stored 2
cget r2 "$CO/q/r" >/dev/null
assert_eq TCP_REFRESH_UNMODIFIED "$(squid_code /q/r 2)" "code of a revalidation answered 304"
assert_eq 200 "$(rec_field /q/r 2 status)" "status the client got after a 304"
oset /q/r version=2 etag=r2
cget r3 "$CO/q/r" >/dev/null
assert_eq TCP_REFRESH_MODIFIED "$(squid_code /q/r 3)" "code of a revalidation answered 200"
wait_stored 3

t="/q/slow?delay_ms=1000&cc=max-age=600"
# shellcheck disable=SC2016
client bash -c 'for i in 1 2 3 4 5; do curl -sS -m 10 "${@:2}" -o /dev/null "$1" & done; wait' \
  _ "$CO$t" "${RESOLVE[@]}"
wait_for rec_count_ge "$t" 5
codes=$(rec_values "$t" code)
assert_eq 1 "$(_recs "$t" code | grep -cx TCP_MISS)" "TCP_MISS lines, 5 concurrent clients ($codes)"
assert_ge 1 "$(_recs "$t" code | grep -cx TCP_CF_HIT)" "TCP_CF_HIT lines ($codes)"

cget p1 "$CO/q/post" -X POST -d 'x=1' >/dev/null
assert_eq TCP_MISS "$(squid_code /q/post 1)" "code of a POST"
t="/q/nostore?cc=no-store"
cget n1 "$CO$t" >/dev/null
cget n2 "$CO$t" >/dev/null
assert_eq TCP_MISS "$(squid_code "$t" 2)" "code of a no-store response fetched again"
pass
