#!/usr/bin/env bats
# containerd (containerd-shim-runc-v2, through ctr) driving carrel. Run
# tests/engines/setup.sh first (or tests/engines/run.sh).
#
# A private containerd: root, state, sockets and the shim's runtime root all
# live in a temp dir. Its configuration is contrib/engines/containerd/config.toml
# (with BinaryName pointed at this build), so that file is known to parse and
# to load the CRI plugin. ctr bypasses CRI runtime handlers, so the runs use
# `ctr run --runc-binary $CARREL`, plus one through a `runc` in the daemon's
# PATH, the shim's default.
#
# ctr run always puts linux.resources.cpu.shares (default 1024) in the spec:
# carrel writes it to cpu.weight on cgroup v2 and to cpu.shares where the cpu
# controller is on cgroup v1 (a hybrid host like this project's).

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	engines_require containerd ctr containerd-shim-runc-v2 script
	D=$(mktemp -d /tmp/carrel-containerd.XXXXXX)
	export D
	mkdir -p "$D/root" "$D/state" "$D/runc" "$D/bin"
	ln -s "$CARREL" "$D/bin/runc"
	{
		echo "root = \"$D/root\""
		echo "state = \"$D/state\""
		sed -e "s|/usr/local/bin/carrel|$CARREL|" -e "s|/run/containerd/carrel|$D/runc|" \
			"$REPO/contrib/engines/containerd/config.toml"
		printf '\n[grpc]\n  address = "%s"\n[ttrpc]\n  address = "%s"\n[debug]\n  level = "debug"\n' \
			"$D/containerd.sock" "$D/containerd.sock.ttrpc"
	} >"$D/config.toml"
	# The shim inherits the daemon's PATH: $D/bin/runc is carrel for runs
	# without --runc-binary.
	PATH="$D/bin:$PATH" containerd --config "$D/config.toml" >"$D/containerd.log" 2>&1 &
	echo $! >"$D/containerd.pid"
	local i
	for i in $(seq 50); do
		ctr -a "$D/containerd.sock" version >/dev/null 2>&1 && break
		sleep 0.1
	done
	ctr -a "$D/containerd.sock" version >/dev/null
	ctr -a "$D/containerd.sock" images import "$ENGINES_IMAGE_TAR" >/dev/null
}

teardown_file() {
	[ -n "${D:-}" ] && [ -d "$D" ] || return 0
	local c pid
	if [ -S "$D/containerd.sock" ]; then
		for c in $(ctr -a "$D/containerd.sock" task ls -q 2>/dev/null); do
			ctr -a "$D/containerd.sock" task rm -f "$c" >/dev/null 2>&1 || true
		done
		for c in $(ctr -a "$D/containerd.sock" containers ls -q 2>/dev/null); do
			ctr -a "$D/containerd.sock" containers rm "$c" >/dev/null 2>&1 || true
		done
	fi
	# Shims of our daemon that are still there (they name its socket).
	for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $D/containerd.sock" || true); do
		kill "$pid" 2>/dev/null || true
	done
	pid=$(cat "$D/containerd.pid" 2>/dev/null || true)
	if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
	fi
	cp "$D/containerd.log" "$ENGINES_ROOT/containerd.log" 2>/dev/null || true
	engines_cleanup_dir "$D"
}

c() { ctr -a "$D/containerd.sock" "$@"; }

# crun ARGS...: ctr run with carrel as the runtime (and ctr's default spec).
crun_() { c run --runc-binary "$CARREL" --runc-root "$D/runc" "$@"; }

@test "containerd: contrib config.toml parses and the CRI plugin loads with the carrel handler" {
	run c plugins ls
	echo "$output" | grep -E 'cri|overlayfs'
	[[ "$(echo "$output" | grep -E '^io.containerd.grpc.v1 +cri ')" == *" ok"* ]]
	run containerd --config "$D/config.toml" config dump
	[ "$status" -eq 0 ]
	[[ "$output" == *'runtimes.carrel.options]'* ]]
	[[ "$output" == *"BinaryName = \"$CARREL\""* ]]
}

@test "containerd: ctr run prints the output and returns the exit code" {
	run crun_ --rm "$IMAGE" r1 sh -c 'echo hello; echo err >&2; exit 3'
	[ "$status" -eq 3 ]
	[[ "$output" == *hello* ]]
	[[ "$output" == *err* ]]
}

@test "containerd: the container gets only fds 0-2 (not the shim's fd 3)" {
	crun_ -d "$IMAGE" f1 sleep 1000
	run c task exec --exec-id e0 f1 ls /proc/1/fd
	echo "$output"
	c task rm -f f1
	c containers rm f1
	[ "$(echo $output)" = "0 1 2" ]
}

@test "containerd: a missing command fails the create with the runtime's error" {
	run crun_ --rm "$IMAGE" r3 /nonexistent
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'exec: "/nonexistent": no such file or directory'* ]]
	c containers rm r3 2>/dev/null || true
}

