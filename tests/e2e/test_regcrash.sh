#!/bin/sh
# kill -9 during concurrent registry writes, three times: every application
# the server acknowledged (201) exists after restart, every acknowledged
# submission is submitted, and the log still verifies from its entries.
SUITE=regcrash
. tests/e2e/lib.sh
. tests/e2e/reglib.sh
T=$(mktemp -d /tmp/dipr-e2e.XXXXXX)
trap 'stop_server; rm -rf "$T"' EXIT
D=$T/data
setup_registry "$D"
start_server "$D" || { bad "server starts"; finish; }
printf 'id,v\n1,2\n' >"$T/a.csv"
"$DIPR" attest "$T/a.csv" --server "$URL" --token "$ALICE" -o "$T/a.tlog-proof" >/dev/null && ok || bad "attest"
make_doc "$T/a.tlog-proof" >"$T/doc.json"
cat >"$T/worker.sh" <<'EOF'
# create and submit until the server dies; log what was acknowledged
while :; do
	out=$(curl -s -w '\n%{http_code}' -H "Authorization: Bearer $ALICE" -H 'Content-Type: application/json' \
		--data-binary "@$T/doc.json" "$URL/api/v1/applications") || exit 0
	[ "$(echo "$out" | tail -1)" = 201 ] || exit 0
	id=$(echo "$out" | head -1 | jq -r .id)
	echo "$id" >>"$T/acked.$1"
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ALICE" -X POST "$URL/api/v1/applications/$id/submit") || exit 0
	[ "$code" = 200 ] && echo "$id" >>"$T/submitted.$1"
done
EOF
export T ALICE
round=1
while [ $round -le 3 ]; do
	export URL
	pids=""
	for w in 1 2 3 4 5 6; do sh "$T/worker.sh" "$round.$w" & pids="$pids $!"; done
	sleep 1.5
	kill -9 "$SPID"; wait "$SPID" 2>/dev/null; SPID=""
	for p in $pids; do wait "$p"; done
	start_server "$D" || { bad "restart $round"; break; }
	cat "$T"/acked.* 2>/dev/null | sort -u >"$T/acked"
	cat "$T"/submitted.* 2>/dev/null | sort -u >"$T/submitted"
	[ -s "$T/acked" ] && ok || bad "round $round: some applications were acknowledged"
	api GET "/applications" "$ALICE"
	jq -r '.applications[].id' "$T/body" | sort -u >"$T/stored"
	jq -r '.applications[] | select(.state == "submitted") | .id' "$T/body" | sort -u >"$T/stored-submitted"
	missing=$(comm -23 "$T/acked" "$T/stored" | wc -l)
	is "$missing" 0 "round $round: every acknowledged application survived"
	missing=$(comm -23 "$T/submitted" "$T/stored-submitted" | wc -l)
	is "$missing" 0 "round $round: every acknowledged submission survived ($(wc -l <"$T/submitted") of them)"
	round=$((round + 1))
done
stop_server
"$DIPR" audit --dir "$D" >/dev/null 2>"$T/audit.err" && ok || bad "audit after the crashes: $(cat "$T/audit.err")"
finish
