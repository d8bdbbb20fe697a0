#!/bin/sh
# Several nodes on one PostgreSQL database (issue 8, acceptance 1): three
# `dipr serve` nodes, evidence and registry writes sent to all of them,
# kill -9 of the sequencing node under load, three times, each time
# restarted.  Nothing acknowledged is lost, there is one tree, every node
# serves the same checkpoint, the tiles recompute to its root (dipr audit),
# and registration numbers stay gapless across nodes.
# Needs DIPR_TEST_DB (make test-pg starts a throwaway cluster); skipped
# without it.
SUITE=multinode
. tests/e2e/lib.sh
. tests/e2e/reglib.sh
. tests/e2e/nodelib.sh
if [ -z "${DIPR_TEST_DB:-}" ]; then
	echo "e2e $SUITE: skipped: postgres (DIPR_TEST_DB unset; make test-pg runs it)"
	exit 0
fi
T=$(mktemp -d /tmp/dipr-mn.XXXXXX)
trap 'stop_all; [ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"' EXIT
DB=$(sh scripts/pgtest.sh schema "mn_$$") || { bad "fresh schema"; finish; }
D1=$T/n1
setup_registry_db() {
	"$DIPR" init --dir "$1" --origin multinode.test/log --test-clock --db "$DB" >/dev/null || return 1
	for u in alice:applicant eve:examiner root:admin; do
		"$DIPR" user add "${u%%:*}" --role "${u#*:}" --dir "$1" >/dev/null || return 1
	done
	ALICE=$("$DIPR" token create --user alice --dir "$1")
	EVE=$("$DIPR" token create --user eve --dir "$1")
	ROOT=$("$DIPR" token create --user root --dir "$1")
}
setup_registry_db "$D1" && ok || { bad "init --db and accounts"; finish; }
[ -f "$D1/db.conf" ] && [ ! -e "$D1/dipr.db" ] && ok || bad "a PostgreSQL data directory holds db.conf and keys only"
[ "$(stat -c %a "$D1/db.conf")" = 600 ] && ok || bad "db.conf is 0600"
"$DIPR" keys --dir "$D1" >"$T/vkeys"
# A conninfo's password never reaches a message; a failed init leaves nothing.
expect_status 2 "init --db with an unreachable database" "$DIPR" init --dir "$T/bad" --db "postgresql://dipr:topsecret7@127.0.0.1:1/x?password=topsecret8"
grep -q 'topsecret' "$T/err" && bad "the password is printed: $(cat "$T/err")" || ok
[ ! -e "$T/bad/db.conf" ] && [ ! -e "$T/bad/keys" ] && ok || bad "a failed init --db leaves nothing behind"
mkdir -p "$T/bad2/keys"
printf 'postgresql://dipr:topsecret9@127.0.0.1:1/x\n' >"$T/bad2/db.conf"
for cmd in "keys" "user add z --role applicant" "token create --user z" "audit"; do
	# shellcheck disable=SC2086
	"$DIPR" $cmd --dir "$T/bad2" >/dev/null 2>"$T/err" && bad "dipr $cmd on an unreachable database succeeded"
	grep -q 'topsecret' "$T/err" && bad "dipr $cmd prints the password: $(cat "$T/err")" || ok
done
expect_status 2 "a second log in the same schema is refused" "$DIPR" init --dir "$T/other" --db "$DB"
grep -q 'already holds the log' "$T/err" && ok || bad "says the schema holds a log: $(cat "$T/err")"
# Every node: the same keys and db.conf.
for n in 2 3; do cp -a "$D1" "$T/n$n"; done

for n in 1 2 3; do start_node $n || { bad "node $n starts"; finish; }; done
write_urls 3
i=0
while [ -z "$(sequencers 3)" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ "$(sequencers 3 | wc -l)" = 1 ] && ok || bad "exactly one node sequences at start: [$(sequencers 3 | tr '\n' ' ')]"
for n in 1 2 3; do
	eval "u=\$NURL_$n"
	curl -s "$u/healthz" | jq -e '.role == "sequencer" or .role == "follower"' >/dev/null && ok || bad "node $n healthz names its role"
done

# A document for the registry workers: evidence attested through a follower.
printf 'id,v\n1,2\n' >"$T/a.csv"
F=$(for n in 1 2 3; do [ "$(sequencers 3)" = $n ] || { echo $n; break; }; done)
eval "URL=\$NURL_$F"
"$DIPR" attest "$T/a.csv" --server "$URL" --token "$ALICE" -o "$T/a.tlog-proof" >/dev/null && ok || bad "attest through a follower"
# Read your writes: the follower that relayed the receipt already serves a
# checkpoint covering it.
for i in 1 2 3 4 5; do
	printf 'ryw %s\n' $i >"$T/ryw$i"
	"$DIPR" attest "$T/ryw$i" --server "$URL" --token "$ALICE" >/dev/null &&
		"$DIPR" verify "$T/ryw$i.tlog-proof" --file "$T/ryw$i" --vkey "$T/vkeys" --server "$URL" >/dev/null 2>"$T/verr" ||
		bad "attest then verify at once on the same follower ($i): $(cat "$T/verr")"
done
ok
make_doc "$T/a.tlog-proof" >"$T/doc.json"
clock 2025-03-03
mkdir -p "$T/rc" "$T/apps"
touch "$T/go"

