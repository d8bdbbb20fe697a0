#!/bin/sh
# registration-demo.sh DIR — the whole registration chain of docs/REGISTRY.md,
# from nothing to a verified certificate, on a new data directory DIR:
#
#   evidence (存证) -> application (申请) -> review (审查) -> public notice (公示)
#   with an objection (异议) -> registration and certificate (登记, 发证)
#
# Run it after `make`; it needs jq (scripts/deps.sh installs it).  Each step
# is one dipr command you can type yourself.  The last line printed is
#   certificate CERTNO REGNO DIR/cert.json DIR
# $DIPR, if set, is the dipr binary to use (the tests set it); else build/dipr.
set -eu

DIPR="${DIPR:-$(cd "$(dirname "$0")/.." && pwd)/build/dipr}"
[ $# = 1 ] || { echo "usage: $0 DIR (a new directory)" >&2; exit 2; }
D=$1
[ -x "$DIPR" ] || { echo "$DIPR: not built yet, run make" >&2; exit 2; }
command -v jq >/dev/null || { echo "this demo needs jq: sh scripts/deps.sh (or apt-get install jq)" >&2; exit 2; }
[ ! -e "$D/dipr.db" ] || { echo "$D: already a data directory; give a new one" >&2; exit 2; }
EXAMPLES="$(cd "$(dirname "$0")" && pwd)"
step() { echo "== $*"; }

step "1. data directory $D (test clock: lets this demo move the date past the public notice)"
"$DIPR" init --dir "$D" --origin demo.example.cn/dipr --test-clock >/dev/null

step "2. accounts: applicant (with a portal password), examiner, admin; an API token each"
printf 'demo-password-123\n' | "$DIPR" user add applicant --role applicant --password-stdin --dir "$D" >/dev/null
"$DIPR" user add examiner --role examiner --dir "$D" >/dev/null
"$DIPR" user add admin --role admin --dir "$D" >/dev/null
APPLICANT=$("$DIPR" token create --user applicant --dir "$D")
EXAMINER=$("$DIPR" token create --user examiner --dir "$D")
ADMIN=$("$DIPR" token create --user admin --dir "$D")

step "3. the server on a free loopback port"
"$DIPR" serve --dir "$D" --listen 127.0.0.1:0 >"$D/serve.out" 2>"$D/serve.err" &
SPID=$!
trap 'kill "$SPID" 2>/dev/null || :' EXIT # stopped however the script ends
trap 'exit 130' INT TERM
i=0
until grep -q '^serving ' "$D/serve.out"; do
	i=$((i + 1))
	if [ $i -gt 200 ] || ! kill -0 "$SPID" 2>/dev/null; then
		echo "the server did not start: $(cat "$D/serve.err")" >&2
		exit 1
	fi
	sleep 0.05
done
URL=$(sed -n 's|^serving \(http://[^ ]*\)/$|\1|p' "$D/serve.out")
export DIPR_SERVER="$URL" # the workflow commands read it (or --server URL)
echo "   $URL"

step "4. evidence: the dataset is hashed here, record by record; only digests reach the server"
{
	echo "date,terminal,teu_in,teu_out"
	n=1
	while [ $n -le 40 ]; do
		echo "2026-01-$(printf %02d $(((n - 1) % 28 + 1))),T$((n % 4 + 1)),$((n * 37 % 900 + 100)),$((n * 53 % 800 + 150))"
		n=$((n + 1))
	done
} >"$D/port.csv"
"$DIPR" attest "$D/port.csv" --server "$URL" --token "$APPLICANT" --records csv -o "$D/port.tlog-proof" | sed 's/^/   /'

step "5. a sample (数据样例): rows 1-3 disclosed, each proven to be in the attested dataset"
"$DIPR" sample "$D/port.csv" --receipt "$D/port.tlog-proof" --rows 1,2,3 -o "$D/port.sample.json" >/dev/null

step "6. the application document: $EXAMPLES/application.json with the receipt and the sample"
jq --rawfile receipt "$D/port.tlog-proof" --slurpfile sample "$D/port.sample.json" \
	--argjson bytes "$(wc -c <"$D/port.csv")" \
	'.evidence = [$receipt] | .sample = $sample[0] | .scale = {records: 40, bytes: $bytes}' \
	"$EXAMPLES/application.json" >"$D/application.json"

step "7. the applicant files it (a draft, then submitted for formal review)"
out=$("$DIPR" apply "$D/application.json" --submit --token "$APPLICANT")
echo "   $out"
APP=$(echo "$out" | cut -d' ' -f2)

step "8. the examiner accepts: the public notice (公示) starts"
"$DIPR" review accept "$APP" --token "$EXAMINER" | jq -r '"   notice until " + .record.notice_end'

step "9. anyone may object during the notice, without an account (the attachment is hashed here)"
echo "an objector's evidence" >"$D/objection-evidence.txt"
out=$("$DIPR" object "$APP" --reasons "我方认为该数据部分来自我方系统" --attach "$D/objection-evidence.txt")
echo "   $out"
OBJ=$(echo "$out" | cut -d' ' -f2)

step "10. the examiner dismisses the objection: the notice continues"
"$DIPR" review dismiss "$OBJ" --reasons "异议人未提供权属证据" --token "$EXAMINER" | jq -r '"   application now " + .state'

step "11. the admin moves the test clock 30 days on, past the notice end: registered"
TODAY=$("$DIPR" admin clock | jq -r .today)
"$DIPR" admin clock "$(date -u -d "$TODAY + 30 days" +%F)" --token "$ADMIN" | jq -r '"   today " + .today'
REGNO=$("$DIPR" apply show "$APP" --token "$APPLICANT" | jq -r .regno)
"$DIPR" cert status "$REGNO" | sed 's/^/   /'

step "12. the certificate (登记证书), verified offline with the log's keys, then its status online"
"$DIPR" cert get "$REGNO" -o "$D/cert.json" >/dev/null
"$DIPR" keys --dir "$D" >"$D/log.vkeys"
"$DIPR" verify "$D/cert.json" --vkey "$D/log.vkeys" --server "$URL" | sed 's/^/   /'
CERTNO=$(jq -r .certificate.certno "$D/cert.json")

step "13. stop the server (start it again with: $DIPR serve --dir $D)"
kill "$SPID"
wait "$SPID" || :
trap - EXIT
echo "certificate $CERTNO $REGNO $D/cert.json $D"
