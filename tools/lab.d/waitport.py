#!/usr/bin/env python3
"""waitport.py [--pid PID] ADDR TIMEOUT PORT... -- run inside a lab namespace by tools/lab.

Polls (every 20 ms) until every PORT is ready, at most TIMEOUT seconds in all;
with --pid, gives up as soon as process PID has exited (a server that died
will never listen).
  * ADDR local to this namespace (or "any", "*", 0.0.0.0, ::): ready when a
    socket LISTENs on PORT at ADDR or at a wildcard address, read from
    /proc/net/tcp{,6}.  No connection is made, so a transparent-proxy listener
    never sees a bogus connection to itself.
  * ADDR remote: ready when a TCP connect to ADDR:PORT succeeds (then closed).
Exit 0 when ready, 1 on timeout (with a message), 2 on bad arguments.
"""
import ipaddress
import socket
import sys
import time


def listening(addr, port):
    """True if a LISTEN socket covers addr:port (addr None = any)."""
    for fn, fam in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 6)):
        try:
            with open(fn) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] != "0A":  # TCP_LISTEN
                        continue
                    hexaddr, hexport = fields[1].split(":")
                    if int(hexport, 16) != port:
                        continue
                    if addr is None:
                        return True
                    raw = bytes.fromhex(hexaddr)
                    # /proc prints each 32-bit word in host (little-endian) order
                    raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
                    la = ipaddress.ip_address(raw)
                    if la.is_unspecified:
                        # a [::] listener also takes v4 unless IPV6_V6ONLY (not visible here)
                        if fam == 4 and addr.version == 6:
                            continue
                        return True
                    if la == addr:
                        return True
                    if fam == 6 and la.ipv4_mapped == addr:
                        return True
        except FileNotFoundError:
            continue
    return False


def is_local(addr):
    fam = socket.AF_INET if addr.version == 4 else socket.AF_INET6
    s = socket.socket(fam, socket.SOCK_DGRAM)
    try:
        s.bind((str(addr), 0))
        return True
    except OSError:
        return False
    finally:
        s.close()


def try_connect(addr, port, timeout):
    fam = socket.AF_INET if addr.version == 4 else socket.AF_INET6
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((str(addr), port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def pid_gone(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def main():
    args = sys.argv[1:]
    pid = None
    if args[:1] == ["--pid"]:
        if len(args) < 2:
            print(__doc__, file=sys.stderr)
            return 2
        pid = int(args[1])
        args = args[2:]
    if len(args) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    a, t, ports = args[0], args[1], args[2:]
    try:
        ports = [int(p) for p in ports]
        timeout = float(t)
        addr = None if a in ("any", "*") else ipaddress.ip_address(a.strip("[]"))
    except ValueError as e:
        print("wait-port: %s" % e, file=sys.stderr)
        return 2
    if addr is not None and addr.is_unspecified:
        addr = None
    local = addr is None or is_local(addr)
    deadline = time.monotonic() + timeout
    while ports:
        if (listening(addr, ports[0]) if local
                else try_connect(addr, ports[0], max(0.05, min(0.5, deadline - time.monotonic())))):
            ports.pop(0)
            continue
        if pid is not None and pid_gone(pid):
            print("wait-port: process %d exited before %s port %d was ready" % (pid, a, ports[0]),
                  file=sys.stderr)
            return 1
        if time.monotonic() >= deadline:
            print("wait-port: nothing %s %s port %d after %.1fs"
                  % ("listening on" if local else "accepting at", a, ports[0], timeout),
                  file=sys.stderr)
            return 1
        time.sleep(0.02)
    return 0


if __name__ == "__main__":
    sys.exit(main())
