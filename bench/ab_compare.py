#!/usr/bin/python3
"""A/B of two cuckood binaries under the same generator: ops/s and server CPU per request.

Starts OLD and NEW (-t 1 -m 1024, both on CPU 0) on free loopback ports, preloads each, then
runs ROUNDS interleaved rounds (ABBA order) of cuckood-load (on CPU 1) with the given workload
options, and prints the medians and the ratios new/old. Server CPU per request comes from the
server's utime+stime in /proc (clock ticks), so rounds should last a second or more.

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


def cpu_seconds(pid):
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
            before = cpu_seconds(proc.pid)
            out = subprocess.run(["taskset", "-c", "1", args.load, "-s", "127.0.0.1:%d" % port,
                                  *options, *extra, "--duration", str(duration), "--json"],
                                 capture_output=True, text=True, check=True).stdout
            used = cpu_seconds(proc.pid) - before
            result = json.loads(out)
            return result["ops_per_sec"], used / result["requests"] * 1e6

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
    print("old %.0f ops/s %.2f us CPU/request | new %.0f ops/s %.2f us CPU/request | "
          "new/old: ops %.2fx, CPU/request %.2fx"
          % (ops["old"], cpu["old"], ops["new"], cpu["new"], ops["new"] / ops["old"],
             cpu["new"] / cpu["old"]))


if __name__ == "__main__":
    main()
