#!/bin/sh
# The transparency-dev/merkle test vectors (tests/vectors/merkle, Apache-2.0),
# every inclusion and consistency case, through `dipr tlog verify-inclusion`
# and `dipr tlog verify-consistency`. wantErr false must verify (exit 0);
# wantErr true must not: exit 1 (proof rejected) or 2 (input rejected before
# any proof check, e.g. a hash that is not 32 bytes), counted separately.
SUITE=vectors
. tests/e2e/lib.sh
T=$(mktemp -d /tmp/dipr-e2e.XXXXXX)
trap 'rm -rf "$T"' EXIT
V=tests/vectors/merkle/testdata

find "$V/inclusion" "$V/consistency" -name '*.json' | sort >"$T/files"
files=$(wc -l <"$T/files")

# One jq run turns every vector into a shell command line `vec FILE DESC
# WANTERR DIPR-ARGS...` (quoted with @sh, so empty hashes survive). Before
# jq sees them, awk adds each file's name and turns the integer members into
# strings: jq 1.6 would round 18446744073709551615 to a float.
# shellcheck disable=SC2046
awk 'FNR == 1 && /^\{/ { gsub(/"/, "\\\"", FILENAME); $0 = "{\"file\":\"" FILENAME "\"," substr($0, 2) }
	match($0, /"(leafIdx|treeSize|size1|size2)": *[0-9]+/) {
		m = substr($0, RSTART, RLENGTH); k = index(m, ":"); num = substr(m, k + 1); gsub(/ /, "", num)
		$0 = substr($0, 1, RSTART - 1) substr(m, 1, k) "\"" num "\"" substr($0, RSTART + RLENGTH) }
	{ print }' $(cat "$T/files") >"$T/all.json"
jq -r -n 'def int(k): if (.[k] | type) == "string" then .[k] else error("\(.file): \(k) is not an integer") end;
	inputs
	| (if has("leafIdx")
	   then ["tlog", "verify-inclusion", "--index", int("leafIdx"), "--size", int("treeSize"),
	         "--leaf-hash", (.leafHash // ""), "--root", (.root // "")]
	   else ["tlog", "verify-consistency", "--size1", int("size1"), "--size2", int("size2"),
	         "--root1", (.root1 // ""), "--root2", (.root2 // "")] end) as $args
	| ["vec", .file, .desc, (.wantErr | tostring)] + $args + [(.proof // [])[] | ("--proof", .)]
	| @sh' "$T/all.json" >"$T/cases.sh" || bad "jq cannot read the vectors"

run=0; good=0; rejected=0; malformed=0
vec() {
	f=$1; desc=$2; want=$3; shift 3
	"$DIPR" "$@" >"$T/out" 2>"$T/err"
	st=$?
	run=$((run + 1))
	case "$want:$st" in
	false:0) ok; good=$((good + 1)) ;;
	true:1) ok; rejected=$((rejected + 1)) ;;
	true:2) ok; malformed=$((malformed + 1)) ;;
	*) bad "$f ($desc): wantErr $want, exit $st: $(head -c 200 "$T/err")" ;;
	esac
	# a failure prints one line on stderr and nothing on stdout
	if [ "$st" != 0 ] && { [ -s "$T/out" ] || [ "$(wc -l <"$T/err")" != 1 ]; }; then
		bad "$f: exit $st should print one line on stderr and nothing on stdout"
	fi
}
. "$T/cases.sh"

[ "$files" = 196 ] && ok || bad "expected 196 vector files, found $files"
[ "$run" = "$files" ] && ok || bad "ran $run of $files vectors"
echo "vectors: $run run ($(grep -c /inclusion/ "$T/files") inclusion, $(grep -c /consistency/ "$T/files") consistency):" \
	"$good verified, $rejected rejected (exit 1), $malformed rejected as malformed input (exit 2)"
finish
