#!/bin/sh
# tests/valgrind.sh [DIPR] — the command-line paths under valgrind
# (memcheck, --leak-check=full): hash, attest, verify (receipt, file,
# --server, a failing one), audit (--dir, --server), backup, restore.
# The server runs normally; each CLI process is checked.  valgrind's own
# verdict is exit status 99 (--error-exitcode=99, not 1: dipr itself exits 1
# when a verification fails, which one case here expects).  Prints one line
# per command and a tally; exit 1 if any had a memory error or leak.
# Needs: valgrind (apt-get install valgrind), a built dipr (default build/dipr).
DIPR=$(cd "$(dirname "${1:-build/dipr}")" && pwd)/$(basename "${1:-build/dipr}")
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
[ -x "$DIPR" ] || { echo "valgrind.sh: $DIPR: not built" >&2; exit 2; }
T=$(mktemp -d /tmp/dipr-vg.XXXXXX)
SPID=""
trap '[ -n "$SPID" ] && kill $SPID 2>/dev/null; rm -rf "$T"' EXIT
VG="valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --track-origins=yes"
pass=0; fail=0

# vg WANT NAME ARGS...: dipr ARGS under valgrind, expecting exit WANT.
vg() {
	want=$1; name=$2; shift 2
	$VG --log-file="$T/vg.$pass.$fail" "$DIPR" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc = "$want" ]; then
		pass=$((pass + 1)); echo "ok    $name"
	else
		fail=$((fail + 1)); echo "FAIL  $name: exit $rc, want $want"
		[ $rc = 99 ] && grep -E "definitely|indirectly|Invalid|uninitialised|ERROR SUMMARY" "$T/vg.$pass.$((fail - 1))" | head -8
		[ $rc != 99 ] && head -3 "$T/err"
	fi
}

D=$T/data
"$DIPR" init --dir "$D" --origin vg.test/log >/dev/null
"$DIPR" user add a --role applicant --dir "$D" >/dev/null
TOK=$("$DIPR" token create --user a --dir "$D")
"$DIPR" keys --dir "$D" >"$T/vkeys"
"$DIPR" serve --dir "$D" --listen 127.0.0.1:0 >"$T/serve.out" 2>"$T/serve.err" &
SPID=$!
i=0
until grep -q '^serving ' "$T/serve.out" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 100 ] && { echo "server did not start: $(cat "$T/serve.err")" >&2; exit 2; }
	sleep 0.05
done
URL=$(sed -n 's/^serving \(http[^ ]*\)\/$/\1/p' "$T/serve.out")

printf 'id,name\n1,a\n2,"b\nc"\n3,d\n' >"$T/data.csv"
vg 0 "hash sm3" hash "$T/data.csv"
vg 0 "hash sm3,sha256" hash "$T/data.csv" --alg sm3,sha256
vg 0 "hash --records csv" hash "$T/data.csv" --records csv --secret "$T/s.secret"
vg 0 "attest" attest "$T/data.csv" --server "$URL" --token "$TOK"
vg 0 "attest --records csv" attest "$T/data.csv" --server "$URL" --token "$TOK" --records csv --secret "$T/s.secret" -o "$T/r2.tlog-proof"
vg 0 "verify receipt --file" verify "$T/data.csv.tlog-proof" --file "$T/data.csv" --vkey "$T/vkeys"
vg 0 "verify receipt --server" verify "$T/data.csv.tlog-proof" --vkey "$T/vkeys" --server "$URL"
printf 'other' >"$T/other.txt"
vg 1 "verify with the wrong file (fails)" verify "$T/data.csv.tlog-proof" --file "$T/other.txt" --vkey "$T/vkeys"
vg 0 "sample" sample "$T/data.csv" --receipt "$T/r2.tlog-proof" --rows 0,2 -o "$T/s.sample.json" --secret "$T/s.secret"
vg 0 "verify sample" verify "$T/s.sample.json" --vkey "$T/vkeys"
vg 0 "audit --server" audit --server "$URL" --vkey "$T/vkeys"
vg 0 "audit --dir (server running)" audit --dir "$D"
curl -s "$URL/checkpoint" >"$T/cp"
vg 0 "backup (server running)" backup --dir "$D" --out "$T/b.db"
kill $SPID; wait $SPID 2>/dev/null; SPID=""
mkdir -p "$T/d2"; cp -r "$D/keys" "$T/d2/keys"
vg 0 "restore --expect-checkpoint" restore --from "$T/b.db" --dir "$T/d2" --expect-checkpoint "$T/cp"
vg 0 "audit --dir (restored)" audit --dir "$T/d2"
sqlite3 "$T/d2/dipr.db" "UPDATE entry SET data = CAST(replace(CAST(data AS TEXT), '\"v\":1', '\"v\":2') AS BLOB) WHERE idx = 0"
vg 1 "audit --dir of a changed database (fails)" audit --dir "$T/d2"
echo "valgrind: $pass passed, $fail failed"
[ $fail = 0 ]
