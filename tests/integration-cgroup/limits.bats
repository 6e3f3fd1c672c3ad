#!/usr/bin/env bats
# Resource limits on a pure cgroup v2 host, proven from the cgroup files and
# from inside the container. The hybrid development hosts lack these
# controllers, so tests/vm/run.sh runs this file in a qemu guest; on a host
# that already has pure cgroup v2 it runs natively.

load ../integration/helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() {
	common_setup
	make_bundle
	CG_ROOT=$(cg_root) || skip "no cgroup2 hierarchy"
	CG=$CG_ROOT/carrel/$ID
}
teardown() { common_teardown; }

@test "memory: limit, swap and reservation land in memory.max, memory.swap.max and memory.low" {
	need_controllers memory
	cfg '.linux.resources = {memory: {limit: 33554432, swap: 67108864, reservation: 16777216}}'
	set_sh 'cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory.swap.max /sys/fs/cgroup/memory.low; sleep 100'
	start_ctr
	[ "$(cat "$CG/memory.max")" = 33554432 ]
	[ "$(cat "$CG/memory.swap.max")" = 33554432 ] # OCI swap is memory+swap
	[ "$(cat "$CG/memory.low")" = 16777216 ]
	wait_ctr_output 33554432 # from inside the container
}

@test "memory: a process over memory.max is OOM-killed and events reports the OOM" {
	need_controllers memory
	cfg '.linux.resources = {memory: {limit: 33554432, swap: 33554432}}'
	set_args sleep 1000
	start_ctr
	carrel events --interval 100ms "$ID" >"$BATS_TEST_TMPDIR/events" 2>&1 &
	local ev=$!
	defer "kill $ev"
	sleep 0.5
	# dd's 128 MiB buffer cannot fit in 32 MiB
	run carrel exec "$ID" dd if=/dev/zero of=/dev/null bs=128M count=1
	[ "$status" -eq 137 ] || fail "dd was not OOM-killed: $status $output"
	grep -q '^oom_kill [1-9]' "$CG/memory.events" || fail "$(cat "$CG/memory.events")"
	local i
	for i in $(seq 50); do
		grep -q '"type":"oom"' "$BATS_TEST_TMPDIR/events" && break
		sleep 0.1
	done
	grep -q '"type":"oom"' "$BATS_TEST_TMPDIR/events" || fail "no oom event: $(tail -3 "$BATS_TEST_TMPDIR/events")"
	run -0 carrel events --stats "$ID"
	[ "$(jq -r .data.memory.usage.limit <<<"$output")" = 33554432 ]
}

@test "memory.high through unified, written as given" {
	need_controllers memory
	cfg '.linux.resources = {unified: {"memory.high": "50331648"}}'
	set_args sleep 100
	start_ctr
	[ "$(cat "$CG/memory.high")" = 50331648 ]
}

@test "unified: a key the kernel does not have is an error that names it" {
	need_controllers memory
	cfg '.linux.resources = {unified: {"memory.bogus": "1"}}'
	bad_create 'unified.memory.bogus'
}

@test "hugepageLimits: a page size the kernel lacks is an error naming the field" {
	need_controllers hugetlb
	cfg '.linux.resources = {hugepageLimits: [{pageSize: "3MB", limit: 0}]}'
	bad_create 'hugepageLimits'
}

@test "pids: pids.max stops a fork bomb inside, the host is unharmed" {
	need_controllers pids
	cfg '.linux.resources = {pids: {limit: 8}}'
	# After the bomb only shell builtins run: there is no pid left for cat.
	# The bomb runs in a subshell: busybox sh gives up when a fork fails, and
	# only the subshell may die of it.
	set_sh '(i=0; while [ $i -lt 30 ]; do sleep 3 & i=$((i+1)); done) 2>/dev/null; read m </sys/fs/cgroup/pids.max; read c </sys/fs/cgroup/pids.current; read e </sys/fs/cgroup/pids.events; echo "max=$m"; echo "current=$c"; echo "$e"'
	run_ctr
	[[ "$output" == *"max=8"* ]] || fail "$output"
	local cur
	cur=$(printf '%s\n' "$output" | sed -n 's/^current=//p')
	[ -n "$cur" ] && [ "$cur" -le 8 ] || fail "pids.current above the limit: $output"
	[[ "$output" == *"max "[1-9]* ]] || fail "no fork was refused (pids.events): $output"
	# the host can still fork
	run -0 sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do true & done; wait; echo ok'
}

