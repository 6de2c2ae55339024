#!/usr/bin/env bash
# A client that reads slowly through a small receive window still gets every byte of a 1 MB
# Content-Length body, in order. The gw's TCP send buffers are made small (a namespace-local
# sysctl) so the daemon's writes to the client block often and bytes wait in its relay (pipe or
# buffer) right up to the end of the body.
. "$(dirname "$0")/lib.sh"
scenario_lab
gw sysctl -q -w net.ipv4.tcp_wmem="4096 8192 8192"
tg_start

for i in 1 2 3; do
  netc client "slow$i" 10.77.2.2 80 --rcvbuf 4096 --timeout 5 \
    'send:GET /1m HTTP/1.1\r\nHost: 10.77.2.2\r\nConnection: close\r\n\r\n' trickle:4096:0.0002
  "$PY" - "$OUT/slow$i.out" "$STATE/www/1m" >"$OUT/slow$i.check" <<'PYEOF'
import sys
data, ref = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
body = data.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in data else b""
if body == ref:
    print("ok")
else:
    bad = next((k for k in range(min(len(body), len(ref))) if body[k] != ref[k]), None)
    where = "a prefix" if bad is None else "wrong from offset %d" % bad
    if bad is not None:
        j = ref.find(body[bad:bad + 64], bad)
        if j > 0:
            where += " (a hole: the next bytes are the file's from offset %d, %d bytes skipped)" % (j, j - bad)
    print("body %d of %d bytes, %s" % (len(body), len(ref), where))
PYEOF
  assert_eq ok "$(cat "$OUT/slow$i.check")" "download $i (client end: $NETC_END after ${NETC_T_END}s)"
  assert_eq eof "$NETC_END" "download $i: end of the connection"
done
wait_for log_has_lines 3
assert_eq 0 "$(log_py 'sum(1 for r in L if r.get("note"))')" "decision lines with a note"
pass
