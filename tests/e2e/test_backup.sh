#!/bin/sh
# Backup and restore (docs/RELIABILITY.md): dipr backup takes a consistent
# snapshot while dipr serve runs under load; dipr restore checks it (file,
# tree, signatures with the target directory's keys, seals) and refuses a
# backup older than the newest published checkpoint unless told to accept
# the rollback.  Every receipt issued before the backup verifies against
# the restored server, whose log then grows as a consistent extension.
SUITE=backup
. tests/e2e/lib.sh
T=$(mktemp -d /tmp/dipr-backup.XXXXXX)
trap 'stop_server; rm -rf "$T"' EXIT
D=$T/data
"$DIPR" init --dir "$D" --origin backup.test/log >/dev/null
"$DIPR" user add a --role applicant --dir "$D" >/dev/null
TOK=$("$DIPR" token create --user a --dir "$D")
"$DIPR" keys --dir "$D" >"$T/vkeys"
mkdir -p "$T/rc"

# submitter ID: posts fresh digests (with metadata) until $T/stop exists;
# keeps each receipt answered 200 and each request's latency.
submitter() {
	id=$1; n=0
	while [ ! -e "$T/stop" ]; do
		dg=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
		out=$(curl -s -o "$T/rc/$id-$n.tmp" -w '%{http_code} %{time_total}' -H "Authorization: Bearer $TOK" \
			-d "{\"digests\":{\"sm3\":\"$dg\"},\"size\":$n,\"meta\":{\"by\":\"$id\"}}" "$URL/api/v1/evidence")
		echo "${out#* }" >>"$T/lat"
		if [ "${out%% *}" = 200 ]; then mv "$T/rc/$id-$n.tmp" "$T/rc/$id-$n.tlog-proof"; else rm -f "$T/rc/$id-$n.tmp"; fi
		n=$((n + 1))
	done
}

start_server "$D" || { bad "server starts"; finish; }
pids=""
for s in 1 2 3 4; do submitter "s$s" & pids="$pids $!"; done
sleep 1.5
# receipts answered before the backup starts, and the checkpoint then
ls "$T/rc" | grep 'tlog-proof$' >"$T/pre.list"
curl -s "$URL/checkpoint" >"$T/cp-pre"
expect_status 0 "backup while the server runs under load" "$DIPR" backup --dir "$D" --out "$T/b.db"
cat "$T/out"
grep -q "read transaction held" "$T/out" && ok || bad "backup says how long it held its read transaction: $(cat "$T/out")"
[ "$(stat -c %a "$T/b.db")" = 600 ] && ok || bad "the backup file is mode 600 ($(stat -c %a "$T/b.db"))"
ls "$T" | grep -q 'b.db.tmp' && bad "no temporary file left" || ok
expect_status 2 "backup never overwrites a file" "$DIPR" backup --dir "$D" --out "$T/b.db"
sleep 1 # more receipts after the backup: the fork hazard
touch "$T/stop"
wait $pids # not a bare wait: that would wait for the server too
curl -s "$URL/checkpoint" >"$T/cp-final"
npre=$(wc -l <"$T/pre.list")
ntotal=$(ls "$T/rc" | grep -c 'tlog-proof$')
[ "$npre" -ge 5 ] && [ "$ntotal" -gt "$npre" ] && ok || bad "receipts before ($npre) and after ($ntotal in all) the backup"
echo "backup: $npre receipts before the backup, $ntotal in all; max submission latency $(sort -n "$T/lat" | tail -1) s"
stop_server

# a target directory: the original keys, no database
mkdir -p "$T/d2"; cp -r "$D/keys" "$T/d2/keys"
expect_status 2 "restore wants --expect-checkpoint or --accept-rollback" "$DIPR" restore --from "$T/b.db" --dir "$T/d2"
grep -q -- "--expect-checkpoint" "$T/err" && ok || bad "says what to give: $(cat "$T/err")"
expect_status 1 "restore refuses a backup older than the newest checkpoint" \
	"$DIPR" restore --from "$T/b.db" --dir "$T/d2" --expect-checkpoint "$T/cp-final"
