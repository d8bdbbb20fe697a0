#!/bin/sh
# bench/run.sh — dipr's benchmarks (`make bench`).
#
#   sh bench/run.sh build/dipr
#
# Prints ONE table on stdout: each figure, the baseline measured in the same
# run, their ratio, and the goal of issue 6 it answers.  Progress goes to
# stderr; the raw lines of the last run are kept in bench/out/raw.txt (and,
# with BENCH_PERF=1, a server profile under attest load in
# bench/out/perf-attest.txt).  Everything else (data dir, 1 GiB file) is
# removed on exit.  Knobs (environment): ATTEST_SECS (12), READ_SECS (5),
# FSYNC_SECS (3), HASH_MB (1024), HASH_RUNS (2), VERIFY_RUNS (200),
# VERIFY_ITERS (2000), SPEED_SECS (3), BENCH_PERF (0).
#
# What is measured (see docs/PERFORMANCE.md):
#  1. attest: wrk, 2 threads, 64 keep-alive connections, POST
#     /api/v1/evidence with a fresh digest per request (bench/post.lua),
#     against `dipr serve --threads 2` on the same 2 cores; baseline: the
#     fsync rate and the one-row SQLite WAL commit rate of the data dir's
#     filesystem (bench/fsync.c); batch size and commit time from /metrics.
#  2. reads: wrk GET /checkpoint (from memory), a full and a partial level-0
#     tile and a full entry bundle (from SQLite); baseline: /checkpoint.
#  3. hashing: dipr hash on a 1 GiB file in page cache vs openssl dgst,
#     sha256sum and openssl speed (16 KiB blocks).
#  4. verify: `dipr verify` per process (startup included) vs `dipr
#     --version`; in process (bench/verify_bench.c) vs the two raw signature
#     checks and vs openssl speed ed25519/sm2.
#  5. storage: database bytes per entry beyond the entry bytes; server RSS.
set -eu

DIPR_ARG=${1:-build/dipr}
[ -x "$DIPR_ARG" ] || { echo "bench: $DIPR_ARG: not an executable (run make all)" >&2; exit 2; }
DIPR=$(cd "$(dirname "$DIPR_ARG")" && pwd)/$(basename "$DIPR_ARG")
BUILDDIR=$(dirname "$DIPR")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
ATTEST_SECS=${ATTEST_SECS:-12}
READ_SECS=${READ_SECS:-5}
FSYNC_SECS=${FSYNC_SECS:-3}
HASH_MB=${HASH_MB:-1024}
HASH_RUNS=${HASH_RUNS:-2}
VERIFY_RUNS=${VERIFY_RUNS:-200}
VERIFY_ITERS=${VERIFY_ITERS:-2000}
SPEED_SECS=${SPEED_SECS:-3}
BENCH_PERF=${BENCH_PERF:-0}
CONNS=64
WRK_THREADS=2
SERVER_THREADS=2

for t in wrk curl openssl sqlite3 sha256sum pkg-config; do
	command -v $t >/dev/null 2>&1 || { echo "bench: $t is missing (make deps)" >&2; exit 2; }
done

mkdir -p "$BENCH/out"
W=$(mktemp -d "$BENCH/out/run.XXXXXX")
RAW=$BENCH/out/raw.txt
: > "$RAW"
rm -f "$BENCH/out/perf-attest.txt" # a profile belongs to the run that made it
SRV_PID=""
PERF_PID=""

stop_server() {
	if [ -n "$SRV_PID" ]; then
		kill -TERM "$SRV_PID" 2>/dev/null || true
		wait "$SRV_PID" 2>/dev/null || true
		SRV_PID=""
	fi
}
PG_UP=""
cleanup() {
	if [ -n "$PERF_PID" ]; then kill -INT "$PERF_PID" 2>/dev/null || true; fi
	stop_server
	[ -z "$PG_UP" ] || sh scripts/pgtest.sh stop >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

log() { echo "bench: $*" >&2; }
raw() { echo "$*" >> "$RAW"; }
die() { echo "bench: $*" >&2; exit 1; }

# kv "k1=v1 k2=v2" k2  -> v2
kv() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }
# calc EXPR [FORMAT] -> awk arithmetic
calc() { awk "BEGIN { printf \"${2:-%.6g}\", ($1) }"; }
# metric NAME FILE -> value of a Prometheus sample line
metric() { awk -v n="$1" '$1 == n { print $2 }' "$2"; }
now_s() { date +%s.%N; }

# A private copy of the binary and library: a rebuild during the run
# does not change what is measured.
cp "$DIPR" "$W/dipr"
DIPR=$W/dipr

