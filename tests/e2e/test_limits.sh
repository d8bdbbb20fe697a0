#!/bin/sh
# Limits and security checks over HTTP (docs/SECURITY.md): oversized
# bodies, deep JSON, long query strings, path traversal, out-of-range
# tiles and numbers each get a clear 4xx and change nothing; the server
# stays up after each (GET /healthz).  Then the login limiter (per name and
# per address, a success resets the name), the per-account write limit
# (--rate, 429 + Retry-After), the per-address connection limit, the
# security headers on every kind of answer, key file modes and that no key
# material reaches the server's output.
SUITE=limits
. tests/e2e/lib.sh
. tests/e2e/reglib.sh
T=$(mktemp -d /tmp/dipr-e2e.XXXXXX)
trap 'stop_server; rm -rf "$T"' EXIT
D=$T/data
setup_registry "$D" >"$T/init.out" 2>&1
printf 'correct horse battery\n' | "$DIPR" user add carol --role applicant --password-stdin --dir "$D" >/dev/null
printf 'correct horse battery\n' | "$DIPR" user add dave --role applicant --password-stdin --dir "$D" >/dev/null
start_server "$D" || { bad "server starts"; finish; }
A="Authorization: Bearer $ALICE"
alive() { # the server still answers after NAME
	c=$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")
	[ "$c" = 200 ] && ok || bad "server answers /healthz after $1 (HTTP $c)"
}
# no_change NAME: the tree did not grow
SIZE0=$(tree_size)
no_change() { [ "$(tree_size)" = "$SIZE0" ] && ok || bad "$1 changed the log (size $(tree_size), was $SIZE0)"; }

# ---- request bodies ----
head -c 3000000 /dev/zero | tr '\0' 'a' >"$T/3mb"
expect_http 413 too_large "3 MB evidence body (Content-Length) is refused" -H "$A" --data-binary "@$T/3mb" "$URL/api/v1/evidence"
alive "3 MB evidence body"
expect_http 413 too_large "3 MB evidence body (chunked) is refused" -H "$A" -H 'Transfer-Encoding: chunked' --data-binary "@$T/3mb" "$URL/api/v1/evidence"
alive "3 MB chunked body"
expect_http 413 too_large "3 MB application body is refused" -H "$A" -H 'Content-Type: application/json' --data-binary "@$T/3mb" "$URL/api/v1/applications"
expect_http 413 too_large "3 MB anonymous objection is refused" -H 'Content-Type: application/json' --data-binary "@$T/3mb" "$URL/api/v1/objections"
expect_http 413 too_large "3 MB login body is refused" --data-binary "@$T/3mb" "$URL/api/v1/login"
alive "3 MB bodies"
head -c 70000 /dev/zero | tr '\0' 'a' >"$T/70k"
expect_http 413 too_large "evidence body over 64 KiB" -H "$A" --data-binary "@$T/70k" "$URL/api/v1/evidence"
no_change "oversized bodies"

# ---- JSON depth and size ----
Z=$(printf '%064d' 0)
deep() { printf '[%.0s' $(seq "$1"); printf ']%.0s' $(seq "$1"); }
expect_http 400 bad_request "evidence JSON nested 50 deep" -H "$A" -d "{\"digests\":{\"sm3\":\"$Z\"},\"size\":1,\"meta\":{\"x\":$(deep 50)}}" "$URL/api/v1/evidence"
grep -q "nest\|deep\|depth" "$T/body" && ok || bad "the depth error says so: $(cat "$T/body")"
expect_http 400 bad_request "application JSON nested 40 deep" -H "$A" -H 'Content-Type: application/json' -d "{\"x\":$(deep 40)}" "$URL/api/v1/applications"
expect_http 400 bad_request "objection JSON nested 10000 deep" -H 'Content-Type: application/json' -d "$(deep 10000)" "$URL/api/v1/objections"
alive "deep JSON"
# meta is at most 8 KiB of canonical JSON; the entry itself at most 16 KiB
big=$(head -c 9000 /dev/zero | tr '\0' 'm')
expect_http 400 bad_request "evidence meta over 8 KiB" -H "$A" -d "{\"digests\":{\"sm3\":\"$Z\"},\"size\":1,\"meta\":{\"d\":\"$big\"}}" "$URL/api/v1/evidence"
grep -q "8192" "$T/body" && ok || bad "the meta error names the limit: $(cat "$T/body")"
expect_http 400 bad_request "evidence with a 1000-member digests object" -H "$A" \
	-d "{\"digests\":{$(seq 1000 | sed 's/.*/"k&":1/' | paste -sd,)},\"size\":1}" "$URL/api/v1/evidence"
