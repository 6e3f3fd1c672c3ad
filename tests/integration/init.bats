#!/usr/bin/env bats
# The server profile's pid 1 (org.carrel.init = reaper), the stop signal
# that `kill` sends by default, and run --init booting the rootfs's own
# /sbin/init. Checked from inside the containers.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() { common_setup; }
teardown() { common_teardown; }

# vs_bg NAME FLAGS... : a detached virtual server (stdio to files, as carrel_bg).
vs_bg() { carrel_bg run --rootfs "$ROOTFS" --name "$@"; }

# guest_dirs: a private copy of the rootfs in $r, whose busybox init gets
# /etc/inittab from stdin, and $out, a directory the guest can write (--init
# runs the guest in a user namespace of its own: its root is no host root).
guest_dirs() {
	r=$BATS_TEST_TMPDIR/rootfs out=$BATS_TEST_TMPDIR/out
	cp -a "$ROOTFS" "$r"
	mkdir -p -m 0777 "$out"
	_open_path "$r"
	_open_path "$out"
	cat >"$r/etc/inittab"
}

# boot_guest NAME — boot $r's init detached, $out at /mnt/out; require success.
boot_guest() {
	carrel_bg run --rootfs "$r" --name "$1" --profile server -d --init --bind "$out:/mnt/out"
	[ "$status" -eq 0 ] || fail "$output"
}

@test "reaper: pid 1 is carrel-init, the workload is its child, the exit status passes through" {
	run --separate-stderr carrel run --rootfs "$ROOTFS" --name "$ID" --profile server -- \
		sh -c 'cat /proc/1/comm; echo $$; grep PPid /proc/$$/status; exit 7' </dev/null
	[ "$status" -eq 7 ] || fail "status $status: $output"
	[ "${lines[0]}" = carrel-init ] || fail "$output"
	[ "${lines[1]}" = 2 ] || fail "$output"
	[[ "${lines[2]}" == *$'\t'1 ]] || fail "$output"
	# no bundle mode difference: it is only an annotation
	run -0 --separate-stderr carrel run --rootfs "$ROOTFS" --name "$ID" --profile server --dry-run -- true
	[ "$(jq -r '.annotations["org.carrel.init"]' <<<"$output")" = reaper ]
}

@test "reaper: orphans are reaped (no zombie is left), which a shell as pid 1 does not do" {
	# The subshell's child is orphaned to pid 1 and exits; then we look for zombies.
	local probe='(sleep 0.2 &); sleep 1; for s in /proc/[0-9]*/stat; do read -r p c st r <"$s"; [ "$st" = Z ] && echo "zombie $p $c"; done; echo checked'
	run --separate-stderr carrel run --rootfs "$ROOTFS" --name "$ID" --profile server -- sh -c "$probe" </dev/null
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = checked ] || fail "$output"
	# the control: with a pid 1 that never waits (sleep), the orphan stays a zombie
	run carrel run --rootfs "$ROOTFS" --name "$ID-b" -- sh -c 'sh -c "$1" & exec sleep 2' sh "$probe" </dev/null
	[[ "$output" == *zombie* ]] || fail "control: no zombie without the reaper: $output"
}

@test "reaper: a signal to the container reaches the workload" {
	vs_bg "$ID" --profile server -d -- sh -c 'trap "echo got-term; exit 3" TERM; echo ready; while :; do sleep 0.1; done'
	[ "$status" -eq 0 ] || fail "$output"
	wait_ctr_output ready
	run -0 carrel kill "$ID" TERM
	wait_status "$ID" stopped
	wait_ctr_output got-term
}

@test "stop signal: kill without a signal sends org.carrel.stop-signal (default TERM)" {
	vs_bg "$ID" -d --stop-signal SIGUSR1 -- sh -c 'trap "echo got-usr1; exit 0" USR1; trap "echo got-term; exit 0" TERM; echo ready; while :; do sleep 0.1; done'
	[ "$status" -eq 0 ] || fail "$output"
	wait_ctr_output ready
	[ "$(state_of "$ID" 'annotations["org.carrel.stop-signal"]')" = SIGUSR1 ]
	run -0 carrel kill "$ID"
	wait_ctr_output got-usr1
	vs_bg "$ID-t" -d -- sh -c 'trap "echo got-term; exit 0" TERM; echo ready2; while :; do sleep 0.1; done'
	wait_ctr_output ready2
	run -0 carrel kill "$ID-t"
	wait_ctr_output got-term
	run carrel run --rootfs "$ROOTFS" --name "$ID-x" --stop-signal SIGNOPE -- true </dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == *"--stop-signal"*"SIGNOPE"* ]] || fail "$output"
	assert_no_leftovers "$ID-x"
}

