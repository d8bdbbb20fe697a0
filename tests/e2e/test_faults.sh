#!/bin/sh
# Fault injection at every call of the write path (docs/RELIABILITY.md):
# the calls one batch makes (write/pwrite/fsync/fdatasync on the data
# directory's files) are enumerated with the LD_PRELOAD shim
# (tests/fault/failsync.c), then for N = 1..K the Nth call fails with EIO
# (and ENOSPC).  For each N: nothing acknowledged is lost, the submission
# that met the fault is not acknowledged, /healthz says 503 until a
# restart, and after the restart the server is healthy and the whole
# directory verifies (dipr audit --dir: nothing half written is visible).
# FAULT_SWEEP=long: both errors at every N, a disk that stays broken
# (sticky), and batches of 4 concurrent submissions and a registry job.
SUITE=faults
. tests/e2e/lib.sh
. tests/e2e/reglib.sh
T=$(mktemp -d /tmp/dipr-faults.XXXXXX)
trap 'stop_server; rm -rf "$T"' EXIT
D=$T/data
setup_registry "$D"
"$DIPR" keys --dir "$D" >"$T/vkeys"
SO=$(dirname "$DIPR")/tests/failsync.so
[ -f "$SO" ] || { bad "$SO is built (make e2e builds it)"; finish; }
LONG=$([ "${FAULT_SWEEP:-}" = long ] && echo 1 || echo 0)
mkdir -p "$T/rc"
export DIPR_FAULT_ARM="$T/arm" DIPR_FAULT_LOG="$T/calls"
# ASan (make sanitize) wants to be first in the link order; the shim is harmless before it.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"
seq=0
# submit NAME: one evidence submission (with metadata, so an evidence row
# is written too); the receipt kept if 200; echoes the status.
submit() {
	seq=$((seq + 1))
	code=$(curl -s -o "$T/rc/$1.tmp" -w '%{http_code}' -H "Authorization: Bearer $ALICE" \
		-d "{\"digests\":{\"sm3\":\"$(printf '%056d%08d' 7 $seq)\"},\"size\":$seq,\"meta\":{\"n\":$seq}}" \
		"$URL/api/v1/evidence")
	if [ "$code" = 200 ]; then mv "$T/rc/$1.tmp" "$T/rc/$1.tlog-proof"; else rm -f "$T/rc/$1.tmp"; fi
	echo "$code"
}

# The calls of one batch: the second one after start (the first may also
# restart the WAL).
LD_PRELOAD="$SO" start_server "$D" || { bad "server starts under the shim"; finish; }
submit warm >/dev/null
: >"$T/calls"
touch "$T/arm"
[ "$(submit count)" = 200 ] && ok || bad "a batch under the shim (nothing failing) is acknowledged"
rm -f "$T/arm"
stop_server
K=$(wc -l <"$T/calls")
echo "faults: one batch makes $K counted calls: $(awk '{print $2}' "$T/calls" | sort | uniq -c | tr -s ' \n' ' ')"
[ "$K" -ge 3 ] && ok || bad "the batch's calls were counted ($K)"
K=$((K + 2)) # a margin: the first batch after start writes the WAL header too

injected=0; fired=0; rounds=0
# round N ERRNO STICKY: the Nth counted call after arming fails.
round() {
	n=$1; err=$2; sticky=$3; tag="n$n-$err-s$sticky"
	rounds=$((rounds + 1))
	: >"$T/calls"
	DIPR_FAULT_NTH=$n DIPR_FAULT_ERRNO=$err DIPR_FAULT_STICKY=$sticky LD_PRELOAD="$SO" start_server "$D" ||
		{ bad "$tag: server starts"; return; }
	[ "$(submit "$tag-before")" = 200 ] && ok || bad "$tag: submission before the fault is acknowledged"
	touch "$T/arm"
	if [ "$LONG" = 1 ]; then
		pids=""
		for i in 1 2 3 4; do submit "$tag-armed$i" >"$T/code.$i" & pids="$pids $!"; done
		api POST "/applications" "$ALICE" "$(cat "$T/doc.json")"
		wait $pids
		codes=$(cat "$T"/code.*)
	else
		codes=$(submit "$tag-armed1")
	fi
	rm -f "$T/arm"
	injected=$((injected + 1))
	if grep -q FAIL "$T/calls"; then
		fired=$((fired + 1))
		echo "$codes" | grep -q 200 && [ "$LONG" = 0 ] && bad "$tag: the submission that met the fault was acknowledged"
		expect_http 503 "" "$tag: healthz is 503 after the fault" "$URL/healthz"
		[ "$(submit "$tag-after")" = 503 ] && ok || bad "$tag: submissions refused after the fault"
		grep -q "sequencer stopped" "$T/serve.err" && ok || bad "$tag: the server says why: $(tail -2 "$T/serve.err")"
	else
		expect_http 200 "" "$tag: healthy when the fault did not fire" "$URL/healthz"
	fi
	stop_server
	start_server "$D" || { bad "$tag: server restarts after the fault: $(tail -3 "$T/serve.err")"; return; }
	expect_http 200 "" "$tag: healthy after restart" "$URL/healthz"
	for r in "$T"/rc/"$tag"-*.tlog-proof; do
		[ -e "$r" ] || continue
		"$DIPR" verify "$r" --vkey "$T/vkeys" --server "$URL" >/dev/null 2>"$T/verr" ||
			bad "$tag: acknowledged $(basename "$r") is lost: $(cat "$T/verr")"
	done
	stop_server
	"$DIPR" audit --dir "$D" >/dev/null 2>"$T/aerr" && ok || bad "$tag: audit --dir after the fault: $(head -3 "$T/aerr")"
}

make_doc_ok=0
if [ "$LONG" = 1 ]; then
	start_server "$D" && printf 'id,v\n1,2\n' >"$T/a.csv" &&
		"$DIPR" attest "$T/a.csv" --server "$URL" --token "$ALICE" -o "$T/a.tlog-proof" >/dev/null && make_doc_ok=1
	stop_server
	make_doc "$T/a.tlog-proof" >"$T/doc.json"
	[ $make_doc_ok = 1 ] && ok || bad "an evidence receipt for the registry job"
fi
n=1
while [ $n -le $K ]; do
	round $n EIO 0
	if [ "$LONG" = 1 ]; then
		round $n ENOSPC 0
		round $n EIO 1
	fi
	n=$((n + 1))
done
if [ "$LONG" = 0 ]; then # ENOSPC at the first write and the commit's fsync
	first_sync=$(grep -n fsync "$T/calls" | head -1 | cut -d: -f1)
	round 1 ENOSPC 0
	round "${first_sync:-2}" ENOSPC 0
fi
# every receipt of every round, against the final log
start_server "$D" || { bad "final restart"; finish; }
total=0; failed=0
for r in "$T"/rc/*.tlog-proof; do
	total=$((total + 1))
	"$DIPR" verify "$r" --vkey "$T/vkeys" --server "$URL" >/dev/null 2>&1 || failed=$((failed + 1))
done
[ $failed = 0 ] && ok || bad "$failed of $total acknowledged receipts do not verify at the end"
echo "faults: $rounds rounds, $injected faults armed, $fired fired (N past the batch's calls do not fire); $total acknowledged receipts verify"
finish
