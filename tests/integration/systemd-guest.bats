#!/usr/bin/env bats
# A real distro as a virtual server: Debian 12 with systemd, booted with
# `carrel run --rootfs DIR --profile server --init`, checked from outside
# and from inside. The rootfs is built once with debootstrap from the apt
# mirror and cached in the build directory (tests/lib/make-debian-rootfs.sh);
# without a reachable mirror the tests skip.

load helpers

# one cache for every build tier (build/, build-asan/): the source tree's build/
DEBIAN_CACHE=${CARREL_DEBIAN_ROOTFS:-$(realpath -m "$BATS_TEST_DIRNAME/../../build/debian-rootfs")}

setup_file() {
	common_setup_file
	local rc=0
	"$BATS_TEST_DIRNAME/../lib/make-debian-rootfs.sh" "$DEBIAN_CACHE" >"$BATS_FILE_TMPDIR/debian.out" 2>&1 || rc=$?
	echo "$rc" >"$BATS_FILE_TMPDIR/debian-rc"
}
teardown_file() { common_teardown_file; }

setup() {
	common_setup
	case $(cat "$BATS_FILE_TMPDIR/debian-rc") in
	0) ;;
	77) skip "the Debian mirror is unreachable: no debootstrap rootfs" ;;
	*) skip "debootstrap failed (see $DEBIAN_CACHE.log)" ;;
	esac
	# a private copy per test: the guest writes its journal, machine-id, ...
	GUEST=$BATS_TEST_TMPDIR/debian
	cp -a "$DEBIAN_CACHE" "$GUEST"
	rm -f "$GUEST/etc/hostname" # the container's hostname (its name) stays
	_open_path "$GUEST"
}
teardown() { common_teardown; }

