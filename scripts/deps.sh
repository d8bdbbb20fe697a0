#!/bin/sh
# Installs the Debian 12 packages dipr needs, if any is missing (sudo when
# not root).  scripts/deps.sh [base|fuzz|bench]: base builds and tests;
# fuzz adds clang's libFuzzer; bench adds wrk.
set -e
PKGS="build-essential pkg-config libssl-dev openssl libsqlite3-dev sqlite3 libmicrohttpd-dev libjansson-dev
libcmocka-dev libcurl4-openssl-dev ca-certificates curl jq xxd nodejs
libcairo2-dev libpango1.0-dev libqrencode-dev fonts-noto-cjk poppler-utils zbar-tools chromium npm
nginx postgresql libpq-dev"
case "${1:-base}" in
fuzz) PKGS="$PKGS clang libclang-rt-14-dev" ;;
bench) PKGS="$PKGS wrk" ;;
esac
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# Node.js may come from outside Debian on some images; any node will do.
case " $missing " in *" nodejs "*) command -v node >/dev/null 2>&1 && missing=$(echo "$missing" | sed 's/ nodejs//') ;; esac
case " $missing " in *" npm "*) command -v npm >/dev/null 2>&1 && missing=$(echo "$missing" | sed 's/ npm//') ;; esac
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing
