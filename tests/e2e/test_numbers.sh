#!/bin/sh
# 200 registrations finishing at once get unique, gapless registration and
# certificate numbers (DOMAIN.md "Numbers").  100 applications carry an
# objection that 100 concurrent requests dismiss after the notice has
# ended (each registers in its own request), while the clock move lets the
# other 100 register in the same moment.
SUITE=numbers
. tests/e2e/lib.sh
. tests/e2e/reglib.sh
T=$(mktemp -d /tmp/dipr-e2e.XXXXXX)
trap 'stop_server; rm -rf "$T"' EXIT
D=$T/data
N=200
setup_registry "$D"
SERVE_ARGS="--threads 4" start_server "$D" || { bad "server starts"; finish; }
printf 'id,v\n1,2\n' >"$T/a.csv"
"$DIPR" attest "$T/a.csv" --server "$URL" --token "$ALICE" -o "$T/a.tlog-proof" >/dev/null && ok || bad "attest"
make_doc "$T/a.tlog-proof" >"$T/doc.json"
clock 2025-03-03

# One application through to its notice, with an objection for odd i.
cat >"$T/one.sh" <<'EOF'
i=$1
c() { curl -s -f -H "Authorization: Bearer $2" -H 'Content-Type: application/json' -X POST "$URL/api/v1$1" ${3:+--data-binary "$3"}; }
id=$(c /applications "$ALICE" "@$T/doc.json" | jq -r .id) || exit 1
c "/applications/$id/submit" "$ALICE" >/dev/null || exit 1
c "/applications/$id/accept" "$EVE" >/dev/null || exit 1
if [ $((i % 2)) = 1 ]; then
	o=$(curl -s -f -H 'Content-Type: application/json' -X POST "$URL/api/v1/objections" \
		--data-binary "{\"application\":$id,\"reasons\":\"objection $i\"}" | jq -r .objection) || exit 1
	echo "$o" >"$T/obj.$i"
fi
EOF
export URL T ALICE EVE
seq 1 $N | xargs -P 16 -I{} sh "$T/one.sh" {} && ok || bad "$N applications filed and accepted"
api GET "/applications?state=notice,suspended" "$EVE"
is "$(jq '.applications | length' "$T/body")" $N "all $N in their notice"

# The notice ends; 100 dismissals race the ticker.
cat "$T"/obj.* >"$T/objections"
api POST /admin/clock "$ROOT" '{"today":"2025-03-20"}' &
cpid=$!
xargs -P 64 -I{} curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $EVE" -H 'Content-Type: application/json' \
	-X POST "$URL/api/v1/objections/{}/dismiss" --data-binary '{"reasons":"驳回"}' <"$T/objections" >"$T/codes"
wait $cpid
is "$(sort -u "$T/codes")" 200 "every dismissal answered 200"
api POST /admin/tick "$ROOT"; want 200 "" "tick"

api GET "/applications?state=registered" "$EVE"
jq -r '.applications[].regno' "$T/body" | sort >"$T/regnos"
jq -r '.applications[].certno' "$T/body" | sort >"$T/certnos"
is "$(wc -l <"$T/regnos")" $N "$N registered"
is "$(sort -u "$T/regnos" | wc -l)" $N "registration numbers unique"
is "$(sort -u "$T/certnos" | wc -l)" $N "certificate numbers unique"
# serials 1..N exactly, i.e. no gap and no duplicate
cut -c7-15 "$T/regnos" | sed 's/^0*//' | sort -n >"$T/rs"
seq 1 $N >"$T/expect"
cmp -s "$T/rs" "$T/expect" && ok || bad "registration serials are 1..$N: $(head -3 "$T/rs" | tr '\n' ' ')... $(tail -2 "$T/rs" | tr '\n' ' ')"
cut -c11-17 "$T/certnos" | sed 's/^0*//' | sort -n >"$T/cs"
cmp -s "$T/cs" "$T/expect" && ok || bad "certificate serials are 1..$N"
# every check character is right
bad_check=0
for r in $(cat "$T/regnos"); do api GET "/registrations/$r" ""; [ "$CODE" = 200 ] || bad_check=$((bad_check + 1)); done
is "$bad_check" 0 "every registration number parses (check character) and resolves"
finish
