#!/usr/bin/env bats
# The container's cgroup on whatever cgroup2 hierarchy the host has (the
# unified hierarchy of a hybrid host too): placement from birth, pause and
# resume, kill --all, ps, the eBPF device filter, cgroupsPath, clean delete.
# Limits that need controllers are in tests/integration-cgroup (VM tier).

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() {
	common_setup
	make_bundle
	CG_ROOT=$(cg_root) || skip "no cgroup2 hierarchy on this host"
}
teardown() { common_teardown; }

@test "cgroup: the init is in /carrel/<id> from birth and the container sees it as its cgroup root" {
	set_args sleep 100
	create_ctr
	local pid
	pid=$(carrel state "$ID" | jq -r .pid)
	[ -d "$CG_ROOT/carrel/$ID" ] || fail "no cgroup $CG_ROOT/carrel/$ID"
	grep -qx "$pid" "$CG_ROOT/carrel/$ID/cgroup.procs" || fail "init $pid not in cgroup.procs"
	grep -q "^0::/carrel/$ID\$" "/proc/$pid/cgroup" || fail "$(cat /proc/$pid/cgroup)"
	run -0 carrel exec "$ID" cat /proc/self/cgroup
	[[ "$output" == *"0::/"* ]] || fail "inside: $output"
}

@test "cgroup: delete removes the cgroup carrel made" {
	set_args sleep 100
	start_ctr
	[ -d "$CG_ROOT/carrel/$ID" ]
	run -0 carrel delete --force "$ID"
	[ ! -e "$CG_ROOT/carrel/$ID" ] || fail "cgroup left behind"
}

@test "cgroup: a foreground run removes its cgroup when it exits" {
	ctr_sh 'true'
	[ "$status" -eq 0 ] || fail "$output"
	[ ! -e "$CG_ROOT/carrel/$ID" ] || fail "cgroup left behind"
}

@test "cgroup: an absolute cgroupsPath is taken from the hierarchy root and a relative one goes under /carrel" {
	set_args sleep 100
	cfg '.linux.cgroupsPath = $p' --arg p "/carrel-test-abs/$ID"
	create_ctr
	[ -d "$CG_ROOT/carrel-test-abs/$ID" ] || fail "absolute path not used"
	run -0 carrel delete --force "$ID"
	[ ! -e "$CG_ROOT/carrel-test-abs/$ID" ]
	rmdir "$CG_ROOT/carrel-test-abs"
	cfg '.linux.cgroupsPath = $p' --arg p "rel-$ID"
	create_ctr
	[ -d "$CG_ROOT/carrel/rel-$ID" ] || fail "relative path not under /carrel"
}

@test "cgroup: a systemd slice:prefix:name path is refused without systemd" {
	cfg '.linux.cgroupsPath = "system.slice:carrel:x"'
	bad_create 'systemd'
}

@test "cgroup: a cgroupsPath with .. is refused" {
	cfg '.linux.cgroupsPath = "/carrel/../../etc"'
	bad_create '..'
}

@test "pause and resume freeze the whole container; state says paused" {
	add_tmp
	set_sh 'i=0; while true; do i=$((i+1)); echo $i > /tmp/n; sleep 0.05; done'
	start_ctr
	sleep 0.3
	run -0 carrel pause "$ID"
	[ "$(state_of "$ID" status)" = paused ]
	cg_frozen "/carrel/$ID" || fail "not frozen on the host"
	local pid a b
	pid=$(carrel state "$ID" | jq -r .pid)
	a=$(cat "/proc/$pid/root/tmp/n")
	sleep 0.4
	b=$(cat "/proc/$pid/root/tmp/n")
	[ "$a" = "$b" ] || fail "counter moved while paused: $a -> $b"
	run carrel exec "$ID" true
	[ "$status" -eq 255 ] && [[ "$output" == *"cannot exec in a paused container"* ]] ||
		fail "exec into a paused container: $status $output"
	run -0 carrel resume "$ID"
	[ "$(state_of "$ID" status)" = running ]
	sleep 0.4
	b=$(cat "/proc/$pid/root/tmp/n")
	[ "$a" != "$b" ] || fail "counter did not move after resume"
}

@test "resume of a running container is an error" {
	set_args sleep 100
	start_ctr
	run carrel resume "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"not paused"* ]]
}

