#!/usr/bin/env bash
# [nfqueue] dns = true: DNS queries from the LAN, here to a dnsmasq on the gateway, are judged
# under the same policy as HTTP and TLS. A blocked name gets NXDOMAIN (or [dns] block_answer's
# address) that appears to come from the resolver, and the resolver never sees the query; a
# safe-search group gets forcesafesearch.google.com's address for www.google.com (resolved by
# the gateway); HTTPS (type 65) queries of a filtering group get no records; other names are
# answered by the resolver. Every query is a decision line with proto dns.
. "$(dirname "$0")/lib.sh"
command -v dnsmasq >/dev/null || skip "dnsmasq is not installed (make deps)"
scenario_lab
gateway_hosts "10.77.2.3 forcesafesearch.google.com"
lab_spawn gw dnsmasq dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces \
  --listen-address=10.77.1.1 --port=53 --log-queries --log-facility=- \
  --address=/allowed.test/10.77.2.2 --address=/blocked.test/10.77.2.2 \
  --address=/www.google.com/10.77.2.2 --address=/example.org/10.77.2.2 >/dev/null
lab_wait_port gw udp 53 10 >/dev/null 2>&1 || sleep 0.5
printf 'blocked.test\n' >"$STATE/bad.txt"
TG_EXTRA="[list.bad]
format = domains
path = $STATE/bad.txt
[group.default]
rules = block bad
default = allow
safe_search = true"
tg_start nfqueue.enabled=true nfqueue.dns=true nfqueue.quic=pass
dnsq() { client "$PY" "$SCN_DIR/dnsq.py" 10.77.1.1 "$@"; }
# a DNS-over-TLS port at the origin (accepts and holds), to tell block_dot's reset from no listener
lab_spawn origin dot "$PY" -c 'import socket,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", 853)); s.listen(16)
held=[]
while True: held.append(s.accept()[0])' >/dev/null
lab_wait_port origin any 853 10 >/dev/null || fail "the port-853 listener did not start"
dot() {
  client "$PY" -c 'import socket
s=socket.socket(); s.settimeout(3)
try:
    s.connect(("10.77.2.2", 853)); print("connected")
except ConnectionRefusedError: print("refused")
except OSError as e: print(type(e).__name__)'
}
assert_eq connected "$(dot)" "port 853 without block_dot"

assert_eq "rcode=0 answers=10.77.2.2" "$(dnsq allowed.test)" "an allowed name, answered by dnsmasq"
assert_eq "rcode=3 answers=" "$(dnsq www.blocked.test)" "a blocked name"
assert_eq "rcode=0 answers=10.77.2.3" "$(dnsq www.google.com)" "safe search: forcesafesearch.google.com's address"
assert_eq "rcode=0 answers=" "$(dnsq example.org HTTPS)" "an HTTPS record query in a filtering group"
# the same with dig, the admin's tool
if command -v dig >/dev/null; then
  client dig +time=3 +tries=1 @10.77.1.1 www.blocked.test A >"$OUT/dig.out" || true
  grep -q 'status: NXDOMAIN' "$OUT/dig.out" || fail "dig of a blocked name: $(cat "$OUT/dig.out")"
  assert_eq 10.77.2.2 "$(client dig +short +time=3 +tries=1 @10.77.1.1 allowed.test A)" "dig of an allowed name"
  assert_eq 10.77.2.3 "$(client dig +short +time=3 +tries=1 @10.77.1.1 www.google.com A)" "dig with safe search"
fi
assert_ge 1 "$(counter dns_blocked)" "dns_blocked"
assert_ge 1 "$(counter dns_safe_search)" "dns_safe_search"
assert_ge 1 "$(counter dns_https_suppressed)" "dns_https_suppressed"
assert_ge 4 "$(counter dns_queries)" "dns_queries"
grep -q 'query\[A\] www.blocked.test' "$STATE/dnsmasq.log" 2>/dev/null &&
  fail "the resolver saw the blocked query"
wait_for log_has_lines 4
blocked=$(grep '"host":"www.blocked.test"' "$TG_DECISIONS" | head -1)
[[ $blocked == *'"proto":"dns"'* && $blocked == *'"action":"block"'* && $blocked == *'"list":"bad"'* ]] ||
  fail "decision line of the blocked query: $blocked"

# DoH endpoints ([dns] block_doh, on by default) for a filtering group: by name, and Firefox's
# canary so it keeps DoH off
assert_eq "rcode=3 answers=" "$(dnsq dns.google)" "a DoH endpoint's name"
assert_eq "rcode=3 answers=" "$(dnsq use-application-dns.net)" "Firefox's DoH canary"
grep -q '"host":"dns.google".*"rule":"block_doh"' "$TG_DECISIONS" || fail "no block_doh line for dns.google"

# block_answer = an address: A queries get it; block_dot: port 853 refused
tg_write_config nfqueue.enabled=true nfqueue.dns=true nfqueue.quic=pass dns.block_answer=10.77.2.9 \
  dns.block_dot=true
tg_reload
assert_eq "rcode=0 answers=10.77.2.9" "$(dnsq www.blocked.test)" "a blocked name with block_answer = 10.77.2.9"
assert_eq refused "$(dot)" "DNS over TLS (port 853) with block_dot"
pass
