#!/bin/sh
# examples/registration-demo.sh from nothing to a certificate; the
# certificate verifies offline and every field of its body is covered by
# the signatures; then, online, dipr verify --server follows the
# registration's status (valid, pledged, superseded, cancelled) through
# the workflow commands, and refuses a registry whose record does not match
# its own log (a stub in front of the real server serves changed records).
SUITE=demo
. tests/e2e/lib.sh
T=$(mktemp -d /tmp/dipr-e2e.XXXXXX)
STUB=""
trap 'stop_server; [ -n "$STUB" ] && kill "$STUB" 2>/dev/null; rm -rf "$T"' EXIT
D=$T/demo

# ---- the demo ----
if sh examples/registration-demo.sh "$D" >"$T/demo.out" 2>"$T/demo.err"; then ok; else
	bad "the demo runs: $(tail -3 "$T/demo.err")"; finish; fi
set -- $(tail -1 "$T/demo.out")
[ "$1" = certificate ] && [ "$4" = "$D/cert.json" ] && [ "$5" = "$D" ] && ok || bad "demo's last line: $(tail -1 "$T/demo.out")"
CERTNO=$2 REGNO=$3 CERT=$4
[ "$(jq -r .certificate.certno "$CERT")" = "$CERTNO" ] && [ "$(jq -r .certificate.regno "$CERT")" = "$REGNO" ] && ok ||
	bad "the last line names the certificate in $CERT"
if command -v pgrep >/dev/null; then
	pgrep -f "serve --dir $D" >/dev/null && bad "the demo left its server running" || ok
fi
# Under make sanitize the demo's server reports leaks and errors at exit.
grep -q "Sanitizer\|runtime error" "$D/serve.err" && bad "demo server sanitizer report: $(grep -m1 "Sanitizer\|runtime error" "$D/serve.err")"

