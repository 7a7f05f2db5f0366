#!/usr/bin/env python3
"""Turns the runs of bench/compare.sh into the comparison table and chart.

Input: one JSON object per line, {"workload", "server": memcached|cuckood, "round", "result"}
where result is `cuckood-load --json` output. Output in --out: latest.md (table + machine),
latest.json (the same, plus every round) and latest.png (gnuplot). The table is also printed.

Ratios are cuckood / memcached per round (the two runs of a round are back to back), then the
median over rounds; "spread" is the smallest and largest per-round ratio. Server CPU per request
(µs, the server's utime + stime over the measured window divided by the requests completed in it)
is compared the other way round, memcached / cuckood, so that for both ratios higher is better
for cuckood; on a 2-CPU machine the generator saturates its core before the server does, and
then CPU per request is the figure that separates the servers. Its user share is
utime / (utime + stime): the rest is the kernel's (mostly the TCP path).
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess

SERVERS = ("memcached", "cuckood")
HIT_RATIO_PREFIX = "zipf_read_through"

DESCRIPTIONS = {
    "mixed_90_10": "90% get / 10% set, uniform over 100k keys, 32 B values, 16 conns x depth 16",
    "zipf_0.99": "as mixed_90_10 but keys drawn Zipf(0.99) by popularity",
    "hot_keys": "100% get, every connection on the same 4 keys",
    "large_100k": "90/10 get/set on 500 keys of 100 KB, 8 conns x depth 1",
    "binary": "mixed_90_10 over the binary protocol",
    "mixed_90_10_1m": "as mixed_90_10 but over 1M keys (table and items exceed the last-level "
                      "cache)",
    "zipf_0.99_1m": "as zipf_0.99 but over 1M keys",
    "conns_500": "500 connections at 10k req/s in total (20/s each), 90/10 uniform: latency under "
                 "many idle-ish connections, throughput fixed by the rate",
    "tls_mixed_90_10": "mixed_90_10 over TLS: both servers with -Z, the generator's TLS client "
                       "(OpenSSL, session per connection, handshakes before the measured window)",
    "tls_large_100k": "large_100k over TLS",
    "zipf_read_through_m64": "-m 64, 50k keys of 400-3600 B (~1.6x memory), Zipf(0.99), every "
                             "get miss followed by a set (cache-aside), after a 100k-request "
                             "warm-up; 60k requests per round: hit ratio",
}


def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine(args):
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_gib": round(mem_gb, 1),
        "kernel": platform.release(),
        "os": sh("sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"),
        "memcached": sh(args.memcached, "-V"),
        "cuckood_commit": sh("git", "-C", repo, "rev-parse", "--short", "HEAD"),
        "loadavg_1min_at_end": round(os.getloadavg()[0], 2),
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
    }


def spread(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def cpu_field(result, name):
    """A server CPU figure of one run, or None for a run that did not measure server CPU."""
    cpu = result.get("server_cpu")
    return cpu[name] if cpu else None


def median_or_none(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def cpu_ratio(m, c):
    """Server CPU per request memcached / cuckood of one round, or None without both figures."""
    mc, cc = cpu_field(m, "us_per_request"), cpu_field(c, "us_per_request")
    return mc / cc if mc is not None and cc else None


def summarize(runs):
    by = {}
    for r in runs:
        by.setdefault(r["workload"], {}).setdefault(r["server"], {})[r["round"]] = r["result"]
    out = []
    for name, servers in by.items():
        w = {"workload": name, "description": DESCRIPTIONS.get(name, "")}
        for s in SERVERS:
            rs = [servers[s][k] for k in sorted(servers.get(s, {}))]
            w[s] = {
                "ops_per_sec": statistics.median(r["ops_per_sec"] for r in rs),
                "p50_us": statistics.median(r["latency_us"]["p50"] for r in rs),
                "p99_us": statistics.median(r["latency_us"]["p99"] for r in rs),
                "p99_9_us": statistics.median(r["latency_us"]["p99_9"] for r in rs),
                "hit_ratio": statistics.median(r["hit_ratio"] for r in rs),
                "cpu_us_per_request": median_or_none(cpu_field(r, "us_per_request") for r in rs),
                "cpu_user_share": median_or_none(cpu_field(r, "user_share") for r in rs),
                "errors": sum(r["errors"] + r["preload"]["errors"] for r in rs),
                "mismatches": sum(r["mismatches"] + r["preload"]["mismatches"] for r in rs),
                "rounds": rs,
            }
        common = sorted(set(servers.get("memcached", {})) & set(servers.get("cuckood", {})))
        m, c = servers["memcached"], servers["cuckood"]
        w["ratio_ops"] = spread([c[k]["ops_per_sec"] / max(m[k]["ops_per_sec"], 1e-9) for k in common])
        w["ratio_p99"] = spread([c[k]["latency_us"]["p99"] / max(m[k]["latency_us"]["p99"], 1e-9)
                                 for k in common])
        w["ratio_hit"] = spread([c[k]["hit_ratio"] / max(m[k]["hit_ratio"], 1e-9) for k in common])
        cpu = [r for r in (cpu_ratio(m[k], c[k]) for k in common) if r is not None]
        w["ratio_cpu"] = spread(cpu) if cpu else None
        out.append(w)
    return out


def fmt_ops(v):
    return "%.0f" % v if v < 10000 else "%.1fk" % (v / 1000)


def fmt_cpu(s):
    """µs per request and user share of one server, or a dash when not measured."""
    if s["cpu_us_per_request"] is None:
        return "–", "–"
    return "%.2f" % s["cpu_us_per_request"], "%.0f%%" % (s["cpu_user_share"] * 100)


def fmt_cpu_ratio(r):
    return "**%.2f×** (%.2f–%.2f)" % (r["median"], r["min"], r["max"]) if r else "–"


def fmt_lat(s):
    return "%.0f / %.0f / %.0f" % (s["p50_us"], s["p99_us"], s["p99_9_us"])


def markdown(workloads, meta):
    load = [w for w in workloads if not w["workload"].startswith(HIT_RATIO_PREFIX)]
    hits = [w for w in workloads if w["workload"].startswith(HIT_RATIO_PREFIX)]
    lines = [
        "| workload | memcached ops/s | cuckood ops/s | ratio (spread) | server CPU µs/req m / c "
        "| CPU ratio m / c (spread) | user share m / c | memcached p50 / p99 / p99.9 µs "
        "| cuckood p50 / p99 / p99.9 µs | p99 ratio | errors m / c | mismatches m / c |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for w in load:
        m, c, r, p = w["memcached"], w["cuckood"], w["ratio_ops"], w["ratio_p99"]
        (m_cpu, m_user), (c_cpu, c_user) = fmt_cpu(m), fmt_cpu(c)
        lines.append("| %s | %s | %s | **%.2f×** (%.2f–%.2f) | %s / %s | %s | %s / %s | %s | %s "
                     "| %.2f | %d / %d | %d / %d |" % (
                         w["workload"], fmt_ops(m["ops_per_sec"]), fmt_ops(c["ops_per_sec"]),
                         r["median"], r["min"], r["max"], m_cpu, c_cpu,
                         fmt_cpu_ratio(w["ratio_cpu"]), m_user, c_user, fmt_lat(m), fmt_lat(c),
                         p["median"], m["errors"], c["errors"], m["mismatches"], c["mismatches"]))
    if hits:
        lines += ["", "| hit ratio | memcached | cuckood | ratio (spread) | server CPU µs/req m / c "
                  "| CPU ratio m / c (spread) | user share m / c | errors m / c | mismatches m / c |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for w in hits:
            m, c, r = w["memcached"], w["cuckood"], w["ratio_hit"]
            (m_cpu, m_user), (c_cpu, c_user) = fmt_cpu(m), fmt_cpu(c)
            lines.append("| %s | %.4f | %.4f | **%.3f×** (%.3f–%.3f) | %s / %s | %s | %s / %s "
                         "| %d / %d | %d / %d |" % (
                             w["workload"], m["hit_ratio"], c["hit_ratio"], r["median"], r["min"],
                             r["max"], m_cpu, c_cpu, fmt_cpu_ratio(w["ratio_cpu"]), m_user,
                             c_user, m["errors"], c["errors"], m["mismatches"], c["mismatches"]))
    mc = meta["machine"]
    lines += [
        "",
        "Setting: %s; %d rounds per workload, alternating memcached / cuckood; median of rounds. "
        "Ratios are the median of the per-round ratios cuckood / memcached (CPU: memcached / "
        "cuckood), so they need not equal the ratio of the median columns (ops/s and CPU: higher "
        "is better; p99: lower is better). Server CPU per request: the server's utime + stime "
        "over each run's measured window (/proc) divided by the requests completed in it; user "
        "share: utime / (utime + stime)."
        % (meta["setting"], meta["rounds"]),
        "Machine: %s, %s CPUs, %s GiB, %s, kernel %s; %s; cuckood %s; %s UTC; load average %.2f at "
        "the end; whole comparison took %s s." % (
            mc["cpu"], mc["cpus"], mc["memory_gib"], mc["os"], mc["kernel"], mc["memcached"],
            mc["cuckood_commit"], mc["date_utc"], mc["loadavg_1min_at_end"], meta["seconds"]),
    ]
    if meta.get("kernel_entry"):
        lines.append("Kernel entry (bench/kernel_entry_probe, on the servers' CPU; the user "
                     "share includes what user code pays again after each system call): %s"
                     % meta["kernel_entry"])
    if meta.get("ktls"):
        lines.append("Kernel TLS (bench/ktls_probe, beside the tls_* rows): %s" % meta["ktls"])
    if meta["baseline_only"]:
        lines.append("BASELINE_ONLY: both columns are memcached (harness check), not cuckood.")
    return "\n".join(lines) + "\n"


def chart(workloads, out_dir, meta):
    load = [w for w in workloads if not w["workload"].startswith(HIT_RATIO_PREFIX)]
    hits = [w for w in workloads if w["workload"].startswith(HIT_RATIO_PREFIX)]
    data = os.path.join(out_dir, ".chart.dat")
    with open(data, "w") as f:
        for w in load:
            r, p = w["ratio_ops"], w["ratio_p99"]
            cpu = w["ratio_cpu"] or {"median": 0, "min": 0, "max": 0}
            f.write('"%s" %g %g %g %g %g %g %g %g %g\n' % (
                w["workload"], r["median"], r["min"], r["max"], cpu["median"], cpu["min"],
                cpu["max"], p["median"], p["min"], p["max"]))
    title = "cuckood / memcached, median of %d rounds (bars: min-max)" % meta["rounds"]
    if meta["baseline_only"]:
        title = "HARNESS CHECK: memcached / memcached, median of %d rounds" % meta["rounds"]
    if hits:
        title += ";  Zipf read-through hit ratio at -m 64: %.3f vs %.3f" % (
            hits[0]["cuckood"]["hit_ratio"], hits[0]["memcached"]["hit_ratio"])
    script = """
