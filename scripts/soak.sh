#!/usr/bin/env bash
# The soak (make soak): one cuckood with a small -m, so eviction runs all the time, under
# cuckood-load's soak workload (bench/load/soak_run.h) for SECONDS; then the server's resource
# accounting. Fails (exit 1) on any of:
#   - a wrong value, a failed request or a dropped connection (the generator's verdict);
#   - the server dying during the run, or not exiting 0 on SIGTERM;
#   - its descriptor count (/proc/PID/fd) not back to (at most) the count before the load;
#   - its RSS after the load above the RSS it had at the limit (sampled at mid-run, the cache
#     full by then) plus RSS_SLACK_KB: buffers grown for the load are given back, or at least
#     not kept growing. The absolute RSS is not bounded here. SOAK_CHECK_RSS=0 skips the check
#     (under ASan, freed memory sits in its quarantine and RSS keeps growing by design).
# Usage: scripts/soak.sh SERVER_BIN LOAD_BIN SECONDS
# Environment: SOAK_MB (the -m, default 16), SOAK_CLIENTS (default 8), SOAK_IO (uring|epoll),
# RSS_SLACK_KB (default 8192).
set -euo pipefail

server_bin=$1
load_bin=$2
seconds=$3
mb=${SOAK_MB:-16}
clients=${SOAK_CLIENTS:-8}
slack_kb=${RSS_SLACK_KB:-8192}
check_rss=${SOAK_CHECK_RSS:-1}
io_args=()
if [ -n "${SOAK_IO:-}" ]; then io_args=(--io="$SOAK_IO"); fi

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
user_args=()
if [ "$(id -u)" = 0 ]; then user_args=(-u nobody); fi
"$server_bin" -l 127.0.0.1 -p "$port" -m "$mb" -t 2 "${user_args[@]}" "${io_args[@]}" >"$log" 2>&1 &
pid=$!
cleanup() {
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$log"
}
trap cleanup EXIT

# The port accepts before the workers have set up their rings: wait for an answer to
# `version`, then for the descriptor count to hold still.
answers() {
  (exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'version\r\n' >&3 && read -r -t 2 line <&3 &&
    [[ $line == VERSION* ]]) 2>/dev/null
}
for _ in $(seq 100); do
  if answers; then break; fi
  sleep 0.1
done

fds() { find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 | wc -l; }
status_kb() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$pid/status"; }

fds_before=$(fds)
steady=0
for _ in $(seq 50); do
  sleep 0.1
  now=$(fds)
  if [ "$now" = "$fds_before" ]; then steady=$((steady + 1)); else steady=0 fds_before=$now; fi
  if [ "$steady" -ge 5 ]; then break; fi
done
rss_before=$(status_kb VmRSS)
failures=()

(sleep "$(awk -v s="$seconds" 'BEGIN { print s / 2 }')" && status_kb VmRSS >"$log.mid") &
sampler=$!
load_status=0
"$load_bin" -s "127.0.0.1:$port" --workload soak -c "$clients" --duration "$seconds" \
  --keys 20000 --value-size 100-4000 || load_status=$?
wait "$sampler" || true
rss_at_limit=$(cat "$log.mid" 2>/dev/null || echo 0)
rm -f "$log.mid"
if [ "$load_status" != 0 ]; then failures+=("the generator found errors (exit $load_status)"); fi

if ! kill -0 "$pid" 2>/dev/null; then
  failures+=("cuckood died during the run")
  cat "$log" >&2
  fds_after=- rss_after=- rss_peak=-
  server_status=crashed
else
  # The server closes its side of a connection when it reads the client's FIN: give it a moment.
  for _ in $(seq 50); do
    if [ "$(fds)" -le "$fds_before" ]; then break; fi
    sleep 0.1
  done
  fds_after=$(fds)
  rss_after=$(status_kb VmRSS)
  rss_peak=$(status_kb VmHWM)
  kill -TERM "$pid"
  server_status=0
  wait "$pid" || server_status=$?
  if [ "$fds_after" -gt "$fds_before" ]; then
    failures+=("descriptors: $fds_after after the load, $fds_before before")
  fi
  if [ "$check_rss" = 1 ] && [ "$rss_after" -gt $((rss_at_limit + slack_kb)) ]; then
    failures+=("RSS after the load ${rss_after} kB > ${rss_at_limit} kB at the limit + ${slack_kb} kB")
  fi
  if [ "$server_status" != 0 ]; then failures+=("cuckood exited $server_status on SIGTERM"); fi
fi
if grep -q -E 'ERROR: (AddressSanitizer|LeakSanitizer)|WARNING: ThreadSanitizer|runtime error:' "$log"; then
  failures+=("sanitizer report in the server's log")
  cat "$log" >&2
fi

printf '%-22s %12s %12s\n' "server" "before" "after"
printf '%-22s %12s %12s\n' "fds" "$fds_before" "$fds_after"
printf '%-22s %12s %12s\n' "RSS kB" "$rss_before" "$rss_after"
printf '%-22s %12s\n' "RSS kB at limit" "$rss_at_limit"
printf '%-22s %12s\n' "RSS kB peak (VmHWM)" "$rss_peak"
printf '%-22s %12s\n' "exit on SIGTERM" "$server_status"
if [ ${#failures[@]} -gt 0 ]; then
  printf 'soak FAILED: %s\n' "${failures[@]}" >&2
  exit 1
fi
echo "soak passed"
