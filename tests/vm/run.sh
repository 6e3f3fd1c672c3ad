#!/usr/bin/env bash
# Run a command inside a throw-away qemu VM that boots Debian's kernel with a
# pure cgroup v2 hierarchy and the HOST's / as its (read-only, overlaid)
# root: the guest runs the host's userland and the host-built build/carrel.
#
#   tests/vm/run.sh [COMMAND [ARG...]]     (default: tests/vm/guest-tests.sh)
#
# COMMAND runs as root in the guest, cwd = this repo (same absolute path as
# on the host). Its stdout/stderr are streamed to ours; we exit with its exit
# status. 77: the tier cannot run here (no qemu / kernel); 124: time-out;
# 1: the VM failed before the command finished.
#
# Environment:
#   CARREL_VM_CACHE    cache dir of tests/vm/setup.sh (default build/vm)
#   CARREL_VM_TIMEOUT  seconds for the whole VM run (default 900)
#   CARREL_VM_SMP      vCPUs (default 2)       CARREL_VM_MEM  MiB (default 4096)
#   CARREL_VM_ACCEL    qemu accelerator (default tcg; KVM does not work here)
#   CARREL_VM_APPEND   extra kernel command line
#   CARREL_VM_9P_CACHE 9p cache mode of the host root (default loose)
#   CARREL_VM_CONSOLE  1: copy the guest console to our stderr live
#   CARREL_VM_KEEP     1: keep the work dir (console log, initrd, results)
#   CARREL_VM_PVH      0: boot the compressed vmlinuz, not the PVH vmlinux
#   CARREL_VM_INIT     systemd: boot /lib/systemd/systemd as PID 1 (with
#                      AppArmor on); the command runs from a unit once
#                      multi-user.target is reached (tests/vm/run-systemd.sh)
#   CARREL_VM_CGROUP   v1: a pure cgroup v1 guest (no cgroup_no_v1=all; init
#                      mounts a tmpfs and one hierarchy per v1 controller at
#                      /sys/fs/cgroup, no cgroup2); default command
#                      tests/vm/guest-v1-tests.sh. Default v2.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${CARREL_VM_CACHE:-$REPO/build/vm}
TIMEOUT=${CARREL_VM_TIMEOUT:-900}

say() { echo "vm: $*" >&2; }

export CARREL_VM_CACHE=$CACHE
"$HERE/setup.sh"
rc=$?
[ $rc = 0 ] || { [ $rc = 77 ] && say "SKIP: VM tier unavailable"; exit $rc; }

KDIR=$CACHE/kernel/$(cat "$CACHE/kernel/current")
[ -f "$KDIR/vmlinuz" ] || { say "SKIP: no kernel in $KDIR"; exit 77; }
# The uncompressed vmlinux boots through PVH, ~3 s faster under TCG.
KERNEL=$KDIR/vmlinuz
[ "${CARREL_VM_PVH:-1}" = 1 ] && [ -f "$KDIR/vmlinux" ] && KERNEL=$KDIR/vmlinux

