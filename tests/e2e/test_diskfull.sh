#!/bin/sh
# Filling the disk: the data directory on a 2 MiB tmpfs; submissions until
# writes fail with ENOSPC.  Nothing acknowledged may be lost, nothing
# unacknowledged may be half visible, the server must say unhealthy while
# it cannot write and be healthy after a restart with space again.
# Needs root (mount); skipped with a message otherwise.
SUITE=diskfull
. tests/e2e/lib.sh
T=$(mktemp -d /tmp/dipr-e2e.XXXXXX)
M=$T/mnt
mkdir -p "$M"
if ! mount -t tmpfs -o size=2m tmpfs "$M" 2>/dev/null; then
	echo "e2e diskfull: SKIPPED (cannot mount a tmpfs: not root?)"
	rm -rf "$T"
	exit 0
fi
trap 'stop_server; umount "$M" 2>/dev/null; rm -rf "$T"' EXIT
D=$M/data
"$DIPR" init --dir "$D" --origin full.test/log >/dev/null
"$DIPR" user add a --role applicant --dir "$D" >/dev/null
TOK=$("$DIPR" token create --user a --dir "$D")
"$DIPR" keys --dir "$D" >"$T/vkeys"
mkdir -p "$T/rc"
start_server "$D" || { bad "server starts"; finish; }
PAD=$(head -c 6000 /dev/zero | tr '\0' 'p')
filler() { # ID: posts ~6 KB evidence (metadata is stored) until refused
	n=0
	while [ $n -lt 400 ]; do
		code=$(curl -s -o "$T/rc/$1-$n.tmp" -w '%{http_code}' -H "Authorization: Bearer $TOK" \
			-d "{\"digests\":{\"sm3\":\"$(printf '%056d%08d' "$1" $n)\"},\"size\":$n,\"meta\":{\"pad\":\"$PAD\"}}" \
			"$URL/api/v1/evidence")
		if [ "$code" = 200 ]; then mv "$T/rc/$1-$n.tmp" "$T/rc/$1-$n.tlog-proof"; else rm -f "$T/rc/$1-$n.tmp"; break; fi
		n=$((n + 1))
	done
}
pids=""
for f in 1 2 3; do filler $f & pids="$pids $!"; done
wait $pids
total=$(ls "$T/rc" | grep -c 'tlog-proof$')
[ "$total" -gt 10 ] && ok || bad "receipts before the disk filled ($total)"
expect_http 503 "" "unhealthy once writes fail for lack of space" "$URL/healthz"
grep -q "sequencer stopped" "$T/serve.err" && ok || bad "the server says why it stopped: $(tail -2 "$T/serve.err")"
stop_server
# space again: the same tree, every acknowledged entry still there
mount -o remount,size=64m "$M" || bad "remount"
start_server "$D" || { bad "server restarts with space"; finish; }
expect_http 200 "" "healthy after restart" "$URL/healthz"
failed=0
for r in "$T"/rc/*.tlog-proof; do
	"$DIPR" verify "$r" --vkey "$T/vkeys" --server "$URL" >/dev/null 2>&1 || failed=$((failed + 1))
done
[ $failed = 0 ] && ok || bad "$failed of $total acknowledged receipts do not verify after the disk filled"
expect_status 0 "audit after the disk filled" "$DIPR" audit --server "$URL" --vkey "$T/vkeys"
printf 'after' >"$T/after.txt"
expect_status 0 "attest after space was freed" "$DIPR" attest "$T/after.txt" --server "$URL" --token "$TOK"
stop_server
expect_status 0 "audit --dir" "$DIPR" audit --dir "$D"
finish
