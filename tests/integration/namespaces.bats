#!/usr/bin/env bats
# Namespaces: new and joined pid/net/ipc/uts/mount/cgroup/user/time namespaces.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() {
	common_setup
	make_bundle
}
teardown() { common_teardown; }

NS_LIST="ipc uts net cgroup pid mnt"

# print "type inode" for each namespace of the container's pid 1
ns_of_ctr() {
	ctr_sh 'for n in ipc uts net cgroup pid mnt user time; do echo "$n $(readlink /proc/$$/ns/$n)"; done'
	[ "$status" -eq 0 ] || fail "$output"
}

ns_line() { printf '%s\n' "$output" | awk -v t="$1" '$1 == t { print $2 }'; }

# A host process in new net/ipc/uts namespaces to join; sets $SLEEPER.
start_sleeper() {
	bg unshare --net --ipc --uts sleep 1000
	SLEEPER=$BG_PID
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(readlink "/proc/$SLEEPER/ns/net")" != "$(readlink /proc/self/ns/net)" ] && return 0
		sleep 0.02
	done
	fail "sleeper never entered its namespaces"
}

@test "namespaces: each requested namespace is new (inode differs from the host's)" {
	ns_of_ctr
	local t
	for t in $NS_LIST; do
		[ -n "$(ns_line $t)" ] || fail "no $t namespace link"
		[ "$(ns_line $t)" != "$(readlink /proc/self/ns/$t)" ] || fail "$t namespace is the host's"
	done
	# not requested: user and time are the host's
	[ "$(ns_line user)" = "$(readlink /proc/self/ns/user)" ]
	[ "$(ns_line time)" = "$(readlink /proc/self/ns/time)" ]
}

@test "namespaces: types left out of the spec are shared with the host" {
	drop_ns network
	drop_ns ipc
	drop_ns uts
	drop_ns cgroup
	drop_ns pid
	cfg 'del(.hostname)'
	ns_of_ctr
	local t
	for t in ipc uts net cgroup pid; do
		[ "$(ns_line $t)" = "$(readlink /proc/self/ns/$t)" ] || fail "$t namespace is not the host's"
	done
	[ "$(ns_line mnt)" != "$(readlink /proc/self/ns/mnt)" ]
}

@test "pid namespace: the container sees only its own processes" {
	ctr_sh 'sleep 1000 & ls -d /proc/[0-9]* | sed "s#/proc/##" | sort -n | tr "\n" " "; kill $!'
	[ "$status" -eq 0 ] || fail "$output"
	# sh (1), sleep, and ls/sed/sort/tr of the pipeline: all small pids
	local p
	for p in $output; do
		[ "$p" -lt 20 ] || fail "host-looking pid $p visible: $output"
	done
	[[ " $output" == *" 1 "* ]]
}

@test "network namespace: a new one has only lo" {
	ctr_sh 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = lo ]
}

@test "uts namespace: hostname and domainname from the spec" {
	cfg '.hostname = "my-ctr-host" | .domainname = "my.domain.test"'
	ctr_sh 'hostname; cat /proc/sys/kernel/domainname'
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = my-ctr-host ]
	[ "${lines[1]}" = my.domain.test ]
	[ "$(hostname)" != my-ctr-host ]
}

@test "uts namespace: default spec hostname is 'carrel'" {
	ctr_sh 'hostname'
	[ "$status" -eq 0 ]
	[ "$output" = carrel ]
}

@test "join: network namespace by path shares the target's net ns" {
	start_sleeper
	add_ns network "/proc/$SLEEPER/ns/net"
	ctr_sh 'readlink /proc/$$/ns/net'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = "$(readlink "/proc/$SLEEPER/ns/net")" ]
}

@test "join: net, ipc and uts of another process at once" {
	start_sleeper
	add_ns network "/proc/$SLEEPER/ns/net"
	add_ns ipc "/proc/$SLEEPER/ns/ipc"
	add_ns uts "/proc/$SLEEPER/ns/uts"
	cfg 'del(.hostname)'
	ctr_sh 'for n in net ipc uts; do readlink /proc/$$/ns/$n; done'
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = "$(readlink "/proc/$SLEEPER/ns/net")" ]
	[ "${lines[1]}" = "$(readlink "/proc/$SLEEPER/ns/ipc")" ]
	[ "${lines[2]}" = "$(readlink "/proc/$SLEEPER/ns/uts")" ]
}

