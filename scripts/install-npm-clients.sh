#!/usr/bin/env bash
# Installs the npm clients the integration tests drive, at the versions pinned in
# tests/integration/npm/package-lock.json, into $CUCKOOD_NPM_DIR (default build/npm, which
# tests/integration/CMakeLists.txt hands the tests for the default build dir). Does nothing
# when that directory already holds exactly the pinned lock file's install.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
spec="$repo/tests/integration/npm"
dir=${CUCKOOD_NPM_DIR:-$repo/build/npm}

if [ -d "$dir/node_modules" ] && cmp -s "$spec/package-lock.json" "$dir/package-lock.json"; then
  exit 0
fi
echo "installing the npm clients into $dir"
mkdir -p "$dir"
cp "$spec/package.json" "$spec/package-lock.json" "$dir/"
# --ignore-scripts: none of the pinned packages has an install step, and none may run one.
(cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