@test "delete --force of a paused container kills it and removes the cgroup" {
	set_args sleep 100
	start_ctr
	run -0 carrel pause "$ID"
	run -0 carrel delete --force "$ID"
	[ ! -e "$CG_ROOT/carrel/$ID" ]
}

@test "ps --format json is a bare array of the container's host pids, exec'd ones included" {
	set_args sleep 100
	start_ctr
	carrel_bg exec --detach "$ID" sleep 99
	[ "$status" -eq 0 ] || fail "$output"
	run -0 carrel ps --format json "$ID"
	jq -e 'type == "array" and length == 2 and all(type == "number")' <<<"$output" >/dev/null || fail "$output"
	local p
	for p in $(jq -r '.[]' <<<"$output"); do
		grep -qx "$p" "$CG_ROOT/carrel/$ID/cgroup.procs" || fail "$p not in the cgroup"
	done
	# the table is the host's ps(1), -ef or the options after the id, filtered to the container
	run -0 carrel ps "$ID"
	[[ "${lines[0]}" =~ ^UID\ +PID\ +PPID\ +C\ +STIME\ +TTY\ +TIME\ +CMD ]] || fail "$output"
	[ "${#lines[@]}" -eq 3 ] || fail "$output"
	[[ "${lines[1]}${lines[2]}" == *"sleep 100"*"sleep 99"* || "${lines[1]}${lines[2]}" == *"sleep 99"*"sleep 100"* ]] || fail "$output"
	# without a header there is no PID column to filter by: an error, as in runc
	run carrel ps "$ID" -o pid=,args=
	[ "$status" -eq 1 ] && [[ "$output" == *"no PID column"* ]] || fail "$output"
	run -0 carrel ps "$ID" -e -o pid,args
	[[ "${lines[0]}" =~ ^\ *PID\ +COMMAND ]] && [ "${#lines[@]}" -eq 3 ] || fail "$output"
	# stopped: the header alone, as runc
	run -0 carrel kill "$ID" KILL
	wait_status "$ID" stopped
	run -0 carrel ps "$ID"
	[ "${#lines[@]}" -eq 1 ] || fail "$output"
	run -0 carrel ps --format json "$ID"
	[ "$output" = "[]" ]
}

@test "kill --all reaches every process in the cgroup, even without a pid namespace" {
	drop_ns pid
	set_sh 'trap "" TERM; sleep 100 & sleep 100 & wait'
	start_ctr
	sleep 0.2
	local n
	n=$(wc -l <"$CG_ROOT/carrel/$ID/cgroup.procs")
	[ "$n" -ge 3 ] || fail "only $n processes"
	run -0 carrel kill --all "$ID" KILL
	wait_status "$ID" stopped
	sleep 0.2
	[ "$(wc -l <"$CG_ROOT/carrel/$ID/cgroup.procs")" -eq 0 ] || fail "processes survived: $(cat "$CG_ROOT/carrel/$ID/cgroup.procs")"
}

@test "events --stats prints one stats object as runc does" {
	set_args sleep 100
	start_ctr
	run -0 carrel events --stats "$ID"
	jq -e '.type == "stats" and .id == $id and (.data.cpu.usage.total | type == "number")' --arg id "$ID" <<<"$output" >/dev/null ||
		fail "$output"
	# memory and pids as runc names them, where the container's cgroup has those controllers
	if [ -e "$CG_ROOT/carrel/$ID/memory.current" ]; then
		jq -e '.data.memory.usage | has("max")' <<<"$output" >/dev/null || fail "$output"
	fi
	if [ -e "$CG_ROOT/carrel/$ID/pids.current" ]; then
		jq -e '.data.pids | has("current")' <<<"$output" >/dev/null || fail "$output"
	fi
}

