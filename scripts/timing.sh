# shellcheck shell=bash
# Sourced by .ci/run and scripts/sanitize.sh: `timed LABEL COMMAND...` runs COMMAND and then
# prints its wall time and the CPU time of its processes (on a shared machine the wall time
# says more about the neighbours than about the step).

# Sets cpu_seconds to the CPU time of this shell's reaped children. `times` must run in this
# shell, not in a command substitution's subshell, which has no children of its own.
_cpu_now() {
  local out
  out=$(mktemp)
  times >"$out"
  cpu_seconds=$(awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/)
                               printf "%.0f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$out")
  rm -f "$out"
}

timed() {
  local label=$1 started=$SECONDS cpu_before
  shift
  echo "== $label"
  _cpu_now
  cpu_before=$cpu_seconds
  "$@"
  _cpu_now
  echo "== $label: $((SECONDS - started)) s, CPU $((cpu_seconds - cpu_before)) s"
}