@test "join: a namespace bind-mounted on a file (ip netns style)" {
	start_sleeper
	touch "$BATS_TEST_TMPDIR/netns"
	mount --bind "/proc/$SLEEPER/ns/net" "$BATS_TEST_TMPDIR/netns"
	defer umount -l "$BATS_TEST_TMPDIR/netns"
	add_ns network "$BATS_TEST_TMPDIR/netns"
	ctr_sh 'readlink /proc/$$/ns/net'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = "$(readlink "/proc/$SLEEPER/ns/net")" ]
}

@test "join: a path of another namespace type is refused clearly" {
	start_sleeper
	add_ns network "/proc/$SLEEPER/ns/uts"
	set_args true
	run_ctr
	[ "$status" -eq 1 ]
	# e.g. "linux.namespaces: /proc/N/ns/uts is not a network namespace"
	[[ "$output" == *"/proc/$SLEEPER/ns/uts"* && "$output" == *network* ]] ||
		fail "unclear error (should name the path and the expected type): $output"
	assert_no_leftovers
}

@test "join: a path that is not a namespace at all is refused" {
	add_ns network /etc/hostname
	set_args true
	run_ctr
	[ "$status" -eq 1 ]
	[[ "$output" == */etc/hostname* ]] || fail "error does not name the path: $output"
	assert_no_leftovers
}

@test "join: a missing namespace path is refused and named" {
	add_ns ipc "$BATS_TEST_TMPDIR/no-such-ns"
	set_args true
	run_ctr
	[ "$status" -eq 1 ]
	[[ "$output" == *no-such-ns* ]] || fail "error does not name the path: $output"
	assert_no_leftovers
}

@test "user namespace: uid/gid maps are installed; root inside, unmapped files are nobody" {
	add_ns user
	cfg '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
	   | .linux.gidMappings = [{containerID: 0, hostID: 200000, size: 65536}]'
	ctr_sh 'cat /proc/self/uid_map /proc/self/gid_map; id -u; stat -c %u:%g /bin/busybox; readlink /proc/$$/ns/user'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(echo ${lines[0]})" = "0 100000 65536" ]
	[ "$(echo ${lines[1]})" = "0 200000 65536" ]
	[ "${lines[2]}" = 0 ]
	[ "${lines[3]}" = 65534:65534 ]
	[ "${lines[4]}" != "$(readlink /proc/self/ns/user)" ]
}

@test "user namespace: the container's root is the mapped host uid" {
	add_ns user
	cfg '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
	   | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	set_sh 'echo ready; exec sleep 1000'
	start_ctr
	wait_ctr_output ready
	local pid
	pid=$(state_of "$ID" pid)
	[ "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" = 100000 ]
	[ "$(awk '/^Gid:/ { print $2 }' "/proc/$pid/status")" = 100000 ]
}

@test "user namespace: several mapping ranges" {
	add_ns user
	cfg '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 1000}, {containerID: 1000, hostID: 300000, size: 10}]
	   | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
	   | .process.user = {uid: 1000, gid: 1000}'
	ctr_sh 'cat /proc/self/uid_map; id -u'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(echo ${lines[0]})" = "0 100000 1000" ]
	[ "$(echo ${lines[1]})" = "1000 300000 10" ]
	[ "${lines[2]}" = 1000 ]
}

@test "time namespace: boottime and monotonic offsets" {
	[ -e /proc/self/ns/time ] || skip "kernel without time namespaces"
	add_ns time
	cfg '.linux.timeOffsets = {boottime: {secs: 864000, nanosecs: 0}, monotonic: {secs: 3600, nanosecs: 0}}'
	local host_up
	host_up=$(cut -d. -f1 /proc/uptime)
	ctr_sh 'cut -d. -f1 /proc/uptime; cat /proc/self/timens_offsets'
	[ "$status" -eq 0 ] || fail "$output"
	local up=${lines[0]}
	[ "$up" -ge $((host_up + 864000)) ] && [ "$up" -le $((host_up + 864000 + 30)) ] ||
		fail "uptime inside $up, host $host_up"
	printf '%s\n' "$output" | grep -Eq '^monotonic[[:space:]]+3600[[:space:]]+0$'
	printf '%s\n' "$output" | grep -Eq '^boottime[[:space:]]+864000[[:space:]]+0$'
}

@test "cgroup namespace: the container's cgroup paths are rooted at /" {
	ctr_sh 'cat /proc/self/cgroup'
	[ "$status" -eq 0 ] || fail "$output"
	local bad
	bad=$(printf '%s\n' "$output" | awk -F: '$3 != "/"')
	[ -z "$bad" ] || fail "cgroup paths not rooted: $bad"
}

