#!/usr/bin/env bash
# density.sh [N]: start N virtual servers (each with its own network, pid,
# mount, ipc and uts namespaces, its own user namespace with a 65536-id
# range of host ids (--userns auto, USERNS=host to leave it out) and its own
# cgroup, running `sleep`), one
# after another; report the start time of the first and the last tenth,
# the memory each server costs (kernel and user, from /proc/meminfo and the
# cgroup), and the time to tear all of them down. Root only; everything it
# makes lives under a temporary --root and is removed at the end.
set -euo pipefail
N=${1:-200}
cd "$(dirname "$0")/../.."
CARREL=${CARREL:-$PWD/build/carrel}
USERNS=${USERNS:-auto}
work=$(mktemp -d /tmp/carrel-density.XXXXXX)
chmod 755 "$work" # tenants (--userns auto) reach the rootfs as unprivileged host ids
root=$work/state
cleanup() {
        for id in $("$CARREL" --root "$root" list -q 2>/dev/null); do
                "$CARREL" --root "$root" delete --force "$id" >/dev/null 2>&1 || true
        done
        rm -rf "$work"
}
trap cleanup EXIT INT TERM
tests/lib/make-rootfs.sh "$work/rootfs" >/dev/null

ms() { echo $(( $(date +%s%N) / 1000000 )); }
mem_used_kb() { awk '/^MemTotal/ {t=$2} /^MemAvailable/ {a=$2} END {print t - a}' /proc/meminfo; }
slab_kb() { awk '/^Slab:/ {print $2}' /proc/meminfo; }

sync; echo 1 > /proc/sys/vm/drop_caches 2>/dev/null || true
base_mem=$(mem_used_kb); base_slab=$(slab_kb)
declare -a t
for i in $(seq 1 "$N"); do
        s=$(ms)
        "$CARREL" --root "$root" run --rootfs "$work/rootfs" --name "d$i" -d --no-tty --net none \
                --userns "$USERNS" -- sleep 3600 \
                </dev/null >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }
        t[i]=$(( $(ms) - s ))
done
mem=$(( $(mem_used_kb) - base_mem )); slab=$(( $(slab_kb) - base_slab ))
tenth=$(( N / 10 > 0 ? N / 10 : 1 ))
avg() { local sum=0 k; for k in "$@"; do sum=$((sum + t[k])); done; echo $(( sum / $# )); }
first=$(avg $(seq 1 "$tenth")); last=$(avg $(seq $((N - tenth + 1)) "$N"))
# user-space RSS of one server: the sleep process
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$("$CARREL" --root "$root" state d1 | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')/status")
s=$(ms)
for i in $(seq 1 "$N"); do "$CARREL" --root "$root" delete --force "d$i" >/dev/null; done
down=$(( $(ms) - s ))
echo "servers:                  $N (--userns $USERNS; kernel $(uname -r))"
echo "start, first tenth (avg): ${first} ms"
echo "start, last tenth (avg):  ${last} ms"
echo "memory per server:        $(( mem / N )) KiB (of which kernel slab $(( slab / N )) KiB); sleep's RSS ${rss} KiB"
echo "teardown, all:            ${down} ms ($(( down / N )) ms per server)"
