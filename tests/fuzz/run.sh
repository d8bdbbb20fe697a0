#!/bin/sh
# tests/fuzz/run.sh replay BUILD      replay every corpus (make test)
# tests/fuzz/run.sh fuzz BUILD SECS   libFuzzer each target for SECS seconds (make fuzz)
set -e
mode=$1; build=$2; secs=${3:-60}
FLAGS="-std=c11 -D_GNU_SOURCE -I. -Iinclude -Ilib -g"
LIBS="$(pkg-config --libs libcrypto sqlite3 libmicrohttpd jansson libcurl) -lpthread"
APPSRC="store/sqlite.c log/log.c server/evidence.c"
targets=$(ls tests/fuzz/fuzz_*.c | sed 's|tests/fuzz/fuzz_\(.*\)\.c|\1|')
total=0
if [ "$mode" = replay ]; then
	out=$build/fuzz-replay; mkdir -p "$out"
	for t in $targets; do
		cc $FLAGS -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -o "$out/$t" \
			tests/fuzz/fuzz_$t.c tests/fuzz/replay.c lib/*.c $APPSRC $LIBS
		mkdir -p tests/fuzz/corpus/$t
		n=$("$out/$t" tests/fuzz/corpus/$t | sed 's/ inputs//')
		echo "fuzz replay $t: $n inputs ok"
		total=$((total + n))
	done
	echo "fuzz replay: $total passed, 0 failed"
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
