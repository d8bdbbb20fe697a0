#!/bin/sh
# Seals on PostgreSQL (docs/POSTGRES.md §1.3): every write dipr makes is
# sealed in its own transaction; a write from psql to a sealed table is
# refused at COMMIT (the deferred check on seal_dirty); a change made with
# the triggers off (session_replication_role = replica, as a superuser
# can) commits, and then `dipr audit --dir` exits 1 naming the table and
# `dipr serve` refuses to start; a write through dipr onto such a row is
# refused rather than sealed over.  Needs DIPR_TEST_DB (make test-pg starts
# a throwaway cluster); skipped without it.
SUITE=pgtamper
. tests/e2e/lib.sh
. tests/e2e/reglib.sh
if [ -z "${DIPR_TEST_DB:-}" ]; then
	echo "e2e $SUITE: skipped: postgres (DIPR_TEST_DB unset; make test-pg runs it)"
	exit 0
fi
PSQL=${PSQL:-${PGBIN:-/usr/lib/postgresql/15/bin}/psql}
[ -x "$PSQL" ] || PSQL=psql
T=$(mktemp -d /tmp/dipr-pgtamper.XXXXXX)
trap 'stop_server; [ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"' EXIT
DB=$(sh scripts/pgtest.sh schema "pgt_$$") || { bad "fresh schema"; finish; }
D=$T/data
"$DIPR" init --dir "$D" --origin pgtamper.test/log --test-clock --db "$DB" >/dev/null || { bad "init --db"; finish; }
for u in alice:applicant bob:applicant eve:examiner root:admin; do
	"$DIPR" user add "${u%%:*}" --role "${u#*:}" --dir "$D" >/dev/null || bad "user add $u"
done
ALICE=$("$DIPR" token create --user alice --dir "$D")
EVE=$("$DIPR" token create --user eve --dir "$D")
ROOT=$("$DIPR" token create --user root --dir "$D")
printf 'alice-password-123\n' | "$DIPR" user passwd alice --dir "$D" >/dev/null && ok || bad "user passwd"
CONN=$(grep '^postgres' "$D/db.conf")
# sql SQL...: psql on the log's schema, stops at the first error.
sql() { "$PSQL" -X -q -t -A -v ON_ERROR_STOP=1 "$CONN" "$@"; }

# Registry data: evidence (batch seals), an application accepted and
# objected to (app, app_digest, objection, audit, counter), a login (session).
start_server "$D" || { bad "server starts"; finish; }
clock 2025-01-24
i=1; { echo "id,v"; while [ $i -le 20 ]; do echo "$i,$((i * 7))"; i=$((i + 1)); done; } >"$T/a.csv"
"$DIPR" attest "$T/a.csv" --server "$URL" --token "$ALICE" --records csv -o "$T/a.tlog-proof" >/dev/null &&
	ok || bad "attest"
n=1
while [ $n -le 20 ]; do
	curl -s -o /dev/null -H "Authorization: Bearer $ALICE" \
		-d "{\"digests\":{\"sm3\":\"$(printf '%064d' $n)\"},\"size\":$n,\"meta\":{\"n\":$n}}" "$URL/api/v1/evidence"
	n=$((n + 1))
done
make_doc "$T/a.tlog-proof" >"$T/doc.json"
api_file POST /applications "$ALICE" "$T/doc.json"; want 201 "" "create"; A1=$(field .id)
api POST "/applications/$A1/submit" "$ALICE"; want 200 "" "submit"
api POST "/applications/$A1/accept" "$EVE"; want 200 "" "accept"
api POST /objections "" "{\"application\":$A1,\"reasons\":\"ours\"}"; want 201 "" "objection"
api POST "/objections/$(field .objection)/dismiss" "$EVE" '{"reasons":"no proof"}'; want 200 "" "dismiss"
clock 2025-02-13
api GET "/applications/$A1" "$ALICE"; is "$(field .state)" registered "registered"
curl -s -o /dev/null -c "$T/jar" -H 'Content-Type: application/json' \
	-d '{"name":"alice","password":"alice-password-123"}' "$URL/api/v1/login"
