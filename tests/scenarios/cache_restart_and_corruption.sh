#!/usr/bin/env bash
# The store on disk:
#  - stored objects survive a daemon restart on the same dir: a hit after the restart, from disk
#    (squid code TCP_HIT: the memory tier starts empty), with its Age;
#  - an object file cut short and one whose metadata has a flipped byte are dropped when the
#    daemon starts (cache_corrupt_dropped = 2), never served: those URLs are misses; an
#    unfinished file in tmp/ is removed;
#  - an object whose body has a flipped byte is found out while it is served: the client never
#    gets it complete and successful, the object is dropped (cache_corrupt_dropped = 3) and the
#    next request is a miss with the right bytes;
#  - eviction under size = 2M with 900 KB objects: the least recently used object goes
#    (cache_evictions), a recently read one stays.
. "$(dirname "$0")/cache_lib.sh"
cache_lab
SIZE=100000
for p in alpha bravo charlie delta; do oset "/k/$p" cc=max-age=3600 size=$SIZE; done

# --- 1. store four objects ------------------------------------------------------------------------
cache_start
n=0
for p in alpha bravo charlie delta; do
  assert_eq 200 "$(cget "$p" "$CO/k/$p")" "status of /k/$p"
  n=$((n + 1)); wait_stored $n
done
tg_stop

# object_file PATH: the one file under objects/ whose metadata names PATH
object_file() {
  local files
  files=$(grep -rlF --binary-files=text "/k/$1" "$CACHE_DIR/objects") || true
  [[ $(wc -w <<<"$files") == 1 ]] ||
    fail "want one object file for /k/$1 under $CACHE_DIR/objects, got: '$files'"
  echo "$files"
}
flip() {  # flip FILE OFFSET: invert one byte
  "$PY" -c 'import sys
f = open(sys.argv[1], "r+b"); f.seek(int(sys.argv[2])); b = f.read(1)
f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0xFF]))' "$1" "$2"
}
assert_eq 4 "$(find "$CACHE_DIR/objects" -type f | wc -l)" "object files after storing four objects"
f=$(object_file bravo)
truncate -s $(( $(stat -c %s "$f") / 2 )) "$f"
f=$(object_file charlie)
off=$(grep -boaF "/k/charlie" "$f" | head -n 1 | cut -d: -f1)  # -o: every match of the one "line"
flip "$f" $((off + 4))
f=$(object_file delta)
flip "$f" 50000   # well inside the 100000-byte body, after the fixed header
mkdir -p "$CACHE_DIR/tmp"
echo "an unfinished object" >"$CACHE_DIR/tmp/leftover"

# --- 2. restart on the same dir, squid log (action codes) ---------------------------------------
TG_DECISIONS=$STATE/decisions.log.2
cache_start log.format=squid
try_wait_for -t 3 counter_ge cache_corrupt_dropped 2 || true
assert_eq 2 "$(counter cache_corrupt_dropped)" "objects dropped at start (cut short, bad metadata)"
[[ ! -e $CACHE_DIR/tmp/leftover ]] || fail "tmp/leftover survived the start"
assert_eq 200 "$(cget a2 "$CO/k/alpha")" "status of /k/alpha after the restart"
assert_eq TCP_HIT "$(squid_code /k/alpha 1)" "squid code of the first hit after a restart"
assert_eq 1 "$(ocount "GET /k/alpha")" "origin requests for /k/alpha across the restart"
assert_eq "$(osha /k/alpha $SIZE)" "$(bsha a2)" "sha256 of /k/alpha after the restart"
age_of a2 >/dev/null
for p in bravo charlie; do
  assert_eq 200 "$(cget "${p}2" "$CO/k/$p")" "status of /k/$p after it was dropped"
  assert_eq TCP_MISS "$(squid_code "/k/$p" 1)" "squid code of /k/$p after it was dropped"
  assert_eq 2 "$(ocount "GET /k/$p")" "origin requests for /k/$p"
  assert_eq "$(osha "/k/$p" $SIZE)" "$(bsha "${p}2")" "sha256 of /k/$p"
done

# the body flip is found while serving: never a complete, successful, wrong body
set +e
res=$(client curl -sS -m "$(scaled 10)" "${RESOLVE[@]}" -o "$OUT/d2.body" -w '%{http_code}' \
  "$CO/k/delta" 2>&1)
rc=$?
set -e
note "corrupt body: curl exit $rc, $res, $(stat -c %s "$OUT/d2.body" 2>/dev/null) bytes"
if [[ $rc -eq 0 ]]; then
  assert_eq "$(osha /k/delta $SIZE)" "$(bsha d2)" "a body served whole must be the right one"
else
  assert_le $((SIZE - 1)) "$(stat -c %s "$OUT/d2.body" 2>/dev/null || echo 0)" \
    "bytes of a failed transfer"
fi
wait_for counter_eq cache_corrupt_dropped 3
assert_eq 200 "$(cget d3 "$CO/k/delta")" "status of /k/delta after its corrupt body was dropped"
assert_eq "$(osha /k/delta $SIZE)" "$(bsha d3)" "sha256 of /k/delta after the drop"
assert_ge 2 "$(ocount "GET /k/delta")" "origin requests for /k/delta after the drop"
tg_stop

# --- 3. eviction: size = 2M holds two 900 KB objects --------------------------------------------
TG_DECISIONS=$STATE/decisions.log.3
CACHE_DIR=$STATE/cache-small
cache_start cache.size=2M
E=900000
for i in 1 2 3; do oset "/e/$i" cc=max-age=3600 size=$E; done
for i in 1 2 3; do
  assert_eq 200 "$(cget "e$i" "$CO/e/$i")" "status of /e/$i"
  wait_stored "$i"
done
wait_for counter_eq cache_evictions 1
assert_eq 2 "$(cstat objects)" "objects in a 2M store after three 900 KB objects"
assert_le 2097152 "$(cstat bytes)" "bytes in a 2M store"
assert_eq 200 "$(cget e2b "$CO/e/2")" "status of /e/2 (read: now the most recent)"
assert_eq 1 "$(ocount "GET /e/2")" "origin requests for /e/2 (a hit)"
assert_eq 200 "$(cget e1b "$CO/e/1")" "status of /e/1 (evicted first)"
assert_eq 2 "$(ocount "GET /e/1")" "origin requests for /e/1 (evicted: a miss)"
wait_stored 4
wait_for counter_eq cache_evictions 2
assert_eq 200 "$(cget e2c "$CO/e/2")" "status of /e/2 after /e/1 came back"
assert_eq 1 "$(ocount "GET /e/2")" "origin requests for /e/2 (recently read: kept)"
assert_eq 200 "$(cget e3b "$CO/e/3")" "status of /e/3 (least recently used)"
assert_eq 2 "$(ocount "GET /e/3")" "origin requests for /e/3 (evicted)"
assert_eq "$(osha /e/3 $E)" "$(bsha e3b)" "sha256 of /e/3 refetched"
pass
