# lib.sh — helpers for the end-to-end tests: a real server on a random
# loopback port, driven by the real dipr command and curl.
PASS=0
FAIL=0
# Under make sanitize: what cairo and fontconfig keep (the server renders
# certificate PDFs too) is theirs, not ours; see the file.
case "${LSAN_OPTIONS:-}" in
*render/lsan.supp*) ;;
*) LSAN_OPTIONS="suppressions=$PWD/tests/e2e/fixtures/render/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
	export LSAN_OPTIONS ;;
esac
FAILED=""
ok() { PASS=$((PASS + 1)); }
bad() { FAIL=$((FAIL + 1)); FAILED="$FAILED
  $1"; echo "FAIL: $1" >&2; }
# expect_status WANT NAME CMD...: runs CMD, checks its exit status.
expect_status() {
	want=$1; name=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"; got=$?
	if [ "$got" = "$want" ]; then ok; else bad "$name: exit $got, want $want: $(head -c 300 "$T/err")"; fi
}
# expect_http STATUS CODE NAME curl-args...: checks status and error.code.
expect_http() {
	want=$1; code=$2; name=$3; shift 3
	got=$(curl -s -o "$T/body" -w '%{http_code}' "$@")
	if [ "$got" != "$want" ]; then bad "$name: HTTP $got, want $want: $(head -c 200 "$T/body")"; return; fi
	if [ -n "$code" ]; then
		c=$(jq -r '.error.code' <"$T/body" 2>/dev/null)
		m=$(jq -r '.error.message' <"$T/body" 2>/dev/null)
		if [ "$c" != "$code" ] || [ -z "$m" ] || [ "$m" = null ]; then bad "$name: error.code '$c' want '$code' (message '$m')"; return; fi
	fi
	ok
}
# start_server DIR [extra env]: starts dipr serve on a free port; sets URL, SPID.
start_server() {
	dir=$1
	: >"$T/serve.out"
	"$DIPR" serve --dir "$dir" --listen 127.0.0.1:0 ${SERVE_ARGS:-} >"$T/serve.out" 2>"$T/serve.err" &
	SPID=$!
	i=0
	while ! grep -q '^serving ' "$T/serve.out" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 $SPID 2>/dev/null; then
			echo "server did not start: $(cat "$T/serve.err")" >&2
			SPID=""
			return 1
		fi
		sleep 0.05
	done
	URL=$(sed -n 's/^serving \(http[^ ]*\)\/$/\1/p' "$T/serve.out")
}
stop_server() {
	[ -n "${SPID:-}" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
	SPID=""
	# Under make sanitize the server reports leaks and errors at exit.
	if grep -q "Sanitizer\|runtime error" "$T/serve.err" 2>/dev/null; then
		bad "server sanitizer report: $(grep -m1 "Sanitizer\|runtime error" "$T/serve.err")"
		# SAN_KEEP=FILE keeps the whole report
		[ -z "${SAN_KEEP:-}" ] || cat "$T/serve.err" >>"$SAN_KEEP"
		: >"$T/serve.err"
	fi
}
# on_sqlite DIR WHAT: true when DIR's database is SQLite (DIR/dipr.db); on
# PostgreSQL (DIR/db.conf, make test-pg) says that WHAT, a part of the suite
# that is SQLite's own, is skipped, and is false.
on_sqlite() {
	[ -f "$1/db.conf" ] || return 0
	echo "e2e $SUITE: skipped on PostgreSQL: $2"
	return 1
}
# pg_dump_dir DIR: the SQL dump of DIR's PostgreSQL schema (make test-pg:
# the conninfo in DIR/db.conf selects it, as pgtest.sh schema wrote it).
pg_dump_dir() {
	_ci=$(grep -v '^#' "$1/db.conf" | head -1)
	"${PGBIN:-/usr/lib/postgresql/15/bin}/pg_dump" -d "$DIPR_TEST_DB" -n "${_ci##*search_path%3D}" --no-owner
}
# fork_dir SRC DST: a copy of data directory SRC that then grows apart from
# it (a fork, same keys and origin).  SQLite: cp -a.  PostgreSQL (make
# test-pg): the schema SRC/db.conf selects is copied too (pg_dump, renamed;
# the name pgtest.sh schema made is unique) and DST/db.conf names the copy.
fork_dir() {
	cp -a "$1" "$2" || return 1
	[ -f "$2/db.conf" ] || return 0
	_ci=$(grep -v '^#' "$1/db.conf" | head -1)
	_old=${_ci##*search_path%3D}
	_new=${_old}_fork$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	pg_dump_dir "$1" >"$2.dump" &&
		sed "s/\b$_old\b/$_new/g" "$2.dump" |
		"${PGBIN:-/usr/lib/postgresql/15/bin}/psql" -q -X -v ON_ERROR_STOP=1 -d "$DIPR_TEST_DB" >/dev/null &&
		rm -f "$2.dump" && printf '# a fork of %s (tests/e2e/lib.sh fork_dir)\n%s\n' "$_old" "${_ci%"$_old"}$_new" >"$2/db.conf"
}
finish() {
	stop_server
	echo "e2e $SUITE: $PASS passed, $FAIL failed"
	[ "$FAIL" = 0 ] || { echo "failed:$FAILED" >&2; exit 1; }
}
