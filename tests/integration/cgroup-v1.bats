#!/usr/bin/env bats
# linux.resources on a host whose controllers live on cgroup v1 (a v1 or a
# hybrid host, as this project's Debian machines are): every limit is set,
# read back inside the container and in the host's cgroup files, and felt by
# the workload; update, pause, ps, kill --all, events and delete; two
# tenants side by side. Pure v2 hosts are covered by tests/integration-cgroup.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() {
	common_setup
	MEM=$(v1_hierarchy memory) || skip "no cgroup v1 memory hierarchy on this host (pure v2: see tests/integration-cgroup)"
	make_bundle
}
teardown() {
	common_teardown
	local d
	for d in /sys/fs/cgroup/*/carrel/"$ID"*; do
		[ -e "$d" ] && echo "TEARDOWN: cgroup left: $d" >&2 && return 1
	done
	return 0
}

# host CTRL FILE [ID] — a file of the container's cgroup in CTRL's v1 hierarchy.
host() { cat "/sys/fs/cgroup/$1/carrel/${3:-$ID}/$2"; }

# v1_mounts — "MOUNTPOINT SUPEROPTIONS" of each v1 hierarchy (the fstype
# follows the "-" that ends the optional fields, of which there may be none).
v1_mounts() {
	awk '{ for (i = 7; $i != "-"; i++); if ($(i + 1) == "cgroup") print $5, $NF }' /proc/self/mountinfo
}

# The v1 hierarchies of this host (memory, pids, ... and systemd if mounted).
v1_dirs() {
	v1_mounts | cut -d' ' -f1 | sort -u
}

@test "v1: the container has its cgroup in every hierarchy from birth, sees each as its root, and delete removes them all" {
	set_args sleep 100
	start_ctr
	local pid d n=0
	pid=$(state_of "$ID" pid)
	for d in $(v1_dirs); do
		grep -qx "$pid" "$d/carrel/$ID/cgroup.procs" || fail "init not in $d/carrel/$ID"
		n=$((n + 1))
	done
	[ "$n" -ge 5 ] || fail "only $n v1 hierarchies"
	grep -q ":memory:/carrel/$ID\$" "/proc/$pid/cgroup" || fail "$(cat "/proc/$pid/cgroup")"
	run -0 carrel exec "$ID" cat /proc/self/cgroup
	[[ "$(grep -v ':/$' <<<"$output")" == "" ]] || fail "not its own root everywhere inside: $output"
	# /sys/fs/cgroup inside: one directory per hierarchy, each the container's own cgroup
	run -0 carrel exec "$ID" sh -c 'ls /sys/fs/cgroup; echo ---; ls /sys/fs/cgroup/memory /sys/fs/cgroup/pids'
	[[ "$output" == *memory* && "$output" == *pids* && "$output" == *freezer* ]] || fail "$output"
	# a hybrid host's unified hierarchy too (a pure v1 host has none)
	[ -z "$(cg_root)" ] || [[ "$output" == *unified* ]] || fail "no unified: $output"
	# the host's root has /carrel; the container's own cgroup has no children
	[[ "${output#*---}" == *memory.limit_in_bytes* && "${output#*---}" != *carrel* ]] || fail "not its own cgroup: $output"
	run -0 carrel delete --force "$ID"
	for d in $(v1_dirs) "$(cg_root)"; do
		[ ! -e "$d/carrel/$ID" ] || fail "left behind: $d/carrel/$ID"
	done
}

@test "v1 memory: the limit reads back inside and on the host, a writer is OOM-killed, events reports the OOM" {
	cfg '.linux.resources.memory = {limit: 33554432, swap: 33554432}'
	set_args sleep 100
	start_ctr
	[ "$(host memory memory.limit_in_bytes)" = 33554432 ] || fail "host: $(host memory memory.limit_in_bytes)"
	run -0 carrel exec "$ID" cat /sys/fs/cgroup/memory/memory.limit_in_bytes
	[ "$output" = 33554432 ] || fail "inside: $output"
	carrel events --interval 200ms "$ID" >"$BATS_TEST_TMPDIR/events" 2>&1 3>&- &
	local ev=$!
	defer kill "$ev"
	sleep 0.5
	run carrel exec "$ID" sh -c 'x=$(head -c 100000000 /dev/zero | tr "\0" a); echo survived ${#x}'
	[ "$status" -ne 0 ] && [[ "$output" != *survived* ]] || fail "the writer was not killed: $status $output"
	local i
	for ((i = 0; i < 30; i++)); do
		grep -q '"type":"oom"' "$BATS_TEST_TMPDIR/events" && break
		sleep 0.2
	done
	grep -q '"type":"oom"' "$BATS_TEST_TMPDIR/events" || fail "no oom event: $(tail -c 600 "$BATS_TEST_TMPDIR/events")"
	[ "$(grep -o 'oom_kill [0-9]*' "$MEM/carrel/$ID/memory.oom_control" | cut -d' ' -f2)" -ge 1 ]
	run -0 carrel events --stats "$ID"
	jq -e '.data.memory.usage.limit == 33554432 and (.data.memory.raw | has("rss")) and .data.cpu.usage.total > 0' \
		<<<"$output" >/dev/null || fail "$output"
}

@test "v1 pids: forks fail at the limit; update raises it" {
	cfg '.linux.resources.pids = {limit: 8}'
	set_args sleep 100
	start_ctr
	[ "$(host pids pids.max)" = 8 ]
	run -0 carrel exec "$ID" cat /sys/fs/cgroup/pids/pids.max
	[ "$output" = 8 ]
	run carrel exec "$ID" sh -c 'ok=0; for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 30 & [ $? -eq 0 ] && ok=$((ok+1)); done; echo started $ok; kill $(jobs -p) 2>/dev/null; true'
	[[ "$output" == *"can't fork"* || "$output" == *"Resource temporarily unavailable"* ]] || fail "no fork failed: $output"
	[ "$(host pids pids.current)" -le 8 ]
	run -0 carrel update --pids-limit 50 "$ID"
	[ "$(host pids pids.max)" = 50 ]
	run -0 carrel exec "$ID" sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 1 & done; wait; echo all-forked'
	[[ "$output" == *all-forked* && "$output" != *"can't fork"* ]] || fail "$output"
}

@test "v1 cpu: shares, quota and period read back; update changes them" {
	cfg '.linux.resources.cpu = {shares: 512, quota: 50000, period: 100000}'
	set_args sleep 100
	start_ctr
	[ "$(host cpu cpu.shares)" = 512 ]
	[ "$(host cpu cpu.cfs_quota_us)" = 50000 ]
	[ "$(host cpu cpu.cfs_period_us)" = 100000 ]
	run -0 carrel exec "$ID" cat /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/cpu/cpu.cfs_quota_us
	[ "$output" = "512
50000" ] || fail "$output"
	run -0 carrel update --cpu-share 2048 --cpu-quota 20000 --cpu-period 50000 "$ID"
	[ "$(host cpu cpu.shares)" = 2048 ]
	[ "$(host cpu cpu.cfs_quota_us)" = 20000 ]
	[ "$(host cpu cpu.cfs_period_us)" = 50000 ]
	run -0 carrel update --cpu-quota -1 "$ID"
	[ "$(host cpu cpu.cfs_quota_us)" = -1 ]
}

@test "v1 cpu real-time: the parents get room for realtimeRuntime, update changes it, delete gives the room back" {
	local cpu parent before
	cpu=$(v1_hierarchy cpu) || skip "no cgroup v1 cpu hierarchy"
	[ -e "$cpu/cpu.rt_runtime_us" ] || skip "this kernel has no real-time group scheduling (CONFIG_RT_GROUP_SCHED)"
	parent=$cpu/carrel
	before=$(cat "$parent/cpu.rt_runtime_us" 2>/dev/null || echo 0)
	cfg '.linux.resources.cpu = {realtimeRuntime: 10000, realtimePeriod: 1000000}'
	set_args sleep 100
	start_ctr
	[ "$(host cpu cpu.rt_runtime_us)" = 10000 ] || fail "runtime $(host cpu cpu.rt_runtime_us)"
	[ "$(host cpu cpu.rt_period_us)" = 1000000 ]
	# the container sees its own budget as its root's
	run -0 carrel exec "$ID" cat /sys/fs/cgroup/cpu/cpu.rt_runtime_us
	[ "$output" = 10000 ] || fail "$output"
	[ "$(cat "$parent/cpu.rt_runtime_us")" -ge 9999 ] || fail "parent: $(cat "$parent/cpu.rt_runtime_us")"
	# a shorter period that the current runtime would not fit: runtime first
	run -0 carrel update --cpu-rt-runtime 5000 --cpu-rt-period 8000 "$ID"
	[ "$(host cpu cpu.rt_runtime_us)" = 5000 ] && [ "$(host cpu cpu.rt_period_us)" = 8000 ] ||
		fail "$(host cpu cpu.rt_runtime_us)/$(host cpu cpu.rt_period_us)"
	# more than the whole machine may have: refused, naming the field
	run carrel update --cpu-rt-runtime 7999 --cpu-rt-period 8000 "$ID"
	[ "$status" -eq 1 ] && [[ "$output" == *"realtimeRuntime: 7999 (per period of 8000 us) does not fit"* ]] || fail "$status: $output"
	[ "$(host cpu cpu.rt_runtime_us)" = 5000 ]
	run -0 carrel delete --force "$ID"
	local after
	after=$(cat "$parent/cpu.rt_runtime_us")
	[ "$after" -le $((before + 1)) ] || fail "the parent kept the budget: $before before, $after after"
}

@test "v1: a linux.resources.unified key of a controller on v1 is an invalid configuration, as in runc" {
	cfg '.linux.resources.unified = {"memory.min": "131072"}'
	# on a hybrid host the key's controller is on v1; on a pure v1 host there is no cgroup2 at all
	if [ -n "$(cg_root)" ]; then
		bad_create 'invalid configuration' 'linux.resources.unified.memory.min' '"memory" controller is on cgroup v1'
	else
		bad_create 'invalid configuration' 'linux.resources.unified.memory.min' 'need a cgroup v2 hierarchy'
	fi
}

@test "v1 cpuset: the allowed CPUs in /proc/self/status; update moves them" {
	local cpus
	cpus=$(cat /sys/fs/cgroup/cpuset/cpuset.effective_cpus)
	[ "$cpus" != 0 ] || skip "one CPU only"
	cfg '.linux.resources.cpu = {cpus: "0", mems: "0"}'
	set_args sleep 100
	start_ctr
	[ "$(host cpuset cpuset.cpus)" = 0 ]
	run -0 carrel exec "$ID" grep Cpus_allowed_list /proc/self/status
	[[ "$output" == *$'\t'0 ]] || fail "$output"
	run -0 carrel update --cpuset-cpus 1 "$ID"
	[ "$(host cpuset cpuset.cpus)" = 1 ]
	run -0 carrel exec "$ID" grep Cpus_allowed_list /proc/self/status
	[[ "$output" == *$'\t'1 ]] || fail "$output"
}

@test "v1 blkio: weight reads back, or the throttle where the kernel has no weights" {
	local dev
	dev=$(awk 'NR > 2 && $2 % 16 == 0 && $1 != 7 { print $1 ":" $2; exit }' /proc/partitions)
	[ -n "$dev" ] || skip "no block device"
	if [ -e /sys/fs/cgroup/blkio/blkio.weight ] || [ -e /sys/fs/cgroup/blkio/blkio.bfq.weight ]; then
		cfg '.linux.resources.blockIO = {weight: 300}'
		set_args sleep 100
		start_ctr
		local f=blkio.weight
		[ -e "/sys/fs/cgroup/blkio/carrel/$ID/$f" ] || f=blkio.bfq.weight
		[[ "$(host blkio $f)" == *300* ]] || fail "$(host blkio $f)"
		run -0 carrel update --blkio-weight 600 "$ID"
		[[ "$(host blkio $f)" == *600* ]]
	else
		# This kernel's blkio has no proportional weight (no CFQ/BFQ): a weight
		# must fail naming its file, the throttle works.
		cfg '.linux.resources.blockIO = {weight: 300}'
		bad_create 'blkio.weight'
		cfg '.linux.resources.blockIO = {throttleReadBpsDevice: [{major: ($d|split(":")[0]|tonumber), minor: ($d|split(":")[1]|tonumber), rate: 1048576}]}' --arg d "$dev"
		set_args sleep 100
		start_ctr
		[ "$(host blkio blkio.throttle.read_bps_device)" = "$dev 1048576" ] || fail "$(host blkio blkio.throttle.read_bps_device)"
		run -0 carrel exec "$ID" cat /sys/fs/cgroup/blkio/blkio.throttle.read_bps_device
		[ "$output" = "$dev 1048576" ] || fail "$output"
	fi
}

@test "v1 devices: the devices controller's lists; a denied device gives EPERM" {
	add_tmp
	cfg '.process.capabilities.bounding += ["CAP_MKNOD"] | .process.capabilities.effective += ["CAP_MKNOD"]
	     | .process.capabilities.permitted += ["CAP_MKNOD"]
	     | .linux.resources.devices = [{allow: false, access: "rwm"}, {allow: true, type: "c", major: 10, minor: 200, access: "m"}]'
	set_args sleep 100
	start_ctr
	local list
	list=$(host devices devices.list)
	[[ "$list" == *"c 10:200 m"* && "$list" == *"c 1:3 rwm"* && "$list" != *"a *:* rwm"* ]] || fail "$list"
	# (in /dev, which is not nodev: the devices controller alone decides)
	run carrel exec "$ID" sh -c 'mknod /dev/z c 10 200 && echo mknod-ok; head -c1 /dev/z; echo read=$?'
	[[ "$output" == *mknod-ok* && "$output" == *"Operation not permitted"* && "$output" == *read=1* ]] ||
		fail "reading a mknod-only device was not EPERM: $output"
	run carrel exec "$ID" sh -c 'mknod /dev/sda b 8 0 && echo made'
	[ "$status" -ne 0 ] && [[ "$output" == *"Operation not permitted"* && "$output" != *made* ]] || fail "$output"
	run -0 carrel exec "$ID" sh -c 'echo x >/dev/null && echo null-ok'
	[ "$output" = null-ok ]
}

@test "v1 devices update: only the difference is written; a device the container keeps never fails meanwhile" {
	set_args sh -c 'while :; do echo x >/dev/null || { echo FAILED >/tmp/failed; exit 1; }; done'
	start_ctr
	local before
	before=$(host devices devices.list)
	[[ "$before" == *"c 1:3 rwm"* && "$before" != *"c 10:200"* ]] || fail "$before"
	# the engine's update: the default rules again, plus one more device
	local res=$BATS_TEST_TMPDIR/res.json i
	jq '.linux.resources | {devices: (.devices + [{allow: true, type: "c", major: 10, minor: 200, access: "rw"}])}' \
		"$BUNDLE/config.json" >"$res"
	for i in $(seq 1 20); do
		run -0 carrel update --resources "$res" "$ID"
	done
	local after
	after=$(host devices devices.list)
	[[ "$after" == *"c 10:200 rw"* && "$after" == *"c 1:3 rwm"* ]] || fail "$after"
	# nothing else moved: the list is the old one plus the new line
	[ "$(sort <<<"$after" | grep -vx 'c 10:200 rw')" = "$(sort <<<"$before")" ] || fail "before: $before; after: $after"
	# the writer never saw EPERM on /dev/null
	run carrel exec "$ID" sh -c 'cat /tmp/failed 2>/dev/null; echo done'
	[ "$output" = done ] || fail "a write to /dev/null failed during update: $output"
	[ "$(state_of "$ID" status)" = running ]
}

@test "v1 freezer: FROZEN while paused, THAWED after resume; kill --all reaches a paused container" {
	set_args sleep 100
	start_ctr
	run -0 carrel pause "$ID"
	[ "$(host freezer freezer.state)" = FROZEN ]
	[ "$(state_of "$ID" status)" = paused ]
	run -0 carrel resume "$ID"
	[ "$(host freezer freezer.state)" = THAWED ]
	[ "$(state_of "$ID" status)" = running ]
	run -0 carrel pause "$ID"
	run -0 carrel kill --all "$ID" KILL
	local i
	for ((i = 0; i < 50; i++)); do [ "$(state_of "$ID" status)" = stopped ] && break; sleep 0.1; done
	[ "$(state_of "$ID" status)" = stopped ] || fail "still $(state_of "$ID" status)"
}

@test "v1 ps and kill --all: every process of the container, exec'd ones included" {
	drop_ns pid
	set_args sleep 100
	start_ctr
	carrel exec -d "$ID" sleep 101 </dev/null >/dev/null 2>&1 3>&-
	run -0 carrel ps --format json "$ID"
	[ "$(jq length <<<"$output")" -eq 2 ] || fail "$output"
	local p
	for p in $(jq -r '.[]' <<<"$output"); do
		grep -qx "$p" "$MEM/carrel/$ID/cgroup.procs" || fail "$p not in the memory cgroup"
	done
	run -0 carrel kill --all "$ID" TERM
	local i
	for ((i = 0; i < 50; i++)); do [ -z "$(cat "$MEM/carrel/$ID/cgroup.procs" 2>/dev/null)" ] && break; sleep 0.1; done
	[ -z "$(cat "$MEM/carrel/$ID/cgroup.procs" 2>/dev/null)" ] || fail "left: $(cat "$MEM/carrel/$ID/cgroup.procs")"
}

@test "v1 update: memory and swap move in the order the kernel accepts" {
	cfg '.linux.resources.memory = {limit: 67108864, swap: 67108864}'
	set_args sleep 100
	start_ctr
	run -0 carrel update --memory 134217728 --memory-swap 268435456 "$ID"
	[ "$(host memory memory.limit_in_bytes)" = 134217728 ]
	[ "$(host memory memory.memsw.limit_in_bytes)" = 268435456 ]
	run -0 carrel update --memory 33554432 --memory-swap 33554432 "$ID"
	[ "$(host memory memory.limit_in_bytes)" = 33554432 ]
	[ "$(host memory memory.memsw.limit_in_bytes)" = 33554432 ]
	run -0 carrel update --memory-reservation 16777216 "$ID"
	[ "$(host memory memory.soft_limit_in_bytes)" = 16777216 ]
	# no memory limit takes the swap limit with it, as runc's update does
	local unlimited
	unlimited=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)
	run -0 carrel update --memory -1 "$ID"
	[ "$(host memory memory.limit_in_bytes)" = "$unlimited" ] || fail "limit $(host memory memory.limit_in_bytes)"
	[ "$(host memory memory.memsw.limit_in_bytes)" = "$unlimited" ] || fail "swap $(host memory memory.memsw.limit_in_bytes)"
}

@test "v1: a field no mounted hierarchy serves fails naming it, and leaves no cgroup" {
	v1_mounts | cut -d' ' -f2 | grep -qw rdma && skip "this host mounts rdma"
	cfg '.linux.resources.rdma = {"mlx5_0": {hcaHandles: 3}}'
	bad_create 'rdma'
	local d
	for d in $(v1_dirs); do [ ! -e "$d/carrel/$ID" ] || fail "left: $d/carrel/$ID"; done
}

@test "v1: features and --debug say which driver serves each controller" {
	run -0 "$CARREL" features
	local drivers
	drivers=$(jq -r '.annotations["io.github.carrel.cgroup.drivers"]' <<<"$output")
	[[ ",$drivers," == *",memory=v1,"* && ",$drivers," == *",pids=v1,"* ]] || fail "$drivers"
	jq -e '.linux.cgroup.v1 == true' <<<"$output" >/dev/null
	set_args true
	run carrel --debug run --bundle "$BUNDLE" "$ID" </dev/null
	[[ "$output" == *'\"memory\":\"v1\"'* ]] || fail "$output"
}

@test "v1 safety: a cgroupsPath at or above the caller's own cgroup, or in /process_api, is refused before anything is made" {
	local self top
	self=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
	[ -n "$self" ] && [ "$self" != / ] || skip "this shell is in the root memory cgroup"
	top=/$(cut -d/ -f2 <<<"$self")
	cfg '.linux.cgroupsPath = $p' --arg p "$self"
	bad_create 'carrel itself runs in'
	cfg '.linux.cgroupsPath = $p' --arg p "$top"
	bad_create 'carrel itself runs in'
	[ "$top" = /process_api ] || return 0
	cfg '.linux.cgroupsPath = $p' --arg p "$top/carrel-test-$ID"
	bad_create 'control process'
	[ ! -e "$MEM$top/carrel-test-$ID" ] || fail "made $MEM$top/carrel-test-$ID"
	[ ! -e "/sys/fs/cgroup/pids$top/carrel-test-$ID" ] || fail "made it in pids"
}

@test "v1 noisy neighbour: one tenant's fork bomb and memory hog are contained, the other still forks and allocates" {
	cfg '.linux.resources = {pids: {limit: 16}, memory: {limit: 33554432, swap: 33554432}}'
	# a bounded fork bomb (every child forks twice, 6 levels deep: 126 at most) and a 100 MB hog
	set_sh 'b() { [ $1 -gt 0 ] || { sleep 20; return; }; b $(($1-1)) & b $(($1-1)) & wait; }
	        (x=$(head -c 100000000 /dev/zero | tr "\0" a)); b 6 2>/dev/null; sleep 100'
	start_ctr
	local b2=$BATS_TEST_TMPDIR/b2 id2=${ID}-b
	make_bundle "$b2"
	CFG_FILE=$b2/config.json cfg '.linux.resources = {pids: {limit: 100}, memory: {limit: 268435456}}'
	CFG_FILE=$b2/config.json set_sh 'sleep 2; n=0; for i in $(seq 40); do sleep 1 & n=$((n+1)); done; wait; x=$(head -c 50000000 /dev/zero | tr "\0" a); echo forked $n allocated ${#x}'
	run carrel run --bundle "$b2" "$id2" </dev/null
	[[ "$output" == *"forked 40 allocated 50000000"* ]] || fail "the second tenant suffered: $output"
	# tenant one's hog and bomb take their time on a loaded machine
	local i
	for i in $(seq 150); do
		[ "$(host pids pids.events | awk '{ print $2 }')" -gt 0 ] && break
		sleep 0.2
	done
	[ "$(host pids pids.current)" -le 16 ] || fail "tenant one has $(host pids pids.current) pids"
	[ "$(host pids pids.events | awk '{ print $2 }')" -gt 0 ] || fail "the fork bomb never hit the limit"
	[ "$(grep -o 'oom_kill [0-9]*' "$MEM/carrel/$ID/memory.oom_control" | cut -d' ' -f2)" -ge 1 ] ||
		fail "the hog was not OOM-killed: $(cat "$MEM/carrel/$ID/memory.oom_control")"
	[ "$(host memory memory.max_usage_in_bytes)" -le 33554432 ]
	[ ! -e "$MEM/carrel/$id2" ] || fail "tenant two's cgroup left"
}
