#!/bin/sh
# Interoperability: dipr's log, receipts and checkpoints checked by programs
# that share no code with dipr: tests/interop/tlogverify.mjs (an independent
# C2SP verifier and tlog-tiles client in plain Node.js) and the openssl
# command line (Ed25519 and SM2 checkpoint signatures).
SUITE=interop
. tests/e2e/lib.sh
T=$(mktemp -d /tmp/dipr-e2e.XXXXXX)
trap 'stop_server; rm -rf "$T"' EXIT
D=$T/data
VERIFIER=tests/interop/tlogverify.mjs

# hex2bin HEX: the bytes, with POSIX printf octal escapes (no xxd needed).
hex2bin() {
	printf "$(printf '%s' "$1" | awk '{ h = "0123456789abcdef"
		for (i = 1; i <= length($0); i += 2)
			printf "\\%03o", (index(h, substr($0, i, 1)) - 1) * 16 + index(h, substr($0, i + 1, 1)) - 1 }')"
}
# bin2hex: stdin as lowercase hex on one line.
bin2hex() { od -An -v -tx1 | tr -d ' \n'; }

expect_status 0 "init" "$DIPR" init --dir "$D" --origin interop.example/log
"$DIPR" keys --dir "$D" >"$T/vkeys" || bad "dipr keys"
EDKEY=$(sed -n 1p "$T/vkeys")
SMKEY=$(sed -n 2p "$T/vkeys")
"$DIPR" user add alice --role applicant --dir "$D" >/dev/null || bad "user add"
TOK=$("$DIPR" token create --user alice --dir "$D")
start_server "$D" || { bad "server starts"; finish; }

# A few receipts made by the dipr client...
for f in a b c; do head -c 5000 /dev/urandom >"$T/$f.bin"; done
expect_status 0 "attest three files" "$DIPR" attest "$T/a.bin" "$T/b.bin" "$T/c.bin" --server "$URL" --token "$TOK"
# ...then 300 more entries, in four parallel streams, so that the tree has a
# full level-0 tile, a partial one and a level-1 tile.
# One curl process per stream (a config file with 75 requests joined by
# "next"), so the time goes to the server, not to starting curl.
pids=""
for k in 1 2 3 4; do
	i=0
	while [ $i -lt 75 ]; do
		[ $i -gt 0 ] && echo next
		printf 'url = "%s/api/v1/evidence"\nheader = "Authorization: Bearer %s"\n' "$URL" "$TOK"
		printf 'data = "{\\"digests\\":{\\"sm3\\":\\"%064x\\"},\\"size\\":%d}"\n' $((k * 100000 + i)) $i
		printf 'output = "/dev/null"\nwrite-out = "%%{http_code}\\n"\nsilent\n'
		i=$((i + 1))
	done >"$T/curl.$k"
	curl -K "$T/curl.$k" >"$T/posts.$k" 2>&1 &
	pids="$pids $!"
done
# wait for the four streams only (a bare wait would also wait for the server)
for p in $pids; do wait "$p"; done
cat "$T/posts.1" "$T/posts.2" "$T/posts.3" "$T/posts.4" >"$T/posts"
[ "$(grep -cx 200 "$T/posts")" = 300 ] && [ "$(wc -l <"$T/posts")" = 300 ] && ok ||
	bad "300 posts all answered 200: $(grep -vx 200 "$T/posts" | sort | uniq -c | head -3)"
curl -s "$URL/checkpoint" >"$T/checkpoint"
SIZE=$(sed -n 2p "$T/checkpoint")
ROOT=$(sed -n 3p "$T/checkpoint")
[ "$SIZE" = 303 ] && ok || bad "checkpoint size is 303 (got '$SIZE')"
# receipts for entries on both sides of the first tile boundary, at size 303
for i in 0 1 255 256 302; do
	curl -s "$URL/api/v1/evidence/$i" | jq -j .receipt >"$T/e$i.tlog-proof"
done

