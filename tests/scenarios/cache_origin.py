#!/usr/bin/env python3
"""HTTP/1.1 origin of the cache scenarios (stdlib only). Every response is shaped by parameters,
so that each test picks the headers it needs.

  cache_origin.py [--port 8090]                          serve on [::]:PORT (v4 and v6)
  cache_origin.py --body PATH SIZE [--version V] [--variant S]   print a body, as served

Parameters: the request's query, over the defaults set for its path with /_set.
  status=N        status code (200)
  size=N          body length (1024). The bytes derive from path, version and variant only, so a
                  repeated fetch is identical until the path's version changes.
  version=V       part of the body seed: `/_set?path=P&version=2` changes the object in place
  cc=S            Cache-Control: S
  date=N|none     Date: now + N seconds (default 0), or no Date at all
  expires=N       Expires: Date + N seconds (now + N without a Date)
  age=N           Age: N
  lm=N            Last-Modified: T0 + N seconds (T0 = when this origin started)
  etag=S          ETag: "S" (etag=W/S gives W/"S")
  vary=S          Vary: S; the body and X-Variant then depend on the request's values of those
                  fields (one distinct body per variant)
  set_cookie=S, location=S, content_location=S    those fields
  delay_ms=N      wait before sending the head (collapsed forwarding)
  chunked=1       Transfer-Encoding: chunked instead of Content-Length
  ranges=1        Accept-Ranges: bytes; a single Range gets a 206, several get the whole 200
                  (allowed), an unsatisfiable one a 416; If-Range is honoured
An empty value (`cc=`) removes a default. If-None-Match (weak comparison), else
If-Modified-Since, answer 304 when they match a 200. Every response carries X-Origin-Count (the
requests seen so far for its path and query, this one included), X-Origin-Addr (the local
address the request came in on) and, unless it is a 304, X-Body-Sha256 of the whole body. Unsafe methods (POST, PUT, DELETE, PATCH) consume the request
body and answer with status/location/content_location/cc and a short text body.

Control (Cache-Control: no-store; never counted):
  GET /_count?key=K    requests counted under K, one of: "/path", "/path?query",
                       "METHOD /path", "METHOD /path?query", "COND /path" (If-None-Match or
                       If-Modified-Since present), "RANGE /path" (Range present)
  GET /_counts         every count as a JSON object
  GET /_last?path=P    the raw head of the last request for path P
  GET /_set?path=P&NAME=VALUE...   merge defaults for path P
  GET /_reset          forget counts, heads and defaults
"""
import argparse
import email.utils
import hashlib
import http.server
import json
import socket
import sys
import threading
import time
import urllib.parse

T0 = int(time.time())
LOCK = threading.Lock()
COUNTS = {}    # key -> requests
LAST = {}      # path -> raw request head
DEFAULTS = {}  # path -> {param: value}
BLOCKS = {}    # seed -> 64 KiB block


def block(seed):
    """64 KiB of a sha256 chain seeded by `seed`: deterministic, no short period."""
    with LOCK:
        b = BLOCKS.get(seed)
    if b is None:
        h, parts = hashlib.sha256(seed.encode()).digest(), []
        for _ in range(2048):
            h = hashlib.sha256(h).digest()
            parts.append(h)
        b = b"".join(parts)
        with LOCK:
            BLOCKS[seed] = b
    return b


