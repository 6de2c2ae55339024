#!/usr/bin/env python3
"""The package-mirror workload of tests/bench/run's cache section.  Standard library only.

  mirror.py gen SRC DOCROOT URL_PREFIX TOTAL_BYTES SEED MANIFEST
      Write objects into DOCROOT until the next one would pass TOTAL_BYTES: sizes log-uniform
      between 50 KB and 50 MB, each a slice of SRC (the lab's /100m keystream) at its own
      offset, so every object has its own bytes.  mtime 30 days back: Last-Modified is that old,
      so a cache gives them a heuristic freshness lifetime (10% of 30 days, capped by
      heuristic_max) as a mirror's pool files usually get.  Also a request sequence, 5 requests
      per object: every 5th request is the next object not asked for yet, the other 80% repeat an
      object asked for before (uniform over those).  Everything from SEED: the same seed and
      total give the same files and sequence.  MANIFEST (JSON): objects (url, size, crc32), the
      sequence, and the byte hit ratio an unbounded cache would reach on it (repeated bytes /
      all bytes).  Prints one summary line.

  mirror.py fetch MANIFEST HOST CLIENTS LOG_TSV
      Fetch the sequence over HTTP/1.1 keep-alive from HOST:80 (Host: HOST) with CLIENTS
      threads, each taking the next request of the sequence when it is free (the order is the
      sequence's; up to CLIENTS requests overlap).  Checks each response: status 200, the
      length and the CRC32 of the object.  One line per request in LOG_TSV; on stdout one JSON
      object: requests, errors (connection or protocol), bad_status, bad_body (length or CRC
      differs), body_bytes, seconds (wall), with_age / age_bytes (responses carrying an Age
      field, which nginx never sends: answered by a cache), first_errors.
"""
import http.client
import itertools
import json
import math
import os
import random
import sys
import threading
import time
import zlib

MIN_SIZE = 50 * 1024
MAX_SIZE = 50 * 1024 * 1024
REQUESTS_PER_OBJECT = 5
AGE_DAYS = 30


def gen(src, docroot, prefix, total, seed, manifest):
    rng = random.Random(seed)
    src_size = os.path.getsize(src)
    os.makedirs(docroot, exist_ok=True)
    mtime = time.time() - AGE_DAYS * 86400
    objects, used = [], 0
    with open(src, "rb") as f:
        while True:
            size = int(math.exp(rng.uniform(math.log(MIN_SIZE), math.log(MAX_SIZE))))
            if used + size > total:
                break
            offset = rng.randrange(0, src_size - size)
            name = f"o{len(objects):04d}-{size}.deb"
            f.seek(offset)
            data = f.read(size)
            path = os.path.join(docroot, name)
            with open(path, "wb") as out:
                out.write(data)
            os.utime(path, (mtime, mtime))
            objects.append({"url": f"{prefix}/{name}", "size": size, "crc32": zlib.crc32(data)})
            used += size
    if not objects:
        sys.exit(f"mirror.py gen: TOTAL_BYTES {total} is below one object")
    sequence, seen = [], []
    for i in range(REQUESTS_PER_OBJECT * len(objects)):
        if i % REQUESTS_PER_OBJECT == 0:
            seen.append(len(seen))
            sequence.append(seen[-1])
        else:
            sequence.append(rng.choice(seen))
    all_bytes = sum(objects[i]["size"] for i in sequence)
    json.dump({"seed": seed, "objects": objects, "sequence": sequence, "object_bytes": used,
               "sequence_bytes": all_bytes, "ideal_byte_hit_ratio": 1 - used / all_bytes}, open(manifest, "w"))
    print(f"{len(objects)} objects, {used} bytes ({used / 1048576:.0f} MiB; {min(o['size'] for o in objects)}"
          f"..{max(o['size'] for o in objects)} bytes); sequence {len(sequence)} requests, {all_bytes} bytes "
          f"({all_bytes / 1048576:.0f} MiB), 80% repeats; byte hit ratio of an unbounded cache "
          f"{1 - used / all_bytes:.4f}")


def fetch(manifest, host, clients, log_path):
    m = json.load(open(manifest))
    objects, sequence = m["objects"], m["sequence"]
    counter = itertools.count()
    lock = threading.Lock()
    stats = {"requests": 0, "errors": 0, "bad_status": 0, "bad_body": 0, "body_bytes": 0,
             "with_age": 0, "age_bytes": 0}
    first_errors, rows = [], []

    def note(what):
        with lock:
            if len(first_errors) < 5:
                first_errors.append(what)

    def worker():
        buf = bytearray(1 << 20)
        view = memoryview(buf)
        conn = None
        while (i := next(counter)) < len(sequence):
            o = objects[sequence[i]]
            t0 = time.monotonic()
            got = crc = 0
            status, age = 0, ""
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host, 80, timeout=60)
                conn.request("GET", o["url"], headers={"User-Agent": "tollgate-bench-mirror"})
                resp = conn.getresponse()
                status, age = resp.status, resp.getheader("Age") or ""
                while (n := resp.readinto(view)) > 0:
                    crc = zlib.crc32(view[:n], crc)
                    got += n
                if resp.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as e:
                note(f"request {i} {o['url']}: {e!r}")
                if conn is not None:
                    conn.close()
                conn = None
                status = -1
            dt = time.monotonic() - t0
            with lock:
                stats["requests"] += 1
                stats["body_bytes"] += got
                if status == -1:
                    stats["errors"] += 1
                elif status != 200:
                    stats["bad_status"] += 1
                    note(f"request {i} {o['url']}: status {status}")
                elif got != o["size"] or crc != o["crc32"]:
                    stats["bad_body"] += 1
                    note(f"request {i} {o['url']}: {got} of {o['size']} bytes, crc32 {crc:08x} "
                         f"expected {o['crc32']:08x}")
                if age:
                    stats["with_age"] += 1
                    stats["age_bytes"] += got
                rows.append(f"{i}\t{o['url']}\t{status}\t{got}\t{int(got == o['size'] and crc == o['crc32'])}"
                            f"\t{age}\t{dt:.4f}")
        if conn is not None:
            conn.close()

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats["seconds"] = round(time.monotonic() - t0, 3)
    stats["first_errors"] = first_errors
    with open(log_path, "w") as f:
        f.write("index\turl\tstatus\tbytes\tbody_ok\tage\tseconds\n")
        f.write("\n".join(sorted(rows, key=lambda r: int(r.split("\t", 1)[0]))) + "\n")
    print(json.dumps(stats))


def main():
    if len(sys.argv) == 8 and sys.argv[1] == "gen":
        gen(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), sys.argv[7])
    elif len(sys.argv) == 6 and sys.argv[1] == "fetch":
        fetch(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
