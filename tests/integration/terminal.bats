#!/usr/bin/env bats
# process.terminal: a pty for the container, handed to --console-socket or
# proxied by a foreground run/exec; exec --tty.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() {
	common_setup
	make_bundle
	set_args sleep 1000
}
teardown() { common_teardown; }

# Printed by the container (or exec'd process) as KEY=VALUE lines.
TTY_REPORT='t=$(tty); echo "tty=$t"
echo "console=$(stat -c "%t:%T:%F" /dev/console 2>&1)"
echo "ttydev=$(stat -L -c "%t:%T" "$t" 2>&1)"
echo "size=$(stty size 2>&1)"
for f in 0 1 2; do echo "fd$f=$(readlink /proc/$$/fd/$f)"; done
read -r pid comm st ppid pgrp sid ttynr rest < /proc/$$/stat
echo "pid=$pid"; echo "sid=$sid"; echo "ttynr=$ttynr"
echo report-done'

# val KEY — a value from the report in $TEXT.
val() { sed -n "s/^$1=//p" <<<"$TEXT" | head -n1; }

# check_tty_report [console] — the report in $TEXT shows a process on a pty
# that is its controlling terminal (and, with "console", /dev/console = pty).
check_tty_report() {
	grep -qx report-done <<<"$TEXT" || fail "incomplete report: $TEXT"
	local t n
	t=$(val tty)
	[[ "$t" =~ ^/dev/pts/([0-9]+)$ ]] || fail "tty is '$t': $TEXT"
	n=${BASH_REMATCH[1]}
	# the pty slave is char 136:N
	[ "$(val ttydev)" = "$(printf '88:%x' "$n")" ] || fail "tty device $(val ttydev), want 136:$n"
	local f
	for f in 0 1 2; do
		[ "$(val fd$f)" = "$t" ] || fail "fd $f is $(val fd$f), want $t: $TEXT"
	done
	# a session leader with the pty as controlling tty: tty_nr = 136 << 8 | N
	[ "$(val sid)" = "$(val pid)" ] || fail "not a session leader: sid $(val sid) pid $(val pid)"
	[ "$(val ttynr)" -eq $((136 * 256 + n)) ] || fail "tty_nr $(val ttynr), want $((136 * 256 + n))"
	if [ "${1:-}" = console ]; then
		[ "$(val console)" = "$(printf '88:%x:character special file' "$n")" ] ||
			fail "/dev/console is $(val console), want char 136:$n"
	fi
	PTY_NAME=$t
}

@test "terminal + --console-socket: the receiver gets the master; the container runs on the pty" {
	cfg '.process.terminal = true | .process.consoleSize = {height: 33, width: 101}'
	set_sh "$TTY_REPORT"
	start_console
	create_ctr "$ID" --console-socket "$CONSOLE_SOCK"
	run -0 carrel start "$ID"
	wait_console
	TEXT=$CONSOLE_TEXT
	check_tty_report console
	[ "$(val size)" = "33 101" ] || fail "stty size: $(val size)"
	# the payload names the same pty; the fd received is a pty master (ptmx 5:2)
	[ "$CONSOLE_NAME" = "$PTY_NAME" ] || fail "payload '$CONSOLE_NAME', tty $PTY_NAME"
	grep -qx 'rdev=5:2' "$CONSOLE_INFO" || fail "received fd: $(cat "$CONSOLE_INFO")"
	# nothing went to carrel's own stdout
	[ ! -s "$CTR_OUT" ] || fail "output outside the pty: $(cat "$CTR_OUT")"
	wait_status "$ID" stopped
}

@test "terminal + --console-socket with run -d" {
	cfg '.process.terminal = true'
	set_sh "$TTY_REPORT"
	start_console
	carrel_bg run -d --console-socket "$CONSOLE_SOCK" --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ] || fail "$output"
	wait_console
	TEXT=$CONSOLE_TEXT
	check_tty_report console
}

@test "terminal without --console-socket: create fails naming console-socket and leaves nothing" {
	cfg '.process.terminal = true'
	bad_create console-socket
}

@test "terminal without --console-socket: run -d fails and leaves nothing" {
	cfg '.process.terminal = true'
	carrel_bg run -d --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ] || fail "run -d succeeded"
	[[ "$output" == *console-socket* ]] || fail "$output"
	assert_no_leftovers
}

