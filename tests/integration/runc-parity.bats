#!/usr/bin/env bats
# runc parity that engines lean on: --pidfd-socket (create, run, exec) and
# run --keep.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() {
	common_setup
	make_bundle
}
teardown() { common_teardown; }

# start_pidfd_recv [SIGNAL] — a --pidfd-socket receiver in the background
# (lib/pidfd_recv.py). Sets PIDFD_SOCK, PIDFD_INFO and PIDFD_RECV_PID.
start_pidfd_recv() {
	PIDFD_SOCK=$BATS_TEST_TMPDIR/pidfd.sock
	PIDFD_INFO=$BATS_TEST_TMPDIR/pidfd.info
	python3 "$LIBDIR/pidfd_recv.py" "$PIDFD_SOCK" "$PIDFD_INFO" "$@" \
		</dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/pidfd.err" 3>&- &
	PIDFD_RECV_PID=$!
	BG_PIDS+=("$PIDFD_RECV_PID")
	wait_socket "$PIDFD_SOCK" "$BATS_TEST_TMPDIR/pidfd.err"
}

# pidfd_info KEY — a value the receiver wrote (waits for it the first time).
pidfd_info() {
	[ -e "$PIDFD_INFO" ] || wait "$PIDFD_RECV_PID" || fail "receiver failed: $(cat "$BATS_TEST_TMPDIR/pidfd.err")"
	sed -n "s/^$1=//p" "$PIDFD_INFO"
}

@test "create --pidfd-socket: the receiver gets a pidfd of the init and can signal through it" {
	set_args sleep 1000
	start_pidfd_recv 9
	# the receiver kills at once: compare with the pid file, not a later state
	create_ctr "$ID" --pidfd-socket "$PIDFD_SOCK" --pid-file "$BATS_TEST_TMPDIR/init.pid"
	[ "$(pidfd_info payload)" = pidfd ]
	[ "$(pidfd_info fds)" = 1 ]
	[ "$(pidfd_info pid)" = "$(cat "$BATS_TEST_TMPDIR/init.pid")" ] || fail "pidfd of $(pidfd_info pid)"
	[ "$(pidfd_info sent)" = 9 ]
	wait_status "$ID" stopped
}

@test "run -d --pidfd-socket: the pidfd is the running init's" {
	set_args sleep 1000
	start_pidfd_recv
	carrel_bg run -d --bundle "$BUNDLE" --pidfd-socket "$PIDFD_SOCK" "$ID"
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(state_of "$ID" status)" = running ]
	[ "$(pidfd_info pid)" = "$(state_of "$ID" pid)" ]
}