stop_server
for t in meta account token password session app app_digest objection cert counter audit; do
	[ "$(sql -c "SELECT count(*) > 0 FROM $t")" = t ] && ok || bad "table $t has a row"
done
[ "$(sql -c "SELECT count(*) FROM seal WHERE tbl = '#evidence'")" -gt 1 ] && ok || bad "evidence batches are sealed"
[ "$(sql -c "SELECT count(*) FROM seal_dirty")" = 0 ] && ok || bad "seal_dirty is empty after dipr's writes"
expect_status 0 "audit of the untampered directory" "$DIPR" audit --dir "$D"
grep -q "sealed rows" "$T/out" && ! grep -q "0 sealed rows" "$T/out" && ok || bad "audit checks the seals: $(cat "$T/out")"

# A plain write from psql is refused at COMMIT and changes nothing.
before=$(sql -c "SELECT role FROM account WHERE name = 'alice'")
sql -c "UPDATE account SET role = 'admin' WHERE name = 'alice'" >/dev/null 2>"$T/err" && bad "psql UPDATE commits" ||
	{ grep -q "unsealed write to account (sealed tables are written by dipr)" "$T/err" && ok ||
		bad "psql UPDATE refused naming the table: $(cat "$T/err")"; }
sql -c "BEGIN" -c "DELETE FROM session" -c "INSERT INTO meta(k, v) VALUES('x', 'y')" -c "COMMIT" >/dev/null 2>"$T/err" &&
	bad "psql transaction commits" ||
	{ grep -q "unsealed write to" "$T/err" && ok || bad "psql transaction refused at COMMIT: $(cat "$T/err")"; }
is "$(sql -c "SELECT role FROM account WHERE name = 'alice'")" "$before" "the refused write changed nothing"
is "$(sql -c "SELECT count(*) FROM session")" 1 "the refused delete changed nothing"
expect_status 0 "audit after the refused writes" "$DIPR" audit --dir "$D"

# tamper NAME WANT SQL: runs SQL with the triggers off, then audit must
# exit 1 with WANT in its report and serve must refuse to start naming it;
# UNDO puts the data back (with the triggers off too).
tamper() {
	tname=$1; twant=$2; tsql=$3; tundo=$4
	if ! sql -c "SET session_replication_role = replica" -c "$tsql" >/dev/null 2>"$T/sqlerr"; then
		bad "$tname: the tampering SQL failed: $(cat "$T/sqlerr")"; return
	fi
	expect_status 1 "audit detects: $tname" "$DIPR" audit --dir "$D"
	grep -q -- "$twant" "$T/err" && ok || bad "$tname: audit names '$twant': $(head -3 "$T/err")"
	timeout 20 "$DIPR" serve --dir "$D" --listen 127.0.0.1:0 >"$T/s.out" 2>"$T/s.err"
	rc=$?
	[ $rc = 2 ] && grep -q "refusing to serve" "$T/s.err" && grep -q -- "$twant" "$T/s.err" && ok ||
		bad "$tname: serve refuses naming '$twant' (exit $rc): $(tail -2 "$T/s.err")"
	sql -c "SET session_replication_role = replica" -c "$tundo" >/dev/null 2>"$T/sqlerr" ||
		bad "$tname: undo failed: $(cat "$T/sqlerr")"
	expect_status 0 "$tname: audit after the undo" "$DIPR" audit --dir "$D"
}
tamper "account role changed" "table account: row 1 was changed" \
	"UPDATE account SET role = 'admin' WHERE id = 1" "UPDATE account SET role = 'applicant' WHERE id = 1"
tamper "application state changed" "table app: row $A1 was changed" \
	"UPDATE app SET state = 'refused' WHERE id = $A1" "UPDATE app SET state = 'registered' WHERE id = $A1"
sql -c "CREATE TABLE saved AS SELECT * FROM audit WHERE id = (SELECT max(id) FROM audit)"
tamper "audit row deleted" "table audit: row $(sql -c "SELECT max(id) FROM audit") was deleted" \
	"DELETE FROM audit WHERE id = (SELECT max(id) FROM audit)" "INSERT INTO audit SELECT * FROM saved"
