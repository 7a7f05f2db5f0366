#!/usr/bin/python3
"""A/B of two cuckood binaries under the same generator: ops/s and server CPU per request.

Starts OLD and NEW (-t 1 -m 1024, both on CPU 0) on free loopback ports, preloads each, then
runs ROUNDS interleaved rounds (ABBA order) of cuckood-load (on CPU 1) with the given workload
options, and prints the medians and the ratios new/old. Server CPU per request is the server's
utime + stime over the measured window (cuckood-load --server-pid reads /proc at its edges, in
clock ticks, so rounds should last a second or more) divided by the requests completed in it;
"user" is the user-space share of that CPU. The CPU ratio's spread is that of the per-round
ratios (the two runs of a round are back to back).

Usage: bench/ab_compare.py OLD_BIN NEW_BIN [--rounds 5] [--duration 1.5]
                           [--load build/bench/cuckood-load] -- LOAD_OPTIONS...
e.g.   bench/ab_compare.py /tmp/old/cuckood build/cuckood -- -c 16 -d 16 -k 4 --dist hot \\
           --get-ratio 1
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=1.5)
    parser.add_argument("--load", default=os.path.join(REPO, "build", "bench", "cuckood-load"))
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    options = argv[split + 1:]

    servers = {}
    for name in ("old", "new"):
        port = free_port()
        proc = subprocess.Popen(["taskset", "-c", "0", getattr(args, name), "-p", str(port),
                                 "-t", "1", "-m", "1024"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        servers[name] = (proc, port)
    try:
        time.sleep(0.5)

        def run(name, duration, extra=()):
            proc, port = servers[name]
            out = subprocess.run(["taskset", "-c", "1", args.load, "-s", "127.0.0.1:%d" % port,
                                  *options, *extra, "--duration", str(duration),
                                  "--server-pid", str(proc.pid), "--json"],
                                 capture_output=True, text=True, check=True).stdout
            result = json.loads(out)
            cpu = result["server_cpu"]
            return result["ops_per_sec"], cpu["us_per_request"], cpu["user_share"]

        for name in servers:
            run(name, 0.3, ["--preload"])
        results = {"old": [], "new": []}
        for r in range(args.rounds):
            for name in ("old", "new") if r % 2 == 0 else ("new", "old"):
                results[name].append(run(name, args.duration))
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait()

    def median(values):
        return sorted(values)[len(values) // 2]

    ops = {n: median([x[0] for x in results[n]]) for n in results}
    cpu = {n: median([x[1] for x in results[n]]) for n in results}
    user = {n: median([x[2] for x in results[n]]) for n in results}
    cpu_ratios = sorted(new[1] / old[1] for old, new in zip(results["old"], results["new"]))
    print("old %.0f ops/s %.2f us CPU/request (user %.0f%%) | new %.0f ops/s %.2f us CPU/request "
          "(user %.0f%%) | new/old: ops %.2fx, CPU/request %.2fx (rounds %.2f-%.2f)"
          % (ops["old"], cpu["old"], user["old"] * 100, ops["new"], cpu["new"],
             user["new"] * 100, ops["new"] / ops["old"], cpu["new"] / cpu["old"], cpu_ratios[0],
             cpu_ratios[-1]))


if __name__ == "__main__":
    main()
