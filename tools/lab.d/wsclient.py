#!/usr/bin/env python3
"""wsclient.py [--cacert CA] [--connect ADDR] [--timeout S] URL MESSAGE...

Tiny stdlib WebSocket client for lab tests (run it inside a namespace with
`tools/lab exec client python3 tools/lab.d/wsclient.py ws://10.77.2.2:8081/ws hi`).
Sends each MESSAGE as a masked text frame, then a ping, then a close; prints
every echoed text message on its own line.  Exit 0 when every message came
back unchanged, the ping was answered and the close was echoed; 1 otherwise.
URL may be ws:// or wss:// (wss verifies against --cacert).  --connect ADDR
connects to ADDR instead of resolving the URL's host (like curl --resolve).
"""
import argparse
import base64
import hashlib
import os
import socket
import ssl
import sys
import urllib.parse

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC11B85"


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        d = s.recv(n - len(buf))
        if not d:
            raise EOFError("connection closed")
        buf += d
    return buf


def send_frame(s, op, payload):
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        hdr = bytes([0x80 | op, 0x80 | n])
    elif n < 65536:
        hdr = bytes([0x80 | op, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        hdr = bytes([0x80 | op, 0x80 | 127]) + n.to_bytes(8, "big")
    m = (mask * (n // 4 + 1))[:n]
    body = (int.from_bytes(payload, "big") ^ int.from_bytes(m, "big")).to_bytes(n, "big") if n else b""
    s.sendall(hdr + mask + body)


def recv_frame(s):
    h = recv_exact(s, 2)
    op, n = h[0] & 0x0F, h[1] & 0x7F
    if h[1] & 0x80:
        raise ValueError("server frame is masked")
    if n == 126:
        n = int.from_bytes(recv_exact(s, 2), "big")
    elif n == 127:
        n = int.from_bytes(recv_exact(s, 8), "big")
    return op, recv_exact(s, n) if n else b""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cacert")
    ap.add_argument("--connect")
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("url")
    ap.add_argument("messages", nargs="*")
    a = ap.parse_args()
    u = urllib.parse.urlsplit(a.url)
    tls = u.scheme == "wss"
    port = u.port or (443 if tls else 80)
    s = socket.create_connection((a.connect or u.hostname, port), timeout=a.timeout)
    if tls:
        ctx = ssl.create_default_context(cafile=a.cacert)
        s = ctx.wrap_socket(s, server_hostname=u.hostname)
    key = base64.b64encode(os.urandom(16)).decode()
    host = u.netloc
    s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
               % (u.path or "/", host, key)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        d = s.recv(1)
        if not d:
            print("wsclient: connection closed during handshake", file=sys.stderr)
            return 1
        head += d
    status = head.split(b"\r\n", 1)[0]
    want = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest())
    if b" 101 " not in status + b" " or want not in head:
        print("wsclient: bad handshake: %r" % head, file=sys.stderr)
        return 1
    ok = True
    for m in a.messages:
        send_frame(s, 0x1, m.encode())
        op, p = recv_frame(s)
        print(p.decode(errors="replace"), flush=True)
        ok &= op == 0x1 and p == m.encode()
    send_frame(s, 0x9, b"lab-ping")
    op, p = recv_frame(s)
    ok &= op == 0xA and p == b"lab-ping"
    send_frame(s, 0x8, (1000).to_bytes(2, "big"))
    op, p = recv_frame(s)
    ok &= op == 0x8
    s.close()
    if not ok:
        print("wsclient: echo mismatch", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
