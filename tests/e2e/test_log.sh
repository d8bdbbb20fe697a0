#!/bin/sh
# The evidence log end to end: init, accounts, attest, verify (offline and
# against the server), the read path, audit, errors, tampering.
SUITE=log
. tests/e2e/lib.sh
T=$(mktemp -d /tmp/dipr-e2e.XXXXXX)
trap 'stop_server; rm -rf "$T"' EXIT
D=$T/data

expect_status 0 "init" "$DIPR" init --dir "$D" --origin test.example/log
[ "$(stat -c %a "$D/keys/log-ed25519.key")" = 600 ] && [ "$(stat -c %a "$D/keys/log-sm2.key")" = 600 ] && ok || bad "key files are not mode 600"
[ "$(stat -c %a "$D/keys")" = 700 ] && ok || bad "keys directory is not mode 700"
expect_status 2 "init twice refuses" "$DIPR" init --dir "$D" --origin test.example/log
"$DIPR" keys --dir "$D" >"$T/vkeys" && [ "$(wc -l <"$T/vkeys")" = 2 ] && ok || bad "dipr keys prints two vkeys"
grep -q '^test.example/log+[0-9a-f]\{8\}+' "$T/vkeys" && ok || bad "vkeys are named by the origin"
expect_status 0 "user add applicant" "$DIPR" user add alice --role applicant --dir "$D"
expect_status 0 "user add examiner" "$DIPR" user add erin --role examiner --dir "$D"
expect_status 2 "user add duplicate" "$DIPR" user add alice --role applicant --dir "$D"
expect_status 2 "user add bad role" "$DIPR" user add mallory --role root --dir "$D"
TOK=$("$DIPR" token create --user alice --dir "$D")
ETOK=$("$DIPR" token create --user erin --dir "$D")
case "$TOK" in dipr_*) ok ;; *) bad "token create prints a token" ;; esac
if [ -f "$D/db.conf" ]; then
	pg_dump_dir "$D" >"$T/dump.sql" && grep -q "^COPY .*token " "$T/dump.sql" &&
		! grep -q "${TOK#dipr_}" "$T/dump.sql" && ok || bad "tokens are stored hashed, not in clear (PostgreSQL)"
else
	sqlite3 "$D/dipr.db" "select count(*) from token where hex(hash) like '%'" >/dev/null && \
		! sqlite3 "$D/dipr.db" .dump | grep -q "${TOK#dipr_}" && ok || bad "tokens are stored hashed, not in clear"
fi

start_server "$D" || { bad "server starts"; finish; }
grep -q "^test.example/log+" "$T/serve.out" && ok || bad "serve prints the vkeys"

# hash agrees with openssl and sha256sum
head -c 100000 /dev/urandom >"$T/data.bin"
want_sm3=$(openssl dgst -sm3 -r "$T/data.bin" | cut -d' ' -f1)
want_sha=$(sha256sum "$T/data.bin" | cut -d' ' -f1)
[ "$("$DIPR" hash "$T/data.bin")" = "$want_sm3  $T/data.bin" ] && ok || bad "dipr hash (sm3) equals openssl dgst -sm3"
[ "$("$DIPR" hash --alg sha256 "$T/data.bin")" = "$want_sha  $T/data.bin" ] && ok || bad "dipr hash --alg sha256 equals sha256sum"
[ "$("$DIPR" hash --alg sm3,sha256 - <"$T/data.bin" | tr '\n' ' ')" = "sm3:$want_sm3  - sha256:$want_sha  - " ] && ok || bad "dipr hash sm3,sha256 of stdin"
expect_status 2 "hash of a missing file" "$DIPR" hash "$T/nope"

