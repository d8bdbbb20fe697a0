#!/bin/sh
# tests/fuzz/run.sh replay BUILD      replay every corpus (make test)
# tests/fuzz/run.sh fuzz BUILD SECS   libFuzzer each target for SECS seconds (make fuzz)
set -e
mode=$1; build=$2; secs=${3:-60}
FLAGS="-std=c11 -D_GNU_SOURCE -I. -Iinclude -Ilib -g"
LIBS="$(pkg-config --libs libcrypto sqlite3 libmicrohttpd jansson libcurl) -lpthread"
APPSRC="store/sqlite.c store/registry.c store/accounts.c log/log.c server/evidence.c registry/application.c"
targets=$(ls tests/fuzz/fuzz_*.c | sed 's|tests/fuzz/fuzz_\(.*\)\.c|\1|')
total=0
failed=0
if [ "$mode" = replay ]; then
	out=$build/fuzz-replay; mkdir -p "$out"
	for t in $targets; do
		cc $FLAGS -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -o "$out/$t" \
			tests/fuzz/fuzz_$t.c tests/fuzz/replay.c lib/*.c $APPSRC $LIBS
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
	for t in $targets; do
		clang $FLAGS -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -o "$out/$t" tests/fuzz/fuzz_$t.c lib/*.c $APPSRC $LIBS
		mkdir -p tests/fuzz/corpus/$t "$out/corpus-$t"
		dict=""; [ -f tests/fuzz/$t.dict ] && dict="-dict=tests/fuzz/$t.dict"
		"$out/$t" -max_total_time="$secs" -max_len=65536 $dict "$out/corpus-$t" tests/fuzz/corpus/$t
		# keep new interesting inputs small: merge into the committed corpus
		"$out/$t" -merge=1 tests/fuzz/corpus/$t "$out/corpus-$t" >/dev/null 2>&1 || true
	done
fi
