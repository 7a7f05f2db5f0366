#!/usr/bin/env bash
# The Debian package: builds it (scripts/build-deb.sh), checks its contents, the man page against
# `cuckood --help`, the wrapper's reading of memcached.conf-style files, and then — as root, on a
# machine where cuckood is not already installed — that `dpkg -i` installs it (user, conffile,
# enabled unit, no server left running) and `dpkg -P` removes every trace. A policy-rc.d (as in
# scripts/install-deps.sh) keeps deb-systemd-invoke from starting the service where systemd runs.
#   tests/packaging/test_package.sh [BUILD_DIR]     (default build-deb)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath -m "${1:-$root/build-deb}")
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

deb=$("$root/scripts/build-deb.sh" "$build")
echo "package: $deb"
scratch=$(mktemp -d)
installed_here=0
own_policy=0
cleanup() {
  if [ "$installed_here" -eq 1 ] && dpkg -s cuckood >/dev/null 2>&1; then
    dpkg -P cuckood >/dev/null 2>&1 || true
  fi
  [ "$own_policy" -eq 1 ] && rm -f /usr/sbin/policy-rc.d
  rm -rf "$scratch"
}
trap cleanup EXIT

# --- contents -------------------------------------------------------------------------------
expected_files="./etc/cuckood.conf
./lib/systemd/system/cuckood.service
./usr/bin/cuckood
./usr/lib/tmpfiles.d/cuckood.conf
./usr/share/cuckood/scripts/systemd-cuckood-wrapper
./usr/share/man/man1/cuckood.1.gz"
files=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $6}' | sort)
if [ "$files" = "$expected_files" ]; then ok "files: $(echo "$files" | tr '\n' ' ')"
else fail "files differ from the expected list:"; diff <(echo "$expected_files") <(echo "$files") >&2 || true; fi
dpkg-deb -c "$deb" | awk '$6 == "./usr/bin/cuckood" && $1 != "-rwxr-xr-x" {exit 1} $2 != "root/root" {exit 1}' ||
  fail "ownership or mode"

info=$(dpkg-deb -I "$deb")
[ "$(dpkg-deb -f "$deb" Package)" = cuckood ] || fail "Package field"
depends=$(dpkg-deb -f "$deb" Depends)
for dep in 'libc6' 'liburing2' 'libxxhash0' 'libsasl2-2' 'libstdc++6' 'adduser'; do
  case ", $depends" in *", $dep "*|*", $dep,"*|*", $dep") ;; *) fail "Depends lacks $dep: $depends" ;; esac
done
ok "Depends: $depends"
for member in postinst prerm postrm conffiles; do
  grep -qE "^ +[0-9]+ bytes, +[0-9]+ lines +\*? *$member" <<<"$info" || fail "control member $member missing"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/cuckood.conf ||
  fail "/etc/cuckood.conf is not a conffile"
ok "maintainer scripts and conffiles present"

tree=$scratch/tree
dpkg-deb -x "$deb" "$tree"

unit=$tree/lib/systemd/system/cuckood.service
grep -qx 'ExecStart=/usr/share/cuckood/scripts/systemd-cuckood-wrapper /etc/cuckood.conf' "$unit" ||
  fail "unit's ExecStart"
for directive in PrivateTmp=true ProtectSystem=full NoNewPrivileges=true PrivateDevices=true \
                 'CapabilityBoundingSet=CAP_SETGID CAP_SETUID CAP_SYS_RESOURCE' \
                 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' MemoryDenyWriteExecute=true \
                 WantedBy=multi-user.target; do
  grep -qx "$directive" "$unit" || fail "unit lacks $directive"
done
ok "unit: ExecStart and hardening directives"

# The man page is help2man's rendering of --help: every long option --help lists is in it.
man=$(gzip -dc "$tree/usr/share/man/man1/cuckood.1.gz" | sed 's/\\-/-/g')
grep -q '^\.TH CUCKOOD "1"' <<<"$man" || fail "man page header"
help=$("$tree/usr/bin/cuckood" --help)
missing=0
for opt in $(grep -oE -- '--[a-z][a-z0-9-]+' <<<"$help" | sort -u); do
  grep -qF -- "$opt" <<<"$man" || { fail "man page lacks $opt"; missing=1; }
done
[ "$missing" -eq 0 ] && ok "man page lists all $(grep -oE -- '--[a-z][a-z0-9-]+' <<<"$help" | sort -u | wc -l) long options of --help"
grep -q '/etc/cuckood.conf' <<<"$man" || fail "man page's FILES section"

# The wrapper reads memcached.conf's format: the shipped file, and a Debian-style one without -u.
wrapper=$tree/usr/share/cuckood/scripts/systemd-cuckood-wrapper
got=$(CUCKOOD_WRAPPER_PRINT=1 "$wrapper" "$tree/etc/cuckood.conf")
want="/usr/bin/cuckood -m 64 -p 11211 -u cuckood -l 127.0.0.1 -P /run/cuckood/cuckood.pid"
[ "$got" = "$want" ] && ok "wrapper, shipped file: $got" || fail "wrapper, shipped file: '$got' != '$want'"
cat >"$scratch/memcached.conf" <<'EOF'
# Run memcached as a daemon.
-d
logfile /var/log/memcached.log
  -m 128   # trailing comment