@test "pids: a limit of 0 is a real limit (no new process at all)" {
	need_controllers pids
	cfg '.linux.resources = {pids: {limit: 0}}'
	set_args sleep 100
	start_ctr
	[ "$(cat "$CG/pids.max")" = 0 ]
	run carrel exec "$ID" true
	[ "$status" -ne 0 ] || fail "exec succeeded under pids.max 0"
}

@test "cpu: quota and period set cpu.max; shares become cpu.weight by the standard formula" {
	need_controllers cpu
	cfg '.linux.resources = {cpu: {quota: 50000, period: 100000, shares: 1024}}'
	set_sh 'cat /sys/fs/cgroup/cpu.max /sys/fs/cgroup/cpu.weight; sleep 100'
	start_ctr
	[ "$(cat "$CG/cpu.max")" = "50000 100000" ]
	[ "$(cat "$CG/cpu.weight")" = 39 ] # 1 + (1024-2)*9999/262142
	wait_ctr_output "50000 100000" # from inside the container
}

@test "cpuset: cpus and mems" {
	need_controllers cpuset
	cfg '.linux.resources = {cpu: {cpus: "0", mems: "0"}}'
	set_args sleep 100
	start_ctr
	[ "$(cat "$CG/cpuset.cpus")" = 0 ]
	run -0 carrel exec "$ID" grep Cpus_allowed_list /proc/self/status
	[[ "$output" == *$'\t'0 ]] || fail "$output"
}

@test "blockIO: weight becomes io.weight" {
	need_controllers io
	cfg '.linux.resources = {blockIO: {weight: 500}}'
	set_args sleep 100
	start_ctr
	grep -q '^default 4950$' "$CG/io.weight" || fail "$(cat "$CG/io.weight")" # 1 + (500-10)*9999/990
}

@test "update: runc's flags and --resources - change live limits" {
	need_controllers memory pids cpu
	cfg '.linux.resources = {memory: {limit: 67108864}, pids: {limit: 50}}'
	set_args sleep 100
	start_ctr
	run -0 carrel update --memory 128M --pids-limit 20 "$ID"
	[ "$(cat "$CG/memory.max")" = 134217728 ]
	[ "$(cat "$CG/pids.max")" = 20 ]
	run -0 carrel update --resources - "$ID" <<<'{"cpu": {"quota": 20000, "period": 100000}, "pids": {"limit": -1}}'
	[ "$(cat "$CG/cpu.max")" = "20000 100000" ]
	[ "$(cat "$CG/pids.max")" = max ]
	run -0 carrel exec "$ID" cat /sys/fs/cgroup/memory.max
	[ "$output" = 134217728 ]
}

@test "update: checkBeforeUpdate refuses a limit below the current usage" {
	need_controllers memory
	cfg '.linux.resources = {memory: {limit: 67108864}}'
	set_args sleep 100
	start_ctr
	run carrel update --resources - "$ID" <<<'{"memory": {"limit": 4096, "checkBeforeUpdate": true}}'
	[ "$status" -ne 0 ] && [[ "$output" == *checkBeforeUpdate* ]] || fail "$output"
	[ "$(cat "$CG/memory.max")" = 67108864 ]
}

@test "pause and resume with real controllers; delete leaves no cgroup" {
	need_controllers memory
	cfg '.linux.resources = {memory: {limit: 67108864}}'
	set_args sleep 100
	start_ctr
	run -0 carrel pause "$ID"
	[ "$(state_of "$ID" status)" = paused ]
	run -0 carrel resume "$ID"
	[ "$(state_of "$ID" status)" = running ]
	run -0 carrel delete --force "$ID"
	[ ! -e "$CG" ] || fail "cgroup left"
}

