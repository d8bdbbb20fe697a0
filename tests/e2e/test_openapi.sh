#!/bin/sh
# docs/openapi.json against the real server: every route the server has
# is documented, and every documented operation answers with a documented
# status and the required members of its documented JSON schema.
SUITE=openapi
. tests/e2e/lib.sh
T=$(mktemp -d /tmp/dipr-e2e.XXXXXX)
trap 'stop_server; rm -rf "$T"' EXIT
API=docs/openapi.json
D=$T/data
"$DIPR" init --dir "$D" --origin openapi.test/log >/dev/null
"$DIPR" user add a --role applicant --dir "$D" >/dev/null
TOK=$("$DIPR" token create --user a --dir "$D")
start_server "$D" || { bad "server starts"; finish; }
printf 'x' >"$T/x"
"$DIPR" attest "$T/x" --server "$URL" --token "$TOK" >/dev/null || bad "attest"

# 1. every path literal routed in server/server.c is a documented path
for p in $(sed -n '/^static enum MHD_Result route(/,/^}/p' server/server.c | grep -o '"/[a-z0-9/._-]*"' | tr -d '"' | sort -u); do
	case "$p" in
	*/) prefix=$p; jq -e --arg p "$prefix" '.paths | keys | any(startswith($p))' "$API" >/dev/null ;;
	*) jq -e --arg p "$p" '.paths | has($p)' "$API" >/dev/null ;;
	esac && ok || bad "route $p is not in $API"
done

# 2. every documented GET, with its example parameters, answers as documented
check_json() { # STATUS-SCHEMA-JSON BODY-FILE NAME
	req=$(printf '%s' "$1" | jq -c '(.required // [])')
	[ "$req" = "[]" ] && return 0
	jq -e --argjson r "$req" '. as $b | $r | all(. as $k | $b | has($k))' "$2" >/dev/null || bad "$3: body lacks one of $req: $(head -c 200 "$2")"
}
resolve() { jq -c --argjson s "$1" 'if ($s | has("$ref")) then getpath($s["$ref"] | ltrimstr("#/") | split("/")) else $s end' "$API"; }
for path in $(jq -r '.paths | to_entries[] | select(.value.get) | .key' "$API"); do
	op=$(jq -c --arg p "$path" '.paths[$p].get' "$API")
	url=$path
	for prm in $(printf '%s' "$op" | jq -r '(.parameters // [])[] | select(.in == "path") | "\(.name)=\(.example)"'); do
		url=$(printf '%s' "$url" | sed "s|{${prm%%=*}}|${prm#*=}|")
	done
	q=$(printf '%s' "$op" | jq -r '[(.parameters // [])[] | select(.in == "query") | "\(.name)=\(.example)"] | join("&")')
	[ -n "$q" ] && url="$url?$q"
	code=$(curl -s -o "$T/body" -w '%{http_code}' "$URL$url")
	resp=$(printf '%s' "$op" | jq -c --arg c "$code" '.responses[$c] // empty')
	if [ -z "$resp" ]; then bad "GET $url answered $code, not a documented status"; continue; fi
	resp=$(resolve "$resp")
	schema=$(printf '%s' "$resp" | jq -c '.content["application/json"].schema // empty')
	if [ -n "$schema" ]; then
		check_json "$(resolve "$schema")" "$T/body" "GET $url"
	fi
	ok
done

# 3. the POST: a valid body, an invalid one, no token; all documented
post() { curl -s -o "$T/body" -w '%{http_code}' "$@" "$URL/api/v1/evidence"; }
documented() { jq -e --arg c "$1" '.paths["/api/v1/evidence"].post.responses | has($c)' "$API" >/dev/null; }
for c in "$(post -H "Authorization: Bearer $TOK" -d '{"digests":{"sm3":"'$(printf '%064d' 7)'"},"size":1}')" \
	 "$(post -H "Authorization: Bearer $TOK" -d '{"digests":{}}')" "$(post -d '{}')"; do
	documented "$c" && ok || bad "POST /api/v1/evidence answered $c, not documented"
done
[ "$(post -d '{}')" = 401 ] && jq -e '.error.code and .error.message' "$T/body" >/dev/null && ok || bad "401 body is the documented Error"
# the schema's required members are the ones the server insists on
for m in $(jq -r '.components.schemas.EvidenceRequest.required[]' "$API"); do
	body=$(jq -c --arg m "$m" 'del(.[$m])' <<EOF2
{"digests":{"sm3":"$(printf '%064d' 8)"},"size":1}
EOF2
)
	[ "$(post -H "Authorization: Bearer $TOK" -d "$body")" = 400 ] && ok || bad "POST without $m is not refused"
done
finish
