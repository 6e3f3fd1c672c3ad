#!/usr/bin/env bats
# Bad input: every failure is one line on stderr, exit status 1, and leaves
# nothing behind (no state entry, no process, no host mount).

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() {
	common_setup
	make_bundle
	set_args sleep 1000
}
teardown() { common_teardown; }

# bad_create / bad_run are in helpers.bash.

@test "spec error: unknown namespace type names file, JSON path and value" {
	cfg '.linux.namespaces[2].type = "pidd"'
	bad_create 'config.json: linux.namespaces[2].type: unknown namespace "pidd"'
}

@test "spec error: the same error from run" {
	cfg '.linux.namespaces[2].type = "pidd"'
	bad_run 'config.json: linux.namespaces[2].type: unknown namespace "pidd"'
}

@test "spec error: relative mount destination" {
	cfg '.mounts[1].destination = "tmp"'
	bad_create 'config.json: mounts[1].destination: "tmp" is not an absolute path'
}

@test "spec error: wrong type (process.args is a string)" {
	cfg '.process.args = "sh"'
	bad_create 'config.json: process.args: expected an array of strings, got a string'
}

@test "spec error: wrong type (process.user.uid is a string)" {
	cfg '.process.user.uid = "0"'
	bad_create 'config.json: process.user.uid'
}

@test "spec error: malformed JSON reports the line" {
	printf '{\n  "ociVersion": "1.2.0",\n  "process": {\n    "args": ["sh",\n' >"$BUNDLE/config.json"
	bad_create 'config.json: invalid JSON at line'
}

@test "spec error: missing config.json" {
	rm "$BUNDLE/config.json"
	bad_create config.json
}

@test "spec error: bundle directory does not exist" {
	BUNDLE=$BATS_TEST_TMPDIR/no-such-bundle
	bad_create no-such-bundle
}

@test "spec error: empty process.args" {
	cfg '.process.args = []'
	bad_create process.args
}

@test "spec error: relative process.cwd" {
	cfg '.process.cwd = "tmp"'
	bad_create process.cwd
}

@test "spec error: unsupported ociVersion" {
	cfg '.ociVersion = "2.0.0"'
	bad_create ociVersion
}

@test "spec error: unknown rlimit type" {
	cfg '.process.rlimits += [{type: "RLIMIT_BOGUS", soft: 1, hard: 1}]'
	bad_create RLIMIT_BOGUS
}

@test "spec error: uidMappings without a user namespace" {
	cfg '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 1}] | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 1}]'
	bad_create linux.uidMappings
}

@test "spec error: hostname without a uts namespace" {
	drop_ns uts
	bad_create hostname
}

@test "spec error: unknown top-level properties are ignored (OCI)" {
	cfg '.someFutureField = {"x": 1} | .process.someFutureField = true'
	ctr_sh 'echo fine'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = fine ]
}

@test "missing rootfs: the error mentions the root path" {
	cfg '.root.path = $p' --arg p "$BATS_TEST_TMPDIR/no-such-rootfs"
	bad_create "$BATS_TEST_TMPDIR/no-such-rootfs"
}

@test "rootfs that is a regular file is refused" {
	touch "$BATS_TEST_TMPDIR/file-rootfs"
	cfg '.root.path = $p' --arg p "$BATS_TEST_TMPDIR/file-rootfs"
	bad_create file-rootfs
}

# A limit whose controller no mounted hierarchy (cgroup v2 or v1) offers
# fails naming the controller. (Limits that work: cgroup-v1.bats on v1 and
# hybrid hosts, the VM tier on pure cgroup v2.)
@test "a limit whose controller no cgroup hierarchy offers names it" {
	grep -qw rdma /sys/fs/cgroup/cgroup.controllers /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null &&
		skip "this host offers rdma"
	v1_hierarchy rdma >/dev/null && skip "this host mounts rdma on cgroup v1"
	cfg '.linux.resources = {devices: [{allow: false, access: "rwm"}], rdma: {"mlx5_0": {hcaHandles: 3}}}'
	bad_create '"rdma" controller'
}

@test "linux.resources with only devices is accepted" {
	cfg '.linux.resources = {devices: [{allow: false, access: "rwm"}, {allow: true, type: "c", major: 1, minor: 3, access: "rwm"}]}'
	ctr_sh 'echo accepted'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = accepted ]
}

@test "a failing createRuntime hook stops create and leaves nothing" {
	cfg '.hooks = {createRuntime: [{path: "/bin/sh", args: ["sh", "-c", "exit 3"]}]}'
	bad_create 'hooks.createRuntime[0]'
}

@test "a hook path that is not absolute is a spec error" {
	cfg '.hooks = {prestart: [{path: "true"}]}'
	bad_create 'hooks.prestart[0].path'
}

@test "process.terminal without --console-socket: create refuses and names the flag" {
	cfg '.process.terminal = true'
	bad_create 'console-socket'
}

@test "runtime error: bind mount source that does not exist" {
	add_mount /mnt bind "$BATS_TEST_TMPDIR/no-such-source" bind
	bad_create no-such-source
}

@test "runtime error: unknown filesystem type" {
	add_mount /mnt nosuchfs none
	carrel_bg create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ] || fail "status $status: $output"
	[ "${#lines[@]}" -eq 1 ] || fail "want one error line: $output"
	[[ "$output" == */mnt* || "$output" == *nosuchfs* ]] || fail "error names neither /mnt nor nosuchfs: $output"
	assert_no_leftovers
}

@test "runtime error: executable not found in the rootfs" {
	set_args no-such-binary-xyz
	run_ctr_sep
	[ "$status" -ne 0 ]
	[[ "$stderr" == *no-such-binary-xyz* ]] || fail "error does not name the binary: $stderr"
	carrel delete --force "$ID" >/dev/null 2>&1 || true
	assert_no_leftovers
}

@test "runtime error: bad process.cwd inside the rootfs" {
	# a missing cwd is created (as runc); one below a file cannot be
	cfg '.process.cwd = "/etc/hostname/dir"'
	set_args true
	run_ctr_sep
	[ "$status" -ne 0 ]
	[[ "$stderr" == *process.cwd* && "$stderr" == */etc/hostname* ]] || fail "error does not name the cwd: $stderr"
	carrel delete --force "$ID" >/dev/null 2>&1 || true
	assert_no_leftovers
}

@test "container id: path-like and empty ids are refused" {
	local bad
	for bad in ../escape a/b . .. ""; do
		carrel_bg create --bundle "$BUNDLE" "$bad"
		[ "$status" -ne 0 ] || fail "id '$bad' was accepted"
	done
	[ ! -e "$BATS_TEST_TMPDIR/escape" ]
	[ ! -e "$STATE/a" ]
	[ -z "$(leftover_procs)" ]
	[ -z "$(ls -A "$STATE" 2>/dev/null | grep -v '^\.')" ] || fail "state root not empty: $(ls -A "$STATE")"
}

@test "container id: missing id argument is an error" {
	carrel_bg create --bundle "$BUNDLE"
	[ "$status" -ne 0 ]
	[ -n "$output" ]
	run carrel start
	[ "$status" -ne 0 ]
	run carrel state
	[ "$status" -ne 0 ]
}

@test "errors leave the state of other containers alone" {
	create_ctr "$ID-good"
	cfg '.linux.namespaces[0].type = "bogus"'
	carrel_bg create --bundle "$BUNDLE" "$ID-bad"
	[ "$status" -eq 1 ]
	[ "$(state_of "$ID-good" status)" = created ]
	run -0 carrel list -q
	[ "$output" = "$ID-good" ]
}