@test "tenants: a fork bomb in one tenant under pids.max leaves the other able to fork" {
	need_controllers pids
	carrel_bg run --rootfs "$ROOTFS" --name "$ID-a" -d --no-tty --userns private --pids 10 -- sleep 100
	[ "$status" -eq 0 ] || fail "$output"
	carrel_bg run --rootfs "$ROOTFS" --name "$ID-b" -d --no-tty --userns private --pids 10 -- sleep 100
	[ "$status" -eq 0 ] || fail "$output"
	run carrel exec "$ID-a" sh -c '(while true; do sleep 30 & done) 2>/dev/null; echo bombed'
	[ "$(cat "$CG_ROOT/carrel/$ID-a/pids.current")" -le 10 ]
	run carrel exec "$ID-b" sh -c 'for i in 1 2 3; do true & done; wait; echo forked'
	[ "$status" -eq 0 ] && [ "$output" = forked ] || fail "tenant b could not fork: $output"
}

@test "update: the other runc flags (--memory-swap, --memory-reservation, --cpu-share, --cpu-quota/--cpu-period, --cpuset-cpus/-mems, --blkio-weight)" {
	need_controllers memory cpu cpuset io
	cfg '.linux.resources = {memory: {limit: 67108864}}'
	set_args sleep 100
	start_ctr
	run -0 carrel update --memory 64M --memory-swap 96M --memory-reservation 8M --cpu-share 512 \
		--cpu-quota 30000 --cpu-period 60000 --cpuset-cpus 0 --cpuset-mems 0 --blkio-weight 100 "$ID"
	[ "$(cat "$CG/memory.swap.max")" = 33554432 ] || fail "swap $(cat "$CG/memory.swap.max")" # 96M - 64M
	[ "$(cat "$CG/memory.low")" = 8388608 ]
	[ "$(cat "$CG/cpu.weight")" = 20 ] # 1 + (512-2)*9999/262142
	[ "$(cat "$CG/cpu.max")" = "30000 60000" ]
	[ "$(cat "$CG/cpuset.cpus")" = 0 ]
	[ "$(cat "$CG/cpuset.mems")" = 0 ]
	grep -q '^default 910$' "$CG/io.weight" || fail "$(cat "$CG/io.weight")" # 1 + (100-10)*9999/990
	# and the container sees the same from inside
	run -0 carrel exec "$ID" cat /sys/fs/cgroup/cpu.max
	[ "$output" = "30000 60000" ]
}

@test "cpu: burst and idle" {
	need_controllers cpu
	[ -e "$CG_ROOT/cpu.stat" ] || skip "no cpu.stat"
	cfg '.linux.resources = {cpu: {quota: 50000, period: 100000, burst: 20000}}'
	set_args sleep 100
	start_ctr
	[ -e "$CG/cpu.max.burst" ] || skip "kernel without cpu.max.burst"
	[ "$(cat "$CG/cpu.max.burst")" = 20000 ]
	run -0 carrel delete --force "$ID"
	cfg '.linux.resources = {cpu: {idle: 1}}'
	start_ctr
	[ -e "$CG/cpu.idle" ] || skip "kernel without cpu.idle"
	[ "$(cat "$CG/cpu.idle")" = 1 ]
}

@test "events --stats: the memory high-water mark, pids, io and hugetlb sections, as runc names them" {
	need_controllers memory pids
	cfg '.linux.resources = {memory: {limit: 67108864}, pids: {limit: 40}}'
	set_args sleep 100
	start_ctr
	# touch some memory so the peak is above the idle usage
	run -0 carrel exec "$ID" sh -c 'dd if=/dev/zero bs=4M count=2 2>/dev/null | cat >/dev/null'
	run -0 carrel events --stats "$ID"
	jq -e '.type == "stats"
	       and (.data.memory.usage.limit == 67108864)
	       and (.data.pids.current >= 1) and (.data.pids.limit == 40)
	       and (.data.blkio.ioServiceBytesRecursive | type == "array")
	       and (.data.hugetlb | type == "object")' <<<"$output" >/dev/null || fail "$output"
	# the high-water mark (memory.peak, kernel 5.19+) is at least the usage
	if [ -e "$CG/memory.peak" ]; then
		[ "$(jq .data.memory.usage.max <<<"$output")" -ge "$(jq .data.memory.usage.usage <<<"$output")" ] ||
			fail "$output"
		[ "$(jq .data.memory.usage.max <<<"$output")" -ge 4000000 ] || fail "peak below the 4 MiB dd buffer: $output"
	fi
}
