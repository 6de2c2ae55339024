#!/usr/bin/env python3
"""Helpers for tests/bench/run: parse wrk output, print the result tables.

  report.py wrk FILE
      one tab-separated line: req_s MiB_s p50_ms p99_ms requests socket_errors non2xx
  report.py summary RESULTS_TSV PEERS(0|1)
      the comparison tables (medians over the rounds)
  report.py cache RESULTS_TSV MIRROR_TSV STORE_TSV SECONDS
      the cache section's table: hits vs direct, misses vs the cache disabled (the cache-on and
      cache-off rows of RESULTS_TSV), the store's write rate, and the package-mirror workload

MIRROR_TSV rows: config(direct|cache) requests seconds body_bytes origin_payload_bytes
with_age age_bytes errors peak_rss_kB origin_ip_bytes, and one row: stats byte_hit_ratio
request_hit_ratio hit_bytes miss_bytes collapsed ideal_byte_hit_ratio write_failures
STORE_TSV rows (one per round of the miss test): store round misses queued_peak queued_after
objects_written seconds (from the start of the run until nothing was queued, or the wait ended)

RESULTS_TSV rows: config test round req_s MiB_s p50_ms p99_ms requests socket_errors non2xx cpu_pct cpu_us_per_req
"""
import re
import statistics
import sys

UNITS_T = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}
UNITS_B = {"B": 1 / 1048576, "KB": 1 / 1024, "MB": 1.0, "GB": 1024.0, "TB": 1048576.0}


def ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    return float(m.group(1)) * UNITS_T[m.group(2)] if m else float("nan")


def parse_wrk(path):
    out = open(path, encoding="utf-8", errors="replace").read()
    rps = mibs = p50 = p99 = float("nan")
    requests = sockerr = non2xx = 0
    if m := re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M):
        rps = float(m.group(1))
    if m := re.search(r"^Transfer/sec:\s+([\d.]+)(B|KB|MB|GB|TB)", out, re.M):
        mibs = float(m.group(1)) * UNITS_B[m.group(2)]
    if m := re.search(r"^\s+50%\s+(\S+)", out, re.M):
        p50 = ms(m.group(1))
    if m := re.search(r"^\s+99%\s+(\S+)", out, re.M):
        p99 = ms(m.group(1))
    if m := re.search(r"^\s+(\d+) requests in", out, re.M):
        requests = int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        sockerr = sum(int(x) for x in m.groups())
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        non2xx = int(m.group(1))
    print(f"{rps:.2f}\t{mibs:.2f}\t{p50:.3f}\t{p99:.3f}\t{requests}\t{sockerr}\t{non2xx}")


# test name -> (label, [(metric column, metric label, kind)])
# kind: "ratio" (higher is better, show x direct), "added" (latency: show + ms vs direct)
TESTS = [
    ("1k", "1 KB keep-alive, 50 conns", [("req_s", "req/s", "ratio"), ("p50_ms", "p50 ms", "added"),
                                          ("p99_ms", "p99 ms", "added")]),
    ("1m", "1 MB keep-alive, 10 conns", [("MiB_s", "MiB/s", "ratio"), ("p50_ms", "p50 ms", "added"),
                                          ("p99_ms", "p99 ms", "added")]),
    ("tls1m", "HTTPS passthrough 1 MB, 10 conns", [("MiB_s", "MiB/s", "ratio"), ("p99_ms", "p99 ms", "added")]),
    ("newconn", "new connections (Connection: close), 50 conns", [("req_s", "conn/s", "ratio"),
                                                                   ("p99_ms", "p99 ms", "added")]),
]
TARGETS = {("1k", "req_s"): ("ratio", 0.95), ("1m", "MiB_s"): ("ratio", 0.95), ("tls1m", "MiB_s"): ("ratio", 0.95),
           ("newconn", "req_s"): ("ratio", 0.80), ("1k", "p99_ms"): ("added", 0.5), ("1m", "p99_ms"): ("added", 0.5),
           ("tls1m", "p99_ms"): ("added", 0.5), ("newconn", "p99_ms"): ("added", 0.5)}
COLS = ["req_s", "MiB_s", "p50_ms", "p99_ms", "requests", "socket_errors", "non2xx", "cpu_pct", "cpu_us_per_req"]