@test "exec --pidfd-socket: the pidfd is the exec'd process's, not the init's" {
	set_args sleep 1000
	start_ctr
	start_pidfd_recv 15
	run carrel exec -d --pid-file "$BATS_TEST_TMPDIR/exec.pid" --pidfd-socket "$PIDFD_SOCK" "$ID" sleep 999
	[ "$status" -eq 0 ] || fail "$output"
	local pid
	pid=$(cat "$BATS_TEST_TMPDIR/exec.pid")
	[ "$(pidfd_info pid)" = "$pid" ]
	[ "$pid" != "$(state_of "$ID" pid)" ]
	# SIGTERM through the pidfd ended the exec'd sleep; the init lives on
	local i
	for ((i = 0; i < 100; i++)); do
		[ -e "/proc/$pid" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || break
		sleep 0.05
	done
	[ "$i" -lt 100 ] || fail "the exec'd process $pid survived SIGTERM through its pidfd"
	[ "$(state_of "$ID" status)" = running ]
}

@test "--pidfd-socket that nobody listens on fails and leaves nothing" {
	set_args sleep 1000
	carrel_bg create --bundle "$BUNDLE" --pidfd-socket "$BATS_TEST_TMPDIR/nobody.sock" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--pidfd-socket: cannot connect to $BATS_TEST_TMPDIR/nobody.sock"* ]] || fail "$output"
	assert_no_leftovers
}

@test "run --keep: the exited container stays (stopped) until delete" {
	set_sh 'echo kept; exit 4'
	run_ctr --keep
	[ "$status" -eq 4 ] || fail "status $status: $output"
	[ "$output" = kept ]
	[ "$(state_of "$ID" status)" = stopped ]
	run -0 carrel list -q
	[ "$output" = "$ID" ]
	run -0 carrel delete "$ID"
	assert_no_leftovers
}

@test "run --keep with --detach, or --keep on create, is refused" {
	set_args true
	run_ctr --keep --detach
	[ "$status" -eq 1 ]
	[[ "$output" == *"--detach and --keep cannot be used together"* ]] || fail "$output"
	carrel_bg create --keep --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--keep is an option of run"* ]] || fail "$output"
	assert_no_leftovers
}

@test "an almost empty environment (no PATH), as podman calls kill, delete, state, pause" {
	set_args sleep 1000
	start_ctr
	local e=(env -i XDG_RUNTIME_DIR= timeout 20 "$CARREL" --root "$STATE")
	run -0 "${e[@]}" state "$ID"
	[ "$(jq -r .status <<<"$output")" = running ]
	run -0 "${e[@]}" pause "$ID"
	run -0 "${e[@]}" resume "$ID"
	run -0 "${e[@]}" kill "$ID" 9
	wait_status "$ID" stopped
	run -0 "${e[@]}" delete --force "$ID"
	assert_no_leftovers
}

@test "two state roots never see each other's containers" {
	set_args sleep 1000
	start_ctr
	local other=$BATS_TEST_TMPDIR/other-root
	run -0 timeout 20 "$CARREL" --root "$other" list -q
	[ -z "$output" ] || fail "$output"
	run timeout 20 "$CARREL" --root "$other" state "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not exist"* ]]
	run timeout 20 "$CARREL" --root "$other" kill "$ID" 9
	[ "$status" -eq 1 ]
	run -0 timeout 20 "$CARREL" --root "$other" delete --force "$ID"
	# The same id in the other root gets the same default cgroup
	# (/carrel/<id>): shared with a warning, as runc does
	STATE=$other carrel_bg run -d --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ] || fail "$output"
	[[ "$output" == *"container's cgroup is not empty: 1 process(es) found"* ]] || fail "$output"
	local pid2
	pid2=$(timeout 20 "$CARREL" --root "$other" state "$ID" | jq -r .pid)
	grep -qx "$pid2" <(cat /sys/fs/cgroup/carrel/"$ID"/cgroup.procs /sys/fs/cgroup/*/carrel/"$ID"/cgroup.procs 2>/dev/null) ||
		fail "the second init is not in the shared cgroup"
	# deleting the second leaves the first (and the cgroup) alone
	run -0 timeout 20 "$CARREL" --root "$other" delete --force "$ID"
	[ ! -e "$other/$ID" ]
	[ ! -d "/proc/$pid2" ] || [ "$(awk '{print $3}' "/proc/$pid2/stat")" = Z ] || fail "the second init lives on"
	[ "$(state_of "$ID" status)" = running ]
	run -0 carrel list -q
	[ "$output" = "$ID" ]
}

@test "create in a frozen cgroup that is not its own fails at once, as runc" {
	local d
	if d=$(v1_hierarchy freezer); then
		d=$d/carrel/$ID
		mkdir -p "$d"
		echo FROZEN >"$d/freezer.state"
	else
		d=$(cg_root)/carrel/$ID
		mkdir -p "$d"
		echo 1 >"$d/cgroup.freeze"
	fi
	defer rmdir "$d"
	run timeout 20 "$CARREL" --root "$STATE" create --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 1 ] && [[ "$output" == *"container's cgroup unexpectedly frozen"* ]] || fail "$status $output"
	[ ! -e "$STATE/$ID" ]
}

@test "exec --cgroup [CONTROLLER:]PATH: the process runs in an existing cgroup below the container's" {
	local root
	root=$(cg_root) || skip "no cgroup2 hierarchy"
	set_args sleep 1000
	start_ctr
	# sub in every hierarchy of the container, v2only in the cgroup2 one
	# (delete removes them with the container's cgroups)
	local d
	for d in /sys/fs/cgroup/carrel/"$ID" /sys/fs/cgroup/*/carrel/"$ID"; do
		[ -d "$d" ] || continue
		mkdir "$d/sub"
		# (a v1 cpuset cgroup takes tasks only once it has CPUs and nodes)
		if [ -e "$d/cpuset.cpus" ]; then
			cat "$d/cpuset.cpus" >"$d/sub/cpuset.cpus"
			cat "$d/cpuset.mems" >"$d/sub/cpuset.mems"
		fi
	done
	mkdir "$root/carrel/$ID/v2only"
	run carrel exec --cgroup sub "$ID" grep ^0:: /proc/self/cgroup
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = "0::/sub" ] || fail "$output"
	run carrel exec --cgroup /sub "$ID" grep ^0:: /proc/self/cgroup
	[ "$output" = "0::/sub" ] || fail "$output"
	# the cgroup2 one by name
	run carrel exec --cgroup unified:sub "$ID" grep ^0:: /proc/self/cgroup
	[ "$output" = "0::/sub" ] || fail "$output"
	# nothing outside the container's cgroup
	run carrel exec --cgroup ../.. "$ID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *" ../.. is not a sub cgroup path"* ]] || fail "$output"
	# a controller the container has no cgroup for
	run carrel exec --cgroup nosuchctrl:/sub "$ID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *'unknown controller "nosuchctrl"'* ]] || fail "$output"
	# the v1 form where there are v1 hierarchies: only that controller's goes down
	local mem
	if mem=$(v1_hierarchy memory) && [ -d "$mem/carrel/$ID" ]; then
		mkdir "$mem/carrel/$ID/msub"
		run carrel exec --cgroup memory:/msub "$ID" cat /proc/self/cgroup
		[ "$status" -eq 0 ] || fail "$output"
		grep -qx '[0-9]*:memory:/msub' <<<"$output" || fail "$output"
		grep -qx '0::/' <<<"$output" || fail "$output"
		# two at once: memory to msub, the cgroup2 one to sub
		run carrel exec --cgroup memory:msub --cgroup unified:sub "$ID" cat /proc/self/cgroup
		grep -qx '[0-9]*:memory:/msub' <<<"$output" && grep -qx '0::/sub' <<<"$output" || fail "$output"
		# a plain path goes down in every hierarchy
		run carrel exec --cgroup sub "$ID" cat /proc/self/cgroup
		grep -qx '[0-9]*:memory:/sub' <<<"$output" && grep -qx '0::/sub' <<<"$output" || fail "$output"
		# and must be in every v1 one (v2only is not)
		run carrel exec --cgroup v2only "$ID" true
		[ "$status" -eq 255 ] && [[ "$output" == *" adding pid to cgroups: "*"/carrel/$ID/v2only/cgroup.procs: no such file "* ]] ||
			fail "$output"
		run carrel exec --cgroup memory:v2only "$ID" true
		[ "$status" -eq 255 ] && [[ "$output" == *"adding pid to cgroups: $mem/carrel/$ID/v2only/cgroup.procs: no such file "* ]] ||
			fail "$output"
	fi
	run carrel exec --cgroup nope "$ID" true
	[ "$status" -eq 255 ]
	# the failed ones left no process behind in the container
	run -0 carrel ps --format json "$ID"
	[ "$(jq length <<<"$output")" -eq 1 ] || fail "$output"
	run -0 carrel delete --force "$ID"
	[ ! -e "$root/carrel/$ID" ] || fail "cgroup left: $(find "$root/carrel/$ID" -type d)"
}

