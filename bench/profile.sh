#!/usr/bin/env bash
# Where cuckood's CPU goes under one workload of `make bench`:
#   bash bench/profile.sh BUILD_DIR [WORKLOAD] [SECONDS]      (default mixed_90_10, 3 s)
#
# Starts BUILD_DIR/cuckood (or CUCKOOD_BIN) with -t 1 -m 1024 on CPU 0, preloads the workload's
# keys, then runs cuckood-load on CPU 1 with the workload's options (bench/workloads.sh) while
# `perf record -e cpu-clock -g` samples the server for SECONDS (a software clock event, which
# works in VMs without hardware counters). Prints the server CPU per request and its user share
# over the generator's measured window (/proc), the top symbols by self time, and the split by
# DSO (kernel vs. user space). Needs perf (scripts/install-deps.sh bench) and the right to
# profile another process (root, or kernel.perf_event_paranoid <= 1).
#
# Settings (environment): TOP=15 symbols listed; PERF_DATA=FILE keeps the recording (default: a
# temporary file); CUCKOOD_ARGS=... extra cuckood options; PIN=auto|0 as bench/compare.sh.
set -euo pipefail

build=${1:?usage: bench/profile.sh BUILD_DIR [WORKLOAD] [SECONDS]}
name=${2:-mixed_90_10}
seconds=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
load=$build/bench/cuckood-load
cuckood=${CUCKOOD_BIN:-$build/cuckood}
memcached=/usr/bin/memcached
threads=1
top=${TOP:-15}

[ -x "$load" ] || { echo "profile.sh: $load not built" >&2; exit 1; }
[ -x "$cuckood" ] || { echo "profile.sh: $cuckood not built" >&2; exit 1; }
command -v perf >/dev/null || { echo "profile.sh: perf missing (scripts/install-deps.sh bench)" >&2; exit 1; }

# shellcheck source=bench/workloads.sh
source "$here/workloads.sh"
spec=""
for w in "${workloads[@]}"; do [ "${w%%|*}" = "$name" ] && spec=$w; done
[ -n "$spec" ] || { echo "profile.sh: no workload '$name' in bench/workloads.sh" >&2; exit 2; }
opts=${spec#*|}
read -r -a load_opts <<<"${opts//--preload/}"

read -r -a cuckood_args <<<"${CUCKOOD_ARGS:-}"
# shellcheck source=bench/servers.sh
source "$here/servers.sh"
data=${PERF_DATA:-$work/perf.data}

start cuckood "$cuckood" 1024
pid=${pids[-1]}
"${load_cpu[@]}" "$load" -s "127.0.0.1:$port" "${common[@]}" "${load_opts[@]}" --preload \
  --requests 1 >/dev/null
# The generator runs a second longer on each side than the recording, which starts once the
# warm-up is over.
"${load_cpu[@]}" "$load" -s "127.0.0.1:$port" "${common[@]}" "${load_opts[@]}" --warmup 1 \
  --duration "$((seconds + 1))" --server-pid "$pid" --json >"$work/load.json" &
load_pid=$!
sleep 1
perf record -q -e cpu-clock -g -p "$pid" -o "$data" -- sleep "$seconds" 2>"$work/perf.log" ||
  { echo "profile.sh: perf record failed: $(cat "$work/perf.log")" >&2; exit 1; }
wait "$load_pid"

echo "$name on $("$cuckood" -V 2>/dev/null || echo "$cuckood") ($pinning), perf -e cpu-clock over ${seconds} s:"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); c=r["server_cpu"]; print("  %.0f ops/s, server CPU %.2f us/request, user share %.1f%% (/proc, utime %.2f s, stime %.2f s), errors %d" % (r["ops_per_sec"], c["us_per_request"], c["user_share"] * 100, c["user_seconds"], c["system_seconds"], r["errors"]))' "$work/load.json"
echo
# perf report's table without its comment lines and padding columns.
report() {
  perf report -i "$data" --no-children -g none --stdio -F overhead,"$1" >"$work/report.txt" 2>/dev/null
  awk -v n="$2" '!/^#/ && NF { sub(/ +$/, ""); print; if (++k == n) exit }' "$work/report.txt"
}
echo "self time by symbol (perf report --no-children -g none -F overhead,sym), top $top:"
report sym "$top"
echo
echo "by DSO (perf report --no-children -g none -F overhead,dso):"
report dso 8
