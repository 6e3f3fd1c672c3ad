#!/usr/bin/env bash
# Runs INSIDE the pure cgroup v1 test VM (CARREL_VM_CGROUP=v1 tests/vm/run.sh),
# cwd = the repo: tests/integration/cgroup-v1.bats as TAP on stdout.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

echo "# kernel: $(uname -r)"
echo "# cgroup fs: $(stat -f -c %T /sys/fs/cgroup 2>&1)"
fstype() { awk -v t="$1" '{ for (i = 7; $i != "-"; i++); if ($(i + 1) == t) printf "%s ", $5 }' /proc/self/mountinfo; }
echo "# v1 hierarchies: $(fstype cgroup)"
c2=$(fstype cgroup2)
echo "# cgroup2 mounts: ${c2:-none}"
echo "# nproc: $(nproc), mem: $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"

export CARREL="$PWD/build/carrel"
# every exec is ~30x slower under TCG: the helpers' 20 s limit per carrel
# command cuts the noisy-neighbour test's second tenant short
export CARREL_TIMEOUT=${CARREL_TIMEOUT:-120}
# A shell on a host is not in the root cgroups: run the tests from a child of
# every hierarchy (as a login session would be), so that the refusal of a
# cgroupsPath at or above carrel's own cgroup is tested too.
for h in /sys/fs/cgroup/*/; do
	[ -L "${h%/}" ] && continue
	mkdir -p "${h}vm-tests" || exit 1
	if [ -e "${h}cpuset.cpus" ]; then
		cat "${h}cpuset.cpus" >"${h}vm-tests/cpuset.cpus" && cat "${h}cpuset.mems" >"${h}vm-tests/cpuset.mems" || exit 1
	fi
	echo $$ >"${h}vm-tests/cgroup.procs" || exit 1
done
echo "# tests run in: $(tr '\n' ' ' </proc/self/cgroup)"
exec bats --tap tests/integration/cgroup-v1.bats