@test "runc flags carrel does not implement are accepted or refused by name" {
	run -0 "$CARREL" --root "$STATE" --criu /usr/sbin/criu list -q
	set_sh 'exit 3'
	run_ctr --no-subreaper
	[ "$status" -eq 3 ] || fail "run --no-subreaper: $status $output"
	local f
	for f in --l3-cache-schema --mem-bw-schema --kernel-memory; do
		run carrel update "$f" 5 "$ID"
		[ "$status" -eq 1 ] || fail "$f: $status"
		[[ "$output" == *"update: $f is not supported by carrel"* ]] || fail "$f: $output"
	done
}

@test "--debug: one debug line per step of create, start, run and exec (namespaces, mounts, cgroup, exec)" {
	set_args sleep 1000
	local log=$BATS_TEST_TMPDIR/debug.log
	carrel_bg --debug --log "$log" create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ] || fail "$output"
	local want
	for want in "cgroup: " "nsexec container setup: init started: pid" "init: in the container's namespaces" "init: rootfs" "init: entered the rootfs" "init: user "; do
		grep -qF "level=debug msg=\"$want" "$log" || fail "create: no '$want' line in: $(cat "$log")"
	done
	: >"$log"
	run carrel --debug --log "$log" start "$ID"
	[ "$status" -eq 0 ] || fail "$output"
	wait_status "$ID" running
	grep -qF "level=debug msg=\"start: releasing the init" "$log" || fail "start: $(cat "$log")"
	for i in $(seq 50); do grep -qF "level=debug msg=\"init: exec " "$log" && break; sleep 0.1; done
	grep -qE "level=debug msg=\"init: exec .*/sleep " "$log" || fail "start: no exec line: $(cat "$log")"
	: >"$log"
	run carrel --debug --log "$log" exec "$ID" true
	[ "$status" -eq 0 ] || fail "$output"
	for want in "exec: into \\\"$ID\\\"" "exec: joined the container's namespaces" "exec: exec "; do
		grep -qF "level=debug msg=\"$want" "$log" || fail "exec: no '$want' line in: $(cat "$log")"
	done
	carrel delete --force "$ID"
	: >"$log"
	set_args true
	run carrel --debug --log "$log" run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 0 ] || fail "$output"
	for want in "cgroup: " "init: in the container's namespaces" "init: rootfs" "init: exec "; do
		grep -qF "level=debug msg=\"$want" "$log" || fail "run: no '$want' line in: $(cat "$log")"
	done
}

