#!/usr/bin/env bash
# Runs make targets one after the other, stops at the first that fails, and prints where the time
# went (also on failure). Used by `make test`: timed-stages.sh lint test-unit infra-up ...
set -uo pipefail
names=()
secs=()
status=0
total_start=$SECONDS
for stage in "$@"; do
  start=$SECONDS
  echo "== [stage] $stage"
  ${MAKE:-make} --no-print-directory "$stage"
  status=$?
  names+=("$stage")
  secs+=($((SECONDS - start)))
  [ "$status" -eq 0 ] || break
done
echo "== where the time went"
for i in "${!names[@]}"; do
  printf '   %-18s %4dm%02ds\n' "${names[$i]}" $((secs[i] / 60)) $((secs[i] % 60))
done
total=$((SECONDS - total_start))
printf '   %-18s %4dm%02ds%s\n' total $((total / 60)) $((total % 60)) "$([ "$status" -eq 0 ] || echo " (failed in ${names[-1]})")"
exit "$status"