@test "containerd: run -d, task exec, ps, pause/resume, kill, task rm, container rm" {
	crun_ -d "$IMAGE" d1 sleep 1000
	run c task ls
	[[ "$output" == *"d1 "*RUNNING* ]]
	pid=$(c task ls | awk '$1 == "d1" { print $2 }')

	run c task exec --exec-id e1 d1 sh -c 'echo in-exec; exit 4'
	[ "$status" -eq 4 ]
	[ "$output" = in-exec ]

	run c task ps d1
	[ "$status" -eq 0 ]
	[[ "$output" == *"$pid"* ]]

	run c task pause d1
	[ "$status" -eq 0 ]
	run c task ls
	[[ "$output" == *"d1 "*PAUSED* ]]
	run c task resume d1
	[ "$status" -eq 0 ]
	run c task ls
	[[ "$output" == *"d1 "*RUNNING* ]]

	run c task kill -s KILL d1
	[ "$status" -eq 0 ]
	for _ in $(seq 30); do c task ls | grep -q 'd1 .*STOPPED' && break; sleep 0.1; done
	run c task ls
	[[ "$output" == *"d1 "*STOPPED* ]]
	run c task rm d1
	[ "$status" -eq 0 ]
	run c containers rm d1
	[ "$status" -eq 0 ]
	run c containers ls -q
	[[ "$output" != *d1* ]]
}

@test "containerd: task kill with SIGTERM reaches a handler, exit status reported" {
	crun_ -d "$IMAGE" d2 sh -c 'trap "exit 42" TERM; while :; do sleep 0.1; done'
	sleep 0.5
	run c task kill d2
	[ "$status" -eq 0 ]
	for _ in $(seq 30); do c task ls | grep -q 'd2 .*STOPPED' && break; sleep 0.1; done
	run c task rm d2
	echo "$output"
	[ "$status" -eq 0 ]
	c containers rm d2
}

@test "containerd: task exec of a missing command fails" {
	crun_ -d "$IMAGE" d3 sleep 1000
	run c task exec --exec-id e2 d3 /nonexistent
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"no such file or directory"* ]]
	c task rm -f d3
	c containers rm d3
}

@test "containerd: run -t under a terminal (script)" {
	run script -qec "ctr -a $D/containerd.sock run --runc-binary $CARREL --runc-root $D/runc --rm -t $IMAGE t1 sh -c 'tty; exit 6'" /dev/null < <(exec 3>&-; sleep 2)
	echo "$output"
	[ "$status" -eq 6 ]
	[[ "$output" == */dev/pts/0* ]]
}

@test "containerd: task exec -t under a terminal (script)" {
	crun_ -d "$IMAGE" d4 sleep 1000
	run script -qec "ctr -a $D/containerd.sock task exec -t --exec-id e3 d4 sh -c 'tty; exit 2'" /dev/null < <(exec 3>&-; sleep 2)
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == */dev/pts/* ]]
	c task rm -f d4
	c containers rm d4
}

@test "containerd: the shim finds carrel as runc in PATH (no --runc-binary)" {
	run c run --runc-root "$D/runc" --rm "$IMAGE" p1 sh -c 'echo via-path'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = via-path ]
}

@test "containerd: carrel creates a missing state root (--root) with its parents" {
	# The shim passes --root <Root>/<namespace>, by default
	# /run/containerd/runc/default; runc creates it (MkdirAll) when missing.
	run c run --runc-binary "$CARREL" --runc-root "$D/not/yet/there" --rm "$IMAGE" m1 true
	echo "$output"
	c containers rm m1 2>/dev/null || true
	[ "$status" -eq 0 ]
}

@test "containerd: ctr run with its default --cpu-shares 1024 (cpu.weight on cgroup v2, cpu.shares on v1)" {
	# ctr's spec mounts no cgroupfs in the container: read its cgroup from here
	c run -d --runc-binary "$CARREL" --runc-root "$D/runc" "$IMAGE" s1 sleep 100
	local cg w pid want=39
	pid=$(c task ls | awk '$1 == "s1" { print $2 }')
	cg=$(awk -F: '$2 ~ /(^|,)cpu(,|$)/ { print $3 }' "/proc/$pid/cgroup")
	if [ -n "$cg" ]; then
		# the cpu controller on cgroup v1: the shares as they are
		w=$(cat "/sys/fs/cgroup/cpu$cg/cpu.shares" 2>&1)
		want=1024
	else
		cg=$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
		w=$(cat "/sys/fs/cgroup$cg/cpu.weight" 2>&1)
	fi
	c task kill -s KILL s1
	for _ in $(seq 30); do c task ls | grep -q 's1 .*STOPPED' && break; sleep 0.1; done
	c task rm s1
	c containers rm s1
	# v2: shares 1024 -> weight 1 + (1024 - 2) * 9999 / 262142 = 39
	[ "$w" = "$want" ] || { echo "cgroup $cg: cpu weight $w, want $want"; false; }
}