@test "--no-pivot: the host's /proc and /sys are gone from the container's mount namespace, so no bare procfs can be mounted" {
	# a user namespace of the container's own could mount a fresh procfs if a
	# fully visible one were left under the chroot (runc's no_pivot test)
	cfg 'del(.linux.seccomp) | .process.capabilities.bounding += ["CAP_SETFCAP"] | .process.capabilities.permitted += ["CAP_SETFCAP"]'
	set_args unshare -mrpf sh -c 'mount -t proc none /proc && echo mounted'
	run carrel run --no-pivot --bundle "$BUNDLE" "$ID" </dev/null
	[[ "$output" != *mounted* && "$output" == *"permission denied"* ]] || fail "$status $output"
	# the container's own /proc and /sys are there, and the run works
	set_sh 'grep -c . /proc/self/status >/dev/null && ls /sys/kernel >/dev/null && echo fine'
	run carrel run --no-pivot --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 0 ] && [ "$output" = fine ] || fail "$status $output"
}

@test "a cgroup carrel did not make is reused after delete --force: the next init is not killed at birth" {
	# made beforehand in every hierarchy (so never removed by carrel), with
	# CPUs and nodes where the v1 cpuset needs them
	local d made=()
	for d in /sys/fs/cgroup/carrel /sys/fs/cgroup/*/carrel; do
		[ -d "$d" ] || continue
		mkdir "$d/$ID"
		made+=("$d/$ID")
		if [ -e "$d/cpuset.cpus" ]; then
			cat "$d/cpuset.cpus" >"$d/$ID/cpuset.cpus"
			cat "$d/cpuset.mems" >"$d/$ID/cpuset.mems"
		fi
	done
	[ ${#made[@]} -gt 0 ] || skip "no carrel cgroup parent on this host yet"
	defer "rmdir ${made[*]}"
	set_args sleep 1000
	start_ctr
	run -0 carrel delete --force "$ID"
	# some kernels SIGKILL a child cloned into a cgroup that has seen cgroup.kill
	set_sh 'echo born'
	run timeout 20 "$CARREL" --root "$STATE" run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 0 ] && [ "$output" = born ] || fail "$status $output"
}
