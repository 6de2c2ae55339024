#!/usr/bin/env python3
"""dnsq.py SERVER NAME [TYPE]: one DNS query over UDP (stdlib only); prints
"rcode=N answers=A1,A2" (A/AAAA data as text, other types as type numbers), or "timeout"."""
import ipaddress
import random
import socket
import struct
import sys

TYPES = {"A": 1, "AAAA": 28, "HTTPS": 65, "TXT": 16}


def query(server, name, qtype):
    qid = random.randrange(65536)
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", qtype, 1)
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.sendto(q, (server, 53))
    try:
        data, _ = s.recvfrom(4096)
    except socket.timeout:
        return "timeout"
    rid, flags, qd, an, _, _ = struct.unpack(">HHHHHH", data[:12])
    if rid != qid:
        return "wrong-id"
    pos = 12

    def skip_name(p):
        while True:
            n = data[p]
            if n == 0:
                return p + 1
            if n & 0xC0 == 0xC0:
                return p + 2
            p += 1 + n

    for _ in range(qd):
        pos = skip_name(pos) + 4
    answers = []
    for _ in range(an):
        pos = skip_name(pos)
        rtype, _, _, rdlen = struct.unpack(">HHIH", data[pos:pos + 10])
        rdata = data[pos + 10:pos + 10 + rdlen]
        pos += 10 + rdlen
        if rtype == 1:
            answers.append(str(ipaddress.IPv4Address(rdata)))
        elif rtype == 28:
            answers.append(str(ipaddress.IPv6Address(rdata)))
        else:
            answers.append("type%d" % rtype)
    return "rcode=%d answers=%s" % (flags & 0xF, ",".join(answers))


if __name__ == "__main__":
    print(query(sys.argv[1], sys.argv[2], TYPES.get(sys.argv[3] if len(sys.argv) > 3 else "A", 1)))
