#!/usr/bin/env bash
# Revalidation (RFC 9111 §4.3) and stale allowances (§4.2.4, RFC 5861). Objects are made stale on
# arrival by the origin's Age (max-age=60, Age: 120), so no test waits for time to pass.
# stale-if-error: a 5xx on revalidation serves the stale object when the directive allows it.
#  - ETag: a stale object is revalidated with If-None-Match; 304 -> served from the store
#    (cache=refresh, cache_refresh_unmodified) with the 304's fields merged in; the object
#    changed -> 200 -> the new body is served and stored (cache_refresh_modified), the next
#    revalidation carries the new ETag;
#  - Last-Modified only: revalidated with If-Modified-Since;
#  - a 304 that makes the object fresh again: the next request is a plain hit;
#  - response no-cache: every reuse is revalidated, even when fresh;
#  - max-stale lets a stale object be served without the origin, within its bound;
#    must-revalidate forbids it;
#  - stale-while-revalidate: served at once (a hit) while the origin, slow, revalidates in the
#    background.
. "$(dirname "$0")/cache_lib.sh"
cache_lab
cache_start
stored=0
fetch_stored() {  # fetch_stored NAME TARGET: the first fetch, waited until stored
  assert_eq 200 "$(cget "$1" "$CO$2")" "status of the first fetch of $2"
  stored=$((stored + 1))
  wait_stored $stored
}

# --- ETag: 304, then a changed object ------------------------------------------------------------
oset /r/etag cc=max-age=60 age=120 etag=v1 size=4000
fetch_stored e1 /r/etag
assert_eq 200 "$(cget e2 "$CO/r/etag")" "status of a revalidated hit"
assert_eq 2 "$(ocount "GET /r/etag")" "origin requests after one revalidation"
assert_eq 1 "$(ocount "COND /r/etag")" "conditional origin requests after one revalidation"
origin_got /r/etag '^If-None-Match: "v1"' "revalidation of the first object"
assert_eq "$(bsha e1)" "$(bsha e2)" "body served after the 304"
# the 304's fields replace the stored ones (§4.3.4)
assert_eq 2 "$(hdr e2 X-Origin-Count)" "X-Origin-Count after the 304"
assert_eq refresh "$(cache_of /r/etag 2)" "cache field after a 304"
assert_eq 1 "$(counter cache_refresh_unmodified)" "cache_refresh_unmodified"
assert_eq 0 "$(counter cache_refresh_modified)" "cache_refresh_modified before the change"

oset /r/etag version=2 etag=v2
assert_eq 200 "$(cget e3 "$CO/r/etag")" "status after the object changed"
assert_eq 2 "$(ocount "COND /r/etag")" "conditional origin requests after the change"
assert_eq "$(osha /r/etag 4000 2)" "$(bsha e3)" "body after the object changed (version 2)"
assert_eq refresh "$(cache_of /r/etag 3)" "cache field when the revalidation got a 200"
assert_eq 1 "$(counter cache_refresh_modified)" "cache_refresh_modified"
stored=$((stored + 1)); wait_stored $stored
assert_eq 200 "$(cget e4 "$CO/r/etag")" "status of the revalidation of the new object"
origin_got /r/etag '^If-None-Match: "v2"' "revalidation of the new object"
assert_eq 3 "$(ocount "COND /r/etag")" "conditional origin requests after the new object"
assert_eq "$(bsha e3)" "$(bsha e4)" "the new body, served from the store after a 304"
assert_eq 2 "$(counter cache_refresh_unmodified)" "cache_refresh_unmodified after the new object"

# --- Last-Modified only: If-Modified-Since ---------------------------------------------------
oset /r/lm cc=max-age=60 age=120 lm=-3600
fetch_stored l1 /r/lm
lm=$(hdr l1 Last-Modified)
cget l2 "$CO/r/lm" >/dev/null
assert_eq 1 "$(ocount "COND /r/lm")" "conditional origin requests, Last-Modified only"
ims=$(olast /r/lm | sed -n 's/^if-modified-since: *//Ip')
assert_eq "$lm" "$ims" "If-Modified-Since sent (the stored Last-Modified)"
assert_eq refresh "$(cache_of /r/lm 2)" "cache field, Last-Modified only"
assert_eq "$(bsha l1)" "$(bsha l2)" "body, Last-Modified only"

