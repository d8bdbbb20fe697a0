#!/bin/sh
# Witnesses (C2SP tlog-witness, tlog-cosignature): two dipr witnesses and a
# log with --witness-quorum 2.  Receipts carry both cosignatures (checked by
# dipr verify, by tests/interop/tlogverify.mjs and by openssl pkeyutl on the
# cosigned message); with one witness stopped no receipt is issued (503
# witness_quorum) until it is back; a witness keeps its state across a
# restart; a log that signs a second checkpoint of the same size (a copy of
# its data directory, grown apart) is refused (409, then 422) and the
# refusal shows in logs, /metrics and /healthz; dipr audit --follow raises
# ALARM on a fork and on a stale log.
SUITE=witness
. tests/e2e/lib.sh
. tests/e2e/reglib.sh
T=$(mktemp -d /tmp/dipr-e2e.XXXXXX)
W1PID=""; W2PID=""; MPID=""
cleanup() {
	stop_server
	for p in $W1PID $W2PID $MPID; do kill "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
D=$T/data

hex2bin() {
	printf "$(printf '%s' "$1" | awk '{ h = "0123456789abcdef"
		for (i = 1; i <= length($0); i += 2)
			printf "\\%03o", (index(h, substr($0, i, 1)) - 1) * 16 + index(h, substr($0, i + 1, 1)) - 1 }')"
}

# start_witness N: witness N on its earlier port (a free one the first
# time); sets W<N>URL, W<N>PID, W<N>PORT.
start_witness() {
	n=$1
	port=$(eval echo "\${W${n}PORT:-0}")
	: >"$T/w$n.out"
	"$DIPR" witness serve --dir "$T/w$n" --listen "127.0.0.1:$port" --log "$T/vkeys" >"$T/w$n.out" 2>>"$T/w$n.err" &
	eval "W${n}PID=$!"
	i=0
	while ! grep -q '^serving ' "$T/w$n.out" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && { echo "witness $n did not start: $(cat "$T/w$n.err")" >&2; return 1; }
		sleep 0.05
	done
	url=$(sed -n 's/^serving \(http[^ ]*\)\/$/\1/p' "$T/w$n.out")
	eval "W${n}URL=$url; W${n}PORT=${url##*:}"
}
stop_witness() {
	pid=$(eval echo "\$W${1}PID")
	kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	eval "W${1}PID="
	if grep -q "Sanitizer\|runtime error" "$T/w$1.err" 2>/dev/null; then bad "witness $1 sanitizer report: $(grep -m1 "Sanitizer\|runtime error" "$T/w$1.err")"; fi
}
attest_json() { # attest_json TAG -> curl POST of a fresh digest; body in $T/body
	curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $TOK" \
		-d "{\"digests\":{\"sm3\":\"$(printf '%s' "$1" | sha256sum | cut -c1-64)\"},\"size\":1}" "$URL/api/v1/evidence"
}

# ---- set up: a log, two witnesses ----
expect_status 0 "init" "$DIPR" init --dir "$D" --origin witness.example/log
"$DIPR" keys --dir "$D" >"$T/vkeys"
EDKEY=$(sed -n 1p "$T/vkeys")
"$DIPR" user add alice --role applicant --dir "$D" >/dev/null
TOK=$("$DIPR" token create --user alice --dir "$D")
expect_status 0 "witness init w1" "$DIPR" witness init --dir "$T/w1" --name w1.witness.example/w
W1V=$(cat "$T/out")
expect_status 0 "witness init w2" "$DIPR" witness init --dir "$T/w2" --name w2.witness.example/w
W2V=$(cat "$T/out")
[ "$(stat -c %a "$T/w1/witness.key")" = 600 ] && ok || bad "witness key file is 0600"
case $W1V in w1.witness.example/w+????????+B*) ok ;; *) bad "witness vkey has type 0x04 (base64 'B...'): $W1V" ;; esac
expect_status 2 "witness init refuses an existing directory" "$DIPR" witness init --dir "$T/w1" --name again
expect_status 2 "witness serve without --log" "$DIPR" witness serve --dir "$T/w1"
expect_status 2 "witness serve with a witness key as a log key" "$DIPR" witness serve --dir "$T/w1" --log "$W2V"
grep -q "log key\|not a witness\|unknown key type" "$T/err" && ok || bad "bad --log names the problem: $(cat "$T/err")"
start_witness 1 || { bad "witness 1 starts"; finish; }
start_witness 2 || { bad "witness 2 starts"; finish; }
expect_status 2 "serve: a log vkey as --witness" "$DIPR" serve --dir "$D" --witness "$EDKEY@$W1URL"
grep -q "this is a log key" "$T/err" && ok || bad "--witness with a log key: message: $(cat "$T/err")"
expect_status 2 "serve: quorum above the witnesses" "$DIPR" serve --dir "$D" --witness "$W1V@$W1URL" --witness-quorum 2

