#!/bin/sh
# dipr render CERT (--pdf OUT | --html OUT): the certificate people hold and
# print.  One A4 page with embedded, searchable CJK text whose QR code
# decodes to exactly the record URL; long content shrinks, never spills to a
# second page; the HTML is one self-contained file that escapes every field.
# The certificate comes from a real server run (examples/registration-demo.sh)
# or, if the demo cannot run, from the unit tests' fixture.
SUITE=render
. tests/e2e/lib.sh
T=$(mktemp -d /tmp/dipr-e2e.XXXXXX)
trap 'rm -rf "$T"' EXIT
# under make sanitize: what cairo and fontconfig keep is theirs, not ours
LSAN_OPTIONS="suppressions=$PWD/tests/e2e/fixtures/render/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
for tool in jq pdfinfo pdftotext pdffonts pdftoppm zbarimg; do
	command -v $tool >/dev/null || { bad "$tool is not installed (sh scripts/deps.sh)"; finish; }
done

# ---- the certificate ----
if [ -f examples/registration-demo.sh ] && sh examples/registration-demo.sh "$T/demo" >"$T/demo.out" 2>"$T/demo.err" &&
	[ "$(tail -1 "$T/demo.out" | cut -d' ' -f1)" = certificate ]; then
	CERT=$(tail -1 "$T/demo.out" | cut -d' ' -f4)
	"$DIPR" keys --dir "$T/demo" >"$T/vkeys"
	VK=$T/vkeys
else
	echo "note: the registration demo did not run ($(tail -1 "$T/demo.err" 2>/dev/null)); using the fixture" >&2
	CERT=tests/fuzz/corpus/cert/cert1.json
	VK=tests/e2e/fixtures/cert-test.vkeys
fi
CERTNO=$(jq -r .certificate.certno "$CERT")
REGNO=$(jq -r .certificate.regno "$CERT")
NAME=$(jq -r .certificate.data_name "$CERT")
URL=$(jq -r .certificate.record_url "$CERT")
INDEX=$(jq -r .tlog_proof "$CERT" | sed -n 's/^index //p')
ORIGIN=$(jq -r .tlog_proof "$CERT" | awk 'f { print; exit } /^$/ { f = 1 }')

# check_pdf NAME PDF URL: one A4 page, a CJK font embedded, the QR code
# decodes to exactly URL.
check_pdf() {
	info=$(pdfinfo "$2" 2>&1)
	echo "$info" | grep -q '^Pages: *1$' && ok || bad "$1: not one page: $(echo "$info" | grep Pages)"
	echo "$info" | grep -q '^Page size: *595.28 x 841.89 pts (A4)' && ok || bad "$1: not A4: $(echo "$info" | grep 'Page size')"
	pdffonts "$2" | awk '$1 ~ /Noto.*CJK/ && $(NF-4) == "yes" { f = 1 } END { exit !f }' && ok ||
		bad "$1: no embedded Noto CJK font: $(pdffonts "$2" | tail -n +3)"
	rm -f "$T"/qr-*.png
	pdftoppm -r 200 -png "$2" "$T/qr"
	got=$(zbarimg --raw -q "$T"/qr-*.png 2>/dev/null)
	[ "$got" = "$3" ] && ok || bad "$1: QR code decodes to \"$got\", want \"$3\""
	# cairo 1.16 embeds every subroutine of a CFF face for some glyph
	# mixes of Noto Sans CJK (~850 KB a face); the serif faces keep this small
	sz=$(wc -c <"$2")
	[ "$sz" -lt 600000 ] && ok || bad "$1: PDF of $sz bytes (a font embedded whole?)"
}

# ---- the PDF ----
expect_status 0 "render --pdf" "$DIPR" render "$CERT" --pdf "$T/c.pdf" --vkey "$VK"
[ "$(cat "$T/out")" = "$T/c.pdf" ] && ok || bad "render prints the output path: $(cat "$T/out")"
check_pdf "certificate" "$T/c.pdf" "$URL"
pdftotext "$T/c.pdf" "$T/c.txt"
for want in "$CERTNO" "$REGNO" "$NAME" "$URL" "Index $INDEX" "Checkpoint $ORIGIN" "数据知识产权登记证书" \
	"Data Intellectual Property Registration Certificate" "扫码或访问上述网址查看当前状态" "dipr verify <file> --vkey <log vkeys>"; do
	tr -d '\n' <"$T/c.txt" | grep -qF -- "$want" && ok || bad "the PDF's text lacks \"$want\""
