#!/usr/bin/env bats
# LSMs in the systemd VM. AppArmor (tests/vm/run-systemd.sh boots Debian's kernel
# with apparmor=1 security=apparmor): a test profile is loaded with
# apparmor_parser, carrel applies it to the init (process.apparmorProfile)
# and to exec'd processes (exec --apparmor), just before execve.

load ../integration/helpers

PROFILE=carrel-vm-test

setup_file() {
	common_setup_file
	[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] || return 0
	command -v apparmor_parser >/dev/null || return 0
	# Everything is allowed but writing below /tmp/denied.
	cat >"$BATS_FILE_TMPDIR/profile" <<-EOP
		profile $PROFILE flags=(attach_disconnected,mediate_deleted) {
		  file,
		  capability,
		  network,
		  signal,
		  ptrace,
		  unix,
		  mount,
		  umount,
		  pivot_root,
		  deny /tmp/denied/** w,
		}
	EOP
	apparmor_parser -r "$BATS_FILE_TMPDIR/profile"
}
teardown_file() {
	apparmor_parser -R "$BATS_FILE_TMPDIR/profile" 2>/dev/null || true
	common_teardown_file
}
need_apparmor() {
	[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] || skip "AppArmor is not enabled here"
	command -v apparmor_parser >/dev/null || skip "no apparmor_parser (Debian package apparmor)"
}
setup() {
	common_setup
	make_bundle
	add_tmp
}
teardown() { common_teardown; }

@test "apparmor: the profile is loaded in the guest" {
	need_apparmor
	grep -q "^$PROFILE (enforce)" /sys/kernel/security/apparmor/profiles ||
		fail "$(cat /sys/kernel/security/apparmor/profiles)"
}

@test "apparmor: process.apparmorProfile confines the container's process; a denied write fails, others work" {
	need_apparmor
	cfg '.process.apparmorProfile = $p' --arg p "$PROFILE"
	set_sh 'cat /proc/self/attr/current; mkdir /tmp/denied /tmp/ok; echo x > /tmp/ok/f && echo ok-written
		if echo x > /tmp/denied/f; then echo denied-written; else echo denied-refused; fi'
	run_ctr
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = "$PROFILE (enforce)" ] || fail "$output"
	[[ "$output" == *ok-written* ]] || fail "$output"
	[[ "$output" == *denied-refused* ]] || fail "$output"
	[[ "$output" == *"Permission denied"* ]] || fail "$output"
	[[ "$output" != *denied-written* ]] || fail "$output"
}

@test "apparmor: without a profile the container is unconfined" {
	need_apparmor
	set_sh 'cat /proc/self/attr/current; mkdir /tmp/denied && echo x > /tmp/denied/f && echo denied-written'
	run_ctr
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = unconfined ] || fail "$output"
	[[ "$output" == *denied-written* ]] || fail "$output"
}

@test "apparmor: exec --apparmor confines an exec'd process; exec without it gets the container's profile" {
	need_apparmor
	set_args sleep 1000
	start_ctr
	run -0 carrel exec "$ID" cat /proc/self/attr/current
	[ "$output" = unconfined ] || fail "$output"
	run carrel exec --apparmor "$PROFILE" "$ID" cat /proc/self/attr/current
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = "$PROFILE (enforce)" ] || fail "$output"
	run carrel exec --apparmor "$PROFILE" "$ID" sh -c 'mkdir -p /tmp/denied && echo x > /tmp/denied/f'
	[ "$status" -ne 0 ] || fail "the denied write worked: $output"
	run -0 carrel delete --force "$ID"

	cfg '.process.apparmorProfile = $p' --arg p "$PROFILE"
	start_ctr
	run -0 carrel exec "$ID" cat /proc/self/attr/current
	[ "$output" = "$PROFILE (enforce)" ] || fail "exec inherits the container's profile (as runc): $output"
}

@test "apparmor: a non-root process in a user namespace is confined too (run and exec --apparmor)" {
	need_apparmor
	add_ns user
	cfg '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
	   | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
	   | .process.user = {uid: 1000, gid: 1000} | .process.apparmorProfile = $p' --arg p "$PROFILE"
	set_sh 'id -u; cat /proc/self/attr/current; sleep 100'
	start_ctr
	wait_ctr_output "$PROFILE (enforce)"
	grep -qx 1000 "$CTR_OUT" || fail "$(cat "$CTR_OUT")"
	run carrel exec --apparmor unconfined "$ID" cat /proc/self/attr/current
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = unconfined ] || fail "$output"
}

@test "apparmor: a profile that is not loaded fails with its name and leaves nothing behind" {
	need_apparmor
	cfg '.process.apparmorProfile = "carrel-not-loaded"'
	set_args true
	run_ctr
	[ "$status" -ne 0 ] || fail "ran without its profile: $output"
	[[ "$output" == *'AppArmor profile "carrel-not-loaded" is not loaded'* ]] || fail "$output"
	assert_no_leftovers
	set_args sleep 1000
	cfg '.process.apparmorProfile = ""'
	start_ctr
	run carrel exec --apparmor carrel-not-loaded-either "$ID" true
	[ "$status" -ne 0 ] || fail "$output"
	[[ "$output" == *'"carrel-not-loaded-either" is not loaded'* ]] || fail "$output"
}

# SELinux and AppArmor are exclusive major LSMs in Debian's 6.1 kernel, and a
# policy needs selinux-policy-default (large, and slow to load under TCG):
# the SELinux plumbing is covered by tests/unit/test-lsm.c instead.
@test "selinux: process.selinuxLabel and linux.mountLabel in a guest with a loaded policy" {
	[ "$(stat -fc %T /sys/fs/selinux 2>/dev/null)" = selinuxfs ] && [ -e /sys/fs/selinux/policy ] ||
		skip "no SELinux policy in this guest (it boots with AppArmor; see tests/vm/README.md)"
	local label mlabel
	label=$(sed 's/:[^:]*_t:/:container_t:/' /proc/self/attr/current)
	mlabel=system_u:object_r:container_file_t:s0
	cfg '.process.selinuxLabel = $l | .linux.mountLabel = $m' --arg l "$label" --arg m "$mlabel"
	set_sh 'cat /proc/self/attr/current; echo; grep " /tmp " /proc/self/mounts'
	run_ctr
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = "$label" ] || fail "$output"
	[[ "$output" == *"context=\"$mlabel\""* || "$output" == *"context=$mlabel"* ]] || fail "$output"
}
