#!/bin/sh
# The registration workflow over HTTP, with the test clock moved across
# weekends and the 2025 Spring Festival holidays (a calendar file):
# every transition of DOMAIN.md and the refusals (wrong role, wrong state,
# deadline passed, too early, pledged), bad input naming its field and
# changing nothing, and confidential fields absent from every public answer
# and from the log.
SUITE=registry
. tests/e2e/lib.sh
. tests/e2e/reglib.sh
T=$(mktemp -d /tmp/dipr-e2e.XXXXXX)
trap 'stop_server; rm -rf "$T"' EXIT
D=$T/data
setup_registry "$D"
cat >"$D/calendar.txt" <<'EOF'
# 2025 Spring Festival (国办发明电〔2024〕12号)
2025-01-26 work
2025-01-28 off
2025-01-29 off
2025-01-30 off
2025-01-31 off
2025-02-01 off
2025-02-02 off
2025-02-03 off
2025-02-04 off
2025-02-08 work
EOF
start_server "$D" || { bad "server starts"; finish; }

# Evidence: alice's dataset with a record tree and a sample; bob's dataset.
i=1; { echo "id,port,teu"; while [ $i -le 40 ]; do echo "$i,TJ$i,$((i * 37))"; i=$((i + 1)); done; } >"$T/a.csv"
printf 'id,x\n1,bob\n2,bob\n' >"$T/b.csv"
"$DIPR" attest "$T/a.csv" --server "$URL" --token "$ALICE" --records csv -o "$T/a.tlog-proof" >/dev/null && ok || bad "attest a"
"$DIPR" attest "$T/b.csv" --server "$URL" --token "$BOB" --records csv -o "$T/b.tlog-proof" >/dev/null && ok || bad "attest b"
"$DIPR" sample "$T/a.csv" --receipt "$T/a.tlog-proof" --rows 1,2 -o "$T/a.sample.json" >/dev/null && ok || bad "sample a"
"$DIPR" sample "$T/b.csv" --receipt "$T/b.tlog-proof" --rows 1 -o "$T/b.sample.json" >/dev/null && ok || bad "sample b"
make_doc "$T/a.tlog-proof" "$T/a.sample.json" >"$T/doc.json"

clock 2025-01-24 # a Friday before the holidays

# ---- bad input: refused naming the field, nothing changes ----
size0=$(tree_size)
jq '.applicant.id = "91350100M000100Y44"' "$T/doc.json" >"$T/bad.json"
api_file POST /applications "$ALICE" "$T/bad.json"
want 400 invalid_application "invalid credit code" && case "$(field .error.message)" in
	*application.applicant.id*) ok ;; *) bad "credit code message names the field: $(field .error.message)" ;; esac
jq 'del(.data_name)' "$T/doc.json" >"$T/bad.json"
api_file POST /applications "$ALICE" "$T/bad.json"
want 201 "" "a draft may lack fields"; DRAFT=$(field .id)
api POST "/applications/$DRAFT/submit" "$ALICE"
want 400 invalid_application "submit without data_name" && case "$(field .error.message)" in
	*data_name*) ok ;; *) bad "missing field message: $(field .error.message)" ;; esac
api GET "/applications/$DRAFT" "$ALICE"; is "$(field .state)" draft "still a draft after the refused submit"
# unknown evidence: bob's receipt in alice's application
make_doc "$T/b.tlog-proof" >"$T/bad.json"
api PUT "/applications/$DRAFT" "$ALICE" "{\"application\":$(cat "$T/bad.json")}"
want 200 "" "save the draft"
api POST "/applications/$DRAFT/submit" "$ALICE"
want 400 invalid_application "someone else's evidence" && case "$(field .error.message)" in
	*"application.evidence[0]"*) ok ;; *) bad "unknown evidence message: $(field .error.message)" ;; esac
# forged receipt: one proof hash changed
awk 'NR==4 { $0 = "AAAA" substr($0, 5) } { print }' "$T/a.tlog-proof" >"$T/forged.tlog-proof"
make_doc "$T/forged.tlog-proof" >"$T/bad.json"
api PUT "/applications/$DRAFT" "$ALICE" "{\"application\":$(cat "$T/bad.json")}"
api POST "/applications/$DRAFT/submit" "$ALICE"
want 400 invalid_application "forged receipt" && case "$(field .error.message)" in
	*"application.evidence[0]"*) ok ;; *) bad "forged receipt message: $(field .error.message)" ;; esac
