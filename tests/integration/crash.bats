#!/usr/bin/env bats
# A SIGKILL at any instant never leaves a container that cannot be cleaned
# up: create records every resource before it makes it, `state` reads the
# truth from the init itself, and `delete --force` removes every piece or
# names what it could not remove. (tests/crash sweeps every kill point; these
# are the cases that once went wrong.)

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() {
	common_setup
	make_bundle
	set_args sleep 1000
}
teardown() {
	mountpoint -q "$STATE" && umount -l "$STATE"
	common_teardown
}

need_strace() { command -v strace >/dev/null || skip "strace is missing (contrib/deps.sh installs it)"; }

# kill_at SYSCALL WHICH [CMD...]: carrel CMD (default: create of $BUNDLE as
# $ID), SIGKILLed on entry to the WHICH-th call of SYSCALL ("last": the last
# one of a counting run).
kill_at() {
	local sc=$1 which=$2 trace=$BATS_TEST_TMPDIR/trace i
	shift 2
	[ $# -gt 0 ] || set -- create --bundle "$BUNDLE" "$ID"
	if [ "$which" = last ]; then
		# Twice: the first run fills the seccomp cache and takes a longer path.
		for i in 1 2; do
			strace -qq -o "$trace" "$CARREL" --root "$STATE" "$@" </dev/null >/dev/null 2>&1
			which=$(grep -c "^$sc(" "$trace")
			"$CARREL" --root "$STATE" delete --force "${@: -1}" >/dev/null 2>&1
		done
	fi
	timeout -k 5 30 strace -qq -o /dev/null -e "inject=$sc:signal=KILL:when=$which" \
		"$CARREL" --root "$STATE" "$@" </dev/null >/dev/null 2>&1 || true
}

cgroup_dirs() {
	local d
	for d in /sys/fs/cgroup/carrel/"$1" /sys/fs/cgroup/*/carrel/"$1"; do
		[ -d "$d" ] && echo "$d"
	done
	return 0
}

# all_gone [ID]: delete --force exited 0 and nothing of ID is left.
all_gone() {
	local id=${1:-$ID}
	[ ! -e "$STATE/$id" ] || fail "state dir left: $(ls -A "$STATE/$id")"
	[ ! -e "$STATE/.bundles/$id" ] || fail "bundle dir left: $(ls -A "$STATE/.bundles/$id")"
	[ -z "$(cgroup_dirs "$id")" ] || fail "cgroup left: $(cgroup_dirs "$id")"
	if [ -d "$STATE/.userns" ]; then
		[ -z "$(grep -lxF -- "$id" "$STATE"/.userns/* 2>/dev/null)" ] || fail "id-range slot left"
		[ -z "$(find "$STATE/.userns" -type f -empty)" ] || fail "empty id-range slot left"
	fi
	[ -z "$(leftover_procs)" ] || fail "processes left: $(leftover_procs)"
}

@test "create killed before the init is born: state says stopped, delete --force removes the cgroup and state dir" {
	need_strace
	kill_at clone3 1
	[ -n "$(cgroup_dirs "$ID")" ] || skip "no cgroup was made on this host"
	run -0 carrel state "$ID"
	[ "$(jq -r .status <<<"$output")" = stopped ] || fail "$output"
	run -0 carrel delete --force "$ID"
	all_gone
	# and the id can be created again
	create_ctr
}

@test "create killed after the init is born but before its last state write: delete --force kills the init too" {
	need_strace
	kill_at renameat last
	local pid
	pid=$(jq -r .init_pid "$STATE/$ID/state.json")
	[ "$pid" -gt 0 ] && [ -d "/proc/$pid" ] || fail "no live init recorded: $(cat "$STATE/$ID/state.json")"
	run -0 carrel state "$ID"
	[ "$(jq -r .status <<<"$output")" = stopped ] || fail "$output"
	run -0 carrel delete --force "$ID"
	[ ! -d "/proc/$pid" ] || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ] || fail "the init $pid lives on"
	all_gone
	create_ctr
}

@test "a state directory left without state.json is removed by delete --force" {
	mkdir -p "$STATE/$ID"
	: >"$STATE/$ID/.state.json.tmp"
	mkfifo "$STATE/$ID/exec.fifo"
	run carrel state "$ID"
	[ "$status" -eq 1 ] && [[ "$output" == *"does not exist"* ]] || fail "$output"
	run -0 carrel delete --force "$ID"
	[ ! -e "$STATE/$ID" ] || fail "left: $(ls -A "$STATE/$ID")"
	create_ctr
	run -0 carrel state "$ID"
}

@test "run --rootfs killed while writing its bundle: delete --force removes the bundle dir" {
	need_strace
	kill_at renameat 1 run --rootfs "$ROOTFS" --name "$ID" --no-tty -d -- sleep 1000
	[ -d "$STATE/.bundles/$ID" ] || fail "the kill came too late: no bundle dir"
	run -0 carrel delete --force "$ID"
	all_gone
}

@test "userns auto: a create killed after taking its id range frees it on delete --force; an empty slot is reclaimed" {
	need_strace
	# killed on the write of the owner id into the slot: an empty slot
	kill_at write 1 run --rootfs "$ROOTFS" --name "$ID" --no-tty -d --net none --userns auto -- sleep 1000
	run -0 carrel delete --force "$ID"
	all_gone
	# killed after the slot is written (its second state write)
	kill_at renameat 3 run --rootfs "$ROOTFS" --name "$ID" --no-tty -d --net none --userns auto -- sleep 1000
	run -0 carrel delete --force "$ID"
	all_gone
	# an empty slot (as a killed create leaves it) is taken by the next create
	mkdir -p "$STATE/.userns"
	local i
	for i in $(seq 0 4095); do : >"$STATE/.userns/$i"; done
	carrel_bg run --rootfs "$ROOTFS" --name "$ID" --no-tty -d --net none --userns auto -- sleep 1000
	[ "$status" -eq 0 ] || fail "every slot is empty, yet: $output"
	rm -f "$STATE"/.userns/*
}

@test "start killed after releasing the init: state says running and a second start fails at once" {
	create_ctr
	local pid
	pid=$(state_of "$ID" pid)
	# What start does, without its unlink: read the fifo (the init execs).
	timeout 10 cat "$STATE/$ID/exec.fifo" >/dev/null
	[ -e "$STATE/$ID/exec.fifo" ]
	wait_status "$ID" running 5
	run timeout 5 "$CARREL" --root "$STATE" start "$ID"
	[ "$status" -eq 1 ] || fail "second start: status $status: $output"
	[[ "$output" == *"it is running, not created"* ]] || fail "$output"
	# a plain delete must not kill the running workload
	run carrel delete "$ID"
	[ "$status" -eq 1 ] || fail "$output"
	[ -d "/proc/$pid" ] || fail "the workload was killed"
}

@test "start on a read-only --root fails before releasing the init; the container stays created" {
	create_ctr
	mount --bind "$STATE" "$STATE"
	mount -o remount,bind,ro "$STATE"
	run carrel start "$ID"
	[ "$status" -eq 1 ] || fail "start on a read-only root: status $status: $output"
	[[ "$output" == *"not writable"* ]] || fail "$output"
	run -0 carrel state "$ID"
	[ "$(jq -r .status <<<"$output")" = created ] || fail "$output"
	umount "$STATE"
	run -0 carrel start "$ID"
	wait_status "$ID" running 5
}

@test "reaper init: state tells created from running" {
	cfg '.annotations["org.carrel.init"] = "reaper"'
	create_ctr
	[ "$(state_of "$ID" status)" = created ]
	run -0 carrel start "$ID"
	[ "$(state_of "$ID" status)" = running ]
	run timeout 5 "$CARREL" --root "$STATE" start "$ID"
	[ "$status" -eq 1 ] || fail "$output"
}

@test "list: a create at work is listed as creating, not stopped" {
	cfg '.hooks.prestart = [{path: "/bin/sleep", args: ["sleep", "3"]}]'
	(carrel create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1 3>&-) 3>&- &
	local i s=
	for ((i = 0; i < 50; i++)); do
		s=$(carrel list --format json | jq -r --arg id "$ID" '.[] | select(.id == $id) | .status')
		[ -n "$s" ] && break
		sleep 0.05
	done
	[ "$s" = creating ] || fail "listed as '$s' while create is at work"
	wait
	[ "$(state_of "$ID" status)" = created ]
}

@test "delete --force names what it could not remove, exits 1, and a second one finishes the job" {
	create_ctr
	local pid
	pid=$(state_of "$ID" pid)
	# something delete cannot remove: a directory in the state directory
	mkdir "$STATE/$ID/stuck"
	run carrel delete --force "$ID"
	[ "$status" -eq 1 ] || fail "status $status: $output"
	[[ "$output" == *"delete --force \"$ID\": could not remove: the state directory $STATE/$ID"* ]] || fail "$output"
	# the rest is gone (the init first of all), and the container is still listed
	[ ! -d "/proc/$pid" ] || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ] || fail "the init lives on"
	[ -z "$(cgroup_dirs "$ID")" ] || fail "cgroup left"
	run -0 carrel state "$ID"
	[ "$(jq -r .status <<<"$output")" = stopped ] || fail "$output"
	rmdir "$STATE/$ID/stuck"
	run -0 carrel delete --force "$ID"
	all_gone
}

@test "delete --force kills a process that sits in only one of the container's v1 cgroups, then removes them all" {
	[ "$(stat -fc %T /sys/fs/cgroup/pids 2>/dev/null)" = cgroupfs ] || skip "no cgroup v1 pids hierarchy on this host"
	create_ctr
	[ -d "/sys/fs/cgroup/pids/carrel/$ID" ] || skip "the container has no v1 pids cgroup"
	# a process of this test, moved into the container's pids cgroup only:
	# the unified (or any other) cgroup of the container never sees it
	sleep 1000 &
	local stray=$!
	echo "$stray" >"/sys/fs/cgroup/pids/carrel/$ID/cgroup.procs"
	run carrel delete --force "$ID"
	local st
	st=$(awk '{print $3}' "/proc/$stray/stat" 2>/dev/null) || st=gone
	kill -9 "$stray" 2>/dev/null || true
	wait "$stray" 2>/dev/null || true
	[ "$status" -eq 0 ] || fail "status $status: $output"
	[ "$st" = Z ] || [ "$st" = gone ] || fail "the stray process (pid $stray) was not killed: state $st"
	all_gone
}
