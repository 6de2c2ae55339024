#!/usr/bin/env bash
# RFC 9111 basics, each on its own URL of tests/scenarios/cache_origin.py:
#  - a fresh response is stored: the second fetch is a hit (one origin request, same bytes, an
#    Age header, the stored X-Origin-Count), logged cache=miss then cache=hit;
#  - never stored: response no-store, private, Set-Cookie; a request with Authorization (unless
#    public), a request with no-store;
#  - s-maxage wins over max-age; Expires - Date gives the lifetime (a Date in the past counts as
#    age); a heuristic lifetime from Last-Modified, capped by heuristic_max;
#  - a request's no-cache, Pragma: no-cache and max-age=0 force a revalidation (conditional
#    request, 304, served from the store: cache=refresh);
#  - only-if-cached: 504 without the origin on a miss, the stored response on a hit;
#  - HEAD is answered from the stored GET; a chunked response is stored and served whole.
. "$(dirname "$0")/cache_lib.sh"
cache_lab
cache_start
stored=0

# --- miss, then hit ---------------------------------------------------------------------------
t="/b/hit?cc=max-age=600&size=20000"
assert_eq 200 "$(cget h1 "$CO$t")" "status of the first fetch"
stored=$((stored + 1)); wait_stored $stored
assert_eq 200 "$(cget h2 "$CO$t")" "status of the second fetch"
assert_eq 1 "$(ocount "GET /b/hit")" "origin requests for a fresh URL fetched twice"
assert_eq "$(osha /b/hit 20000)" "$(bsha h1)" "sha256 of the first body"
assert_eq "$(bsha h1)" "$(bsha h2)" "sha256 of the hit against the miss"
assert_eq 20000 "$(hdr h2 Content-Length)" "Content-Length of the hit"
assert_le 5 "$(age_of h2)" "Age of the hit (stored a moment ago)"
assert_eq 1 "$(hdr h2 X-Origin-Count)" "X-Origin-Count of the hit (the stored response's)"
assert_eq miss "$(cache_of "$t" 1)" "cache field of the first fetch"
assert_eq hit "$(cache_of "$t" 2)" "cache field of the second fetch"
assert_eq 1 "$(counter cache_misses)" "cache_misses after miss+hit"
assert_eq 1 "$(counter cache_hits)" "cache_hits after miss+hit"
assert_eq 1 "$(counter cache_stored)" "cache_stored after miss+hit"

# --- never stored: each fetched twice, both reach the origin ------------------------------------
not_stored() {  # not_stored NAME TARGET WHY [CURL ARG...]
  local name=$1 t=$2 why=$3 i
  shift 3
  for i in 1 2; do
    assert_eq 200 "$(cget "$name$i" "$CO$t" "$@")" "status of $why, fetch $i"
  done
  assert_eq 2 "$(ocount "GET ${t%%\?*}")" "origin requests for $why fetched twice"
  assert_eq "$(bsha "${name}1")" "$(bsha "${name}2")" "bodies of $why"
  local c
  c=$(cache_of "$t" 2)
  [[ $c == miss || $c == bypass ]] ||
    fail "cache field of the second fetch of $why: '$c' (want miss or bypass)"
}
not_stored ns "/b/nostore?cc=no-store,max-age=600" "response no-store"
not_stored pr "/b/private?cc=private,max-age=600" "response private"
not_stored sc "/b/cookie?cc=max-age=600&set_cookie=sid=42" "a response with Set-Cookie"
not_stored au "/b/auth?cc=max-age=600" "a request with Authorization" -H 'Authorization: Basic dTpw'
not_stored rn "/b/reqnostore?cc=max-age=600" "request no-store" -H 'Cache-Control: no-store'
assert_eq sid=42 "$(hdr sc2 Set-Cookie)" "Set-Cookie of the second response (relayed)"
assert_eq 1 "$(counter cache_stored)" "cache_stored after the never-stored cases"

