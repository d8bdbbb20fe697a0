#!/bin/sh
# Nothing acknowledged is lost: kill -9 during a stream of submissions,
# five times; and fsync failures stop acknowledgements and turn /healthz
# unhealthy.  Every receipt that was returned must verify, after restart,
# against the new checkpoint with a consistency proof (no fork).
SUITE=crash
. tests/e2e/lib.sh
T=$(mktemp -d /tmp/dipr-crash.XXXXXX)
trap 'stop_server; rm -rf "$T"' EXIT
D=$T/data
"$DIPR" init --dir "$D" --origin crash.test/log >/dev/null
"$DIPR" user add a --role applicant --dir "$D" >/dev/null
TOK=$("$DIPR" token create --user a --dir "$D")
"$DIPR" keys --dir "$D" >"$T/vkeys"
mkdir -p "$T/rc"

# submitter ID N: posts fresh digests until the server goes away; keeps
# each receipt that was answered 200.
submitter() {
	id=$1; n=0
	while [ $n -lt 400 ]; do
		dg=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
		code=$(curl -s -o "$T/rc/$id-$n.tmp" -w '%{http_code}' -H "Authorization: Bearer $TOK" \
			-d "{\"digests\":{\"sm3\":\"$dg\"},\"size\":$n}" "$URL/api/v1/evidence" 2>/dev/null)
		if [ "$code" = 200 ]; then mv "$T/rc/$id-$n.tmp" "$T/rc/$id-$n.tlog-proof"; else rm -f "$T/rc/$id-$n.tmp"; fi
		[ "$code" = 000 ] && return
		n=$((n + 1))
	done
}

round=1
while [ $round -le 5 ]; do
	start_server "$D" || { bad "server starts (round $round)"; finish; }
	for s in 1 2 3 4; do submitter "r$round-s$s" & done
	sleep 1.5
	kill -9 "$SPID"; wait "$SPID" 2>/dev/null; SPID=""
	wait
	round=$((round + 1))
