#!/usr/bin/env bash
# Fetches and unpacks Debian's memcached source package (upstream version MEMCACHED_VERSION,
# the newest Debian revision of it) into DIR, for `make compat`, and prints the source tree's
# path. apt reads only this project's deb-src list (compat/apt-sources/) and keeps its lists and
# caches under DIR/apt: the machine's apt configuration is passed over through -o options,
# never edited. A second run finds the unpacked tree and fetches nothing.
#   compat/fetch-memcached.sh DIR
set -euo pipefail

dir=$(realpath -m "${1:?usage: $0 DIR}")
version=${MEMCACHED_VERSION:-1.6.18}
here=$(cd "$(dirname "$0")" && pwd)
tree=$dir/memcached-$version
stamp=$tree/.cuckood-fetched

if [ -f "$stamp" ]; then
  echo "$tree"
  exit 0
fi

state=$dir/apt
mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$dir/download"
apt_opts=(
  -o "Dir::Etc::sourcelist=$state/none"
  -o "Dir::Etc::sourceparts=$here/apt-sources"
  -o "Dir::State::Lists=$state/lists"
  -o "Dir::Cache=$state/cache"
  -o "APT::Sandbox::User=root"
)

echo "fetching memcached $version's Debian source package into $dir" >&2
apt-get -qq "${apt_opts[@]}" update >&2
best=""
while read -r v; do
  case "$v" in "$version"-*) ;; *) continue ;; esac
  if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
done < <(apt-cache "${apt_opts[@]}" showsrc memcached | sed -n 's/^Version: //p')
if [ -z "$best" ]; then
  echo "no Debian source package of memcached $version in compat/apt-sources" >&2
  exit 1
fi

rm -rf "$tree"
(cd "$dir/download" && apt-get -qq "${apt_opts[@]}" source "memcached=$best" >&2)
mv "$dir/download/memcached-$version" "$tree"
echo "$best" >"$stamp"
echo "$tree"