# ---------------------------------------------------------------- helpers
CC=${CC:-cc}
CFLAGS_B="-std=c11 -D_GNU_SOURCE -I$ROOT -I$ROOT/include -I$ROOT/lib -Wall -Wextra -Werror -Wshadow \
-Wno-unused-parameter -Wno-missing-field-initializers -O2 -g"
PKGS="libcrypto sqlite3 libmicrohttpd jansson libcurl"
log "building bench helpers"
# shellcheck disable=SC2046,SC2086
$CC $CFLAGS_B -o "$W/fsync" "$BENCH/fsync.c" $(pkg-config --cflags --libs $PKGS) -lpthread
# shellcheck disable=SC2046,SC2086
$CC $CFLAGS_B -o "$W/timeit" "$BENCH/timeit.c"
[ -f "$BUILDDIR/libdipr.a" ] || die "$BUILDDIR/libdipr.a missing (run make all)"
# shellcheck disable=SC2046,SC2086
$CC $CFLAGS_B -o "$W/verify_bench" "$BENCH/verify_bench.c" "$BUILDDIR/libdipr.a" \
	$(pkg-config --cflags --libs $PKGS) -lpthread

# ---------------------------------------------------------------- machine
raw "machine: nproc=$(nproc) kernel=$(uname -r) cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
raw "memory: $(free -h | awk '/^Mem:/ { print $2 " total, " $7 " available" }')"
raw "disk: $(df -hT "$W" | awk 'NR == 2 { print $1 " " $2 " " $3 " size" }')"
raw "wrk: $(wrk -v 2>&1 | head -n 1 | cut -c1-40); openssl: $(openssl version); sqlite3: $(sqlite3 -version | cut -d' ' -f1)"

LOAD0=$(cut -d' ' -f1 /proc/loadavg)
raw "load average at start: $(cat /proc/loadavg)"

# ---------------------------------------------------------------- 1. fsync baseline
log "fsync baseline (${FSYNC_SECS}s fdatasync + ${FSYNC_SECS}s SQLite commits) in $W"
FS=$("$W/fsync" "$W" "$FSYNC_SECS")
raw "fsync: $FS"
FSYNC_RATE=$(kv "$FS" fsync_per_s)
FSYNC_MS=$(kv "$FS" fsync_ms)
SQL_RATE=$(kv "$FS" sqlite_commits_per_s)

# ---------------------------------------------------------------- server
D=$W/data
"$DIPR" init --dir "$D" --origin bench.test/log > "$W/init.out"
"$DIPR" user add a --role applicant --dir "$D" > /dev/null
TOK=$("$DIPR" token create --user a --dir "$D")
"$DIPR" keys --dir "$D" > "$W/vkeys"
"$DIPR" serve --dir "$D" --listen 127.0.0.1:0 --threads $SERVER_THREADS > "$W/serve.out" 2> "$W/serve.err" &
SRV_PID=$!
i=0
while ! grep -q '^serving http' "$W/serve.out" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || die "server did not start: $(cat "$W/serve.err")"
	kill -0 "$SRV_PID" 2>/dev/null || die "server exited: $(cat "$W/serve.err")"
	sleep 0.1
done
URL=$(sed -n 's#^serving \(http://[^/]*\)/.*#\1#p' "$W/serve.out")
raw "server: $URL pid $SRV_PID threads $SERVER_THREADS"
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$SRV_PID/status"; }
RSS_IDLE=$(rss_kb)

# wrk_run NAME SECS URL SCRIPT -> the WRK line (also in raw.txt)
wrk_run() {
	wrk -t$WRK_THREADS -c$CONNS -d"$2"s --timeout 10s -s "$4" "$3" > "$W/wrk.$1" 2>&1 ||
		die "wrk $1 failed: $(cat "$W/wrk.$1")"
	line=$(grep '^WRK ' "$W/wrk.$1") || die "wrk $1: no report line: $(cat "$W/wrk.$1")"
	raw "wrk $1 $3: $line"
	echo "$line"
}