# attest and verify
expect_status 0 "attest" "$DIPR" attest "$T/data.bin" --server "$URL" --token "$TOK" -o "$T/r.tlog-proof"
head -1 "$T/r.tlog-proof" | grep -qx 'c2sp.org/tlog-proof@v1' && ok || bad "receipt is a tlog-proof"
expect_status 0 "verify receipt with file and both vkeys" "$DIPR" verify "$T/r.tlog-proof" --file "$T/data.bin" --vkey "$T/vkeys"
expect_status 0 "verify with only the SM2 vkey" "$DIPR" verify "$T/r.tlog-proof" --vkey "$(sed -n 2p "$T/vkeys")"
expect_status 0 "verify against the server" "$DIPR" verify "$T/r.tlog-proof" --file "$T/data.bin" --vkey "$T/vkeys" --server "$URL"
cp "$T/data.bin" "$T/data2.bin"; printf 'x' >>"$T/data2.bin"
expect_status 1 "changed file fails" "$DIPR" verify "$T/r.tlog-proof" --file "$T/data2.bin" --vkey "$T/vkeys"
[ "$(wc -l <"$T/err")" = 1 ] && grep -q "differs" "$T/err" && ok || bad "changed file: one-line reason"
"$DIPR" init --dir "$T/other" --origin test.example/log >/dev/null
"$DIPR" keys --dir "$T/other" >"$T/otherkeys"
expect_status 1 "wrong key fails" "$DIPR" verify "$T/r.tlog-proof" --vkey "$T/otherkeys"
[ "$(wc -l <"$T/err")" = 1 ] && ok || bad "wrong key: one-line reason"
# every line of the receipt changed in turn (one character) must fail
n=$(wc -l <"$T/r.tlog-proof"); i=1; allbad=1
while [ $i -le "$n" ]; do
	awk -v L=$i 'NR==L { c=substr($0,3,1); r=(c=="A")?"B":"A"; $0=substr($0,1,2) r substr($0,4) } { print }' "$T/r.tlog-proof" >"$T/m.tlog-proof"
	if cmp -s "$T/m.tlog-proof" "$T/r.tlog-proof"; then i=$((i + 1)); continue; fi
	"$DIPR" verify "$T/m.tlog-proof" --vkey "$T/vkeys" >/dev/null 2>&1
	[ $? = 1 ] || { allbad=0; echo "receipt with line $i changed still verifies" >&2; }
	i=$((i + 1))
done
[ $allbad = 1 ] && ok || bad "a changed receipt fails"
expect_status 2 "verify without keys" "$DIPR" verify "$T/r.tlog-proof"

# a second and third entry; older receipt still consistent with the newer log
printf 'second' >"$T/two.txt"; printf 'third' >"$T/three.txt"
expect_status 0 "attest two files" "$DIPR" attest "$T/two.txt" "$T/three.txt" --server "$URL" --token "$TOK" --alg sm3,sha256
expect_status 0 "old receipt consistent with the grown log" "$DIPR" verify "$T/r.tlog-proof" --vkey "$T/vkeys" --server "$URL"
expect_status 0 "sm3+sha256 receipt verifies with file" "$DIPR" verify "$T/two.txt.tlog-proof" --file "$T/two.txt" --vkey "$T/vkeys"

# the holder's own signature over the digests
expect_status 0 "keygen" "$DIPR" keygen alice.example --type sm2 -o "$T/alice.key"
[ "$(stat -c %a "$T/alice.key")" = 600 ] && ok || bad "holder key file is mode 600"
HOLDER=$(cat "$T/out")
expect_status 2 "keygen refuses to overwrite" "$DIPR" keygen alice.example -o "$T/alice.key"
printf 'signed' >"$T/signed.txt"
expect_status 0 "attest with --key" "$DIPR" attest "$T/signed.txt" --server "$URL" --token "$TOK" --key "$T/alice.key"
sed -n 's/^extra //p' "$T/signed.txt.tlog-proof" | base64 -d >"$T/signed.json"
[ "$(jq -r .holder "$T/signed.json")" = "$HOLDER" ] && [ "$(jq -r .holder_sig "$T/signed.json")" != null ] && ok || bad "entry carries holder and holder_sig"
expect_http 400 bad_request "holder_sig that does not verify" -X POST -H "Authorization: Bearer $TOK" \
	-d '{"digests":{"sm3":"'$want_sm3'"},"size":1,"holder":"'$HOLDER'","holder_sig":"'$(jq -r .holder_sig "$T/signed.json")'"}' "$URL/api/v1/evidence"
expect_http 400 bad_request "holder without holder_sig" -X POST -H "Authorization: Bearer $TOK" \
	-d '{"digests":{"sm3":"'$want_sm3'"},"size":1,"holder":"'$HOLDER'"}' "$URL/api/v1/evidence"