done
start_server "$D" || { bad "server restarts after kill -9"; finish; }
total=$(ls "$T/rc" | grep -c 'tlog-proof$')
[ "$total" -ge 10 ] && ok || bad "enough receipts were returned before the kills ($total)"
failed=0
for r in "$T"/rc/*.tlog-proof; do
	"$DIPR" verify "$r" --vkey "$T/vkeys" --server "$URL" >/dev/null 2>"$T/verr" || { failed=$((failed + 1)); cat "$T/verr" >&2; }
done
[ $failed = 0 ] && ok || bad "$failed of $total receipts do not verify against the restarted log"
expect_status 0 "audit after crashes" "$DIPR" audit --server "$URL" --vkey "$T/vkeys"
stop_server
expect_status 0 "audit --dir after crashes" "$DIPR" audit --dir "$D"

# The fault shim (tests/fault/failsync.c) fails or stalls dipr's own
# write/fsync: SQLite's I/O.  On PostgreSQL the server does that I/O.
if on_sqlite "$D" "write/fsync faults (LD_PRELOAD shim on dipr's own I/O)"; then
	# fsync fails: no acknowledgement, unhealthy; restart is healthy again.
	SO=$(dirname "$DIPR")/tests/failsync.so
	export DIPR_FAULT_TRIGGER="$T/fail-now"
	# ASan (make sanitize) wants to be first in the link order; the shim is harmless before it.
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" LD_PRELOAD="$SO" start_server "$D" || { bad "server starts under the fault shim"; finish; }
	printf 'before' >"$T/before.txt"
	expect_status 0 "attest before the fault" "$DIPR" attest "$T/before.txt" --server "$URL" --token "$TOK"
	touch "$T/fail-now"
	printf 'during' >"$T/during.txt"
	expect_status 2 "attest while fsync fails is not acknowledged" "$DIPR" attest "$T/during.txt" --server "$URL" --token "$TOK"
	grep -q "503" "$T/err" && ok || bad "the failed attest reports 503: $(cat "$T/err")"
	[ ! -e "$T/during.txt.tlog-proof" ] && ok || bad "no receipt for an unacknowledged entry"
	expect_http 503 "" "healthz unhealthy after fsync failure" "$URL/healthz"
	rm -f "$T/fail-now"
	expect_http 503 "" "still unhealthy: the sequencer stays stopped" "$URL/healthz"
	expect_http 503 unavailable "submissions refused while stopped" -H "Authorization: Bearer $TOK" -d '{"digests":{"sm3":"'$(printf '%064d' 0)'"},"size":0}' "$URL/api/v1/evidence"
	stop_server
	unset DIPR_FAULT_TRIGGER
	start_server "$D" || { bad "server restarts after the fault"; finish; }
	expect_http 200 "" "healthy after restart" "$URL/healthz"
	expect_status 0 "receipt from before the fault verifies" "$DIPR" verify "$T/before.txt.tlog-proof" --file "$T/before.txt" --vkey "$T/vkeys" --server "$URL"
	expect_status 0 "attest after restart" "$DIPR" attest "$T/during.txt" --server "$URL" --token "$TOK"
	expect_status 0 "audit after the fault" "$DIPR" audit --server "$URL" --vkey "$T/vkeys"
	stop_server

	# write errors (not just fsync) are refused the same way
	export DIPR_FAULT_TRIGGER="$T/fail-now" DIPR_FAULT_WRITES=1
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" LD_PRELOAD="$SO" start_server "$D" || { bad "server starts for the write fault"; finish; }
	touch "$T/fail-now"
	printf 'written' >"$T/written.txt"
	expect_status 2 "attest while writes fail is not acknowledged" "$DIPR" attest "$T/written.txt" --server "$URL" --token "$TOK"
	expect_http 503 "" "healthz unhealthy after a write failure" "$URL/healthz"
	rm -f "$T/fail-now"
	stop_server
	unset DIPR_FAULT_TRIGGER DIPR_FAULT_WRITES

	# a stalled disk fills the bounded queue: 503 with Retry-After, nothing lost
	export DIPR_FAULT_SLOW="$T/slow"
	SERVE_ARGS="--queue-max 2" ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" LD_PRELOAD="$SO" start_server "$D" || { bad "server starts for the queue test"; finish; }
	touch "$T/slow"
	pids=""
	for n in 1 2 3 4 5 6 7 8; do
		curl -s -o "$T/q$n.body" -D "$T/q$n.hdr" -w '%{http_code}' -H "Authorization: Bearer $TOK" \
			-d "{\"digests\":{\"sm3\":\"$(printf '%064d' $n)\"},\"size\":$n}" "$URL/api/v1/evidence" >"$T/q$n.code" &
		pids="$pids $!"
	done
	sleep 0.5
	rm -f "$T/slow"
	wait $pids # only the curls: a bare wait would also wait for the server
	n503=$(cat "$T"/q*.code | grep -o 503 | wc -l); n200=$(cat "$T"/q*.code | grep -o 200 | wc -l)
	[ "$n503" -ge 1 ] && ok || bad "a full queue answers 503 (got $(cat "$T"/q*.code | tr '\n' ' '))"
	[ $((n503 + n200)) = 8 ] && ok || bad "every request got 200 or 503"
	grep -l "^HTTP/1.1 503" "$T"/q*.hdr | head -1 | xargs grep -qi "^Retry-After: 1" && ok || bad "503 carries Retry-After"
	grep -l "^HTTP/1.1 503" "$T"/q*.hdr | head -1 | sed 's/hdr$/body/' | xargs jq -e '.error.code == "overloaded"' >/dev/null && ok || bad "503 says overloaded"
	expect_http 200 "" "healthy again once the disk catches up" "$URL/healthz"
	for f in "$T"/q*.code; do
		[ "$(cat "$f")" = 200 ] || continue
		cp "${f%.code}.body" "${f%.code}.tlog-proof"
		"$DIPR" verify "${f%.code}.tlog-proof" --vkey "$T/vkeys" --server "$URL" >/dev/null 2>&1 || bad "receipt $f from the queue test verifies"
	done
	ok
	unset DIPR_FAULT_SLOW
fi
finish
