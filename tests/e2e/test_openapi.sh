#!/bin/sh
# docs/openapi.json against the real server: every route the server has
# (server/server.c, server/api.c) is documented, and every documented
# operation answers with a documented status and a body that fits its
# documented JSON schema (required members, types, enums): a registration
# workflow from evidence to the public record, refusals, every role check,
# every path's wrong method, then every documented GET with its examples.
SUITE=openapi
. tests/e2e/lib.sh
T=$(mktemp -d /tmp/dipr-e2e.XXXXXX)
trap 'stop_server; rm -rf "$T"' EXIT
API=docs/openapi.json
D=$T/data
"$DIPR" init --dir "$D" --origin openapi.test/log --test-clock >/dev/null
for u in a:applicant ex:examiner root:admin; do
	"$DIPR" user add "${u%%:*}" --role "${u#*:}" --dir "$D" >/dev/null
done
printf 'openapi-pw-1\n' | "$DIPR" user passwd a --dir "$D" >/dev/null || bad "set a's password"
TOK=$("$DIPR" token create --user a --dir "$D")
EX=$("$DIPR" token create --user ex --dir "$D")
ROOT=$("$DIPR" token create --user root --dir "$D")
start_server "$D" || { bad "server starts"; finish; }
printf 'x' >"$T/x"
"$DIPR" attest "$T/x" --server "$URL" --token "$TOK" -o "$T/x.tlog-proof" >/dev/null || bad "attest"

# 1. every route of the server is a documented path
# server/server.c: every path literal it routes
for p in $(sed -n '/^static enum MHD_Result route(/,/^}/p' server/server.c | grep -o '"/[a-z0-9/._-]*"' | tr -d '"' | sort -u); do
	case "$p" in
	*/) prefix=$p; jq -e --arg p "$prefix" '.paths | keys | any(startswith($p))' "$API" >/dev/null ;;
	*) jq -e --arg p "$p" '.paths | has($p)' "$API" >/dev/null ;;
	esac && ok || bad "route $p is not in $API"
done
# server/api.c: every resource of its prefixes array, every action of its
# app_actions and reg_actions tables, every literal sub-path it compares
prefixes=$(sed -n '/prefixes\[\] = {/,/};/p' server/api.c | grep -o '"[a-z-]*"' | tr -d '"')
[ -n "$prefixes" ] && ok || bad "no prefixes array found in server/api.c"
for p in $prefixes; do
	jq -e --arg p "/api/v1/$p" '.paths | keys | any(. == $p or startswith($p + "/"))' "$API" >/dev/null &&
		ok || bad "api.c prefix $p: no documented path /api/v1/$p..."
