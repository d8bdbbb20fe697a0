# nodelib.sh — several dipr serve nodes on one PostgreSQL database, for the
# multi-node suites (sourced after lib.sh; T is the suite's temp dir, node
# N's data directory is $T/nN).

PIDS=""
# stop_all: every node (and anything else in PIDS).
stop_all() { for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; PIDS=""; }
# start_node N: serves $T/nN on a free port; sets NURL_N and NPID_N.
start_node() {
	: >"$T/n$1.out"
	"$DIPR" serve --dir "$T/n$1" --listen 127.0.0.1:0 --node "node$1" >"$T/n$1.out" 2>>"$T/n$1.err" &
	eval "NPID_$1=$!"
	PIDS="$PIDS $!"
	_i=0
	while ! grep -q '^serving ' "$T/n$1.out" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -gt 200 ] && { echo "node $1 did not start: $(cat "$T/n$1.err")" >&2; return 1; }
		sleep 0.05
	done
	eval "NURL_$1=$(sed -n 's/^serving \(http[^ ]*\)\/$/\1/p' "$T/n$1.out")"
}
# write_urls N: the URLs of nodes 1..N, one per line, in $T/urls (the load
# generators read it on every request, so restarts are followed).
write_urls() {
	: >"$T/urls.new"
	_n=1
	while [ $_n -le "$1" ]; do eval "echo \$NURL_$_n" >>"$T/urls.new"; _n=$((_n + 1)); done
	mv "$T/urls.new" "$T/urls"
}
# sequencers N: the numbers of the nodes among 1..N whose /metrics say
# they sequence.
sequencers() {
	_n=1
	while [ $_n -le "$1" ]; do
		eval "_u=\$NURL_$_n"
		curl -s -m 2 "$_u/metrics" | grep -q '^dipr_sequencer 1' && echo $_n
		_n=$((_n + 1))
	done
}
# submitter ID TOKEN N: posts fresh digests to the N nodes in turn while
# $T/go exists; keeps each receipt answered 200 (acknowledged) in $T/rc and
# every status code in $T/codes.ID.
submitter() {
	_id=$1; _k=0
	while [ -e "$T/go" ]; do
		_u=$(sed -n "$((_k % $3 + 1))p" "$T/urls")
		_dg=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
		_code=$(curl -s -m 20 -o "$T/rc/$_id-$_k.tmp" -w '%{http_code}' -H "Authorization: Bearer $2" \
			-d "{\"digests\":{\"sm3\":\"$_dg\"},\"size\":$_k}" "$_u/api/v1/evidence" 2>/dev/null)
		if [ "$_code" = 200 ]; then mv "$T/rc/$_id-$_k.tmp" "$T/rc/$_id-$_k.tlog-proof"; else rm -f "$T/rc/$_id-$_k.tmp"; fi
		echo "$_code" >>"$T/codes.$_id"
		_k=$((_k + 1))
	done
}
# wait_load: waits for the background jobs that are not nodes.
wait_load() { for _j in $(jobs -p); do case " $PIDS " in *" $_j "*) ;; *) wait "$_j" ;; esac; done; }
# same_checkpoint N: until nodes 1..N serve byte-identical checkpoints (5 s).
same_checkpoint() {
	_i=0
	while :; do
		_n=1; _same=1
		while [ $_n -le "$1" ]; do
			eval "_u=\$NURL_$_n"
			curl -s "$_u/checkpoint" >"$T/cp$_n"
			[ $_n = 1 ] || cmp -s "$T/cp1" "$T/cp$_n" || _same=0
			_n=$((_n + 1))
		done
		[ $_same = 1 ] && return 0
		_i=$((_i + 1)); [ $_i -gt 50 ] && return 1
		sleep 0.1
	done
}
# verify_receipts: every receipt in $T/rc against nodes 1..N (inclusion in
# the node's checkpoint, consistency from the receipt's); prints failures.
verify_receipts() {
	_f=0; _n=1
	while [ $_n -le "$1" ]; do
		eval "_u=\$NURL_$_n"
		for _r in "$T"/rc/*.tlog-proof; do
			"$DIPR" verify "$_r" --vkey "$T/vkeys" --server "$_u" >/dev/null 2>"$T/verr" || { _f=$((_f + 1)); head -c 300 "$T/verr" >&2; }
		done
		_n=$((_n + 1))
	done
	echo $_f
}
