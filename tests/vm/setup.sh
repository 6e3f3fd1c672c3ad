#!/usr/bin/env bash
# Prepare the VM test tier: qemu + a static busybox on the host (apt, only if
# missing), and Debian's kernel *unpacked into a cache dir* (never installed
# on the host): vmlinuz plus the few modules the guest needs.
#
#   tests/vm/setup.sh [--refresh]
#
# Cache layout ($CARREL_VM_CACHE, default <repo>/build/vm):
#   kernel/<kver>/vmlinuz         the kernel image
#   kernel/<kver>/modules/*.ko    the needed modules, decompressed
#   kernel/<kver>/modules.load    insmod order (dependencies first)
#   kernel/<kver>/stamp           package + module list it was built for
#   kernel/current                name of the <kver> directory to use
#
# Environment:
#   CARREL_VM_CACHE          cache dir
#   CARREL_VM_KERNEL_PKG     kernel package to use (default: what
#                            linux-image-amd64 depends on)
#   CARREL_VM_EXTRA_MODULES  more module names to put in the initramfs
#
# Exit: 0 ready, 77 cannot be set up here (not root and something missing,
# package not obtainable), 1 other error.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${CARREL_VM_CACHE:-$REPO/build/vm}
# Modules the guest init loads; their dependencies are added from modules.dep.
MODULES="virtio_pci 9pnet_virtio 9p overlay veth bridge virtio_blk ${CARREL_VM_EXTRA_MODULES:-}"
REFRESH=0
[ "${1:-}" = --refresh ] && REFRESH=1

say() { echo "vm-setup: $*" >&2; }
skip() { say "SKIP: $*"; exit 77; }

is_root() { [ "$(id -u)" = 0 ]; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

apt_updated=0
apt_update_once() {
	[ $apt_updated = 1 ] && return 0
	apt_updated=1
	apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null 2>&1 || say "apt-get update failed (continuing with the lists there are)"
}

# --- host packages -----------------------------------------------------------
missing=()
command -v qemu-system-x86_64 >/dev/null 2>&1 || missing+=(qemu-system-x86)
installed busybox-static || missing+=(busybox-static)
if [ ${#missing[@]} -gt 0 ]; then
	is_root || skip "missing ${missing[*]} (run tests/vm/setup.sh as root to install)"
	say "installing ${missing[*]}"
	apt_update_once
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		skip "apt-get install ${missing[*]} failed"
fi
command -v qemu-system-x86_64 >/dev/null 2>&1 || skip "qemu-system-x86_64 not available"
[ -x /bin/busybox ] || skip "/bin/busybox (busybox-static) not available"

# Uncompressed vmlinux next to vmlinuz: qemu boots it through its PVH entry
# point and skips the bzImage self-decompression (~3 s under TCG). Done once;
# "vmlinux.none" records that it could not be made (run.sh then uses vmlinuz).
make_vmlinux() {
	local d=$1 off magic cmd
	[ -f "$d/vmlinux" ] || [ -f "$d/vmlinux.none" ] && return 0
	for magic in 'xz:\xfd7zXZ\x00' 'zstd:\x28\xb5\x2f\xfd' 'gzip:\x1f\x8b\x08'; do
		cmd=${magic%%:*}
		command -v "$cmd" >/dev/null 2>&1 || continue
		for off in $(LC_ALL=C grep -obUaP "${magic#*:}" "$d/vmlinuz" 2>/dev/null | cut -d: -f1); do
			case $cmd in
			xz) tail -c +$((off + 1)) "$d/vmlinuz" | xz -dcq --single-stream >"$d/vmlinux.tmp" 2>/dev/null || true ;;
			zstd) tail -c +$((off + 1)) "$d/vmlinuz" | zstd -dcq >"$d/vmlinux.tmp" 2>/dev/null || true ;;
			gzip) tail -c +$((off + 1)) "$d/vmlinuz" | gzip -dcq >"$d/vmlinux.tmp" 2>/dev/null || true ;;
			esac
			if [ "$(head -c 4 "$d/vmlinux.tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
				# PVH entry = Xen ELF note type 18 (XEN_ELFNOTE_PHYS32_ENTRY).
				if ! command -v readelf >/dev/null 2>&1 ||
					readelf -n "$d/vmlinux.tmp" | grep -q 'note type: (0x00000012)\|PHYS32_ENTRY'; then
					mv "$d/vmlinux.tmp" "$d/vmlinux"
					return 0
				fi
			fi
		done
	done
	rm -f "$d/vmlinux.tmp"
	say "no PVH-bootable vmlinux in vmlinuz: booting the bzImage (slower)"
	: >"$d/vmlinux.none"
}

# --- kernel ------------------------------------------------------------------
KDIR=$CACHE/kernel
mods_key=$(echo $MODULES | tr ' ' '\n' | tr - _ | sort -u | tr '\n' ' ')

# Reuse what is cached unless asked to refresh / to use another package: the
# tier then works offline and does not change kernel under our feet.
if [ $REFRESH = 0 ] && [ -z "${CARREL_VM_KERNEL_PKG:-}" ] && [ -f "$KDIR/current" ]; then
	cur=$KDIR/$(cat "$KDIR/current")
	if [ -f "$cur/vmlinuz" ] && [ -f "$cur/stamp" ] && grep -qxF "modules: $mods_key" "$cur/stamp"; then
		make_vmlinux "$cur"
		exit 0
	fi
fi

resolve_pkg() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9].*-amd64$/ { print $2; exit }'
}
PKG=${CARREL_VM_KERNEL_PKG:-}
if [ -z "$PKG" ]; then
	PKG=$(resolve_pkg)
	if [ -z "$PKG" ] && is_root; then
		apt_update_once
		PKG=$(resolve_pkg)
	fi