def make_body(path, version, variant, size):
    b = block("%s|%s|%s" % (path, version, variant))
    return (b * (size // len(b) + 1))[:size]


def httpdate(ts):
    return email.utils.formatdate(ts, usegmt=True)


def parse_httpdate(s):
    try:
        return int(email.utils.parsedate_to_datetime(s).timestamp())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def opaque(tag):
    """An entity-tag without its weakness prefix, for the weak comparison."""
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def parse_range(spec, size):
    """'bytes=a-b' | 'bytes=a-' | 'bytes=-n' -> (first, last), 'many', 'bad' or None (ignore)."""
    if not spec.startswith("bytes="):
        return None
    parts = [p.strip() for p in spec[6:].split(",") if p.strip()]
    if len(parts) != 1:
        return "many" if parts else None
    first, _, last = parts[0].partition("-")
    try:
        if first == "":
            n = int(last)
            return (max(0, size - n), size - 1) if n > 0 and size > 0 else "bad"
        a = int(first)
        b = min(int(last), size - 1) if last else size - 1
    except ValueError:
        return None
    return (a, b) if a < size and a <= b else "bad"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120

    def log_message(self, fmt, *args):
        sys.stdout.write("%s %s\n" % (self.address_string(), fmt % args))

    def do_any(self):
        url = urllib.parse.urlsplit(self.path)
        path, method = url.path, self.command
        qs = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        query = {k: v[-1] for k, v in qs.items()}
        if method not in ("GET", "HEAD"):
            self.read_body()
        if path.startswith("/_"):
            return self.control(path, query)
        target = path + ("?" + url.query if url.query else "")
        keys = [path, method + " " + path]
        if url.query:
            keys += [target, method + " " + target]
        if "If-None-Match" in self.headers or "If-Modified-Since" in self.headers:
            keys.append("COND " + path)
        if "Range" in self.headers:
            keys.append("RANGE " + path)
        with LOCK:
            for k in keys:
                COUNTS[k] = COUNTS.get(k, 0) + 1
            seen = COUNTS[target]
            LAST[path] = self.requestline + "\r\n" + str(self.headers)
            p = dict(DEFAULTS.get(path, {}))
        p.update(query)
        self.serve(method, path, p, seen)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_any

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower().endswith("chunked"):
            while True:
                n = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return
                self.rfile.read(n + 2)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def serve(self, method, path, p, seen):
        def num(name, default=0):
            try:
                return int(p.get(name) or default)
            except ValueError:
                return default
        if num("delay_ms"):
            time.sleep(num("delay_ms") / 1000)
        now = int(time.time())
        status, size = num("status", 200), num("size", 1024)
        vary = p.get("vary", "")
        variant = ""
        if vary and vary.strip() != "*":
            variant = ";".join("%s=%s" % (n.strip().lower(), self.headers.get(n.strip(), ""))
                               for n in vary.split(",") if n.strip())
        if method in ("GET", "HEAD"):
            body = make_body(path, p.get("version", "0"), variant, size)
        else:
            body = ("%s %s ok\n" % (method, path)).encode()
        ctype = "application/octet-stream" if method in ("GET", "HEAD") else "text/plain"
        h = [("Content-Type", ctype)]
        date = None if p.get("date") == "none" else now + num("date")
        if date is not None:
            h.append(("Date", httpdate(date)))
        etag = p.get("etag", "")
        if etag:
            etag = 'W/"%s"' % etag[2:] if etag.startswith("W/") else '"%s"' % etag
        lm = T0 + num("lm") if p.get("lm") else None
        expires = p.get("expires") and httpdate((date or now) + num("expires"))
        for name, value in (("Cache-Control", p.get("cc")), ("ETag", etag), ("Expires", expires),
                            ("Last-Modified", lm and httpdate(lm)), ("Age", p.get("age")),
                            ("Vary", vary), ("Set-Cookie", p.get("set_cookie")),
                            ("Location", p.get("location")),
                            ("Content-Location", p.get("content_location"))):
            if value:
                h.append((name, value))
        if variant:
            h.append(("X-Variant", variant))
        h.append(("X-Origin-Count", str(seen)))
        h.append(("X-Origin-Addr", self.connection.getsockname()[0].removeprefix("::ffff:")))
        if p.get("ranges") == "1":
            h.append(("Accept-Ranges", "bytes"))

        if method in ("GET", "HEAD") and status == 200 and self.not_modified(etag, lm):
            keep = ("Date", "Cache-Control", "ETag", "Expires", "Last-Modified", "Age", "Vary",
                    "Content-Location", "X-Origin-Count", "X-Origin-Addr")
            return self.send(304, [kv for kv in h if kv[0] in keep], b"", method, p)
        h.append(("X-Body-Sha256", hashlib.sha256(body).hexdigest()))
        rng = self.headers.get("Range")
        if rng and p.get("ranges") == "1" and method == "GET" and status == 200 \
                and self.if_range_ok(etag, lm):
            r = parse_range(rng, len(body))
            if r == "bad":
                return self.send(416, h + [("Content-Range", "bytes */%d" % len(body))], b"",
                                 method, p)
            if isinstance(r, tuple):
                h.append(("Content-Range", "bytes %d-%d/%d" % (r[0], r[1], len(body))))
                return self.send(206, h, body[r[0]:r[1] + 1], method, p)
        self.send(status, h, body, method, p)

    def not_modified(self, etag, lm):
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            return bool(etag) and (inm.strip() == "*" or
                                   opaque(etag) in [opaque(t) for t in inm.split(",")])
        ims = self.headers.get("If-Modified-Since")
        t = parse_httpdate(ims) if ims else None
        return lm is not None and t is not None and t >= lm

    def if_range_ok(self, etag, lm):
        v = self.headers.get("If-Range")
        if v is None:
            return True
        v = v.strip()
        if v.startswith('"'):  # strong comparison only
            return bool(etag) and not etag.startswith("W/") and v == etag
        return lm is not None and parse_httpdate(v) == lm

    def send(self, status, headers, body, method, p):
        self.log_request(status)
        self.send_response_only(status)
        for k, v in headers:
            self.send_header(k, v)
        chunked = p.get("chunked") == "1" and status not in (204, 304)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif status not in (204, 304):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if method == "HEAD" or status in (204, 304):
            return self.wfile.flush()
        if chunked:
            for i in range(0, len(body), 16384):
                c = body[i:i + 16384]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(c), c))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(body)
        self.wfile.flush()

    def control(self, path, q):
        with LOCK:
            if path == "/_count":
                out = "%d\n" % COUNTS.get(q.get("key", ""), 0)
            elif path == "/_counts":
                out = json.dumps(COUNTS, indent=1, sort_keys=True) + "\n"
            elif path == "/_last":
                out = LAST.get(q.get("path", ""), "")
            elif path == "/_set" and q.get("path"):
                DEFAULTS.setdefault(q.pop("path"), {}).update(q)
                out = "ok\n"
            elif path == "/_reset":
                COUNTS.clear(), LAST.clear(), DEFAULTS.clear()
                out = "ok\n"
            else:
                out = None
        h = [("Cache-Control", "no-store"), ("Content-Type", "text/plain")]
        if out is None:
            return self.send(404, h, b"unknown control path\n", self.command, {})
        self.send(200, h, out.encode(), self.command, {})


class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True
    request_queue_size = 256

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=8090)
    ap.add_argument("--body", metavar="PATH", help="print the body served for PATH and exit")
    ap.add_argument("--version", default="0")
    ap.add_argument("--variant", default="")
    ap.add_argument("size", type=int, nargs="?", default=1024)
    a = ap.parse_args()
    if a.body:
        sys.stdout.buffer.write(make_body(a.body, a.version, a.variant, a.size))
        return
    srv = Server(("::", a.port), Handler)
    print("cache_origin.py: http :%d" % a.port, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
