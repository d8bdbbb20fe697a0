#!/bin/sh
# TLS through nginx (deploy/nginx.conf, docs/SECURITY.md "TLS"): the shipped
# config, with only addresses, ports and paths rewritten, in front of a
# real dipr serve; a throw-away CA made with openssl.  Checks TLS 1.2/1.3
# only, HSTS and dipr's security headers through the proxy, the redirect
# from plain HTTP, an evidence receipt fetched over https that verifies
# offline, nginx's 413 in dipr's JSON error form, and that the login
# limiter keys on the real client address only with --trust-proxy (client
# addresses 127.0.0.5 and 127.0.0.6 via curl --interface).  Runs as any
# user: nginx gets a prefix, pid file and logs in the temp dir.  Skipped
# when nginx is not installed (scripts/deps.sh installs it).
SUITE=tls
. tests/e2e/lib.sh
. tests/e2e/reglib.sh
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -x "$NGINX" ]; then
	echo "e2e $SUITE: skipped (nginx is not installed; sh scripts/deps.sh)"
	exit 0
fi
T=$(mktemp -d /tmp/dipr-e2e.XXXXXX)
NPID=""
stop_nginx() { [ -n "$NPID" ] && kill "$NPID" 2>/dev/null && wait "$NPID" 2>/dev/null; NPID=""; }
trap 'stop_nginx; stop_server; rm -rf "$T"' EXIT
D=$T/data
setup_registry "$D" >/dev/null
"$DIPR" keys --dir "$D" >"$T/vkeys"

# ---- a CA and a certificate for 127.0.0.1 / localhost ----
(
	cd "$T" &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 \
		-subj "/CN=dipr test CA" -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr \
		-subj "/CN=localhost" &&
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >ext.cnf &&
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext.cnf
) >"$T/openssl.log" 2>&1 && ok || { bad "openssl makes a CA and a certificate: $(tail -3 "$T/openssl.log")"; finish; }

# ---- ports: random high loopback ports (retried if taken) ----
port() { awk -v s="$$$(date +%N)" 'BEGIN { srand(s % 1000000); print 20000 + int(rand() * 40000) }'; }
DPORT=$(port)
start_dipr() { # extra serve args
	: >"$T/serve.out"
	"$DIPR" serve --dir "$D" --listen "127.0.0.1:$DPORT" --public-url "https://localhost:$SPORT" "$@" \
		>"$T/serve.out" 2>"$T/serve.err" &
	SPID=$!
	i=0
	while ! grep -q '^serving ' "$T/serve.out" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 $SPID 2>/dev/null; then SPID=""; return 1; fi
		sleep 0.05
	done
	URL=http://127.0.0.1:$DPORT # dipr itself, for reglib's api
}

# ---- nginx with deploy/nginx.conf ----
N=$T/nginx
mkdir -p "$N/tmp"
start_nginx() {
	if [ "$(id -u)" = 0 ]; then user='user root;'; else user=''; fi
	sed -e "s|^user www-data;|$user|" \
		-e "s|^worker_processes auto;|worker_processes 1;|" \
		-e "s|/run/nginx-dipr.pid|$N/nginx.pid|" \
		-e "s|/var/log/nginx/dipr-error.log|$N/error.log|" \
		-e "s|/var/log/nginx/dipr-access.log|$N/access.log|" \
		-e "s|/var/lib/nginx/|$N/tmp/|" \
		-e "s|server 127.0.0.1:8080;|server 127.0.0.1:$DPORT;|" \
		-e "s|listen 80;|listen 127.0.0.1:$HPORT;|" \
		-e "s|listen 443 ssl http2;|listen 127.0.0.1:$SPORT ssl http2;|" \
		-e "s|/etc/ssl/dipr/fullchain.pem|$T/server.pem|" \
		-e "s|/etc/ssl/dipr/privkey.pem|$T/server.key|" \
		-e "s|worker_connections 4096;|worker_connections 256;|" \
		deploy/nginx.conf >"$N/nginx.conf"
	# every rewrite took: no production path is left
	if sed 's/#.*//' "$N/nginx.conf" | grep -q "/var/\|/run/\|/etc/ssl\|:8080\|listen 80;\|listen 443"; then
		bad "deploy/nginx.conf changed shape: the test's rewrites no longer apply"
		finish
	fi
	"$NGINX" -t -p "$N" -e "$N/error.log" -c "$N/nginx.conf" >"$N/t.log" 2>&1 || { bad "nginx -t: $(cat "$N/t.log")"; return 1; }
	"$NGINX" -p "$N" -e "$N/error.log" -c "$N/nginx.conf" -g 'daemon off;' >"$N/out.log" 2>&1 &
	NPID=$!
	i=0
	while ! curl -s -o /dev/null --cacert "$T/ca.pem" "https://127.0.0.1:$SPORT/healthz"; do
		i=$((i + 1))
		if [ $i -gt 60 ] || ! kill -0 $NPID 2>/dev/null; then NPID=""; return 1; fi
		sleep 0.05
	done
}
tries=0
while :; do
	HPORT=$(port); SPORT=$(port); DPORT=$(port)
	# a port taken by someone else fails this try only: its [emerg] line
	# must not count against the run that succeeds (checked at the end)
	[ ! -f "$N/error.log" ] || mv "$N/error.log" "$N/error.log.try$tries"
	if start_dipr --trust-proxy 127.0.0.1 && start_nginx; then break; fi
	stop_nginx; stop_server
	tries=$((tries + 1))
	[ $tries -lt 5 ] || { bad "dipr and nginx start: $(tail -3 "$N/error.log" "$T/serve.err" 2>/dev/null)"; finish; }
