#!/bin/sh
# tests/browser/run.sh BUILD_DIPR — the portal in a real browser.
#
# Makes a data directory with examples/registration-demo.sh (a registered
# dataset with its certificate), gives the demo's examiner a password,
# attests a second dataset for the applicant to file through the portal,
# starts `dipr serve` on a free loopback port and runs portal.test.mjs:
# Debian's Chromium (/usr/bin/chromium, or $CHROMIUM) driven by
# playwright-core (pinned in package.json, `npm ci` here).  One line per
# check; exit status 0 only if every check passed.  Screenshots of the
# main pages go to build/screenshots/ (or $SHOTS).
set -eu
[ $# = 1 ] || { echo "usage: $0 BUILD_DIPR (e.g. build/dipr)" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
case $1 in /*) DIPR=$1 ;; *) DIPR=$(pwd)/$1 ;; esac
[ -x "$DIPR" ] || { echo "$DIPR: not built (run make)" >&2; exit 2; }
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "$CHROMIUM: not installed (apt-get install chromium)" >&2; exit 2; }
command -v node >/dev/null || { echo "node: not installed" >&2; exit 2; }
cd "$ROOT"
if [ ! -f tests/browser/node_modules/playwright-core/package.json ]; then
	npm ci --prefix tests/browser --no-audit --no-fund >/dev/null
fi

T=$(mktemp -d /tmp/dipr-browser.XXXXXX)
SPID=
cleanup() {
	[ -z "$SPID" ] || { kill "$SPID" 2>/dev/null || :; wait "$SPID" 2>/dev/null || :; }
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
D=$T/data

# 1. the demo: evidence -> application -> notice -> objection -> registered
if ! sh examples/registration-demo.sh "$D" >"$T/demo.out" 2>&1; then
	echo "FAIL data: examples/registration-demo.sh failed:" >&2
	tail -n 20 "$T/demo.out" >&2
	exit 1
fi
set -- $(tail -n 1 "$T/demo.out")
[ "$1" = certificate ] || { echo "FAIL data: the demo's last line is not 'certificate CERTNO REGNO CERT DIR'" >&2; exit 1; }
CERTNO=$2 REGNO=$3 CERT=$4

# 2. accounts: the demo's applicant has the password demo-password-123
EXAMINER_PW=examiner-password-456
printf '%s\n' "$EXAMINER_PW" | "$DIPR" user passwd examiner --dir "$D" >/dev/null
TOKEN=$("$DIPR" token create --user applicant --dir "$D")
ADMIN_TOKEN=$("$DIPR" token create --user admin --dir "$D")

# 3. the server
"$DIPR" serve --dir "$D" --listen 127.0.0.1:0 >"$T/serve.out" 2>"$T/serve.err" &
SPID=$!
i=0
until grep -q '^serving ' "$T/serve.out"; do
	i=$((i + 1))
	if [ $i -gt 200 ] || ! kill -0 "$SPID" 2>/dev/null; then
		echo "FAIL server: did not start: $(cat "$T/serve.err")" >&2
		exit 1
	fi
	sleep 0.05
done
URL=$(sed -n 's|^serving \(http://[^ ]*\)/$|\1|p' "$T/serve.out")

# 4. a second dataset, attested by the applicant, to file in the browser
{
	echo "month,berth,ships"
	n=1
	while [ $n -le 12 ]; do echo "2026-$(printf %02d $n),B$((n % 3 + 1)),$((n * 17 % 90 + 10))"; n=$((n + 1)); done
} >"$T/berths.csv"
"$DIPR" attest "$T/berths.csv" --server "$URL" --token "$TOKEN" -o "$T/berths.tlog-proof" >/dev/null
# and a third, filed over the API by the test and left unreviewed past its deadline
printf 'day,yard,moves\n2026-01-01,Y1,310\n2026-01-02,Y2,287\n' >"$T/yard.csv"
"$DIPR" attest "$T/yard.csv" --server "$URL" --token "$TOKEN" -o "$T/yard.tlog-proof" >/dev/null

SHOTS=${SHOTS:-$ROOT/build/screenshots}
mkdir -p "$SHOTS"
export DIPR_URL="$URL" DEMO_CERT="$CERT" DEMO_CERTNO="$CERTNO" DEMO_REGNO="$REGNO" DEMO_DATA="$D/port.csv" \
	DEMO_APPLICATION="$D/application.json" RECEIPT="$T/berths.tlog-proof" RECEIPT_DATA="$T/berths.csv" \
	RECEIPT3="$T/yard.tlog-proof" APPLICANT_TOKEN="$TOKEN" ADMIN_TOKEN="$ADMIN_TOKEN" \
	APPLICANT=applicant APPLICANT_PW=demo-password-123 EXAMINER=examiner EXAMINER_PW="$EXAMINER_PW" \
	SHOTS CHROMIUM WORK="$T"
node tests/browser/portal.test.mjs