# Authorization with public (or s-maxage, must-revalidate) may be stored (§3.5)
t="/b/authpub?cc=public,max-age=600"
cget ap1 "$CO$t" -H 'Authorization: Basic dTpw' >/dev/null
stored=$((stored + 1)); wait_stored $stored
assert_eq 200 "$(cget ap2 "$CO$t" -H 'Authorization: Basic dTpw')" "status, public + Authorization"
assert_eq 1 "$(ocount "GET /b/authpub")" "origin requests, public + Authorization"
assert_eq hit "$(cache_of "$t" 2)" "cache field, public + Authorization"

# --- s-maxage over max-age -------------------------------------------------------------------
t="/b/smax?cc=max-age=0,s-maxage=600"
cget sm1 "$CO$t" >/dev/null
stored=$((stored + 1)); wait_stored $stored
cget sm2 "$CO$t" >/dev/null
assert_eq 1 "$(ocount "GET /b/smax")" "origin requests, max-age=0 s-maxage=600"
assert_eq hit "$(cache_of "$t" 2)" "cache field, max-age=0 s-maxage=600"

t="/b/smax0?cc=max-age=600,s-maxage=0&etag=s0"
cget sz1 "$CO$t" >/dev/null
stored=$((stored + 1)); wait_stored $stored
assert_eq 200 "$(cget sz2 "$CO$t")" "status, max-age=600 s-maxage=0"
assert_eq 2 "$(ocount "GET /b/smax0")" "origin requests, max-age=600 s-maxage=0"
assert_eq 1 "$(ocount "COND /b/smax0")" "conditional origin requests, max-age=600 s-maxage=0"
assert_eq refresh "$(cache_of "$t" 2)" "cache field, max-age=600 s-maxage=0"
assert_eq "$(bsha sz1)" "$(bsha sz2)" "body after the 304"

# --- Expires and Date ------------------------------------------------------------------------
# Date 100 s ago, Expires = Date + 600: fresh, and the hit's Age counts the 100 s.
t="/b/expires?date=-100&expires=600"
cget ex1 "$CO$t" >/dev/null
stored=$((stored + 1)); wait_stored $stored
cget ex2 "$CO$t" >/dev/null
assert_eq 1 "$(ocount "GET /b/expires")" "origin requests, Expires = Date + 600"
assert_between 100 130 "$(age_of ex2)" "Age of a hit whose Date was 100 s old"
# Expires before Date: stale on arrival; stored for its ETag, revalidated on reuse
t="/b/expired?expires=-60&etag=x1"
cget xp1 "$CO$t" >/dev/null
stored=$((stored + 1)); wait_stored $stored
cget xp2 "$CO$t" >/dev/null
assert_eq 1 "$(ocount "COND /b/expired")" "conditional origin requests, Expires before Date"
assert_eq refresh "$(cache_of "$t" 2)" "cache field, Expires before Date"

# --- heuristic freshness from Last-Modified (§4.2.2) -------------------------------------------
# 10 days old: 10% = 1 day (= heuristic_max, default 1d): fresh
t="/b/heur?lm=-864000"
cget he1 "$CO$t" >/dev/null
stored=$((stored + 1)); wait_stored $stored
cget he2 "$CO$t" >/dev/null
assert_eq 1 "$(ocount "GET /b/heur")" "origin requests, heuristic lifetime"
assert_eq hit "$(cache_of "$t" 2)" "cache field, heuristic lifetime"
# 100 days old: 10% = 10 days, capped at 1 day; the response is 25 h old: stale, and revalidated
# with If-Modified-Since (its only validator)
t="/b/heurcap?lm=-8640000&date=-90000"
cget hc1 "$CO$t" >/dev/null
stored=$((stored + 1)); wait_stored $stored
cget hc2 "$CO$t" >/dev/null
assert_eq 1 "$(ocount "COND /b/heurcap")" "conditional origin requests, capped heuristic"
origin_got /b/heurcap '^If-Modified-Since: ' "revalidation of a heuristic lifetime"
assert_eq refresh "$(cache_of "$t" 2)" "cache field, heuristic over heuristic_max"

