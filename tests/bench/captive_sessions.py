#!/usr/bin/env python3
"""Captive-portal bench helpers (tests/bench/run, captive section).

  fill DB N              add N logged-in sessions (random locally administered MACs, one IPv4
                         and one IPv6 address each) to a session database tollgated created
  logins PORTAL URL N TGCTL SOCK MAC
                         N times: GET the login form, POST a click-through login (timed: the
                         portal answers 303 only after the session is in SQLite, in the nft sets
                         and posted to the workers), then GET URL through the gateway (timed:
                         the first proxied request after login), then kick the session; prints
                         one "login_ms access_ms" line per round
"""
import http.client
import random
import re
import sqlite3
import subprocess
import sys
import time
import urllib.parse


def fill(db, n):
    rnd = random.Random(42)
    now = int(time.time())
    con = sqlite3.connect(db)
    rows, addrs = [], []
    for i in range(n):
        mac = "0a:%02x:%02x:%02x:%02x:%02x" % tuple(rnd.randrange(256) for _ in range(5))
        rows.append((mac, "clickthrough", "", now, now + 86400, 0, now, 0, 0, 0))
        addrs.append(("10.%d.%d.%d" % (100 + i // 65536, (i // 256) % 256, i % 256), mac, now))
        addrs.append(("fd99::%x:%x" % (i // 65536, i % 65536), mac, now))
    con.executemany("INSERT OR REPLACE INTO sessions VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
    con.executemany("INSERT OR REPLACE INTO session_addresses VALUES (?,?,?)", addrs)
    con.commit()
    print(con.execute("SELECT COUNT(*) FROM sessions").fetchone()[0], "sessions,",
          con.execute("SELECT COUNT(*) FROM session_addresses").fetchone()[0], "addresses")


def logins(portal, url, n, tgctl, sock, mac):
    p = urllib.parse.urlsplit(portal)
    target = urllib.parse.urlsplit(url)
    for _ in range(n):
        c = http.client.HTTPConnection(p.hostname, p.port or 80, timeout=10)
        c.request("GET", "/?url=" + urllib.parse.quote(url, safe=""))
        page = c.getresponse().read().decode()
        m = re.search(r'name="csrf" value="([^"]*)"', page)
        if not m:
            sys.exit("no csrf token in the login page")
        body = urllib.parse.urlencode({"method": "clickthrough", "csrf": m.group(1), "url": url, "accept": "on"})
        t0 = time.perf_counter()
        c.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded"})
        r = c.getresponse()
        r.read()
        t1 = time.perf_counter()
        if r.status != 303:
            sys.exit("login answered %d" % r.status)
        c.close()
        g = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=10)
        g.request("GET", target.path or "/")
        gr = g.getresponse()
        gr.read()
        t2 = time.perf_counter()
        g.close()
        if gr.status != 200:
            sys.exit("first request after login answered %d" % gr.status)
        print("%.3f %.3f" % ((t1 - t0) * 1000, (t2 - t1) * 1000), flush=True)
        subprocess.run([tgctl, "-s", sock, "sessions", "kick", mac], check=True, stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    if sys.argv[1] == "fill":
        fill(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "logins":
        logins(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6], sys.argv[7])
    else:
        sys.exit(__doc__)