# ---------------------------------------------------------------- 1. attest
curl -sf "$URL/metrics" > "$W/metrics.0" || die "GET /metrics failed"
log "attest: wrk -t$WRK_THREADS -c$CONNS -d${ATTEST_SECS}s POST /api/v1/evidence"
# CPU accounting around the run: the server's user+system ticks, and the
# machine's busy and idle ticks (/proc/stat: idle and iowait count as idle)
srv_ticks() { awk '{ print $14 + $15 }' "/proc/$SRV_PID/stat"; }
sys_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat; }
SRV_T0=$(srv_ticks)
SYS_T0=$(sys_ticks)
T0=$(now_s)
A=$(DIPR_TOKEN=$TOK wrk_run attest "$ATTEST_SECS" "$URL/api/v1/evidence" "$BENCH/post.lua")
T1=$(now_s)
SRV_T1=$(srv_ticks)
SYS_T1=$(sys_ticks)
HZ=$(getconf CLK_TCK)
SRV_CORES=$(calc "($SRV_T1 - $SRV_T0) / $HZ / ($T1 - $T0)" "%.2f")
MACH_BUSY=$(calc "(${SYS_T1% *} - ${SYS_T0% *}) / ((${SYS_T1% *} - ${SYS_T0% *}) + (${SYS_T1#* } - ${SYS_T0#* }))" "%.2f")
raw "cpu during attest: server ${SRV_CORES} cores, machine busy fraction ${MACH_BUSY} (wall $(calc "$T1 - $T0" "%.2f") s)"
RSS_ATTEST=$(rss_kb)
HWM_ATTEST=$(awk '/^VmHWM:/ { print $2 }' "/proc/$SRV_PID/status")
sleep 0.5
curl -sf "$URL/metrics" > "$W/metrics.1" || die "GET /metrics failed"
grep -v '^#' "$W/metrics.1" | sed 's/^/metrics: /' >> "$RAW"
raw "rss: idle ${RSS_IDLE} kB, after attest ${RSS_ATTEST} kB (peak ${HWM_ATTEST} kB)"
d_metric() { calc "$(metric "$1" "$W/metrics.1") - $(metric "$1" "$W/metrics.0")" "%.6f"; }
ENTRIES=$(d_metric dipr_log_entries_total)
BATCHES=$(d_metric dipr_log_batches_total)
COMMIT_S=$(d_metric dipr_log_commit_seconds_total)
SIGN_S=$(d_metric dipr_log_sign_seconds_total)
BAD_HTTP=$(calc "$(d_metric 'dipr_http_responses_total{class="4xx"}') + $(d_metric 'dipr_http_responses_total{class="5xx"}')" "%d")
A_RPS=$(kv "$A" rps)
A_REQ=$(kv "$A" requests)
A_ERR=$(calc "$(kv "$A" connect) + $(kv "$A" read) + $(kv "$A" write) + $(kv "$A" status) + $(kv "$A" timeout) + $BAD_HTTP" "%d")
[ "$(calc "$BATCHES > 0" "%d")" = 1 ] || die "no batch was committed: $(cat "$W/wrk.attest")"
MEAN_BATCH=$(calc "$ENTRIES / $BATCHES" "%.1f")
COMMIT_MS=$(calc "1000 * $COMMIT_S / $BATCHES" "%.3f")
SIGN_MS=$(calc "1000 * $SIGN_S / $BATCHES" "%.3f")
SEQ_BUSY=$(calc "($COMMIT_S + $SIGN_S) / ($T1 - $T0)" "%.2f")

# optional: profile the server under the same load (not the measured run)
PERF_SECS=${PERF_SECS:-6}
if [ "$BENCH_PERF" = 1 ] && command -v perf >/dev/null 2>&1; then
	log "perf: profiling the server under attest load (${PERF_SECS}s, not measured)"
	perf record -e cpu-clock -F 499 --call-graph dwarf,16384 -p "$SRV_PID" -o "$W/perf.data" \
		> "$W/perf.out" 2>&1 &
	PERF_PID=$!
	sleep 0.5
	DIPR_TOKEN=$TOK wrk_run attest-perf "$PERF_SECS" "$URL/api/v1/evidence" "$BENCH/post.lua" > /dev/null
	kill -INT "$PERF_PID" 2>/dev/null || true
	wait "$PERF_PID" 2>/dev/null || true
	PERF_PID=""
	{
		echo "# perf record -e cpu-clock -F 499 --call-graph dwarf -p <dipr serve>, wrk attest load"
		echo "# by thread (MHD-worker = HTTP threads, dipr = the sequencer)"
		perf report -i "$W/perf.data" --stdio --no-children --sort comm,dso -g none 2>/dev/null | grep -v '^#' | grep -v '^$'
		echo "# inclusive (children) time by function, >= 1%; unnamed frames of stripped libraries left out"
		perf report -i "$W/perf.data" --stdio --children --sort sym -g none --percent-limit 1 2>/dev/null |
			grep -v '^#' | grep -v '^$' | grep -v ' 0x0000'
	} > "$BENCH/out/perf-attest.txt" || true
	rm -f "$W/perf.data"
fi

# ---------------------------------------------------------------- 2. reads
# a receipt to verify later, and make sure there is a partial level-0 tile
curl -sf -H "Authorization: Bearer $TOK" -d '{"digests":{"sm3":"'"$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"'"},"size":1}' \
	"$URL/api/v1/evidence" > "$W/r.tlog-proof" || die "POST /api/v1/evidence failed"
