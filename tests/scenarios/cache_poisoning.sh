#!/usr/bin/env bash
# Cache poisoning by a lying Host: a response is stored under Host H only when the connection's
# original destination is an address of H as the gateway resolves it (its /etc/hosts here:
# cache.test -> 10.77.2.2, victim.test -> 10.77.2.3; cache_origin.py answers on both and says
# which address it was asked on in X-Origin-Addr).
#  - Host: victim.test sent to 10.77.2.2: served, not stored (cache_host_mismatch); a real
#    request for victim.test then goes to 10.77.2.3 and is stored there;
#  - a Host the gateway cannot resolve: served, never stored;
#  - an IP-literal Host equal to the destination: stored;
#  - collapsed forwarding cannot carry a lie: a real victim.test request that joins a spoofed
#    fetch of the same URL in flight gets victim.test's own response;
#  - verify_host = false turns the check off (and shows what it prevents: the lie is stored and
#    served to the next real victim.test client).
. "$(dirname "$0")/cache_lib.sh"
cache_lab
cache_start
spoof() {  # spoof NAME HOST PATH: request PATH from 10.77.2.2 with that Host
  assert_eq 200 "$(cget "$1" "http://10.77.2.2:$CO_PORT$3" -H "Host: $2:$CO_PORT")" \
    "status, Host $2 sent to 10.77.2.2"
}

# --- Host: victim.test to the wrong address -----------------------------------------------------
p="/p/page?cc=max-age=600"
spoof s1 victim.test "$p"
assert_eq 10.77.2.2 "$(hdr s1 X-Origin-Addr)" "address the spoofed request went to"
wait_for counter_eq cache_host_mismatch 1
assert_eq 0 "$(counter cache_stored)" "cache_stored after a spoofed Host"
assert_eq 200 "$(cget v1 "http://victim.test:$CO_PORT$p")" "status of a real victim.test request"
assert_eq 2 "$(ocount "GET /p/page")" "origin requests: the spoofed response was not stored"
assert_eq 10.77.2.3 "$(hdr v1 X-Origin-Addr)" "address of the real victim.test request"
assert_eq miss "$(cache_of "$p" 2)" "cache field of the real victim.test request"
wait_stored 1
assert_eq 200 "$(cget v2 "http://victim.test:$CO_PORT$p")" "status of a second victim.test request"
assert_eq 10.77.2.3 "$(hdr v2 X-Origin-Addr)" "the stored victim.test response is the real one"
assert_eq hit "$(cache_of "$p" 3)" "cache field of the second victim.test request"
assert_eq 2 "$(ocount "GET /p/page")" "origin requests after the real response was stored"

# --- a real request joining a spoofed fetch of the same URL --------------------------------------
p="/p/joined?cc=max-age=600&delay_ms=1500"
cget j1 "http://10.77.2.2:$CO_PORT$p" -H "Host: victim.test:$CO_PORT" >"$OUT/j1.code" &
spoofer=$!
sleep 0.4  # the spoofed fetch is in flight (the origin holds its head for 1.5 s)
assert_eq 200 "$(cget j2 "http://victim.test:$CO_PORT$p")" "status of a real request joining a spoofed fetch"
wait "$spoofer" || fail "the spoofed request failed"
assert_eq 10.77.2.2 "$(hdr j1 X-Origin-Addr)" "address of the spoofed request"
assert_eq 10.77.2.3 "$(hdr j2 X-Origin-Addr)" "a joiner of a spoofed fetch gets the real victim.test response"
assert_eq 2 "$(ocount "GET /p/joined")" "origin requests: the joiner fetched for itself"

# --- a Host the gateway cannot resolve ----------------------------------------------------------
p="/p/nowhere?cc=max-age=600"
spoof n1 nowhere.test "$p"
spoof n2 nowhere.test "$p"
assert_eq 2 "$(ocount "GET /p/nowhere")" "origin requests for an unresolvable Host fetched twice"
[[ $(cache_of "$p" 2) != hit ]] || fail "an unresolvable Host was served from the store"
assert_eq 2 "$(counter cache_stored)" "cache_stored after an unresolvable Host (page, joined)"

# --- an IP-literal Host that is the destination -----------------------------------------------
p="/p/literal?cc=max-age=600"
assert_eq 200 "$(cget l1 "http://10.77.2.2:$CO_PORT$p")" "status, IP-literal Host"
wait_stored 3
assert_eq 200 "$(cget l2 "http://10.77.2.2:$CO_PORT$p")" "status, IP-literal Host again"
assert_eq 1 "$(ocount "GET /p/literal")" "origin requests for an IP-literal Host fetched twice"

# --- verify_host = false --------------------------------------------------------------------
tg_stop
cache_start cache.verify_host=false
p="/p/unchecked?cc=max-age=600"
spoof u1 victim.test "$p"
wait_stored 1
assert_eq 200 "$(cget u2 "http://victim.test:$CO_PORT$p")" "status of a real victim.test request"
assert_eq 1 "$(ocount "GET /p/unchecked")" "origin requests, verify_host=false (the lie stored)"
assert_eq 10.77.2.2 "$(hdr u2 X-Origin-Addr)" "victim.test answered from 10.77.2.2's response"
assert_eq 0 "$(counter cache_host_mismatch)" "cache_host_mismatch with verify_host=false"
pass
