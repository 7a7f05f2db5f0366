#!/usr/bin/env bash
# Runs memcached's own t/*.t suite (Debian's memcached source package, fetched by
# compat/fetch-memcached.sh) against a server, the way upstream's `make test` runs it: each file
# under `prove` from a directory holding `memcached-debug` and `timedrun`, so that the suite's
# t/lib/MemcachedTest.pm starts the server itself with the suite's own flags, unchanged.
#
# For cuckood, `memcached-debug` is a two-line wrapper that execs cuckood with the same argv; it
# adds only `--debug-time` (cuckood's switch for memcached-debug's `debugtime` command, which the
# suite's mem_move_time sends). It never rewrites or drops a flag.
#
# Each file runs in its own process group under `timeout`; whatever it leaves running is killed
# by that group's id afterwards. Prints a per-file table (result | planned | ran | passed |
# failed) and a summary, also written to DIR/results-SERVER.txt (and .tsv), with each file's
# TAP output and stderr under DIR/logs-SERVER/.
#
#   compat/run-suite.sh [--server cuckood|memcached-debug|memcached] [--bin PATH] [--dir DIR]
#                       [--timeout SECONDS] [--out-timeout SECONDS] [--check] [NAME.t ...]
#     --server cuckood          BIN (default build/cuckood) behind the wrapper (the default)
#     --server memcached-debug  memcached-debug built from the same source (the reference)
#     --server memcached        /usr/bin/memcached (Debian's release build) behind a wrapper; it
#                               refuses the `-o relaxed_privileges` MemcachedTest.pm always adds
#                               (a memcached-debug sub-option), so no server starts: the suite
#                               needs the debug build, hence the reference above
#     --timeout SECONDS         cut a file that runs longer (default COMPAT_TIMEOUT or 300)
#     --out-timeout SECONDS     the cut for files compat/scope.txt puts out of scope (default the
#                               same): one of them (watcher.t) waits forever by design, so CI
#                               need not wait as long for those as for the files it judges
#     --check                   exit 1 unless every file compat/scope.txt puts in scope passes
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
server=cuckood
bin=build/cuckood
dir=build-compat
timeout_s=${COMPAT_TIMEOUT:-300}
out_timeout_s=
check=0
only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --server) server=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --out-timeout) out_timeout_s=$2; shift 2 ;;
    --check) check=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) only+=("$(basename "$1")"); shift ;;
  esac
done
scope=$here/scope.txt