SIZE=$(curl -sf "$URL/checkpoint" | sed -n 2p)
if [ $((SIZE % 256)) = 0 ]; then
	curl -sf -H "Authorization: Bearer $TOK" -d '{"digests":{"sm3":"'"$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"'"},"size":1}' \
		"$URL/api/v1/evidence" > /dev/null
	SIZE=$((SIZE + 1))
fi
[ "$SIZE" -gt 256 ] || die "only $SIZE entries after the attest run; need more than 256 for the tile reads"
# tlog-tiles path of index N: 3-digit groups, all but the last prefixed with x
tile_n() {
	n=$1
	s=$(printf %03d $((n % 1000)))
	n=$((n / 1000))
	while [ $n -gt 0 ]; do
		s=$(printf x%03d $((n % 1000)))/$s
		n=$((n / 1000))
	done
	echo "$s"
}
PARTIAL=/tile/0/$(tile_n $((SIZE / 256))).p/$((SIZE % 256))
for p in /checkpoint /tile/0/000 "$PARTIAL" /tile/entries/000; do
	curl -sf -o /dev/null "$URL$p" || die "GET $p failed"
done
raw "tree size for reads: $SIZE; partial tile $PARTIAL"
log "reads: wrk -t$WRK_THREADS -c$CONNS -d${READ_SECS}s each: /checkpoint /tile/0/000 $PARTIAL /tile/entries/000"
R_CP=$(wrk_run checkpoint "$READ_SECS" "$URL/checkpoint" "$BENCH/get.lua")
R_TF=$(wrk_run tile-full "$READ_SECS" "$URL/tile/0/000" "$BENCH/get.lua")
R_TP=$(wrk_run tile-partial "$READ_SECS" "$URL$PARTIAL" "$BENCH/get.lua")
R_EB=$(wrk_run entries "$READ_SECS" "$URL/tile/entries/000" "$BENCH/get.lua")
read_err() { calc "$(kv "$1" connect) + $(kv "$1" read) + $(kv "$1" write) + $(kv "$1" status) + $(kv "$1" timeout)" "%d"; }
R_ERR=$(calc "$(read_err "$R_CP") + $(read_err "$R_TF") + $(read_err "$R_TP") + $(read_err "$R_EB")" "%d")
RSS_END=$(rss_kb)
raw "rss: after reads ${RSS_END} kB"

# ---------------------------------------------------------------- 4. verify
log "verify: $VERIFY_RUNS x dipr verify, $VERIFY_RUNS x dipr --version, $VERIFY_ITERS in-process, openssl speed ed25519 sm2"
V_CLI=$("$W/timeit" "$VERIFY_RUNS" "$DIPR" verify "$W/r.tlog-proof" --vkey "$W/vkeys") || die "dipr verify failed"
V_NOP=$("$W/timeit" "$VERIFY_RUNS" "$DIPR" --version)
V_LIB=$("$W/verify_bench" "$W/r.tlog-proof" "$W/vkeys" "$VERIFY_ITERS") || die "verify_bench failed"
raw "verify cli: $V_CLI"
raw "dipr --version: $V_NOP"
raw "verify_bench: $V_LIB"
# OpenSSL's own figure for the two public-key checks (verify/s, last column)
OS_SIG=$(openssl speed -seconds 2 ed25519 sm2 2>/dev/null | awk '/Ed25519\)/ { e = $NF } /SM2/ { m = $NF } END { if (e > 0 && m > 0) printf "ed25519_us=%.2f sm2_us=%.2f", 1e6 / e, 1e6 / m }')
raw "openssl speed ed25519 sm2: $OS_SIG"
OS_SIG_US=$(calc "$(kv "$OS_SIG" ed25519_us) + $(kv "$OS_SIG" sm2_us)" "%.1f")

