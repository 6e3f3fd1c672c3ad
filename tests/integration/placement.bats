#!/usr/bin/env bats
# How the workload runs: process.scheduler, process.ioPriority,
# process.execCPUAffinity, linux.memoryPolicy and linux.personality,
# observed from inside the container.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() {
	common_setup
	make_bundle
}
teardown() { common_teardown; }

# From /proc/self/stat (fields 41, 40 and 19; $1 is field 3, the state).
STAT_SH='read -r line </proc/self/stat; set -- ${line##*) }; echo "policy=${39} rtprio=${38} nice=${17}"'

@test "process.scheduler: SCHED_BATCH with nice 7 (sched_setattr)" {
	cfg '.process.scheduler = {policy: "SCHED_BATCH", nice: 7}'
	ctr_sh "$STAT_SH"
	[ "$status" -eq 0 ] || fail "$output"
	# SCHED_BATCH is 3
	[ "$output" = "policy=3 rtprio=0 nice=7" ] || fail "$output"
}

@test "process.scheduler: SCHED_IDLE and SCHED_OTHER" {
	cfg '.process.scheduler = {policy: "SCHED_IDLE"}'
	ctr_sh "$STAT_SH"
	[ "$status" -eq 0 ] || fail "$output"
	[[ "$output" == "policy=5 "* ]] || fail "$output"
	cfg '.process.scheduler = {policy: "SCHED_OTHER", nice: -5}'
	ctr_sh "$STAT_SH"
	[ "$output" = "policy=0 rtprio=0 nice=-5" ] || fail "$output"
}

@test "process.scheduler: SCHED_FIFO and SCHED_RR with a priority, or the kernel's refusal naming the field" {
	cfg '.process.scheduler = {policy: "SCHED_FIFO", priority: 10}'
	ctr_sh "$STAT_SH"
	if [ "$status" -ne 0 ]; then
		# a cgroup without real-time time (CONFIG_RT_GROUP_SCHED) refuses it
		[[ "$output" == *"process.scheduler: the kernel refused SCHED_FIFO"* ]] || fail "$output"
		skip "no real-time time for the container's cgroup here: $output"
	fi
	[ "$output" = "policy=1 rtprio=10 nice=0" ] || fail "$output"
	cfg '.process.scheduler = {policy: "SCHED_RR", priority: 3}'
	ctr_sh "$STAT_SH"
	[ "$output" = "policy=2 rtprio=3 nice=0" ] || fail "$output"
}

@test "process.scheduler: the kernel's own validation errors name the field (FIFO without priority, DEADLINE runtime > deadline)" {
	cfg '.process.scheduler = {policy: "SCHED_FIFO"}'
	set_args true
	bad_run "process.scheduler" "SCHED_FIFO" "Invalid argument"
	cfg '.process.scheduler = {policy: "SCHED_DEADLINE", runtime: 20000000, deadline: 10000000, period: 30000000}'
	bad_run "process.scheduler" "SCHED_DEADLINE" "runtime 20000000" "Invalid argument"
	cfg '.process.scheduler = {policy: "SCHED_DEADLINE"}'
	bad_run "process.scheduler" "SCHED_DEADLINE" "Invalid argument"
}

@test "process.scheduler: SCHED_DEADLINE with runtime, deadline and period" {
	cfg '.process.scheduler = {policy: "SCHED_DEADLINE", runtime: 1000000, deadline: 10000000, period: 10000000}'
	# a deadline task cannot fork: the workload is grep itself
	set_args grep -E "^(policy|dl\.runtime|dl\.deadline|dl\.period) " /proc/self/sched
	run_ctr
	output=$(tr -s ' ' <<<"$output")
	if [ "$status" -ne 0 ]; then
		[[ "$output" == *"process.scheduler: the kernel refused SCHED_DEADLINE"* ]] || fail "$output"
		skip "the kernel refuses SCHED_DEADLINE here: $output"
	fi
	grep -qx "policy : 6" <<<"$output" || fail "$output"
	# the runtime left in this period: at most the 1 ms given
	local left
	left=$(sed -n 's/^dl\.runtime : //p' <<<"$output")
	[ "$left" -gt 0 ] && [ "$left" -le 1000000 ] || fail "$output"
}

