#!/bin/sh
# Tamper evidence (docs/RELIABILITY.md): a change to any table of the
# database, made behind dipr's back with the sqlite3 shell, is reported by
# `dipr audit --dir` (exit 1, naming the table and row) and stops
# `dipr serve` at start-up; raw byte flips anywhere in the file (server
# stopped) are either reported or provably harmless (the file's content is
# unchanged: the byte was unused space).  TAMPER_FLIPS=N flips N offsets
# (default 48).
SUITE=tamper
. tests/e2e/lib.sh
. tests/e2e/reglib.sh
T=$(mktemp -d /tmp/dipr-tamper.XXXXXX)
trap 'stop_server; rm -rf "$T"' EXIT
D=$T/demo
FLIPS=${TAMPER_FLIPS:-48}

# A directory with a row in every table: the registration demo (evidence,
# application, objection, certificate, audit trail, counters, accounts,
# tokens, a password), a portal login (a session), and 300 more evidence
# entries with metadata so that the tree has a stored tile above level 0.
DIPR="$DIPR" sh examples/registration-demo.sh "$D" >"$T/demo.out" 2>&1 || { bad "demo: $(tail -3 "$T/demo.out")"; finish; }
"$DIPR" user add filler --role applicant --dir "$D" >/dev/null
TOK=$("$DIPR" token create --user filler --dir "$D")
start_server "$D" || { bad "server starts"; finish; }
curl -s -o /dev/null -c "$T/jar" -H 'Content-Type: application/json' \
	-d '{"name":"applicant","password":"demo-password-123"}' "$URL/api/v1/login"
pids=""
for w in 1 2 3 4; do
	(n=$w; while [ $n -le 300 ]; do
		curl -s -o /dev/null -H "Authorization: Bearer $TOK" \
			-d "{\"digests\":{\"sm3\":\"$(printf '%064d' $n)\"},\"size\":$n,\"meta\":{\"n\":$n}}" "$URL/api/v1/evidence"
		n=$((n + 4)); done) &
	pids="$pids $!"
done
wait $pids # not a bare wait: that would wait for the server too
stop_server
sqlite3 "$D/dipr.db" "SELECT count(*) FROM session" | grep -qx 1 && ok || bad "a session row exists"
sqlite3 "$D/dipr.db" "SELECT count(*) FROM tile WHERE level = 1" | grep -qx 1 && ok || bad "a level-1 tile exists"
expect_status 0 "audit of the untampered directory" "$DIPR" audit --dir "$D"
grep -q "sealed rows" "$T/out" && ok || bad "audit reports the sealed rows: $(cat "$T/out")"
cp "$D/dipr.db" "$T/orig.db"
rm -f "$D/dipr.db-wal" "$D/dipr.db-shm"

# tamper NAME WANT SQL [SERVE_WANT]: runs SQL with the sqlite3 shell as an
# attacker who knows the schema would (the seal and append-only triggers
# dropped first and put back after, so that only the MACs can tell); then
# audit must exit 1 with WANT in its report, and serve must refuse to start
# naming WANT (or SERVE_WANT: the log's own check, which runs first, words
# checkpoint and tree problems its way).
tamper() {
	tname=$1; twant=$2; tsql=$3; swant=${4:-$2}
	cp "$T/orig.db" "$D/dipr.db"; rm -f "$D/dipr.db-wal" "$D/dipr.db-shm"
	sqlite3 "$D/dipr.db" "SELECT sql || ';' FROM sqlite_schema WHERE type = 'trigger'" >"$T/triggers.sql"
	drops=$(sqlite3 "$D/dipr.db" "SELECT 'DROP TRIGGER ' || name || ';' FROM sqlite_schema WHERE type = 'trigger'")
	if ! sqlite3 "$D/dipr.db" "$drops $tsql" 2>"$T/sqlerr" || ! sqlite3 "$D/dipr.db" <"$T/triggers.sql"; then
		bad "$tname: the tampering SQL failed: $(cat "$T/sqlerr")"; return
	fi
	if [ "$(sqlite3 "$D/dipr.db" .dump | md5sum)" = "$(sqlite3 "$T/orig.db" .dump | md5sum)" ]; then
		bad "$tname: the SQL changed nothing"; return
	fi
	expect_status 1 "audit detects: $tname" "$DIPR" audit --dir "$D"
	grep -q -- "$twant" "$T/err" && ok || bad "$tname: audit names '$twant': $(head -3 "$T/err")"
	timeout 20 "$DIPR" serve --dir "$D" --listen 127.0.0.1:0 >"$T/s.out" 2>"$T/s.err"
	rc=$?
	[ $rc = 2 ] && grep -q "refusing to serve" "$T/s.err" && grep -q -- "$swant" "$T/s.err" && ok ||
		bad "$tname: serve refuses naming '$swant' (exit $rc): $(tail -2 "$T/s.err")"
}

