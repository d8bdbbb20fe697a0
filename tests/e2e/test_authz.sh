#!/bin/sh
# The authorization matrix: every registry endpoint x every role (public,
# the applicant who owns the resource, another applicant, examiner, admin).
# A cell is the exact status expected, or "ok": the request passed
# authorization (any answer but 401, 403, 404 or 5xx — the state machine
# or the body may still refuse it).  Then sessions: login, CSRF, logout.
SUITE=authz
. tests/e2e/lib.sh
. tests/e2e/reglib.sh
T=$(mktemp -d /tmp/dipr-e2e.XXXXXX)
trap 'stop_server; rm -rf "$T"' EXIT
D=$T/data
setup_registry "$D"
echo 'alice password 42' | "$DIPR" user passwd alice --dir "$D" >/dev/null 2>&1 || bad "set alice's password"
start_server "$D" || { bad "server starts"; finish; }
printf 'id,v\n1,2\n' >"$T/a.csv"
"$DIPR" attest "$T/a.csv" --server "$URL" --token "$ALICE" -o "$T/a.tlog-proof" >/dev/null && ok || bad "attest"
make_doc "$T/a.tlog-proof" >"$T/doc.json"
clock 2025-03-03
# Resources, all alice's: A a draft; AR registered (R, certificate C);
# AN in notice with objection O.
api_file POST /applications "$ALICE" "$T/doc.json"; A=$(field .id)
api_file POST /applications "$ALICE" "$T/doc.json"; AR=$(field .id)
api POST "/applications/$AR/submit" "$ALICE"; api POST "/applications/$AR/accept" "$EVE"
clock 2025-04-01
api GET "/applications/$AR" "$ALICE"; R=$(field .regno); C=$(field .certno)
[ "$(field .state)" = registered ] && ok || bad "setup: registered"
api_file POST /applications "$ALICE" "$T/doc.json"; AN=$(field .id)
api POST "/applications/$AN/submit" "$ALICE"; api POST "/applications/$AN/accept" "$EVE"
api POST /objections "" "{\"application\":$AN,\"reasons\":\"x\"}"; O=$(field .objection)
[ -n "$O" ] && [ "$O" != null ] && ok || bad "setup: objection"

# METHOD PATH BODY : public owner other examiner admin
matrix() {
	while IFS='|' read -r m p b cells; do
		[ -z "$m" ] && continue
		set -- $cells
		for role in public owner other examiner admin; do
			want=$1; shift
			case $role in public) tok="" ;; owner) tok=$ALICE ;; other) tok=$BOB ;; examiner) tok=$EVE ;; admin) tok=$ROOT ;; esac
			if [ -n "$b" ]; then api "$m" "$p" "$tok" "$b"; else api "$m" "$p" "$tok"; fi
			if [ "$want" = ok ]; then
				case $CODE in 401 | 403 | 404 | 5*) bad "$m $p as $role: HTTP $CODE, want it authorized: $(head -c 200 "$T/body")" ;; *) ok ;; esac
			elif [ "$CODE" != "$want" ]; then
				bad "$m $p as $role: HTTP $CODE, want $want: $(head -c 200 "$T/body")"
			else
				ok
			fi
		done
	done
}
matrix <<EOF
GET|/applications||401 200 200 200 403
POST|/applications|[]|401 400 400 403 403
GET|/applications/$A||401 200 404 200 403
PUT|/applications/$A|{"application":{"data_name":"x"}}|401 200 404 403 403
POST|/applications/$AR/submit||401 409 404 403 403
POST|/applications/$AR/withdraw||401 409 404 403 403
POST|/applications/$AR/correction|{}|401 400 404 403 403
POST|/applications/$AR/accept||401 403 403 409 403
POST|/applications/$AR/request-correction|{}|401 403 403 400 403
POST|/applications/$AR/refuse|{}|401 403 403 400 403
GET|/notices||200 200 200 200 200
POST|/objections|{"application":$AR,"reasons":"x"}|409 409 409 409 409
GET|/objections||401 403 403 200 403
GET|/objections/$O||404 200 404 200 404
POST|/objections/$O/dismiss|{}|401 403 403 400 403
POST|/objections/$O/uphold|{}|401 403 403 400 403
GET|/registrations||200 200 200 200 200
GET|/registrations/$R||200 200 200 200 200
POST|/registrations/$R/change|{}|401 400 403 403 403
POST|/registrations/$R/transfer|{}|401 400 403 403 403
POST|/registrations/$R/license|{}|401 400 403 403 403
POST|/registrations/$R/pledge|{}|401 400 403 403 403
POST|/registrations/$R/release-pledge||401 ok 403 403 403
POST|/registrations/$R/renew||401 409 403 403 403
POST|/registrations/$R/revoke|{}|401 403 403 400 403
GET|/certificates/$C||200 200 200 200 200
GET|/audit||401 403 403 403 200
GET|/admin/clock||200 200 200 200 200
POST|/admin/clock|{}|401 403 403 403 400
POST|/admin/tick||401 403 403 403 200
GET|/me||200 200 200 200 200
POST|/evidence|{}|401 400 400 403 403
POST|/registrations/$R/cancel||401 ok 403 403 403
EOF

