#!/usr/bin/env bash
# Installs, with apt, whatever cuckood needs and the machine lacks.
#   scripts/install-deps.sh build   — compiler, cmake, ninja and the libraries cuckood links
#   scripts/install-deps.sh test    — the above plus what the tests drive (memcached, clients,
#                                     tools), and the npm clients (tests/integration/npm), which
#                                     scripts/install-npm-clients.sh puts in build/npm
#   scripts/install-deps.sh bench   — the above plus what `make bench` draws with and what
#                                     bench/profile.sh profiles with
#   scripts/install-deps.sh compat  — build, plus what `make compat` needs to fetch memcached's
#                                     source package and run its t/ suite (perl's prove; a C
#                                     compiler and libevent for the suite's timedrun helper and
#                                     the reference memcached-debug build; saslpasswd2 for
#                                     binary-sasl.t)
#   scripts/install-deps.sh package — build, plus what `make deb` needs (help2man, dpkg-dev)
# Several levels may be given at once (`install-deps.sh test package`).
# Debian's memcached package starts a service on 11211 when installed; a temporary
# policy-rc.d denies that start so that no stray server holds the port tests and users want.
set -euo pipefail

build_pkgs=(g++ clang cmake ninja-build pkg-config libcuckoo-dev liburing-dev libxxhash-dev
            libgtest-dev libgmock-dev libbenchmark-dev clang-format libsasl2-dev libssl-dev)
# The client matrix: php-memcached (libmemcached), spymemcached (java), node for the npm
# clients (tests/integration/npm).
test_pkgs=(memcached libmemcached-tools python3 python3-pymemcache python3-pylibmc
           libclang-rt-14-dev procps nutcracker sasl2-bin openssl python3-prometheus-client
           php-cli php-memcached libspymemcached-java default-jdk-headless nodejs)
# nodesource's nodejs (some dev machines and CI images) bundles npm and conflicts with Debian's
# npm package; Debian's nodejs needs it.
command -v npm >/dev/null || test_pkgs+=(npm)
# linux-perf: bench/profile.sh's server profiles (perf record).
bench_pkgs=(gnuplot-nox util-linux time linux-perf)
# The t/ suite's Perl modules (Test::More, IO::Socket::INET/UNIX, Time::HiRes, Data::Dumper,
# File::Temp) are all core perl; IO::Socket::SSL (libio-socket-ssl-perl) is loaded only under
# SSL_TEST, which compat/run-suite.sh sets for COMPAT_SSL_TEST=1 (the ssl_*.t files).
# binary-sasl.t makes its sasldb with saslpasswd2 (sasl2-bin).
compat_pkgs=(perl gcc make libevent-dev dpkg-dev xz-utils debian-archive-keyring coreutils
             sasl2-bin libio-socket-ssl-perl)
package_pkgs=(help2man dpkg-dev)

wanted=("${build_pkgs[@]}")
npm_clients=0
for level in "${@:-build}"; do
  case "$level" in
    build) ;;
    test) wanted+=("${test_pkgs[@]}"); npm_clients=1 ;;
    bench) wanted+=("${test_pkgs[@]}" "${bench_pkgs[@]}"); npm_clients=1 ;;
    compat) wanted+=("${compat_pkgs[@]}") ;;
    package) wanted+=("${package_pkgs[@]}") ;;
    *) echo "usage: $0 build|test|bench|compat|package ..." >&2; exit 2 ;;
  esac
done

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  [ "$npm_clients" -eq 0 ] || bash "$(dirname "$0")/install-npm-clients.sh"
  exit 0
fi

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
[ "$npm_clients" -eq 0 ] || bash "$(dirname "$0")/install-npm-clients.sh"