# one field of one row of each table
tamper "meta row" "table meta: row schema" "UPDATE meta SET v = '2' WHERE k = 'schema'"
tamper "account role" "table account: row 1 " "UPDATE account SET role = 'admin' WHERE id = 1"
tamper "account added" "table account: row 9 has no seal" "INSERT INTO account(id, name, role, created) VALUES(9, 'mallory', 'admin', 0)"
tamper "token revocation undone" "table token: row" "UPDATE token SET created = created + 1 WHERE hash = (SELECT min(hash) FROM token)"
tamper "password hash" "table password: row 1 " "UPDATE password SET hash = hash || 'x' WHERE account = 1"
tamper "session expiry" "table session: row" "UPDATE session SET expires_ms = expires_ms + 86400000"
tamper "application state" "table app: row 1 " "UPDATE app SET state = 'refused' WHERE id = 1"
tamper "application digest" "table app_digest: row" "UPDATE app_digest SET digest = 'ff' || substr(digest, 3)"
tamper "objection decision" "table objection: row 1 " "UPDATE objection SET state = 'upheld' WHERE id = 1"
tamper "certificate status" "table cert: row 2" "UPDATE cert SET status = 'revoked'"
tamper "certificate body" "differs from its logged entry" "UPDATE cert SET file = replace(file, '\"industry\":\"', '\"industry\":\"X')"
tamper "counter" "table counter: row" "UPDATE counter SET value = value + 1 WHERE name = (SELECT min(name) FROM counter)"
tamper "audit trail row changed" "table audit: row 1 " "UPDATE audit SET outcome = 'refused' WHERE id = 1"
tamper "audit trail row deleted with its seal" "table audit: rows were deleted" \
	"DELETE FROM audit WHERE id = (SELECT max(id) FROM audit); DELETE FROM seal WHERE tbl = 'audit' AND k = (SELECT max(k) FROM seal WHERE tbl = 'audit')"
tamper "event body" "table event: row" "UPDATE event SET body = replace(body, 'demo', 'dem0') WHERE idx = (SELECT min(idx) FROM event)"
tamper "event name" "table event: row" "UPDATE event SET name = 'revoked' WHERE idx = (SELECT max(idx) FROM event)"
tamper "evidence metadata" "table evidence: row 100" "UPDATE evidence SET meta = CAST(replace(CAST(meta AS TEXT), '\"n\":', '\"n\":1') AS BLOB) WHERE idx = 100"
tamper "evidence owner" "table evidence: rows" "UPDATE evidence SET account = 1 WHERE idx = 200"
tamper "entry" "tile 1/0" "UPDATE entry SET data = CAST(replace(CAST(data AS TEXT), '\"v\":1', '\"v\":2') AS BLOB) WHERE idx = 50"
tamper "tile" "table tile: tile 1/0" "UPDATE tile SET data = zeroblob(length(data)) WHERE level = 1" "root of the stored tree"
tamper "checkpoint note" "table checkpoint: the signed checkpoint does not verify" \
	"UPDATE checkpoint SET note = CAST(replace(CAST(note AS TEXT), 'dipr', 'dipx') AS BLOB)" "stored checkpoint: signature"