@test "mount namespace: container mounts are invisible on the host" {
	local before
	before=$(wc -l </proc/self/mountinfo)
	set_sh 'echo ready; exec sleep 1000'
	start_ctr
	wait_ctr_output ready
	local pid
	pid=$(state_of "$ID" pid)
	[ "$(wc -l </proc/self/mountinfo)" -eq "$before" ]
	# and the container's own table has its /proc
	grep -q ' /proc ' "/proc/$pid/mountinfo"
}

@test "join: hostname with a uts namespace joined by path is set in that namespace (as runc); the host's is untouched" {
	start_sleeper
	local host_name
	host_name=$(hostname)
	add_ns uts "/proc/$SLEEPER/ns/uts"
	cfg '.hostname = "joined-uts-host"'
	ctr_sh 'hostname'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = joined-uts-host ] || fail "$output"
	[ "$(nsenter -t "$SLEEPER" -u hostname)" = joined-uts-host ]
	[ "$(hostname)" = "$host_name" ]
}

@test "no uts namespace: an empty hostname is not set (the host's stays); a non-empty one is refused" {
	local host_name
	host_name=$(hostname)
	drop_ns uts
	cfg '.hostname = ""'
	ctr_sh 'hostname'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = "$host_name" ] || fail "$output"
	[ "$(hostname)" = "$host_name" ] || { hostname "$host_name"; fail "the host's hostname changed"; }
	cfg '.hostname = "x"'
	set_args true
	bad_create "hostname" "needs a uts namespace"
}

@test "join: a user namespace by path with a new pid namespace (and mount, ...): they belong to it, /proc works (as runc)" {
	bg unshare --user sleep 1000
	local holder=$BG_PID i
	for ((i = 0; i < 100; i++)); do
		[ "$(readlink "/proc/$holder/ns/user")" != "$(readlink /proc/self/ns/user)" ] && break
		sleep 0.02
	done
	echo "0 100000 65536" >"/proc/$holder/uid_map"
	echo "0 100000 65536" >"/proc/$holder/gid_map"
	add_ns user "/proc/$holder/ns/user"
	ctr_sh 'echo "pid=$$"; readlink /proc/self/ns/user; cat /proc/self/uid_map | tr -s " "; id -u; ls /proc | grep -c "^[0-9]"'
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = pid=1 ] || fail "$output"
	[ "${lines[1]}" = "$(readlink "/proc/$holder/ns/user")" ] || fail "not in the joined user namespace: $output"
	[ "${lines[2]}" = " 0 100000 65536" ] || fail "$output"
	[ "${lines[3]}" = 0 ] || fail "$output"
	# its own pid namespace, owned by the joined user namespace, with its own /proc
	[ "${lines[4]}" -le 3 ] || fail "$output"
	carrel delete --force "$ID" >/dev/null 2>&1 || true
	# look at the init from the host
	set_args sleep 1000
	start_ctr
	local pid
	pid=$(state_of "$ID" pid)
	[ "$(readlink "/proc/$pid/ns/user")" = "$(readlink "/proc/$holder/ns/user")" ] || fail "init not in the joined user namespace"
	[ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ] || fail "no new pid namespace"
	run carrel exec "$ID" sh -c 'echo $$; id -u'
	[ "$status" -eq 0 ] || fail "exec: $output"
	[ "${lines[1]}" = 0 ] || fail "exec: $output"
}

@test "join: a mount namespace by path is set up like a new one (rootfs, mounts, pivot_root), as runc" {
	bg unshare --mount --propagation private sleep 1000
	local holder=$BG_PID i
	for ((i = 0; i < 100; i++)); do
		[ "$(readlink "/proc/$holder/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] && break
		sleep 0.02
	done
	add_ns mount "/proc/$holder/ns/mnt"
	ctr_sh 'readlink /proc/self/ns/mnt; grep -c " /proc " /proc/self/mountinfo; cat /etc/hostname'
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = "$(readlink "/proc/$holder/ns/mnt")" ] || fail "not in the joined mount namespace: $output"
	[ "${lines[1]}" -ge 1 ] || fail "$output"
	[ "${lines[2]}" = rootfs ] || fail "not in the rootfs: $output"
}

@test "no mount namespace: refused with a clear error (the mounts would land in the host's)" {
	drop_ns mount
	set_args true
	bad_create "linux.namespaces" "a mount namespace is required"
}