@test "--init: the rootfs's /sbin/init (busybox) boots as pid 1 and powers off on the stop signal" {
	local r out
	guest_dirs <<-'IT'
		::sysinit:/bin/sh -c 'echo "booted pid1=$(cat /proc/1/comm) caps=$(grep CapEff /proc/self/status)" >/mnt/out/boot'
		::shutdown:/bin/sh -c 'echo down >/mnt/out/down'
	IT
	boot_guest "$ID"
	wait_file "$out/boot"
	[[ "$(cat "$out/boot")" == "booted pid1=init"* ]] || fail "$(cat "$out/boot")"
	[ "$(state_of "$ID" 'annotations["org.carrel.stop-signal"]')" = SIGUSR2 ]
	# the guest's init reaps: no carrel-init in front of it
	[ "$(state_of "$ID" 'annotations["org.carrel.init"]')" = null ]
	run -0 carrel kill "$ID"
	wait_status "$ID" stopped 15
	[ "$(cat "$out/down")" = down ] || fail "no shutdown action ran"
}

@test "--init: refused with a command, without /sbin/init, or without a pid namespace" {
	run carrel run --rootfs "$ROOTFS" --name "$ID" --init -- sh </dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == *"--init boots the rootfs's /sbin/init: give no command"* ]] || fail "$output"
	mkdir -p "$BATS_TEST_TMPDIR/empty"
	run carrel run --rootfs "$BATS_TEST_TMPDIR/empty" --name "$ID" --init </dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == *"has no /sbin/init"* ]] || fail "$output"
	echo '{"linux": {"namespaces": [{"type": "mount"}]}}' >"$BATS_TEST_TMPDIR/nopid.json"
	run carrel run --rootfs "$ROOTFS" --name "$ID" --profile "$BATS_TEST_TMPDIR/nopid.json" --init </dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == *"--init needs a pid namespace of its own"* ]] || fail "$output"
	assert_no_leftovers
}

@test "reaper: CVE-2019-5736, the carrel image that stays as pid 1 cannot be reached through /proc/1/exe" {
	run --separate-stderr carrel run --rootfs "$ROOTFS" --name "$ID" --profile server -- \
		sh -c 'readlink /proc/1/exe || echo no-link; cat /proc/1/exe >/dev/null 2>&1 && echo opened || echo refused; echo x >>/proc/1/exe 2>/dev/null && echo wrote || echo no-write' </dev/null
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = no-link ] || fail "$output"
	[ "${lines[1]}" = refused ] || fail "$output"
	[ "${lines[2]}" = no-write ] || fail "$output"
}

@test "reaper: a workload that exits at once never leaves its pid 1 waiting" {
	# SIGCHLD is blocked before the fork, so an instant exit is not lost
	local i
	for i in $(seq 25); do
		run carrel run --rootfs "$ROOTFS" --name "$ID-$i" --profile server -- true </dev/null
		[ "$status" -eq 0 ] || fail "run $i: status $status: $output"
	done
}

@test "--init: an init that exits at once says why, never a bare status" {
	local r=$BATS_TEST_TMPDIR/rootfs
	cp -a "$ROOTFS" "$r"
	_open_path "$r"
	rm -f "$r/sbin/init" "$r/bin/init"
	printf '#!/bin/sh\necho "init: no /etc/inittab here" >&2\nexit 3\n' >"$r/bin/init"
	chmod 755 "$r/bin/init"
	run carrel run --rootfs "$r" --name "$ID" --profile server --init </dev/null
	[ "$status" -eq 3 ] || fail "status $status: $output"
	[[ "$output" == *"init: no /etc/inittab here"* ]] || fail "$output"
	[[ "$output" == *"the guest's /sbin/init exited with status 3"* ]] || fail "$output"
	assert_no_leftovers
}