# --- the request forces a revalidation ---------------------------------------------------------
reval_by() {  # reval_by PATH WHY CURL-ARG...: stored fresh, then revalidated because of the request
  local p=$1 why=$2 t="$1?cc=max-age=600&etag=r1"
  shift 2
  cget rv1 "$CO$t" >/dev/null
  stored=$((stored + 1)); wait_stored $stored
  assert_eq 200 "$(cget rv2 "$CO$t" "$@")" "status, $why"
  assert_eq 2 "$(ocount "GET $p")" "origin requests, $why"
  assert_eq 1 "$(ocount "COND $p")" "conditional origin requests, $why"
  origin_got "$p" '^If-None-Match: "r1"' "$why"
  assert_eq refresh "$(cache_of "$t" 2)" "cache field, $why"
  assert_eq "$(bsha rv1)" "$(bsha rv2)" "body, $why"
}
reval_by /b/reqnocache "request no-cache" -H 'Cache-Control: no-cache'
reval_by /b/pragma "request Pragma: no-cache" -H 'Pragma: no-cache'
reval_by /b/reqmaxage0 "request max-age=0" -H 'Cache-Control: max-age=0'
# smax0, expired, heurcap and the three above
assert_eq 6 "$(counter cache_refresh_unmodified)" "cache_refresh_unmodified after the revalidations"

# --- only-if-cached ----------------------------------------------------------------------------
t="/b/oic?cc=max-age=600"
assert_eq 504 "$(cget oi1 "$CO$t" -H 'Cache-Control: only-if-cached')" "only-if-cached on a miss"
assert_eq 0 "$(ocount "GET /b/oic")" "origin requests for only-if-cached on a miss"
cget oi2 "$CO$t" >/dev/null
stored=$((stored + 1)); wait_stored $stored
assert_eq 200 "$(cget oi3 "$CO$t" -H 'Cache-Control: only-if-cached')" "only-if-cached on a hit"
assert_eq "$(bsha oi2)" "$(bsha oi3)" "only-if-cached hit body"
assert_eq 1 "$(ocount "GET /b/oic")" "origin requests after only-if-cached on a hit"

# --- HEAD from a stored GET ------------------------------------------------------------------
t="/b/head?cc=max-age=600&size=3000"
cget hg "$CO$t" >/dev/null
stored=$((stored + 1)); wait_stored $stored
assert_eq 200 "$(cget hh "$CO$t" -I)" "status of HEAD after a stored GET"
assert_eq 0 "$(ocount "HEAD /b/head")" "HEAD requests at the origin"
assert_eq 3000 "$(hdr hh Content-Length)" "Content-Length of HEAD from the store"
assert_eq "$(hdr hg X-Body-Sha256)" "$(hdr hh X-Body-Sha256)" "X-Body-Sha256 of HEAD from the store"
age_of hh >/dev/null
assert_eq hit "$(cache_of "$t" 2)" "cache field of HEAD from the store"

# --- a chunked response is stored and served whole -----------------------------------------------
t="/b/chunked?cc=max-age=600&chunked=1&size=50000"
cget ch1 "$CO$t" >/dev/null
stored=$((stored + 1)); wait_stored $stored
cget ch2 "$CO$t" >/dev/null
assert_eq 1 "$(ocount "GET /b/chunked")" "origin requests, chunked response"
assert_eq "$(osha /b/chunked 50000)" "$(bsha ch2)" "sha256 of the chunked response's hit"

# hits: hit, authpub, smax, expires, heur, oic (only-if-cached), head, chunked
assert_eq 8 "$(counter cache_hits)" "cache_hits at the end"
assert_eq "$stored" "$(counter cache_stored)" "cache_stored at the end"
pass
