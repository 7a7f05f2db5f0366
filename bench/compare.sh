#!/usr/bin/env bash
# Side-by-side benchmark of cuckood and memcached: `bash bench/compare.sh BUILD_DIR` (make bench).
#
# Starts /usr/bin/memcached and BUILD_DIR/cuckood with the same -t/-m on free loopback ports,
# then for every workload runs BUILD_DIR/bench/cuckood-load against each server alternately,
# ROUNDS times (memcached, cuckood, memcached, cuckood, ...), so that drift in the machine's
# load hits both alike. The first round of each workload preloads its keys, so both servers
# answer the same requests from the same data. Each run also reads its server's CPU time
# (cuckood-load --server-pid) at the edges of the measured window, for server CPU per request.
# bench/report.py turns the runs into the table (bench/results/latest.md, latest.json) and the
# chart (latest.png).
#
# Settings (environment):
#   ROUNDS=3 DURATION=1.5 WARMUP=0.3  rounds per workload, measured/warm-up seconds per run
#   SERVER_THREADS=1 MEMORY=1024    -t and -m of both servers (the hit-ratio run uses -m 64)
#   PIN=auto|0                      auto: with >= 2 CPUs, servers on CPU 0 and the generator on
#                                   CPU 1 (taskset), so generator and server never share a core
#   CUCKOOD_BIN=...                 server to compare (default BUILD_DIR/cuckood)
#   CUCKOOD_ARGS=...                extra cuckood options, e.g. --io=epoll
#   BASELINE_ONLY=1                 compare memcached with itself (checks the harness: ratios ~1)
#   WORKLOADS="a b ..."             run only these workloads (names as in bench/workloads.sh)
#   RESULTS=DIR                     where the table, JSON and chart go (default bench/results)
#   TLS=1|0                         1: also the tls_* workloads, against both servers started
#                                   with -Z and a certificate made here by `openssl req`; the
#                                   table then records bench/ktls_probe's line (kernel TLS)
# Under the table goes bench/kernel_entry_probe's line, run on the servers' CPU: what a system
# call costs the user code after it, which the user-share column includes.
set -euo pipefail

build=${1:?usage: bench/compare.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
load=$build/bench/cuckood-load
cuckood=${CUCKOOD_BIN:-$build/cuckood}
memcached=/usr/bin/memcached
rounds=${ROUNDS:-3}
duration=${DURATION:-1.5}
warmup=${WARMUP:-0.3}
threads=${SERVER_THREADS:-1}
memory=${MEMORY:-1024}
results=${RESULTS:-$here/results}

tls=${TLS:-1}
ktls_probe=$build/bench/ktls_probe
kernel_entry_probe=$build/bench/kernel_entry_probe
[ -x "$load" ] || { echo "compare.sh: $load not built" >&2; exit 1; }
[ -x "$kernel_entry_probe" ] || { echo "compare.sh: $kernel_entry_probe not built" >&2; exit 1; }
[ "$tls" = 0 ] || [ -x "$ktls_probe" ] || { echo "compare.sh: $ktls_probe not built" >&2; exit 1; }
[ -x "$memcached" ] || { echo "compare.sh: $memcached missing (scripts/install-deps.sh bench)" >&2; exit 1; }
if [ "${BASELINE_ONLY:-0}" = 1 ]; then
  cuckood=$memcached
elif [ ! -x "$cuckood" ]; then
  echo "compare.sh: $cuckood not built" >&2
  exit 1
fi

read -r -a cuckood_args <<<"${CUCKOOD_ARGS:-}"
# shellcheck source=bench/servers.sh
source "$here/servers.sh"

# shellcheck source=bench/workloads.sh
source "$here/workloads.sh"

runs=$work/runs.jsonl
: >"$runs"

# selected NAME: whether WORKLOADS (if set) names this workload.
selected() {
  [ -z "${WORKLOADS:-}" ] && return 0
  case " $WORKLOADS " in *" $1 "*) return 0 ;; esac
  return 1
}