-vv
-l 127.0.0.1,::1
-o idle_timeout=60,hashpower=20
EOF
got=$(CUCKOOD_WRAPPER_PRINT=1 "$wrapper" "$scratch/memcached.conf")
want="/usr/bin/cuckood -m 128 -vv -l 127.0.0.1,::1 -o idle_timeout=60,hashpower=20 -u cuckood"
[ "$got" = "$want" ] && ok "wrapper, memcached.conf: $got" || fail "wrapper, memcached.conf: '$got' != '$want'"

# --- install and purge ------------------------------------------------------------------------
running_installed_cuckood() {
  local exe
  for exe in /proc/[0-9]*/exe; do
    [ "$(readlink "$exe" 2>/dev/null)" = /usr/bin/cuckood ] && return 0
  done
  return 1
}
leftovers() {
  local path
  for path in /usr/bin/cuckood /etc/cuckood.conf /lib/systemd/system/cuckood.service \
              /usr/lib/tmpfiles.d/cuckood.conf /usr/share/cuckood /usr/share/man/man1/cuckood.1.gz \
              /run/cuckood /etc/systemd/system/cuckood.service; do
    [ -e "$path" ] || [ -L "$path" ] && echo "$path"
  done
  find /etc/systemd/system /var/lib/systemd/deb-systemd-helper-enabled \
       /var/lib/systemd/deb-systemd-helper-masked -name '*cuckood*' 2>/dev/null || true
  getent passwd cuckood >/dev/null && echo "user cuckood"
  getent group cuckood >/dev/null && echo "group cuckood"
  return 0
}

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP install/purge: needs root"
elif dpkg -s cuckood >/dev/null 2>&1; then
  echo "SKIP install/purge: a cuckood package is already installed here"
elif [ -n "$(leftovers)" ]; then
  echo "SKIP install/purge: this machine already has cuckood's paths or user: $(leftovers | tr '\n' ' ')"
else
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    own_policy=1
  fi
  installed_here=1
  if dpkg -i "$deb" >"$scratch/dpkg-i.log" 2>&1; then
    ok "dpkg -i"
    [ "$(dpkg-query -W -f='${Status}' cuckood)" = "install ok installed" ] || fail "status after dpkg -i"
    for path in /usr/bin/cuckood /etc/cuckood.conf /lib/systemd/system/cuckood.service \
                /usr/share/man/man1/cuckood.1.gz /usr/share/cuckood/scripts/systemd-cuckood-wrapper; do
      [ -e "$path" ] || fail "$path not installed"
    done
    /usr/bin/cuckood --version >/dev/null || fail "installed cuckood --version"
    IFS=: read -r _ _ _ _ _ home shell < <(getent passwd cuckood) || fail "no user cuckood"
    [ "${home:-}" = /nonexistent ] && [ "${shell:-}" = /usr/sbin/nologin ] ||
      fail "user cuckood: home '${home:-}', shell '${shell:-}'"
    dpkg-query -W -f='${Conffiles}\n' cuckood | grep -q '^ /etc/cuckood.conf ' ||
      fail "dpkg does not track /etc/cuckood.conf as a conffile"
    [ -L /etc/systemd/system/multi-user.target.wants/cuckood.service ] ||
      fail "unit not enabled (no multi-user.target.wants link)"
    [ -d /run/cuckood ] && [ "$(stat -c %U /run/cuckood)" = cuckood ] || fail "/run/cuckood"
    if command -v systemd-analyze >/dev/null; then
      systemd-analyze verify /lib/systemd/system/cuckood.service >"$scratch/verify.log" 2>&1 ||
        { fail "systemd-analyze verify"; cat "$scratch/verify.log" >&2; }
    fi
    if [ -d /run/systemd/system ] && systemctl is-active --quiet cuckood; then
      fail "cuckood.service is running after dpkg -i"
    fi
    running_installed_cuckood && fail "an installed /usr/bin/cuckood is running after dpkg -i"
    ok "installed: files, user cuckood, conffile, unit enabled and verified, nothing started"
  else
    fail "dpkg -i"; cat "$scratch/dpkg-i.log" >&2
  fi
  if dpkg -P cuckood >"$scratch/dpkg-P.log" 2>&1; then
    ok "dpkg -P"
    installed_here=0
  else
    fail "dpkg -P"; cat "$scratch/dpkg-P.log" >&2
  fi
  dpkg -s cuckood >/dev/null 2>&1 && fail "still known to dpkg after dpkg -P"
  left=$(leftovers)
  [ -z "$left" ] && ok "purged: no file, link, state or user left" || fail "left after dpkg -P: $left"
fi

if [ "$failures" -gt 0 ]; then
  echo "package test: $failures failure(s)" >&2
  exit 1
fi
echo "package test: OK"
