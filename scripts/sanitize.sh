#!/usr/bin/env bash
# The tests under sanitizers, each sanitizer in its own build tree:
#   build-asan  ASan + UBSan (clang): every unit test binary (`ctest -L unit`), then every
#               integration script on both io engines against the instrumented cuckood, then
#               a 30-s soak (scripts/soak.sh) against it
#   build-tsan  TSan (clang): the cache/, proto/ and net/ unit tests, then every integration
#               script on both io engines against the instrumented cuckood
# The servers under test run with several workers (the default -t 4, or -t 2 where a test
# says), so connections on different workers share the cache and its reclamation.
# A report fails the run: unit tests abort or halt on the first one; an instrumented server
# halts too, and tests/integration/harness.py fails any test whose server's log holds a report
# (whatever the exit status). CUCKOOD_SANITIZER tells the integration tests that the server
# is instrumented: checks of its RSS (shadow memory counts in it) and of mlockall (a no-op
# under a sanitizer) skip themselves.
# The integration tests drive the server with the release build's cuckood-load (`make test`
# builds it) when it is there; the sanitized trees do not build bench/.
# Why clang for TSan: GCC does not instrument std::atomic_thread_fence at all (it warns);
# clang does, although LLVM's runtime still derives no happens-before from a fence. Why clang
# for ASan: it builds the instrumented tree much faster than GCC on the CI's two
# cores (GCC's Release build, `make test`, stays the one with -Werror). Warnings are not
# errors here: sanitizer instrumentation makes compilers emit spurious ones
# (-Wmaybe-uninitialized, -Wrestrict).
# Heavy tests scale themselves down under a sanitizer (tests/cache/cuckoo_test_support.h).
# CMAKE_FLAGS (e.g. -DCMAKE_CXX_COMPILER_LAUNCHER=ccache) is passed to both configures.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=${JOBS:-$(nproc)}
# shellcheck disable=SC2206  # CMAKE_FLAGS is a list of flags
common=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCUCKOOD_BENCH=OFF ${CMAKE_FLAGS:-})
load_bin=$PWD/${BUILD_DIR:-build}/bench/cuckood-load
if [ -x "$load_bin" ]; then export CUCKOOD_LOAD_BIN=$load_bin; fi

source scripts/timing.sh

# A tree configured with another compiler (GCC, before clang was used here) cannot switch.
drop_unless_clang() {  # build directory
  if [ -f "$1/CMakeCache.txt" ] && ! grep -q '^CMAKE_CXX_COMPILER:.*clang' "$1/CMakeCache.txt"; then
    rm -rf "$1"
  fi
}
asan_build() {
  drop_unless_clang build-asan
  CC=clang cmake -S . -B build-asan "${common[@]}" -DCMAKE_CXX_COMPILER=clang++ -DCUCKOOD_ASAN=ON \
    -DCUCKOOD_TSAN=OFF >/dev/null
  cmake --build build-asan -j "$jobs"
}
asan_ctest() {  # ctest's arguments
  (cd build-asan &&
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      CUCKOOD_SANITIZER=asan ctest --output-on-failure -j "$jobs" --timeout 900 "$@")
}
# The soak (scripts/soak.sh) against the instrumented server, shortened; needs the release
# build's cuckood-load.
asan_soak() {
  if [ ! -x "$load_bin" ]; then
    echo "no $load_bin: soak skipped (make test builds it)"
    return
  fi
  SOAK_CHECK_RSS=0 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 bash scripts/soak.sh build-asan/cuckood "$load_bin" 30
}
tsan_build() {
  drop_unless_clang build-tsan
  CC=clang cmake -S . -B build-tsan "${common[@]}" -DCMAKE_CXX_COMPILER=clang++ -DCUCKOOD_TSAN=ON \
    -DCUCKOOD_ASAN=OFF >/dev/null
  cmake --build build-tsan -j "$jobs" --target cache_test proto_test net_test cuckood
  # libcuckoo's size() sums its per-lock counters without synchronisation by design (an
  # approximate count); LibcuckooCache::stats() calls it while writers run.
  printf 'race:libcuckoo::cuckoohash_map*::size\n' >"$tsan_supp"
}
# Kernels with 32 bits of mmap randomness break TSan's fixed shadow layout ("unexpected
# memory mapping"); running without address randomisation avoids it. The personality is
# inherited, so under ctest it reaches the servers the integration tests start.
norandom=()
if setarch "$(uname -m)" -R true 2>/dev/null; then norandom=(setarch "$(uname -m)" -R); fi
tsan_supp=$PWD/build-tsan/tsan.supp
tsan() {  # a command and its arguments
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$tsan_supp" \
    "${norandom[@]}" "$@"
}
tsan_unit() {
  for test in cache_test proto_test net_test; do
    tsan "build-tsan/tests/$test" --gtest_brief=1
  done
}
tsan_integration() {
  (cd build-tsan &&
    CUCKOOD_SANITIZER=tsan tsan ctest -L integration --output-on-failure -j "$jobs" --timeout 900)
}

timed "ASan+UBSan build (build-asan, clang)" asan_build
timed "ASan+UBSan unit tests" asan_ctest -L unit
timed "ASan+UBSan cuckood: integration tests" asan_ctest -L integration
timed "ASan+UBSan cuckood: soak (30 s)" asan_soak
timed "TSan build (build-tsan, clang)" tsan_build
timed "TSan unit tests (cache, proto, net)" tsan_unit
timed "TSan cuckood: integration tests" tsan_integration
