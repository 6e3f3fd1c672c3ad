#!/usr/bin/env bats
# linux.seccomp.listenerPath: SCMP_ACT_NOTIFY rules, the notify fd and the
# containerProcessState payload sent to the listener, and a listener that
# answers notifications (lib/seccomp_listener.py: SECCOMP_IOCTL_NOTIF_RECV/SEND
# through fcntl.ioctl on packed struct seccomp_notif / seccomp_notif_resp).

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() {
	common_setup
	make_bundle
	[ "$(uname -m)" = x86_64 ] || skip "the listener decodes x86_64 syscall numbers"
	add_tmp
	LSOCK=$BATS_TEST_TMPDIR/listener.sock
	LOUT=$BATS_TEST_TMPDIR/listener
	mkdir -p "$LOUT"
	cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", listenerPath: $l, listenerMetadata: "meta-xyz",
	                       syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_NOTIFY"}]}' --arg l "$LSOCK"
}
teardown() { common_teardown; }

# start_listener MODE — lib/seccomp_listener.py in the background.
start_listener() {
	python3 "$LIBDIR/seccomp_listener.py" "$LSOCK" "$LOUT" "$1" 15 \
		</dev/null >/dev/null 2>"$LOUT/stderr" 3>&- &
	LISTENER_PID=$!
	BG_PIDS+=("$LISTENER_PID")
	local i
	for ((i = 0; i < 200; i++)); do
		[ -S "$LSOCK" ] && return 0
		sleep 0.025
	done
	fail "listener did not start: $(cat "$LOUT/stderr")"
}

MKDIR_SH='mkdir /tmp/d; echo "rc=$?"; if [ -d /tmp/d ]; then echo exists; else echo absent; fi'

@test "seccomp notify: the listener gets the notify fd and the containerProcessState payload" {
	start_listener none
	set_args sleep 1000
	start_ctr
	wait_file "$LOUT/payload.json"
	local p pid
	p=$(cat "$LOUT/payload.json")
	pid=$(state_of "$ID" pid)
	[ "$(cat "$LOUT/nfds")" = 1 ] || fail "fds received: $(cat "$LOUT/nfds")"
	[ "$(cat "$LOUT/fdlink")" = "anon_inode:seccomp notify" ] || fail "fd: $(cat "$LOUT/fdlink")"
	[ -n "$(jq -r .ociVersion <<<"$p")" ] && [ "$(jq -r .ociVersion <<<"$p")" != null ] || fail "$p"
	[ "$(jq -c .fds <<<"$p")" = '["seccompFd"]' ] || fail "$p"
	[ "$(jq -r .pid <<<"$p")" = "$pid" ] || fail "pid: $p (init $pid)"
	[ "$(jq -r .metadata <<<"$p")" = meta-xyz ] || fail "$p"
	[ "$(jq -r .state.id <<<"$p")" = "$ID" ] || fail "$p"
	[ "$(jq -r .state.bundle <<<"$p")" = "$BUNDLE" ] || fail "$p"
	[ "$(jq -r .state.pid <<<"$p")" = "$pid" ] || fail "$p"
	[[ "$(jq -r .state.status <<<"$p")" =~ ^(creating|created|running)$ ]] || fail "$p"
}

@test "seccomp notify: a listener answering EPERM makes mkdir fail (not executed)" {
	start_listener eperm
	set_sh "$MKDIR_SH"
	run_ctr
	[ "$status" -eq 0 ] || fail "$output"
	[[ "$output" == *"Operation not permitted"* ]] || fail "$output"
	grep -qx 'rc=1' <<<"$output" || fail "$output"
	grep -qx absent <<<"$output" || fail "$output"
	wait_file "$LOUT/notifs"
	grep -qE '^nr=(83|258) pid=[1-9][0-9]*$' "$LOUT/notifs" || fail "notifications: $(cat "$LOUT/notifs")"
}

@test "seccomp notify: a listener faking success makes mkdir return 0 without a directory" {
	start_listener fake
	set_sh "$MKDIR_SH"
	run_ctr
	[ "$status" -eq 0 ] || fail "$output"
	grep -qx 'rc=0' <<<"$output" || fail "$output"
	# only the listener's answer can make mkdir succeed without creating anything
	grep -qx absent <<<"$output" || fail "$output"
	grep -qE '^nr=(83|258) ' "$LOUT/notifs" || fail "notifications: $(cat "$LOUT/notifs" 2>/dev/null)"
}

@test "seccomp notify: other syscalls are not sent to the listener" {
	start_listener fake
	set_sh 'touch /tmp/f && echo touched; ls /tmp'
	run_ctr
	[ "$status" -eq 0 ] || fail "$output"
	grep -qx touched <<<"$output"
	grep -qx f <<<"$output"
	[ ! -s "$LOUT/notifs" ] || fail "notifications: $(cat "$LOUT/notifs")"
}

@test "seccomp notify: listenerPath that nobody listens on fails create, nothing left" {
	set_args true
	carrel_bg create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ] || fail "create succeeded"
	[[ "$output" == *listener* ]] || fail "$output"
	assert_no_leftovers
}