# read path
expect_http 200 "" "GET /checkpoint" "$URL/checkpoint"
sed -n 2p "$T/body" | grep -qx 4 && ok || bad "checkpoint size is 4"
expect_http 200 "" "GET /log.json" "$URL/log.json"
[ "$(jq -r .tree_hash "$T/body")" = sha256 ] && [ "$(jq -r '.vkeys|length' "$T/body")" = 2 ] && ok || bad "log.json fields"
expect_http 200 "" "GET /tile/0/000.p/3" "$URL/tile/0/000.p/3"
[ "$(stat -c %s "$T/body")" = 96 ] && ok || bad "partial tile of width 3 is 96 bytes"
expect_http 200 "" "GET /tile/entries/000.p/3" "$URL/tile/entries/000.p/3"
expect_http 404 not_found "tile beyond the checkpoint" "$URL/tile/0/000.p/5"
expect_http 404 not_found "full tile not yet there" "$URL/tile/0/000"
expect_http 400 bad_tile_path "malformed tile path" "$URL/tile/0/0000"
expect_http 400 bad_tile_path "tile path traversal" --path-as-is "$URL/tile/../../etc/passwd"
expect_http 400 bad_tile_path "tile path with encoded dots" "$URL/tile/0/%2e%2e/x001"
expect_http 200 "" "GET /api/v1/evidence/0" "$URL/api/v1/evidence/0"
jq -j .receipt "$T/body" >"$T/r0.tlog-proof"
expect_status 0 "receipt from GET /api/v1/evidence verifies" "$DIPR" verify "$T/r0.tlog-proof" --file "$T/data.bin" --vkey "$T/vkeys"
expect_http 404 not_found "evidence beyond the log" "$URL/api/v1/evidence/99"
expect_http 400 bad_request "evidence index not a number" "$URL/api/v1/evidence/x1"
expect_http 200 "" "inclusion proof" "$URL/api/v1/proof/inclusion?index=1&size=3"
expect_http 400 bad_request "inclusion index >= size" "$URL/api/v1/proof/inclusion?index=3&size=3"
expect_http 400 bad_request "inclusion index missing" "$URL/api/v1/proof/inclusion"
expect_http 400 bad_request "inclusion index with leading zero" "$URL/api/v1/proof/inclusion?index=01"
expect_http 200 "" "consistency proof" "$URL/api/v1/proof/consistency?from=1&to=3"
expect_http 400 bad_request "consistency from=0" "$URL/api/v1/proof/consistency?from=0&to=3"
expect_http 200 "" "healthz" "$URL/healthz"
expect_http 200 "" "metrics" "$URL/metrics"
grep -q '^dipr_tree_size 4$' "$T/body" && ok || bad "metrics report the tree size"
expect_http 404 not_found "unknown path" "$URL/nope"

# bad requests change nothing
D1='{"digests":{"sm3":"'$want_sm3'"},"size":1}'
expect_http 401 unauthenticated "POST without token" -X POST -d "$D1" "$URL/api/v1/evidence"
expect_http 401 unauthenticated "POST with unknown token" -X POST -H "Authorization: Bearer dipr_00" -d "$D1" "$URL/api/v1/evidence"
expect_http 403 forbidden "POST with examiner token" -X POST -H "Authorization: Bearer $ETOK" -d "$D1" "$URL/api/v1/evidence"
A="Authorization: Bearer $TOK"
expect_http 400 bad_request "malformed JSON" -X POST -H "$A" -d '{"digests":' "$URL/api/v1/evidence"
expect_http 400 bad_request "not an object" -X POST -H "$A" -d '[1]' "$URL/api/v1/evidence"
expect_http 400 bad_request "unknown member" -X POST -H "$A" -d '{"digests":{"sm3":"'$want_sm3'"},"size":1,"x":1}' "$URL/api/v1/evidence"
expect_http 400 bad_request "bad digest hex" -X POST -H "$A" -d '{"digests":{"sm3":"zz"},"size":1}' "$URL/api/v1/evidence"
expect_http 400 bad_request "unknown digest alg" -X POST -H "$A" -d '{"digests":{"md5":"'$want_sm3'"},"size":1}' "$URL/api/v1/evidence"
expect_http 400 bad_request "negative size" -X POST -H "$A" -d '{"digests":{"sm3":"'$want_sm3'"},"size":-1}' "$URL/api/v1/evidence"
expect_http 400 bad_request "fractional size" -X POST -H "$A" -d '{"digests":{"sm3":"'$want_sm3'"},"size":1.5}' "$URL/api/v1/evidence"
expect_http 400 bad_request "duplicate key" -X POST -H "$A" -d '{"size":1,"size":2,"digests":{"sm3":"'$want_sm3'"}}' "$URL/api/v1/evidence"
expect_http 400 bad_request "deep nesting" -X POST -H "$A" -d "{\"digests\":{\"sm3\":\"$want_sm3\"},\"size\":1,\"meta\":$(printf '[%.0s' $(seq 50))$(printf ']%.0s' $(seq 50))}" "$URL/api/v1/evidence"
head -c 70000 /dev/zero | tr '\0' 'a' >"$T/big"
expect_http 413 too_large "oversized body" -X POST -H "$A" --data-binary @"$T/big" "$URL/api/v1/evidence"
expect_http 401 unauthenticated "oversized body without a token is refused unread" -X POST --data-binary @"$T/big" "$URL/api/v1/evidence"
expect_http 413 too_large "oversized chunked body" -X POST -H "$A" -H "Transfer-Encoding: chunked" --data-binary @"$T/big" "$URL/api/v1/evidence"
expect_http 405 method_not_allowed "GET on the POST endpoint" "$URL/api/v1/evidence"
expect_http 405 method_not_allowed "DELETE checkpoint" -X DELETE "$URL/checkpoint"
expect_http 200 "" "checkpoint after bad requests" "$URL/checkpoint"
sed -n 2p "$T/body" | grep -qx 4 && ok || bad "bad requests changed nothing (size still 4)"
# metadata stays in the database; the log carries a salted hash
expect_http 200 "" "POST with meta" -X POST -H "$A" -d '{"digests":{"sm3":"'$want_sm3'"},"size":100000,"meta":{"name":"交通流量数据集"}}' "$URL/api/v1/evidence"
sed -n 's/^extra //p' "$T/body" | base64 -d >"$T/entry.json"
grep -q '"meta_hash":"[0-9a-f]\{64\}"' "$T/entry.json" && ! grep -q '交通' "$T/entry.json" && ok || bad "meta is hashed, not logged: $(cat "$T/entry.json")"

