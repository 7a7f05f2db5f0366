# Server start-up shared by the side-by-side benchmarks (bench/compare.sh, bench/bigmem.sh);
# sourced, not run. The caller sets:
#   memcached, cuckood   the two binaries; cuckood_args  extra cuckood options (array)
#   threads              -t of every server started
#   PIN                  auto: with >= 2 CPUs, servers on all CPUs but the last and the
#                        generator on the last one (taskset); anything else: no pinning
# and gets: $work (a temporary directory, removed on exit, with each server's log), pids (the
# servers started, stopped on exit), server_cpu/load_cpu (command prefixes) and $pinning.

work=$(mktemp -d)
pids=()
cleanup_servers() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup_servers EXIT

server_cpu=() load_cpu=() pinning="none (servers and generator share all $(nproc) CPUs)"
if [ "${PIN:-auto}" = auto ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  last=$(($(nproc) - 1))
  server_cpu=(taskset -c "0-$((last - 1))")
  load_cpu=(taskset -c "$last")
  pinning="servers on CPU 0-$((last - 1)), generator on CPU $last (taskset)"
  [ "$last" -eq 1 ] && pinning="servers on CPU 0, generator on CPU 1 (taskset)"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start NAME BINARY MEGABYTES [OPTION...]: starts a server on a free port with the options
# given after the usual ones, sets $port (and ${pids[-1]}).
start() {
  local name=$1 binary=$2 mb=$3 args
  shift 3
  port=$(free_port)
  args=(-p "$port" -l 127.0.0.1 -t "$threads" -m "$mb" -c 4096)
  if [ "$binary" = "$memcached" ] && [ "$(id -u)" -eq 0 ]; then args+=(-u nobody); fi
  if [ "$binary" = "$cuckood" ] && [ "$binary" != "$memcached" ]; then args+=("${cuckood_args[@]}"); fi
  args+=("$@")
  "${server_cpu[@]}" "$binary" "${args[@]}" >"$work/$name.log" 2>&1 &
  pids+=($!)
  # A plaintext connect is enough to see the port listen (a TLS port then closes it).
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.05
  done
  echo "${0##*/}: $name did not start: $(cat "$work/$name.log")" >&2
  exit 1
}

# stop_all: stops every server started so far.
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid"; wait "$pid" 2>/dev/null || true; done
  pids=()
}