@test "process.scheduler: bad input is refused by its path" {
	set_args true
	cfg '.process.scheduler = {nice: 1}'
	bad_create "process.scheduler.policy" "is required"
	cfg '.process.scheduler = {policy: "SCHED_BOGUS"}'
	bad_create "process.scheduler.policy" "SCHED_BOGUS"
	cfg '.process.scheduler = {policy: "SCHED_OTHER", nice: 40}'
	bad_create "process.scheduler.nice" "out of range"
	cfg '.process.scheduler = {policy: "SCHED_OTHER", flags: ["SCHED_FLAG_NOPE"]}'
	bad_create "process.scheduler.flags[0]" "SCHED_FLAG_NOPE"
}

@test "process.ioPriority: BE 6 and IDLE (ioprio_set), read back with ionice" {
	cfg '.process.ioPriority = {class: "IOPRIO_CLASS_BE", priority: 6}'
	ctr_sh 'ionice -p $$'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = "best-effort: prio 6" ] || fail "$output"
	cfg '.process.ioPriority = {class: "IOPRIO_CLASS_IDLE"}'
	ctr_sh 'ionice -p $$'
	[ "$output" = "idle" ] || fail "$output"
	cfg '.process.ioPriority = {class: "IOPRIO_CLASS_RT", priority: 2}'
	ctr_sh 'ionice -p $$'
	[ "$output" = "realtime: prio 2" ] || fail "$output"
}

@test "process.ioPriority: an unknown class or a priority above 7 is refused by its path" {
	set_args true
	cfg '.process.ioPriority = {class: "IOPRIO_CLASS_FAST", priority: 1}'
	bad_create "process.ioPriority.class" "IOPRIO_CLASS_FAST"
	cfg '.process.ioPriority = {class: "IOPRIO_CLASS_BE", priority: 8}'
	bad_create "process.ioPriority.priority" "out of range"
}

@test "process.execCPUAffinity: an exec'd process runs on the final CPUs; the init is not affected" {
	[ "$(nproc)" -ge 2 ] || skip "needs two CPUs"
	cfg '.process.execCPUAffinity = {initial: "0", final: "1"}'
	set_args sleep 1000
	start_ctr
	local pid
	pid=$(state_of "$ID" pid)
	run carrel exec "$ID" sh -c 'grep ^Cpus_allowed_list: /proc/self/status'
	[ "$status" -eq 0 ] || fail "$output"
	[[ "$output" == *$'\t'1 ]] || fail "$output"
	# the init keeps every CPU
	[ "$(awk '/^Cpus_allowed_list:/ { print $2 }' "/proc/$pid/status")" = "$(awk '/^Cpus_allowed_list:/ { print $2 }' /proc/self/status)" ]
	# from an exec --process file too
	jq '.process | .args = ["sh", "-c", "grep ^Cpus_allowed_list: /proc/self/status"] | .execCPUAffinity = {final: "0"}' \
		"$BUNDLE/config.json" >"$BATS_TEST_TMPDIR/p.json"
	run carrel exec --process "$BATS_TEST_TMPDIR/p.json" "$ID"
	[[ "$output" == *$'\t'0 ]] || fail "$output"
}

@test "process.execCPUAffinity: a bad CPU list is refused by its path" {
	set_args true
	cfg '.process.execCPUAffinity = {final: "1-x"}'
	bad_create "process.execCPUAffinity.final" "not a CPU list"
}

@test "linux.memoryPolicy: MPOL_BIND to node 0 and MPOL_INTERLEAVE (set_mempolicy), seen in numa_maps" {
	[ -e /proc/self/numa_maps ] || skip "no NUMA support in this kernel"
	cfg '.linux.memoryPolicy = {mode: "MPOL_BIND", nodes: "0"}'
	ctr_sh 'grep -c " bind:0 " /proc/self/numa_maps'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" -gt 0 ] || fail "$output"
	cfg '.linux.memoryPolicy = {mode: "MPOL_INTERLEAVE", nodes: "0", flags: ["MPOL_F_STATIC_NODES"]}'
	ctr_sh 'grep -c " interleave=static:0 " /proc/self/numa_maps'
	[ "$output" -gt 0 ] || fail "$output"
	cfg '.linux.memoryPolicy = {mode: "MPOL_LOCAL"}'
	ctr_sh 'grep -c " local " /proc/self/numa_maps'
	[ "$output" -gt 0 ] || fail "$output"
}

