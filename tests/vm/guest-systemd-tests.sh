#!/usr/bin/env bash
# Runs INSIDE the systemd test VM (tests/vm/run-systemd.sh), from the unit
# carrel-tests.service, cwd = the repo: tests/vm-systemd as TAP on stdout.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

echo "# kernel: $(uname -r), PID 1: $(readlink /proc/1/exe)"
echo "# systemd: $(systemctl --version | head -1)"
echo "# LSMs: $(cat /sys/kernel/security/lsm 2>&1)"
echo "# cgroup.subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control 2>&1)"
echo "# failed units: $(systemctl list-units --failed --plain --no-legend 2>&1 | awk '{print $1}' | tr '\n' ' ')"

echo "# AppArmor: $(cat /sys/module/apparmor/parameters/enabled 2>&1)"

export CARREL="$PWD/build/carrel"
# One busybox rootfs for every file (building it costs ~50 s here): the
# helpers use CARREL_TEST_ROOTFS instead of a rootfs of their own.
t0=$SECONDS
CARREL_TEST_ROOTFS=$(mktemp -d /tmp/carrel-rootfs.XXXXXX)/rootfs
chmod 755 "${CARREL_TEST_ROOTFS%/rootfs}"
tests/lib/make-rootfs.sh "$CARREL_TEST_ROOTFS" >&2 || exit 1
export CARREL_TEST_ROOTFS
echo "# shared rootfs $CARREL_TEST_ROOTFS built in $((SECONDS - t0)) s"
bats --tap tests/vm-systemd
