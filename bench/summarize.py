#!/usr/bin/env python3
"""Summary of one bench/run.sh output directory: a table of every loadgen run and the issue #2
targets with their ratios against the references measured in the same run.

Usage: bench/summarize.py OUT_DIR CONNS LOW_CONNS
"""
import glob
import json
import os
import sys

MIB_TO_MB = 1.048576  # the target is in MB (10^6 bytes); VmHWM is reported in MiB


def main():
    out, conns, low = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    runs = {}
    for path in sorted(glob.glob(os.path.join(out, "*.json"))):
        name = os.path.basename(path)[:-5]
        with open(path) as f:
            runs[name] = json.load(f)
        rc_path = os.path.join(out, name + ".rc")
        runs[name]["exit"] = int(open(rc_path).read()) if os.path.exists(rc_path) else None
    # CPU of the whole machine during each measured window, from /proc/stat (USER_HZ ticks):
    # what is left after the server and loadgen is "others"; steal is the hypervisor's share.
    hz = os.sysconf("SC_CLK_TCK")
    for name, r in runs.items():
        path = os.path.join(out, name + ".stat")
        lines = open(path).read().split("\n") if os.path.exists(path) else []
        if len(lines) < 2 or not lines[1].startswith("cpu"):
            continue
        a, b = ([int(x) for x in line.split()[1:9]] for line in lines[:2])
        d = [y - x for x, y in zip(a, b)]
        busy = (d[0] + d[1] + d[2] + d[5] + d[6]) / hz  # user nice system irq softirq
        total = sum(d) / hz
        ours = (r.get("server_cpu_s") or 0) + (r.get("client_cpu_s") or 0)
        if total > 0:
            r["others_pct"] = max(0.0, 100 * (busy - ours) / total) if r.get("server_cpu_s") is not None else None
            r["steal_pct"] = 100 * d[7] / hz / total
            r["idle_pct"] = 100 * (d[3] + d[4]) / hz / total
    loadavg = {}
    if os.path.exists(os.path.join(out, "loadavg.txt")):
        for line in open(os.path.join(out, "loadavg.txt")):
            parts = line.split()
            loadavg[parts[0]] = parts[1]

    def fmt(v, digits=1):
        return "-" if v is None else f"{v:.{digits}f}"

    order = list(loadavg)  # the order the runs were made in
    runs = dict(sorted(runs.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)))
    print("srv cpu% is the server's CPU over the measured window (100 = one core); idle%, other%\n"
          "(CPU used by processes other than this server and loadgen, approximate) and steal% are\n"
          "shares of the whole machine's CPU time in that window.\n")
    print(f"{'run':34} {'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8} {'RSS MiB':>8} {'srv cpu%':>8} {'idle%':>5} {'other%':>6} {'steal%':>6} "
          f"{'err':>4} {'!2xx':>5} {'exit':>4} {'load1':>5}")
    for name, r in runs.items():
        cpu = None
        if r.get("server_cpu_s") is not None and r.get("duration_s"):
            cpu = 100 * r["server_cpu_s"] / r["duration_s"]
        print(f"{name:34} {r['connections']:>5} {r['rps']:>9.0f} {r['p50_ms']:>8.2f} {r['p95_ms']:>8.2f} "
              f"{r['p99_ms']:>8.2f} {r['max_ms']:>8.1f} {fmt(r.get('peak_rss_mib')):>8} {fmt(cpu, 0):>8} "
              f"{fmt(r.get('idle_pct'), 0):>5} {fmt(r.get('others_pct'), 0):>6} {fmt(r.get('steal_pct'), 0):>6} "
              f"{r['errors']:>4} {r['non_2xx']:>5} {str(r['exit']):>4} {loadavg.get(name, '-'):>5}")

    def mean(names):
        vals = [runs[n]["rps"] for n in names if n in runs]
        return sum(vals) / len(vals) if vals else None

    def clean(names):
        return all(runs[n]["exit"] == 0 for n in names if n in runs)

    verdict = lambda ok: "MET" if ok else "MISSED"
    print("\nTargets (ratios against references measured in this run):")
    hello = [n for n in runs if n.startswith("a_hello_")]
    healthz = [n for n in runs if n.startswith("a_healthz_")]
    inbox = [n for n in runs if n.startswith("b_inbox_")]
    uncached = [n for n in runs if n.startswith("bu_inbox_uncached_")]
    h = mean(hello)
    if h and healthz:
        ratio = mean(healthz) / h
        per_round = ", ".join(
            f"r{i + 1} {runs[b]['rps'] / runs[a]['rps']:.2f}" for i, (a, b) in enumerate(zip(hello, healthz)))
        print(f"  (a) /healthz {mean(healthz):.0f} req/s vs hello-world {h:.0f} req/s = {ratio:.2f} "
              f"(per round: {per_round}); target >= 0.90: {verdict(ratio >= 0.9 and clean(healthz + hello))}")
    if h and inbox:
        ratio = mean(inbox) / h
        print(f"  (b) inbox read (limit=20, 1M messages) {mean(inbox):.0f} req/s = {ratio:.2f} of hello-world; "
              f"target >= 0.40: {verdict(ratio >= 0.4 and clean(inbox))}")
    if h and uncached:
        print(f"      the same read with the page cache off (every read queries and renders): "
              f"{mean(uncached):.0f} req/s = {mean(uncached) / h:.2f} of hello-world (for reference)")
    g, n = runs.get("c_ingest_group"), runs.get("c_ingest_naive")
    if g and n:
        ratio = g["rps"] / n["rps"]
        ok = ratio >= 5 and g["p99_ms"] <= 150 and g["exit"] == 0 and n["exit"] == 0
        print(f"  (c) ingestion, group commit {g['rps']:.0f} msg/s (p99 {g['p99_ms']:.1f} ms) vs one commit per "
              f"message {n['rps']:.0f} msg/s (p99 {n['p99_ms']:.1f} ms) = {ratio:.1f}x; "
              f"target >= 5x and p99 <= 150 ms at {g['connections']} clients: {verdict(ok)}")
    d_runs = sorted(k for k in runs if k.startswith("d") and k[1].isdigit())
    if d_runs:
        for c in (conns, low):
            at = [k for k in d_runs if k.endswith(f"_c{c}")]
            worst = max(runs[k]["p95_ms"] for k in at) if at else None
            if worst is None:
                continue
            detail = ", ".join(f"{k[:-len(f'_c{c}')]} {runs[k]['p95_ms']:.1f}" for k in at)
            print(f"  (d) inbox filters/search, 1M messages, {c} connections: p95 ms: {detail}; "
                  f"target p95 <= 20 ms: {verdict(worst <= 20 and clean(at))}")
        rss = max((runs[k].get("peak_rss_mib") or 0) for k in d_runs + inbox)
        print(f"  (e) server peak RSS (VmHWM) during (b) and (d): {rss:.1f} MiB = {rss * MIB_TO_MB:.1f} MB; "
              f"target <= 200 MB: {verdict(rss * MIB_TO_MB <= 200)}")
    for extra in ("queries.txt", "ingest_counts.txt"):
        path = os.path.join(out, extra)
        if os.path.exists(path):
            print(f"\n{extra}:")
            print(open(path).read().rstrip())


if __name__ == "__main__":
    main()