# since START — seconds (one decimal) from START (date +%s.%N) to now.
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# gexec CMD... — run CMD in the guest (bats `run`). A guest booted on a
# terminal gives exec a pty too: its output has CRLF line ends.
gexec() {
	run carrel exec "$ID" "$@" </dev/null
	output=${output//$'\r'/}
	lines=("${lines[@]//$'\r'/}")
}

# wait_running [SECS] — until systemctl is-system-running says running or degraded.
wait_running() {
	local secs=${1:-60} i
	for ((i = 0; i < secs * 10; i++)); do
		gexec systemctl is-system-running
		[[ "$output" == running || "$output" == degraded ]] && return 0
		sleep 0.1
	done
	fail "never running: $output"
}

@test "systemd guest: boots to running on the console, serves systemd-run and the journal, reboots, powers off with 0" {
	local log=$BATS_TEST_TMPDIR/console.log start
	start=$(date +%s.%N)
	# the foreground run on a pty (util-linux script), as a user at a terminal would start it
	script -qfec "$(printf '%q ' "$CARREL" --root "$STATE" run --rootfs "$GUEST" --name "$ID" --profile server --init)" \
		"$log" < <(exec 3>&-; sleep 120) >/dev/null 2>&1 3>&- &
	local script_pid=$!
	BG_PIDS+=("$script_pid")
	wait_running 60
	local ready
	echo "# carrel run --init: running after $(since "$start") s" >&3

	# the console shows the boot and the login prompt
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q "$ID login:" "$log" && break
		sleep 0.1
	done
	grep -q "Welcome to" "$log" || fail "no boot messages: $(tail -c 2000 "$log")"
	grep -q "$ID login:" "$log" || fail "no login prompt: $(tail -c 2000 "$log")"

	# the container interface
	gexec cat /run/systemd/container
	[ "$output" = carrel ] || fail "$output"
	gexec hostname
	[ "$output" = "$ID" ] || fail "hostname: $output"
	gexec cat /etc/machine-id
	[[ "$output" =~ ^[0-9a-f]{32}$ ]] || fail "machine-id: $output"

	# a service of its own, sandboxed with a private /tmp, logging to the journal
	gexec systemd-run --wait --quiet -p PrivateTmp=yes sh -c 'echo marker-$$ >/tmp/f; cat /tmp/f; echo svc-ran-ok'
	[ "$status" -eq 0 ] || fail "systemd-run: $output"
	gexec test -e /tmp/f
	[ "$status" -ne 0 ] || fail "PrivateTmp= did not give the service its own /tmp"
	for ((i = 0; i < 50; i++)); do
		gexec journalctl --no-pager -o cat
		[[ "$output" == *svc-ran-ok* ]] && break
		sleep 0.1
	done
	[[ "$output" == *svc-ran-ok* ]] || fail "not in the journal: $output"

	# ps inside shows only the guest: its systemd is pid 1
	gexec ps -eo pid=,comm=
	[[ "$output" == *"1 systemd"* ]] || fail "$output"
	[[ "$output" != *carrel* && "$output" != *bats* ]] || fail "host processes visible: $output"
	# carrel ps sees the processes in the guest's sub-cgroups too
	run -0 carrel ps --format json "$ID"
	[ "$(jq length <<<"$output")" -ge 4 ] || fail "carrel ps: $output"

	# reboot inside boots the guest again (a fresh /run), the same run goes on
	gexec touch /run/before-reboot
	gexec systemctl reboot
	sleep 1
	wait_running 60
	gexec test -e /run/before-reboot
	[ "$status" -ne 0 ] || fail "no new boot after reboot"
	grep -q "the guest rebooted" "$log" || fail "$(tail -c 1500 "$log")"

	# poweroff inside ends the foreground run with 0
	gexec systemctl poweroff
	local rc=0
	wait "$script_pid" || rc=$?
	[ "$rc" -eq 0 ] || fail "run exited $rc after poweroff: $(tail -c 1500 "$log")"
	run -0 carrel list -q
	[ -z "$output" ] || fail "left: $output"
}

@test "systemd guest: carrel kill stops a detached guest with its stop signal, cleanly" {
	carrel_bg run --rootfs "$GUEST" --name "$ID" --profile server --init -d
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(state_of "$ID" 'annotations["org.carrel.stop-signal"]')" = SIGRTMIN+3 ]
	wait_running 60
	# carrel wrote the missing /etc/machine-id, so no first-boot wizard wants a
	# console that a detached guest lacks: running, not degraded
	gexec systemctl is-system-running
	[ "$output" = running ] || fail "$output: $(carrel exec "$ID" systemctl --failed --no-pager)"
	gexec cat /etc/machine-id
	[ "$output" = "$(cat "$GUEST/etc/machine-id")" ] || fail "$output"
	local start=$SECONDS
	run -0 carrel kill --timeout 20 "$ID"
	[[ "$output" != *"did not stop"* ]] || fail "needed KILL: $output"
	wait_status "$ID" stopped 5
	[ $((SECONDS - start)) -lt 20 ]
	run -0 carrel delete "$ID"
}

@test "systemd guest: carrel console attaches to a detached guest's login prompt and detaches" {
	carrel_bg run --rootfs "$GUEST" --name "$ID" --profile server --init -d
	[ "$status" -eq 0 ] || fail "$output"
	wait_running 60
	# getty is on the console the keeper holds: Enter brings the prompt back
	run timeout 60 python3 "$LIBDIR/console_driver.py" 'send:\r' "expect:$ID login:" 'send:\x1d\x1d\x1d' exit \
		-- "$CARREL" --root "$STATE" console "$ID"
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(state_of "$ID" status)" = running ]
	run -0 carrel logs "$ID"
	[[ "$output" == *"Welcome to"* ]] || fail "no boot messages in the log: ${output: -1500}"
	run -0 carrel kill --timeout 20 "$ID"
	wait_status "$ID" stopped 5
	run -0 carrel delete "$ID"
}

@test "systemd-nspawn -b on the same rootfs, for the time to running" {
	command -v systemd-nspawn >/dev/null || skip "systemd-nspawn (package systemd-container) is not installed"
	local start i leader out
	start=$(date +%s.%N)
	script -qfec "systemd-nspawn --register=no --keep-unit -q -b -D $(printf %q "$GUEST") -M nspawn-$$" /dev/null \
		< <(exec 3>&-; sleep 120) >/dev/null 2>&1 3>&- &
	local pid=$!
	BG_PIDS+=("$pid")
	for ((i = 0; i < 600; i++)); do
		leader=$(guest_systemd_below "$pid")
		out=
		[ -z "$leader" ] || out=$(nsenter -t "$leader" -a -r -w systemctl is-system-running 2>/dev/null) || true
		if [[ "$out" == running || "$out" == degraded ]]; then
			echo "# systemd-nspawn -b: running after $(since "$start") s" >&3
			nsenter -t "$leader" -a -r -w systemctl poweroff || true
			wait "$pid" || true
			return 0
		fi
		sleep 0.1
	done
	fail "nspawn never reached running"
}

# guest_systemd_below PID — the first process named systemd among PID's descendants.
guest_systemd_below() {
	ps -eo pid=,ppid=,comm= | awk -v root="$1" '
		{ parent[$1] = $2; comm[$1] = $3 }
		END { for (p in comm) if (comm[p] == "systemd") { q = p; while (q > 1) { q = parent[q]; if (q == root) { print p; exit } } } }'
}
