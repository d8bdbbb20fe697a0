#!/bin/sh
# dipr verify CERT, offline: certificates made by the unit tests with fixed
# test keys (tests/fuzz/corpus/cert, tests/e2e/fixtures/cert-test.vkeys).
# Changing any field of the body must make verification fail.
SUITE=cert
. tests/e2e/lib.sh
T=$(mktemp -d /tmp/dipr-e2e.XXXXXX)
trap 'rm -rf "$T"' EXIT
K=tests/e2e/fixtures/cert-test.vkeys
C=tests/fuzz/corpus/cert/cert1.json
for f in tests/fuzz/corpus/cert/cert*.json; do
	expect_status 0 "verify $f" "$DIPR" verify "$f" --vkey "$K"
done
grep -q "^certificate 20260512000000042 (registration 2026110000000427)" "$T/out" 2>/dev/null || "$DIPR" verify "$C" --vkey "$K" | grep -q "^certificate 20260512000000042" && ok || bad "verify names the certificate"
expect_status 0 "verify with the SM2 key alone" "$DIPR" verify "$C" --vkey "$(sed -n 2p "$K")"
"$DIPR" init --dir "$T/other" --origin registry.example.cn/dipr/fuzz >/dev/null
expect_status 1 "another log's keys fail" "$DIPR" verify "$C" --vkey "$("$DIPR" keys --dir "$T/other")"
# every leaf value of the body changed in turn
for path in $(jq -c '.certificate | paths(scalars)' "$C"); do
	jq -c --argjson p "$path" '.certificate |= setpath($p; (getpath($p) | if type == "number" then . + 1 elif type == "string" then (if test("^[0-9]+$") then (tonumber + 1 | tostring) else . + "x" end) else . end))' "$C" >"$T/m.json"
	cmp -s "$T/m.json" "$C" && continue
	"$DIPR" verify "$T/m.json" --vkey "$K" >/dev/null 2>"$T/err"
	[ $? = 1 ] && [ "$(wc -l <"$T/err")" = 1 ] && ok || bad "certificate with $path changed still verifies, or not one line: $(cat "$T/err")"
done
jq -c '.signatures |= .[0:1]' "$C" >"$T/m.json"
expect_status 1 "a missing signature fails" "$DIPR" verify "$T/m.json" --vkey "$K"
jq -c --slurpfile o tests/fuzz/corpus/cert/cert3.json '.tlog_proof = $o[0].tlog_proof' "$C" >"$T/m.json"
expect_status 1 "another certificate's proof fails" "$DIPR" verify "$T/m.json" --vkey "$K"
finish