@test "--init: a user namespace of its own unlocks the guest's set; --userns host loosens nothing" {
	local c
	run -0 --separate-stderr carrel run --rootfs "$ROOTFS" --name "$ID" --profile server --init --cap-drop SYS_PTRACE --dry-run
	c=$output
	[ "$(jq -r '.annotations["org.carrel.userns"]' <<<"$c")" = auto ]
	[ "$(jq '[.linux.namespaces[].type] | index("user") != null and index("cgroup") != null' <<<"$c")" = true ]
	[ "$(jq '.process.capabilities.effective | index("CAP_SYS_ADMIN") != null' <<<"$c")" = true ]
	[ "$(jq '.process.capabilities.effective | index("CAP_SYS_PTRACE")' <<<"$c")" = null ] || fail "--cap-drop ignored"
	[ "$(jq -c '.mounts[] | select(.destination == "/sys/fs/cgroup") | .options | index("ro")' <<<"$c")" = null ]
	[ "$(jq -c '[.mounts[].destination] | index("/run/lock") != null' <<<"$c")" = true ]
	[[ "$(jq -r '.process.env[]' <<<"$c")" == *container=carrel*container_uuid=* ]] || fail "$(jq -c .process.env <<<"$c")"
	[ "$(jq '[.linux.seccomp.syscalls[] | select(.action == "SCMP_ACT_ALLOW") | .names[]] | index("unshare") != null' <<<"$c")" = true ]
	# keyrings and bpf stay denied
	[ "$(jq '[.linux.seccomp.syscalls[] | select(.action != "SCMP_ACT_ALLOW") | .names[]] | index("bpf") != null and index("keyctl") != null' <<<"$c")" = true ]

	run -0 --separate-stderr carrel run --rootfs "$ROOTFS" --name "$ID" --profile server --init --userns host --dry-run
	c=$output
	[ "$(jq '.process.capabilities.effective | index("CAP_SYS_ADMIN")' <<<"$c")" = null ]
	[ "$(jq -c '.mounts[] | select(.destination == "/sys/fs/cgroup") | .options | index("ro") != null' <<<"$c")" = true ]
	[ "$(jq '[.linux.seccomp.syscalls[] | select(.action != "SCMP_ACT_ALLOW") | .names[]] | index("mount") != null' <<<"$c")" = true ]
}

@test "--init: the guest's root owns its cgroup (delegated) and makes namespaces and mounts inside" {
	local r out
	guest_dirs <<-'IT'
		::sysinit:/bin/sh -c '{ mkdir /sys/fs/cgroup/svc && echo $$ >/sys/fs/cgroup/svc/cgroup.procs && echo cgroup-ok; unshare -m sh -c "mount -t tmpfs t /mnt && echo mount-ok"; } >/mnt/out/r 2>&1'
	IT
	mkdir -p "$r/mnt/out"
	boot_guest "$ID"
	wait_file "$out/r"
	sleep 0.5
	run cat "$out/r"
	[[ "$output" == *cgroup-ok* && "$output" == *mount-ok* ]] || fail "$output"
	run -0 carrel kill "$ID" KILL
	wait_status "$ID" stopped
}

@test "--init: a missing /etc/machine-id is written, an existing one or a symlink is left alone" {
	local r out
	guest_dirs <<-'IT'
		::sysinit:/bin/sh -c 'cat /etc/machine-id >/mnt/out/id; echo "$container_uuid" >/mnt/out/uuid'
	IT
	rm -f "$r/etc/machine-id"
	boot_guest "$ID"
	wait_file "$out/uuid"
	[[ "$(cat "$r/etc/machine-id")" =~ ^[0-9a-f]{32}$ ]] || fail "$(cat "$r/etc/machine-id")"
	[ "$(cat "$out/id")" = "$(cat "$r/etc/machine-id")" ] && [ "$(cat "$out/uuid")" = "$(cat "$out/id")" ] ||
		fail "id $(cat "$out/id"), uuid $(cat "$out/uuid")"
	run -0 carrel kill "$ID" KILL
	wait_status "$ID" stopped
	run -0 carrel delete "$ID"
	# an existing id stays; a symlink (the rootfs is hostile) is never followed
	echo 0123456789abcdef0123456789abcdef >"$r/etc/machine-id"
	boot_guest "$ID-2"
	[ "$(cat "$r/etc/machine-id")" = 0123456789abcdef0123456789abcdef ]
	run -0 carrel kill "$ID-2" KILL
	wait_status "$ID-2" stopped
	rm -f "$r/etc/machine-id"
	ln -s "$BATS_TEST_TMPDIR/host-file" "$r/etc/machine-id"
	boot_guest "$ID-3"
	[ ! -e "$BATS_TEST_TMPDIR/host-file" ] || fail "wrote through a symlink"
	run -0 carrel kill "$ID-3" KILL
	wait_status "$ID-3" stopped
}
