#!/bin/sh
# tests/fuzz/run.sh replay BUILD      replay every corpus (make test)
# tests/fuzz/run.sh fuzz BUILD SECS   libFuzzer each target for SECS seconds (make fuzz)
set -e
mode=$1; build=$2; secs=${3:-60}
FLAGS="-std=c11 -D_GNU_SOURCE -I. -Iinclude -Ilib -g"
LIBS="$(pkg-config --libs libcrypto sqlite3 libmicrohttpd jansson libcurl) -lpthread"
APPSRC="store/db.c store/sqlite.c store/registry.c store/accounts.c log/log.c log/witness.c server/evidence.c registry/application.c server/params.c server/ratelimit.c"
targets=$(ls tests/fuzz/fuzz_*.c | sed 's|tests/fuzz/fuzz_\(.*\)\.c|\1|')
# deps CC OUT SANFLAGS: lib/ and APPSRC compiled once into OUT/libfuzzdeps.a;
# each target links only the members it uses (so a file it does not need,
# e.g. one mid-change elsewhere, cannot break its link).
deps() {
	rm -rf "$2/obj"; mkdir -p "$2/obj"
	for f in lib/*.c $APPSRC; do
		$1 $FLAGS $3 -c "$f" -o "$2/obj/$(echo "$f" | tr / _ | sed 's/\.c$/.o/')" || exit 1
	done
	rm -f "$2/libfuzzdeps.a"
	ar rcs "$2/libfuzzdeps.a" "$2"/obj/*.o
}
total=0
failed=0
if [ "$mode" = replay ]; then
	out=$build/fuzz-replay; mkdir -p "$out"
	SAN="-O1 -fsanitize=address,undefined -fno-sanitize-recover=all"
	deps cc "$out" "$SAN"
	for t in $targets; do
		cc $FLAGS $SAN -o "$out/$t" tests/fuzz/fuzz_$t.c tests/fuzz/replay.c "$out/libfuzzdeps.a" $LIBS
		mkdir -p tests/fuzz/corpus/$t
		# Not through a pipe: the target's own exit status (a crash on a
		# corpus input) must fail the run.
		if "$out/$t" tests/fuzz/corpus/$t >"$out/$t.log" 2>&1; then
			n=$(sed -n 's/ inputs$//p' "$out/$t.log")
			echo "fuzz replay $t: $n inputs ok"
			total=$((total + n))
		else
			echo "fuzz replay $t: FAILED" >&2
			tail -20 "$out/$t.log" >&2
			failed=$((failed + 1))
		fi
	done
	echo "fuzz replay: $total passed, $failed failed"
	[ "$failed" = 0 ]
else
	out=build-fuzz; mkdir -p "$out"
	SAN="-O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined"
	deps clang "$out" "$SAN -fsanitize=fuzzer-no-link"
	for t in $targets; do
		clang $FLAGS $SAN -fsanitize=fuzzer -o "$out/$t" tests/fuzz/fuzz_$t.c "$out/libfuzzdeps.a" $LIBS
		mkdir -p tests/fuzz/corpus/$t "$out/corpus-$t"
		dict=""; [ -f tests/fuzz/$t.dict ] && dict="-dict=tests/fuzz/$t.dict"
		# The run's own output is kept in $out/$t.log; a crash stops here
		# (set -e) with its tail, the crashing input saved by libFuzzer.
		if ! "$out/$t" -max_total_time="$secs" -max_len=65536 -artifact_prefix="$out/$t-" $dict "$out/corpus-$t" \
			tests/fuzz/corpus/$t >"$out/$t.log" 2>&1; then
			tail -40 "$out/$t.log" >&2
			echo "fuzz $t: FAILED; the input is $out/$t-crash-* (add it to tests/fuzz/corpus/$t once fixed)" >&2
			exit 1
		fi
		echo "fuzz $t: $(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 runs in \2 s/p' "$out/$t.log")," \
			"$(sed -n 's/^#[0-9]*[[:space:]]*DONE[[:space:]]*cov: \([0-9]*\).*corp: \([0-9]*\).*exec\/s: \([0-9]*\).*/cov \1, corpus \2, \3 exec\/s/p' "$out/$t.log")"
		# keep new interesting inputs small: merge into the committed corpus
		"$out/$t" -merge=1 tests/fuzz/corpus/$t "$out/corpus-$t" >/dev/null 2>&1 || true
	done
fi