# run_rounds WORKLOAD_SPEC PORT_A PID_A PORT_B PID_B WARMUP: the interleaved rounds of one
# workload against memcached (A) and cuckood (B).
run_rounds() {
  local name=${1%%|*} opts=${1#*|} wu=$6 round server port pid out
  read -r -a opts_array <<<"$opts"
  for round in $(seq "$rounds"); do
    # The first round's preload stays in the servers (-m is ample); later rounds reuse it.
    [ "$round" -eq 2 ] && read -r -a opts_array <<<"${opts//--preload/}"
    for server in memcached cuckood; do
      port=$2 pid=$3
      [ "$server" = cuckood ] && port=$4 pid=$5
      out=$("${load_cpu[@]}" "$load" -s "127.0.0.1:$port" "${common[@]}" "${opts_array[@]}" \
            --duration "$duration" --warmup "$wu" --seed "$round" --server-pid "$pid" --json) || {
        echo "compare.sh: cuckood-load failed ($name, $server, round $round)" >&2
        exit 1
      }
      printf '{"workload":"%s","server":"%s","round":%d,"result":%s}\n' \
        "$name" "$server" "$round" "$out" >>"$runs"
      python3 -c 'import json,sys; r=json.loads(sys.argv[1]); c=r["server_cpu"]; print("  %-22s %-9s round %s: %9.0f ops/s  CPU %5.2f us/req (user %2.0f%%)  p99 %7.1f us  errors %d  mismatches %d  hit %.3f" % (sys.argv[2], sys.argv[3], sys.argv[4], r["ops_per_sec"], c["us_per_request"], c["user_share"] * 100, r["latency_us"]["p99"], r["errors"], r["mismatches"], r["hit_ratio"]))' \
        "$out" "$name" "$server" "$round"
    done
  done
}

started=$(date +%s)
echo "cuckood vs memcached: -t $threads -m $memory, $rounds rounds x ${duration}s (+${warmup}s warm-up); pinning: $pinning"
# run_workloads SUFFIX SPEC...: the selected workloads of SPEC against a memcached and a cuckood
# started with the options after "--" in the caller's server_opts (none for plaintext).
run_workloads() {
  local suffix=$1 w chosen=()
  shift
  for w in "$@"; do selected "${w%%|*}" && chosen+=("$w"); done
  [ "${#chosen[@]}" -gt 0 ] || return 0
  start "memcached$suffix" "$memcached" "$memory" "${server_opts[@]}"; port_a=$port pid_a=${pids[-1]}
  start "cuckood$suffix" "$cuckood" "$memory" "${server_opts[@]}"; port_b=$port pid_b=${pids[-1]}
  for w in "${chosen[@]}"; do run_rounds "$w" "$port_a" "$pid_a" "$port_b" "$pid_b" "$warmup"; done
  stop_all
}

server_opts=()
run_workloads "" "${workloads[@]}"

if selected "${hit_ratio_workload%%|*}"; then
  start memcached_m64 "$memcached" 64; port_a=$port pid_a=${pids[-1]}
  start cuckood_m64 "$cuckood" 64; port_b=$port pid_b=${pids[-1]}
  read -r -a hit_opts <<<"${hit_ratio_workload#*|}"
  for port in "$port_a" "$port_b"; do
    "${load_cpu[@]}" "$load" -s "127.0.0.1:$port" "${common[@]}" "${hit_opts[@]}" \
      --requests "$hit_ratio_warmup" >/dev/null || { echo "compare.sh: hit-ratio warm-up failed" >&2; exit 1; }
  done
  run_rounds "$hit_ratio_workload" "$port_a" "$pid_a" "$port_b" "$pid_b" 0
  stop_all
fi

ktls=""
if [ "$tls" != 0 ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=cuckood-bench \
    -keyout "$work/bench.key" -out "$work/bench.pem" 2>"$work/openssl.log" || {
    echo "compare.sh: openssl req failed: $(cat "$work/openssl.log")" >&2
    exit 1
  }
  chmod 644 "$work/bench.key"  # memcached reads it after dropping to -u nobody
  chmod 755 "$work"
  server_opts=(-Z -o "ssl_chain_cert=$work/bench.pem,ssl_key=$work/bench.key")
  ktls=$("$ktls_probe" 2>&1) || true
  echo "$ktls"
  run_workloads _tls "${tls_workloads[@]}"
fi
[ -s "$runs" ] || { echo "compare.sh: WORKLOADS selected nothing" >&2; exit 1; }

kernel_entry=$("${server_cpu[@]}" "$kernel_entry_probe")
echo "$kernel_entry"

report_args=(--runs "$runs" --out "$results" --memcached "$memcached" --ktls "$ktls"
  --kernel-entry "$kernel_entry"
  --setting "servers -t $threads -m $memory (hit ratio: -m 64; tls_*: -Z, RSA 2048 certificate)${CUCKOOD_ARGS:+, cuckood $CUCKOOD_ARGS}, generator 1 thread, ${duration} s per run after ${warmup} s warm-up; $pinning"
  --seconds "$(($(date +%s) - started))")
[ "${BASELINE_ONLY:-0}" = 1 ] && report_args+=(--baseline-only)
python3 "$here/report.py" "${report_args[@]}"