# A token nobody issued is refused everywhere, not treated as public.
for p in /notices "/registrations/$R" /applications; do
	api GET "$p" "dipr_0000000000000000000000000000000000000000000000000000000000000000"; want 401 unauthenticated "unknown token on $p"
done

# Sessions: password login sets an HttpOnly SameSite=Strict cookie; a
# cookie alone cannot write (CSRF); with the token it can; logout ends it.
curl -s -D "$T/h" -o "$T/body" -H 'Content-Type: application/json' -X POST "$URL/api/v1/login" \
	--data-binary '{"name":"alice","password":"wrong password"}' >/dev/null
grep -q '^HTTP/1.1 401' "$T/h" && ok || bad "wrong password refused"
curl -s -D "$T/h" -o "$T/body" -c "$T/jar" -H 'Content-Type: application/json' -X POST "$URL/api/v1/login" \
	--data-binary '{"name":"alice","password":"alice password 42"}' >/dev/null
grep -q '^HTTP/1.1 200' "$T/h" && ok || bad "login: $(cat "$T/body")"
grep -i '^set-cookie:' "$T/h" | grep -q 'HttpOnly' && grep -i '^set-cookie:' "$T/h" | grep -q 'SameSite=Strict' && ok ||
	bad "cookie flags: $(grep -i '^set-cookie' "$T/h")"
CSRF=$(field .csrf)
code=$(curl -s -o "$T/body" -w '%{http_code}' -b "$T/jar" "$URL/api/v1/applications/$A")
is "$code" 200 "cookie reads the owner's application"
code=$(curl -s -o "$T/body" -w '%{http_code}' -b "$T/jar" -X POST "$URL/api/v1/applications/$A/withdraw")
is "$code" 403 "cookie write without X-CSRF-Token refused"
is "$(field .error.code)" csrf "the refusal names CSRF"
code=$(curl -s -o "$T/body" -w '%{http_code}' -b "$T/jar" -H "X-CSRF-Token: $CSRF" -X POST "$URL/api/v1/applications/$A/withdraw")
is "$code" 200 "cookie write with the CSRF token"
curl -s -o /dev/null -b "$T/jar" -X POST "$URL/api/v1/logout"
code=$(curl -s -o "$T/body" -w '%{http_code}' -b "$T/jar" "$URL/api/v1/applications/$A")
is "$code" 401 "logged out"
api GET /audit "$ROOT"
is "$(jq '[.audit[] | select(.action == "POST /api/v1/login" and .outcome == "refused")] | length' "$T/body")" 1 "failed login audited"
finish
