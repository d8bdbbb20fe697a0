#!/bin/sh
# Runs every tests/e2e/test_*.sh with the dipr binary given; closing tally.
DIPR=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
export DIPR
pass=0; fail=0; failed=""
for t in tests/e2e/test_*.sh; do
	if sh "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); failed="$failed $t"; fi
done
echo "e2e suites: $pass passed, $fail failed"
[ "$fail" = 0 ] || { echo "failed:$failed" >&2; exit 1; }