done
for t in 'app_actions:/api/v1/applications/{id}/' 'reg_actions:/api/v1/registrations/{regno}/'; do
	names=$(sed -n "/^static const action ${t%%:*}\[\] = {/,/^};/p" server/api.c | grep -o '{"[a-z-]*"' | tr -d '{"')
	[ -n "$names" ] && ok || bad "no ${t%%:*} table found in server/api.c"
	for a in $names; do
		jq -e --arg p "${t#*:}$a" '.paths | has($p)' "$API" >/dev/null && ok || bad "api.c ${t%%:*} $a: ${t#*:}$a is not in $API"
	done
	# and the other way round: no documented action the table lacks
	for p in $(jq -r --arg p "${t#*:}" '.paths | keys[] | select(startswith($p))' "$API"); do
		printf '%s\n' $names | grep -qx "${p#"${t#*:}"}" && ok || bad "$p is documented but not in api.c ${t%%:*}"
	done
done
for a in $(grep -o 'strcmp(\(sub\|key\), "[a-z-]*")' server/api.c | sed 's/.*"\(.*\)".*/\1/' | sort -u); do
	jq -e --arg a "/$a" '.paths | keys | any(startswith("/api/v1/") and endswith($a))' "$API" >/dev/null &&
		ok || bad "api.c sub-path $a: no documented path ends in /$a"
done

# The checks of an answer against the document, one jq run each.
# CHECK: with $s a schema, the errors of the answer ($body) against it:
# required members, types (integer: a whole number), enums, nullable,
# allOf, nested objects and arrays, $refs resolved in the document.  With
# $s null, the schema is that of the documented response $c of operation
# $m $p, and "undocumented" if there is no such response.
CHECK='
def deref: if type == "object" and has("$ref")
	then . as $x | $api[0] | getpath($x["$ref"] | ltrimstr("#/") | split("/")) | deref else . end;
def typeok($t): if $t == null then true elif $t == "integer" then type == "number" and . == floor
	else type == $t end;
def errs($s; $at):
	($s | deref) as $s
	| if . == null and $s.nullable == true then empty
	elif $s.allOf then . as $v | ($s.allOf[] as $x | $v | errs($x; $at))
	elif (typeok($s.type) | not) then "\($at): expected \($s.type), got \(type)"
	elif $s.enum and (. as $v | $s.enum | any(.[]; . == $v) | not) then "\($at): \(tojson) is not one of \($s.enum | tojson)"
	elif type == "object" then
		(($s.required // [])[] as $k | select(has($k) | not) | "\($at): no member \($k)"),
		(. as $v | ($s.properties // {}) | to_entries[] | select(.key as $k | $v | has($k))
			| .key as $k | .value as $ps | $v[$k] | errs($ps; "\($at).\($k)"))
	elif type == "array" and $s.items then . as $v | range(length) as $i | $v[$i] | errs($s.items; "\($at)[\($i)]")
	else empty end;
(if $s != null then $s else $api[0].paths[$p][$m].responses[$c] end) as $r
| if $r == null then "undocumented"
else ($r | if $s != null then . else deref | .content["application/json"].schema end) as $schema
	| if $schema == null then empty
	else (try ($body | fromjson) catch "\u0000") as $b
		| if $b == "\u0000" then "body: not JSON: \($body[:200])" else [$b | errs($schema; "body")][:5][] end
	end
end'
# check_json SCHEMA-JSON BODY-FILE NAME: 0 if the body fits the schema.
check_json() {
	e=$(jq -nr --argjson s "$1" --arg p "" --arg m "" --arg c "" --rawfile body "$2" --slurpfile api "$API" "$CHECK" 2>&1)
	[ -z "$e" ] && return 0
	bad "$3: $(printf '%s' "$e" | tr '\n' ';')"
	return 1
}
# documented METHOD PATH NAME: $CODE and the answer in $T/body are
# documented for the operation METHOD PATH.
documented() {
	e=$(jq -nr --argjson s null --arg p "$2" --arg m "$(printf '%s' "$1" | tr 'A-Z' 'a-z')" --arg c "$CODE" \
		--rawfile body "$T/body" --slurpfile api "$API" "$CHECK" 2>&1)
	case $e in
	'') ok ;;
	undocumented) bad "$3 answered $CODE, not a documented status: $(head -c 200 "$T/body")"; return 1 ;;
	*) bad "$3 ($CODE): $(printf '%s' "$e" | tr '\n' ';')"; return 1 ;;
	esac
}
# call METHOD PATH URL WHO [BODY]: one request to the documented operation
# METHOD PATH; URL is the path with its parameters (and query).  WHO: "-"
# nobody, a (applicant), ex (examiner), root (admin), bogus (a token
# nobody has), login (saves the session cookie), jar (the cookie alone),
# jar+csrf (the cookie and its X-CSRF-Token).  BODY: JSON text or @FILE.
# Sets CODE; the answer is in $T/body.
call() {
	_m=$1; _p=$2; _u=$3; _w=$4; _b=${5-}
	set -- -s -o "$T/body" -w '%{http_code}' -X "$_m"
	case $_w in
	a) set -- "$@" -H "Authorization: Bearer $TOK" ;;
	ex) set -- "$@" -H "Authorization: Bearer $EX" ;;
	root) set -- "$@" -H "Authorization: Bearer $ROOT" ;;
	bogus) set -- "$@" -H "Authorization: Bearer 0123456789abcdef" ;;
	login) set -- "$@" -c "$T/jar" ;;
	jar) set -- "$@" -b "$T/jar" ;;
	jar+csrf) set -- "$@" -b "$T/jar" -H "X-CSRF-Token: $CSRF" ;;
	esac
	case $_b in
	'') ;;
	@*) set -- "$@" -H 'Content-Type: application/json' --data-binary "$_b" ;;
	*) printf '%s' "$_b" >"$T/req"; set -- "$@" -H 'Content-Type: application/json' --data-binary "@$T/req" ;;
	esac
	rm -f "$T/body"
	CODE=$(curl "$@" "$URL$_u")
	[ -f "$T/body" ] || : >"$T/body"
	documented "$_m" "$_p" "$_m $_u as $_w"
}
want() { [ "$CODE" = "$1" ] && ok || bad "$2: HTTP $CODE, want $1: $(head -c 200 "$T/body")"; }
is() { [ "$1" = "$2" ] && ok || bad "$3: got '$1', want '$2'"; }
field() { jq -r "$1" "$T/body"; }

# 2. a registration workflow, each answer as documented.  2025-03-03 is a
# Monday: the notice of 10 working days ends on 2025-03-14, so 40 days on
# the application is registered.
call POST /api/v1/admin/clock /api/v1/admin/clock root '{"today":"2025-03-03"}'; want 200 "clock to 2025-03-03"
jq -n --rawfile r "$T/x.tlog-proof" '{data_name: "港口吞吐数据", industry: "交通运输", scenario: "物流调度",
  source: {type: "self", description: "自行采集"}, scale: {records: 1, bytes: 1}, structure: "CSV",
  update_frequency: "每日", processing_rules: "去重", evidence: [$r], legality_commitment: true,
  applicant: {name: "示例数据科技有限公司", type: "legal_person", id: "91350100M000100Y43",
    contact: {person: "张三", phone: "022-1"}}}' >"$T/doc.json"
jq '{application: .}' "$T/doc.json" >"$T/put.json"
call POST /api/v1/applications /api/v1/applications a "@$T/doc.json"; want 201 "create"; A=$(field .id)
call PUT '/api/v1/applications/{id}' "/api/v1/applications/$A" a "@$T/put.json"; want 200 "save the draft"
call POST '/api/v1/applications/{id}/submit' "/api/v1/applications/$A/submit" a; want 200 "submit"
call GET /api/v1/applications '/api/v1/applications?state=submitted' ex; want 200 "review queue"
is "$(jq "[.applications[] | select(.id == $A)] | length" "$T/body")" 1 "the queue holds it"
call POST '/api/v1/applications/{id}/accept' "/api/v1/applications/$A/accept" ex; want 200 "accept"
is "$(field .state)" notice "in notice"
call GET /api/v1/notices /api/v1/notices -; want 200 "notices"
call POST /api/v1/objections /api/v1/objections - "{\"application\":$A,\"reasons\":\"权属有争议\"}"; want 201 "object"
O=$(field .objection); KEY=$(field .key)
call GET /api/v1/objections '/api/v1/objections?state=open' ex; want 200 "open objections"
call GET '/api/v1/objections/{id}' "/api/v1/objections/$O?key=$KEY" -; want 200 "the objector reads it with the key"
call POST '/api/v1/objections/{id}/dismiss' "/api/v1/objections/$O/dismiss" ex '{"reasons":"无证据"}'; want 200 "dismiss"
call POST /api/v1/admin/clock /api/v1/admin/clock root '{"today":"2025-04-12"}'; want 200 "clock 40 days later"
call GET '/api/v1/applications/{id}' "/api/v1/applications/$A" a; want 200 "the application"
is "$(field .state)" registered "registered after the notice"
R=$(field .regno); C=$(field .certno)
# the document's examples are this workflow's numbers: step 6 reads them
for x in "applications/{id}:id:$A" "objections/{id}:id:$O" "registrations/{regno}:regno:$R" "certificates/{certno}:certno:$C"; do
	v=${x##*:}; x=${x%:*}
	is "$(jq -r --arg p "/api/v1/${x%:*}" --arg n "${x#*:}" '.paths[$p].get.parameters[] | select(.name == $n) | .example' "$API")" \
		"$v" "the example of {${x#*:}} in GET /api/v1/${x%:*}"
done
call GET /api/v1/registrations "/api/v1/registrations?q=$R" -; want 200 "search"
is "$(field '.registrations[0].regno')" "$R" "search finds it"
call GET '/api/v1/registrations/{regno}' "/api/v1/registrations/$R" -; want 200 "the public record"
is "$(field .status)" valid "the record is valid"
call GET '/api/v1/certificates/{certno}' "/api/v1/certificates/$C" -; want 200 "the certificate"
call GET /api/v1/audit '/api/v1/audit?limit=5' root; want 200 "audit trail"
call POST /api/v1/admin/tick /api/v1/admin/tick root; want 200 "tick"
call GET /api/v1/admin/clock /api/v1/admin/clock -; want 200 "read the clock"
is "$(field .today)" 2025-04-12 "the clock moved"
call GET /api/v1/me /api/v1/me a; want 200 "me"
# the portal session: cookie, CSRF header on writes, logout
call POST /api/v1/login /api/v1/login - '{"name":"a","password":"wrong"}'; want 401 "wrong password"
call POST /api/v1/login /api/v1/login login '{"name":"a","password":"openapi-pw-1"}'; want 200 "login"
CSRF=$(field .csrf)
call GET /api/v1/me /api/v1/me jar; want 200 "me by cookie"
lic='{"licensee":"某银行","scope":"风控建模","start":"2025-05-01","end":"2026-04-30"}'
call POST '/api/v1/registrations/{regno}/license' "/api/v1/registrations/$R/license" jar "$lic"; want 403 "a cookie write without X-CSRF-Token"
is "$(field .error.code)" csrf "refused as csrf"
call POST '/api/v1/registrations/{regno}/license' "/api/v1/registrations/$R/license" jar+csrf "$lic"; want 200 "license by cookie"
call POST /api/v1/logout /api/v1/logout jar; want 200 "logout"
call GET /api/v1/me /api/v1/me jar; want 401 "the session ended"
call POST '/api/v1/registrations/{regno}/pledge' "/api/v1/registrations/$R/pledge" a '{"pledgee":"某银行","amount":100,"end":"2026-12-31"}'
want 200 "pledge"
call POST '/api/v1/registrations/{regno}/cancel' "/api/v1/registrations/$R/cancel" a; want 409 "no cancellation while pledged"
call POST '/api/v1/registrations/{regno}/release-pledge' "/api/v1/registrations/$R/release-pledge" a; want 200 "release"

# 3. refusals: each answers a documented status with the Error schema
call GET /api/v1/applications /api/v1/applications -; want 401 "list without an account"
call POST '/api/v1/applications/{id}/accept' "/api/v1/applications/$A/accept" a; want 403 "an applicant cannot accept"
call GET '/api/v1/applications/{id}' /api/v1/applications/999999 a; want 404 "unknown application"
call GET '/api/v1/registrations/{regno}' /api/v1/registrations/2025110000000024 -; want 404 "unknown registration"
call POST '/api/v1/objections/{id}/dismiss' /api/v1/objections/999/dismiss ex '{"reasons":"x"}'; want 404 "unknown objection"
call POST '/api/v1/applications/{id}/submit' "/api/v1/applications/$A/submit" a; want 409 "submit a registered application"
call POST '/api/v1/objections/{id}/dismiss' "/api/v1/objections/$O/dismiss" ex '{"reasons":"x"}'; want 409 "decide twice"
call POST /api/v1/objections /api/v1/objections - "{\"application\":$A,\"reasons\":\"late\"}"; want 409 "object after the notice"
call POST /api/v1/applications /api/v1/applications a '{"data_name":"x","colour":"red"}'; want 400 "unknown member"
call PUT '/api/v1/applications/{id}' "/api/v1/applications/$A" a "@$T/put.json"; want 409 "save a registered application"
head -c 1100000 /dev/zero | tr '\0' a >"$T/big"
call POST /api/v1/applications /api/v1/applications a "@$T/big"; want 413 "an oversized document"
call GET /api/v1/notices /api/v1/notices bogus; want 401 "a public read with a bad token"

# EXAMPLE: an operation's path ($p) with its path parameters' examples
EXAMPLE='def example($p): reduce ((.parameters // [])[] | select(.in == "path")) as $x ($p;
	sub("\\{" + $x.name + "\\}"; $x.example | tostring));'
# 4. every role check: without an account 401, with a bad token 401, with
# a role not in x-dipr-roles 403; with a role in it neither (a write gets
# a malformed body, refused with 400 before anything is done)
jq -r "$EXAMPLE"' .paths | to_entries[] | .key as $p | .value | to_entries[] | select(.value["x-dipr-roles"])
	| "\(.key | ascii_upcase) \($p) \(.value | example($p)) \(.value["x-dipr-roles"] | join(","))"' "$API" >"$T/roleops"
[ -s "$T/roleops" ] && ok || bad "no operation has x-dipr-roles"
while read -r M path url roles; do
	for w in - bogus; do call "$M" "$path" "$url" "$w"; want 401 "$M $url as $w"; done
	for w in a:applicant ex:examiner root:admin; do
		case ",$roles," in
		*",${w#*:},"*)
			[ "$M" = GET ] && b= || b='{'
			call "$M" "$path" "$url" "${w%%:*}" "$b"
			case $CODE in 401 | 403) bad "$M $url as ${w#*:}, a role in its x-dipr-roles: HTTP $CODE" ;; *) ok ;; esac ;;
		*) call "$M" "$path" "$url" "${w%%:*}"; want 403 "$M $url as ${w#*:}" ;;
		esac
	done
