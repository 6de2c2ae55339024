#!/usr/bin/env bash
# With the cache off nothing is stored and nothing is served from a store: a response that would
# be cacheable (max-age, ETag) fetched twice reaches the origin twice, the decision lines carry
# no `cache` field (absent or empty), and no cache counter moves. Both ways of being off: no
# [cache] section at all (the default), and enabled = false with a dir given (nothing is written
# under it).
. "$(dirname "$0")/cache_lib.sh"
cache_lab

twice() {  # twice PATH: fetch PATH (cacheable) twice; both must reach the origin
  local t="$1?cc=max-age=600&etag=d1&size=5000" n=${1//\//_} i
  for i in 1 2; do
    assert_eq 200 "$(cget "$n$i" "$CO$t")" "status of $t, fetch $i"
    assert_eq "$i" "$(hdr "$n$i" X-Origin-Count)" "X-Origin-Count of $t, fetch $i"
  done
  assert_eq 2 "$(ocount "GET $1")" "origin requests for $1"
  assert_eq "$(osha "$1" 5000)" "$(bsha "${n}2")" "sha256 of the second body of $1"
  assert_eq "" "$(hdr "${n}2" Age)" "Age of the second response of $1 (none: not from a store)"
  assert_eq 2 "$(rec_count "$t")" "decision lines of $t"
  for i in 1 2; do
    assert_eq "" "$(rec_field "$t" "$i" cache)" "cache field of decision line $i of $t"
  done
}

# 1. the default configuration: no [cache] section
tg_start gateway.http_ports="80, $CO_PORT"
twice /d/default
for c in cache_hits cache_mem_hits cache_misses cache_stored cache_bypass cache_collapsed; do
  assert_eq 0 "$(counter0 "$c")" "$c with the cache off by default"
done
tg_stop

# 2. explicitly off, with a directory given
cache_start cache.enabled=false
twice /d/off
for c in cache_hits cache_misses cache_stored cache_bypass; do
  assert_eq 0 "$(counter0 "$c")" "$c with cache.enabled=false"
done
files=$( (find "$CACHE_DIR" -type f 2>/dev/null || true) | wc -l)  # no dir at all is right too
assert_eq 0 "$files" "files under $CACHE_DIR with cache.enabled=false"
pass
