#!/bin/sh
# Installs the Debian 12 packages dipr needs to build, test and benchmark,
# if any is missing. Uses sudo when not root.
set -e
PKGS="build-essential pkg-config libssl-dev openssl libsqlite3-dev sqlite3 libmicrohttpd-dev libjansson-dev libcmocka-dev libcurl4-openssl-dev curl jq xxd clang wrk"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing
