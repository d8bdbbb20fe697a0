# reglib.sh — helpers for the registration tests (sourced after lib.sh).

# api METHOD PATH TOKEN [JSON]: calls $URL/api/v1PATH; sets CODE, body in $T/body.
api() {
	_m=$1; _p=$2; _tok=$3; shift 3
	_auth="X-Nobody: 1"
	[ -n "$_tok" ] && _auth="Authorization: Bearer $_tok"
	if [ $# -gt 0 ]; then
		printf '%s' "$1" >"$T/req"
		CODE=$(curl -s -o "$T/body" -w '%{http_code}' -X "$_m" -H "$_auth" -H 'Content-Type: application/json' \
			--data-binary "@$T/req" "$URL/api/v1$_p")
	else
		CODE=$(curl -s -o "$T/body" -w '%{http_code}' -X "$_m" -H "$_auth" "$URL/api/v1$_p")
	fi
}
# api_file METHOD PATH TOKEN FILE: the body from a file.
api_file() {
	_auth="Authorization: Bearer $3"
	CODE=$(curl -s -o "$T/body" -w '%{http_code}' -X "$1" -H "$_auth" -H 'Content-Type: application/json' \
		--data-binary "@$4" "$URL/api/v1$2")
}
# want STATUS ERRCODE NAME: checks the last answer (ERRCODE "" for success).
want() {
	if [ "$CODE" != "$1" ]; then bad "$3: HTTP $CODE, want $1: $(head -c 300 "$T/body")"; return 1; fi
	if [ -n "$2" ] && [ "$(jq -r '.error.code' "$T/body")" != "$2" ]; then
		bad "$3: error code $(jq -r '.error.code' "$T/body"), want $2: $(head -c 300 "$T/body")"; return 1
	fi
	ok
}
# field JQ: a member of the last answer.
field() { jq -r "$1" "$T/body"; }
# is VALUE WANT NAME
is() { if [ "$1" = "$2" ]; then ok; else bad "$3: got '$1', want '$2'"; fi; }
# clock DATE: moves the test clock (admin token in $ROOT).
clock() { api POST /admin/clock "$ROOT" "{\"today\":\"$1\"}"; want 200 "" "clock to $1" >/dev/null; }
tree_size() { curl -s "$URL/checkpoint" | sed -n 2p; }

# setup_registry DIR: a test-clock data dir with alice, bob (applicants),
# eve (examiner), root (admin); tokens in ALICE BOB EVE ROOT.
setup_registry() {
	"$DIPR" init --dir "$1" --origin registry.test/log --test-clock >/dev/null
	for u in alice:applicant bob:applicant eve:examiner root:admin; do
		"$DIPR" user add "${u%%:*}" --role "${u#*:}" --dir "$1" >/dev/null
	done
	ALICE=$("$DIPR" token create --user alice --dir "$1")
	BOB=$("$DIPR" token create --user bob --dir "$1")
	EVE=$("$DIPR" token create --user eve --dir "$1")
	ROOT=$("$DIPR" token create --user root --dir "$1")
}

# make_doc RECEIPT [SAMPLE]: an application document (legal person) on stdout.
make_doc() {
	if [ -n "${2:-}" ]; then smp=$(cat "$2"); else smp=null; fi
	jq -n --rawfile r "$1" --argjson s "$smp" '{
	  data_name: "天津港集装箱吞吐数据", industry: "交通运输", scenario: "港口物流调度优化",
	  source: {type: "self", description: "SECRET-SOURCE 闸口系统自行采集"},
	  scale: {records: 40, bytes: 900}, structure: "CSV", update_frequency: "每日",
	  processing_rules: "SECRET-RULES 去重、脱敏、按小时聚合", evidence: [$r], legality_commitment: true,
	  applicant: {name: "天津示例数据科技有限公司", type: "legal_person", id: "91350100M000100Y43",
	    contact: {person: "张三", phone: "SECRET-PHONE-022", email: "secret-mail@example.cn"}}}
	  + (if $s == null then {} else {sample: $s} end)'
}