done <"$T/roleops"

# 5. every path answers 405, with the Error schema, to a method it does
# not document (DELETE, and GET where it has none); 405 is documented
jq -r "$EXAMPLE"' .paths | to_entries[] | .key as $p | .value as $ops | ("delete", "get") | select($ops[.] == null)
	| "\(ascii_upcase) \($p) \($ops | to_entries[0].value | example($p)) \([$ops[].responses["405"]] | all(. != null))"' \
	"$API" >"$T/405ops"
while read -r M path url doc405; do
	CODE=$(curl -s -o "$T/body" -w '%{http_code}' -X "$M" "$URL$url")
	want 405 "$M $url"
	check_json '{"$ref":"#/components/schemas/Error"}' "$T/body" "$M $url" && ok
	[ "$doc405" = true ] && ok || bad "$path: 405 is not documented for each of its operations"
done <"$T/405ops"

# 6. every documented GET, with its example parameters, as the public and
# as the first role of x-dipr-roles, answers as documented
jq -r "$EXAMPLE"' .paths | to_entries[] | select(.value.get) | .key as $p | .value.get
	| "\($p) \(example($p))\([(.parameters // [])[] | select(.in == "query") | "\(.name)=\(.example)"] | join("&")
	| if . == "" then "" else "?" + . end) \((.["x-dipr-roles"] // [])[0] // "-")"' "$API" >"$T/gets"
while read -r path url role; do
	for w in - $(case $role in applicant) echo a ;; examiner) echo ex ;; admin) echo root ;; esac); do
		call GET "$path" "$url" "$w"
	done
done <"$T/gets"

# 7. the evidence POST: a valid body, an invalid one, no token; all documented
call POST /api/v1/evidence /api/v1/evidence a "{\"digests\":{\"sm3\":\"$(printf '%064d' 7)\"},\"size\":1}"; want 200 "log evidence"
call POST /api/v1/evidence /api/v1/evidence a '{"digests":{}}'; want 400 "evidence without a digest"
call POST /api/v1/evidence /api/v1/evidence - '{}'; want 401 "evidence without a token"
post() { curl -s -o "$T/body" -w '%{http_code}' "$@" "$URL/api/v1/evidence"; }
# the schema's required members are the ones the server insists on
for m in $(jq -r '.components.schemas.EvidenceRequest.required[]' "$API"); do
	body=$(jq -c --arg m "$m" 'del(.[$m])' <<EOF2
{"digests":{"sm3":"$(printf '%064d' 8)"},"size":1}
EOF2
)
	[ "$(post -H "Authorization: Bearer $TOK" -d "$body")" = 400 ] && ok || bad "POST without $m is not refused"
done
finish
