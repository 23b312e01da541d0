#!/bin/sh
# deps.sh - make sure what the tests need is installed (called by `make check`).
#
# The tests need the Check framework (and pkg-config to find it) and, for the
# interoperability suite, clients nobody here wrote: python3 (smtplib,
# poplib), curl, swaks, msmtp, mpop, fetchmail, s-nail. When something is
# missing and we are root with apt-get, install it; otherwise print the one
# command that does and fail.
set -u
packages="check pkg-config python3 curl swaks msmtp mpop fetchmail s-nail netcat-openbsd"
missing=""
for p in $packages; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
                missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "deps: installing$missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null && apt-get install -y -qq $missing >/dev/null && exit 0
        echo "deps: apt-get failed" >&2
        exit 1
fi
echo "deps: missing:$missing" >&2
echo "deps: install them with:  sudo apt-get install -y$missing" >&2
exit 1
