#!/bin/sh
# make run: create ./data on first use, then serve on 127.0.0.1:8080.
set -e
DIPR=${1:-build/dipr}
DATA=${DIPR_DATA:-data}
LISTEN=${DIPR_LISTEN:-127.0.0.1:8080}
if [ ! -f "$DATA/dipr.db" ]; then
	"$DIPR" init --dir "$DATA" --origin "${DIPR_ORIGIN:-localhost/dipr}"
	"$DIPR" user add demo --role applicant --dir "$DATA" >/dev/null
	"$DIPR" user add examiner --role examiner --dir "$DATA" >/dev/null
	"$DIPR" user add admin --role admin --dir "$DATA" >/dev/null
	echo "accounts: demo (applicant), examiner, admin; a token:  $DIPR token create --user demo --dir $DATA"
	echo "a portal password:  $DIPR user passwd demo --dir $DATA   (reads it from stdin)"
fi
exec "$DIPR" serve --dir "$DATA" --listen "$LISTEN"
