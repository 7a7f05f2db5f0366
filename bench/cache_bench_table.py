#!/usr/bin/python3
"""Runs cache_bench once and prints its results as a Markdown table.

Rows are WORKLOAD x threads; columns are items/s of each implementation (aggregate over the
threads per wall-clock second) and the ratio cuckood/libcuckoo of those. All figures come from
one process run, so every implementation saw the same machine conditions; on a shared machine,
read the ratios rather than the absolute rates.

A second ratio, "by CPU", compares CPU time per item instead (libcuckoo's / cuckood's). It is
the steadier of the two when foreign load preempts the benchmark threads, but it does not
count time a thread spends blocked (so it flatters a sleeping lock more than a spinning one).

With --repetitions > 1 (the default) each benchmark runs that many times, interleaved in random
order with the others (so a burst of foreign load does not hit one implementation only), and
the table shows medians; the line under the table names the noisiest benchmark. The last line
gives the speedup of calibration/cpu (pure computation, nothing shared) at 2 and 4 threads: the
parallelism the machine actually offered, the ceiling for every implementation's scaling.

Usage: bench/cache_bench_table.py [--binary build/bench/cache_bench] [--min-time 0.2]
                                  [--repetitions 5] [--filter REGEX]
"""

import argparse
import json
import os
import shlex
import subprocess
import sys

WORKLOADS = ["uniform_read", "hotkey_read", "mixed_90_10", "insert"]
IMPLS = ["cuckood", "libcuckoo", "mutex_map"]
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=os.path.join(REPO, "build", "bench", "cache_bench"))
    parser.add_argument("--min-time", type=float, default=0.2,
                        help="seconds per benchmark run (--benchmark_min_time)")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--filter", default=".", help="--benchmark_filter regular expression")
    return parser.parse_args()


def run(args):
    command = [
        args.binary,
        "--benchmark_format=json",
        f"--benchmark_min_time={args.min_time}",
        f"--benchmark_filter={args.filter}",
    ]
    if args.repetitions > 1:
        command += [
            f"--benchmark_repetitions={args.repetitions}",
            "--benchmark_enable_random_interleaving=true",
            "--benchmark_report_aggregates_only=true",
        ]
    print("running: " + shlex.join(command), file=sys.stderr, flush=True)
    output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
    return command, json.loads(output)


def collect(report, repetitions):
    """(workload, threads) -> impl -> entry (or an error string); and the worst cv."""
    wanted = "median" if repetitions > 1 else None
    cells = {}
    worst_cv = (0.0, None)
    for entry in report["benchmarks"]:
        workload, impl = entry["run_name"].split("/")[:2]
        cell = cells.setdefault((workload, entry["threads"]), {})
        if entry.get("error_occurred"):
            cell[impl] = "error: " + entry.get("error_message", "?")
            continue
        aggregate = entry.get("aggregate_name")
        if aggregate == "cv" and entry["items_per_second"] > worst_cv[0]:
            worst_cv = (entry["items_per_second"], entry["run_name"])
        if aggregate == wanted:
            cell[impl] = entry
    return cells, worst_cv


def human(rate):
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if rate >= scale:
            return f"{rate / scale:.2f}{suffix}"
    return f"{rate:.0f}"


def rate_of(cell, impl):
    value = cell.get(impl, "–")
    return value if isinstance(value, str) else human(value["items_per_second"])


def ratio(cell, field, invert=False):
    a, b = cell.get("cuckood"), cell.get("libcuckoo")
    if not isinstance(a, dict) or not isinstance(b, dict):
        return "–"
    x, y = (b[field], a[field]) if invert else (a[field], b[field])
    return f"{x / y:.2f}x" if y > 0 else "–"


def main():
    args = parse_args()
    command, report = run(args)
    cells, worst_cv = collect(report, args.repetitions)
    binary = os.path.abspath(args.binary)
    if binary.startswith(REPO + os.sep):
        command[0] = "./" + os.path.relpath(binary, REPO)
    print(f"`{shlex.join(command)}`")
    print()
    print("| workload | threads | " + " | ".join(f"{i} items/s" for i in IMPLS)
          + " | cuckood/libcuckoo | by CPU |")
    print("|---|---:|" + "---:|" * len(IMPLS) + "---:|---:|")
    order = {w: i for i, w in enumerate(WORKLOADS)}
    for key in sorted((k for k in cells if k[0] in order), key=lambda k: (order[k[0]], k[1])):
        cell = cells[key]
        print(f"| {key[0]} | {key[1]} | " + " | ".join(rate_of(cell, i) for i in IMPLS)
              + f" | {ratio(cell, 'items_per_second')} | {ratio(cell, 'cpu_time', True)} |")
    print()
    statistic = f"median of {args.repetitions}, " if args.repetitions > 1 else ""
    print(f"items/s: {statistic}aggregate over threads per wall-clock second. "
          "by CPU: libcuckoo's CPU time per item / cuckood's.")
    if worst_cv[1] is not None:
        print(f"Noisiest: {worst_cv[1]}, coefficient of variation {worst_cv[0]:.1%}.")
    calibration = {k[1]: v.get("cpu") for k, v in cells.items() if k[0] == "calibration"}
    base = calibration.get(1)
    if isinstance(base, dict):
        speedups = [f"{t} threads {c['items_per_second'] / base['items_per_second']:.2f}x"
                    for t, c in sorted(calibration.items()) if t > 1 and isinstance(c, dict)]
        print("Parallelism available (calibration/cpu speedup over 1 thread): "
              + ", ".join(speedups) + ".")


if __name__ == "__main__":
    main()
