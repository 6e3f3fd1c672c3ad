#!/usr/bin/env bats
# `carrel console NAME`: the console of a detached one-line server
# (run --rootfs -d with -t or --init), held by its console keeper. Driven
# from a pty, as a person at a terminal would (lib/console_driver.py).

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() { common_setup; }
teardown() { common_teardown; }

DETACH='send:\x1d\x1d\x1d'

# attach STEP... — `carrel console $ID` on a fresh pty, playing the steps
# (bats `run`; the output lines are prefixed out:).
attach() {
	run timeout 60 python3 "$LIBDIR/console_driver.py" "$@" -- "$CARREL" --root "$STATE" console "$ID"
}

# keeper_pid — the console keeper's pid, from the state dir.
keeper_pid() { cut -d' ' -f1 "$STATE/$ID/console.pid"; }

# alive PID — the process runs (a zombie waiting for its reaper does not).
alive() { [ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

@test "console: attach to a detached -t server's shell, type, detach with Ctrl-] x3, re-attach to the same shell" {
	local name start
	start=$SECONDS
	# a pipe, as in name=$(carrel run -d ...): the keeper does not hold it
	name=$(timeout 10 "$CARREL" --root "$STATE" run --rootfs "$ROOTFS" --name "$ID" -d -t -- sh)
	[ "$name" = "$ID" ] || fail "printed: $name"
	[ $((SECONDS - start)) -lt 5 ] || fail "run -d -t waited"
	local keeper
	keeper=$(keeper_pid)
	alive "$keeper" || fail "no keeper"
	[ "$(cat "/proc/$keeper/comm")" = carrel-console ]
	[ -S "$STATE/$ID/console.sock" ]

	# type a command, see its output; the window size follows; a lone
	# Ctrl-] reaches the console (cat -v shows it as ^]), and so do three
	# that are not within a second; then detach
	attach 'expect:Ctrl-\] three times' raw 'send:echo mark-$((6*7)); kept=yes-$$\r' 'expect:mark-42' \
		'size:31x97' 'send:stty size\r' 'expect:31 97' \
		'send:cat -v\r' 'send:a\x1db\r' 'expect:a\^\]b' \
		'send:\x1d\x1d' 'sleep:1.5' 'send:\x1dc\r' 'expect:\^\]\^\]\^\]c' 'send:\x04' \
		"$DETACH" exit
	[ "$status" -eq 0 ] || fail "$output"
	grep -qx raw=1 <<<"$output" || fail "not raw: $output"
	grep -qx restored=1 <<<"$output" || fail "termios not restored: $output"
	grep -qx status=0 <<<"$output" || fail "$output"
	grep -q "out:Detached from the console of $ID" <<<"$output" || fail "$output"
	# the server keeps running
	[ "$(state_of "$ID" status)" = running ]

	# re-attach: the same shell, with the same variables
	attach 'send:echo again-$kept\r' 'expect:again-yes-[0-9]+' "$DETACH" exit
	[ "$status" -eq 0 ] || fail "$output"
	grep -q "^out:again-yes-" <<<"$output" || fail "$output"
	[ "$(state_of "$ID" status)" = running ]

	# carrel logs has what the console printed
	run -0 carrel logs "$ID"
	[[ "$output" == *mark-42* && "$output" == *again-yes-* ]] || fail "$output"

	# delete --force: no keeper, no socket
	run -0 carrel delete --force "$ID"
	! alive "$keeper" || fail "keeper $keeper left"
	[ ! -e "$STATE/$ID" ]
}

@test "console: one client at a time; the keeper ends with the server" {
	carrel_bg run --rootfs "$ROOTFS" --name "$ID" -d -t -- sh
	[ "$status" -eq 0 ] || fail "$output"
	local keeper
	keeper=$(keeper_pid)
	# a first client, not on a terminal, stays attached while its stdin is open
	local first=$BATS_TEST_TMPDIR/first.out
	timeout 20 "$CARREL" --root "$STATE" console "$ID" < <(exec 3>&-; echo 'echo from-first'; sleep 5) \
		>"$first" 2>&1 3>&- &
	BG_PIDS+=($!)
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q from-first "$first" && break
		sleep 0.05
	done
	grep -q from-first "$first" || fail "first client: $(cat "$first")"
	run carrel console "$ID" </dev/null
	[ "$status" -ne 0 ] || fail "a second client attached"
	[[ "$output" == *"in use"* ]] || fail "$output"

	# the server stops: the keeper goes, with its socket; the client learns it
	run -0 carrel kill "$ID" KILL
	wait_status "$ID" stopped
	for ((i = 0; i < 100; i++)); do
		alive "$keeper" || break
		sleep 0.05
	done
	! alive "$keeper" || fail "keeper outlived the server"
	[ ! -e "$STATE/$ID/console.sock" ] || fail "socket left"
	for ((i = 0; i < 100; i++)); do
		grep -q "container stopped" "$first" && break
		sleep 0.05
	done
	grep -q "container stopped" "$first" || fail "first client: $(cat "$first")"
	run carrel console "$ID" </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *"has no console"* ]] || fail "$output"
	run -0 carrel delete "$ID"
}

@test "console: a -d server without a terminal has no console, and says how to get one" {
	carrel_bg run --rootfs "$ROOTFS" --name "$ID" -d -- sleep 100
	[ "$status" -eq 0 ] || fail "$output"
	[ ! -e "$STATE/$ID/console.pid" ] || fail "a keeper without a terminal"
	run carrel console "$ID" </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *"has no console"*"-t"* ]] || fail "$output"
	run carrel console "$ID-nope" </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]] || fail "$output"
	run -0 carrel help console
	[[ "$output" == *"Ctrl-] three times"* ]] || fail "$output"
	run -0 carrel delete --force "$ID"
}

@test "console: run -d --init keeps the guest init's console; a shell it spawns there answers" {
	local r=$BATS_TEST_TMPDIR/rootfs
	cp -a "$ROOTFS" "$r"
	_open_path "$r"
	printf '%s\n' '::sysinit:/bin/echo sysinit-ran' '::respawn:-/bin/sh' >"$r/etc/inittab"
	carrel_bg run --rootfs "$r" --name "$ID" --profile server -d --init
	[ "$status" -eq 0 ] || fail "$output"
	local keeper
	keeper=$(keeper_pid)
	attach 'send:\r' 'send:echo guest-$((40+2)) $(tty)\r' 'expect:guest-42 /dev/' "$DETACH" exit
	[ "$status" -eq 0 ] || fail "$output"
	run -0 carrel logs "$ID"
	[[ "$output" == *sysinit-ran* && "$output" == *guest-42* ]] || fail "$output"
	# the stop signal (busybox init: USR2) ends it, and with it the keeper
	run -0 carrel kill --timeout 10 "$ID"
	wait_status "$ID" stopped
	local i
	for ((i = 0; i < 100; i++)); do
		alive "$keeper" || break
		sleep 0.05
	done
	! alive "$keeper" || fail "keeper outlived the guest"
	run -0 carrel delete "$ID"
}
