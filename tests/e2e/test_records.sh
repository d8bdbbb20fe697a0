#!/bin/sh
# Record trees and sample proofs: disclose chosen records of an attested
# dataset, prove they came from it, and nothing else.
SUITE=records
. tests/e2e/lib.sh
T=$(mktemp -d /tmp/dipr-e2e.XXXXXX)
trap 'stop_server; rm -rf "$T"' EXIT
D=$T/data
"$DIPR" init --dir "$D" --origin records.test/log >/dev/null
"$DIPR" user add a --role applicant --dir "$D" >/dev/null
TOK=$("$DIPR" token create --user a --dir "$D")
"$DIPR" keys --dir "$D" >"$T/vkeys"
start_server "$D" || { bad "server starts"; finish; }

# a CSV with a BOM, CRLF, a quoted comma, a quoted line break, an empty field, no final newline
printf '\357\273\277id,name,city\r\n1,alice,"Tianjin, China"\r\n2,bob,"two\r\nlines"\r\n3,,Beijing\r\n4,"say ""hi""",x' >"$T/d.csv"
expect_status 0 "attest --records csv" "$DIPR" attest "$T/d.csv" --server "$URL" --token "$TOK" --records csv
[ "$(stat -c %a "$T/d.csv.secret")" = 600 ] && ok || bad "dataset secret beside the receipt, mode 600"
sed -n 's/^extra //p' "$T/d.csv.tlog-proof" | base64 -d >"$T/entry.json"
[ "$(jq -r .records.count "$T/entry.json")" = 5 ] && [ "$(jq -r .records.format "$T/entry.json")" = csv ] && ok ||
	bad "entry carries records {count 5, format csv}: $(cat "$T/entry.json")"
expect_status 0 "hash --records gives the same root with the same secret" "$DIPR" hash "$T/d.csv" --records csv --secret "$T/d.csv.secret"
grep -q "^records:csv:sm3:5:$(jq -r .records.root "$T/entry.json")  " "$T/out" && ok || bad "hash --records root = attested root: $(cat "$T/out")"

expect_status 0 "sample rows 3,1" "$DIPR" sample "$T/d.csv" --receipt "$T/d.csv.tlog-proof" --rows 3,1,3 -o "$T/s.sample.json"
[ "$(jq -c '[.samples[].index]' "$T/s.sample.json")" = "[1,3]" ] && ok || bad "the sample holds exactly the rows asked for"
[ "$(jq -r '.samples[0].bytes' "$T/s.sample.json" | base64 -d)" = "$(printf '1,alice,"Tianjin, China"\r\n')" ] && ok || bad "record 1 bytes as in the file"
expect_status 0 "verify sample offline" "$DIPR" verify "$T/s.sample.json" --vkey "$T/vkeys"
expect_status 0 "verify sample online" "$DIPR" verify "$T/s.sample.json" --vkey "$T/vkeys" --server "$URL"
expect_status 0 "verify sample with the file" "$DIPR" verify "$T/s.sample.json" --vkey "$T/vkeys" --file "$T/d.csv"

# every change to a disclosed record, its salt, its index or its proof fails
mutate() { jq -c "$1" "$T/s.sample.json" >"$T/m.json"; "$DIPR" verify "$T/m.json" --vkey "$T/vkeys" >/dev/null 2>"$T/merr"; }
nb=$(jq -r '.samples[0].bytes' "$T/s.sample.json" | base64 -d | wc -c)
i=0; allbad=1
while [ $i -lt "$nb" ]; do
	b=$(jq -r '.samples[0].bytes' "$T/s.sample.json" | base64 -d | od -An -tx1 | tr -d ' \n')
	c=$(printf '%s' "$b" | cut -c$((2 * i + 1))-$((2 * i + 2)))
	n=$(printf '%02x' $(( (0x$c + 1) % 256 )))
	pre=""; [ $i -gt 0 ] && pre=$(printf '%s' "$b" | cut -c1-$((2 * i)))
	nbytes=$(printf '%s%s%s' "$pre" "$n" "$(printf '%s' "$b" | cut -c$((2 * i + 3))-)" | xxd -r -p | base64 -w0)
	mutate ".samples[0].bytes = \"$nbytes\""
	[ $? = 1 ] || { allbad=0; echo "byte $i change verifies" >&2; }
	i=$((i + 1))
