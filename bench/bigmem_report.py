#!/usr/bin/env python3
"""Turns the runs of bench/bigmem.sh into its table and chart.

Input: one JSON object per line, {"server", "mode", "rss_kib", "status", "result"} where result
is `cuckood-load --workload bigmem --json` output. Output in --out: bigmem.md (table +
machine), bigmem.json (the same, plus every window) and bigmem.png (gnuplot: records/s per
0.5-s window of every run). The table is also printed. Bytes per key is RSS over the keys the
run wrote (keys with at least one record).
"""

import argparse
import json
import os

from report import gnuplot, machine


def row(run):
    r = run["result"]
    keys = max(r["keys_written"], 1)
    return {
        "run": "%s %s" % (run["server"], run["mode"]),
        "records_per_sec": r["records_per_sec"],
        "slowest_to_median": r["slowest_to_median"],
        "rss_mib": run["rss_kib"] / 1024,
        "bytes_per_key": run["rss_kib"] * 1024 / keys,
        "seconds": r["seconds"],
        "cpu_us_per_record": run["cpu_seconds"] * 1e6 / max(r["records"], 1),
        "verified": "%d/%d" % (r["matched"], r["verified"]),
        "failed": r["failed"],
    }


def table(rows):
    head = ("| run | records/s | server CPU µs/record | slowest/median window | RSS MiB | "
            "bytes/key | elapsed s | verified | failed |\n"
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
    return head + "".join(
        "| %s | %.0f | %.2f | %.3f | %.0f | %.1f | %.1f | %s | %d |\n"
        % (w["run"], w["records_per_sec"], w["cpu_us_per_record"], w["slowest_to_median"],
           w["rss_mib"], w["bytes_per_key"], w["seconds"], w["verified"], w["failed"])
        for w in rows)


def chart(runs, out_dir, title):
    data = os.path.join(out_dir, ".bigmem.dat")
    with open(data, "w") as f:
        for run in runs:
            r = run["result"]
            f.write('# %s %s\n' % (run["server"], run["mode"]))
            for i, rate in enumerate(r["window_rates"][:-1] or r["window_rates"]):
                f.write("%g %g\n" % ((i + 0.5) * r["window_seconds"], rate))
            f.write("\n\n")
    plots = ", ".join("'%s' index %d using 1:2 with lines lw 2 title '%s %s'"
                      % (data, i, run["server"], run["mode"]) for i, run in enumerate(runs))
    script = """
set terminal pngcairo size 1100,520 font "sans,10" noenhanced
set output '%s'
set title "%s"
set xlabel "seconds since the first record"
set ylabel "records/s (0.5-s windows)"
set yrange [0:*]
set grid
set key below
plot %s
""" % (os.path.join(out_dir, "bigmem.png"), title, plots)
    gnuplot(script, data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--setting", required=True)
    ap.add_argument("--memcached", default="/usr/bin/memcached")
    ap.add_argument("--seconds", type=int, default=0)
    args = ap.parse_args()
    with open(args.runs) as f:
        runs = [json.loads(line) for line in f if line.strip()]
    rows = [row(run) for run in runs]
    text = table(rows)
    host = machine(args)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "bigmem.md"), "w") as f:
        f.write("# bigmem: sustained appends (bench/bigmem.sh)\n\n%s\n\n%s\nmachine: %s\n"
                % (args.setting, text, json.dumps(host)))
    with open(os.path.join(args.out, "bigmem.json"), "w") as f:
        json.dump({"setting": args.setting, "machine": host, "seconds": args.seconds,
                   "rows": rows, "runs": runs}, f, indent=1)
    chart(runs, args.out, "bigmem " + args.setting.split(";")[0])
    print("\n" + args.setting + "\n\n" + text)
    print("written: %s/bigmem.{md,json,png} (%d s in all)" % (args.out, args.seconds))
    return 0 if all(run["status"] == 0 for run in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
