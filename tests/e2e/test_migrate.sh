#!/bin/sh
# dipr migrate (issue 8, acceptance 3): an SQLite deployment with evidence
# and a registration moves into PostgreSQL; the copy passes dipr audit,
# every receipt issued before the move verifies against the server now
# running on PostgreSQL, the registry record and certificate are there, the
# log keeps growing consistently, and refusals change nothing.
# Needs DIPR_TEST_DB (make test-pg); skipped without it.
SUITE=migrate
. tests/e2e/lib.sh
. tests/e2e/reglib.sh
if [ -z "${DIPR_TEST_DB:-}" ]; then
	echo "e2e $SUITE: skipped: postgres (DIPR_TEST_DB unset; make test-pg runs it)"
	exit 0
fi
T=$(mktemp -d /tmp/dipr-mig.XXXXXX)
trap 'stop_server; rm -rf "$T"' EXIT
D=$T/data
# A directory made on SQLite, whatever DIPR wraps (make test-pg's wrapper
# puts init on PostgreSQL): --db sqlite: says so.
"$DIPR" init --dir "$D" --origin registry.test/log --test-clock --db sqlite: >/dev/null || { bad "init on SQLite"; finish; }
[ -f "$D/dipr.db" ] && ok || bad "the source is an SQLite directory"
for u in alice:applicant eve:examiner root:admin; do "$DIPR" user add "${u%%:*}" --role "${u#*:}" --dir "$D" >/dev/null; done
ALICE=$("$DIPR" token create --user alice --dir "$D")
EVE=$("$DIPR" token create --user eve --dir "$D")
ROOT=$("$DIPR" token create --user root --dir "$D")
"$DIPR" keys --dir "$D" >"$T/vkeys"
start_server "$D" || { bad "server starts"; finish; }
for i in 1 2 3 4 5 6 7 8; do printf 'id,v\n%s,%s\n' $i $i >"$T/f$i.csv"; done
for i in 1 2 3 4 5 6 7 8; do
	"$DIPR" attest "$T/f$i.csv" --server "$URL" --token "$ALICE" >/dev/null || bad "attest $i"
done
# One application through to registration, with its certificate.
make_doc "$T/f1.csv.tlog-proof" >"$T/doc.json"
clock 2025-03-03
api_file POST /applications "$ALICE" "$T/doc.json"; want 201 "" "application" >/dev/null || want 200 "" "application"
APP=$(field .id)
api POST "/applications/$APP/submit" "$ALICE"; want 200 "" "submit"
api POST "/applications/$APP/accept" "$EVE"; want 200 "" "accept"
clock 2025-03-20
api GET "/applications/$APP" "$EVE"
REGNO=$(field .regno); CERTNO=$(field .certno)
[ -n "$REGNO" ] && [ "$REGNO" != null ] && ok || bad "registered before the move: $(head -c 300 "$T/body")"
curl -s -o "$T/cert.json" "$URL/api/v1/certificates/$CERTNO" && ok || bad "certificate fetched"
CP_BEFORE=$(curl -s "$URL/checkpoint")
stop_server

S=$(sh scripts/pgtest.sh schema "mig_$$") || { bad "fresh schema"; finish; }
# Refusals first: nothing may change.
expect_status 2 "migrate needs --to" "$DIPR" migrate --dir "$D"
expect_status 2 "migrate --to must be PostgreSQL" "$DIPR" migrate --dir "$D" --to "$T/x.db"
start_server "$D" || { bad "server restarts"; finish; }
expect_status 2 "migrate refuses while dipr serve runs on the directory" "$DIPR" migrate --dir "$D" --to "$S"
grep -q 'in use by another dipr serve' "$T/err" && ok || bad "says why: $(cat "$T/err")"
expect_status 2 "a second dipr serve on the same directory is refused" "$DIPR" serve --dir "$D" --listen 127.0.0.1:0
stop_server
[ -f "$D/dipr.db" ] && [ ! -e "$D/db.conf" ] && ok || bad "refusals changed nothing"
expect_status 0 "migrate" "$DIPR" migrate --dir "$D" --to "$S"
grep -q 'passed dipr audit and matches the source (row counts, checkpoint, [0-9]* seals)' "$T/out" && ok ||
	bad "migrate says the copy passed the audit and matches row for row: $(cat "$T/out")"
[ -f "$D/db.conf" ] && [ -f "$D/dipr.db.migrated" ] && [ ! -e "$D/dipr.db" ] && ok ||
	bad "the directory switched: db.conf, dipr.db.migrated kept"
expect_status 2 "migrate twice refuses" "$DIPR" migrate --dir "$D" --to "$S"
# Acceptance 3: dipr audit on the result.
expect_status 0 "dipr audit --dir on the PostgreSQL copy" "$DIPR" audit --dir "$D"
grep -q '^audit: OK' "$T/out" && ok || bad "audit OK line: $(cat "$T/out")"

start_server "$D" || { bad "server starts on PostgreSQL"; finish; }
[ "$(curl -s "$URL/checkpoint")" = "$CP_BEFORE" ] && ok || bad "the same signed checkpoint is served after the move"
for i in 1 2 3 4 5 6 7 8; do
	"$DIPR" verify "$T/f$i.csv.tlog-proof" --file "$T/f$i.csv" --vkey "$T/vkeys" --server "$URL" >/dev/null 2>"$T/verr" ||
		bad "receipt $i from before the move verifies against PostgreSQL: $(cat "$T/verr")"
done
ok
api GET "/applications/$APP" "$EVE"
is "$(field .regno)" "$REGNO" "the registration is there after the move"
"$DIPR" verify "$T/cert.json" --vkey "$T/vkeys" --server "$URL" >/dev/null 2>"$T/verr" && ok || bad "certificate verifies after the move: $(cat "$T/verr")"
printf 'after\n' >"$T/after.txt"
expect_status 0 "attest after the move" "$DIPR" attest "$T/after.txt" --server "$URL" --token "$ALICE"
expect_status 0 "receipt from before is consistent with the grown log" "$DIPR" verify "$T/f8.csv.tlog-proof" --vkey "$T/vkeys" --server "$URL"
# New identities do not collide with copied ones.
expect_status 0 "a new account after the move" "$DIPR" user add zed --role applicant --dir "$D"
api_file POST /applications "$ALICE" "$T/doc.json"
[ "$CODE" = 201 ] || [ "$CODE" = 200 ] && ok || bad "a new application after the move: HTTP $CODE $(head -c 200 "$T/body")"
[ "$(field .id)" -gt "$APP" ] && ok || bad "new application id $(field .id) after $APP"
stop_server
expect_status 0 "audit after growing on PostgreSQL" "$DIPR" audit --dir "$D"
grep -q 'sealed rows and .* evidence batches match' "$T/out" && ok || bad "audit checked the seals on PostgreSQL: $(cat "$T/out")"
# A row changed behind dipr's back in PostgreSQL (triggers off, as only a
# superuser can) is found by the audit, named by its table.
PSQL=${PGBIN:-/usr/lib/postgresql/15/bin}/psql
"$PSQL" -q -X -d "$S" -c "SET session_replication_role = replica; UPDATE account SET role = 'admin' WHERE name = 'alice'" >/dev/null 2>&1 &&
	ok || bad "tamper one account row with psql"
expect_status 1 "audit finds the changed row" "$DIPR" audit --dir "$D"
grep -q 'account' "$T/err" && ok || bad "audit names the table: $(head -c 400 "$T/err")"
finish
