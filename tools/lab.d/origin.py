#!/usr/bin/env python3
"""Tollgate lab origin helper (stdlib only).

Started by `tools/lab up` inside the P-origin namespace.  Every service binds a
dual-stack socket on [::] (IPV6_V6ONLY=0), so it answers on every v4 and v6
address of the namespace.

  port 7     TCP echo: every byte received is sent back.
  port 25    server-first: sends "220 origin.test ESMTP lab\\r\\n" on connect,
             then echoes each line it receives (a line "QUIT" gets
             "221 bye\\r\\n" and the connection is closed).
  port 8081  HTTP/1.1 (keep-alive unless the client asks for close):
     GET  /                small text page
     GET  /headers         echoes the raw request head (request line +
                           headers, exactly as received) as text/plain
     POST /upload          (also PUT) body by Content-Length or chunked;
                           honours "Expect: 100-continue" (sends
                           "HTTP/1.1 100 Continue" before reading the body);
                           replies 200, body "sha256=HEX\\nbytes=N\\n", plus
                           headers X-Body-Sha256 / X-Body-Bytes
     GET  /chunked?n=N     N bytes (default 1000) in chunked transfer coding;
                           header X-Body-Sha256 carries the digest of the body
     GET  /close?n=N       HTTP/1.0-style body: no Content-Length, no chunking,
                           body (N bytes, default 1000) ends when the server
                           closes; X-Body-Sha256 carries its digest
     GET  /ws              RFC 6455 WebSocket; echoes text and binary messages,
                           answers pings, echoes close
     GET  /status/CODE     empty response with that status code
  Body bytes for /chunked and /close come from pattern(n): the repeating
  sequence bytes(range(256)) cut to n bytes (easy to recompute in a test).

Usage: origin.py [--echo-port 7] [--smtp-port 25] [--http-port 8081]
"""
import argparse
import base64
import hashlib
import socket
import socketserver
import sys
import threading
import urllib.parse

BANNER = b"220 origin.test ESMTP lab\r\n"
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC11B85"
MAX_HEAD = 64 * 1024
_BLOCK = bytes(range(256)) * 256  # 64 KiB


def pattern_chunks(n, size=65536):
    """Yield the first n bytes of the repeating 0..255 pattern."""
    while n > 0:
        k = min(n, size)
        yield _BLOCK[:k]
        n -= k


def pattern_sha256(n):
    h = hashlib.sha256()
    for c in pattern_chunks(n):
        h.update(c)
    return h.hexdigest()


class DualStackServer(socketserver.ThreadingTCPServer):
    address_family = socket.AF_INET6
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 1024

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()

    def handle_error(self, request, client_address):
        # Peers (and proxies under test) reset connections all the time; a
        # traceback per reset only hides real problems in the log.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


class EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        while True:
            data = s.recv(65536)
            if not data:
                break
            s.sendall(data)
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass


class SmtpLikeHandler(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(BANNER)
        self.wfile.flush()
        for line in self.rfile:
            if line.rstrip(b"\r\n").upper() == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                self.wfile.flush()
                return
            self.wfile.write(line)
            self.wfile.flush()


class BadRequest(Exception):
    pass


class HttpHandler(socketserver.StreamRequestHandler):
    rbufsize = 65536

    # ---- low-level I/O -------------------------------------------------
    def read_head(self):
        """Return the raw request head (bytes incl. final CRLFCRLF) or None at EOF."""
        lines = []
        total = 0
        while True:
            line = self.rfile.readline(MAX_HEAD + 1)
            if not line:
                if lines:
                    raise BadRequest("EOF inside request head")
                return None
            if not lines and line in (b"\r\n", b"\n"):
                continue  # tolerate stray CRLF between requests (RFC 9112 2.2)
            total += len(line)
            if total > MAX_HEAD:
                raise BadRequest("request head too large")
            lines.append(line)
            if line in (b"\r\n", b"\n"):
                return b"".join(lines)

    def send(self, status, reason, headers=(), body=b"", close=False):
        out = ["HTTP/1.1 %d %s\r\n" % (status, reason)]
        names = set()
        for k, v in headers:
            out.append("%s: %s\r\n" % (k, v))
            names.add(k.lower())
        if "content-length" not in names and "transfer-encoding" not in names:
            out.append("Content-Length: %d\r\n" % len(body))
        out.append("Server: tollgate-lab-origin\r\n")
        if close:
            out.append("Connection: close\r\n")
        out.append("\r\n")
        self.wfile.write("".join(out).encode("latin-1") + body)
        self.wfile.flush()

    def read_body(self, headers, sink):
        te = headers.get("transfer-encoding", "").lower()
        if te:
            if [t.strip() for t in te.split(",")][-1] != "chunked":
                raise BadRequest("unsupported transfer-encoding")
            while True:
                line = self.rfile.readline(4096)
                if not line:
                    raise BadRequest("EOF in chunk size")
                size_s = line.split(b";", 1)[0].strip()
                try:
                    size = int(size_s, 16)
                except ValueError:
                    raise BadRequest("bad chunk size %r" % size_s)
                if size == 0:
                    while True:  # trailers
                        t = self.rfile.readline(MAX_HEAD)
                        if not t:
                            raise BadRequest("EOF in trailers")
                        if t in (b"\r\n", b"\n"):
                            return
                self._read_exact(size, sink)
                if self.rfile.readline(4) not in (b"\r\n", b"\n"):
                    raise BadRequest("missing CRLF after chunk")
        cl = headers.get("content-length")
        if cl is not None:
            try:
                n = int(cl)
            except ValueError:
                raise BadRequest("bad content-length")
            self._read_exact(n, sink)

    def _read_exact(self, n, sink):
        while n > 0:
            data = self.rfile.read(min(n, 65536))
            if not data:
                raise BadRequest("EOF in body")
            sink(data)
            n -= len(data)

    # ---- request loop --------------------------------------------------
    def handle(self):
        try:
            while True:
                head = self.read_head()
                if head is None:
                    return
                if not self.one_request(head):
                    return
        except BadRequest as e:
            try:
                self.send(400, "Bad Request", [("Content-Type", "text/plain")],
                          ("bad request: %s\n" % e).encode(), close=True)
            except OSError:
                pass

    def one_request(self, head):
        """Serve one request; return True to keep the connection open."""
        text = head.decode("latin-1")
        lines = text.split("\n")
        parts = lines[0].strip().split(" ")
        if len(parts) != 3:
            raise BadRequest("bad request line")
        method, target, version = parts
        headers = {}
        for ln in lines[1:]:
            ln = ln.rstrip("\r")
            if not ln:
                continue
            if ":" not in ln:
                raise BadRequest("bad header line")
            k, v = ln.split(":", 1)
            k = k.strip().lower()
            v = v.strip()
            headers[k] = headers[k] + ", " + v if k in headers else v
        conn_tokens = [t.strip().lower() for t in headers.get("connection", "").split(",")]
        if version == "HTTP/1.0":
            keep = "keep-alive" in conn_tokens
        else:
            keep = "close" not in conn_tokens
        url = urllib.parse.urlsplit(target)
        path = url.path
        query = urllib.parse.parse_qs(url.query)

        def qint(name, default):
            try:
                return int(query.get(name, [default])[0])
            except ValueError:
                raise BadRequest("bad %s" % name)

        close = not keep
        ka = [] if close or version != "HTTP/1.0" else [("Connection", "keep-alive")]

        if path == "/upload" and method in ("POST", "PUT"):
            if headers.get("expect", "").lower() == "100-continue":
                self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                self.wfile.flush()
            h = hashlib.sha256()
            count = [0]

            def sink(d):
                h.update(d)
                count[0] += len(d)
            self.read_body(headers, sink)
            hexd = h.hexdigest()
            body = ("sha256=%s\nbytes=%d\n" % (hexd, count[0])).encode()
            self.send(200, "OK", [("Content-Type", "text/plain"), ("X-Body-Sha256", hexd),
                                  ("X-Body-Bytes", str(count[0]))] + ka, body, close)
            return keep

        # Every other endpoint ignores (but consumes) a request body.
        self.read_body(headers, lambda d: None)

        if path == "/headers":
            self.send(200, "OK", [("Content-Type", "text/plain")] + ka, head, close)
            return keep
        if path == "/chunked" and method in ("GET", "HEAD"):
            n = qint("n", 1000)
            hdr = ["HTTP/1.1 200 OK", "Content-Type: application/octet-stream",
                   "Transfer-Encoding: chunked", "X-Body-Sha256: " + pattern_sha256(n),
                   "X-Body-Bytes: %d" % n, "Server: tollgate-lab-origin"]
            if close:
                hdr.append("Connection: close")
            self.wfile.write(("\r\n".join(hdr) + "\r\n\r\n").encode())
            if method == "GET":
                for c in pattern_chunks(n, 16384):
                    self.wfile.write(b"%x\r\n" % len(c) + c + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            return keep
        if path == "/close" and method in ("GET", "HEAD"):
            n = qint("n", 1000)
            hdr = ["HTTP/1.1 200 OK", "Content-Type: application/octet-stream",
                   "X-Body-Sha256: " + pattern_sha256(n), "X-Body-Bytes: %d" % n,
                   "Server: tollgate-lab-origin", "Connection: close"]
            self.wfile.write(("\r\n".join(hdr) + "\r\n\r\n").encode())
            if method == "GET":
                for c in pattern_chunks(n):
                    self.wfile.write(c)
            self.wfile.flush()
            return False
        if path == "/ws" and method == "GET":
            return self.websocket(headers)
        if path.startswith("/status/"):
            try:
                code = int(path[len("/status/"):])
            except ValueError:
                raise BadRequest("bad status")
            self.send(code, "Status", ka, b"", close)
            return keep
        if path == "/":
            body = b"tollgate lab origin helper (port 8081)\n"
            self.send(200, "OK", [("Content-Type", "text/plain")] + ka,
                      body if method != "HEAD" else b"", close)
            return keep
        self.send(404, "Not Found", [("Content-Type", "text/plain")] + ka, b"not found\n", close)
        return keep

    # ---- WebSocket -----------------------------------------------------
    def websocket(self, headers):
        key = headers.get("sec-websocket-key")
        if ("websocket" not in headers.get("upgrade", "").lower() or not key
                or "upgrade" not in headers.get("connection", "").lower()):
            self.send(400, "Bad Request", [("Content-Type", "text/plain")],
                      b"websocket upgrade required\n", close=True)
            return False
        accept = base64.b64encode(hashlib.sha1(key.encode() + WS_GUID).digest()).decode()
        self.wfile.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n" % accept).encode())
        self.wfile.flush()
        msg_op, msg = None, []
        while True:
            fr = self.ws_read_frame()
            if fr is None:
                return False
            fin, op, payload = fr
            if op == 0x8:  # close: echo status code, then close
                self.ws_send(0x8, payload[:2])
                return False
            if op == 0x9:  # ping
                self.ws_send(0xA, payload)
                continue
            if op == 0xA:
                continue
            if op in (0x1, 0x2):
                msg_op, msg = op, [payload]
            elif op == 0x0 and msg_op is not None:
                msg.append(payload)
            else:
                self.ws_send(0x8, b"\x03\xea")  # 1002 protocol error
                return False
            if fin:
                self.ws_send(msg_op, b"".join(msg))
                msg_op, msg = None, []

    def ws_read_exact(self, n):
        data = self.rfile.read(n)
        return data if len(data) == n else None

    def ws_read_frame(self):
        h = self.ws_read_exact(2)
        if h is None:
            return None
        fin = bool(h[0] & 0x80)
        op = h[0] & 0x0F
        masked = bool(h[1] & 0x80)
        ln = h[1] & 0x7F
        if ln == 126:
            b = self.ws_read_exact(2)
            if b is None:
                return None
            ln = int.from_bytes(b, "big")
        elif ln == 127:
            b = self.ws_read_exact(8)
            if b is None:
                return None
            ln = int.from_bytes(b, "big")
        mask = self.ws_read_exact(4) if masked else None
        if masked and mask is None:
            return None
        payload = self.ws_read_exact(ln) if ln else b""
        if payload is None:
            return None
        if mask:
            m = (mask * (ln // 4 + 1))[:ln]
            payload = (int.from_bytes(payload, "big") ^ int.from_bytes(m, "big")).to_bytes(ln, "big")
        return fin, op, payload

    def ws_send(self, op, payload):
        n = len(payload)
        if n < 126:
            hdr = bytes([0x80 | op, n])
        elif n < 65536:
            hdr = bytes([0x80 | op, 126]) + n.to_bytes(2, "big")
        else:
            hdr = bytes([0x80 | op, 127]) + n.to_bytes(8, "big")
        self.wfile.write(hdr + payload)
        self.wfile.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--echo-port", type=int, default=7)
    ap.add_argument("--smtp-port", type=int, default=25)
    ap.add_argument("--http-port", type=int, default=8081)
    a = ap.parse_args()
    servers = [DualStackServer(("::", a.echo_port), EchoHandler),
               DualStackServer(("::", a.smtp_port), SmtpLikeHandler),
               DualStackServer(("::", a.http_port), HttpHandler)]
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print("origin.py: echo :%d, server-first :%d, http :%d" % (a.echo_port, a.smtp_port, a.http_port),
          flush=True)
    try:
        servers[0].serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