# ---- the independent Node.js verifier ----
if ! command -v node >/dev/null 2>&1; then
	echo "SKIP: node is not installed; the tlogverify.mjs interop checks did not run (openssl checks still run)" >&2
else
	# expect_node WANT NAME ARGS...: runs the verifier, checks its exit status.
	expect_node() { w=$1; n=$2; shift 2; expect_status "$w" "node verifier: $n" node "$VERIFIER" "$@"; }

	expect_node 0 "dipr attest receipt" receipt "$T/a.bin.tlog-proof" "$EDKEY"
	expect_node 0 "receipt with the vkeys file (SM2 vkey: its key ID checked, then skipped; SM2 line ignored)" receipt "$T/c.bin.tlog-proof" "$T/vkeys"
	for i in 0 1 255 256 302; do
		expect_node 0 "receipt of entry $i at size 303" receipt "$T/e$i.tlog-proof" "$EDKEY"
		grep -q "^ok: entry $i is in interop.example/log at size 303, root $ROOT\$" "$T/out" && ok ||
			bad "node verifier: entry $i: $(cat "$T/out")"
	done
	[ "$(grep -c '^[A-Za-z0-9+/]*=$' "$T/e0.tlog-proof")" -ge 10 ] && ok || bad "receipt of entry 0 at size 303 carries a 9-hash proof and the root"

	# a changed entry: one byte of the JSON changed, re-encoded
	sed -n 's/^extra //p' "$T/e1.tlog-proof" | base64 -d >"$T/entry1.json"
	sed 's/"type":"evidence"/"type":"evidencf"/' "$T/entry1.json" >"$T/entry1x.json"
	cmp -s "$T/entry1.json" "$T/entry1x.json" && bad "test setup: entry 1 was not changed"
	X=$(base64 -w0 <"$T/entry1x.json")
	sed "s|^extra .*|extra $X|" "$T/e1.tlog-proof" >"$T/x.tlog-proof"
	expect_node 1 "changed extra is rejected" receipt "$T/x.tlog-proof" "$EDKEY"
	grep -q "inclusion" "$T/err" && ok || bad "changed extra: reason names the inclusion proof: $(cat "$T/err")"
	expect_status 1 "dipr verify agrees: changed extra is rejected" "$DIPR" verify "$T/x.tlog-proof" --vkey "$T/vkeys"
	# a changed proof hash, a changed index, a changed checkpoint size
	awk '/^index /{p=1;print;next} p==1{print "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";p=2;next}{print}' "$T/e0.tlog-proof" >"$T/x.tlog-proof"
	expect_node 1 "changed proof hash is rejected" receipt "$T/x.tlog-proof" "$EDKEY"
	sed 's/^index 255$/index 254/' "$T/e255.tlog-proof" >"$T/x.tlog-proof"
	expect_node 1 "changed index is rejected" receipt "$T/x.tlog-proof" "$EDKEY"
	sed 's/^303$/304/' "$T/e255.tlog-proof" >"$T/x.tlog-proof"
	expect_node 1 "changed checkpoint is rejected" receipt "$T/x.tlog-proof" "$EDKEY"
	grep -q "does not verify" "$T/err" && ok || bad "changed checkpoint: reason is the signature: $(cat "$T/err")"

	# another log's key: same origin (name matches, key ID does not), and another origin
	"$DIPR" init --dir "$T/other" --origin interop.example/log >/dev/null
	"$DIPR" init --dir "$T/other2" --origin elsewhere.example/log >/dev/null
	expect_node 1 "another log's key (same origin) is rejected" receipt "$T/a.bin.tlog-proof" "$("$DIPR" keys --dir "$T/other" | sed -n 1p)"
	grep -q "no signature from a trusted key" "$T/err" && ok || bad "another log's key: reason: $(cat "$T/err")"
	expect_node 1 "another log's key (other origin) is rejected" receipt "$T/a.bin.tlog-proof" "$("$DIPR" keys --dir "$T/other2" | sed -n 1p)"
	expect_node 1 "the SM2 vkey alone is not enough for an Ed25519-only verifier" receipt "$T/a.bin.tlog-proof" "$SMKEY"
	expect_node 2 "verifier usage error" receipt "$T/a.bin.tlog-proof"

	# a stock tlog-tiles client recomputes the tree from the entry bundles
	expect_node 0 "tiles client reads the whole log" tiles "$URL" "$EDKEY"
	grep -q "^ok: interop.example/log size 303 root $ROOT " "$T/out" && ok || bad "tiles client: same root as /checkpoint: $(cat "$T/out") vs $ROOT"
	grep -q "(2 entry bundles and level-0 tiles, 1 higher tiles checked)" "$T/out" && ok || bad "tiles client: tile counts: $(cat "$T/out")"
	expect_node 1 "tiles client with another log's key" tiles "$URL" "$("$DIPR" keys --dir "$T/other" | sed -n 1p)"
	expect_node 1 "tiles client against a server that is not there" tiles "http://127.0.0.1:1" "$EDKEY"

	# The other way round: dipr verifies what an independent producer made
	# (its own Ed25519 key, its own tree of 13 entries, its own RFC 6962 proofs).
	expect_node 0 "make-log writes an independent log" make-log "$T/indie" indie.example/log 13
	IKEY=$(cat "$T/indie/vkey")
	allok=1
	for i in 0 1 2 3 4 5 6 7 8 9 10 11 12; do
		"$DIPR" verify "$T/indie/$i.tlog-proof" --vkey "$IKEY" >"$T/out" 2>"$T/err" ||
			{ allok=0; echo "dipr verify independent receipt $i: $(cat "$T/err")" >&2; }
	done
	[ $allok = 1 ] && ok || bad "dipr verify accepts every receipt of the independent log"
	sed 's/^extra .*/extra ZW50cnkgNg==/' "$T/indie/5.tlog-proof" >"$T/x.tlog-proof" # "entry 6" at index 5
	expect_status 1 "dipr verify rejects an independent receipt with another entry" "$DIPR" verify "$T/x.tlog-proof" --vkey "$IKEY"
	expect_status 1 "dipr verify rejects an independent receipt under dipr's key" "$DIPR" verify "$T/indie/5.tlog-proof" --vkey "$EDKEY"
	# independent proofs through the low-level commands: every index and
	# every size1 of the trees of size 8 and 13
	allok=1; nproofs=0
	while read -r index size leaf root rest; do
		case $size in 8 | 13) ;; *) continue ;; esac
		set -- tlog verify-inclusion --index "$index" --size "$size" --leaf-hash "$leaf" --root "$root"
		for p in $rest; do set -- "$@" --proof "$p"; done
		"$DIPR" "$@" >/dev/null 2>"$T/err" || { allok=0; echo "inclusion $index/$size: $(cat "$T/err")" >&2; }
		nproofs=$((nproofs + 1))
	done <"$T/indie/inclusion"
	while read -r size1 size2 root1 root2 rest; do
		case $size2 in 8 | 13) ;; *) continue ;; esac
		set -- tlog verify-consistency --size1 "$size1" --size2 "$size2" --root1 "$root1" --root2 "$root2"
		for p in $rest; do set -- "$@" --proof "$p"; done
		"$DIPR" "$@" >/dev/null 2>"$T/err" || { allok=0; echo "consistency $size1/$size2: $(cat "$T/err")" >&2; }
		nproofs=$((nproofs + 1))
	done <"$T/indie/consistency"
	[ $allok = 1 ] && [ $nproofs = 42 ] && ok || bad "dipr tlog verifies 42 independent inclusion and consistency proofs (ran $nproofs)"