expect_http 400 bad_request "evidence with a huge size number" -H "$A" -d "{\"digests\":{\"sm3\":\"$Z\"},\"size\":99999999999999999999999}" "$URL/api/v1/evidence"
expect_http 400 bad_request "evidence with a negative size" -H "$A" -d "{\"digests\":{\"sm3\":\"$Z\"},\"size\":-1}" "$URL/api/v1/evidence"
no_change "bad JSON"
alive "bad JSON"

# ---- proof lines in an uploaded receipt ----
printf 'id,v\n1,2\n' >"$T/a.csv"
"$DIPR" attest "$T/a.csv" --server "$URL" --token "$ALICE" -o "$T/a.tlog-proof" >/dev/null && ok || bad "attest"
SIZE0=$(tree_size)
# 200 proof lines after "index N" (a receipt never needs more than 63)
awk '{print} NR==3{for(i=0;i<200;i++)print "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}' "$T/a.tlog-proof" >"$T/long.tlog-proof"
make_doc "$T/long.tlog-proof" >"$T/long.json"
api_file POST /applications "$ALICE" "$T/long.json"; want 201 "" "a draft is stored unchecked"
LONG_APP=$(field .id)
api POST "/applications/$LONG_APP/submit" "$ALICE"
case "$CODE" in 4??) ok ;; *) bad "submitting a receipt with 200 proof lines: HTTP $CODE, want 4xx: $(head -c 200 "$T/body")" ;; esac
jq -r .error.message "$T/body" | grep -qi "proof\|receipt\|evidence" && ok || bad "the error names the receipt: $(head -c 300 "$T/body")"
"$DIPR" keys --dir "$D" >"$T/vkeys"
"$DIPR" verify "$T/long.tlog-proof" --vkey "$T/vkeys" >/dev/null 2>"$T/err"
rc=$?
[ $rc = 1 ] || [ $rc = 2 ] && ok || bad "dipr verify refuses 200 proof lines (exit $rc)"
no_change "a receipt with 200 proof lines"
alive "long receipt"

# ---- query strings ----
q=$(head -c 100000 /dev/zero | tr '\0' 'q')
c=$(curl -s -o "$T/body" -w '%{http_code}' "$URL/api/v1/registrations?q=$q")
case "$c" in 414|431|400) ok ;; *) bad "100 KB query: HTTP $c, want 414, 431 or 400" ;; esac
alive "100 KB query"
q=$(head -c 5000 /dev/zero | tr '\0' 'q')
expect_http 414 uri_too_long "5 KB query string" "$URL/api/v1/registrations?q=$q"
expect_http 414 uri_too_long "5 KB of query parameters on a tile" "$URL/checkpoint?a=$q"
q=$(head -c 300 /dev/zero | tr '\0' 'q')
expect_http 400 bad_request "search q over 200 bytes" "$URL/api/v1/registrations?q=$q"
expect_http 400 bad_request "search q not UTF-8" "$URL/api/v1/registrations?q=%ff%fe"
expect_http 400 bad_request "applications state over 200 bytes" -H "$A" "$URL/api/v1/applications?state=$q"
p=$(head -c 2000 /dev/zero | tr '\0' 'p')
expect_http 414 uri_too_long "2 KB path" "$URL/$p"
alive "long queries"

# ---- path traversal: nothing is read from the filesystem by URL ----
for p in /tile/../../etc/passwd /tile/%2e%2e/%2e%2e/etc/passwd /tile/..%2f..%2fetc%2fpasswd /tile//etc/passwd \
	/tile/entries/../../../etc/passwd /../../etc/passwd /%2e%2e/%2e%2e/etc/passwd //etc/passwd /etc/passwd \
	/app.js/../../../etc/passwd "/tile/0/000%00" /r/..%2f..%2fetc%2fpasswd "/api/v1/certificates/..%2f..%2fetc%2fpasswd"; do
	c=$(curl -s --path-as-is -o "$T/body" -w '%{http_code}' "$URL$p")
	case "$c" in 400|404) ok ;; *) bad "$p: HTTP $c, want 400 or 404" ;; esac
	grep -q "root:" "$T/body" && bad "$p: served /etc/passwd" || ok
	[ "$(jq -r '.error.code' "$T/body" 2>/dev/null)" != null ] && ok || bad "$p: a JSON error: $(head -c 100 "$T/body")"
