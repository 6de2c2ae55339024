#!/usr/bin/env bash
# Ten GETs pipelined in one write on one connection: ten responses, in request order, each body
# intact, and ten decision lines in the same order.
. "$(dirname "$0")/lib.sh"
scenario_lab
tg_start

# /chunked?n=N answers N pattern bytes (chunked), so each response names its request.
reqs=""
for i in $(seq 1 10); do
  conn=""
  [[ $i == 10 ]] && conn='Connection: close\r\n'
  reqs+="GET /chunked?n=$((i * 1000)) HTTP/1.1\\r\\nHost: 10.77.2.2:8081\\r\\n$conn\\r\\n"
done
netc client pipe 10.77.2.2 8081 "send:$reqs" read
assert_eq eof "$NETC_END" "end of the connection after the last (Connection: close) response"

# Parse the responses in order: status, X-Body-Bytes, chunked body and its sha256.
summary=$("$PY" - "$OUT/pipe.out" <<'PYEOF'
import hashlib, sys
data = open(sys.argv[1], "rb").read()
out = []
while data:
    head, sep, data = data.partition(b"\r\n\r\n")
    if not sep:
        out.append("truncated-head")
        break
    lines = head.split(b"\r\n")
    status = lines[0].split(b" ")[1].decode()
    h = {k.strip().lower(): v.strip() for k, _, v in (l.partition(b":") for l in lines[1:])}
    body = b""
    if h.get(b"transfer-encoding", b"").lower() == b"chunked":
        while True:
            size_line, _, data = data.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            body += data[:size]
            data = data[size + 2:]
            if size == 0:
                break
    else:
        n = int(h.get(b"content-length", b"0"))
        body, data = data[:n], data[n:]
    ok = hashlib.sha256(body).hexdigest().encode() == h.get(b"x-body-sha256")
    out.append("%s:%s:%s" % (status, len(body), "ok" if ok else "badsha"))
print(" ".join(out))
PYEOF
)
want=$(for i in $(seq 1 10); do printf '200:%d:ok ' $((i * 1000)); done)
assert_eq "${want% }" "$summary" "responses (status:bytes:sha) in order"

wait_for log_has_lines 10
assert_eq 10 "$(log_lines)" "decision lines"
urls=$(log_py '" ".join(r["url"].rsplit("=", 1)[1] for r in L)')
assert_eq "1000 2000 3000 4000 5000 6000 7000 8000 9000 10000" "$urls" "decision lines in request order"
assert_eq 1 "$(log_py 'len(set(r["client_port"] for r in L))')" "client ports in the decision lines"
assert_eq 1 "$(counter connections_accepted)" "connections_accepted"
assert_eq 10 "$(counter http_requests)" "http_requests"
pass