src=$("$here/fetch-memcached.sh" "$dir")
dir=$(realpath "$dir")
run=$dir/run-$server
logs=$dir/logs-$server
rm -rf "$run" "$logs"
mkdir -p "$run" "$logs"
# The run directory stands for upstream's build directory: its own copy of t/ (some files write
# there), the rest of the source tree linked (line-lengths.t reads doc/protocol.txt).
cp -a "$src/t" "$run/t"
for entry in "$src"/*; do
  case "$(basename "$entry")" in t|memcached-debug|timedrun) ;; *) ln -s "$entry" "$run/" ;; esac
done
cc -O2 -o "$run/timedrun" "$src/timedrun.c"

case "$server" in
  cuckood)
    bin=$(realpath "$bin")
    [ -x "$bin" ] || { echo "no cuckood binary at $bin" >&2; exit 1; }
    printf '#!/bin/sh\n# memcached-debug for t/lib/MemcachedTest.pm: cuckood with the same argv.\nexec %q --debug-time "$@"\n' \
      "$bin" >"$run/memcached-debug"
    chmod +x "$run/memcached-debug"
    ;;
  memcached-debug)
    ln -s "$("$here/build-memcached-debug.sh" "$src" "$dir")" "$run/memcached-debug"
    ;;
  memcached)
    printf '#!/bin/sh\n# memcached-debug for t/lib/MemcachedTest.pm: the release memcached, same argv.\nexec /usr/bin/memcached "$@"\n' \
      >"$run/memcached-debug"
    chmod +x "$run/memcached-debug"
    ;;
  *) echo "unknown server $server" >&2; exit 2 ;;
esac

# Which files are in scope: "NAME.t in" or "NAME.t out <mechanism>: <why>" (compat/scope.txt).
declare -A in_scope=()
while read -r name verdict _; do
  case "$name" in ''|'#'*) continue ;; esac
  in_scope[$name]=$verdict
done <"$scope"

if [ ${#only[@]} -gt 0 ]; then
  files=("${only[@]}")
else
  files=()
  for f in "$src"/t/*.t; do files+=("$(basename "$f")"); done
fi

unset T_MEMD_USE_DAEMON SSL_TEST VALGRIND_TEST
# COMPAT_SSL_TEST=1: the suite's SSL_TEST (every server it starts gets -Z and its t/*.crt/key,
# and its clients speak TLS; the ssl_*.t files run instead of skipping). Needs IO::Socket::SSL.
if [ -n "${COMPAT_SSL_TEST:-}" ]; then export SSL_TEST=1; fi
# binary-sasl.t runs its SASL cases only when asked to (else it skips a server whose -h mentions
# SASL); it sets SASL_CONF_PATH to its own t/sasl and makes its sasldb with saslpasswd2.
export RUN_SASL_TESTS=1
table=$dir/results-$server.txt
tsv=$dir/results-$server.tsv
printf 'file\tscope\tresult\tplanned\tran\tpassed\tfailed\tseconds\n' >"$tsv"
fmt='%-30s %-5s %-7s %8s %8s %8s %8s %6s\n'
{
  echo "memcached $(cat "$src/.cuckood-fetched") t/ suite against $server ($(readlink -f "$run/memcached-debug" 2>/dev/null || true)), $(date -u '+%Y-%m-%d %H:%M UTC')"
  # shellcheck disable=SC2059
  printf "$fmt" file scope result planned ran passed failed secs
} | tee "$table"

declare -A count=()
scope_failures=()
missing_scope=()
sum_planned=0 sum_ran=0 sum_passed=0 sum_failed=0
for f in "${files[@]}"; do
  sc=${in_scope[$f]:-?}
  [ "$sc" = "?" ] && missing_scope+=("$f")
  limit=$timeout_s
  [ "$sc" = out ] && limit=${out_timeout_s:-$timeout_s}
  out=$logs/$f.tap
  err=$logs/$f.err
  start=$(date +%s)
  # setsid makes the job a process-group leader (its pid is the group id); timeout signals the
  # whole group when the file runs too long.
  (cd "$run" && exec setsid timeout -k 10 "$limit" prove -v "t/$f" >"$out" 2>"$err" </dev/null) &
  group=$!
  rc=0
  wait "$group" || rc=$?
  kill -KILL -- "-$group" 2>/dev/null || true
  secs=$(($(date +%s) - start))

  planned=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$out" | head -1)
  planned=${planned:-0}
  ran=$(grep -cE '^(not )?ok [0-9]+' "$out" || true)
  failed=$(grep -E '^not ok [0-9]+' "$out" | grep -vc '# TODO' || true)
  passed=$((ran - failed))
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    result=TIMEOUT
  elif [ "$rc" -eq 0 ] && grep -qE '^Result: NOTESTS' "$out"; then
    result=skip
  elif [ "$rc" -eq 0 ]; then
    result=pass
  else
    result=FAIL
  fi
  count[$result]=$((${count[$result]:-0} + 1))
  sum_planned=$((sum_planned + planned)) sum_ran=$((sum_ran + ran))
  sum_passed=$((sum_passed + passed)) sum_failed=$((sum_failed + failed))
  if [ "$sc" = in ] && [ "$result" != pass ]; then scope_failures+=("$f"); fi
  # shellcheck disable=SC2059
  printf "$fmt" "$f" "$sc" "$result" "$planned" "$ran" "$passed" "$failed" "$secs" | tee -a "$table"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$f" "$sc" "$result" "$planned" "$ran" "$passed" \
    "$failed" "$secs" >>"$tsv"
done

in_total=0 in_passed=0
while IFS=$'\t' read -r _ sc result _; do
  [ "$sc" = in ] || continue
  in_total=$((in_total + 1))
  [ "$result" = pass ] && in_passed=$((in_passed + 1))
done < <(tail -n +2 "$tsv")
{
  echo
  echo "files: ${#files[@]}; pass ${count[pass]:-0}, FAIL ${count[FAIL]:-0}, TIMEOUT ${count[TIMEOUT]:-0}, skip ${count[skip]:-0}"
  echo "subtests: planned $sum_planned, ran $sum_ran, passed $sum_passed, failed $sum_failed"
  echo "in scope (compat/scope.txt): $in_passed of $in_total pass"
  [ ${#scope_failures[@]} -eq 0 ] || echo "in scope, not passing: ${scope_failures[*]}"
  [ ${#missing_scope[@]} -eq 0 ] || echo "missing from compat/scope.txt: ${missing_scope[*]}"
  echo "table: $table; logs: $logs/"
} | tee -a "$table"

if [ "$check" -eq 1 ] && { [ ${#scope_failures[@]} -gt 0 ] || [ ${#missing_scope[@]} -gt 0 ]; }; then
  exit 1
fi
exit 0