# --- a 304 that makes the object fresh again ---------------------------------------------------
oset /r/fresh cc=max-age=60 age=120 etag=f1
fetch_stored f1 /r/fresh
oset /r/fresh age=
cget f2 "$CO/r/fresh" >/dev/null
assert_eq refresh "$(cache_of /r/fresh 2)" "cache field of the revalidation"
cget f3 "$CO/r/fresh" >/dev/null
assert_eq hit "$(cache_of /r/fresh 3)" "cache field after a 304 without Age (fresh again)"
assert_eq 2 "$(ocount "GET /r/fresh")" "origin requests, fresh after a 304"
assert_le 5 "$(age_of f3)" "Age after a 304 without Age"

# --- response no-cache: revalidated even when fresh ----------------------------------------------
oset /r/nocache cc=no-cache,max-age=600 etag=n1
fetch_stored n1 /r/nocache
cget n2 "$CO/r/nocache" >/dev/null
assert_eq 1 "$(ocount "COND /r/nocache")" "conditional origin requests, response no-cache"
assert_eq refresh "$(cache_of /r/nocache 2)" "cache field, response no-cache"

# --- max-stale, and must-revalidate that overrides it -------------------------------------------
oset /r/maxstale cc=max-age=60 age=120 etag=s1
fetch_stored s1 /r/maxstale
cget s2 "$CO/r/maxstale" -H 'Cache-Control: max-stale=3600' >/dev/null
assert_eq 1 "$(ocount "GET /r/maxstale")" "origin requests, max-stale=3600 on a 60 s stale object"
assert_eq hit "$(cache_of /r/maxstale 2)" "cache field, max-stale=3600"
assert_ge 120 "$(age_of s2)" "Age of a stale hit"
cget s3 "$CO/r/maxstale" -H 'Cache-Control: max-stale=10' >/dev/null
assert_eq 1 "$(ocount "COND /r/maxstale")" "conditional origin requests, max-stale=10"
cget s4 "$CO/r/maxstale" >/dev/null
assert_eq 2 "$(ocount "COND /r/maxstale")" "conditional origin requests, no max-stale"

oset /r/mustrev cc=max-age=60,must-revalidate age=120 etag=m1
fetch_stored m1 /r/mustrev
cget m2 "$CO/r/mustrev" -H 'Cache-Control: max-stale=3600' >/dev/null
assert_eq 1 "$(ocount "COND /r/mustrev")" "conditional origin requests, must-revalidate"
assert_eq refresh "$(cache_of /r/mustrev 2)" "cache field, must-revalidate with max-stale"

# --- stale-while-revalidate ----------------------------------------------------------------------
oset /r/swr cc=max-age=60,stale-while-revalidate=600 age=120 etag=w1
fetch_stored w1 /r/swr
oset /r/swr delay_ms=1500   # the background revalidation is slow; the client must not wait
assert_eq 200 "$(cget w2 "$CO/r/swr")" "status within stale-while-revalidate"
assert_between 0 1.0 "$(cat "$OUT/w2.time")" "seconds to serve within stale-while-revalidate"
assert_eq "$(bsha w1)" "$(bsha w2)" "body within stale-while-revalidate"
assert_eq hit "$(cache_of /r/swr 2)" "cache field within stale-while-revalidate"
wait_for -t 5 ocount_is "COND /r/swr" 1
assert_eq 2 "$(ocount "GET /r/swr")" "origin requests: the miss and one background revalidation"

# --- stale-if-error: the origin fails the revalidation ------------------------------------------
oset /r/sie cc=max-age=60,stale-if-error=600 age=120 etag=e1
fetch_stored e1 /r/sie
oset /r/sie status=500
assert_eq 200 "$(cget e2 "$CO/r/sie")" "status when the origin fails within stale-if-error"
assert_eq "$(bsha e1)" "$(bsha e2)" "the stale body, within stale-if-error"
assert_eq 1 "$(counter cache_stale_if_error)" "cache_stale_if_error"
oset /r/nosie cc=max-age=60 age=120 etag=x1
fetch_stored x1 /r/nosie
oset /r/nosie status=500
assert_eq 500 "$(cget x2 "$CO/r/nosie")" "without stale-if-error the origin's 500 is relayed"
pass
