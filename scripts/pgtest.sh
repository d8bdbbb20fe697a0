#!/bin/sh
# A throwaway PostgreSQL cluster for the tests (docs/POSTGRES.md §4.2).
#
#   eval "$(scripts/pgtest.sh start)"   # sets DIPR_TEST_DB and DIPR_PG_DIR
#   scripts/pgtest.sh schema NAME       # fresh schema NAME in DIPR_TEST_DB;
#                                       # prints a conninfo that selects it
#   scripts/pgtest.sh stop              # stops the cluster, deletes DIPR_PG_DIR
#   scripts/pgtest.sh crash             # immediate stop, then start again
#
# The cluster listens on 127.0.0.1 only, on a free port, with its socket in
# its own temporary directory; authentication is `trust`, acceptable only
# because of that and because the directory is deleted by stop.  fsync is on
# (the store refuses to run without it); initdb's own --no-sync only skips
# flushing the new files once.  As root, the server runs as user postgres
# (initdb refuses root).  PGBIN overrides /usr/lib/postgresql/15/bin.
set -e
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

die() { echo "pgtest: $*" >&2; exit 1; }

# as_pg CMD...: runs CMD as the cluster's owner.
as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

random_port() {
	# 20000-59999, away from the usual ephemeral range's start
	echo $(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 + 20000 ))
}

start() {
	[ -x "$PGBIN/initdb" ] || die "$PGBIN/initdb not found (apt-get install postgresql, or set PGBIN)"
	T=$(mktemp -d /tmp/dipr-pg.XXXXXX)
	chmod 0700 "$T"
	[ "$(id -u)" = 0 ] && chown postgres "$T"
	if ! as_pg "$PGBIN/initdb" -D "$T/data" -A trust -U dipr -E UTF8 --locale=C.UTF-8 --no-sync \
		>"$T/initdb.log" 2>&1; then
		cat "$T/initdb.log" >&2
		rm -rf "$T"
		die "initdb failed"
	fi
	# A port taken by something else makes the start fail: try another.
	tries=0
	while :; do
		PORT=$(random_port)
		if as_pg "$PGBIN/pg_ctl" -D "$T/data" -l "$T/log" -w -t 30 -o "-c listen_addresses=127.0.0.1 \
-p $PORT -k $T -c fsync=on -c synchronous_commit=on -c max_connections=300" start >/dev/null 2>&1; then
			break
		fi
		tries=$((tries + 1))
		if [ $tries -ge 10 ]; then
			cat "$T/log" >&2 2>/dev/null || true
			rm -rf "$T"
			die "could not start PostgreSQL (see the log above)"
		fi
	done
	if ! "$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U dipr dipr_test >&2; then
		as_pg "$PGBIN/pg_ctl" -D "$T/data" -m immediate stop >/dev/null 2>&1 || true
		rm -rf "$T"
		die "createdb failed"
	fi
	echo "export DIPR_TEST_DB=postgresql://dipr@127.0.0.1:$PORT/dipr_test"
	echo "export DIPR_PG_DIR=$T"
}

stop() {
	[ -n "$DIPR_PG_DIR" ] || die "DIPR_PG_DIR is not set (eval the output of start)"
	[ -d "$DIPR_PG_DIR/data" ] || die "$DIPR_PG_DIR: not a cluster made by pgtest.sh start"
	as_pg "$PGBIN/pg_ctl" -D "$DIPR_PG_DIR/data" -m fast -w stop >/dev/null
	rm -rf "$DIPR_PG_DIR"
}

# crash: the whole cluster dies at once (immediate stop: no checkpoint, as
# on power loss for PostgreSQL's purposes), then starts again on the same
# port and runs crash recovery from its WAL.
crash() {
	[ -d "${DIPR_PG_DIR:-}/data" ] || die "DIPR_PG_DIR is not set (eval the output of start)"
	# restart reuses the previous start's options (postmaster.opts): port, socket dir
	as_pg "$PGBIN/pg_ctl" -D "$DIPR_PG_DIR/data" -l "$DIPR_PG_DIR/log" -m immediate -w -t 60 restart >/dev/null
}

schema() {
	name=$1
	[ -n "$DIPR_TEST_DB" ] || die "DIPR_TEST_DB is not set (eval the output of start)"
	case "$name" in
	"" | [!a-z_]* | *[!a-z0-9_]*) die "schema: want a name of [a-z0-9_], not '$name'" ;;
	esac
	"$PGBIN/psql" -q -X -v ON_ERROR_STOP=1 -d "$DIPR_TEST_DB" \
		-c "DROP SCHEMA IF EXISTS $name CASCADE" -c "CREATE SCHEMA $name" >/dev/null 2>"${TMPDIR:-/tmp}/pgtest.$$" ||
		{ cat "${TMPDIR:-/tmp}/pgtest.$$" >&2; rm -f "${TMPDIR:-/tmp}/pgtest.$$"; die "schema $name: failed"; }
	rm -f "${TMPDIR:-/tmp}/pgtest.$$"
	case "$DIPR_TEST_DB" in
	*\?*) echo "$DIPR_TEST_DB&options=-csearch_path%3D$name" ;;
	*) echo "$DIPR_TEST_DB?options=-csearch_path%3D$name" ;;
	esac
}

case "$1" in
start) start ;;
stop) stop ;;
schema) schema "$2" ;;
crash) crash ;;
*) die "usage: pgtest.sh start | stop | schema NAME | crash" ;;
esac