tamper "checkpoint size" "table checkpoint: column size" "UPDATE checkpoint SET size = size - 1" "stored checkpoint: origin or size"
tamper "tree size" "(table tree)" "UPDATE tree SET size = size - 1" "but the tree only"
tamper "a seal" "table account: row 2 " "UPDATE seal SET mac = zeroblob(32) WHERE tbl = 'account' AND k = 2"
# the triggers themselves
cp "$T/orig.db" "$D/dipr.db"
sqlite3 "$D/dipr.db" "DROP TRIGGER seal_account_u"
expect_status 1 "audit detects a dropped seal trigger" "$DIPR" audit --dir "$D"
grep -q "trigger seal_account_u is missing" "$T/err" && ok || bad "names the trigger: $(head -2 "$T/err")"
cp "$T/orig.db" "$D/dipr.db"
sqlite3 "$D/dipr.db" "CREATE TRIGGER spy AFTER INSERT ON audit BEGIN SELECT dipr_seal('account', 1); END"
expect_status 1 "audit detects a trigger that could use the seal key" "$DIPR" audit --dir "$D"
grep -q "trigger spy" "$T/err" && ok || bad "names the trigger: $(head -2 "$T/err")"
# the seal key is checked too
cp "$T/orig.db" "$D/dipr.db"
mv "$D/keys/seal.key" "$T/seal.key"
expect_status 1 "audit without the seal key" "$DIPR" audit --dir "$D"
grep -q "seal.key is missing" "$T/err" && ok || bad "says the key is missing: $(head -2 "$T/err")"
mv "$T/seal.key" "$D/keys/seal.key"
# a write through dipr onto a tampered row is refused, not sealed over
cp "$T/orig.db" "$D/dipr.db"
sqlite3 "$D/dipr.db" "DROP TRIGGER seal_password_u; UPDATE password SET hash = hash || 'x' WHERE account = 1"
sqlite3 "$T/orig.db" "SELECT sql || ';' FROM sqlite_schema WHERE name = 'seal_password_u'" | sqlite3 "$D/dipr.db"
printf 'another-password-1\n' | "$DIPR" user passwd applicant --dir "$D" >/dev/null 2>"$T/err"
[ $? != 0 ] && grep -q "table password row 1 was changed outside dipr" "$T/err" && ok ||
	bad "dipr refuses to write over a tampered row: $(cat "$T/err")"
expect_status 1 "the tampered row is still reported" "$DIPR" audit --dir "$D"
cp "$T/orig.db" "$D/dipr.db"
expect_status 0 "audit after putting the original back" "$DIPR" audit --dir "$D"

# raw byte flips, server stopped.  VACUUM first: no free pages, so a flip
# lands in a page that holds data (it can still land in the unused bytes
# inside a page, which hold nothing: then the content must be unchanged).
cp "$T/orig.db" "$D/dipr.db"
sqlite3 "$D/dipr.db" "VACUUM"
expect_status 0 "audit after VACUUM" "$DIPR" audit --dir "$D"
cp "$D/dipr.db" "$T/vac.db"
sqlite3 "$T/vac.db" .dump >"$T/vac.dump"
size=$(stat -c %s "$T/vac.db")
detected=0; harmless=0; missed=0; served=0; n=0
while [ $n -lt "$FLIPS" ]; do
	off=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
	off=$((off % size))
	cp "$T/vac.db" "$D/dipr.db"; rm -f "$D/dipr.db-wal" "$D/dipr.db-shm"
	b=$(od -An -j "$off" -N1 -tu1 "$D/dipr.db" | tr -d ' ')
	printf "$(printf '\\%03o' $(((b ^ 0x5a) & 255)))" | dd of="$D/dipr.db" bs=1 seek="$off" count=1 conv=notrunc 2>/dev/null
	"$DIPR" audit --dir "$D" >/dev/null 2>"$T/err"; rc=$?
	if [ $rc = 1 ]; then
		detected=$((detected + 1))
		if [ $served -lt 5 ]; then # serve refuses too (a few, it is slower)
			timeout 10 "$DIPR" serve --dir "$D" --listen 127.0.0.1:0 >/dev/null 2>"$T/s.err"
			[ $? = 2 ] && ok || bad "serve refuses after a flip at offset $off: $(tail -1 "$T/s.err")"
			served=$((served + 1))
		fi
	elif [ $rc = 0 ] && sqlite3 "$D/dipr.db" .dump 2>/dev/null | cmp -s - "$T/vac.dump"; then
		harmless=$((harmless + 1))
	else
		missed=$((missed + 1))
		bad "flip at offset $off: audit exit $rc and the content changed: $(head -2 "$T/err")"
	fi
	n=$((n + 1))
done
echo "tamper: $n byte flips: $detected detected, $harmless in unused bytes (content unchanged), $missed missed"
[ $missed = 0 ] && ok || bad "$missed flips changed the content undetected"
[ $detected -gt 0 ] && ok || bad "some flips are detected"
finish