tamper "account inserted" "table account: row 99 has no seal" \
	"INSERT INTO account(id, name, role, created) VALUES(99, 'mallory', 'admin', 0)" "DELETE FROM account WHERE id = 99"
sql -c "CREATE TABLE saved_seal AS SELECT k, mac FROM seal WHERE tbl = 'token' ORDER BY k LIMIT 1"
tamper "token seal changed" "table token: row $(sql -c "SELECT k FROM saved_seal") was changed" \
	"UPDATE seal SET mac = decode(repeat('00', 32), 'hex') WHERE tbl = 'token' AND k = (SELECT k FROM saved_seal)" \
	"UPDATE seal SET mac = (SELECT mac FROM saved_seal) WHERE tbl = 'token' AND k = (SELECT k FROM saved_seal)"
sql -c "DROP TABLE saved_seal"
sql -c "DROP TABLE saved"
tamper "evidence metadata changed" "table evidence: rows" \
	"UPDATE evidence SET account = account + 1 WHERE idx = 5" "UPDATE evidence SET account = account - 1 WHERE idx = 5"
tamper "sum of a table changed" "table seal_sum: the row of table counter" \
	"UPDATE seal_sum SET n = n + 1 WHERE tbl = 'counter'" "UPDATE seal_sum SET n = n - 1 WHERE tbl = 'counter'"
tamper "seal trigger disabled" "trigger seal_password is disabled" \
	"ALTER TABLE password DISABLE TRIGGER seal_password" "ALTER TABLE password ENABLE TRIGGER seal_password"
tamper "seal trigger dropped" "trigger seal_cert is missing" \
	"DROP TRIGGER seal_cert ON cert" \
	"CREATE TRIGGER seal_cert AFTER INSERT OR UPDATE OR DELETE ON cert FOR EACH ROW EXECUTE FUNCTION dipr_seal_dirty()"
tamper "a dirty row committed" "table seal_dirty: a change to table meta" \
	"INSERT INTO seal_dirty(tbl, k, old) VALUES('meta', 'origin', NULL)" "DELETE FROM seal_dirty"

# A write through dipr onto a row changed behind its back is refused, not
# sealed over (no laundering); the row stays reported.
sql -c "SET session_replication_role = replica" -c "UPDATE password SET hash = hash || 'x' WHERE account = 1" >/dev/null
printf 'another-password-1\n' | "$DIPR" user passwd alice --dir "$D" >/dev/null 2>"$T/err"
[ $? != 0 ] && grep -q "table password row 1 was changed outside dipr" "$T/err" && ok ||
	bad "dipr refuses to write over a tampered row: $(cat "$T/err")"
expect_status 1 "the tampered row is still reported" "$DIPR" audit --dir "$D"
grep -q "table password: row 1 was changed" "$T/err" && ok || bad "names the row: $(head -2 "$T/err")"
sql -c "SET session_replication_role = replica" -c "UPDATE password SET hash = left(hash, -1) WHERE account = 1" >/dev/null
# The key: without it audit says so, and dipr cannot write sealed tables.
mv "$D/keys/seal.key" "$T/seal.key"
expect_status 1 "audit without the seal key" "$DIPR" audit --dir "$D"
grep -q "seal.key is missing" "$T/err" && ok || bad "says the key is missing: $(head -2 "$T/err")"
expect_status 2 "no sealed write without the key" "$DIPR" user add carol --role applicant --dir "$D"
grep -q "seal.key is missing" "$T/err" && ok || bad "the refused write says why: $(head -2 "$T/err")"
mv "$T/seal.key" "$D/keys/seal.key"
expect_status 0 "a clean directory audits 0" "$DIPR" audit --dir "$D"
start_server "$D" && ok || bad "serve starts on the clean directory"
api GET "/applications/$A1" "$ALICE"; is "$(field .state)" registered "the server works after the undo"
stop_server
finish