# a copy of the empty log for the fork test later (same keys, same origin)
fork_dir "$D" "$T/fork" || bad "copy of the empty log"

WARGS="--witness $W1V@$W1URL --witness $W2V@$W2URL --witness-quorum 2 --witness-timeout 2000 --witness-wait 2500"
SERVE_ARGS=$WARGS start_server "$D" || { bad "log with witnesses starts"; finish; }
LPORT=${URL##*:}

# ---- (1) two cosignatures, verified three ways ----
head -c 3000 /dev/urandom >"$T/a.bin"
expect_status 0 "attest with quorum 2" "$DIPR" attest "$T/a.bin" --server "$URL" --token "$TOK" -o "$T/a.tlog-proof"
[ "$(grep -c '^— w[12].witness.example/w ' "$T/a.tlog-proof")" = 2 ] && ok || bad "receipt carries two cosignature lines: $(cat "$T/a.tlog-proof")"
# after the log's own two signature lines
tail -n 2 "$T/a.tlog-proof" | grep -q '^— w1.witness.example/w ' && tail -n 1 "$T/a.tlog-proof" | grep -q '^— w2.witness' && ok ||
	bad "cosignatures follow the log's signatures"
expect_status 0 "dipr verify with the witness policy" "$DIPR" verify "$T/a.tlog-proof" --vkey "$T/vkeys" \
	--witness-vkey "$W1V" --witness-vkey "$W2V" --witness-quorum 2
grep -q "^witness: w1.witness.example/w+[0-9a-f]* cosigned it at 20" "$T/out" && grep -q "^witness: w2.witness" "$T/out" &&
	grep -q "^witnesses: 2 of 2 cosigned (quorum 2)" "$T/out" && ok || bad "verify reports which witnesses cosigned: $(cat "$T/out")"
printf '%s\n%s\n' "$W1V" "$W2V" >"$T/wkeys"
expect_status 0 "dipr verify: witness keys from a file, default quorum = all" "$DIPR" verify "$T/a.tlog-proof" --vkey "$T/vkeys" --witness-vkey "$T/wkeys"
"$DIPR" witness init --dir "$T/w3" --name w3.witness.example/w >"$T/w3v"
expect_status 1 "policy of 3 witnesses, quorum 3: not met" "$DIPR" verify "$T/a.tlog-proof" --vkey "$T/vkeys" \
	--witness-vkey "$T/wkeys" --witness-vkey "$(cat "$T/w3v")"
grep -q "2 of 3 trusted witnesses cosigned the checkpoint, 3 required (missing: w3.witness.example/w)" "$T/err" && ok ||
	bad "policy failure names the count and who is missing: $(cat "$T/err")"
expect_status 2 "--witness-quorum above the keys" "$DIPR" verify "$T/a.tlog-proof" --vkey "$T/vkeys" --witness-vkey "$W1V" --witness-quorum 2
expect_status 2 "--witness-vkey with a log key" "$DIPR" verify "$T/a.tlog-proof" --vkey "$T/vkeys" --witness-vkey "$EDKEY"
# a changed cosignature: a trusted witness's bad line fails the receipt
awk '/^— w1.witness/ { n = split($3, a, ""); s = ""; for (i = 1; i <= n; i++) s = s (i == 20 ? (a[i] == "A" ? "B" : "A") : a[i]); $3 = s } { print }' \
	"$T/a.tlog-proof" >"$T/x.tlog-proof"
expect_status 1 "changed cosignature is rejected" "$DIPR" verify "$T/x.tlog-proof" --vkey "$T/vkeys" --witness-vkey "$T/wkeys"
expect_status 0 "without a witness policy the log's signatures still verify" "$DIPR" verify "$T/a.tlog-proof" --vkey "$T/vkeys"

# the independent Node.js verifier, written from the specs
if command -v node >/dev/null 2>&1; then
	expect_status 0 "node: two cosignatures verify" node tests/interop/tlogverify.mjs witnessed "$T/a.tlog-proof" "$EDKEY" "$T/wkeys" 2
	grep -q "cosigned by w1.witness.example/w at [0-9]*, w2.witness.example/w at [0-9]*" "$T/out" && ok || bad "node names both: $(cat "$T/out")"
	expect_status 1 "node: changed cosignature rejected" node tests/interop/tlogverify.mjs witnessed "$T/x.tlog-proof" "$EDKEY" "$T/wkeys" 1
	printf '%s\n' "$(cat "$T/w3v")" >"$T/w3keys"
	expect_status 1 "node: a witness that did not cosign" node tests/interop/tlogverify.mjs witnessed "$T/a.tlog-proof" "$EDKEY" "$T/w3keys" 1
else
	echo "SKIP: node is not installed; tlogverify.mjs witnessed checks did not run" >&2
fi

# openssl pkeyutl on the cosigned message: "cosignature/v1\ntime T\n" || text
awk 'p { print; next } /^$/ { p = 1 }' "$T/a.tlog-proof" >"$T/note"
awk '/^$/ { exit } { print }' "$T/note" >"$T/text"
ED_SPKI=302a300506032b6570032100
for n in 1 2; do
	line=$(grep "^— w$n.witness.example/w " "$T/note")
	printf '%s' "${line##* }" | base64 -d >"$T/cs$n"
	ts=$(tail -c +5 "$T/cs$n" | head -c 8 | od -An -tu1 | awk '{ for (i = 1; i <= NF; i++) v = v * 256 + $i } END { printf "%d", v }')
	{ printf 'cosignature/v1\ntime %s\n' "$ts"; cat "$T/text"; } >"$T/msg$n"
	tail -c 64 "$T/cs$n" >"$T/sig$n"
	vk=$(eval echo "\$W${n}V")
	rest=${vk#*+}  # name+keyid+key: the key is after the second '+' (base64 may hold '+')
	{ hex2bin "$ED_SPKI"; printf '%s' "${rest#*+}" | base64 -d | tail -c 32; } >"$T/wpub$n.der"
	openssl pkey -pubin -inform DER -in "$T/wpub$n.der" -out "$T/wpub$n.pem" 2>/dev/null
	[ "$(wc -c <"$T/cs$n")" = 76 ] && [ "$ts" -gt 1700000000 ] && ok || bad "cosignature $n: key ID, timestamp, 64-byte signature"
	openssl pkeyutl -verify -pubin -inkey "$T/wpub$n.pem" -rawin -in "$T/msg$n" -sigfile "$T/sig$n" >"$T/out" 2>&1 &&
		grep -q "Signature Verified Successfully" "$T/out" && ok || bad "openssl verifies cosignature $n: $(cat "$T/out")"
	sed 's/^cosignature\/v1$/cosignature\/v2/' "$T/msg$n" >"$T/msgx"
	! openssl pkeyutl -verify -pubin -inkey "$T/wpub$n.pem" -rawin -in "$T/msgx" -sigfile "$T/sig$n" >/dev/null 2>&1 && ok ||
		bad "openssl rejects cosignature $n over another header"
done

curl -s "$URL/metrics" >"$T/metrics"
grep -q '^dipr_witness_quorum 2$' "$T/metrics" && grep -q '^dipr_witness_quorum_met 1$' "$T/metrics" &&
	grep -q '^dipr_witness_cosigned_total{witness="w1.witness.example/w"} [1-9]' "$T/metrics" && ok || bad "/metrics: witness figures"
curl -s "$URL/healthz" >"$T/h"
[ "$(jq -r '.status, .witnesses.quorum_met, (.witnesses.witnesses | length)' "$T/h" | tr '\n' ' ')" = "ok true 2 " ] && ok ||
	bad "/healthz: witnesses detail: $(cat "$T/h")"

# ---- a witness restart keeps its state; a behind witness gets its proof ----
SIZE=$(curl -s "$URL/checkpoint" | sed -n 2p)
stop_witness 1
start_witness 1 || bad "witness 1 restarts"
grep -q "^log witness.example/log (2 keys, sha256 tree): cosigned up to size $SIZE\$" "$T/w1.out" && ok ||
	bad "witness 1 remembers size $SIZE after a restart: $(cat "$T/w1.out")"
[ "$(curl -s "$W1URL/healthz" | jq -r '.logs[0].size')" = "$SIZE" ] && ok || bad "witness /healthz: size $SIZE"
# the log restarts too: it no longer knows the witnesses' sizes, sends
# "old 0", gets 409 with the size and sends the consistency proof
stop_server
SERVE_ARGS="$WARGS --listen 127.0.0.1:$LPORT" start_server "$D" || bad "log restarts"
for i in 1 2 3; do head -c 100 /dev/urandom >"$T/b$i.bin"; done
expect_status 0 "attest after both restarts" "$DIPR" attest "$T/b1.bin" "$T/b2.bin" "$T/b3.bin" --server "$URL" --token "$TOK"
expect_status 0 "its receipt has both cosignatures" "$DIPR" verify "$T/b3.bin.tlog-proof" --vkey "$T/vkeys" --witness-vkey "$T/wkeys"
SIZE=$(curl -s "$URL/checkpoint" | sed -n 2p)
[ "$(curl -s "$W2URL/healthz" | jq -r '.logs[0].size')" = "$SIZE" ] && ok || bad "witness 2 followed the log to $SIZE"

# ---- (2) one witness stopped, quorum 2: no receipt, then back ----
stop_witness 2
t0=$(date +%s)
code=$(attest_json outage1)
t1=$(date +%s)
[ "$code" = 503 ] && [ "$(jq -r .error.code "$T/body")" = witness_quorum ] && ok || bad "no receipt without the quorum: HTTP $code $(cat "$T/body")"
jq -r .error.message "$T/body" >"$T/msg"
grep -q "1 of 2 witnesses cosigned, 2 needed" "$T/msg" && grep -q "w2.witness.example/w" "$T/msg" && ok ||
	bad "the 503 names the quorum and the missing witness: $(cat "$T/msg")"
[ $((t1 - t0)) -ge 2 ] && ok || bad "the submission waited (--witness-wait 2500) before failing ($((t1 - t0)) s)"
LOST=$(jq -r .error.message "$T/body" | sed -n 's/^entry \([0-9]*\) is logged durably.*/\1/p')
[ -n "$LOST" ] && ok || bad "the 503 says which entry is durable: $(cat "$T/msg")"
[ "$(curl -s "$URL/checkpoint" | sed -n 2p)" = "$SIZE" ] && ok || bad "nothing published without the quorum"
expect_status 2 "dipr attest fails clearly" "$DIPR" attest "$T/a.bin" --server "$URL" --token "$TOK" -o "$T/none.tlog-proof"
grep -q "503.*witness quorum not met" "$T/err" && [ ! -e "$T/none.tlog-proof" ] && ok || bad "attest: the error names the quorum: $(cat "$T/err")"
code=$(curl -s -o "$T/h" -w '%{http_code}' "$URL/healthz")
[ "$code" = 503 ] && [ "$(jq -r .status "$T/h")" = witness_quorum_not_met ] && ok || bad "/healthz 503 without the quorum: $code $(cat "$T/h")"
curl -s "$URL/metrics" | grep -q '^dipr_witness_quorum_met 0$' && ok || bad "/metrics: quorum_met 0"
grep -q "witness quorum not met for checkpoint" "$T/serve.err" && ok || bad "the log says so on stderr"
# a registry step in the outage: done and durable, and said so (a repeat
# would not be idempotent); the draft itself writes no log entry
make_doc "$T/a.tlog-proof" >"$T/doc.json"
api_file POST /applications "$TOK" "$T/doc.json"
want 201 "" "a draft during the outage (no log entry)"
APP=$(field .id)
api POST "/applications/$APP/submit" "$TOK"
want 503 witness_quorum "submit during the outage: 503 witness_quorum"
is "$(field .result.state)" submitted "the 503 carries what was done"
field .error.message | grep -q "done and durable.*do not repeat" && ok || bad "the 503 says it is done: $(cat "$T/body")"
api GET "/applications/$APP" "$TOK"
is "$(field .state)" submitted "the application is submitted (durable)"
start_witness 2 || bad "witness 2 comes back"
code=$(attest_json back1)
[ "$code" = 200 ] && ok || bad "with the witness back, receipts again: HTTP $code $(head -c 300 "$T/body")"
cp "$T/body" "$T/back.tlog-proof"
expect_status 0 "the receipt after the outage has both cosignatures" "$DIPR" verify "$T/back.tlog-proof" --vkey "$T/vkeys" --witness-vkey "$T/wkeys"
curl -s "$URL/api/v1/evidence/$LOST" | jq -j .receipt >"$T/lost.tlog-proof"
expect_status 0 "the entry of the failed submission has its cosigned receipt now" "$DIPR" verify "$T/lost.tlog-proof" --vkey "$T/vkeys" --witness-vkey "$T/wkeys"

# ---- monitor: follows the log, consistency from the tiles ----
"$DIPR" audit --follow "$URL" --vkey "$T/vkeys" --witness-vkey "$T/wkeys" --interval 0.2 --checks 12 >"$T/mon.out" 2>"$T/mon.err" &
MPID=$!
sleep 0.5
attest_json mon1 >/dev/null
attest_json mon2 >/dev/null
wait $MPID; st=$?; MPID=""
[ $st = 0 ] && grep -q "^checkpoint [0-9]* .*: first seen" "$T/mon.out" && grep -q ": consistent with the last" "$T/mon.out" && ok ||
	bad "audit --follow sees consistent growth: exit $st: $(cat "$T/mon.out" "$T/mon.err")"
expect_status 1 "audit --follow: a stale log raises an ALARM" "$DIPR" audit --follow "$URL" --vkey "$T/vkeys" --interval 0.2 --stale-after 0.8
grep -q "^ALARM stale: .*no new checkpoint" "$T/err" && ok || bad "stale alarm line: $(cat "$T/err")"
expect_status 2 "audit --follow: bad --interval" "$DIPR" audit --follow "$URL" --interval x

# ---- (3) a fork: a copy of the data directory grown apart ----
# The copy was taken at size 0; grow it (without witnesses) to the size of
# the real log but with other entries: two checkpoints of one size.
SIZE=$(curl -s "$URL/checkpoint" | sed -n 2p)
stop_server
"$DIPR" user add mallory --role applicant --dir "$T/fork" >/dev/null
FTOK=$("$DIPR" token create --user mallory --dir "$T/fork")
start_server "$T/fork" || bad "forked log starts (no witnesses)"
i=0
while [ $i -lt "$SIZE" ]; do
	curl -s -o /dev/null -H "Authorization: Bearer $FTOK" -d "{\"digests\":{\"sm3\":\"$(printf 'fork%d' $i | sha256sum | cut -c1-64)\"},\"size\":2}" "$URL/api/v1/evidence"
	i=$((i + 1))
done
[ "$(curl -s "$URL/checkpoint" | sed -n 2p)" = "$SIZE" ] && ok || bad "fork grown to size $SIZE"
stop_server
# a monitor follows the real log, which is then replaced by the fork
SERVE_ARGS="$WARGS --listen 127.0.0.1:$LPORT" start_server "$D" || bad "real log restarts"
"$DIPR" audit --follow "$URL" --vkey "$T/vkeys" --interval 0.2 >"$T/fmon.out" 2>"$T/fmon.err" &
MPID=$!
sleep 0.6
stop_server
SERVE_ARGS="--listen 127.0.0.1:$LPORT" start_server "$T/fork" || bad "forked log starts on the same address"
i=0; while kill -0 $MPID 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
wait $MPID; st=$?; MPID=""
[ $st = 1 ] && grep -q "^ALARM fork: .*two different checkpoints of size $SIZE signed by the log" "$T/fmon.err" && ok ||
	bad "audit --follow: ALARM fork and exit 1: exit $st: $(cat "$T/fmon.out" "$T/fmon.err")"
stop_server
# now the forked log with the witnesses: same size, other root -> 409
SERVE_ARGS="$WARGS --listen 127.0.0.1:$LPORT" start_server "$T/fork" || bad "forked log starts with witnesses"
sleep 0.3
curl -s -o "$T/fh" "$URL/healthz"
[ "$(jq -r .status "$T/fh")" = witness_quorum_not_met ] && ok || bad "forked log: /healthz says the quorum is not met: $(cat "$T/fh")"
jq -r '.witnesses.witnesses[0].last_error' "$T/fh" | grep -q "409 Conflict: it cosigned another checkpoint of size $SIZE (fork)" && ok ||
	bad "forked log: /healthz names the witness's 409: $(cat "$T/fh")"
grep -q "WITNESS REFUSED: w1.witness.example/w refused checkpoint $SIZE: 409" "$T/serve.err" && ok ||
	bad "forked log: the refusal is on stderr: $(cat "$T/serve.err")"
grep -q "FORK REFUSED: witness.example/log size $SIZE: 409" "$T/w1.err" && ok || bad "witness 1 logs the fork: $(cat "$T/w1.err")"
ls "$T/w1/evidence/"*-409.req >/dev/null 2>&1 && ok || bad "witness 1 keeps the forked request as evidence"
# one more entry on the fork: the proof from the forked tree -> 422
code=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $FTOK" -d '{"digests":{"sm3":"'"$(printf 'forkmore' | sha256sum | cut -c1-64)"'"},"size":3}' "$URL/api/v1/evidence")
[ "$code" = 503 ] && [ "$(jq -r .error.code "$T/body")" = witness_quorum ] && ok || bad "forked log gets no receipt: $code $(cat "$T/body")"
jq -r .error.message "$T/body" | grep -q "refused checkpoint $((SIZE + 1)): 422" && ok || bad "the witnesses answered 422: $(cat "$T/body")"
curl -s "$URL/metrics" | grep -q '^dipr_witness_forks_refused_total{witness="w2.witness.example/w"} [2-9]' && ok || bad "forked log /metrics: refusals counted"
curl -s "$W1URL/metrics" | grep -q '^dipr_witness_forks_refused_total{origin="witness.example/log"} [2-9]' && ok || bad "witness /metrics: forks refused"
[ "$(curl -s "$W1URL/healthz" | jq -r '.logs[0].size, .logs[0].forks_refused >= 2' | tr '\n' ' ')" = "$SIZE true " ] && ok ||
	bad "witness /healthz: still at the real log's size, forks counted"
stop_server

# the witnesses still follow the real log
SERVE_ARGS="$WARGS --listen 127.0.0.1:$LPORT" start_server "$D" || bad "real log restarts"
code=$(attest_json after-fork)
[ "$code" = 200 ] && ok || bad "the real log still gets receipts: $code $(head -c 300 "$T/body")"
stop_witness 1
stop_witness 2
finish