# Stats are right or absent: every number comes from the cgroup carrel put
# the container in (the unified one, or on a v1/hybrid host the v1
# controller's), and a section whose controller no cgroup of the container
# has is left out, never 0.
@test "events --stats: the numbers are the container's cgroup files', absent where the cgroup has no such file" {
	set_sh 'sleep 1000 & i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; echo ready; wait'
	start_ctr
	wait_ctr_output ready
	local cg=$CG_ROOT/carrel/$ID u1 u2 total
	local v1cpu=/sys/fs/cgroup/cpuacct/carrel/$ID/cpuacct.usage
	local pids=$cg/pids.current mem=$cg/memory.current
	[ -e "$pids" ] || pids=/sys/fs/cgroup/pids/carrel/$ID/pids.current
	[ -e "$mem" ] || mem=/sys/fs/cgroup/memory/carrel/$ID/memory.usage_in_bytes
	if [ -e "$v1cpu" ]; then
		# the v1 driver reads cpuacct (nanoseconds)
		u1=$(cat "$v1cpu")
		run -0 carrel events --stats "$ID"
		u2=$(cat "$v1cpu")
	else
		u1=$(($(awk '$1 == "usage_usec" { print $2 }' "$cg/cpu.stat") * 1000))
		run -0 carrel events --stats "$ID"
		u2=$(($(awk '$1 == "usage_usec" { print $2 }' "$cg/cpu.stat") * 1000))
	fi
	total=$(jq .data.cpu.usage.total <<<"$output")
	# the busy loop used some CPU, and what carrel read lies between our two reads
	[ "$u1" -gt 0 ] || fail "cpu usage $u1"
	[ "$total" -ge "$u1" ] && [ "$total" -le "$u2" ] ||
		fail "cpu.usage.total $total not within the cgroup's ${u1}..${u2} ns"
	if [ -e "$pids" ]; then
		[ "$(jq .data.pids.current <<<"$output")" = "$(cat "$pids")" ] || fail "$output"
	else
		jq -e '.data | has("pids") | not' <<<"$output" >/dev/null || fail "pids reported without pids.current: $output"
	fi
	if [ -e "$mem" ]; then
		local m1 m
		m1=$(cat "$mem")
		m=$(jq .data.memory.usage.usage <<<"$output")
		# memory moves a little between the reads
		[ $((m - m1)) -lt 1048576 ] && [ $((m1 - m)) -lt 1048576 ] || fail "memory $m, $mem $m1"
	else
		jq -e '.data | has("memory") | not' <<<"$output" >/dev/null || fail "memory reported without a memory cgroup: $output"
	fi
	[ -e "$cg/io.stat" ] || [ -e /sys/fs/cgroup/blkio/carrel/$ID ] ||
		jq -e '.data.blkio.ioServiceBytesRecursive == []' <<<"$output" >/dev/null || fail "$output"
}

# The eBPF device filter lives on cgroup2 and works on hybrid hosts too.
@test "device filter: the default set works, anything else is denied even with CAP_MKNOD" {
	add_tmp
	cfg '.process.capabilities.bounding += ["CAP_MKNOD"] | .process.capabilities.effective += ["CAP_MKNOD"]
	     | .process.capabilities.permitted += ["CAP_MKNOD"]'
	ctr_sh 'echo x > /dev/null && head -c1 /dev/urandom >/dev/null && echo defaults-ok; mknod /tmp/sda b 8 0 && echo mknod-block-ok; mknod /tmp/mem c 1 1 && echo mknod-mem-ok; true'
	[ "$status" -eq 0 ] || fail "$output"
	[[ "$output" == *defaults-ok* ]] || fail "$output"
	[[ "$output" != *mknod-block-ok* ]] || fail "a block device node was made: $output"
	[[ "$output" != *mknod-mem-ok* ]] || fail "/dev/mem was made: $output"
}

@test "device filter: rules in order, the last match wins (mknod allowed, read denied)" {
	add_tmp
	cfg '.process.capabilities.bounding += ["CAP_MKNOD"] | .process.capabilities.effective += ["CAP_MKNOD"]
	     | .process.capabilities.permitted += ["CAP_MKNOD"]
	     | .linux.resources = {devices: [{allow: false, access: "rwm"}, {allow: true, type: "c", major: 1, minor: 5, access: "m"}]}'
	ctr_sh 'mknod /tmp/z c 1 5 && echo mknod-ok; head -c1 /tmp/z >/dev/null && echo read-ok; true'
	[[ "$output" == *mknod-ok* ]] || fail "$output"
	[[ "$output" != *read-ok* ]] || fail "read of a mknod-only device worked: $output"
}