done
ok
S="https://127.0.0.1:$SPORT"
C="--cacert $T/ca.pem"

# ---- TLS ----
expect_http 200 "" "healthz over https with the CA" $C "$S/healthz"
c=$(curl -s -o /dev/null -w '%{http_code}' "$S/healthz"); rc=$?
[ "$c" = 000 ] && [ $rc = 60 ] && ok || bad "without the CA the certificate is refused (curl exit $rc, HTTP $c)"
curl -s -o /dev/null $C --tlsv1.3 "$S/healthz" && ok || bad "TLS 1.3 is accepted"
curl -s -o /dev/null $C --tlsv1.2 --tls-max 1.2 "$S/healthz" && ok || bad "TLS 1.2 is accepted"
curl -s -o /dev/null $C --tlsv1.0 --tls-max 1.1 "$S/healthz" && bad "TLS 1.1 is refused" || ok
echo | openssl s_client -connect "127.0.0.1:$SPORT" -tls1_1 >/dev/null 2>&1 && bad "openssl: TLS 1.1 is refused" || ok
c=$(curl -s -o /dev/null -D "$T/h" -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$HPORT/checkpoint?x=1")
[ "$c" = "301 https://127.0.0.1/checkpoint?x=1" ] && ok || bad "plain HTTP redirects to https: $c"

# ---- headers through the proxy ----
for p in /api/v1/notices /checkpoint / /no/such; do
	curl -s -o /dev/null -D "$T/h" $C "$S$p"
	h=$(tr -d '\r' <"$T/h")
	echo "$h" | grep -qi "^Strict-Transport-Security: max-age=[1-9]" && ok || bad "$p: HSTS"
	echo "$h" | grep -qi "^Content-Security-Policy: .*frame-ancestors 'none'" && ok || bad "$p: CSP through the proxy"
	echo "$h" | grep -qi "^X-Content-Type-Options: nosniff" && ok || bad "$p: nosniff through the proxy"
	echo "$h" | grep -qi "^X-Frame-Options: DENY" && ok || bad "$p: X-Frame-Options through the proxy"
	echo "$h" | grep -qi "^Referrer-Policy: no-referrer" && ok || bad "$p: Referrer-Policy through the proxy"
	echo "$h" | grep -qi "^Server: nginx/" && bad "$p: nginx shows its version" || ok
done

# ---- a receipt over https verifies offline ----
printf 'id,v\n1,2\n' >"$T/a.csv"
sm3=$("$DIPR" hash "$T/a.csv" | cut -d' ' -f1)
c=$(curl -s -o "$T/a.tlog-proof" -w '%{http_code}' $C -H "Authorization: Bearer $ALICE" \
	-d "{\"digests\":{\"sm3\":\"$sm3\"},\"size\":$(wc -c <"$T/a.csv")}" "$S/api/v1/evidence")
[ "$c" = 200 ] && ok || bad "evidence over https: HTTP $c $(head -c 200 "$T/a.tlog-proof")"
expect_status 0 "the receipt fetched over https verifies offline" "$DIPR" verify "$T/a.tlog-proof" --file "$T/a.csv" --vkey "$T/vkeys"
# The dipr command verifies the server's certificate against the system's
# CAs (libcurl); a certificate from an unknown CA is refused, unless
# DIPR_CACERT names the CA to trust.
printf 'id,v\n3,4\n' >"$T/b.csv"
expect_status 2 "dipr attest refuses an untrusted certificate" "$DIPR" attest "$T/b.csv" --server "https://localhost:$SPORT" --token "$ALICE" -o "$T/c.tlog-proof"
expect_status 0 "dipr attest over https with DIPR_CACERT (the private CA)" \
	env DIPR_CACERT="$T/ca.pem" "$DIPR" attest "$T/b.csv" --server "https://localhost:$SPORT" --token "$ALICE" -o "$T/c.tlog-proof"
expect_status 0 "dipr verify --server over https with DIPR_CACERT" \
	env DIPR_CACERT="$T/ca.pem" "$DIPR" verify "$T/c.tlog-proof" --file "$T/b.csv" --vkey "$T/vkeys" --server "https://localhost:$SPORT"
expect_status 2 "DIPR_CACERT naming no file" \
	env DIPR_CACERT="$T/none.pem" "$DIPR" attest "$T/b.csv" --server "https://localhost:$SPORT" --token "$ALICE" -o "$T/d.tlog-proof"
grep -q "DIPR_CACERT=.*none.pem: cannot read" "$T/err" && ok || bad "the error names DIPR_CACERT: $(cat "$T/err")"

# ---- body limits at the proxy and behind it ----
head -c 2000000 /dev/zero | tr '\0' a >"$T/2mb"
expect_http 413 too_large "2 MB through nginx: its 413, as a JSON error" $C -H "Authorization: Bearer $ALICE" --data-binary "@$T/2mb" "$S/api/v1/applications"
head -c 100000 /dev/zero | tr '\0' a >"$T/100k"
expect_http 413 too_large "100 KB evidence: dipr's 413 through nginx" $C -H "Authorization: Bearer $ALICE" --data-binary "@$T/100k" "$S/api/v1/evidence"
expect_http 200 "" "healthz after the big bodies" $C "$S/healthz"

# ---- the login limiter keys on the real client address ----
login_from() { # IP NAME [curl args]: sets CODE
	_ip=$1; _n=$2; shift 2
	CODE=$(curl -s -o "$T/body" -w '%{http_code}' $C --interface "$_ip" -H 'Content-Type: application/json' "$@" \
		-d "{\"name\":\"$_n\",\"password\":\"wrong\"}" "$S/api/v1/login")
}
# exhaust ADDR's 20 attempts a minute; "limited" once it is 429 within 20
# attempts plus what refilled meanwhile (one every 3 s; scrypt is slow)
exhaust() {
	i=0; t0=$(date +%s)
	while [ $i -lt 30 ]; do
		login_from "$1" "who$2$i"
		[ "$CODE" = 429 ] && break
		i=$((i + 1))
	done
	if [ "$CODE" = 429 ] && [ $i -ge 20 ] && [ $i -le $((20 + ($(date +%s) - t0) / 3 + 1)) ]; then echo limited; else echo "$i $CODE"; fi
}
r=$(exhaust 127.0.0.5 a)
[ "$r" = limited ] && ok || bad "127.0.0.5 limited after 20 attempts (got '$r')"
login_from 127.0.0.5 whoZ -H "X-Forwarded-For: 10.9.9.9"
is "$CODE" 429 "a forged X-Forwarded-For does not get past nginx (it overwrites the header)"
login_from 127.0.0.6 whoY
is "$CODE" 401 "another client address is not limited (--trust-proxy: keyed on X-Forwarded-For)"
api GET "/audit?limit=100" "$ROOT"
jq -e '[.audit[] | tostring | test("127\\.0\\.0\\.5")] | any' "$T/body" >/dev/null && ok ||
	bad "the audit trail records the real client address: $(head -c 300 "$T/body")"

# without --trust-proxy every request through nginx is nginx's (127.0.0.1)
stop_server
start_dipr || { bad "dipr restarts without --trust-proxy"; finish; }
r=$(exhaust 127.0.0.5 b)
[ "$r" = limited ] && ok || bad "without --trust-proxy: limited after 20 attempts (got '$r')"
login_from 127.0.0.6 whoX
is "$CODE" 429 "without --trust-proxy, X-Forwarded-For is ignored: all of nginx's clients share one address"
expect_http 200 "" "healthz at the end" $C "$S/healthz"
stop_nginx
grep -q "\[emerg\]\|\[alert\]" "$N/error.log" && bad "nginx error log: $(grep -m1 "\[emerg\]\|\[alert\]" "$N/error.log")" || ok
finish
