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
bats --tap tests/vm-systemd
