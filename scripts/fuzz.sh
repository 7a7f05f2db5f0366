#!/usr/bin/env bash
# Fuzzes the protocol and network layers: builds tests/fuzz with clang (libFuzzer + ASan +
# UBSan) in build-fuzz and runs the targets side by side, each for SECONDS (default 60):
#   session_fuzz       a Session over CuckooCache; answers must not depend on read boundaries;
#   differential_fuzz  the same input on CuckooCache and on LibcuckooCache (the oracle); the
#                      answers must agree.
#   connection_fuzz    net/'s Connection driven as an engine drives it (short sends, pauses,
#                      -R yields, EOF, resets); what its client receives must be the answer of
#                      a Session fed each segment whole.
# They share the seed corpus tests/fuzz/corpus, GRAMMAR_INPUTS (default 2000) request
# sequences written by tests/fuzz/grammar_inputs.py into build-fuzz/grammar (the same ones on
# every run), and the dictionary tests/fuzz/fuzz.dict; what each finds new stays in
# build-fuzz/corpus/<target> (each also reads the others'), not in the source tree. With RUNS
# set instead, each runs that many inputs from a fixed seed, a bounded step that does not
# depend on the machine's speed (`make test-sanitize`, CI).
# A crash, sanitizer report or broken property fails the run and leaves the input in
# build-fuzz/<target>-crash-*; replay it with `build-fuzz/tests/fuzz/<target> FILE`
# (CUCKOOD_FUZZ_SHOW=1 prints the answers); the run ends by printing each failure's cause and
# input (base64). Each target's log is build-fuzz/<target>.log.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
limit=(-max_total_time="$seconds")
if [ -n "${RUNS:-}" ]; then limit=(-runs="$RUNS" -seed=1); fi
jobs=${JOBS:-$(nproc)}
targets=(session_fuzz differential_fuzz connection_fuzz)

CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCUCKOOD_FUZZ=ON -DCUCKOOD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j "$jobs" --target "${targets[@]}"

for target in "${targets[@]}"; do mkdir -p "build-fuzz/corpus/$target"; done
rm -rf build-fuzz/grammar
/usr/bin/python3 tests/fuzz/grammar_inputs.py build-fuzz/grammar "${GRAMMAR_INPUTS:-2000}"

pids=()
for target in "${targets[@]}"; do
  others=()
  for other in "${targets[@]}"; do
    if [ "$other" != "$target" ]; then others+=("build-fuzz/corpus/$other"); fi
  done
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "build-fuzz/tests/fuzz/$target" "${limit[@]}" -max_len=4096 \
    -dict=tests/fuzz/fuzz.dict -artifact_prefix="build-fuzz/$target-" -print_final_stats=1 \
    "build-fuzz/corpus/$target" "${others[@]}" tests/fuzz/corpus build-fuzz/grammar \
    >"build-fuzz/$target.log" 2>&1 &
  pids+=($!)
done

failed=()
for i in "${!targets[@]}"; do
  target=${targets[$i]}
  if wait "${pids[$i]}"; then
    grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|Done)' \
      "build-fuzz/$target.log" || true
    grep -E "^$target: " "build-fuzz/$target.log" || true
  else
    echo "$target FAILED (build-fuzz/$target.log):"
    grep -v -E '^(#[0-9]|	NEW_FUNC)' "build-fuzz/$target.log" | tail -n 120
    failed+=("$target")
  fi
done

# Last, where a log reader that keeps only the end still sees them: each failure's cause and
# the input that caused it, so that it can be replayed from the log alone.
for target in "${failed[@]}"; do
  echo "== $target failed:"
  grep -E '(ERROR|SUMMARY|broken: first difference|evicted|runtime error)' \
    "build-fuzz/$target.log" | head -n 6 || true
  for crash in "build-fuzz/$target"-{crash,leak,timeout,oom}-*; do
    if [ -f "$crash" ]; then
      echo "== replay: echo <base64 below> | base64 -d >in && build-fuzz/tests/fuzz/$target in"
      base64 -w 0 "$crash"
      echo
    fi
  done
done
[ "${#failed[@]}" -eq 0 ]
