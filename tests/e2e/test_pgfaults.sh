#!/bin/sh
# PostgreSQL failing under two nodes and load: the sequencer's own database
# session is terminated mid-load (pg_terminate_backend), then the whole
# cluster dies at once and restarts (pg_ctl -m immediate: crash recovery
# from its WAL).  Each time a node sequences again by itself; every
# receipt answered 200 verifies against both nodes, no index is
# acknowledged twice, and the store audits clean.  The PostgreSQL
# counterpart of the SQLite fault suites (test_faults, test_crash).
# Runs under make test-pg (DIPR_TEST_DB set), on a cluster of its own.
SUITE=pgfaults
. tests/e2e/lib.sh
. tests/e2e/nodelib.sh
if [ -z "${DIPR_TEST_DB:-}" ]; then
	echo "e2e $SUITE: skipped: postgres (DIPR_TEST_DB unset; make test-pg runs it)"
	exit 0
fi
PSQL=${PGBIN:-/usr/lib/postgresql/15/bin}/psql
T=$(mktemp -d /tmp/dipr-pgf.XXXXXX)
# A cluster of its own: this suite kills sessions and the whole server,
# which must not reach suites running beside it on the shared one.
eval "$(sh scripts/pgtest.sh start)" || { echo "e2e $SUITE: cannot start a PostgreSQL cluster" >&2; exit 1; }
trap 'stop_all; sh scripts/pgtest.sh stop; [ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"' EXIT
DB=$(sh scripts/pgtest.sh schema "pgf_$$") || { bad "fresh schema"; finish; }
D1=$T/n1
"$DIPR" init --dir "$D1" --origin pgfaults.test/log --db "$DB" >/dev/null || { bad "init --db"; finish; }
"$DIPR" user add a --role applicant --dir "$D1" >/dev/null
TOK=$("$DIPR" token create --user a --dir "$D1")
"$DIPR" keys --dir "$D1" >"$T/vkeys"
cp -a "$D1" "$T/n2"
start_node 1 && start_node 2 && ok || { bad "two nodes start"; finish; }
write_urls 2
# wait_sequencer NAME: until exactly one node sequences (15 s at most)
wait_sequencer() {
	i=0
	while [ "$(sequencers 2 | wc -l)" != 1 ] && [ $i -lt 300 ]; do sleep 0.05; i=$((i + 1)); done
	[ "$(sequencers 2 | wc -l)" = 1 ] && ok || bad "$1: one node sequences again: [$(sequencers 2 | tr '\n' ' ')]"
}
wait_sequencer "at start"
mkdir -p "$T/rc"
touch "$T/go"
for s in 1 2 3; do submitter "s$s" "$TOK" 2 & done
sleep 1.5

# 1. The sequencer's session dies (what a DBA's pg_terminate_backend, a
#    connection pooler restart or a network cut does).
n0=$(ls "$T/rc" | grep -c 'tlog-proof$')
"$PSQL" -q -X -d "$DIPR_TEST_DB" -c "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted" >/dev/null &&
	ok || bad "terminate the sequencer's session"
sleep 0.5
wait_sequencer "after its session was terminated"
sleep 1.5
n1=$(ls "$T/rc" | grep -c 'tlog-proof$')
[ "$n1" -gt "$n0" ] && ok || bad "receipts again after the session was terminated ($n0 -> $n1)"

# 2. The whole cluster crashes and recovers.
sh scripts/pgtest.sh crash && ok || bad "cluster crash and restart"
wait_sequencer "after the cluster crashed"
sleep 2
n2=$(ls "$T/rc" | grep -c 'tlog-proof$')
[ "$n2" -gt "$n1" ] && ok || bad "receipts again after the cluster recovered ($n1 -> $n2)"
rm -f "$T/go"
wait_load
echo "e2e $SUITE: answers: $(cat "$T"/codes.* | sort | uniq -c | tr '\n' ' ')"

same_checkpoint 2 && ok || bad "both nodes serve the same checkpoint"
failed=$(verify_receipts 2)
[ "$failed" = 0 ] && ok || bad "$failed of $n2 x 2 receipt checks failed"
for r in "$T"/rc/*.tlog-proof; do sed -n 2p "$r"; done | sort | uniq -d >"$T/dups"
[ ! -s "$T/dups" ] && ok || bad "indexes acknowledged twice: $(head -3 "$T/dups")"
curl -s "$NURL_1/healthz" | jq -e '.status == "ok"' >/dev/null && curl -s "$NURL_2/healthz" | jq -e '.status == "ok"' >/dev/null &&
	ok || bad "both nodes healthy after the faults"
stop_all
expect_status 0 "audit --dir after the faults" "$DIPR" audit --dir "$D1"
SPID=""
finish
