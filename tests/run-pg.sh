#!/bin/sh
# tests/run-pg.sh BUILD UNIT... — `make test-pg`: the storage tests on
# PostgreSQL (docs/POSTGRES.md §4.2-4.3).  Starts a throwaway cluster
# (scripts/pgtest.sh), stopped again on exit, also on failure; runs the unit
# test binaries given with DIPR_TEST_DB set (their store cases run on SQLite
# and then on PostgreSQL, each case in a fresh schema: tests/unit/pgtest.h)
# and the e2e suites below with DIPR = tests/e2e/pgwrap.sh, which gives
# every `dipr init` a fresh schema (--db).  Exit status 0 only if all passed.
set -u
[ $# -ge 1 ] || { echo "usage: $0 BUILD [UNIT_TEST_BINARY...]" >&2; exit 2; }
BUILD=$1
shift
[ -x "$BUILD/dipr" ] || { echo "$BUILD/dipr: not built (make BUILD=$BUILD)" >&2; exit 2; }

# e2e suites that touch storage, in two lanes run side by side (the
# longest first, alternating; every suite makes its own schemas, ports and
# temporary directories), then test_pgfaults alone: it terminates the
# sequencers' sessions and crashes the whole cluster.  Not here, SQLite only:
#   test_faults, test_diskfull: inject write/fsync failures and a full disk
#     into dipr's own file I/O (LD_PRELOAD tests/fault/failsync.c); on
#     PostgreSQL the server does that I/O (its faults: test_pgfaults)
#   test_backup: dipr backup/restore copy the SQLite file; PostgreSQL
#     directories are refused (pg_basebackup / pg_dump)
#   test_tamper: edits D/dipr.db with the sqlite3 shell; its PostgreSQL
#     twin is test_pgtamper
#   test_tls: nginx's TLS in front of dipr serve; its data directory only
#     carries the requests (the same registry steps run in test_registry)
#   test_render: renders a certificate file; the demo directory it makes
#     only supplies one (test_demo runs that demo on PostgreSQL)
# Parts of the suites below that are SQLite's own (sqlite3 inspections,
# the fsync fault shim) are skipped when D/db.conf exists, with a message.
E2E="test_multinode test_numbers test_openapi test_witness test_crash test_limits test_vectors test_demo
test_interop test_pgtamper test_registry test_regcrash test_migrate test_authz test_log test_records test_cert"
E2E_ALONE="test_pgfaults"

env=$(sh scripts/pgtest.sh start) || exit 2
eval "$env"
OUT=$(mktemp -d /tmp/dipr-testpg.XXXXXX)
trap 'sh scripts/pgtest.sh stop; rm -rf "$OUT"' EXIT
trap 'exit 130' INT TERM HUP

rc=0
[ $# = 0 ] || sh tests/run-unit.sh "$@" || rc=1
DIPR_PG_REAL=$(cd "$BUILD" && pwd)/dipr
export DIPR_PG_REAL
lane0=""; lane1=""; n=0
for s in $E2E; do
	if [ $((n % 2)) = 0 ]; then lane0="$lane0 tests/e2e/$s.sh"; else lane1="$lane1 tests/e2e/$s.sh"; fi
	n=$((n + 1))
done
alone=""
for s in $E2E_ALONE; do alone="$alone tests/e2e/$s.sh"; done
# lane 1 shows as it goes, lane 0 after it; both in the background, so a
# signal reaches the trap at once (sh runs it only between commands)
# shellcheck disable=SC2086
sh tests/e2e/run.sh tests/e2e/pgwrap.sh $lane0 >"$OUT/lane0" 2>&1 &
lane0_pid=$!
# shellcheck disable=SC2086
{ sh tests/e2e/run.sh tests/e2e/pgwrap.sh $lane1 2>&1; echo $? >"$OUT/lane1.rc"; } | tee "$OUT/lane1" &
lane1_pid=$!
trap 'kill $lane0_pid $lane1_pid 2>/dev/null; exit 130' INT TERM HUP
wait $lane0_pid || rc=1
wait $lane1_pid
trap 'exit 130' INT TERM HUP
[ "$(cat "$OUT/lane1.rc" 2>/dev/null)" = 0 ] || rc=1
cat "$OUT/lane0"
# shellcheck disable=SC2086
{ sh tests/e2e/run.sh tests/e2e/pgwrap.sh $alone 2>&1; echo $? >"$OUT/alone.rc"; } | tee "$OUT/alone"
[ "$(cat "$OUT/alone.rc")" = 0 ] || rc=1
tally=$(cat "$OUT/lane0" "$OUT/lane1" "$OUT/alone" |
	sed -n 's/^e2e suites: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' |
	awk '{ p += $1; f += $2 } END { printf "%d passed, %d failed", p, f }')
echo "test-pg: e2e suites on PostgreSQL: $tally"
exit $rc