# ---------------------------------------------------------------- 5. storage
stop_server
sqlite3 "$D/dipr.db" 'PRAGMA wal_checkpoint(TRUNCATE);' > /dev/null
DB_BYTES=$(($(stat -c %s "$D/dipr.db") + $( [ -f "$D/dipr.db-wal" ] && stat -c %s "$D/dipr.db-wal" || echo 0)))
ST=$(sqlite3 -separator ' ' "$D/dipr.db" 'SELECT count(*), sum(length(data)) FROM entry;')
N_ENT=${ST% *}
ENT_BYTES=${ST#* }
raw "storage: $DB_BYTES bytes in dipr.db(+wal) for $N_ENT entries of $ENT_BYTES bytes"
sqlite3 "$D/dipr.db" "SELECT 'storage table ' || name || ': ' || sum(pgsize) || ' bytes' FROM dbstat GROUP BY name ORDER BY sum(pgsize) DESC;" \
	>> "$RAW" 2>/dev/null || true
OVER=$(calc "($DB_BYTES - $ENT_BYTES) / $N_ENT" "%.1f")
MEAN_ENT=$(calc "$ENT_BYTES / $N_ENT" "%.1f")

# ---------------------------------------------------------------- 6. attest on PostgreSQL
# The same load against the same binary with its store in a throwaway
# PostgreSQL 15 cluster on loopback (fsync=on, synchronous_commit=on); the
# baseline is that cluster's own rate of one-row durable commits (pgbench,
# one client), measured in the same run.
PG_RPS=""; PG_P99=""; PG_ERR=""; PGB_TPS=""
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
if [ -x "$PGBIN/initdb" ] && [ -x "$PGBIN/pgbench" ]; then
	log "attest on PostgreSQL: throwaway cluster, then wrk -d${ATTEST_SECS}s as above"
	eval "$(sh scripts/pgtest.sh start)" || die "PostgreSQL cluster did not start"
	PG_UP=1
	PGURL=$(sh scripts/pgtest.sh schema bench) || die "schema"
	printf 'CREATE TABLE IF NOT EXISTS one(v bigint);\n' | "$PGBIN/psql" -q "$DIPR_TEST_DB" >/dev/null
	printf 'INSERT INTO one VALUES (1);\n' >"$W/one.sql"
	PGB=$("$PGBIN/pgbench" -n -c 1 -T "$FSYNC_SECS" -f "$W/one.sql" "$DIPR_TEST_DB" 2>/dev/null | awk '/^tps/ { print $3; exit }')
	PGB_TPS=${PGB:-0}
	raw "pgbench 1 client, 1-row INSERT commits: tps=$PGB_TPS"
	PD=$W/pgdata
	"$DIPR" init --dir "$PD" --origin bench.test/log --db "$PGURL" > /dev/null || die "init --db failed"
	"$DIPR" user add a --role applicant --dir "$PD" > /dev/null
	PTOK=$("$DIPR" token create --user a --dir "$PD")
	"$DIPR" serve --dir "$PD" --listen 127.0.0.1:0 --threads $SERVER_THREADS > "$W/pgserve.out" 2> "$W/pgserve.err" &
	SRV_PID=$!
	i=0
	while ! grep -q '^serving http' "$W/pgserve.out" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || die "server on PostgreSQL did not start: $(cat "$W/pgserve.err")"
		sleep 0.1
	done
	PURL=$(sed -n 's#^serving \(http://[^/]*\)/.*#\1#p' "$W/pgserve.out")
	i=0
	until curl -s "$PURL/healthz" | grep -q sequencer; do i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.05; done
	curl -sf "$PURL/metrics" > "$W/pgmetrics.0" || die "GET /metrics failed"
	PA=$(DIPR_TOKEN=$PTOK wrk_run attest-pg "$ATTEST_SECS" "$PURL/api/v1/evidence" "$BENCH/post.lua")
	curl -sf "$PURL/metrics" > "$W/pgmetrics.1" || die "GET /metrics failed"
	pg_d() { calc "$(metric "$1" "$W/pgmetrics.1") - $(metric "$1" "$W/pgmetrics.0")" "%.6f"; }
	PG_RPS=$(kv "$PA" rps)
	PG_P99=$(kv "$PA" p99_ms)
	PG_BATCH=$(calc "$(pg_d dipr_log_entries_total) / ($(pg_d dipr_log_batches_total) + 1e-9)" "%.1f")
	PG_COMMIT_MS=$(calc "1000 * $(pg_d dipr_log_commit_seconds_total) / ($(pg_d dipr_log_batches_total) + 1e-9)" "%.3f")
	PG_ERR=$(calc "$(kv "$PA" connect) + $(kv "$PA" read) + $(kv "$PA" write) + $(kv "$PA" status) + $(kv "$PA" timeout) + $(pg_d 'dipr_http_responses_total{class="5xx"}') + $(pg_d 'dipr_http_responses_total{class="4xx"}')" "%d")
	stop_server
	sh scripts/pgtest.sh stop >/dev/null 2>&1 || true
	PG_UP=""
else
	log "attest on PostgreSQL: skipped ($PGBIN/initdb or pgbench missing: make deps)"
fi

# ---------------------------------------------------------------- 3. hashing
F=$W/hash.bin
log "hashing: ${HASH_MB} MiB file in page cache, best of $HASH_RUNS"
head -c "${HASH_MB}M" /dev/urandom > "$F"
cat "$F" > /dev/null
HBYTES=$(stat -c %s "$F")
# mbs "TIMEIT LINE" -> MB/s (10^6 bytes) of the best run
mbs() { calc "$HBYTES / $(kv "$1" best_wall_s) / 1e6" "%.0f"; }
H_D256=$("$W/timeit" "$HASH_RUNS" "$DIPR" hash "$F" --alg sha256)
H_DSM3=$("$W/timeit" "$HASH_RUNS" "$DIPR" hash "$F" --alg sm3)
H_DBOTH=$("$W/timeit" "$HASH_RUNS" "$DIPR" hash "$F" --alg sm3,sha256)
H_O256=$("$W/timeit" "$HASH_RUNS" openssl dgst -sha256 "$F")
H_OSM3=$("$W/timeit" "$HASH_RUNS" openssl dgst -sm3 "$F")
H_SUM=$("$W/timeit" "$HASH_RUNS" sha256sum "$F")
rm -f "$F"
# Record trees (issue 3): a file of short CSV-like lines (~30 bytes), the
# record tree plus file digest against openssl dgst -sha256 on the same file.
L=$W/lines.txt
RECORDS_MB=${RECORDS_MB:-$HASH_MB}
log "record tree: ${RECORDS_MB} MiB of short lines"
awk -v max=$((RECORDS_MB * 1048576)) 'BEGIN { srand(1); n = 0; i = 0
	while (n < max) { s = sprintf("%d,station-%04d,%.1f,ok", i++, int(rand() * 10000), rand() * 40); print s; n += length(s) + 1 } }' >"$L"