done
for t in "http://evil.example/etc/passwd" "/tile/../../../../etc/passwd" "*"; do
	c=$(curl -s -o "$T/body" -w '%{http_code}' --request-target "$t" "$URL/")
	case "$c" in 400|404) ok ;; *) bad "request target $t: HTTP $c, want 400 or 404" ;; esac
done
alive "path traversal"

# ---- tiles and numbers out of range ----
N=$(tree_size)
expect_http 404 not_found "a tile beyond the tree" "$URL/tile/0/999"
expect_http 404 not_found "a partial tile wider than the tree" "$URL/tile/0/000.p/$((N + 1))"
expect_http 404 not_found "an entry bundle beyond the tree" "$URL/tile/entries/x001/000"
expect_http 400 bad_tile_path "tile level 64" "$URL/tile/64/000"
expect_http 400 bad_tile_path "partial width 0" "$URL/tile/0/000.p/0"
expect_http 400 bad_tile_path "partial width 256" "$URL/tile/0/000.p/256"
expect_http 400 bad_tile_path "tile index with a sign" "$URL/tile/0/-01"
expect_http 400 bad_tile_path "tile index 2^63 and more" "$URL/tile/0/x999/x999/x999/x999/x999/x999/999"
for v in -1 99999999999999999999999 9223372036854775808 18446744073709551616 01 1e3 0x10 "%201" ""; do
	expect_http 400 bad_request "inclusion index=$v" "$URL/api/v1/proof/inclusion?index=$v"
done
expect_http 400 bad_request "inclusion size above the tree" "$URL/api/v1/proof/inclusion?index=0&size=$((N + 1))"
expect_http 400 bad_request "consistency from=0" "$URL/api/v1/proof/consistency?from=0&to=$N"
expect_http 400 bad_request "consistency to=-1" "$URL/api/v1/proof/consistency?from=1&to=-1"
expect_http 400 bad_request "evidence index -1" "$URL/api/v1/evidence/-1"
expect_http 400 bad_request "evidence index 99999999999999999999999" "$URL/api/v1/evidence/99999999999999999999999"
expect_http 404 not_found "evidence index beyond the tree" "$URL/api/v1/evidence/9223372036854775807"
expect_http 404 not_found "application -1" -H "$A" "$URL/api/v1/applications/-1"
expect_http 404 not_found "application 99999999999999999999" -H "$A" "$URL/api/v1/applications/99999999999999999999"
expect_http 404 not_found "application 0" -H "$A" "$URL/api/v1/applications/0"
expect_http 404 not_found "objection 1e9" "$URL/api/v1/objections/1e9"
expect_http 404 not_found "certificate number too long" "$URL/api/v1/certificates/999999999999999999999999"
expect_http 404 not_found "certificate number month 13" "$URL/api/v1/certificates/20261300000000001.pdf"
expect_http 404 not_found "registration number garbage" "$URL/api/v1/registrations/-1"
expect_http 400 bad_request "audit limit=-1" -H "Authorization: Bearer $ROOT" "$URL/api/v1/audit?limit=-1"
expect_http 400 bad_request "audit limit=1001" -H "Authorization: Bearer $ROOT" "$URL/api/v1/audit?limit=1001"
expect_http 400 bad_request "audit before=99999999999999999999999" -H "Authorization: Bearer $ROOT" "$URL/api/v1/audit?before=99999999999999999999999"
expect_http 401 unauthenticated "a token with control characters" -H "$(printf 'Authorization: Bearer a\001b')" "$URL/api/v1/me"
expect_http 401 unauthenticated "a 300-byte token" -H "Authorization: Bearer $(head -c 300 /dev/zero | tr '\0' t)" -d '{}' "$URL/api/v1/evidence"
expect_http 401 unauthenticated "Basic instead of Bearer" -H "Authorization: Basic YTpi" "$URL/api/v1/me"
no_change "out-of-range requests"
alive "out-of-range requests"

