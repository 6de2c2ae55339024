#!/usr/bin/env bash
# Store-ID rules: [storeid.mirrors] maps every http://mirrorN.test/PATH to one key,
# http://mirrors.internal/PATH, so the same file fetched from two mirrors is stored once.
#  - mirror1.test then mirror2.test: the second is a hit (one origin request, same bytes);
#  - another host with the same path is not rewritten (a miss);
#  - the match is over the whole URL: a URL that only contains a mirror URL (in its query) is
#    not rewritten.
# Both mirrors resolve to 10.77.2.2 at the gateway, so storing them passes the Host check. The
# optional port in the pattern: the clients' Host carries :8090.
. "$(dirname "$0")/cache_lib.sh"
cache_lab
TG_EXTRA='[storeid.mirrors]
match = http://mirror[0-9]+\.test(:[0-9]+)?/(.*)
key = http://mirrors.internal/\2'
cache_start

t="/s/pkg.deb?cc=max-age=600&size=30000"
assert_eq 200 "$(cget m1 "http://mirror1.test:$CO_PORT$t")" "status from mirror1.test"
wait_stored 1
assert_eq 200 "$(cget m2 "http://mirror2.test:$CO_PORT$t")" "status from mirror2.test"
assert_eq 1 "$(ocount "GET /s/pkg.deb")" "origin requests for one file from two mirrors"
assert_eq "$(osha /s/pkg.deb 30000)" "$(bsha m2)" "sha256 from mirror2.test"
assert_eq miss "$(cache_of "$t" 1)" "cache field from mirror1.test"
assert_eq hit "$(cache_of "$t" 2)" "cache field from mirror2.test"
age_of m2 >/dev/null

assert_eq 200 "$(cget c1 "$CO$t")" "status from cache.test (no store-ID rule)"
assert_eq 2 "$(ocount "GET /s/pkg.deb")" "origin requests after cache.test asked for the same path"
assert_eq miss "$(cache_of "$t" 3)" "cache field from cache.test"

# only a full match rewrites: a search would find the mirror URL inside the query and map this
# one to the stored key
t="/x?u=http://mirror1.test/s/pkg.deb?cc=max-age=600&size=30000"
assert_eq 200 "$(cget q1 "$CO$t")" "status of a URL holding a mirror URL in its query"
assert_eq 1 "$(ocount "GET /x")" "origin requests for it (not the mirrors' stored object)"
pass
