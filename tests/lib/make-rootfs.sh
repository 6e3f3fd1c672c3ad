#!/bin/bash
# make-rootfs.sh DIR — build a minimal busybox rootfs in DIR for carrel's
# integration tests.  Idempotent: re-running on an existing rootfs only fills
# in what is missing (and refreshes busybox if the host one changed).
set -euo pipefail

BUSYBOX=${BUSYBOX:-/bin/busybox}

die() { echo "make-rootfs.sh: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: make-rootfs.sh DIR"
DIR=$1
[ -n "$DIR" ] || die "empty DIR"

if [ ! -x "$BUSYBOX" ]; then
	die "$BUSYBOX is missing (install Debian's busybox-static: apt-get install busybox-static)"
fi
# A dynamically linked busybox would need the host's libc inside the rootfs.
if command -v file >/dev/null 2>&1 && file -L "$BUSYBOX" | grep -q 'dynamically linked'; then
	die "$BUSYBOX is dynamically linked; install busybox-static"
fi

mkdir -p "$DIR"
cd "$DIR"

mkdir -p bin proc sys dev tmp etc root run var/tmp mnt home/app
chmod 1777 tmp var/tmp
chmod 0755 bin proc sys dev etc run
chmod 0700 root
[ -e sbin ] || [ -L sbin ] || ln -s bin sbin
mkdir -p usr
[ -e usr/bin ] || [ -L usr/bin ] || ln -s ../bin usr/bin
[ -e usr/sbin ] || [ -L usr/sbin ] || ln -s ../bin usr/sbin

if ! cmp -s "$BUSYBOX" bin/busybox; then
	cp -f "$BUSYBOX" bin/busybox.new
	chmod 0755 bin/busybox.new
	mv -f bin/busybox.new bin/busybox
fi

# One symlink per applet, all in bin/ (busybox --list prints bare names).
# One perl process makes them all: an `ln` per applet costs ~400 execs, which
# take a minute in the VM tiers (perl-base is essential on Debian).
"$BUSYBOX" --list | perl -ne 'chomp; next if $_ eq "" || $_ eq "busybox" || m{/};
	next if -l "bin/$_" || -e "bin/$_";
	symlink("busybox", "bin/$_") or die "make-rootfs.sh: bin/$_: $!\n"'

write_if_different() {
	local f=$1 content=$2
	if [ ! -f "$f" ] || [ "$(cat "$f")" != "$content" ]; then
		printf '%s\n' "$content" >"$f.new"
		chmod 0644 "$f.new"
		mv -f "$f.new" "$f"
	fi
}

write_if_different etc/passwd "root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false"

write_if_different etc/group "root:x:0:
tty:x:5:
app:x:1000:
nogroup:x:65534:"

write_if_different etc/hostname "rootfs"
chown 1000:1000 home/app