# ---- security headers on every kind of answer ----
headers_ok() { # NAME FILE PORTAL(1/0)
	h=$(tr -d '\r' <"$2")
	csp=$(echo "$h" | sed -n 's/^[Cc]ontent-[Ss]ecurity-[Pp]olicy: //p')
	[ -n "$csp" ] && ok || bad "$1: no Content-Security-Policy"
	echo "$csp" | grep -q "unsafe-inline\|unsafe-eval" && bad "$1: CSP allows inline script: $csp" || ok
	echo "$csp" | grep -q "frame-ancestors 'none'" && ok || bad "$1: CSP lacks frame-ancestors 'none'"
	if [ "$3" = 1 ]; then echo "$csp" | grep -q "script-src 'self'" && ok || bad "$1: portal CSP lacks script-src 'self'"
	else echo "$csp" | grep -q "default-src 'none'" && ok || bad "$1: data CSP is not default-src 'none'"; fi
	echo "$h" | grep -qi "^X-Content-Type-Options: nosniff" && ok || bad "$1: no X-Content-Type-Options: nosniff"
	echo "$h" | grep -qi "^Referrer-Policy: no-referrer" && ok || bad "$1: no Referrer-Policy"
	echo "$h" | grep -qi "^X-Frame-Options: DENY" && ok || bad "$1: no X-Frame-Options: DENY"
}
hdr() { curl -s -o /dev/null -D "$T/h" "$@"; }
hdr "$URL/api/v1/notices"; headers_ok "API JSON" "$T/h" 0
hdr "$URL/checkpoint"; headers_ok "checkpoint" "$T/h" 0
hdr "$URL/tile/0/000.p/$N"; headers_ok "tile" "$T/h" 0
hdr "$URL/tile/entries/000.p/$N"; headers_ok "entry bundle" "$T/h" 0
hdr "$URL/"; headers_ok "portal index" "$T/h" 1
hdr "$URL/app.js"; headers_ok "portal script" "$T/h" 1
hdr "$URL/verify"; headers_ok "portal page route" "$T/h" 1
hdr "$URL/no/such/thing"; headers_ok "404 error" "$T/h" 0
hdr -H "$A" --data-binary "@$T/70k" "$URL/api/v1/evidence"; headers_ok "413 error" "$T/h" 0
hdr "$URL/metrics"; headers_ok "metrics" "$T/h" 0
hdr -X POST "$URL/api/v1/logout"; headers_ok "logout" "$T/h" 0
hdr -H 'Content-Type: application/json' -d '{"name":"dave","password":"correct horse battery"}' "$URL/api/v1/login"
headers_ok "login" "$T/h" 0
grep -qi "^Set-Cookie: dipr_session=.*HttpOnly; SameSite=Strict" "$T/h" && ok || bad "the session cookie is HttpOnly, SameSite=Strict"

# ---- login limits ----
login() { # NAME PASSWORD [curl args]: sets CODE, headers in $T/h
	_n=$1; _p=$2; shift 2
	CODE=$(curl -s -D "$T/h" -o "$T/body" -w '%{http_code}' -H 'Content-Type: application/json' "$@" \
		-d "{\"name\":\"$_n\",\"password\":\"$_p\"}" "$URL/api/v1/login")
}
i=0; while [ $i -lt 5 ]; do login carol wrong; want 401 unauthenticated "carol's failed login $i" >/dev/null; i=$((i + 1)); done
login carol wrong; want 429 rate_limited "carol's 6th failure within a minute is limited"
headers_ok "429" "$T/h" 0
ra=$(tr -d '\r' <"$T/h" | sed -n 's/^Retry-After: //Ip')
[ -n "$ra" ] && [ "$ra" -ge 1 ] && [ "$ra" -le 60 ] && ok || bad "the 429 carries Retry-After 1..60 (got '$ra')"
jq -e '.error.message | test("login")' "$T/body" >/dev/null && ok || bad "the 429 says why: $(cat "$T/body")"
login carol "correct horse battery"; want 429 rate_limited "even the right password waits while limited"
# a success resets the name: 4 failures, success, then 5 more failures are all 401
i=0; while [ $i -lt 4 ]; do login dave wrong; i=$((i + 1)); done
login dave "correct horse battery"; want 200 "" "dave logs in after 4 failures"
i=0; while [ $i -lt 5 ]; do login dave wrong; want 401 unauthenticated "dave's failure $i after the reset" >/dev/null || break; i=$((i + 1)); done
[ $i = 5 ] && ok || bad "a success reset dave's count"
login dave wrong; want 429 rate_limited "dave limited after 5 new failures"
# per address: other names from 127.0.0.1 until 20 attempts in all; a
# forged X-Forwarded-For is ignored without --trust-proxy
# (14 attempts so far; one more refills every 3 s while scrypt runs)
i=0; while [ $i -lt 30 ]; do
	login "nobody$i" wrong -H "X-Forwarded-For: 10.0.0.$i"
	[ "$CODE" = 429 ] && break
	i=$((i + 1))
done
[ "$CODE" = 429 ] && jq -e '.error.message | test("address")' "$T/body" >/dev/null && ok ||
	bad "the address is limited after 20 attempts, whatever X-Forwarded-For says (HTTP $CODE after $i)"
