#!/usr/bin/env bash
# Builds cuckood's Debian package with dpkg-deb from the CMake install rules
# (packaging/CMakeLists.txt): configures BUILD_DIR (default build-deb) with the prefix /usr,
# builds only cuckood and its man page, installs them stripped into BUILD_DIR/deb-root, adds the
# control file (dependencies from dpkg-shlibdeps) and packaging/debian's maintainer scripts and
# conffiles, and prints the .deb's path (BUILD_DIR/cuckood_VERSION_ARCH.deb).
#   scripts/build-deb.sh [BUILD_DIR]      (CMAKE_FLAGS passes more options to cmake)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:-build-deb}")
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
  -DCUCKOOD_BENCH=OFF ${CMAKE_FLAGS:-} >/dev/null
if ! grep -q '^HELP2MAN:FILEPATH=/' "$build/CMakeCache.txt"; then
  echo "help2man is missing (scripts/install-deps.sh package installs it)" >&2
  exit 1
fi
cmake --build "$build" -j "$(nproc)" --target cuckood cuckood-man >&2

stage=$build/deb-root
rm -rf "$stage"
DESTDIR=$stage cmake --install "$build" --strip >/dev/null
gzip -9n "$stage/usr/share/man/man1/cuckood.1"

version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
if commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null); then
  version="$version+git$(git -C "$root" rev-list --count HEAD).$commit"
fi
arch=$(dpkg --print-architecture)

# dpkg-shlibdeps wants a debian/control to read; it gets a minimal one in a scratch directory.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/debian"
printf 'Source: cuckood\n\nPackage: cuckood\nArchitecture: any\n' >"$scratch/debian/control"
shlibs=$(cd "$scratch" && dpkg-shlibdeps -O "$stage/usr/bin/cuckood" 2>/dev/null |
         sed -n 's/^shlibs:Depends=//p')

mkdir -p "$stage/DEBIAN"
install -m 0755 "$root"/packaging/debian/{postinst,prerm,postrm} "$stage/DEBIAN/"
install -m 0644 "$root/packaging/debian/conffiles" "$stage/DEBIAN/"
cat >"$stage/DEBIAN/control" <<CONTROL
Package: cuckood
Version: $version
Architecture: $arch
Maintainer: cuckood developers <cuckood@localhost>
Installed-Size: $(du -sk --exclude=DEBIAN "$stage" | cut -f1)
Depends: $shlibs, adduser, init-system-helpers (>= 1.54~)
Section: web
Priority: optional
Description: memcached-compatible cache server (io_uring, cuckoo hashing)
 cuckood is a drop-in for memcached: clients use it unchanged over the text (classic and
 meta) and binary protocols. It runs as cuckood.service with its options in
 /etc/cuckood.conf, in the format of Debian's /etc/memcached.conf.
CONTROL

deb=$build/cuckood_${version}_${arch}.deb
rm -f "$build"/cuckood_*.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