# a sample proof of another dataset
make_doc "$T/a.tlog-proof" "$T/b.sample.json" >"$T/bad.json"
api PUT "/applications/$DRAFT" "$ALICE" "{\"application\":$(cat "$T/bad.json")}"
api POST "/applications/$DRAFT/submit" "$ALICE"
want 400 invalid_application "sample of another dataset" && case "$(field .error.message)" in
	*application.sample*) ok ;; *) bad "sample message: $(field .error.message)" ;; esac
# a sample whose disclosed record was changed
jq --arg b "$(printf '1,TJ1,99\n' | base64)" '.samples[0].bytes = $b' "$T/a.sample.json" >"$T/changed.sample.json"
make_doc "$T/a.tlog-proof" "$T/changed.sample.json" >"$T/bad.json"
api PUT "/applications/$DRAFT" "$ALICE" "{\"application\":$(cat "$T/bad.json")}"
api POST "/applications/$DRAFT/submit" "$ALICE"
want 400 invalid_application "changed sample record"
api GET "/applications/$DRAFT" "$ALICE"; is "$(field .state)" draft "nothing changed by the refusals"
is "$(tree_size)" "$size0" "the log did not grow"
api POST /applications "$ALICE" '{"data_name":"x","colour":"red"}'
want 400 invalid_application "unknown member"
api POST /applications "$ALICE" '[1,2]'
want 400 bad_request "not an object"
api POST /applications "$ALICE" '{"data_name":'
want 400 bad_request "malformed JSON"
api POST "/applications/$DRAFT/withdraw" "$ALICE"; want 200 "" "withdraw the draft"

# ---- happy path: submit, accept, objection dismissed, registered ----
api_file POST /applications "$ALICE" "$T/doc.json"; want 201 "" "create"; A1=$(field .id)
api POST "/applications/$A1/submit" "$ALICE"; want 200 "" "submit"
is "$(field .record.review_due)" 2025-02-20 "15 working days over the Spring Festival"
api POST "/applications/$A1/submit" "$ALICE"; want 409 wrong_state "submit twice"
api GET "/applications?state=submitted" "$EVE"; want 200 "" "review queue"
is "$(jq "[.applications[] | select(.id == $A1)] | length" "$T/body")" 1 "queue holds it"
api POST "/applications/$A1/accept" "$ALICE"; want 403 forbidden "applicant cannot accept"
api POST "/applications/$A1/accept" "$EVE"; want 200 "" "accept"
is "$(field .record.notice_end)" 2025-02-12 "notice of 10 working days with holidays and 调休"
api GET /notices ""; want 200 "" "notices"
is "$(jq "[.notices[] | select(.application == $A1)] | length" "$T/body")" 1 "on the notice list"
api POST /objections "" "{\"application\":$A1,\"reasons\":\"我们拥有这些数据\",\"contact\":\"SECRET-OBJECTOR\"}"
want 201 "" "public objection"; O1=$(field .objection); K1=$(field .key)
is "$(field .state)" suspended "objection suspends"
api POST /objections "" "{\"application\":$A1}"; want 400 bad_request "objection without reasons"
api GET "/objections/$O1?key=$K1" ""; want 200 "" "objector reads with the key"
api GET "/objections/$O1" ""; want 404 not_found "nobody else without the key"
api POST "/objections/$O1/dismiss" "$ALICE" '{"reasons":"x"}'; want 403 forbidden "applicant cannot decide"
api POST "/objections/$O1/dismiss" "$EVE" '{"reasons":"异议人未提供权属证据"}'; want 200 "" "dismiss"
is "$(field .state)" notice "back to notice"
api POST "/objections/$O1/dismiss" "$EVE" '{"reasons":"again"}'; want 409 wrong_state "decide twice"
api GET "/objections/$O1" "$ALICE"; is "$(field .data.decision.outcome)" dismissed "owner sees the decision"
is "$(field .data.contact)" null "owner does not see the objector's contact"
api GET "/applications/$A1" "$ALICE"
is "$(jq '[.objections[].data.contact // empty] | length' "$T/body")" 0 "nor in the application view"
clock 2025-02-12
api GET "/applications/$A1" "$ALICE"; is "$(field .state)" notice "still in notice on its last day"
clock 2025-02-13
api GET "/applications/$A1" "$ALICE"; is "$(field .state)" registered "registered after a clean notice"
is "$(field .record.registered_on)" 2025-02-12 "registered on the notice end"
is "$(field .record.valid_until)" 2028-02-12 "valid 3 years"
R1=$(field .regno); C1=$(field .certno)
api POST /objections "" "{\"application\":$A1,\"reasons\":\"late\"}"; want 409 wrong_state "objection after the notice"
api GET "/registrations/$R1" ""; want 200 "" "public record"
is "$(field .status)" valid "status valid"
is "$(field .history[0].entry.event)" submitted "history starts with the submission"
is "$(jq '[.history[] | select(.entry.event == "registered")][0].entry.regno' "$T/body" | tr -d '"')" "$R1" "registered entry names the regno"
# every history entry chained by prev, each proof verifies with the log's keys
"$DIPR" keys --dir "$D" >"$T/vkeys"
VK=$(sed 's/^/--vkey /' "$T/vkeys" | tr '\n' ' ')
n=$(jq '.history | length' "$T/body"); i=0; prev=""
cp "$T/body" "$T/record.json"
while [ $i -lt "$n" ]; do
	jq -j ".history[$i].tlog_proof" "$T/record.json" >"$T/h.tlog-proof"
	"$DIPR" verify "$T/h.tlog-proof" $VK >/dev/null 2>"$T/verr" && ok || bad "history $i proof verifies: $(cat "$T/verr")"
	p=$(jq -r ".history[$i].entry.prev // \"\"" "$T/record.json")
	is "$p" "$prev" "history $i prev"
	prev=$(jq -r ".history[$i].index" "$T/record.json")
	i=$((i + 1))