# ---- offline: verifies, and any changed field of the body fails ----
"$DIPR" keys --dir "$D" >"$T/vkeys"
expect_status 0 "the demo's certificate verifies" "$DIPR" verify "$CERT" --vkey "$T/vkeys"
# numbers + 1; dates a year earlier; digit strings with one digit changed; other text + "x"
for f in certno regno data_name holder.name holder.id industry source_type scenario scale.records scale.bytes \
	registered valid_until evidence[0].index issuer record_url; do
	jq ".certificate.$f |= (if type == \"number\" then . + 1
		elif test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}\$\") then sub(\"^(?<y>[0-9]{4})\"; \"\\(.y | tonumber - 1)\")
		elif test(\"^[0-9]+[0-9X]\$\") then .[0:-2] + (if .[-2:-1] == \"9\" then \"0\" else \"9\" end) + .[-1:]
		else . + \"x\" end)" "$CERT" >"$T/m.json"
	if cmp -s "$T/m.json" "$CERT" || [ "$(jq -c ".certificate.$f" "$T/m.json")" = "$(jq -c ".certificate.$f" "$CERT")" ]; then
		bad "$f was not changed"; continue; fi
	"$DIPR" verify "$T/m.json" --vkey "$T/vkeys" >/dev/null 2>"$T/err"
	[ $? = 1 ] && [ "$(wc -l <"$T/err")" = 1 ] && ok || bad "certificate with $f changed: not exit 1 with one line: $(cat "$T/err")"
done

# ---- online: the registration's status through the workflow commands ----
HOLDER=$("$DIPR" token create --user applicant --dir "$D")
start_server "$D" || { bad "server restarts on the demo's directory"; finish; }
export DIPR_SERVER="$URL"
expect_status 0 "verify --server: valid" "$DIPR" verify "$CERT" --vkey "$T/vkeys" --server "$URL"
grep -q "^status: valid$" "$T/out" && ok || bad "status valid: $(cat "$T/out")"
grep -q "^history: 5 events of registration $REGNO verified" "$T/out" && ok || bad "history counted: $(cat "$T/out")"
expect_status 0 "cert status" "$DIPR" cert status "$REGNO"
is_line() { [ "$(cat "$T/out")" = "$1" ] && ok || bad "$2: '$(cat "$T/out")', want '$1'"; }
VALID=$(jq -r .certificate.valid_until "$CERT")
is_line "$REGNO valid certno $CERTNO valid_until $VALID" "cert status line"
END=$(date -u -d "$("$DIPR" admin clock | jq -r .today) + 1 year" +%F)

expect_status 2 "pledge needs the holder's token" "$DIPR" cert pledge "$REGNO" --pledgee 天津银行 --amount 5000000 --end "$END"
grep -q "(HTTP 401 " "$T/err" && ok || bad "no token: HTTP 401 named: $(cat "$T/err")"
expect_status 0 "pledge" "$DIPR" cert pledge "$REGNO" --pledgee 天津银行 --amount 5000000 --end "$END" --token "$HOLDER"
expect_status 0 "verify --server: pledged" "$DIPR" verify "$CERT" --vkey "$T/vkeys" --server "$URL"
grep -q "^status: pledged (to 天津银行 until $END)$" "$T/out" && ok || bad "status pledged: $(cat "$T/out")"
expect_status 0 "cert status pledged" "$DIPR" cert status "$REGNO"
is_line "$REGNO pledged certno $CERTNO valid_until $VALID pledged to 天津银行" "cert status line when pledged"
expect_status 2 "no cancellation while pledged" "$DIPR" cert cancel "$REGNO" --token "$HOLDER"
grep -q "^dipr cert cancel: .* (HTTP 409 pledged)$" "$T/err" && [ "$(wc -l <"$T/err")" = 1 ] && ok ||
	bad "refusal is one line naming HTTP 409 pledged: $(cat "$T/err")"
expect_status 0 "release the pledge" "$DIPR" cert release "$REGNO" --token "$HOLDER"
[ "$(jq -r .state "$T/out")" = registered ] && ok || bad "release answers JSON: $(head -c 300 "$T/out")"

# a change issues a new certificate; the old one is superseded
printf '{"data_name": "天津港集装箱吞吐量日数据（2027版）"}\n' >"$T/change.json"
expect_status 0 "change" "$DIPR" cert change "$REGNO" "$T/change.json" --token "$HOLDER"
expect_status 0 "cert get REGNO: the current certificate" "$DIPR" cert get "$REGNO" -o "$T/cert2.json"
is_line "$T/cert2.json" "cert get prints the file name"
C2=$(jq -r .certificate.certno "$T/cert2.json")
[ "$C2" != "$CERTNO" ] && ok || bad "the change issued a new certificate number"
expect_status 1 "verify --server: the old certificate is superseded" "$DIPR" verify "$CERT" --vkey "$T/vkeys" --server "$URL"
grep -q "^status: superseded (the current certificate of $REGNO is $C2)$" "$T/out" && ok || bad "status superseded: $(cat "$T/out")"
expect_status 0 "verify --server: the new certificate" "$DIPR" verify "$T/cert2.json" --vkey "$T/vkeys" --server "$URL"
expect_status 0 "cert get CERTNO -o -" "$DIPR" cert get "$C2" -o -
[ "$(jq -r .certificate.data_name "$T/out")" = "天津港集装箱吞吐量日数据（2027版）" ] && ok || bad "cert get by number"

expect_status 0 "cancel" "$DIPR" cert cancel "$REGNO" --token "$HOLDER"
expect_status 1 "verify --server: cancelled" "$DIPR" verify "$T/cert2.json" --vkey "$T/vkeys" --server "$URL"
grep -q "^status: cancelled$" "$T/out" && ok || bad "status cancelled: $(cat "$T/out")"
grep -q "is cancelled" "$T/err" && [ "$(wc -l <"$T/err")" = 1 ] && ok || bad "cancelled: one stderr line: $(cat "$T/err")"
expect_status 1 "verify --server: the old certificate stays superseded" "$DIPR" verify "$CERT" --vkey "$T/vkeys" --server "$URL"
expect_status 1 "verify --server with another log's keys" "$DIPR" verify "$CERT" --vkey tests/e2e/fixtures/cert-test.vkeys --server "$URL"

# ---- usage and error lines of the workflow commands ----
expect_status 2 "unknown verb" "$DIPR" cert frobnicate "$REGNO"
expect_status 2 "an option the verb does not take" "$DIPR" cert cancel "$REGNO" --reasons x
expect_status 2 "a required option missing" "$DIPR" review refuse 1 --token "$HOLDER"
grep -q "^dipr review refuse: --reasons: required" "$T/err" && ok || bad "missing option named: $(cat "$T/err")"
expect_status 2 "no such application" "$DIPR" apply show 999 --token "$HOLDER"
grep -q "(HTTP 404 not_found)$" "$T/err" && ok || bad "404 line: $(cat "$T/err")"
expect_status 0 "apply list" "$DIPR" apply list --token "$HOLDER"
[ "$(jq '.applications | length' "$T/out")" = 1 ] && ok || bad "apply list: $(head -c 300 "$T/out")"
expect_status 1 "no server answering" "$DIPR" cert status "$REGNO" --server http://127.0.0.1:1

# ---- a registry whose record disagrees with its log ----
# A stub serves a changed copy of the record and passes everything else to
# the real server (node is installed with the test dependencies).
curl -s "$URL/api/v1/registrations/$REGNO" >"$T/record.json"
cat >"$T/stub.js" <<'EOF'
const http = require('http'), fs = require('fs');
const [upstream, file, path] = process.argv.slice(2);
http.createServer((q, r) => {
  if (q.url === path) { r.writeHead(200, {'content-type': 'application/json'}); r.end(fs.readFileSync(file)); return; }
  http.get(upstream + q.url, u => { r.writeHead(u.statusCode, u.headers); u.pipe(r); });
}).listen(0, '127.0.0.1', function () { console.log('stub http://127.0.0.1:' + this.address().port); });
EOF
if command -v node >/dev/null; then
	node "$T/stub.js" "$URL" "$T/stub-record.json" "/api/v1/registrations/$REGNO" >"$T/stub.out" 2>&1 &
	STUB=$!
	i=0; while ! grep -q '^stub ' "$T/stub.out" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	SURL=$(sed -n 's/^stub //p' "$T/stub.out")
	stub_case() { # NAME WANT-IN-STDERR JQ-FILTER
		jq "$3" "$T/record.json" >"$T/stub-record.json"
		"$DIPR" verify "$T/cert2.json" --vkey "$T/vkeys" --server "$SURL" >"$T/out" 2>"$T/err"
		got=$?
		[ $got = 1 ] && grep -q -- "$2" "$T/err" && ok || bad "$1: exit $got, want 1 with '$2': $(cat "$T/err")"
	}
	cp "$T/record.json" "$T/stub-record.json"
	expect_status 1 "through the stub, the true record: cancelled" "$DIPR" verify "$T/cert2.json" --vkey "$T/vkeys" --server "$SURL"
	grep -q "^status: cancelled$" "$T/out" && ok || bad "stub passes the record through: $(cat "$T/out") $(cat "$T/err")"
	stub_case "claims valid, log shows the cancellation" "is cancelled" '.status = "valid"'
	grep -q "^note: the registry's record says valid, but its logged events show cancelled$" "$T/out" && ok ||
		bad "the disagreement is noted: $(cat "$T/out")"
	stub_case "an event's entry changed" "history\[1\].entry: differs" '.history[1].entry.body_hash = "00"'
	stub_case "an event left out" "not chained" 'del(.history[2])'
	stub_case "the cancellation left out of the history: the record's status stands" "is cancelled" '.history |= .[0:-1]'
	stub_case "a proof swapped" "history\[1\]" '.history[1].tlog_proof = .history[2].tlog_proof'
	stub_case "a proof's entry (extra) swapped" "history\[1\].tlog_proof\|history\[1\]" \
		'.history[1].tlog_proof |= sub("extra [^\n]*"; "extra eyJ4IjoxfQ==")'
	stub_case "index changed" "history\[0\].index" '.history[0].index = 99'
	stub_case "another application's chain" "not a registration event of application" '.application = 7'
	stub_case "no history" "no history" '.history = []'
	stub_case "certificate not listed" "does not list certificate" '.certificates = []'
	stub_case "certificate at another index" "does not list certificate" "(.certificates[] | select(.certno == \"$C2\") | .index) += 1"
	kill "$STUB"; wait "$STUB" 2>/dev/null; STUB=""
else
	bad "node is needed for the stub registry (scripts/deps.sh installs it)"
fi
finish