fi

# ---- the checkpoint's signatures, checked with the openssl command line ----
# note text = the lines before the blank line (each with its newline);
# signature lines after it
awk 'done { print >sigs; next } /^$/ { done = 1; next } { print >text }' \
	text="$T/cp.text" sigs="$T/cp.sigs" "$T/checkpoint"
[ "$(wc -l <"$T/cp.text")" = 3 ] && [ "$(wc -l <"$T/cp.sigs")" = 2 ] && ok || bad "checkpoint: 3 text lines and 2 signature lines"
sed 's/^303$/304/' "$T/cp.text" >"$T/cp.changed"
# DER SubjectPublicKeyInfo prefixes for a raw key
ED_SPKI=302a300506032b6570032100
SM2_SPKI=3059301306072a8648ce3d020106082a811ccf5501822d034200
[ "$(hex2bin "$ED_SPKI" | bin2hex)" = "$ED_SPKI" ] && [ "$(hex2bin "$SM2_SPKI" | bin2hex)" = "$SM2_SPKI" ] && ok || bad "hex2bin round trip"
n=0
while IFS= read -r vk; do
	n=$((n + 1))
	name=${vk%%+*}; rest=${vk#*+}; id=${rest%%+*}; k64=${rest#*+}
	printf '%s' "$k64" | base64 -d >"$T/k$n.raw"
	type=$(head -c 1 "$T/k$n.raw" | bin2hex)
	# the signature line of this key: same name, first four bytes = key ID
	: >"$T/sig$n"
	while IFS= read -r line; do
		case "$line" in "— $name "*) ;; *) continue ;; esac
		printf '%s' "${line##* }" | base64 -d >"$T/s.bin"
		if [ "$(head -c 4 "$T/s.bin" | bin2hex)" = "$id" ]; then tail -c +5 "$T/s.bin" >"$T/sig$n"; fi
	done <"$T/cp.sigs"
	[ -s "$T/sig$n" ] && ok || { bad "openssl: no signature line for $name+$id"; continue; }
	case $type in
	01)
		alg=Ed25519
		[ "$(wc -c <"$T/k$n.raw")" = 33 ] && ok || bad "Ed25519 vkey carries 32 key bytes"
		{ hex2bin "$ED_SPKI"; tail -c +2 "$T/k$n.raw"; } >"$T/pub$n.der"
		set -- ;;
	ff)
		alg=SM2
		[ "$(wc -c <"$T/k$n.raw")" = 90 ] && [ "$(head -c 25 "$T/k$n.raw" | tail -c 24)" = "sm2-sm3/1234567812345678" ] && ok ||
			bad "SM2 vkey is 0xff, sm2-sm3/1234567812345678 and a 65-byte point"
		{ hex2bin "$SM2_SPKI"; tail -c 65 "$T/k$n.raw"; } >"$T/pub$n.der"
		set -- -digest sm3 -pkeyopt distid:1234567812345678 ;;
	*)
		bad "unknown vkey type $type"; continue ;;
	esac
	openssl pkey -pubin -inform DER -in "$T/pub$n.der" -out "$T/pub$n.pem" 2>"$T/err" && ok || bad "openssl reads the $alg key: $(cat "$T/err")"
	openssl pkeyutl -verify -pubin -inkey "$T/pub$n.pem" -rawin "$@" -in "$T/cp.text" -sigfile "$T/sig$n" >"$T/out" 2>&1
	st=$?
	[ $st = 0 ] && grep -q "^Signature Verified Successfully" "$T/out" && ok || bad "openssl verifies the $alg checkpoint signature: exit $st: $(cat "$T/out")"
	openssl pkeyutl -verify -pubin -inkey "$T/pub$n.pem" -rawin "$@" -in "$T/cp.changed" -sigfile "$T/sig$n" >"$T/out" 2>&1
	st=$?
	[ $st != 0 ] && ! grep -q "Verified Successfully" "$T/out" && ok || bad "openssl rejects the $alg signature over a changed text: exit $st: $(cat "$T/out")"
done <"$T/vkeys"
[ $n = 2 ] && ok || bad "two vkeys checked with openssl (got $n)"

finish
