#!/usr/bin/env python3
"""An HTTP origin that does the awkward-but-legal and the wrong things on purpose, so scenarios can
check the proxy's framing. Usage: misbehaving_origin.py PORT (v4 and v6).
  /fin-with-data  HTTP/1.0 response without length; data and FIN leave in one segment (TCP_CORK)
  /early-hints    103 Early Hints and the final 200 in one write
  /extra-bytes    Content-Length: 2 but a whole second response follows in the same write
  /ok             a plain 200 "ok"
"""
import socket
import sys
import threading


def read_head(conn):
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = conn.recv(65536)
        if not data:
            return None
        buf += data
    return buf.split(b"\r\n\r\n", 1)[0].decode("latin-1")


def serve(conn):
    try:
        while True:
            head = read_head(conn)
            if head is None:
                return
            path = head.split(" ")[1]
            if path == "/fin-with-data":
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello world\n")
                conn.shutdown(socket.SHUT_WR)  # the FIN rides on the corked data
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)
                return
            if path == "/early-hints":
                conn.sendall(b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                             b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            elif path == "/extra-bytes":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                             b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\ninjected")
            elif path == "/ok":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            else:
                conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    except OSError:
        pass
    finally:
        conn.close()


def main():
    srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    srv.bind(("::", int(sys.argv[1])))
    srv.listen(128)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
