#!/usr/bin/env bash
# The load generator's own ceiling: `bash bench/ceiling.sh BUILD_DIR`.
#
# Runs one cuckood-load thread against memcached -t 1 (on separate CPUs when there are two) and
# divides the requests it completed by the CPU time it used itself (user + system, from
# /usr/bin/time). On a shared machine that figure — requests per generator CPU-second — is what
# stays meaningful: the run's requests/s also depend on how much CPU the server got.
set -euo pipefail

build=${1:?usage: bench/ceiling.sh BUILD_DIR}
load=$build/bench/cuckood-load
duration=${DURATION:-3}
[ -x "$load" ] || { echo "ceiling.sh: $load not built" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "ceiling.sh: /usr/bin/time missing (apt install time)" >&2; exit 1; }

server_cpu=() load_cpu=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  server_cpu=(taskset -c 0)
  load_cpu=(taskset -c 1)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
user=()
[ "$(id -u)" -eq 0 ] && user=(-u nobody)
"${server_cpu[@]}" /usr/bin/memcached -p "$port" -l 127.0.0.1 -t 1 -m 1024 -c 4096 "${user[@]}" &
server=$!
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done

"$load" -s "127.0.0.1:$port" -k 100000 --preload --requests 1 >/dev/null
printf '%-34s %10s %14s %22s\n' "generator setting" "ops/s" "gen CPU s" "requests per CPU-s"
for setting in "-c 32 -d 1" "-c 16 -d 8" "-c 16 -d 16" "-c 16 -d 16 --protocol binary"; do
  read -r -a args <<<"$setting"
  /usr/bin/time -f "%U %S" -o "$work/time" "${load_cpu[@]}" "$load" -s "127.0.0.1:$port" \
    -k 100000 --get-ratio 0.9 --duration "$duration" "${args[@]}" --json >"$work/out"
  python3 - "$setting" "$work/out" "$work/time" <<'PY'
import json, sys
r = json.load(open(sys.argv[2]))
user, system = map(float, open(sys.argv[3]).read().split()[-2:])
cpu = max(user + system, 1e-3)
print("%-34s %10.0f %14.2f %22.0f" % (sys.argv[1], r["ops_per_sec"], cpu, r["requests"] / cpu))
PY
done