[ "$i" -le 12 ] && ok || bad "about 20 attempts per address (6 expected here, got $i)"
grep -q "dipr_http_rate_limited_total [1-9]" "$T/metrics" 2>/dev/null || curl -s "$URL/metrics" >"$T/metrics"
grep -q "dipr_http_rate_limited_total [1-9]" "$T/metrics" && ok || bad "/metrics counts 429s"
alive "login limits"

# ---- keys: mode 0600, and nothing secret in what the server printed ----
for k in "$D"/keys/*; do
	[ "$(stat -c %a "$k")" = 600 ] && ok || bad "$k: mode $(stat -c %a "$k"), want 600"
done
[ "$(stat -c %a "$D/keys")" = 700 ] && ok || bad "keys directory: mode $(stat -c %a "$D/keys"), want 700"
stop_server
for k in "$D"/keys/*; do
	secret=$(head -1 "$k" | cut -d+ -f5-)
	[ ${#secret} -gt 20 ] || { bad "$k: no key material found"; continue; }
	for f in "$T/serve.out" "$T/serve.err" "$T/init.out"; do
		grep -qF "$secret" "$f" && bad "$(basename "$k")'s secret appears in $(basename "$f")" || ok
	done
	grep -q "PRIVATE" "$T/serve.out" "$T/serve.err" && bad "PRIVATE key text in the server's output" || ok
done
grep -qF "$ALICE" "$T/serve.out" "$T/serve.err" && bad "a bearer token in the server's output" || ok
grep -qF "correct horse battery" "$T/serve.out" "$T/serve.err" && bad "a password in the server's output" || ok

# ---- write rate limit and connection limit (restart with the limits) ----
SERVE_ARGS="--rate 2 --max-conns-per-ip 4" start_server "$D" || { bad "server starts with --rate"; finish; }
codes=""
i=0; while [ $i -lt 8 ]; do
	codes="$codes $(curl -s -D "$T/h$i" -o "$T/b$i" -w '%{http_code}' -H "Authorization: Bearer $BOB" \
		-d "{\"digests\":{\"sm3\":\"$(printf '%064d' $i)\"},\"size\":$i}" "$URL/api/v1/evidence")"
	i=$((i + 1))
done
echo "$codes" | grep -q 200 && ok || bad "bob's first writes pass: $codes"
echo "$codes" | grep -q 429 && ok || bad "bob's burst over --rate 2 is limited: $codes"
l=$(grep -l "^HTTP/1.1 429" "$T"/h? | head -1)
[ -n "$l" ] && tr -d '\r' <"$l" | grep -qi "^Retry-After: [1-9]" && ok || bad "429 carries Retry-After"
[ -n "$l" ] && jq -e '.error.code == "rate_limited" and (.error.message | test("--rate"))' "${l%/h*}/b${l##*/h}" >/dev/null && ok ||
	bad "429 body is a JSON error naming --rate"
expect_http 200 "" "alice is not limited by bob's use" -H "$A" -d "{\"digests\":{\"sm3\":\"$(printf '%064d' 99)\"},\"size\":1}" "$URL/api/v1/evidence"
sleep 1.2
expect_http 200 "" "bob may write again after Retry-After" -H "Authorization: Bearer $BOB" -d "{\"digests\":{\"sm3\":\"$(printf '%064d' 98)\"},\"size\":1}" "$URL/api/v1/evidence"
# registry writes count too, and anonymous writes are limited per address
codes=""
i=0; while [ $i -lt 8 ]; do
	codes="$codes $(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d '{"application":999999,"reasons":"x"}' "$URL/api/v1/objections")"
	i=$((i + 1))
done
echo "$codes" | grep -q 429 && ok || bad "anonymous objections are limited per address: $codes"
expect_http 200 "" "reads are never limited" "$URL/api/v1/notices"
# connections: 4 idle ones from this address are allowed, a fifth is refused
PORT=${URL##*:}
perl -MIO::Socket::INET -e '
	my @s; for (1..4) { push @s, IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ARGV[0]") or die "connect: $!" }
	print "open\n"; $| = 1; sleep 3;' "$PORT" >"$T/hold" 2>&1 &
HPID=$!
i=0; while ! grep -q open "$T/hold" && [ $i -lt 50 ]; do sleep 0.05; i=$((i + 1)); done
sleep 0.2
c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$URL/healthz")
[ "$c" = 000 ] && ok || bad "a fifth connection from one address is refused (HTTP $c)"
wait $HPID
sleep 0.3
alive "the connection limit"
stop_server
grep -q "Sanitizer\|runtime error" "$T/serve.err" && bad "sanitizer report" || ok
finish
