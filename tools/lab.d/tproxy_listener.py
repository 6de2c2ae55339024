#!/usr/bin/env python3
"""tproxy_listener.py [--port 3129] [--dual]

A minimal transparent (TPROXY) listener for checking nft rules in the lab gw.
Listens with IP_TRANSPARENT on 0.0.0.0:PORT and IPV6_TRANSPARENT on [::]:PORT
(or, with --dual, one dual-stack [::] socket carrying both options).  For each
connection it reads the request, replies with a small HTTP/1.1 response whose
body is

    tproxy peer=ADDR:PORT orig=ADDR:PORT

where orig is the accepted socket's local address, i.e. the original
destination, and logs the same line to stdout.  Addresses are printed without
the ::ffff: prefix of a v4-mapped address.
"""
import argparse
import socket
import threading

IP_TRANSPARENT = 19
IPV6_TRANSPARENT = 75


def fmt(sa):
    host = sa[0]
    if host.startswith("::ffff:") and "." in host:
        host = host[7:]
    return ("[%s]:%d" if ":" in host else "%s:%d") % (host, sa[1])


def serve(s):
    while True:
        c, peer = s.accept()
        threading.Thread(target=handle, args=(c, peer), daemon=True).start()


def handle(c, peer):
    with c:
        c.settimeout(5)
        line = "tproxy peer=%s orig=%s" % (fmt(peer), fmt(c.getsockname()))
        print(line, flush=True)
        try:
            c.recv(65536)
            body = (line + "\n").encode()
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                      b"Connection: close\r\n\r\n" % len(body) + body)
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=3129)
    ap.add_argument("--dual", action="store_true")
    a = ap.parse_args()
    socks = []
    if not a.dual:
        s4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s4.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s4.setsockopt(socket.SOL_IP, IP_TRANSPARENT, 1)
        s4.bind(("0.0.0.0", a.port))
        socks.append(s4)
    s6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s6.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0 if a.dual else 1)
    s6.setsockopt(socket.IPPROTO_IPV6, IPV6_TRANSPARENT, 1)
    if a.dual:
        s6.setsockopt(socket.SOL_IP, IP_TRANSPARENT, 1)
    s6.bind(("::", a.port))
    socks.append(s6)
    for s in socks:
        s.listen(128)
    for s in socks[1:]:
        threading.Thread(target=serve, args=(s,), daemon=True).start()
    serve(socks[0])


if __name__ == "__main__":
    main()