done
# signatures: key IDs always; Ed25519 and SM2 when the vkeys say so
for id in $(cut -d+ -f2 "$VK"); do grep -q "Key ID $id" "$T/c.txt" && ok || bad "the PDF lacks key ID $id"; done
grep -q "^Ed25519 · " "$T/c.txt" && grep -q "^SM2 · " "$T/c.txt" && ok || bad "with --vkey the signatures are labelled Ed25519 and SM2"
"$DIPR" render "$CERT" --pdf "$T/n.pdf" >/dev/null && pdftotext "$T/n.pdf" "$T/n.txt" &&
	grep -q "Signature 1 · " "$T/n.txt" && grep -q "Signature 2 · " "$T/n.txt" && ! grep -q "Ed25519\|SM2 ·" "$T/n.txt" && ok ||
	bad "without --vkey the signatures are numbered, not typed"
"$DIPR" render "$CERT" --pdf "$T/c2.pdf" --vkey "$VK" >/dev/null && cmp -s "$T/c.pdf" "$T/c2.pdf" && ok ||
	bad "the same certificate renders to the same bytes"

# ---- long content: a 200-character data name, a 500-byte scenario ----
jq '.certificate.data_name = (([range(31)] | map("天津港集装") | join("")) + "物" + ([range(44)] | map("x") | join(""))) |
    .certificate.scenario = (([range(166)] | map("港") | join("")) + "ab")' "$CERT" >"$T/long.json"
[ "$(jq -r '.certificate.data_name | length' "$T/long.json")" = 200 ] &&
	[ "$(jq -r '.certificate.scenario | utf8bytelength' "$T/long.json")" = 500 ] && ok || bad "long-content certificate built"
expect_status 0 "render a long certificate" "$DIPR" render "$T/long.json" --pdf "$T/long.pdf"
check_pdf "long content" "$T/long.pdf" "$URL"
pdftotext "$T/long.pdf" - | tr -d '\n' >"$T/long.txt"
for f in data_name scenario; do
	grep -qF "$(jq -r ".certificate.$f" "$T/long.json")" "$T/long.txt" && ok || bad "the long $f is not all on the page"
done

# ---- the most a certificate may hold: every text at its limit, 64
# evidence items, 16 signature lines, a 490-byte URL ----
LONGURL="https://registry.example.cn/r/$(printf '%0460d' 0 | tr 0 A)"
jq --arg u "$LONGURL" 'def big(c): [range(170)] | map(c) | join("");
    .certificate.data_name = (([range(31)] | map("天津港集装") | join("")) + "物" + ([range(44)] | map("W") | join(""))) |
    .certificate.scenario = big("港") | .certificate.holder.name = big("公") | .certificate.industry = big("业") |
    .certificate.issuer = big("机") | .certificate.holder.id = ([range(64)] | map("X") | join("")) |
    .certificate.record_url = $u | .certificate.scale = {records: 9007199254740991, bytes: 9007199254740991} |
    .certificate.evidence = [range(64) | {index: ., digests: {sm3: ("ab" * 32), sha256: ("cd" * 32)}}] |
    .signatures as $s | .signatures = [range(16) | $s[. % ($s | length)]]' "$CERT" >"$T/max.json"
expect_status 0 "render the largest certificate" "$DIPR" render "$T/max.json" --pdf "$T/max.pdf" --html "$T/max.html"
check_pdf "largest certificate" "$T/max.pdf" "$LONGURL"
pdftotext "$T/max.pdf" - | tr -d '\n' | grep -q "另有 [0-9]* 项存证未列出，见证书文件" && ok ||
	bad "evidence items left out are counted on the page"

# ---- the HTML ----
expect_status 0 "render --html" "$DIPR" render "$CERT" --html "$T/c.html"
[ "$(cat "$T/out")" = "$T/c.html" ] && ok || bad "render --html prints the output path"
H=$T/c.html
for want in "$CERTNO" "$REGNO" "$NAME" "<svg" 'lang="zh-CN"' '<meta charset="utf-8">' "@page{size:A4"; do
	grep -qF -- "$want" "$H" && ok || bad "the HTML lacks $want"