done
# the holder can check each entry's body_hash against the full record
api GET "/applications/$A1" "$ALICE"
is "$(field '.events[0].body')" null "the holder does not get full records (earlier holders', objectors' details)"
api GET "/applications/$A1" "$EVE"
jq -cSj '.events[0].body' "$T/body" >"$T/body0.json"
h=$("$DIPR" hash "$T/body0.json" --alg sm3 | awk '{print $1}')
is "$h" "$(jq -r '.history[0].entry.body_hash' "$T/record.json")" "body_hash is the SM3 of the canonical full record"
curl -s "$URL/api/v1/certificates/$C1" >"$T/c1.json"
"$DIPR" verify "$T/c1.json" $VK >/dev/null && ok || bad "certificate verifies offline"
curl -s -o "$T/c1.pdf" -w '%{content_type}' "$URL/api/v1/certificates/$C1.pdf" >"$T/ct"
is "$(cat "$T/ct")" application/pdf "the portal's PDF download"
is "$(pdfinfo "$T/c1.pdf" 2>/dev/null | sed -n 's/^Pages: *//p')" 1 "one page"
pdftotext "$T/c1.pdf" - 2>/dev/null | grep -q "$C1" && ok || bad "the PDF names the certificate number"

# ---- correction: answered, then a missed deadline withdraws ----
clock 2025-03-03
api_file POST /applications "$ALICE" "$T/doc.json"; A2=$(field .id)
api POST "/applications/$A2/submit" "$ALICE"; want 200 "" "submit A2"
api POST "/applications/$A2/request-correction" "$EVE" '{}'; want 400 bad_request "correction needs reasons"
api POST "/applications/$A2/request-correction" "$EVE" '{"reasons":"请补充数据来源说明"}'; want 200 "" "request correction"
is "$(field .record.correction_due)" 2025-04-02 "30 calendar days to correct"
api POST "/applications/$A2/correction" "$ALICE" "{\"application\":$(cat "$T/doc.json")}"; want 200 "" "answer correction"
is "$(field .state)" submitted "back in review"
api POST "/applications/$A2/request-correction" "$EVE" '{"reasons":"再次补正"}'; want 200 "" "second correction"
clock 2025-04-03
api GET "/applications/$A2" "$ALICE"; is "$(field .state)" withdrawn "missed correction deadline withdraws"
api POST "/applications/$A2/correction" "$ALICE" "{\"application\":$(cat "$T/doc.json")}"; want 409 wrong_state "too late to correct"
# repeat filing within 3 months of the withdrawal
api_file POST /applications "$ALICE" "$T/doc.json"; A3=$(field .id)
api POST "/applications/$A3/submit" "$ALICE"; want 409 repeat_filing "repeat filing refused"
clock 2025-07-04
api POST "/applications/$A3/submit" "$ALICE"; want 200 "" "filing again after 3 months"
api POST "/applications/$A3/refuse" "$EVE" '{"reasons":"数据权属存在争议"}'; want 200 "" "refuse"
is "$(field .state)" refused "refused"
api POST "/applications/$A3/accept" "$EVE"; want 409 wrong_state "accept after refusal"

