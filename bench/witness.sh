#!/bin/sh
# bench/witness.sh — what witnesses add to a submission (issue 9).
#
#   sh bench/witness.sh build/dipr
#
# The same log is measured twice on this machine: without witnesses, and with
# two `dipr witness serve` on loopback and --witness-quorum 2 (every batch's
# checkpoint is sent to both witnesses in parallel and published only once
# both cosigned).  Two loads each, with wrk and bench/post.lua:
#   sequential  1 connection: the latency of one submission on an idle log
#   loaded      64 connections: throughput, and latency under batching
# Prints one table; ratio = with witnesses / without.  Loopback witnesses
# show the protocol's own cost (HTTP round trip, proof, verification,
# fsync of the witness state); a real witness adds its network round trip.
# Knobs: SECS (5 per run).
set -eu
DIPR_ARG=${1:-build/dipr}
[ -x "$DIPR_ARG" ] || { echo "bench/witness: $DIPR_ARG: not an executable (run make all)" >&2; exit 2; }
DIPR=$(cd "$(dirname "$DIPR_ARG")" && pwd)/$(basename "$DIPR_ARG")
BENCH=$(cd "$(dirname "$0")" && pwd)
SECS=${SECS:-5}
command -v wrk >/dev/null 2>&1 || { echo "bench/witness: wrk is missing (make deps)" >&2; exit 2; }
W=$(mktemp -d /tmp/dipr-wbench.XXXXXX)
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# serve_url OUTFILE: waits for the "serving URL/" line of a server.
serve_url() {
	i=0
	while ! grep -q '^serving http' "$1" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 200 ] || { echo "bench/witness: server did not start" >&2; exit 1; }
		sleep 0.05
	done
	sed -n 's#^serving \(http://[^/]*\)/.*#\1#p' "$1"
}

"$DIPR" init --dir "$W/d" --origin bench.test/witnessed >/dev/null
"$DIPR" keys --dir "$W/d" >"$W/vkeys"
"$DIPR" user add a --role applicant --dir "$W/d" >/dev/null
TOK=$("$DIPR" token create --user a --dir "$W/d")
for n in 1 2; do
	"$DIPR" witness init --dir "$W/w$n" --name "w$n.bench.test/w" >"$W/w$n.vkey"
	"$DIPR" witness serve --dir "$W/w$n" --listen 127.0.0.1:0 --log "$W/vkeys" >"$W/w$n.out" 2>"$W/w$n.err" &
	PIDS="$PIDS $!"
done
W1=$(cat "$W/w1.vkey")@$(serve_url "$W/w1.out")
W2=$(cat "$W/w2.vkey")@$(serve_url "$W/w2.out")

# run LABEL [serve args...]: both loads against a fresh server on the log
run() {
	label=$1; shift
	"$DIPR" serve --dir "$W/d" --listen 127.0.0.1:0 --threads 2 "$@" >"$W/s.out" 2>"$W/s.err" &
	spid=$!
	url=$(serve_url "$W/s.out")
	# warm up (connections, the witnesses' first 409 and proof)
	DIPR_TOKEN=$TOK wrk -t1 -c1 -d1s -s "$BENCH/post.lua" "$url/api/v1/evidence" >/dev/null 2>&1
	for load in 1 64; do
		t=1; [ $load = 64 ] && t=2
		DIPR_TOKEN=$TOK wrk -t$t -c$load -d"${SECS}s" --timeout 10s -s "$BENCH/post.lua" "$url/api/v1/evidence" \
			>"$W/wrk.$label.$load" 2>&1
		grep '^WRK ' "$W/wrk.$label.$load" | sed "s/^/$label c$load: /" >>"$W/raw"
	done
	curl -s "$url/metrics" | grep '^dipr_witness_\(rounds_total\|seconds_total\) \|^dipr_log_batches_total ' |
		sed "s/^/$label metrics: /" >>"$W/raw"
	kill "$spid"; wait "$spid" 2>/dev/null || true
}
: >"$W/raw"
echo "bench/witness: ${SECS}s per run, 4 runs" >&2
run plain
run witnessed --witness "$W1" --witness "$W2" --witness-quorum 2

kv() { grep "^$1 c$2: " "$W/raw" | tr ' ' '\n' | sed -n "s/^$3=//p"; }
m() { grep "^$1 metrics: $2 " "$W/raw" | awk '{ print $NF }'; }
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
row() { printf '%-44s %12s %12s %8s\n' "$1" "$2" "$3" "$4"; }
echo
echo "dipr witnesses — $(nproc) cores, two loopback witnesses, quorum 2; load average $(cut -d' ' -f1 /proc/loadavg)"
row "figure" "no witness" "2 witnesses" "ratio"
for load in 1 64; do
	for f in rps p50_ms p99_ms; do
		a=$(kv plain $load $f); b=$(kv witnessed $load $f)
		row "c$load $f" "$a" "$b" "$(ratio "$b" "$a")"
	done
done
R=$(m witnessed dipr_witness_rounds_total); S=$(m witnessed dipr_witness_seconds_total)
row "cosigning round, ms (mean, all runs)" "-" "$(awk "BEGIN { printf \"%.3f\", 1000 * $S / $R }")" ""
row "batches with a cosigning round" "-" "$R" ""
echo "raw: $(wc -l <"$W/raw") lines"; cat "$W/raw"