@test "update: devices are replaced live; the container's own linux.devices stay allowed" {
	add_tmp
	cfg '.process.capabilities.bounding += ["CAP_MKNOD"] | .process.capabilities.effective += ["CAP_MKNOD"]
	     | .process.capabilities.permitted += ["CAP_MKNOD"]'
	set_args sleep 100
	start_ctr
	# 10:200 (tun) is not in the default set
	run carrel exec "$ID" sh -c 'mknod /tmp/z c 10 200 && echo made'
	[[ "$output" != *made* ]] || fail "mknod allowed before update: $output"
	echo '{"devices": [{"allow": true, "type": "c", "major": 10, "minor": 200, "access": "rwm"}]}' >"$BATS_TEST_TMPDIR/res.json"
	run -0 carrel update --resources "$BATS_TEST_TMPDIR/res.json" "$ID"
	run -0 carrel exec "$ID" sh -c 'mknod /tmp/z c 10 200 && echo made'
	[ "$output" = made ] || fail "$output"
	# /dev/null (a default) still works after the replacement
	run -0 carrel exec "$ID" sh -c 'echo x > /dev/null && echo null-ok'
	[ "$output" = null-ok ]
}

@test "cgroup: without CLONE_INTO_CGROUP the init is moved in before the workload runs" {
	# (/sys/fs/cgroup/unified on a host with cgroup v1 hierarchies)
	set_sh 'grep ^0:: /proc/self/cgroup; d=/sys/fs/cgroup; [ -e $d/cgroup.procs ] || d=$d/unified; cat $d/cgroup.procs | grep -c .'
	CARREL_NO_CLONE_INTO_CGROUP=1 run_ctr
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = "0::/" ] || fail "$output"
	# the host sees it in /carrel/<id>, which goes with the container
	[ ! -e "$CG_ROOT/carrel/$ID" ]
}

@test "cgroup: a cgroup carrel did not create is never removed" {
	mkdir -p "$CG_ROOT/carrel-test-$ID"
	defer rmdir "$CG_ROOT/carrel-test-$ID"
	cfg '.linux.cgroupsPath = $p' --arg p "/carrel-test-$ID"
	set_args sleep 100
	start_ctr
	local pid
	pid=$(state_of "$ID" pid)
	grep -qx "0::/carrel-test-$ID" "/proc/$pid/cgroup" || fail "$(cat "/proc/$pid/cgroup")"
	run -0 carrel delete --force "$ID"
	[ -d "$CG_ROOT/carrel-test-$ID" ] || fail "the cgroup it did not make was removed"
	[ -z "$(cat "$CG_ROOT/carrel-test-$ID/cgroup.procs")" ] || fail "processes left in it"
}

@test "exec --ignore-paused: the process joins a paused container, frozen with the rest" {
	set_args sleep 100
	start_ctr
	run -0 carrel pause "$ID"
	carrel exec -d --ignore-paused --pid-file "$BATS_TEST_TMPDIR/x.pid" "$ID" sleep 50 </dev/null >/dev/null 2>&1 3>&- ||
		fail "exec --ignore-paused failed"
	local pid
	pid=$(cat "$BATS_TEST_TMPDIR/x.pid")
	grep -qx "0::/carrel/$ID" "/proc/$pid/cgroup" || fail "$(cat "/proc/$pid/cgroup")"
	# frozen before its exec: still the carrel image, and the cgroup stays frozen
	sleep 0.3
	[ "$(cat "/proc/$pid/comm")" != sleep ] || fail "it ran in a paused container"
	cg_frozen "/carrel/$ID" || fail "the cgroup thawed"
	run -0 carrel resume "$ID"
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sleep ] && break
		sleep 0.05
	done
	[ "$(cat "/proc/$pid/comm")" = sleep ] || fail "not exec'd after resume: $(cat "/proc/$pid/comm")"
}

@test "device filter: a resources.devices deny-all covers the nodes linux.devices made (as runc); an allow rule opens them" {
	cfg '.linux.devices = [{path: "/dev/net/tun", type: "c", major: 10, minor: 200, fileMode: 438}]'
	cfg '.linux.resources.devices = [{allow: false, access: "rwm"}]'
	ctr_sh '(exec 3<>/dev/net/tun && echo opened) 2>&1; true'
	[ "$status" -eq 0 ] || fail "$output"
	[[ "$output" == *"Operation not permitted"* && "$output" != *opened* ]] || fail "deny-all did not cover /dev/net/tun: $output"
	cfg '.linux.resources.devices += [{allow: true, type: "c", major: 10, minor: 200, access: "rw"}]'
	ctr_sh '(exec 3<>/dev/net/tun && echo opened) 2>&1; true'
	[[ "$output" == *opened* ]] || fail "$output"
	# without any device rules, the container's own linux.devices stay usable
	cfg 'del(.linux.resources.devices)'
	ctr_sh '(exec 3<>/dev/net/tun && echo opened) 2>&1; true'
	[[ "$output" == *opened* ]] || fail "$output"
}