# ---- objection upheld ----
api_file POST /applications "$ALICE" "$T/doc.json"; A4=$(field .id)
api POST "/applications/$A4/submit" "$ALICE"; api POST "/applications/$A4/accept" "$EVE"; want 200 "" "accept A4"
api POST /objections "$BOB" "{\"application\":$A4,\"reasons\":\"侵犯我方数据权益\"}"; O4=$(field .objection)
api POST "/objections/$O4/uphold" "$EVE" '{"reasons":"异议成立"}'; want 200 "" "uphold"
is "$(field .state)" refused "upheld objection refuses"

# ---- deadline passed, and overdue decisions highlighted ----
clock 2025-07-07
api_file POST /applications "$ALICE" "$T/doc.json"; A7=$(field .id)
api POST "/applications/$A7/submit" "$ALICE"; api POST "/applications/$A7/accept" "$EVE"
N7=$(field .record.notice_end)
api POST /objections "" "{\"application\":$A7,\"reasons\":\"first\"}"; O7=$(field .objection)
clock 2025-08-01
api GET "/applications/$A7" "$EVE"; is "$(field .state)" suspended "an open objection holds the registration past $N7"
api POST /objections "" "{\"application\":$A7,\"reasons\":\"too late\"}"; want 409 deadline_passed "objection after the notice ended"
clock 2025-10-01
api GET "/applications/$A7" "$EVE"; is "$(field .record.overdue)" true "objection decision overdue after 60 days"
api POST "/objections/$O7/dismiss" "$EVE" '{"reasons":"驳回"}'; want 200 "" "late dismissal"
is "$(field .state)" registered "registered at the dismissal after the notice"
is "$(field .record.registered_on)" 2025-10-01 "announced on the dismissal day"
api_file POST /applications "$ALICE" "$T/doc.json"; A8=$(field .id)
api POST "/applications/$A8/submit" "$ALICE"; D8=$(field .record.review_due)
is "$(field .record.overdue)" false "not overdue when submitted"
clock 2025-11-03
api GET "/applications/$A8" "$EVE"; is "$(field .record.overdue)" true "review past $D8 is overdue"

# ---- lifecycle on R1 (registered 2025-02-12, valid until 2028-02-12) ----
api POST "/registrations/$R1/license" "$BOB" '{"licensee":"x","scope":"y","start":"2025-08-01","end":"2026-07-31"}'
want 403 forbidden "only the holder licenses"
api POST "/registrations/$R1/license" "$ALICE" '{"licensee":"某银行数据中心","scope":"风控建模","start":"2025-08-01","end":"2026-07-31"}'
want 200 "" "license"
api POST "/registrations/$R1/pledge" "$ALICE" '{"pledgee":"天津银行","amount":5000000,"end":"2026-12-31"}'
want 200 "" "pledge"
api GET "/registrations/$R1" ""; is "$(field .status)" pledged "status pledged"; is "$(field .pledge.pledgee)" 天津银行 "pledgee public"
api POST "/registrations/$R1/cancel" "$ALICE"; want 409 pledged "no cancellation while pledged"
api POST "/registrations/$R1/transfer" "$ALICE" '{"to":"bob","holder":{"name":"北京受让方科技有限公司","type":"legal_person","id":"91350100M000100Y43","contact":{"person":"李四","phone":"010-1"}}}'
want 409 pledged "no transfer while pledged"
api POST "/registrations/$R1/pledge" "$ALICE" '{"pledgee":"b","amount":1,"end":"2026-12-31"}'; want 409 pledged "one pledge at a time"
api POST "/registrations/$R1/release-pledge" "$ALICE"; want 200 "" "release"
api POST "/registrations/$R1/change" "$ALICE" '{"change":{"data_name":"天津港集装箱吞吐数据（2025版）"}}'; want 200 "" "change"
C2=$(field .certno); [ "$C2" != "$C1" ] && ok || bad "change issues a new certificate"
api POST "/registrations/$R1/change" "$ALICE" '{"change":{"evidence":[]}}'; want 400 bad_request "evidence cannot change"
api GET "/registrations/$R1" ""
is "$(jq -r ".certificates[] | select(.certno == \"$C1\") | .status" "$T/body")" superseded "old certificate superseded"
is "$(field .public.data_name)" "天津港集装箱吞吐数据（2025版）" "record shows the change"
api POST "/registrations/$R1/transfer" "$ALICE" '{"to":"eve","holder":{}}'; want 400 bad_request "transfer to a non-applicant"
api POST "/registrations/$R1/transfer" "$ALICE" '{"to":"bob","holder":{"name":"北京受让方科技有限公司","type":"legal_person","id":"91350100M000100Y43","contact":{"person":"李四","phone":"010-1"}}}'
want 200 "" "transfer"
api POST "/registrations/$R1/license" "$ALICE" '{"licensee":"x","scope":"y","start":"2025-08-01","end":"2026-07-31"}'
want 403 forbidden "the old holder no longer acts"
api POST "/registrations/$R1/renew" "$BOB"; want 409 too_early "renewal before its window"
clock 2027-12-01
api POST "/registrations/$R1/renew" "$BOB"; want 200 "" "renew in the window"
is "$(field .record.valid_until)" 2031-02-12 "renewed 3 years"
api POST "/registrations/$R1/cancel" "$BOB"; want 200 "" "cancel"
api GET "/registrations/$R1" ""; is "$(field .status)" cancelled "status cancelled"
api POST "/registrations/$R1/renew" "$BOB"; want 409 wrong_state "nothing after cancellation"