@test "terminal: --console-socket that nobody listens on fails and leaves nothing" {
	cfg '.process.terminal = true'
	carrel_bg create --console-socket "$BATS_TEST_TMPDIR/nobody.sock" --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ] || fail "create succeeded"
	[[ "$output" == *nobody.sock* ]] || fail "$output"
	assert_no_leftovers
}

# in_script CMD... — run CMD under util-linux script (a pty as stdin/out),
# bats `run`; the output without carriage returns is in $TEXT.  script's
# stdin stays open for a while: at EOF script writes an EOF char into its
# pty, which the line discipline echoes as "^@" before carrel makes it raw.
# script runs CMD with $SHELL -c, or /bin/sh (dash) where SHELL is unset, as
# in CI; printf %q quotes newlines as $'...', which only bash reads.
in_script() {
	local cmd
	cmd=$(printf '%q ' "$@")
	SHELL=/bin/bash run timeout -k 5 "$CARREL_TIMEOUT" script -qec "$cmd" /dev/null < <(exec 3>&-; sleep 3)
	TEXT=$(tr -d '\r' <<<"$output")
}

@test "terminal: foreground run without a socket proxies the pty; exit status passes through" {
	cfg '.process.terminal = true | .process.consoleSize = {height: 21, width: 77}'
	set_sh "$TTY_REPORT"'
exit 5'
	in_script "$CARREL" --root "$STATE" run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 5 ] || fail "status $status: $TEXT"
	check_tty_report console
	[ "$(val size)" = "21 77" ] || fail "stty size: $(val size)"
	# a foreground run deletes the container when it exits
	assert_no_leftovers
}

@test "terminal: the proxy survives the init closing and reopening /dev/console (a hangup is not the end)" {
	cfg '.process.terminal = true'
	# Every holder of the pty's slave closes it (the master sees a hangup),
	# then the init opens /dev/console again and writes, as systemd does at boot.
	set_sh 'echo before-close; exec 0<&- 1>&- 2>&-; sleep 1; exec 1>/dev/console 2>&1; echo after-reopen; exit 3'
	in_script "$CARREL" --root "$STATE" run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 3 ] || fail "status $status: $TEXT"
	[[ "$TEXT" == *before-close* ]] || fail "$TEXT"
	[[ "$TEXT" == *after-reopen* ]] || fail "lost after the hangup: $TEXT"
	assert_no_leftovers
}

@test "terminal: foreground run gets input through the proxy" {
	cfg '.process.terminal = true'
	set_sh 'read -r line; echo "got:$line"'
	local cmd
	cmd=$(printf '%q ' "$CARREL" --root "$STATE" run --bundle "$BUNDLE" "$ID")
	SHELL=/bin/bash run timeout -k 5 "$CARREL_TIMEOUT" script -qec "$cmd" /dev/null < <(exec 3>&-; sleep 0.5; echo hello-in; sleep 2)
	TEXT=$(tr -d '\r' <<<"$output")
	[ "$status" -eq 0 ] || fail "status $status: $TEXT"
	grep -qx 'got:hello-in' <<<"$TEXT" || fail "$TEXT"
}

@test "exec --tty in the foreground (under script) runs on a pty" {
	start_ctr
	in_script "$CARREL" --root "$STATE" exec --tty "$ID" sh -c "$TTY_REPORT"'
exit 3'
	[ "$status" -eq 3 ] || fail "status $status: $TEXT"
	check_tty_report
	# not the caller's pty (that one is not visible in the container at all)
	[ "$(state_of "$ID" status)" = running ]
}

@test "exec --tty --console-socket hands the master to the socket" {
	start_ctr
	start_console
	run carrel exec --tty --console-socket "$CONSOLE_SOCK" "$ID" sh -c "$TTY_REPORT" </dev/null
	[ "$status" -eq 0 ] || fail "status $status: $output"
	wait_console
	TEXT=$CONSOLE_TEXT
	check_tty_report
	[ "$CONSOLE_NAME" = "$PTY_NAME" ] || fail "payload '$CONSOLE_NAME', tty $PTY_NAME"
	# the output went to the pty, not to carrel's stdout
	[[ "$output" != *report-done* ]] || fail "$output"
}