set terminal pngcairo size 1100,520 font "sans,10" noenhanced
set output '%s'
set title "%s"
set style data histograms
set style histogram errorbars gap 2 lw 1
set style fill solid 0.7 border -1
set boxwidth 0.9
set yrange [0:*]
set grid ytics
set key top left
set ylabel "ratio cuckood / memcached"
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 2 lc rgb "#444444"
plot '%s' using 2:3:4:xtic(1) title "throughput ratio (higher is better)" lc rgb "#2e7d32", \\
     '' using 5:6:7 title "server CPU per request, memcached / cuckood (higher is better)" lc rgb "#1565c0", \\
     '' using 8:9:10 title "p99 latency ratio (lower is better)" lc rgb "#c62828"
""" % (os.path.join(out_dir, "latest.png"), title, data)
    gnuplot(script, data)


def gnuplot(script, data):
    """Runs a gnuplot script, then removes the data file it plotted."""
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True, timeout=60)
    finally:
        os.remove(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--setting", required=True)
    ap.add_argument("--cuckood", default="")
    ap.add_argument("--memcached", default="/usr/bin/memcached")
    ap.add_argument("--seconds", type=int, default=0)
    ap.add_argument("--baseline-only", action="store_true")
    ap.add_argument("--ktls", default="", help="bench/ktls_probe's line, when TLS rows ran")
    ap.add_argument("--kernel-entry", default="", help="bench/kernel_entry_probe's line")
    args = ap.parse_args()

    with open(args.runs) as f:
        runs = [json.loads(line) for line in f if line.strip()]
    workloads = summarize(runs)
    meta = {
        "setting": args.setting,
        "rounds": max(r["round"] for r in runs),
        "seconds": args.seconds,
        "baseline_only": args.baseline_only,
        "ktls": args.ktls,
        "kernel_entry": args.kernel_entry,
        "machine": machine(args),
    }
    table = markdown(workloads, meta)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "latest.md"), "w") as f:
        f.write(table)
    with open(os.path.join(args.out, "latest.json"), "w") as f:
        json.dump(dict(meta, workloads=workloads), f, indent=1)
        f.write("\n")
    chart(workloads, args.out, meta)
    print()
    print(table, end="")
    print("\nwrote %s/latest.md, latest.json, latest.png" % args.out)


if __name__ == "__main__":
    main()