cat "$L" >/dev/null
LBYTES=$(stat -c %s "$L")
LRECS=$(wc -l <"$L")
H_REC=$("$W/timeit" "$HASH_RUNS" "$DIPR" hash "$L" --alg sha256 --records lines --secret "$W/lines.secret")
H_RO256=$("$W/timeit" "$HASH_RUNS" openssl dgst -sha256 "$L")
rm -f "$L" "$W/lines.secret"
raw "records: $LRECS lines, $LBYTES bytes; dipr: $H_REC; openssl: $H_RO256"
for v in H_D256 H_DSM3 H_DBOTH H_O256 H_OSM3 H_SUM; do
	eval "raw \"hash $v: \$$v\""
done
log "openssl speed -evp sha256|sm3 -bytes 16384 -seconds $SPEED_SECS"
# last line "sha256  1678880.06k": thousands of bytes per second
speed() { openssl speed -evp "$1" -bytes 16384 -seconds "$SPEED_SECS" 2>/dev/null | tail -n 1 | awk '{ sub(/k$/, "", $NF); printf "%.0f", $NF / 1000 }'; }
S_256=$(speed sha256)
S_SM3=$(speed sm3)
raw "openssl speed: sha256 $S_256 MB/s, sm3 $S_SM3 MB/s"

# ---------------------------------------------------------------- table
M_D256=$(mbs "$H_D256")
M_DSM3=$(mbs "$H_DSM3")
M_DBOTH=$(mbs "$H_DBOTH")
M_O256=$(mbs "$H_O256")
M_OSM3=$(mbs "$H_OSM3")
M_SUM=$(mbs "$H_SUM")
BOTH_CORES=$(calc "$(kv "$H_DBOTH" best_cpu_s) / $(kv "$H_DBOTH" best_wall_s)" "%.2f")
SM3_CORES=$(calc "$(kv "$H_DSM3" best_cpu_s) / $(kv "$H_DSM3" best_wall_s)" "%.2f")
# the slower of sm3 and sha256 alone
SLOWER=$M_DSM3
[ "$(calc "$M_D256 < $M_DSM3" "%d")" = 1 ] && SLOWER=$M_D256

ratio() { if [ "$(calc "$2 != 0" "%d")" = 1 ]; then calc "$1 / $2" "%.2f"; else echo "-"; fi; }
# goal VALUE OP TARGET -> "OP TARGET ok|NO"
goal() {
	if [ "$(calc "$1 $2 $3" "%d")" = 1 ]; then echo "$2 $3 ok"; else echo "$2 $3 NO"; fi
}
SEP='-----------------------------------------------------------------------------------------------------------------------------'
row() { printf '%-40s %10s  %-36s %10s %7s  %s\n' "$1" "$2" "$3" "$4" "$5" "$6"; }
num() { calc "$1" "%.${2:-0}f"; }

