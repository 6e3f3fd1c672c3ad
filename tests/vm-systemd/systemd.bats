#!/usr/bin/env bats
# In the systemd VM (tests/vm/run-systemd.sh): systemd is PID 1 and owns the
# cgroup root; carrel's cgroupfs driver makes /carrel/<id> beside systemd's
# slices, as runc's cgroupfs driver does on a systemd host.

load ../integration/helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() {
	[ "${CARREL_VM_INIT:-}" = systemd ] || skip "runs in the systemd VM (tests/vm/run-systemd.sh)"
	common_setup
	make_bundle
}
teardown() { common_teardown; }

@test "systemd is PID 1 and this test runs in its unit" {
	[ "$(readlink /proc/1/exe)" = /usr/lib/systemd/systemd ] || [ "$(readlink /proc/1/exe)" = /lib/systemd/systemd ] ||
		fail "PID 1 is $(readlink /proc/1/exe)"
	grep -qx '0::/system.slice/carrel-tests.service' /proc/self/cgroup || fail "$(cat /proc/self/cgroup)"
	run -0 systemctl is-active multi-user.target
}

@test "carrel run under systemd: the container's cgroup is /carrel/<id> with its limits, gone after delete; systemd stays healthy" {
	# cpu is not among the controllers systemd enables in the root by default
	cfg '.linux.resources = {memory: {limit: 33554432}, pids: {limit: 32}, cpu: {shares: 2048}}'
	set_sh 'cat /proc/self/cgroup; cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max; sleep 100'
	start_ctr
	wait_ctr_output 33554432
	grep -qx '0::/' "$CTR_OUT" || fail "inside: $(cat "$CTR_OUT")"
	grep -qx 32 "$CTR_OUT" || fail "inside: $(cat "$CTR_OUT")"
	local pid
	pid=$(carrel state "$ID" | jq -r .pid)
	grep -qx "0::/carrel/$ID" "/proc/$pid/cgroup" || fail "host view: $(cat "/proc/$pid/cgroup")"
	[ "$(cat "/sys/fs/cgroup/carrel/$ID/memory.max")" = 33554432 ]
	local weight
	weight=$(cat "/sys/fs/cgroup/carrel/$ID/cpu.weight") || fail "no cpu controller in /carrel/$ID"
	# systemd re-applies its cgroup settings on a reload and on a new unit:
	# the controllers carrel enabled for /carrel stay
	run -0 systemctl daemon-reload
	run -0 systemd-run --quiet --wait -p MemoryMax=64M true
	[ "$(cat "/sys/fs/cgroup/carrel/$ID/memory.max")" = 33554432 ] || fail "memory.max after systemd's reload"
	[ "$(cat "/sys/fs/cgroup/carrel/$ID/cpu.weight")" = "$weight" ] || fail "cpu.weight after systemd's reload"
	grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control || fail "root: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
	run -0 carrel delete --force "$ID"
	[ ! -e "/sys/fs/cgroup/carrel/$ID" ] || fail "cgroup left behind"
	run systemctl is-system-running
	[[ "$output" == running || "$output" == starting || "$output" == degraded ]] || fail "systemd: $output"
	[ "$(systemctl list-units --failed --plain --no-legend | grep -c carrel)" = 0 ]
}
