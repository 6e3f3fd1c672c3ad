#!/bin/bash
# make-debian-rootfs.sh DIR — a Debian 12 (bookworm) rootfs with systemd for
# the virtual-server tests, built once with debootstrap from the apt mirror
# that /etc/apt/sources.list* names and cached: DIR/.carrel-stamp marks a
# complete build. Exit 77 when the mirror cannot be reached.
set -euo pipefail

DIR=${1:?usage: make-debian-rootfs.sh DIR}
PACKAGES=systemd,systemd-sysv,dbus,iproute2,procps,iputils-ping
STAMP="$DIR/.carrel-stamp"
[ -e "$STAMP" ] && [ "$(cat "$STAMP")" = "$PACKAGES" ] && exit 0

# The Debian archive among the configured sources (not -security, not third-party ones).
mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null |
	grep -oE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' | awk '{print $2}' | head -n1 || true)
mirror=${mirror:-http://deb.debian.org/debian}
if ! timeout 15 bash -c "exec 3<>/dev/tcp/$(echo "$mirror" | sed -E 's#^https?://([^/:]+).*#\1#')/80" 2>/dev/null; then
	echo "make-debian-rootfs.sh: the mirror $mirror is unreachable" >&2
	exit 77
fi
if ! command -v debootstrap >/dev/null; then
	# shellcheck source=../../contrib/deps.sh
	. "$(dirname "$0")/../../contrib/deps.sh"
	carrel_install_deps debootstrap
fi
rm -rf "$DIR"
mkdir -p "$(dirname "$DIR")"
debootstrap --variant=minbase --include="$PACKAGES" bookworm "$DIR.tmp" "$mirror" >"$DIR.log" 2>&1 ||
	{ tail -n 20 "$DIR.log" >&2; rm -rf "$DIR.tmp"; exit 1; }
rm -f "$DIR.tmp/etc/machine-id"
mv "$DIR.tmp" "$DIR"
echo "$PACKAGES" >"$STAMP"
