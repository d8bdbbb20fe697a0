#!/bin/sh
# bench/scale.sh DIPR — issue 6's scale goals: the same measurements on an
# empty log and on a log of SCALE_N entries (default 10^7), side by side:
# attest throughput and latency (wrk, 64 connections), inclusion-proof
# latency at random indexes, storage per entry beyond the entry bytes, RSS.
# The big log is filled in-process through the real sequencer
# (bench/scale_load.c: durable batches, signed checkpoints, no HTTP).
# Takes a few minutes and ~2.5 GB of disk for 10^7; cleans up after itself.
set -e
DIPR=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
N=${SCALE_N:-10000000}
SECS=${SCALE_SECS:-10}
BENCH=$(cd "$(dirname "$0")" && pwd)
W=$BENCH/out/scale
rm -rf "$W"; mkdir -p "$W"
SPID=""
cleanup() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null; rm -rf "$W/empty" "$W/big"; }
trap cleanup EXIT INT TERM
log() { echo "scale: $*" >&2; }
kv() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }
calc() { awk "BEGIN { printf \"${2:-%.6g}\", ($1) }"; }
cc -O2 -std=c11 -D_GNU_SOURCE -I. -Iinclude -Ilib "$BENCH/scale_load.c" build/libdipr-app.a build/libdipr.a \
	$(pkg-config --libs libcrypto sqlite3 libmicrohttpd jansson libcurl) -lpthread -o "$W/scale_load"

serve() { # DIR: starts the server, sets URL and SPID
	"$DIPR" serve --dir "$1" --listen 127.0.0.1:0 >"$W/serve.out" 2>"$W/serve.err" &
	SPID=$!
	while ! grep -q '^serving ' "$W/serve.out" 2>/dev/null; do sleep 0.05; done
	URL=$(sed -n 's/^serving \(http[^ ]*\)\/$/\1/p' "$W/serve.out")
}
measure() { # DIR NAME SIZE: attest and proof figures into variables NAME_*
	serve "$1"
	export DIPR_TOKEN DIPR_SIZE=$3
	a=$(wrk -t2 -c64 -d"${SECS}s" --timeout 10s -s "$BENCH/post.lua" "$URL/api/v1/evidence" | grep '^WRK')
	p=$(wrk -t2 -c8 -d5s -s "$BENCH/proof.lua" "$URL" | grep '^WRK')
	rss=$(awk '/VmRSS/ { print $2 }' /proc/$SPID/status)
	kill "$SPID"; wait "$SPID" 2>/dev/null || true; SPID=""
	eval "${2}_RPS=$(kv "$a" rps) ${2}_P99=$(kv "$a" p99_ms) ${2}_ERR=$(( $(kv "$a" status) + $(kv "$a" connect) + $(kv "$a" read) + $(kv "$a" timeout) ))"
	eval "${2}_PRPS=$(kv "$p" rps) ${2}_PP50=$(kv "$p" p50_ms) ${2}_PP99=$(kv "$p" p99_ms) ${2}_RSS=$rss"
}
mkdb() { # DIR
	"$DIPR" init --dir "$1" --origin scale.test/log >/dev/null
	"$DIPR" user add a --role applicant --dir "$1" >/dev/null
	DIPR_TOKEN=$("$DIPR" token create --user a --dir "$1")
}

log "empty log"
mkdb "$W/empty"
measure "$W/empty" E 1
log "filling a log with $N entries (in process)"
mkdb "$W/big"
LOAD=$("$W/scale_load" "$W/big" "$N")
measure "$W/big" B "$N"
sqlite3 "$W/big/dipr.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
ENT=$(sqlite3 "$W/big/dipr.db" 'SELECT count(*), sum(length(data)) FROM entry;')
NE=${ENT%%|*}; EB=${ENT#*|}
DBB=$(stat -c %s "$W/big/dipr.db")
PER=$(calc "($DBB - $EB) / $NE" "%.1f")

row() { printf '%-36s %12s  %12s  %8s  %s\n' "$1" "$2" "$3" "$4" "$5"; }
echo
echo "dipr scale — empty log vs $NE entries ($(kv "$LOAD" rate) entries/s loaded in process, $(kv "$LOAD" seconds) s)"
row "figure" "empty log" "big log" "ratio" "goal (issue 6)"
row "attest, entries/s (64 conns)" "$(calc "$E_RPS" %.0f)" "$(calc "$B_RPS" %.0f)" "$(calc "$B_RPS / $E_RPS" %.2f)" ">= 0.80"
row "attest p99, ms" "$E_P99" "$B_P99" "$(calc "$B_P99 / $E_P99" %.2f)" ""
row "attest errors" "$E_ERR" "$B_ERR" "" "== 0"
row "inclusion proof p50, ms (8 conns)" "$E_PP50" "$B_PP50" "$(calc "$B_PP50 / $E_PP50" %.2f)" "flat"
row "inclusion proof p99, ms" "$E_PP99" "$B_PP99" "$(calc "$B_PP99 / $E_PP99" %.2f)" ""
row "inclusion proofs/s" "$(calc "$E_PRPS" %.0f)" "$(calc "$B_PRPS" %.0f)" "$(calc "$B_PRPS / $E_PRPS" %.2f)" ""
row "server RSS after, MiB" "$(calc "$E_RSS / 1024" %.1f)" "$(calc "$B_RSS / 1024" %.1f)" "" "bounded"
row "storage beyond entries, B/entry" "" "$PER" "" "<= 40"
row "database bytes / entries" "" "$DBB / $NE" "" ""
