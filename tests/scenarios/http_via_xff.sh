#!/usr/bin/env bash
# By default the proxy is invisible: the origin receives the request head byte for byte as the
# client sent it. With [http] via and x_forwarded_for it receives exactly two added fields,
# "Via: 1.1 <pseudonym>" and "X-Forwarded-For: <client address>".
. "$(dirname "$0")/lib.sh"
scenario_lab

sent='GET /headers HTTP/1.1\r\nHost: 10.77.2.2:8081\r\nUser-Agent: scenario\r\nX-Case: Mixed\r\nConnection: close\r\n\r\n'
printf '%b' "$sent" >"$OUT/sent"

# body_of FILE: the body of the (Content-Length) response saved in FILE
body_of() { "$PY" -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.stdout.buffer.write(d.split(b"\r\n\r\n",1)[1])' "$1"; }

tg_start
netc client default 10.77.2.2 8081 "send:$sent" read
head -n 1 "$OUT/default.out" | grep -q '^HTTP/1.1 200' || fail "default: $(head -n 1 "$OUT/default.out")"
body_of "$OUT/default.out" >"$OUT/default.seen"
cmp -s "$OUT/sent" "$OUT/default.seen" ||
  fail "default config: the origin saw a different head:$(diff <(cat -A "$OUT/sent") <(cat -A "$OUT/default.seen"))"
tg_stop

tg_start http.via=true http.x_forwarded_for=true
netc client added 10.77.2.2 8081 "send:$sent" read
head -n 1 "$OUT/added.out" | grep -q '^HTTP/1.1 200' || fail "via/xff: $(head -n 1 "$OUT/added.out")"
body_of "$OUT/added.out" >"$OUT/added.seen"
# The client's fields come first, unchanged; then exactly the two added ones, in any order.
verdict=$("$PY" - "$OUT/sent" "$OUT/added.seen" <<'PYEOF'
import re, sys
sent, seen = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
prefix = sent[:-2]
if not seen.startswith(prefix) or not seen.endswith(b"\r\n\r\n"):
    print("client's head not kept as a prefix: %r" % seen); sys.exit()
added = sorted(seen[len(prefix):-2].decode("latin-1").split("\r\n")[:-1])
ok = (len(added) == 2 and re.fullmatch(r"Via: 1\.1 \S+", added[0])
      and added[1] == "X-Forwarded-For: 10.77.1.2")
print("ok" if ok else "added fields: %r" % added)
PYEOF
)
assert_eq ok "$verdict" "with via and x_forwarded_for"
pass
