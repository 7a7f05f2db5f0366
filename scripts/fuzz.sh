#!/usr/bin/env bash
# Fuzzes the protocol decoders: builds tests/fuzz with clang (libFuzzer + ASan + UBSan) in
# build-fuzz and runs session_fuzz for SECONDS (default 60) from the seed corpus in
# tests/fuzz/corpus with the dictionary tests/fuzz/fuzz.dict (what it finds new stays in
# build-fuzz/corpus, not in the source tree).
# With RUNS set instead, it runs that many inputs from a fixed seed, a bounded step that does
# not depend on the machine's speed (`make test-sanitize`, CI).
# A crash, sanitizer report or broken property (tests/fuzz/session_fuzz.cc) fails the run and
# leaves the input in build-fuzz/crash-*; replay it with `build-fuzz/tests/fuzz/session_fuzz FILE`.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
limit=(-max_total_time="$seconds")
if [ -n "${RUNS:-}" ]; then limit=(-runs="$RUNS" -seed=1); fi
jobs=${JOBS:-$(nproc)}

CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCUCKOOD_FUZZ=ON -DCUCKOOD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j "$jobs" --target session_fuzz

mkdir -p build-fuzz/corpus
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  build-fuzz/tests/fuzz/session_fuzz "${limit[@]}" -max_len=4096 -dict=tests/fuzz/fuzz.dict \
  -artifact_prefix=build-fuzz/ -print_final_stats=1 \
  build-fuzz/corpus tests/fuzz/corpus
