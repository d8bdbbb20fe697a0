#!/bin/sh
# Runs tests/e2e/test_*.sh (or the suites named after the binary; a name
# with no file is skipped) with the dipr binary given; closing tally.
DIPR=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
export DIPR
shift
[ $# -gt 0 ] || set -- tests/e2e/test_*.sh
pass=0; fail=0; failed=""
for t in "$@"; do
	[ -f "$t" ] || { echo "e2e: $t: no such suite, skipped"; continue; }
	if sh "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); failed="$failed $t"; fi
done
echo "e2e suites: $pass passed, $fail failed"
[ "$fail" = 0 ] || { echo "failed:$failed" >&2; exit 1; }