done
grep -qi "<script" "$H" && bad "the HTML has a script" || ok
# no outside resources: every src/href is the record URL, every "http" is
# it or the CSP's http-equiv, no CSS url() or @import
grep -oiE '(src|href)[[:space:]]*=[[:space:]]*("[^"]*"|[^[:space:]>]*)' "$H" | sort -u >"$T/refs"
[ -s "$T/refs" ] && ! grep -vqxF "href=\"$URL\"" "$T/refs" && ok || bad "the HTML refers to something besides the record URL: $(cat "$T/refs")"
grep -oi 'http[^"<[:space:]]*' "$H" | grep -vxF -e "$URL" -e "http-equiv=" | grep -q . &&
	bad "the HTML names another http address: $(grep -oi 'http[^"<[:space:]]*' "$H" | sort -u | head -3)" || ok
grep -qiE 'url\(|@import' "$H" && bad "the HTML's CSS loads something" || ok
grep -q "default-src 'none'" "$H" && ok || bad "the HTML forbids loading anything (CSP)"
[ "$(grep -c '<rect' "$H")" -ge 1 ] && ok || bad "the QR code is drawn as rects"

# every field is outside input: markup in it comes out as text
jq '.certificate.data_name = "<script>alert(1)</script>数据&名称" | .certificate.issuer = "\"><img src=x onerror=alert(1)>" |
    .certificate.record_url = "https://registry.example.cn/r/1\"onmouseover=\u0027alert(1)\u0027\\x)>>/A("' "$CERT" >"$T/evil.json"
expect_status 0 "render markup in the fields" "$DIPR" render "$T/evil.json" --html "$T/evil.html" --pdf "$T/evil.pdf"
grep -qi "<script\|<img" "$T/evil.html" && bad "markup in a field reached the HTML as markup" || ok
grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;数据&amp;名称' "$T/evil.html" && ok || bad "the data name is escaped"
grep -qF 'href="https://registry.example.cn/r/1&quot;onmouseover=&#39;alert(1)&#39;\x)&gt;&gt;/A("' "$T/evil.html" && ok ||
	bad "the record URL is escaped in href: $(grep -o 'href="[^"]*"' "$T/evil.html")"
check_pdf "markup in the fields" "$T/evil.pdf" "$(jq -r .certificate.record_url "$T/evil.json")"
# the PDF link: cairo 1.16 writes the URI into a PDF string unescaped, so
# render percent-encodes what could end it
grep -aqF '/URI (https://registry.example.cn/r/1%22onmouseover=%27alert%281%29%27%5Cx%29%3E%3E/A%28)' "$T/evil.pdf" && ok ||
	bad "the PDF link's URI is percent-encoded: $(grep -a '/URI' "$T/evil.pdf")"

# ---- errors: exit 2, one line naming the file ----
expect_status 2 "no output named" "$DIPR" render "$CERT"
expect_status 2 "no certificate named" "$DIPR" render --pdf "$T/x.pdf"
# expect_error NAME FILE: render FILE fails with exit 2 and one line naming it
expect_error() {
	"$DIPR" render "$2" --pdf "$T/x.pdf" >"$T/out" 2>"$T/err"
	st=$?
	[ $st = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -qF "$2" "$T/err" && [ ! -s "$T/out" ] && ok ||
		bad "$1: exit $st, want 2 with one line naming $2: $(cat "$T/err")"
}
expect_error "a missing file" "$T/none.json"
echo '{"certificate":' >"$T/trunc.json"
expect_error "truncated JSON" "$T/trunc.json"
jq '.certificate.certno = "123"' "$CERT" >"$T/badno.json"
expect_error "a malformed certificate number" "$T/badno.json"
jq 'del(.tlog_proof)' "$CERT" >"$T/noproof.json"
expect_error "no tlog_proof" "$T/noproof.json"
jq '.signatures = ["not a signature line"]' "$CERT" >"$T/badsig.json"
expect_error "a malformed signature line" "$T/badsig.json"
expect_error "a receipt, not a certificate" "$(ls "$T"/demo/*.tlog-proof 2>/dev/null | head -1 || echo "$T/none2")"
[ ! -e "$T/x.pdf" ] && ok || bad "a failed render left an output file"
expect_status 2 "an unwritable output" "$DIPR" render "$CERT" --pdf "$T/nodir/x.pdf"
ls "$T" | grep -q '\.tmp\.' && bad "temporary files left behind: $(ls "$T" | grep '\.tmp\.')" || ok

echo "render: certificate PDF $(wc -c <"$T/c.pdf") bytes, largest $(wc -c <"$T/max.pdf") bytes; HTML $(wc -c <"$H") bytes"
finish