done
[ $allbad = 1 ] && ok || bad "a change to any byte of a disclosed record fails"
mutate '.samples[0].salt |= (if .[0:1] == "0" then "1" else "0" end) + .[1:]'; [ $? = 1 ] && ok || bad "changed salt fails"
mutate '.samples[0].index = 2'; [ $? = 1 ] && ok || bad "changed index fails"
mutate '.samples[0].proof[0] = .samples[1].proof[0]'; [ $? = 1 ] && ok || bad "changed proof fails"
mutate '.samples[0].proof |= .[1:]'; [ $? = 1 ] && ok || bad "shortened proof fails"
mutate '.samples[1].salt = .samples[0].salt'; [ $? = 1 ] && ok || bad "another record's salt fails"
mutate '.samples += [{"index":4,"bytes":"","salt":"00000000000000000000000000000000","proof":[]}]'; [ $? = 1 ] && ok || bad "an added record fails"
mutate '.receipt |= sub("index 0"; "index 1")'; [ $? = 1 ] && ok || bad "changed receipt fails"
# knowing a record's exact bytes without the secret shows nothing: record 2's
# bytes with any salt we can make up do not verify
r2=$(printf '2,bob,"two\r\nlines"\r\n' | base64 -w0)
for salt in 00000000000000000000000000000000 $(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'); do
	mutate ".samples[1] = {\"index\":2,\"bytes\":\"$r2\",\"salt\":\"$salt\",\"proof\":.samples[1].proof}"
	[ $? = 1 ] && ok || bad "a guessed salt proves membership"
done

# without the secret, or with a changed file, no sample can be made
mv "$T/d.csv.secret" "$T/kept.secret"
expect_status 2 "sample without the dataset secret" "$DIPR" sample "$T/d.csv" --receipt "$T/d.csv.tlog-proof" --rows 1 -o "$T/x.json"
expect_status 0 "sample with --secret" "$DIPR" sample "$T/d.csv" --receipt "$T/d.csv.tlog-proof" --rows 0 -o "$T/x.json" --secret "$T/kept.secret"
cp "$T/d.csv" "$T/e.csv"; printf '\r\n5,eve,x' >>"$T/e.csv"
expect_status 2 "sample of a changed file" "$DIPR" sample "$T/e.csv" --receipt "$T/d.csv.tlog-proof" --rows 1 -o "$T/x.json" --secret "$T/kept.secret"
grep -q "differs from the receipt" "$T/err" && ok || bad "says the file changed: $(cat "$T/err")"
expect_status 2 "row beyond the records" "$DIPR" sample "$T/d.csv" --receipt "$T/d.csv.tlog-proof" --rows 5 -o "$T/x.json" --secret "$T/kept.secret"

# an append-only dataset: the new version's record tree extends the old one
printf 'day,count\n1,10\n2,12\n' >"$T/v1.csv"
expect_status 0 "attest version 1" "$DIPR" attest "$T/v1.csv" --server "$URL" --token "$TOK" --records csv --alg sha256
cp "$T/v1.csv" "$T/v2.csv"; printf '3,9\n4,15\n5,11\n' >>"$T/v2.csv"
expect_status 0 "attest version 2 with version 1's secret" "$DIPR" attest "$T/v2.csv" --server "$URL" --token "$TOK" --records csv --alg sha256 --secret "$T/v1.csv.secret"
expect_status 0 "extend" "$DIPR" extend "$T/v2.csv" --old "$T/v1.csv.tlog-proof" --new "$T/v2.csv.tlog-proof" --secret "$T/v1.csv.secret" -o "$T/v.extension.json"
expect_status 0 "verify extension" "$DIPR" verify "$T/v.extension.json" --vkey "$T/vkeys"
grep -q "is a prefix of" "$T/out" && ok || bad "verify says the old is a prefix of the new"
jq -c '.proof[0] = .proof[1]' "$T/v.extension.json" >"$T/m.json"
expect_status 1 "changed extension proof fails" "$DIPR" verify "$T/m.json" --vkey "$T/vkeys"
jq -c '{v, type, old: .new, new: .old, proof}' "$T/v.extension.json" >"$T/m.json"
expect_status 1 "swapped versions fail" "$DIPR" verify "$T/m.json" --vkey "$T/vkeys"
# a rewritten history is not an extension
printf 'day,count\n1,10\n2,99\n3,9\n' >"$T/v3.csv"
expect_status 0 "attest a rewritten version" "$DIPR" attest "$T/v3.csv" --server "$URL" --token "$TOK" --records csv --alg sha256 --secret "$T/v1.csv.secret"
expect_status 2 "extend refuses a rewritten dataset" "$DIPR" extend "$T/v3.csv" --old "$T/v1.csv.tlog-proof" --new "$T/v3.csv.tlog-proof" --secret "$T/v1.csv.secret" -o "$T/x.extension.json"

# lines and jsonl; malformed input names the byte offset
printf 'one\ntwo\nthree' >"$T/l.txt"
expect_status 0 "attest --records lines" "$DIPR" attest "$T/l.txt" --server "$URL" --token "$TOK" --records lines --alg sha256
expect_status 0 "sample lines" "$DIPR" sample "$T/l.txt" --receipt "$T/l.txt.tlog-proof" --rows 2 -o "$T/l.sample.json"
expect_status 0 "verify lines sample" "$DIPR" verify "$T/l.sample.json" --vkey "$T/vkeys"
printf '{"a":1}\n{"b":[2]}\n' >"$T/j.jsonl"
expect_status 0 "attest --records jsonl" "$DIPR" attest "$T/j.jsonl" --server "$URL" --token "$TOK" --records jsonl
printf '{"a":1}\n{"b":\n' >"$T/bad.jsonl"
expect_status 2 "invalid jsonl is refused" "$DIPR" attest "$T/bad.jsonl" --server "$URL" --token "$TOK" --records jsonl
grep -q "8" "$T/err" && [ ! -e "$T/bad.jsonl.tlog-proof" ] && ok || bad "jsonl error names the offset: $(cat "$T/err")"
printf 'a,"open\nquote\n' >"$T/bad.csv"
expect_status 2 "unterminated CSV quote is refused" "$DIPR" hash "$T/bad.csv" --records csv --secret "$T/x.secret"
grep -q "offset 2\|byte 2" "$T/err" && ok || bad "csv error names the opening quote's offset: $(cat "$T/err")"
expect_status 2 "hash --records needs --secret" "$DIPR" hash "$T/l.txt" --records lines
finish
