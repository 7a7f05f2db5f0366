#!/usr/bin/env bash
# The bigmem workload at scale (issue 13): `bash bench/bigmem.sh BUILD_DIR` (make bench-bigmem).
#
# 212 M 16-byte records appended to 78 M 8-byte keys, divided by SCALE: memcached (classic
# mode: set, then append) and cuckood (classic, then meta `ms … MA N0`), each on a fresh server
# (-t 2 -m 4096) one after the other, VERIFY keys read back and checked byte for byte after
# each run. RSS is VmRSS of the server when its run ends, CPU its utime + stime by then
# (start-up and verification included) over the records. bench/bigmem_report.py prints the
# table and writes bench/results/bigmem.md, bigmem.json and bigmem.png (the rate timelines).
#
# Settings (environment):
#   SCALE=10 (21.2 M records over 7.8 M keys; SCALE=100 for a quick run)
#   SERVER_THREADS=2 MEMORY=4096   -t and -m of every server
#   GEN_THREADS=1 CONNECTIONS=8 DEPTH=128 VERIFY=10000   the generator (one lane per connection;
#                                  one thread leaves the servers a core on a 2-CPU machine)
#   MODES="memcached:classic cuckood:classic cuckood:meta"   the runs, in order
#   PIN=0|auto                      pinning as bench/servers.sh (default 0: -t 2 needs both CPUs)
#   CUCKOOD_BIN=... CUCKOOD_ARGS=...   as bench/compare.sh
#   RESULTS=bench/results           where bigmem.{md,json,png} go
set -euo pipefail

build=${1:?usage: bench/bigmem.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
load=$build/bench/cuckood-load
cuckood=${CUCKOOD_BIN:-$build/cuckood}
memcached=/usr/bin/memcached
scale=${SCALE:-10}
threads=${SERVER_THREADS:-2}
memory=${MEMORY:-4096}
modes=${MODES:-memcached:classic cuckood:classic cuckood:meta}
PIN=${PIN:-0}
records=$((212000000 / scale))
keys=$((78000000 / scale))

for binary in "$load" "$cuckood" "$memcached"; do
  [ -x "$binary" ] || { echo "bigmem.sh: $binary missing (make bench-bigmem builds it)" >&2; exit 1; }
done
read -r -a cuckood_args <<<"${CUCKOOD_ARGS:-}"
# shellcheck source=bench/servers.sh
source "$here/servers.sh"

runs=$work/runs.jsonl
: >"$runs"
started=$(date +%s)
echo "bigmem 1/$scale: $records records over $keys keys; servers -t $threads -m $memory; pinning: $pinning"
for run in $modes; do
  server=${run%%:*} mode=${run#*:}
  binary=$cuckood
  [ "$server" = memcached ] && binary=$memcached
  start "$server-$mode" "$binary" "$memory"
  pid=${pids[-1]}
  status=0
  out=$("${load_cpu[@]}" "$load" -s "127.0.0.1:$port" --json --workload bigmem --append "$mode" \
        --records "$records" -k "$keys" -t "${GEN_THREADS:-1}" -c "${CONNECTIONS:-8}" \
        -d "${DEPTH:-128}" --verify "${VERIFY:-10000}") || status=$?
  rss_kib=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
  # The server's CPU seconds (utime + stime; the comm field has no spaces for either server).
  cpu_seconds=$(awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$pid/stat")
  stop_all
  [ -n "$out" ] || { echo "bigmem.sh: cuckood-load failed on $server ($mode), status $status" >&2; exit 1; }
  printf '{"server":"%s","mode":"%s","rss_kib":%s,"cpu_seconds":%s,"status":%d,"result":%s}\n' \
    "$server" "$mode" "$rss_kib" "$cpu_seconds" "$status" "$out" >>"$runs"
  python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print("  %-9s %-7s %9.0f records/s  slowest/median %.3f  RSS %s KiB  verified %d/%d" % (sys.argv[2], sys.argv[3], r["records_per_sec"], r["slowest_to_median"], sys.argv[4], r["matched"], r["verified"]))' \
    "$out" "$server" "$mode" "$rss_kib"
done

python3 "$here/bigmem_report.py" --runs "$runs" --out "${RESULTS:-$here/results}" --memcached "$memcached" \
  --setting "1/$scale scale: $records records over $keys keys; servers -t $threads -m $memory${CUCKOOD_ARGS:+, cuckood $CUCKOOD_ARGS}; generator ${GEN_THREADS:-1} threads x ${CONNECTIONS:-8} connections x depth ${DEPTH:-128}; pinning: $pinning" \
  --seconds "$(($(date +%s) - started))"
