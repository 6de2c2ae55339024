#!/usr/bin/env bash
# Ranges (RFC 9110 §14) with the cache:
#  - from a complete stored object: a single range, a suffix range, an open range (206, exact
#    Content-Range and bytes), two ranges (206 multipart/byteranges, each part checked), If-Range
#    that matches (206) or not (the whole 200), an unsatisfiable range (416); the origin never
#    sees any of them and cache_range_hits counts the ranges served;
#  - a Range request on a miss, range_miss=forward: the origin gets the Range, the 206 is relayed
#    and not stored;
#  - range_miss=fetch_whole: the client's Range is forwarded and answered at once (a slice near
#    the end of a 4 GB update must not wait for the whole download), and the gateway fetches the
#    whole object without the Range in the background and stores it, so that a later range (and
#    the whole) are hits: two origin requests, one of them a Range, then none.
. "$(dirname "$0")/cache_lib.sh"
cache_lab
cache_start cache.range_miss=forward
SIZE=100000

# rng NAME TARGET RANGE FIRST LAST: a 206 for bytes FIRST-LAST of TARGET's path, exact
rng() {
  local name=$1 t=$2 range=$3 first=$4 last=$5 p=${2%%\?*}
  assert_eq 206 "$(cget "$name" "$CO$t" -H "Range: bytes=$range")" "status for Range: bytes=$range"
  assert_eq "bytes $first-$last/$SIZE" "$(hdr "$name" Content-Range)" "Content-Range for $range"
  assert_eq $((last - first + 1)) "$(bsize "$name")" "body length for $range"
  cmp -s <(obody "$p" $SIZE | tail -c +$((first + 1)) | head -c $((last - first + 1))) \
    "$OUT/$name.body" || fail "bytes for Range: bytes=$range are not bytes $first-$last"
}

t="/g/obj?size=$SIZE&ranges=1&cc=max-age=600&etag=g1"
assert_eq 200 "$(cget full "$CO$t")" "status of the whole object"
wait_stored 1
rng r1 "$t" 100-199 100 199
rng r2 "$t" -500 $((SIZE - 500)) $((SIZE - 1))
rng r3 "$t" 99990- 99990 99999
# two ranges: multipart/byteranges, each part with its Content-Range and bytes
assert_eq 206 "$(cget mr "$CO$t" -H 'Range: bytes=0-9,50000-50009')" "status for two ranges"
ctype=$(hdr mr Content-Type)
assert_match '^multipart/byteranges; *boundary=' "$ctype" "Content-Type for two ranges"
obody /g/obj $SIZE >"$OUT/g.expected"
"$PY" - "$ctype" "$OUT/mr.body" "$OUT/g.expected" <<'EOF' || fail "wrong multipart/byteranges"
import re, sys
ctype, body, whole = sys.argv[1], open(sys.argv[2], "rb").read(), open(sys.argv[3], "rb").read()
boundary = re.search(r'boundary="?([^";]+)"?', ctype).group(1).encode()
parts = [p for p in body.split(b"--" + boundary)[1:] if not p.startswith(b"--")]
assert len(parts) == 2, "%d parts" % len(parts)
for p, (a, b) in zip(parts, [(0, 9), (50000, 50009)]):
    head, _, data = p.partition(b"\r\n\r\n")
    assert b"content-range: bytes %d-%d/%d" % (a, b, len(whole)) in head.lower(), head
    assert data[:b - a + 1] == whole[a:b + 1] and data[b - a + 1:] == b"\r\n", (a, data[:40])
EOF
assert_eq 206 "$(cget ir1 "$CO$t" -H 'Range: bytes=0-9' -H 'If-Range: "g1"')" \
  "If-Range that matches"
assert_eq 10 "$(bsize ir1)" "body length, If-Range that matches"
assert_eq 5 "$(counter cache_range_hits)" "cache_range_hits after five ranges from the store"
assert_eq 200 "$(cget ir2 "$CO$t" -H 'Range: bytes=0-9' -H 'If-Range: "other"')" \
  "If-Range that does not match: the whole object"
assert_eq "$(sha256sum <"$OUT/g.expected" | cut -d' ' -f1)" "$(bsha ir2)" "the whole object"
assert_eq 416 "$(cget bad "$CO$t" -H "Range: bytes=$SIZE-")" "an unsatisfiable range"
assert_eq "bytes */$SIZE" "$(hdr bad Content-Range)" "Content-Range of the 416"
assert_eq 1 "$(ocount "GET /g/obj")" "origin requests for the object and its ranges"
assert_eq 0 "$(ocount "RANGE /g/obj")" "Range requests at the origin"
for n in 2 3 4 5 6 7; do
  assert_eq hit "$(cache_of "$t" $n)" "cache field of request $n (served from the store)"
done

# --- a Range miss, range_miss=forward ------------------------------------------------------------
t="/g/fw?size=$SIZE&ranges=1&cc=max-age=600&etag=f1"
rng fw1 "$t" 1000-1999 1000 1999
assert_eq 1 "$(ocount "RANGE /g/fw")" "Range requests at the origin (forwarded)"
origin_got /g/fw '^Range: bytes=1000-1999' "a forwarded Range miss"
assert_eq miss "$(cache_of "$t" 1)" "cache field of a forwarded Range miss"
assert_eq 1 "$(counter cache_stored)" "cache_stored after a forwarded 206 (not stored)"
assert_eq 200 "$(cget fw2 "$CO$t")" "the whole object after a forwarded Range"
assert_eq 2 "$(ocount "GET /g/fw")" "origin requests: the 206 was not stored"

# --- range_miss=fetch_whole ------------------------------------------------------------------
tg_stop
cache_start cache.range_miss=fetch_whole
t="/g/whole?size=$SIZE&ranges=1&cc=max-age=600&etag=w1"
rng wh1 "$t" 1000-1999 1000 1999
wait_stored 1
assert_eq 2 "$(ocount "GET /g/whole")" "origin requests for a Range miss, fetch_whole"
assert_eq 1 "$(ocount "RANGE /g/whole")" "Range requests at the origin, fetch_whole"
assert_eq 1 "$(counter cache_background_fetches)" "background fetches, fetch_whole"
rng wh2 "$t" 5000-5099 5000 5099
assert_eq 2 "$(ocount "GET /g/whole")" "origin requests for a later range, fetch_whole"
assert_eq hit "$(cache_of "$t" 2)" "cache field of a later range, fetch_whole"
assert_eq 1 "$(counter cache_range_hits)" "cache_range_hits, fetch_whole"
assert_eq 200 "$(cget wh3 "$CO$t")" "the whole object, fetch_whole"
assert_eq "$(osha /g/whole $SIZE)" "$(bsha wh3)" "sha256 of the whole object, fetch_whole"
assert_eq 2 "$(ocount "GET /g/whole")" "origin requests at the end, fetch_whole"
pass