# enough entries for a stored tile (level 0 is recomputed from the entries,
# so the first stored tile is at level 1, over 256 entries)
mkdir -p "$T/many"
i=0; while [ $i -lt 260 ]; do echo "file $i" > "$T/many/$((i % 3))-$i.txt"; i=$((i + 1)); done
for g in 0 1 2; do # at most 128 files per attest
	expect_status 0 "attest files $g-*" "$DIPR" attest "$T"/many/$g-*.txt --server "$URL" --token "$TOK"
done
# audit, from the database and from the server's tiles
expect_status 0 "audit --server" "$DIPR" audit --server "$URL" --vkey "$T/vkeys"
stop_server
expect_status 0 "audit --dir" "$DIPR" audit --dir "$D"

# tamper (the sqlite3 shell; PostgreSQL: test_pgtamper)
if on_sqlite "$D" "tampering with the sqlite3 shell"; then
	# tamper: one byte of an entry
	cp "$D/dipr.db" "$T/backup.db"
	sqlite3 "$D/dipr.db" "UPDATE entry SET data = CAST(replace(CAST(data AS TEXT), '\"v\":1', '\"v\":2') AS BLOB) WHERE idx = 1"
	expect_status 1 "audit detects a changed entry" "$DIPR" audit --dir "$D"
	grep -q "tile 1/0 hash 0 differs" "$T/err" && ok || bad "audit names the tile: $(cat "$T/err")"
	cp "$T/backup.db" "$D/dipr.db"; rm -f "$D/dipr.db-wal" "$D/dipr.db-shm"
	# the start-up check recomputes the newest entries' tile (older ones: audit)
	sqlite3 "$D/dipr.db" "UPDATE entry SET data = CAST(replace(CAST(data AS TEXT), '\"v\":1', '\"v\":2') AS BLOB) WHERE idx = (SELECT max(idx) FROM entry)"
	expect_status 1 "audit detects a changed newest entry" "$DIPR" audit --dir "$D"
	expect_status 2 "serve refuses a tampered tree" "$DIPR" serve --dir "$D" --listen 127.0.0.1:0
	grep -q "refusing" "$T/err" && ok || bad "serve says why it refuses: $(cat "$T/err")"
	cp "$T/backup.db" "$D/dipr.db"; rm -f "$D/dipr.db-wal" "$D/dipr.db-shm"
	# tamper: the tile
	sqlite3 "$D/dipr.db" "UPDATE tile SET data = zeroblob(length(data)) WHERE level = 1 AND idx = 0"
	expect_status 1 "audit detects a changed tile" "$DIPR" audit --dir "$D"
	expect_status 2 "serve refuses a changed tile" "$DIPR" serve --dir "$D" --listen 127.0.0.1:0
	cp "$T/backup.db" "$D/dipr.db"; rm -f "$D/dipr.db-wal" "$D/dipr.db-shm"
	# tamper: the checkpoint signed by another key
	sqlite3 "$D/dipr.db" "UPDATE checkpoint SET note = (SELECT note FROM checkpoint)" # no-op sanity
	expect_status 0 "audit after restore" "$DIPR" audit --dir "$D"
fi
finish
