#!/usr/bin/env python3
"""Helpers for tests/bench/run: parse wrk output, print the result tables.

  report.py wrk FILE
      one tab-separated line: req_s MiB_s p50_ms p99_ms requests socket_errors non2xx
  report.py summary RESULTS_TSV PEERS(0|1)
      the comparison tables (medians over the rounds)

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


def main():
    if sys.argv[1] == "wrk":
        parse_wrk(sys.argv[2])
    elif sys.argv[1] == "summary":
        summary(sys.argv[2], sys.argv[3] == "1")
    else:
        sys.exit("usage: report.py wrk FILE | summary RESULTS_TSV PEERS")


if __name__ == "__main__":
    main()
