#!/usr/bin/env bats
# Hostile input: configs and rootfs shapes that once crashed carrel, hung it,
# or ran the workload as root by mistake. Each case is a clear error naming
# the file, the JSON path and the reason, a non-zero exit, and nothing left
# behind (state entry, process, host mount, cgroup). This file runs on the
# normal and on the sanitizer build (tests/run-all.sh, asan stage), so a
# memory error in any of these paths fails the suite. The large cases are
# generated here, at test time.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() {
	common_setup
	make_bundle
	set_args true
}
teardown() {
	# A writer we started for a FIFO case must not outlive the test.
	common_teardown
}

# no_cgroup_left — no cgroup named after $ID in any hierarchy.
no_cgroup_left() {
	local d
	for d in /sys/fs/cgroup/*/carrel/"$ID"* /sys/fs/cgroup/carrel/"$ID"*; do
		[ -e "$d" ] && fail "cgroup left: $d"
	done
	return 0
}

# bad SUBSTRING... — create fails with one stderr line naming every SUBSTRING,
# exit 1, not a crash, nothing left (bad_create, plus cgroups).
bad() {
	bad_create "$@"
	no_cgroup_left
}

userns_maps() {
	# $1 uid lines of $2 ids each; gid: one plain range
	cfg '.linux.namespaces += [{type: "user"}]
	     | .linux.uidMappings = [range($n) as $i | {containerID: ($i * $s), hostID: (200000 + $i * $s), size: $s}]
	     | .linux.gidMappings = [{containerID: 0, hostID: 200000, size: 65536}]' \
		--argjson n "$1" --argjson s "$2"
}

# -- defects ----------------------------------------------------------------------

@test "id maps: 300 lines of 10 ids are refused by JSON path (was a stack overflow in write_idmap)" {
	userns_maps 300 10
	bad 'config.json: linux.uidMappings' 'the kernel accepts less than'
}

@test "id maps: more than 340 lines are refused at decode time" {
	userns_maps 341 1
	bad 'config.json: linux.uidMappings: 341 mappings; the kernel accepts at most 340'
}

@test "id maps: 250 lines (below the kernel's limits) work" {
	userns_maps 250 10
	ctr_sh 'wc -l </proc/self/uid_map'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(tail -1 <<<"$output" | tr -d ' ')" = 250 ] || fail "$output"
}

@test "ids: process.user.uid and gid 4294967295 are refused, never run as root" {
	cfg '.process.user.uid = 4294967295'
	bad 'config.json: process.user.uid: 4294967295 is not a valid id'
	cfg '.process.user.uid = 0 | .process.user.gid = 4294967295'
	bad 'config.json: process.user.gid: 4294967295 is not a valid id'
	cfg '.process.user.gid = 0 | .process.user.additionalGids = [4294967295]'
	bad 'config.json: process.user.additionalGids[0]: 4294967295 is not a valid id'
}

@test "ids: an id map reaching (uid_t)-1 is refused" {
	userns_maps 1 65536
	cfg '.linux.uidMappings[0].hostID = 4294967295'
	bad 'config.json: linux.uidMappings[0].hostID: 4294967295 is not a valid id'
	cfg '.linux.uidMappings[0] = {containerID: 4294901760, hostID: 200000, size: 65536}'
	bad 'config.json: linux.uidMappings[0]: containerID 4294901760 + size 65536 goes past id 4294967294'
}

@test "ids: run --user 4294967295 is refused" {
	run carrel run --rootfs "$ROOTFS" --name "$ID" --no-tty --user 4294967295 -- id -u
	[ "$status" -eq 1 ] || fail "$output"
	[[ "$output" == *"--user"*"4294967294"* ]] || fail "$output"
	run carrel run --rootfs "$ROOTFS" --name "$ID" --no-tty --user 0:4294967295 -- id -u
	[ "$status" -eq 1 ] || fail "$output"
	assert_no_leftovers
	[ ! -e "$STATE/.bundles/$ID" ] || fail "bundle dir left"
}

@test "ids: exec --user 4294967295 and --additional-gids 4294967295 are refused" {
	set_args sleep 100
	start_ctr
	run carrel exec --user 4294967295 "$ID" id -u
	[ "$status" -eq 1 ] || fail "$output"
	[[ "$output" == *"--user 4294967295"* ]] || fail "$output"
	run carrel exec --user 1000:4294967295 "$ID" id -u
	[ "$status" -eq 1 ] || fail "$output"
	run carrel exec --additional-gids 4294967295 "$ID" id -u
	[ "$status" -eq 1 ] || fail "$output"
	[[ "$output" == *"--additional-gids"* ]] || fail "$output"
	local pf=$BATS_TEST_TMPDIR/process.json
	jq -n '{args: ["id", "-u"], cwd: "/", user: {uid: 4294967295, gid: 0}}' >"$pf"
	run carrel exec --process "$pf" "$ID"
	[ "$status" -eq 1 ] || fail "$output"
	[[ "$output" == *"process.json: user.uid: 4294967295 is not a valid id"* ]] || fail "$output"
}

@test "files: a config.json that is a FIFO is refused at once (create used to hang)" {
	rm "$BUNDLE/config.json"
	mkfifo "$BUNDLE/config.json"
	bad "$BUNDLE/config.json: not a regular file"
}

@test "files: a config.json that is a directory or /dev/zero is refused" {
	rm "$BUNDLE/config.json"
	mkdir "$BUNDLE/config.json"
	bad "$BUNDLE/config.json: not a regular file"
	rmdir "$BUNDLE/config.json"
	ln -s /dev/zero "$BUNDLE/config.json"
	bad "$BUNDLE/config.json: not a regular file"
}

@test "files: a hook path that is a FIFO is refused with 'not a regular file'" {
	local fifo=$BATS_TEST_TMPDIR/hook
	mkfifo "$fifo"
	cfg '.hooks.prestart = [{path: $p}]' --arg p "$fifo"
	bad "config.json: hooks.prestart[0].path: $fifo: not a regular file"
}

@test "files: exec --process from a FIFO without a writer fails clearly; a pipe with data works" {
	set_args sleep 100
	start_ctr
	local fifo=$BATS_TEST_TMPDIR/proc.fifo
	mkfifo "$fifo"
	run timeout 30 "$CARREL" --root "$STATE" exec --process "$fifo" "$ID"
	[ "$status" -eq 1 ] || fail "status $status: $output"
	[[ "$output" == *"$fifo: a FIFO with no writer"* ]] || fail "$output"
	# a pipe that has data (process substitution) is read like a file
	run carrel exec --process <(jq -n '{args: ["echo", "from-a-pipe"], cwd: "/"}') "$ID"
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = from-a-pipe ] || fail "$output"
}

@test "output: state and list with stdout closed or full exit 1" {
	set_args sleep 100
	start_ctr
	run bash -c '"$0" --root "$1" state "$2" >&-' "$CARREL" "$STATE" "$ID"
	[ "$status" -eq 1 ] || fail "state with stdout closed: status $status"
	run bash -c '"$0" --root "$1" state "$2" >/dev/full' "$CARREL" "$STATE" "$ID"
	[ "$status" -eq 1 ] || fail "state >/dev/full: status $status"
	[[ "$output" == *"cannot write the output"* ]] || fail "$output"
	run bash -c '"$0" --root "$1" list >&-' "$CARREL" "$STATE"
	[ "$status" -eq 1 ] || fail "list with stdout closed: status $status"
	run bash -c '"$0" --root "$1" list --format json >/dev/full' "$CARREL" "$STATE"
	[ "$status" -eq 1 ] || fail "list >/dev/full: status $status"
	# with stdout open both still work
	run -0 carrel state "$ID"
}

@test "root.path that resolves to / names root.path" {
	ln -s / "$BATS_TEST_TMPDIR/slash"
	cfg '.root.path = $p' --arg p "$BATS_TEST_TMPDIR/slash"
	bad 'config.json: root.path:' 'resolves to /'
}

@test "an unknown mount option names the mount and the options" {
	add_mount /mnt tmpfs tmpfs carrel-no-such-option
	bad 'config.json: mounts[' '(/mnt)' 'carrel-no-such-option'
}
