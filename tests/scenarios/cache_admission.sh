#!/usr/bin/env bash
# [cache] admission = second_request (the default): a storable response of at most
# admission_max_size is stored only when its URL was asked for before: the first fetch is
# relayed and counted (cache_admission_deferred), the second is stored, the third is a hit.
# A larger object is stored on its first fetch. admission = all stores from the first fetch.
. "$(dirname "$0")/cache_lib.sh"
cache_lab
cache_start cache.admission=second_request cache.admission_max_size=64K

small="/adm/small?cc=max-age=600&size=20000"
assert_eq 200 "$(cget s1 "$CO$small")" "first fetch of a small object"
assert_eq 1 "$(counter cache_admission_deferred)" "cache_admission_deferred after the first fetch"
assert_eq 0 "$(counter cache_stored)" "stored after the first fetch"
assert_eq 200 "$(cget s2 "$CO$small")" "second fetch"
wait_stored 1
assert_eq 200 "$(cget s3 "$CO$small")" "third fetch"
assert_eq 2 "$(ocount "GET /adm/small")" "origin requests for three fetches of a small object"
assert_eq 1 "$(counter cache_hits)" "hits"
assert_eq "$(bsha s1)" "$(bsha s3)" "the hit's body against the first"

large="/adm/large?cc=max-age=600&size=200000"
assert_eq 200 "$(cget l1 "$CO$large")" "first fetch of a large object"
wait_stored 2
assert_eq 200 "$(cget l2 "$CO$large")" "second fetch of a large object"
assert_eq 1 "$(ocount "GET /adm/large")" "origin requests for a large object fetched twice"
assert_eq 1 "$(counter cache_admission_deferred)" "a large object is never deferred"

tg_stop
cache_start cache.admission=all
other="/adm/other?cc=max-age=600&size=1000"
assert_eq 200 "$(cget o1 "$CO$other")" "first fetch with admission = all"
wait_stored 1
assert_eq 0 "$(counter cache_admission_deferred)" "deferred with admission = all"
pass
