#!/usr/bin/env bash
# The unit and stress tests under sanitizers, each in its own build tree:
#   build-asan  ASan + UBSan: every unit test binary, through `ctest -L unit`
#   build-tsan  TSan: cache_test only (the lock-free code lives in cache/; proto/ and net/
#               tests are single-threaded and would only double the CI time)
# Warnings are not errors here: sanitizer instrumentation makes GCC emit spurious ones
# (-Wmaybe-uninitialized, -Wrestrict); the Release `make test` build enforces -Werror.
# Heavy tests scale themselves down under a sanitizer (tests/cache/cuckoo_test_support.h).
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=${JOBS:-$(nproc)}
common=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCUCKOOD_BENCH=OFF)

echo "== ASan+UBSan (build-asan)"
cmake -S . -B build-asan "${common[@]}" -DCUCKOOD_ASAN=ON -DCUCKOOD_TSAN=OFF >/dev/null
cmake --build build-asan -j "$jobs"
(cd build-asan &&
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest -L unit --output-on-failure -j "$jobs" --timeout 900)

echo "== TSan (build-tsan)"
cmake -S . -B build-tsan "${common[@]}" -DCUCKOOD_TSAN=ON -DCUCKOOD_ASAN=OFF >/dev/null
cmake --build build-tsan -j "$jobs" --target cache_test
# Kernels with 32 bits of mmap randomness break TSan's fixed shadow layout ("unexpected
# memory mapping"); running without address randomisation avoids it.
norandom=()
if setarch "$(uname -m)" -R true 2>/dev/null; then norandom=(setarch "$(uname -m)" -R); fi
# libcuckoo's size() sums its per-lock counters without synchronisation by design (an
# approximate count); LibcuckooCache::stats() calls it while writers run.
printf 'race:libcuckoo::cuckoohash_map*::size\n' >build-tsan/tsan.supp
TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/build-tsan/tsan.supp" \
  "${norandom[@]}" build-tsan/tests/cache_test --gtest_brief=1
