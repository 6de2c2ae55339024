#!/usr/bin/env python3
"""Open N idle HTTP/1.1 keep-alive connections and hold them (tests/bench/run, memory test).

usage: idle_clients.py HOST PORT PATH N [CONCURRENCY]

Every connection sends one `GET PATH` (keep-alive), reads the whole response
(Content-Length), then stays open and silent.  When all N have been tried it
prints (after a first line `PID <pid>` at start) one line

    READY ok=<n> failed=<n> non200=<n> seconds=<s>

(followed by up to 5 `ERROR ...` lines) and holds the connections until it
gets SIGTERM or SIGINT, then closes them and exits.
Needs `ulimit -n` above N.  Standard library only.
"""
import asyncio
import os
import signal
import sys
import time


async def one(host, port, path, sem, conns, errors, stats):
    async with sem:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 10)
        except Exception as e:  # noqa: BLE001 - any failure is counted
            stats["failed"] += 1
            errors.append(f"connect: {e!r}")
            return
        try:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: tollgate-bench-idle\r\n\r\n".encode())
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            status = head.split(b" ", 2)[1]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            await asyncio.wait_for(reader.readexactly(length), 10)
            if status != b"200":
                stats["non200"] += 1
            stats["ok"] += 1
            conns.append(writer)
        except Exception as e:  # noqa: BLE001
            stats["failed"] += 1
            errors.append(f"request: {e!r}")
            writer.close()


async def main():
    host, port, path, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    concurrency = int(sys.argv[5]) if len(sys.argv) > 5 else 200
    print(f"PID {os.getpid()}", flush=True)
    sem = asyncio.Semaphore(concurrency)
    conns, errors = [], []
    stats = {"ok": 0, "failed": 0, "non200": 0}
    t0 = time.monotonic()
    await asyncio.gather(*(one(host, port, path, sem, conns, errors, stats) for _ in range(n)))
    print(f"READY ok={stats['ok']} failed={stats['failed']} non200={stats['non200']} "
          f"seconds={time.monotonic() - t0:.2f}", flush=True)
    for e in errors[:5]:
        print("ERROR", e, flush=True)

    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, done.set)
    await done.wait()
    for w in conns:
        w.close()
    print(f"CLOSED {len(conns)}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
