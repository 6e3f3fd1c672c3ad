#!/usr/bin/env bats
# /dev inside the container: default devices, links, linux.devices, userns.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() {
	common_setup
	make_bundle
}
teardown() { common_teardown; }

userns_config() {
	add_ns user
	cfg '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
	   | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
}

@test "default devices: char devices with the right major:minor and mode 666" {
	ctr_sh 'for d in null zero full random urandom tty; do stat -c "%n|%F|%t:%T|%a" /dev/$d; done'
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = "/dev/null|character special file|1:3|666" ]
	[ "${lines[1]}" = "/dev/zero|character special file|1:5|666" ]
	[ "${lines[2]}" = "/dev/full|character special file|1:7|666" ]
	[ "${lines[3]}" = "/dev/random|character special file|1:8|666" ]
	[ "${lines[4]}" = "/dev/urandom|character special file|1:9|666" ]
	[ "${lines[5]}" = "/dev/tty|character special file|5:0|666" ]
}

@test "default devices: they work (null, zero, full, urandom)" {
	ctr_sh 'echo x > /dev/null && echo null-ok
		head -c 4 /dev/zero | od -An -tx1
		{ echo x > /dev/full; } 2>&1 || echo full-failed
		head -c 16 /dev/urandom | wc -c'
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = null-ok ]
	[ "$(echo ${lines[1]})" = "00 00 00 00" ]
	printf '%s\n' "$output" | grep -q 'No space left on device'
	printf '%s\n' "$output" | grep -qx full-failed
	[ "$(echo ${lines[-1]})" = 16 ]
}

@test "default devices: /dev/ptmx, /dev/fd and /dev/std* symlinks" {
	ctr_sh 'for l in ptmx fd stdin stdout stderr; do echo "$l -> $(readlink /dev/$l)"; done'
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = "ptmx -> pts/ptmx" ]
	[ "${lines[1]}" = "fd -> /proc/self/fd" ]
	[ "${lines[2]}" = "stdin -> /proc/self/fd/0" ]
	[ "${lines[3]}" = "stdout -> /proc/self/fd/1" ]
	[ "${lines[4]}" = "stderr -> /proc/self/fd/2" ]
}

@test "default devices: /dev/ptmx allocates a pty in the container's own devpts" {
	ctr_sh 'exec 3<>/dev/ptmx || exit 9; ls /dev/pts'
	[ "$status" -eq 0 ] || fail "$output"
	# a fresh devpts instance: only our pty 0 (+ ptmx)
	[ "$(printf '%s\n' "$output" | sort | tr '\n' ' ')" = "0 ptmx " ]
}

@test "default devices: /dev/shm is a writable tmpfs directory" {
	ctr_sh '[ -d /dev/shm ] && echo x > /dev/shm/f && cat /dev/shm/f'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = x ]
}

@test "default devices: no host device nodes leak into /dev" {
	ctr_sh 'ls -A /dev'
	[ "$status" -eq 0 ] || fail "$output"
	local allowed=" null zero full random urandom tty ptmx pts shm mqueue fd stdin stdout stderr core console "
	local e extra=""
	for e in $output; do
		[[ "$allowed" == *" $e "* ]] || extra+="$e "
	done
	[ -z "$extra" ] || fail "unexpected entries in /dev: $extra"
	printf '%s\n' "$output" | grep -qx null
}

@test "linux.devices: char device with fileMode, uid and gid" {
	cfg '.linux.devices = [{path: "/dev/mydev", type: "c", major: 1, minor: 7, fileMode: 384, uid: 1000, gid: 1000}]'
	ctr_sh 'stat -c "%F|%t:%T|%a|%u:%g" /dev/mydev; echo x > /dev/mydev || echo write-enospc'
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = "character special file|1:7|600|1000:1000" ]
	printf '%s\n' "$output" | grep -qx write-enospc
}

@test "linux.devices: device in a subdirectory of /dev (parents created)" {
	cfg '.linux.devices = [{path: "/dev/net/tun", type: "c", major: 10, minor: 200, fileMode: 438}]'
	ctr_sh 'stat -c "%F|%t:%T|%a" /dev/net/tun'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = "character special file|a:c8|666" ]
}

@test "linux.devices: block device and fifo" {
	cfg '.linux.devices = [{path: "/dev/blk", type: "b", major: 7, minor: 0, fileMode: 384},
	                       {path: "/dev/myfifo", type: "p", fileMode: 420}]'
	ctr_sh 'stat -c "%F|%t:%T|%a" /dev/blk; stat -c "%F|%a" /dev/myfifo'
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = "block special file|7:0|600" ]
	[ "${lines[1]}" = "fifo|644" ]
}

@test "user namespace: default devices are bind mounts of the host's and work" {
	userns_config
	ctr_sh 'stat -c "%F|%t:%T" /dev/null /dev/zero /dev/urandom; echo x > /dev/null && echo null-ok; head -c 2 /dev/zero | od -An -tx1; grep -c " /dev/null " /proc/self/mountinfo'
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = "character special file|1:3" ]
	[ "${lines[1]}" = "character special file|1:5" ]
	[ "${lines[2]}" = "character special file|1:9" ]
	[ "${lines[3]}" = null-ok ]
	[ "$(echo ${lines[4]})" = "00 00" ]
	[ "${lines[5]}" = 1 ]
}

@test "user namespace: linux.devices entries are bind mounted from the host" {
	userns_config
	[ -c /dev/net/tun ] || skip "host has no /dev/net/tun"
	cfg '.linux.devices = [{path: "/dev/net/tun", type: "c", major: 10, minor: 200, fileMode: 438}]'
	ctr_sh 'stat -c "%F|%t:%T" /dev/net/tun; grep -c " /dev/net/tun " /proc/self/mountinfo'
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = "character special file|a:c8" ]
	[ "${lines[1]}" = 1 ]
}
