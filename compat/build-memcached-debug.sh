#!/usr/bin/env bash
# Builds memcached-debug — the binary memcached's t/ suite is written against (it carries the
# debug-only `debugtime` command the suite moves the clock with) — from the fetched source tree
# SRC in DIR/memcached-debug-build (a VPATH build; SRC stays as fetched), and prints its path.
# Configured as upstream's `make test` builds it: no SASL, no TLS, no proxy. Built once.
#   compat/build-memcached-debug.sh SRC DIR
set -euo pipefail

src=$(realpath "${1:?usage: $0 SRC DIR}")
dir=$(realpath -m "${2:?usage: $0 SRC DIR}")/memcached-debug-build
if [ ! -x "$dir/memcached-debug" ]; then
  echo "building memcached-debug from $src in $dir" >&2
  mkdir -p "$dir"
  (cd "$dir" && "$src/configure" --quiet --disable-dependency-tracking >&2 &&
    make -s -j "$(nproc)" memcached-debug >&2)
fi
echo "$dir/memcached-debug"
