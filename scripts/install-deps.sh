#!/usr/bin/env bash
# Installs, with apt, whatever cuckood needs and the machine lacks.
#   scripts/install-deps.sh build   — compiler, cmake, ninja and the libraries cuckood links
#   scripts/install-deps.sh test    — the above plus what the tests drive (memcached, clients, tools)
#   scripts/install-deps.sh bench   — the above plus what `make bench` draws with
# Debian's memcached package starts a service on 11211 when installed; a temporary
# policy-rc.d denies that start so that no stray server holds the port tests and users want.
set -euo pipefail

level=${1:-build}
build_pkgs=(g++ clang cmake ninja-build pkg-config libcuckoo-dev liburing-dev libxxhash-dev
            libgtest-dev libgmock-dev libbenchmark-dev clang-format)
test_pkgs=(memcached libmemcached-tools python3 python3-pymemcache python3-pylibmc
           libclang-rt-14-dev procps nutcracker)
bench_pkgs=(gnuplot-nox util-linux time)

wanted=("${build_pkgs[@]}")
case "$level" in
  build) ;;
  test) wanted+=("${test_pkgs[@]}") ;;
  bench) wanted+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod +x "$policy"
  own_policy=1
fi
cleanup() { [ "$own_policy" -eq 1 ] && $sudo rm -f "$policy"; return 0; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