grep -q "refusing" "$T/err" && grep -q "receipts for entries" "$T/err" && ok || bad "says why: $(cat "$T/err")"
[ ! -e "$T/d2/dipr.db" ] && ok || bad "nothing restored after a refusal"
ls "$T/d2" | grep -q restore && bad "no temporary file left after a refusal" || ok
# a changed backup is refused
cp "$T/b.db" "$T/bad.db"
sqlite3 "$T/bad.db" "UPDATE entry SET data = CAST(replace(CAST(data AS TEXT), '\"v\":1', '\"v\":2') AS BLOB) WHERE idx = 3"
expect_status 1 "restore refuses a changed backup" "$DIPR" restore --from "$T/bad.db" --dir "$T/d2" --accept-rollback
[ ! -e "$T/d2/dipr.db" ] && ok || bad "nothing restored from a changed backup"
# another log's keys: the signatures do not verify
"$DIPR" init --dir "$T/other" --origin backup.test/log >/dev/null
mkdir -p "$T/d3"; cp -r "$T/other/keys" "$T/d3/keys"
expect_status 1 "restore refuses a backup signed by other keys" "$DIPR" restore --from "$T/b.db" --dir "$T/d3" --accept-rollback
grep -q "checkpoint" "$T/err" && ok || bad "names the checkpoint: $(head -3 "$T/err")"
# the checkpoint published just before the backup: contained in it
expect_status 0 "restore with the checkpoint seen before the backup" \
	"$DIPR" restore --from "$T/b.db" --dir "$T/d2" --expect-checkpoint "$T/cp-pre"
grep -q "^restore: .* tree size [0-9]*, checkpoint size [0-9]*, root " "$T/out" && ok || bad "prints size and root: $(cat "$T/out")"
rsize=$(sed -n 's/.* tree size \([0-9]*\),.*/\1/p' "$T/out" | tail -1)
[ "$(stat -c %a "$T/d2/dipr.db")" = 600 ] && ok || bad "the restored database is mode 600"
expect_status 0 "audit --dir of the restored directory" "$DIPR" audit --dir "$T/d2"

start_server "$T/d2" || { bad "the restored server starts"; finish; }
failed=0
while read -r r; do
	"$DIPR" verify "$T/rc/$r" --vkey "$T/vkeys" --server "$URL" >/dev/null 2>"$T/verr" || { failed=$((failed + 1)); cat "$T/verr" >&2; }
done <"$T/pre.list"
[ $failed = 0 ] && ok || bad "$failed of $npre receipts from before the backup do not verify against the restored log"
# later receipts: those inside the backup verify, the others are exactly
# the ones past its size (what --expect-checkpoint guards against)
inside=0; past=0
for r in "$T"/rc/*.tlog-proof; do
	idx=$(sed -n "s/^index //p" "$r")
	if [ "$idx" -lt "$rsize" ]; then
		"$DIPR" verify "$r" --vkey "$T/vkeys" --server "$URL" >/dev/null 2>&1 && inside=$((inside + 1)) ||
			bad "receipt $r (index $idx < $rsize) does not verify"
	else
		past=$((past + 1))
	fi
done
echo "backup: restored $rsize entries; $inside receipts inside it verify, $past were issued past it"
printf 'after restore' >"$T/new.txt"
expect_status 0 "attest on the restored server" "$DIPR" attest "$T/new.txt" --server "$URL" --token "$TOK"
# the restored log grows as an extension of the checkpoint seen before the backup
expect_status 0 "receipt after the restore verifies" "$DIPR" verify "$T/new.txt.tlog-proof" --vkey "$T/vkeys" --server "$URL"
expect_status 0 "audit --server of the restored log" "$DIPR" audit --server "$URL" --vkey "$T/vkeys"
stop_server
expect_status 0 "audit --dir after the restored server ran" "$DIPR" audit --dir "$T/d2"

# --accept-rollback: restores, with a warning
mkdir -p "$T/d4"; cp -r "$D/keys" "$T/d4/keys"
expect_status 0 "restore --accept-rollback" "$DIPR" restore --from "$T/b.db" --dir "$T/d4" --expect-checkpoint "$T/cp-final" --accept-rollback
grep -q "WARNING" "$T/err" && ok || bad "warns about the rollback: $(cat "$T/err")"
# VACUUM INTO, the other method, gives a copy that restores too
cp -r "$T/d2" "$T/d5src"
expect_status 0 "backup --method vacuum" "$DIPR" backup --dir "$T/d5src" --out "$T/v.db" --method vacuum
mkdir -p "$T/d5"; cp -r "$D/keys" "$T/d5/keys"
expect_status 0 "restore of a VACUUM INTO copy" "$DIPR" restore --from "$T/v.db" --dir "$T/d5" --accept-rollback
finish
