#!/usr/bin/env bash
# Vary (RFC 9111 §4.1): one stored variant per value of the named request fields. The origin
# makes every variant's body distinct (cache_origin.py seeds it with the request's values), so a
# wrong variant served would show.
#  - Vary: Accept-Encoding: gzip, br and "no Accept-Encoding" are three variants, each a miss
#    once and then a hit with its own body; whitespace after a comma does not make a new
#    variant (the list is normalised);
#  - Vary on two fields: their order in the request does not matter, a different value does;
#  - Vary: * is never stored.
. "$(dirname "$0")/cache_lib.sh"
cache_lab
cache_start
stored=0

t="/v/ae?cc=max-age=600&vary=Accept-Encoding&size=8000"
ae_n=0
ae() {  # ae NAME EXPECTED-CACHE [ACCEPT-ENCODING]: fetch $t with that Accept-Encoding (or none)
  local name=$1 want=$2 n
  shift 2
  if [[ $# -gt 0 ]]; then
    assert_eq 200 "$(cget "$name" "$CO$t" -H "Accept-Encoding: $1")" "status, $name"
  else
    assert_eq 200 "$(cget "$name" "$CO$t")" "status, $name"
  fi
  ae_n=$((ae_n + 1))
  n=$ae_n
  assert_eq "$want" "$(cache_of "$t" "$n")" "cache field of $name (Accept-Encoding: ${1:-none})"
  if [[ $want == miss ]]; then
    stored=$((stored + 1))
    wait_stored $stored
  fi
}
ae gz1 miss gzip
ae br1 miss br
ae gz2 hit gzip
ae br2 hit br
ae no1 miss
ae no2 hit
assert_eq 3 "$(ocount "GET /v/ae")" "origin requests for three variants fetched twice each"
assert_eq "$(bsha gz1)" "$(bsha gz2)" "the gzip variant's hit"
assert_eq "$(bsha br1)" "$(bsha br2)" "the br variant's hit"
assert_eq "$(bsha no1)" "$(bsha no2)" "the no-Accept-Encoding variant's hit"
[[ $(bsha gz1) != "$(bsha br1)" && $(bsha gz1) != "$(bsha no1)" ]] ||
  fail "the origin served the same body for different variants: the test proves nothing"
assert_eq "accept-encoding=gzip" "$(hdr gz2 X-Variant)" "X-Variant of the gzip hit"
assert_eq "accept-encoding=br" "$(hdr br2 X-Variant)" "X-Variant of the br hit"
assert_eq "$(osha /v/ae 8000 0 accept-encoding=gzip)" "$(bsha gz2)" "the gzip variant's bytes"

ae gb1 miss "gzip, br"
ae gb2 hit "gzip,br"
assert_eq "$(bsha gb1)" "$(bsha gb2)" "a variant matched after whitespace normalisation"
assert_eq 4 "$(ocount "GET /v/ae")" "origin requests after the \"gzip, br\" variant"

# --- two fields ---------------------------------------------------------------------------------
t2="/v/two?cc=max-age=600&vary=Accept-Language,X-Client"
cget t1 "$CO$t2" -H 'Accept-Language: fr' -H 'X-Client: a' >/dev/null
stored=$((stored + 1)); wait_stored $stored
cget t2 "$CO$t2" -H 'X-Client: a' -H 'Accept-Language: fr' >/dev/null
assert_eq hit "$(cache_of "$t2" 2)" "same two values, other order"
assert_eq "$(bsha t1)" "$(bsha t2)" "body of the two-field variant"
cget t3 "$CO$t2" -H 'Accept-Language: fr' -H 'X-Client: b' >/dev/null
assert_eq miss "$(cache_of "$t2" 3)" "one of the two values differs"
stored=$((stored + 1)); wait_stored $stored
assert_eq 2 "$(ocount "GET /v/two")" "origin requests, two-field Vary"

# --- Vary: * ------------------------------------------------------------------------------------
t3="/v/star?cc=max-age=600&vary=*"
cget st1 "$CO$t3" >/dev/null
cget st2 "$CO$t3" >/dev/null
assert_eq 2 "$(ocount "GET /v/star")" "origin requests, Vary: *"
[[ $(cache_of "$t3" 2) != hit ]] || fail "Vary: * served from the store"
assert_eq "$stored" "$(counter cache_stored)" "cache_stored (Vary: * not stored)"
pass