VM_INIT=${CARREL_VM_INIT:-}
case "$VM_INIT" in
"" | shell) VM_INIT= ;;
systemd) [ -x /lib/systemd/systemd ] || { say "SKIP: no /lib/systemd/systemd (Debian package systemd)"; exit 77; } ;;
*) say "CARREL_VM_INIT=$VM_INIT: use systemd or shell"; exit 2 ;;
esac
VM_CGROUP=${CARREL_VM_CGROUP:-v2}
case "$VM_CGROUP" in
v2) ;;
v1) [ -z "$VM_INIT" ] || { say "CARREL_VM_CGROUP=v1 needs the busybox init"; exit 2; }
	[ $# -gt 0 ] || set -- tests/vm/guest-v1-tests.sh ;;
*) say "CARREL_VM_CGROUP=$VM_CGROUP: use v1 or v2"; exit 2 ;;
esac
[ $# -gt 0 ] || set -- tests/vm/guest-tests.sh

W=$(mktemp -d "${TMPDIR:-/tmp}/carrel-vm.XXXXXX")
chmod 755 "$W"
qpid=
cleanup() {
	# timeout(1) passes the signal on to qemu.
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null && wait "$qpid" 2>/dev/null
	[ -n "${tail_pids:-}" ] && kill $tail_pids 2>/dev/null
	if [ "${CARREL_VM_KEEP:-0}" = 1 ]; then say "work dir kept: $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- initramfs ---------------------------------------------------------------
t_start=$(date +%s.%N)
ST=$W/initramfs
mkdir -p "$ST"/{bin,dev,proc,sys,lib/modules}
cp /bin/busybox "$ST/bin/busybox"
cp "$HERE/init.sh" "$ST/init"
chmod 755 "$ST/init"
cp "$KDIR"/modules/*.ko "$KDIR/modules.load" "$ST/lib/modules/"
# The kernel's built-in initramfs already has /dev/console; add it if we can.
mknod -m 600 "$ST/dev/console" c 5 1 2>/dev/null || true
(cd "$ST" && find . | busybox cpio -o -H newc -R 0:0 2>/dev/null | gzip -1) >"$W/initrd" ||
	{ say "cannot build the initramfs"; exit 1; }
rm -rf "$ST"

# --- results share -----------------------------------------------------------
RES=$W/results
mkdir "$RES"
sq() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; }
{
	echo "REPO=$(sq "$REPO")"
	echo "NINEP_CACHE=$(sq "${CARREL_VM_9P_CACHE:-loose}")"
	echo "INIT=$(sq "$VM_INIT")"
	echo "CGROUP=$(sq "$VM_CGROUP")"
} >"$RES/config"
{
	printf 'cd %q || exit 1\n' "$REPO"
	printf 'exec'
	printf ' %q' "$@"
	printf '\n'
} >"$RES/cmd.sh"
: >"$RES/stdout"
: >"$RES/stderr"

# --- boot ----------------------------------------------------------------------
APPEND="console=ttyS0 quiet panic=-1 systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all"
# v1: the kernel keeps its v1 controllers (init.sh mounts their hierarchies).
[ "$VM_CGROUP" = v1 ] && APPEND="console=ttyS0 quiet panic=-1"
APPEND+=" mitigations=off"
# systemd: no boot status lines; AppArmor on (Debian's kernel has it) for the LSM tests.
[ "$VM_INIT" = systemd ] && APPEND+=" systemd.show_status=0 apparmor=1 security=apparmor"
APPEND+=" ${CARREL_VM_APPEND:-}"
qemu=(qemu-system-x86_64
	-accel "${CARREL_VM_ACCEL:-tcg}" -cpu "${CARREL_VM_CPU:-max}"
	-smp "${CARREL_VM_SMP:-2}" -m "${CARREL_VM_MEM:-4096}"
	-nodefaults -nographic -no-reboot -monitor none -nic none
	-serial "file:$W/console.log"
	-kernel "$KERNEL" -initrd "$W/initrd" -append "$APPEND"
	-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=$RES,mount_tag=results,security_model=none")
# v1: a small scratch disk, so that the blkio tests have a block device.
if [ "$VM_CGROUP" = v1 ]; then
	truncate -s 64M "$W/disk.img"
	qemu+=(-drive "file=$W/disk.img,if=virtio,format=raw")
fi

: >"$W/console.log"
t_boot=$(date +%s.%N)
timeout -k 10 "$TIMEOUT" "${qemu[@]}" </dev/null >"$W/qemu.out" 2>&1 &
qpid=$!
tail_pids=
tail -n +1 -s 0.3 -f --pid=$qpid "$RES/stdout" &
tail_pids+=" $!"
tail -n +1 -s 0.3 -f --pid=$qpid "$RES/stderr" >&2 &
tail_pids+=" $!"
if [ "${CARREL_VM_CONSOLE:-0}" = 1 ]; then
	tail -n +1 -s 0.3 -f --pid=$qpid "$W/console.log" >&2 &
	tail_pids+=" $!"
fi
wait $qpid
qrc=$?
qpid=
wait $tail_pids 2>/dev/null
tail_pids=
t_end=$(date +%s.%N)

diag() {
	say "qemu exit status $qrc"
	[ -s "$W/qemu.out" ] && { say "qemu said:"; sed 's/^/  /' "$W/qemu.out" >&2; }
	[ -s "$RES/init-error" ] && sed 's/^/  /' "$RES/init-error" >&2
	say "guest console (last 40 lines):"
	tail -n 40 "$W/console.log" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g; s/^/  /' >&2
}

boot=$(awk '{print $1}' "$RES/boot-uptime" 2>/dev/null)
run=$(awk -v a="${boot:-0}" '{printf "%.1f", $1 - a}' "$RES/end-uptime" 2>/dev/null)
tim() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
vm_wall=$(tim "$t_boot" "$t_end")
say "timings: boot ${boot:-?} s (guest uptime at command start)," \
	"command ${run:-?} s, VM wall $vm_wall s, total $(tim "$t_start" "$t_end") s"

if [ ! -s "$RES/rc" ]; then
	if [ $qrc = 124 ] || [ $qrc = 137 ]; then
		say "TIMEOUT: the VM did not finish within ${TIMEOUT}s"
		diag
		exit 124
	fi
	say "FAIL: the guest did not report an exit status"
	diag
	exit 1
fi
rc=$(cat "$RES/rc")
[ "${CARREL_VM_CONSOLE:-0}" = 1 ] || [ $qrc = 0 ] || diag
say "guest command exit status: $rc"
exit "$rc"