# ---- revocation and expiry ----
clock 2028-01-03
for n in 5 6; do
	api_file POST /applications "$ALICE" "$T/doc.json"; eval A$n=$(field .id)
	eval api POST "/applications/\$A$n/submit" "$ALICE"
	eval api POST "/applications/\$A$n/accept" "$EVE"
done
clock 2028-02-01
api GET "/applications/$A5" "$ALICE"; R5=$(field .regno)
api GET "/applications/$A6" "$ALICE"; R6=$(field .regno); V6=$(field .record.valid_until)
api POST "/registrations/$R5/revoke" "$ALICE" '{"reasons":"x"}'; want 403 forbidden "applicant cannot revoke"
api POST "/registrations/$R5/revoke" "$EVE" '{"reasons":"法院判决确认数据权属归他人"}'; want 200 "" "revoke"
api GET "/registrations/$R5" ""; is "$(field .status)" revoked "status revoked"
clock 2031-02-10
api GET "/registrations/$R6" ""; is "$(field .status)" expired "expired after valid_until $V6"
api POST "/registrations/$R6/license" "$ALICE" '{"licensee":"x","scope":"y","start":"2031-03-01","end":"2031-04-01"}'
want 409 wrong_state "nothing after expiry"

# ---- numbers: serial and well-formed ----
r5=$(echo "$R5" | cut -c7-15); r6=$(echo "$R6" | cut -c7-15)
is "$(echo "$R1" | cut -c1-6)" 202511 "regno: year, source self (1), legal person (1)"
is "$((1$r6 - 1$r5))" 1 "registration numbers are consecutive"

# ---- confidential fields appear in no public answer and not in the log ----
: >"$T/public"
for p in /notices "/registrations/$R1" "/registrations/$R5" "/registrations?q=天津" "/certificates/$C1" "/certificates/$C2"; do
	curl -s "$URL/api/v1$p" >>"$T/public"
done
n=$(tree_size); i=0
while [ $i -lt "$n" ]; do
	w=$((n - i)); [ $w -gt 256 ] && w=256
	if [ $w = 256 ]; then curl -s "$URL/tile/entries/$(printf '%03d' $((i / 256)))" >>"$T/public"
	else curl -s "$URL/tile/entries/$(printf '%03d' $((i / 256))).p/$w" >>"$T/public"; fi
	i=$((i + 256))
done
curl -s "$URL/checkpoint" >>"$T/public"
[ -s "$T/public" ] && ok || bad "public answers collected"
for secret in SECRET-SOURCE SECRET-RULES SECRET-PHONE secret-mail SECRET-OBJECTOR 张三 MSwxLDM; do
	if grep -a -q "$secret" "$T/public"; then bad "confidential '$secret' appears publicly"; else ok; fi
done
# ...while the holder and the examiner do see them
api GET "/applications/$A4" "$EVE"; is "$(field .application.applicant.contact.phone)" SECRET-PHONE-022 "examiner sees contact"

# ---- the audit trail: who, when, what, from where ----
api GET /audit "$ROOT"; want 200 "" "audit"
is "$(jq '[.audit[] | select(.actor == "eve" and .outcome == "ok")] | length > 0' "$T/body")" true "examiner actions audited"
is "$(jq '[.audit[] | select(.outcome == "refused")] | length > 0' "$T/body")" true "refusals audited"
is "$(jq -r '.audit[0].ip' "$T/body")" 127.0.0.1 "audit records the address"
api GET /audit "$EVE"; want 403 forbidden "only admins read the audit"
if "$DIPR" audit --dir "$D" >/dev/null 2>&1; then ok; else bad "dipr audit of the whole log"; fi
# the moved date survives a restart (time does not run backwards)
stop_server
start_server "$D" || bad "restart"
api GET /admin/clock ""; is "$(field .today)" 2031-02-10 "test clock kept across restarts"
finish