def load(path):
    data = {}
    for line in open(path, encoding="utf-8"):
        f = line.rstrip("\n").split("\t")
        if len(f) != 3 + len(COLS):
            continue
        cfg, test, rnd = f[:3]
        row = {c: float(v) for c, v in zip(COLS, f[3:])}
        row["round"] = rnd
        data.setdefault((cfg, test), []).append(row)
    return data


def med(rows, col):
    vals = [r[col] for r in rows if r[col] == r[col]]
    return statistics.median(vals) if vals else float("nan")


def spread(rows, col):
    vals = [r[col] for r in rows if r[col] == r[col]]
    if len(vals) < 2:
        return 0.0
    m = statistics.median(vals)
    return (max(vals) - min(vals)) / m * 100 if m else 0.0


def fmt(v, col):
    if v != v:
        return "-"
    if col in ("req_s",):
        return f"{v:,.0f}"
    if col == "MiB_s":
        return f"{v:,.1f}"
    return f"{v:.2f}"


def paired(drows, prows, col, kind):
    """median over the rounds of (proxy vs direct) measured in the same round, minutes apart"""
    d = {r["round"]: r[col] for r in drows if r[col] == r[col]}
    vals = []
    for r in prows:
        if r["round"] in d and r[col] == r[col]:
            dv = d[r["round"]]
            if kind == "ratio":
                if dv:
                    vals.append(r[col] / dv)
            else:
                vals.append(r[col] - dv)
    return statistics.median(vals) if vals else float("nan")


def compare(v, kind):
    if v != v:
        return "-"
    return f"{v:.2f}x" if kind == "ratio" else f"{v:+.2f}"


def verdict(test, col, cmp):
    t = TARGETS.get((test, col))
    if not t or cmp != cmp:
        return ""
    kind, lim = t
    if kind == "ratio":
        return f">={lim:.2f}x {'met' if cmp >= lim else 'MISSED'}"
    return f"<=+{lim} ms {'met' if cmp <= lim else 'MISSED'}"