# registrar ID: files applications (create, submit, accept) through the
# nodes in turn; an application counts once its accept was answered 200.
registrar() {
	id=$1; n=0
	while [ -e "$T/go" ]; do
		u=$(sed -n "$((n % 3 + 1))p" "$T/urls")
		n=$((n + 1))
		c() { curl -s -m 20 -f -H "Authorization: Bearer $2" -H 'Content-Type: application/json' -X POST "$u/api/v1$1" ${3:+--data-binary "$3"}; }
		app=$(c /applications "$ALICE" "@$T/doc.json" | jq -r .id) || continue
		[ -n "$app" ] && [ "$app" != null ] || continue
		# A step that was not acknowledged may still have happened: repeat
		# it until it is answered (a repeat then gets 409, state moved on).
		for step in submit:ALICE accept:EVE; do
			k=0
			while [ $k -lt 50 ]; do
				tok=$(eval echo "\$${step#*:}")
				u=$(sed -n "$(((n + k) % 3 + 1))p" "$T/urls")
				code=$(curl -s -m 20 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" -X POST \
					"$u/api/v1/applications/$app/${step%%:*}")
				[ "$code" = 200 ] || [ "$code" = 409 ] && break
				k=$((k + 1)); sleep 0.1
			done
		done
		echo "$app" >"$T/apps/$id-$app"
	done
}
export T ALICE EVE
for s in 1 2 3 4; do submitter "s$s" "$ALICE" 3 & done
for r in 1 2; do registrar "r$r" & done

# Three rounds: kill -9 the sequencer under load, time the takeover, restart it.
round=1
: >"$T/takeovers"
while [ $round -le 3 ]; do
	sleep 1.5
	S=$(sequencers 3)
	[ "$(echo "$S" | wc -l)" = 1 ] && [ -n "$S" ] && ok || { bad "one sequencer before kill $round: [$S]"; break; }
	eval "kill -9 \$NPID_$S"
	t0=$(date +%s%N)
	i=0
	while :; do
		NS=$(sequencers 3 | grep -v "^$S\$")
		[ -n "$NS" ] && break
		i=$((i + 1)); [ $i -gt 300 ] && break
		sleep 0.02
	done
	t1=$(date +%s%N)
	[ -n "$NS" ] && ok || bad "another node takes over after kill $round"
	echo "round $round: node $S killed, node $NS sequences after $(( (t1 - t0) / 1000000 )) ms" >>"$T/takeovers"
	sleep 2
	start_node "$S" || bad "node $S restarts"
	write_urls 3
	round=$((round + 1))
done
rm -f "$T/go"
wait_load
cat "$T/takeovers"

# Every node converges on the same checkpoint.
same_checkpoint 3 && ok || bad "the three nodes serve the same checkpoint"
[ "$(sequencers 3 | wc -l)" = 1 ] && ok || bad "exactly one sequencer at the end: [$(sequencers 3 | tr '\n' ' ')]"

total=$(ls "$T/rc" | grep -c 'tlog-proof$')
[ "$total" -ge 30 ] && ok || bad "enough receipts under load ($total)"
cat "$T"/codes.* | sort | uniq -c | tr '\n' ' ' >"$T/codehist"
echo "e2e $SUITE: $total acknowledged evidence entries; answers: $(cat "$T/codehist")"
# Every acknowledged receipt verifies against every node (inclusion in
# the node's checkpoint, consistency from the receipt's).
failed=$(verify_receipts 3)
[ "$failed" = 0 ] && ok || bad "$failed receipt checks failed (of $total x 3 nodes)"
# No index acknowledged twice.
for r in "$T"/rc/*.tlog-proof; do sed -n 2p "$r"; done | sort | uniq -d >"$T/dups"
[ ! -s "$T/dups" ] && ok || bad "indexes acknowledged twice: $(head -3 "$T/dups")"
expect_status 0 "audit --server (each node)" sh -c "for u in $NURL_1 $NURL_2 $NURL_3; do \"$DIPR\" audit --server \$u --vkey $T/vkeys || exit 1; done"

# Applications filed through any node all register, with gapless numbers.
napps=$(ls "$T/apps" | wc -l)
[ "$napps" -ge 3 ] && ok || bad "enough applications filed under load ($napps)"
URL=$NURL_1
clock 2025-03-20
api POST /admin/tick "$ROOT"; want 200 "" "tick (through any node)"
api GET "/applications?state=registered" "$EVE"
jq -r '.applications[].regno' "$T/body" | sort >"$T/regnos"
nreg=$(wc -l <"$T/regnos")
[ "$nreg" -ge "$napps" ] && ok || bad "every acknowledged application registered ($nreg of $napps)"
for f in "$T"/apps/*; do
	app=$(cat "$f")
	api GET "/applications/$app" "$EVE"
	[ "$(field .state)" = registered ] || bad "acknowledged application $app is $(field .state)"
done
cut -c7-15 "$T/regnos" | sed 's/^0*//' | sort -n >"$T/rs"
seq 1 "$nreg" >"$T/expect"
cmp -s "$T/rs" "$T/expect" && ok || bad "registration serials are 1..$nreg across nodes"

# The tiles in PostgreSQL recompute to the signed root (whole-store audit).
stop_all
expect_status 0 "audit --dir (PostgreSQL): tiles recompute to the checkpoint's root" "$DIPR" audit --dir "$D1"
grep -h 'sequencer now' "$T"/n*.err | head -5
SPID=""
finish