@test "exec --tty --console-socket --detach" {
	start_ctr
	start_console
	carrel_bg exec -t -d --console-socket "$CONSOLE_SOCK" "$ID" sh -c "$TTY_REPORT"
	[ "$status" -eq 0 ] || fail "$output"
	wait_console
	TEXT=$CONSOLE_TEXT
	check_tty_report
}

@test "exec --tty --detach without a socket fails" {
	start_ctr
	carrel_bg exec -t -d "$ID" true
	[ "$status" -ne 0 ] || fail "exec succeeded"
	[[ "$output" == *console-socket* ]] || fail "$output"
}

@test "terminal proxy: the caller's terminal goes raw, a resize reaches the container (SIGWINCH), the modes come back" {
	cfg '.process.terminal = true'
	set_sh 'trap "echo size=\$(stty size); exit 4" WINCH; echo ready; i=0; while [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; echo no-winch'
	run timeout 30 python3 "$LIBDIR/console_driver.py" expect:ready raw size:33x99 exit -- "$CARREL" --root "$STATE" run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ] || fail "$output"
	grep -qx "raw=1" <<<"$output" || fail "the caller's terminal was not raw: $output"
	grep -qx "out:size=33 99" <<<"$output" || fail "the resize did not arrive: $output"
	grep -qx "restored=1" <<<"$output" || fail "termios not restored: $output"
	grep -qx "status=4" <<<"$output" || fail "$output"
}

@test "terminal: the pty has ONLCR cleared (as runc), so output carries no stray carriage returns" {
	cfg '.process.terminal = true'
	set_sh 'stty -a | grep -o -- "-\{0,1\}onlcr"; printf "a\nb\n"'
	in_script "$CARREL" --root "$STATE" run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ] || fail "status $status: $TEXT"
	grep -qx -- -onlcr <<<"$TEXT" || fail "$TEXT"
	# the raw bytes: "a\nb\n" arrives without "\r"
	[[ "$output" == *$'a\nb'* ]] || fail "$(od -c <<<"$output" | head)"
}

@test "exec without --tty runs without a terminal even when config.json has terminal: true; --process takes it from the file" {
	cfg '.process.terminal = true'
	start_console
	create_ctr "$ID" --console-socket "$CONSOLE_SOCK"
	run carrel start "$ID"
	[ "$status" -eq 0 ] || fail "$output"
	run carrel exec "$ID" sh -c 'tty || true'
	[ "$status" -eq 0 ] || fail "status $status: $output"
	[ "$output" = "not a tty" ] || fail "$output"
	jq '.process | .args = ["sh", "-c", "tty || true"] | .terminal = false' "$BUNDLE/config.json" >"$BATS_TEST_TMPDIR/p.json"
	run carrel exec --process "$BATS_TEST_TMPDIR/p.json" "$ID"
	[ "$status" -eq 0 ] || fail "status $status: $output"
	[ "$output" = "not a tty" ] || fail "$output"
	start_console exec
	jq '.process | .args = ["sh", "-c", "tty"] | .terminal = true' "$BUNDLE/config.json" >"$BATS_TEST_TMPDIR/t.json"
	run carrel exec --console-socket "$CONSOLE_SOCK" --process "$BATS_TEST_TMPDIR/t.json" "$ID" </dev/null
	[ "$status" -eq 0 ] || fail "status $status: $output"
	wait_console
	[[ "$CONSOLE_TEXT" == /dev/pts/* ]] || fail "$CONSOLE_TEXT"
}

@test "terminal: the pty belongs to the process's user and keeps the tty group, for run and exec (as runc)" {
	cfg '.process.terminal = true | .process.user = {uid: 1000, gid: 100}'
	set_sh 'stat -c "%u:%g" $(tty)'
	in_script "$CARREL" --root "$STATE" run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ] || fail "status $status: $TEXT"
	[[ "$TEXT" == *"1000:5"* ]] || fail "run: the pty is $TEXT, want 1000:5"
	# exec: the same for the exec'd process's user
	cfg '.process.terminal = false | .process.user = {uid: 0, gid: 0}'
	set_args sleep 1000
	start_ctr
	in_script "$CARREL" --root "$STATE" exec -t --user 1000:100 "$ID" sh -c 'stat -c "%u:%g" $(tty)'
	[ "$status" -eq 0 ] || fail "status $status: $TEXT"
	[[ "$TEXT" == *"1000:5"* ]] || fail "exec: the pty is $TEXT, want 1000:5"
}