fi
[ -n "$PKG" ] || skip "cannot resolve the package linux-image-amd64 depends on (apt-get update?)"
say "kernel package: $PKG"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/carrel-vm-setup.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && apt-get download -q -o DPkg::Lock::Timeout=600 -o APT::Sandbox::User=root "$PKG" >/dev/null 2>"$TMP/download.err") || {
	cat "$TMP/download.err" >&2
	skip "apt-get download $PKG failed"
}
deb=$(ls "$TMP"/*.deb)
say "extracting $(basename "$deb")"
mkdir "$TMP/x"
dpkg-deb -x "$deb" "$TMP/x"
rm -f "$deb"

vmlinuz=$(ls "$TMP"/x/boot/vmlinuz-* 2>/dev/null | head -n1)
[ -n "$vmlinuz" ] || { say "no boot/vmlinuz-* in $PKG"; exit 1; }
kver=${vmlinuz##*/vmlinuz-}
mroot=$TMP/x/lib/modules/$kver
# The package does not ship modules.dep (its postinst runs depmod): make it.
if [ ! -f "$mroot/modules.dep" ]; then
	if command -v depmod >/dev/null 2>&1; then
		depmod -b "$TMP/x" "$kver"
	else
		busybox depmod -b "$TMP/x" "$kver"
	fi
fi
[ -f "$mroot/modules.dep" ] || { say "no modules.dep for $PKG (depmod failed)"; exit 1; }

out=$KDIR/$kver
rm -rf "$out.new"
mkdir -p "$out.new/modules"
cp "$vmlinuz" "$out.new/vmlinuz"
cp "$mroot/modules.dep" "$mroot/modules.builtin" "$out.new/" 2>/dev/null || true

# Module name -> path (relative to $mroot), from modules.dep.
declare -A path_of deps_of
while IFS= read -r line; do
	p=${line%%:*}
	n=${p##*/}; n=${n%%.ko*}; n=${n//-/_}
	path_of[$n]=$p
	deps_of[$n]=${line#*:}
done <"$mroot/modules.dep"

builtin() {
	grep -qE "/${1//_/[-_]}\.ko$" "$mroot/modules.builtin" 2>/dev/null
}

# Depth-first: dependencies before dependents.
declare -A seen
order=()
visit() {
	local n=${1//-/_} d dn
	[ -n "${seen[$n]:-}" ] && return 0
	seen[$n]=1
	if [ -z "${path_of[$n]:-}" ]; then
		builtin "$n" && return 0
		say "module $n: neither in modules.dep nor built in"
		return 1
	fi
	for d in ${deps_of[$n]}; do
		dn=${d##*/}; dn=${dn%%.ko*}
		visit "$dn"
	done
	order+=("$n")
}
for m in $MODULES; do visit "$m"; done

: >"$out.new/modules.load"
for n in "${order[@]}"; do
	src=$mroot/${path_of[$n]}
	case "$src" in
	*.ko.xz) xz -dc "$src" >"$out.new/modules/$n.ko" 2>/dev/null || busybox xz -dc "$src" >"$out.new/modules/$n.ko" ;;
	*.ko.zst) zstd -qdc "$src" >"$out.new/modules/$n.ko" ;;
	*.ko.gz) gzip -dc "$src" >"$out.new/modules/$n.ko" ;;
	*) cp "$src" "$out.new/modules/$n.ko" ;;
	esac
	echo "$n.ko" >>"$out.new/modules.load"
done
printf 'package: %s\nmodules: %s\n' "$PKG" "$mods_key" >"$out.new/stamp"

rm -rf "$out"
mv "$out.new" "$out"
make_vmlinux "$out"
echo "$kver" >"$KDIR/current"
say "kernel $kver ready in $out ($(wc -l <"$out/modules.load") modules: $(tr '\n' ' ' <"$out/modules.load"))"
