#!/bin/sh
# pgwrap.sh — stands in for the dipr binary when `make test-pg` runs the
# e2e suites on PostgreSQL (docs/POSTGRES.md §4.3): `dipr init` gets
# `--db` naming a fresh schema of its own in DIPR_TEST_DB, so every data
# directory a suite makes is on PostgreSQL; everything else, including
# `witness init` and an init that already names --db, goes through as is.
# exec keeps the pid: a suite that kills "$DIPR serve" by $! kills dipr.
#
#   DIPR_PG_REAL=build/dipr DIPR_TEST_DB=postgresql://... tests/e2e/run.sh tests/e2e/pgwrap.sh
[ -n "$DIPR_PG_REAL" ] || { echo "pgwrap: DIPR_PG_REAL (the dipr binary) is not set" >&2; exit 2; }
[ "$1" = init ] || exec "$DIPR_PG_REAL" "$@"
for a in "$@"; do
	case "$a" in --db | --db=*) exec "$DIPR_PG_REAL" "$@" ;; esac
done
[ -n "$DIPR_TEST_DB" ] || { echo "pgwrap: DIPR_TEST_DB is not set (scripts/pgtest.sh start)" >&2; exit 2; }
# pid and nanoseconds: pids are reused within a run, and pgtest.sh schema
# drops a schema of the same name first.
db=$(sh "$(dirname "$0")/../../scripts/pgtest.sh" schema "s_$$_$(date +%s%N)") || exit 2
exec "$DIPR_PG_REAL" "$@" --db "$db"