@test "linux.memoryPolicy: nodes that do not exist fail naming the field; bad input refused by its path" {
	[ -e /proc/self/numa_maps ] || skip "no NUMA support in this kernel"
	set_args true
	cfg '.linux.memoryPolicy = {mode: "MPOL_BIND", nodes: "63"}'
	bad_run "linux.memoryPolicy" "nodes \"63\"" "Invalid argument"
	cfg '.linux.memoryPolicy = {mode: "MPOL_BIND"}'
	bad_create "linux.memoryPolicy.nodes" "is required"
	cfg '.linux.memoryPolicy = {mode: "MPOL_DEFAULT", nodes: "0"}'
	bad_create "linux.memoryPolicy.nodes" "must be empty"
	cfg '.linux.memoryPolicy = {mode: "MPOL_FAST"}'
	bad_create "linux.memoryPolicy.mode" "MPOL_FAST"
}

@test "linux.personality: LINUX32 makes uname -m print i686; LINUX keeps x86_64; for exec too" {
	[ "$(uname -m)" = x86_64 ] || skip "needs an x86_64 host"
	cfg '.linux.personality = {domain: "LINUX32"}'
	set_args sleep 1000
	start_ctr
	run carrel exec "$ID" uname -m
	[ "$output" = i686 ] || fail "$output"
	run carrel exec "$ID" cat /proc/1/personality
	[ "$output" = 00000008 ] || fail "$output"
	carrel delete --force "$ID"
	cfg '.linux.personality = {domain: "LINUX", flags: ["ADDR_NO_RANDOMIZE"]}'
	ctr_sh 'uname -m; cat /proc/self/personality'
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = x86_64 ] || fail "$output"
	[ "${lines[1]}" = 00040000 ] || fail "$output"
}

@test "linux.personality: an unknown domain or flag is refused by its path" {
	set_args true
	cfg '.linux.personality = {domain: "LINUX64"}'
	bad_create "linux.personality.domain" "LINUX64"
	cfg '.linux.personality = {domain: "LINUX", flags: ["FAST"]}'
	bad_create "linux.personality.flags[0]" "FAST"
}

@test "features: lists the scheduler policies, I/O classes, memory policy modes and personality domains carrel accepts" {
	run -0 "$CARREL" features
	local f=$output
	[ "$(jq -c '.linux.scheduler.policies' <<<"$f")" = '["SCHED_OTHER","SCHED_FIFO","SCHED_RR","SCHED_BATCH","SCHED_IDLE","SCHED_DEADLINE"]' ] || fail "$f"
	[ "$(jq -c '.linux.ioPriority.classes' <<<"$f")" = '["IOPRIO_CLASS_RT","IOPRIO_CLASS_BE","IOPRIO_CLASS_IDLE"]' ] || fail "$f"
	[ "$(jq -r '.linux.execCPUAffinity.enabled' <<<"$f")" = true ] || fail "$f"
	jq -e '.linux.memoryPolicy.modes | index("MPOL_BIND") and index("MPOL_WEIGHTED_INTERLEAVE")' <<<"$f" >/dev/null || fail "$f"
	[ "$(jq -c '.linux.personality.domains' <<<"$f")" = '["LINUX","LINUX32"]' ] || fail "$f"
	# every personality flag listed is one the decoder takes
	local flag
	set_args true
	for flag in $(jq -r '.linux.personality.flags[]' <<<"$f"); do
		cfg '.linux.personality = {domain: "LINUX", flags: [$f]}' --arg f "$flag"
		carrel_bg create --bundle "$BUNDLE" "$ID"
		[[ "$output" != *"unknown flag"* ]] || fail "$flag: $output"
		carrel delete --force "$ID" >/dev/null 2>&1 || true
	done
}