CP_RPS=$(kv "$R_CP" rps)
A_P50=$(kv "$A" p50_ms)
A_P99=$(kv "$A" p99_ms)
V_CLI_MS=$(calc "1000 * $(kv "$V_CLI" mean_wall_s)" "%.2f")
V_NOP_MS=$(calc "1000 * $(kv "$V_NOP" mean_wall_s)" "%.2f")
V_US=$(kv "$V_LIB" verify_us)
SIG_US=$(kv "$V_LIB" sigs_us)

echo
echo "dipr bench — $(nproc) cores, $(uname -r), load average at start $LOAD0, at end $(cut -d' ' -f1 /proc/loadavg)"
echo "wrk and the server share the cores; ratio = figure / baseline; other load on the machine lowers every figure"
echo "$SEP"
row "figure" "value" "baseline (same run)" "baseline" "ratio" "goal (issue 6)"
echo "$SEP"
row "attest, entries/s (wrk, 64 conns)" "$(num "$A_RPS")" "fsync/s (100 B + fdatasync)" "$(num "$FSYNC_RATE")" "$(ratio "$A_RPS" "$FSYNC_RATE")" "$(goal "$A_RPS" '>=' 20000)"
row "attest, entries/s" "$(num "$A_RPS")" "SQLite WAL 1-row commits/s, sync=FULL" "$(num "$SQL_RATE")" "$(ratio "$A_RPS" "$SQL_RATE")" ""
row "attest, entries/s" "$(num "$A_RPS")" "GET /checkpoint/s (same server)" "$(num "$CP_RPS")" "$(ratio "$A_RPS" "$CP_RPS")" ""
row "attest latency p50, ms" "$(num "$A_P50" 2)" "one fdatasync, ms" "$(num "$FSYNC_MS" 3)" "$(ratio "$A_P50" "$FSYNC_MS")" ""
row "attest latency p99, ms" "$(num "$A_P99" 2)" "one fdatasync, ms" "$(num "$FSYNC_MS" 3)" "$(ratio "$A_P99" "$FSYNC_MS")" "$(goal "$A_P99" '<=' 50)"
row "attest errors (socket+non-2xx)" "$A_ERR" "requests" "$A_REQ" "$(ratio "$A_ERR" "$A_REQ")" "$(goal "$A_ERR" '==' 0)"
row "mean batch, entries/commit" "$MEAN_BATCH" "one entry per commit" "1" "$(ratio "$MEAN_BATCH" 1)" ""
if [ -n "$PG_RPS" ]; then
row "attest on PostgreSQL, entries/s" "$(num "$PG_RPS")" "attest on SQLite (above, same run)" "$(num "$A_RPS")" "$(ratio "$PG_RPS" "$A_RPS")" "issue 8"
row "attest on PostgreSQL, entries/s" "$(num "$PG_RPS")" "PostgreSQL 1-row commits/s (pgbench)" "$(num "$PGB_TPS")" "$(ratio "$PG_RPS" "$PGB_TPS")" ""
row "attest on PostgreSQL p99, ms" "$(num "$PG_P99" 2)" "attest on SQLite p99, ms" "$(num "$A_P99" 2)" "$(ratio "$PG_P99" "$A_P99")" ""
row "PostgreSQL: entries/commit; ms/commit" "$PG_BATCH" "ms per batch commit" "$PG_COMMIT_MS" "" ""
row "attest on PostgreSQL errors" "$PG_ERR" "requests" "$(kv "$PA" requests)" "" "$(goal "$PG_ERR" '==' 0)"
fi
row "mean commit (write+fsync), ms/batch" "$COMMIT_MS" "one fdatasync, ms" "$(num "$FSYNC_MS" 3)" "$(ratio "$COMMIT_MS" "$FSYNC_MS")" ""
row "mean sign (Ed25519+SM2), ms/batch" "$SIGN_MS" "one fdatasync, ms" "$(num "$FSYNC_MS" 3)" "$(ratio "$SIGN_MS" "$FSYNC_MS")" ""
row "sequencer busy in commit+sign, of wall" "$SEQ_BUSY" "wall time of the attest run" "1" "$SEQ_BUSY" ""
row "server CPU during attest, cores" "$SRV_CORES" "cores of the machine" "$(nproc)" "$(ratio "$SRV_CORES" "$(nproc)")" ""
row "machine CPU busy during attest" "$MACH_BUSY" "all cores busy" "1" "$MACH_BUSY" ""
row "server RSS after attest, MiB" "$(num "$RSS_ATTEST / 1024" 1)" "RSS idle, MiB" "$(num "$RSS_IDLE / 1024" 1)" "$(ratio "$RSS_ATTEST" "$RSS_IDLE")" ""
row "GET /checkpoint/s (memory)" "$(num "$CP_RPS")" "-" "" "" "$(goal "$CP_RPS" '>=' 50000)"
row "GET /tile/0/000/s (full, 8 KiB)" "$(num "$(kv "$R_TF" rps)")" "GET /checkpoint/s" "$(num "$CP_RPS")" "$(ratio "$(kv "$R_TF" rps)" "$CP_RPS")" "$(goal "$(kv "$R_TF" rps)" '>=' 50000)"
row "GET partial tile/s ($PARTIAL)" "$(num "$(kv "$R_TP" rps)")" "GET /checkpoint/s" "$(num "$CP_RPS")" "$(ratio "$(kv "$R_TP" rps)" "$CP_RPS")" "$(goal "$(kv "$R_TP" rps)" '>=' 50000)"
row "GET /tile/entries/000/s (full)" "$(num "$(kv "$R_EB" rps)")" "GET /checkpoint/s" "$(num "$CP_RPS")" "$(ratio "$(kv "$R_EB" rps)" "$CP_RPS")" ""
row "read errors (all 4 runs)" "$R_ERR" "-" "" "" "$(goal "$R_ERR" '==' 0)"
row "dipr hash sha256, MB/s" "$M_D256" "openssl speed sha256 (16 KiB)" "$S_256" "$(ratio "$M_D256" "$S_256")" "$(goal "$(ratio "$M_D256" "$S_256")" '>=' 0.95)"
row "dipr hash sha256, MB/s" "$M_D256" "openssl dgst -sha256, same file" "$M_O256" "$(ratio "$M_D256" "$M_O256")" "$(goal "$(ratio "$M_D256" "$M_O256")" '>=' 1)"
row "dipr hash sha256, MB/s" "$M_D256" "sha256sum, same file" "$M_SUM" "$(ratio "$M_D256" "$M_SUM")" "~4x"
row "dipr hash sm3, MB/s" "$M_DSM3" "openssl speed sm3 (16 KiB)" "$S_SM3" "$(ratio "$M_DSM3" "$S_SM3")" "$(goal "$(ratio "$M_DSM3" "$S_SM3")" '>=' 0.95)"
row "dipr hash sm3, MB/s" "$M_DSM3" "openssl dgst -sm3, same file" "$M_OSM3" "$(ratio "$M_DSM3" "$M_OSM3")" "$(goal "$(ratio "$M_DSM3" "$M_OSM3")" '>=' 1)"
row "dipr hash sm3,sha256 (1 pass), MB/s" "$M_DBOTH" "slower alone (dipr hash)" "$SLOWER" "$(ratio "$M_DBOTH" "$SLOWER")" "$(goal "$(ratio "$M_DBOTH" "$SLOWER")" '>=' 0.95)"
row "dipr hash sm3,sha256, cores used" "$BOTH_CORES" "cores used by sm3 alone" "$SM3_CORES" "$(ratio "$BOTH_CORES" "$SM3_CORES")" ""
REC_S=$(kv "$H_REC" best_wall_s); REC_O=$(kv "$H_RO256" best_wall_s)
row "records+digest, short lines, s" "$(num "$REC_S" 2)" "openssl dgst -sha256, same file, s" "$(num "$REC_O" 2)" "$(ratio "$REC_S" "$REC_O")" "$(goal "$(ratio "$REC_S" "$REC_O")" '<=' 1.5) (issue 3)"
row "records/s (sha256, salted)" "$(num "$LRECS / $REC_S")" "lines in the file" "$LRECS" "" ""
row "dipr verify, ms/process (startup in)" "$V_CLI_MS" "dipr --version, ms/process" "$V_NOP_MS" "$(ratio "$V_CLI_MS" "$V_NOP_MS")" ""
row "verify in process, us CPU/receipt" "$(num "$V_US" 1)" "Ed25519+SM2 raw verify, us CPU" "$(num "$SIG_US" 1)" "$(ratio "$V_US" "$SIG_US")" "$(goal "$V_US" '<=' 200)"
row "verify in process, us CPU/receipt" "$(num "$V_US" 1)" "openssl speed Ed25519+SM2 verify, us" "$OS_SIG_US" "$(ratio "$V_US" "$OS_SIG_US")" ""
row "storage beyond entry bytes, B/entry" "$OVER" "mean entry, bytes" "$MEAN_ENT" "$(ratio "$OVER" "$MEAN_ENT")" "$(goal "$OVER" '<=' 40) (at 1e7)"
echo "$SEP"
echo "attest: $A_REQ requests in ${ATTEST_SECS}s, $(num "$ENTRIES") entries in $(num "$BATCHES") batches; storage: $N_ENT entries, $DB_BYTES bytes; raw lines: bench/out/raw.txt"
