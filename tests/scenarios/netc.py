#!/usr/bin/env python3
"""netc.py -- a scripted TCP client for the scenario tests (stdlib only).

    netc.py [--timeout S] [--out FILE] [--meta FILE] HOST PORT STEP...

Connects to HOST:PORT (v4 or v6 literal), runs the STEPs in order, and writes
every byte received to --out (default: standard output) and a few facts about
the connection to --meta as shell assignments:

    end=eof|reset|timeout|open   how the receive side ended (open: no read step ran to the end;
                                 reset/refused also when connect() itself got the RST)
    t_connect=S                  seconds to establish the connection
    t_first=S                    seconds from connect to the first byte received (-1: none)
    t_end=S                      seconds from connect to the end (eof/reset/timeout)
    received=N                   bytes received
    send_error=ERRNO-NAME        a send failed (e.g. ECONNRESET), else empty

STEPs:
    send:TEXT        send TEXT in one write; Python escapes allowed (\\r \\n \\x00)
    sendfile:PATH    send the file's bytes in one sendall
    hello:SNI        send a TLS ClientHello for SNI (built by the ssl module, not verified)
    pause:S          stay silent S seconds (a client behaviour under test, never synchronisation)
    shut             shutdown(SHUT_WR): send FIN
    until:TEXT       read until TEXT (escapes allowed) has been received, EOF, reset or timeout
    read             read until EOF, reset or timeout
    trickle:N:S      a slow reader: recv at most N bytes at a time, pausing S seconds between
                     reads, until EOF, reset or timeout (with --rcvbuf, keeps the window small)

--rcvbuf N sets SO_RCVBUF before connecting.
--timeout bounds each read step (default 10 s) and is multiplied by
TOLLGATE_TEST_TIMEOUT_SCALE.  Exit status: 0, or 2 on bad usage / connect failure.
"""
import argparse
import os
import socket
import ssl
import sys
import time


def unescape(text):
    return text.encode("latin-1").decode("unicode_escape").encode("latin-1")


def client_hello(sni):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname=sni)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


class Client:
    def __init__(self, sock, timeout, out):
        self.s = sock
        self.timeout = timeout
        self.out = out
        self.t0 = time.monotonic()
        self.t_first = -1.0
        self.t_end = -1.0
        self.end = "open"
        self.received = 0
        self.seen = b""  # everything received, for until:
        self.send_error = ""

    def now(self):
        return time.monotonic() - self.t0

    def send(self, data):
        try:
            self.s.sendall(data)
        except OSError as e:
            import errno
            self.send_error = errno.errorcode.get(e.errno, str(e.errno))
            if isinstance(e, (ConnectionResetError, BrokenPipeError)) and self.end == "open":
                # The kernel hands a received RST to whichever call comes first; a later recv
                # would only see EOF.
                self.end, self.t_end = "reset", self.now()

    def read(self, until=None, chunk=65536, pause=0.0):
        if self.end in ("eof", "reset"):
            return
        deadline = time.monotonic() + self.timeout
        while until is None or until not in self.seen:
            if pause and self.received:
                time.sleep(pause)
            left = deadline - time.monotonic()
            if left <= 0:
                self.end, self.t_end = "timeout", self.now()
                return
            self.s.settimeout(left)
            try:
                data = self.s.recv(chunk)
            except socket.timeout:
                continue
            except ConnectionResetError:
                self.end, self.t_end = "reset", self.now()
                return
            if not data:
                self.end, self.t_end = "eof", self.now()
                return
            if self.t_first < 0:
                self.t_first = self.now()
            self.received += len(data)
            self.seen += data
            self.out.write(data)
            self.out.flush()
        self.end = "open"


def main():
    ap = argparse.ArgumentParser(description="scripted TCP client")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--out")
    ap.add_argument("--meta")
    ap.add_argument("--rcvbuf", type=int)
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("steps", nargs="*")
    a = ap.parse_intermixed_args()
    scale = float(os.environ.get("TOLLGATE_TEST_TIMEOUT_SCALE", "1") or 1)
    timeout = a.timeout * (scale if scale > 0 else 1)

    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    if a.rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
    s.settimeout(timeout)
    t = time.monotonic()
    try:
        s.connect((a.host, a.port))
    except (ConnectionResetError, ConnectionRefusedError) as e:
        # A reset that beats connect() back to user space is still the peer's answer.
        end = "reset" if isinstance(e, ConnectionResetError) else "refused"
        meta = ("end=%s\nt_connect=%.3f\nt_first=-1\nt_end=%.3f\nreceived=0\nsend_error=\n"
                % (end, time.monotonic() - t, time.monotonic() - t))
        if a.meta:
            with open(a.meta, "w") as f:
                f.write(meta)
        else:
            sys.stderr.write(meta)
        if a.out:
            open(a.out, "wb").close()
        return 0
    except OSError as e:
        print("netc: connect %s:%d: %s" % (a.host, a.port, e), file=sys.stderr)
        return 2
    t_connect = time.monotonic() - t
    out = open(a.out, "wb") if a.out else sys.stdout.buffer
    c = Client(s, timeout, out)
    for step in a.steps:
        verb, _, arg = step.partition(":")
        if verb == "send":
            c.send(unescape(arg))
        elif verb == "sendfile":
            with open(arg, "rb") as f:
                c.send(f.read())
        elif verb == "hello":
            c.send(client_hello(arg))
        elif verb == "pause":
            time.sleep(float(arg))
        elif verb == "shut":
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        elif verb == "until":
            c.read(unescape(arg))
        elif verb == "read":
            c.read()
        elif verb == "trickle":
            n, _, pause = arg.partition(":")
            c.read(chunk=int(n), pause=float(pause or 0))
        else:
            print("netc: unknown step %r" % step, file=sys.stderr)
            return 2
    out.flush()
    meta = ("end=%s\nt_connect=%.3f\nt_first=%.3f\nt_end=%.3f\nreceived=%d\nsend_error=%s\n"
            % (c.end, t_connect, c.t_first, c.t_end, c.received, c.send_error))
    if a.meta:
        with open(a.meta, "w") as f:
            f.write(meta)
    else:
        sys.stderr.write(meta)
    s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
