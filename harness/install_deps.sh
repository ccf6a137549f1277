#!/bin/sh
# Installs the Debian packages slmbench needs, only those missing.
# Runs before every `make run` / `make test`; costs one dpkg query when nothing is missing.
set -eu
PKGS="build-essential pkg-config clang libcmocka-dev libcjson-dev libcpuid-dev libhwloc-dev \
libpapi-dev libpcre2-dev libsqlite3-dev libcurl4-openssl-dev libssl-dev zlib1g-dev gnuplot-nox python3"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "slmbench: installing missing packages:$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo
    else echo "slmbench: need root (or sudo) to install:$missing" >&2; exit 1; fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
# shellcheck disable=SC2086
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing >/dev/null