def table(headers, rows):
    widths = [max(len(str(r[i])) for r in [headers] + rows) for i in range(len(headers))]
    line = lambda r: " | ".join(str(c).ljust(w) if i < 2 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
    print(line(headers))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(line(r))


def summary(path, peers):
    data = load(path)
    proxies = ["tollgated"] + (["squid", "haproxy"] if peers else [])
    headers = ["test", "metric", "direct"]
    for p in proxies:
        headers += [p, "vs direct"]
    headers += ["target (tollgated)", "spread"]
    rows = []
    for test, label, metrics in TESTS:
        for col, mlabel, kind in metrics:
            drows = data.get(("direct", test), [])
            d = med(drows, col)
            row = [label, mlabel, fmt(d, col)]
            spreads = [spread(drows, col)]
            tgcmp = float("nan")
            for p in proxies:
                prow = data.get((p, test), [])
                v = med(prow, col)
                c = paired(drows, prow, col, kind)
                if p == "tollgated":
                    tgcmp = c
                row += [fmt(v, col), compare(c, kind)]
                spreads.append(spread(prow, col))
            row.append(verdict(test, col, tgcmp))
            worst = max(spreads)
            row.append(f"{worst:.0f}%" + (" NOISY" if worst > 20 else ""))
            rows.append(row)
            label = ""
    table(headers, rows)
    print("  figures: medians over the rounds; 'vs direct': median over the rounds of the ratio (rates) or the")
    print("  added ms (latencies) against the direct run of the same round (paired: minutes apart, same background load);")
    print("  spread = worst (max-min)/median over the rounds of any column in the row (NOISY above 20%).")
    print()
    # proxy CPU and errors
    headers = ["test", "proxy"] + ["CPU %", "CPU us/req", "requests", "socket errors", "non-2xx"]
    rows = []
    for test, label, _ in TESTS:
        for p in ["direct"] + proxies:
            r = data.get((p, test), [])
            if not r:
                continue
            rows.append([label, p, f"{med(r, 'cpu_pct'):.0f}", f"{med(r, 'cpu_us_per_req'):.1f}",
                         f"{sum(x['requests'] for x in r):.0f}", f"{sum(x['socket_errors'] for x in r):.0f}",
                         f"{sum(x['non2xx'] for x in r):.0f}"])
            label = ""
    table(headers, rows)
    print("  CPU = user+sys of every process in the gw namespace during the run (medians; 100% = one core);")
    print("  requests / socket errors / non-2xx = totals over the rounds, from wrk.")


# cache test -> (label, baseline config, [(metric column, metric label, kind)]); measured on cache-on
CACHE_TESTS = [
    ("hit1k", "1 KB keep-alive, stored object, 50 conns", "direct",
     [("req_s", "req/s", "ratio"), ("p50_ms", "p50 ms", "added"), ("p99_ms", "p99 ms", "added")]),
    ("hit1m", "1 MB keep-alive, stored object, 10 conns", "direct",
     [("MiB_s", "MiB/s", "ratio"), ("p50_ms", "p50 ms", "added"), ("p99_ms", "p99 ms", "added")]),
    ("miss", "1 KB miss, new URL per request (admission: first requests not stored), 50 conns", "cache-off",
     [("req_s", "req/s", "ratio"), ("p99_ms", "p99 ms", "added")]),
    ("missall", "1 KB miss, new URL per request (admission = all: stored), 50 conns", "cache-off",
     [("req_s", "req/s", "ratio"), ("p99_ms", "p99 ms", "added")]),
    ("nostore", "1 KB miss, one URL, request no-store (refused), 50 conns", "cache-off",
     [("req_s", "req/s", "ratio"), ("p99_ms", "p99 ms", "added")]),
]
CACHE_TARGETS = {("hit1k", "req_s"): 1.20, ("hit1m", "MiB_s"): 1.00, ("miss", "req_s"): 0.95,
                 ("missall", "req_s"): 0.95,
                 ("nostore", "req_s"): 0.95}


def load_mirror(path):
    runs, stats = {}, None
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError:
        lines = []
    for line in lines:
        f = line.split("\t")
        if f[0] == "stats" and len(f) == 8:
            stats = dict(zip(["byte_hit_ratio", "request_hit_ratio", "hit_bytes", "miss_bytes", "collapsed",
                              "ideal", "write_failures"], [float(x) for x in f[1:]]))
        elif len(f) == 10:
            runs[f[0]] = dict(zip(["requests", "seconds", "body", "origin", "with_age", "age_bytes", "errors"],
                                  [float(x) for x in f[1:8]]))
            runs[f[0]]["peak_rss"] = f[8]
    return runs, stats


def load_store(path):
    rows = []
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError:
        lines = []
    for line in lines:
        f = line.split("\t")
        if f[0] == "store" and len(f) == 7:
            rows.append(dict(zip(["misses", "queued_end", "queued_after", "written", "seconds"],
                                 [float(x) for x in f[2:]])))
    return rows


def cache_summary(path, mirror_path, store_path, secs):
    data = load(path)
    headers = ["test", "metric", "baseline", "base", "cache on", "vs base", "target", "spread"]
    rows, verdicts = [], []
    for test, label, base, metrics in CACHE_TESTS:
        for col, mlabel, kind in metrics:
            # missall is compared with the same cache-off run as miss (the same requests)
            btest = "miss" if test == "missall" else test
            brows, crows = data.get((base, btest), []), data.get(("cache-on", test), [])
            c = paired(brows, crows, col, kind)
            lim = CACHE_TARGETS.get((test, col))
            target = ""
            if lim is not None and c == c:
                target = f">={lim:.2f}x {'met' if c >= lim else 'MISSED'}"
                verdicts.append(f"{label}: {mlabel} {c:.2f}x {base} [target >= {lim:.2f}x: "
                                f"{'met' if c >= lim else 'MISSED'}]")
            worst = max(spread(brows, col), spread(crows, col))
            rows.append([label, mlabel, "direct" if base == "direct" else "cache off", fmt(med(brows, col), col),
                         fmt(med(crows, col), col), compare(c, kind), target,
                         f"{worst:.0f}%" + (" NOISY" if worst > 20 else "")])
            label = ""
        if test == "missall" and (store := load_store(store_path)):
            offered = statistics.median(r["misses"] / secs for r in store)
            written = statistics.median(r["written"] / r["seconds"] for r in store if r["seconds"])
            queued = statistics.median(r["queued_end"] for r in store)
            left = max(r["queued_after"] for r in store)
            rows.append(["", "objects written/s", "misses/s", f"{offered:,.0f}", f"{written:,.0f}",
                         f"{written / offered:.2f}x" if offered else "-", "", ""])
            rows.append(["", "queued for disk, peak", "", "", f"{queued:,.0f}",
                         f"{left:,.0f} after wait" if left else "drained", "", ""])
            verdicts.append(f"store: {written:,.0f} objects written/s sustained for {offered:,.0f} misses/s offered; "
                            f"up to {queued:,.0f} responses queued for the disk during the run"
                            + (f", {left:,.0f} still queued after the wait" if left else ", all written in the wait"))
    runs, stats = load_mirror(mirror_path)
    if "direct" in runs and "cache" in runs:
        d, c = runs["direct"], runs["cache"]
        mib = 1048576
        label = f"package mirror: {c['requests']:.0f} requests, 80% repeats, 4 clients"
        rows.append([label, "wall s", "direct", f"{d['seconds']:.1f}", f"{c['seconds']:.1f}",
                     f"{c['seconds'] / d['seconds']:.2f}x" if d["seconds"] else "-", "", "1 run"])
        rows.append(["", "MiB/s to clients", "direct", f"{d['body'] / mib / d['seconds']:,.0f}",
                     f"{c['body'] / mib / c['seconds']:,.0f}",
                     f"{(c['body'] / c['seconds']) / (d['body'] / d['seconds']):.2f}x" if d["body"] else "-", "", ""])
        rows.append(["", "origin MiB sent", "direct", f"{d['origin'] / mib:,.0f}", f"{c['origin'] / mib:,.0f}",
                     f"{c['origin'] / d['origin']:.2f}x" if d["origin"] else "-", "", ""])
        saved = c["body"] - c["origin"]
        rows.append(["", "origin MiB saved", "", "", f"{saved / mib:,.0f}",
                     f"{saved / c['body'] * 100:.0f}% of client bytes" if c["body"] else "-", "", ""])
        verdicts.append(f"{label}: wall {d['seconds']:.1f} s direct, {c['seconds']:.1f} s through the cache; "
                        f"origin bytes saved {saved / mib:,.0f} MiB of {c['body'] / mib:,.0f} MiB")
        if stats:
            rows.append(["", "byte hit ratio", "ideal", f"{stats['ideal']:.3f}", f"{stats['byte_hit_ratio']:.3f}",
                         "", "", ""])
            rows.append(["", "request hit ratio", "ideal", "0.800", f"{stats['request_hit_ratio']:.3f}",
                         f"+{stats['collapsed']:.0f} collapsed", "", ""])
            verdicts[-1] += (f"; byte hit ratio {stats['byte_hit_ratio']:.3f} (ideal {stats['ideal']:.3f}), "
                             f"request hit ratio {stats['request_hit_ratio']:.3f} (+{stats['collapsed']:.0f} collapsed), "
                             f"objects given up by the store (write_failures) {stats['write_failures']:.0f}")
    table(headers, rows)
    print("  base: direct (tollgated stopped, routing only) for hits; tollgated with the cache disabled for misses;")
    print("  'vs base': median over the rounds of the ratio / added ms against the base run of the same round.")
    print("  objects written/s: objects on disk after the miss run and a wait (<= 15 s) for the disk threads, over the")
    print("  time since the run began; queued = cache stats 'writing' (responses not yet written), sampled every 1 s.")
    print("  package mirror: one run each; origin MiB = TCP payload nginx sent (nft counter in the origin namespace);")
    print("  saved = bytes the clients received - bytes the origin sent; hit ratios from `tollgatectl cache stats`")
    print("  (collapsed requests, which joined another client's fetch, are in neither hits nor misses there);")
    print("  ideal = what an unbounded cache would reach on the sequence (every first request a miss).")
    print()
    for v in verdicts:
        print(f"  {v}")


def main():
    if sys.argv[1] == "wrk":
        parse_wrk(sys.argv[2])
    elif sys.argv[1] == "summary":
        summary(sys.argv[2], sys.argv[3] == "1")
    elif sys.argv[1] == "cache":
        cache_summary(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]))
    else:
        sys.exit("usage: report.py wrk FILE | summary RESULTS_TSV PEERS | cache RESULTS_TSV MIRROR_TSV STORE_TSV SECONDS")


if __name__ == "__main__":
    main()
