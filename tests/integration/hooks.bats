#!/usr/bin/env bats
# OCI hooks: prestart, createRuntime, createContainer, startContainer,
# poststart, poststop — state on stdin, own env and args, the namespaces
# each phase runs in, order, timeouts, failures.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() {
	common_setup
	make_bundle
	# the hooks write here; bind-mounted rw at /mnt in the container
	SHARED=$BATS_TEST_TMPDIR/mnt
	mkdir -p "$SHARED"
	chmod 0777 "$SHARED"
	add_mount /mnt bind "$SHARED" bind rw
	# host-side hook: hook.sh PHASE DIR — records stdin, env, args, mnt ns
	HOOK=$BATS_TEST_TMPDIR/hook.sh
	cat >"$HOOK" <<'EOF'
#!/bin/sh
phase=$1 d=$2
cat > "$d/$phase.state"
env > "$d/$phase.env"
echo "$*" > "$d/$phase.args"
readlink /proc/self/ns/mnt > "$d/$phase.mnt"
echo "$phase" >> "$d/order"
EOF
	chmod 0755 "$HOOK"
	HOST_MNT=$(readlink /proc/self/ns/mnt)
}
teardown() { common_teardown; }

# hook_json PHASE — a host hook entry recording into $SHARED.
hook_json() {
	jq -nc --arg p "$HOOK" --arg ph "$1" --arg d "$SHARED" \
		'{path: $p, args: ["hook.sh", $ph, $d], env: ["FOO=1", "PATH=/usr/bin:/bin"]}'
}

# A copy of the rootfs with /bin/start-hook (exists only in the container):
# records like hook.sh, plus the hostname and its pid (container pid ns).
start_hook_rootfs() {
	copy_rootfs
	cat >"$PRIV_ROOTFS/bin/start-hook" <<'EOF'
#!/bin/sh
phase=$1 d=$2
cat > "$d/$phase.state"
env > "$d/$phase.env"
echo "$*" > "$d/$phase.args"
readlink /proc/self/ns/mnt > "$d/$phase.mnt"
hostname > "$d/$phase.hostname"
echo $$ > "$d/$phase.pid"
echo "$phase" >> "$d/order"
EOF
	chmod 0755 "$PRIV_ROOTFS/bin/start-hook"
}

start_hook_json() {
	jq -nc '{path: "/bin/start-hook", args: ["start-hook", "startContainer", "/mnt"], env: ["FOO=1", "PATH=/bin"]}'
}

all_hooks() {
	start_hook_rootfs
	cfg '.hooks = {prestart: [$pre], createRuntime: [$cr], createContainer: [$cc],
	               startContainer: [$sc], poststart: [$ps], poststop: [$pst]}' \
		--argjson pre "$(hook_json prestart)" --argjson cr "$(hook_json createRuntime)" \
		--argjson cc "$(hook_json createContainer)" --argjson sc "$(start_hook_json)" \
		--argjson ps "$(hook_json poststart)" --argjson pst "$(hook_json poststop)"
}

# st PHASE FIELD — a field of the state JSON the hook got on stdin.
st() { jq -r ".$2" "$SHARED/$1.state"; }

@test "hooks: all six run in order, each with the state JSON on stdin" {
	all_hooks
	set_sh 'echo workload >> /mnt/order'
	create_ctr
	local pid
	pid=$(state_of "$ID" pid)
	[ "$(cat "$SHARED/order" | xargs)" = "prestart createRuntime createContainer" ] || fail "after create: $(cat "$SHARED/order")"
	run -0 carrel start "$ID"
	wait_status "$ID" stopped
	wait_file "$SHARED/poststart.state"
	[ ! -e "$SHARED/poststop.state" ] || fail "poststop ran before delete"
	run -0 carrel delete "$ID"
	[ "$(cat "$SHARED/order" | xargs)" = "prestart createRuntime createContainer startContainer workload poststart poststop" ] ||
		[ "$(cat "$SHARED/order" | xargs)" = "prestart createRuntime createContainer startContainer poststart workload poststop" ] ||
		fail "order: $(cat "$SHARED/order" | xargs)"
	local ph
	for ph in prestart createRuntime createContainer startContainer poststart poststop; do
		[ "$(st $ph id)" = "$ID" ] || fail "$ph: id $(st $ph id)"
		[ "$(st $ph bundle)" = "$BUNDLE" ] || fail "$ph: bundle $(st $ph bundle)"
		[ -n "$(st $ph ociVersion)" ] && [ "$(st $ph ociVersion)" != null ] || fail "$ph: no ociVersion"
	done
	for ph in prestart createRuntime createContainer startContainer poststart; do
		[ "$(st $ph pid)" = "$pid" ] || fail "$ph: pid $(st $ph pid), init $pid"
	done
	[ "$(st prestart status)" = creating ] || fail "prestart: $(st prestart status)"
	[ "$(st createRuntime status)" = creating ] || fail "createRuntime: $(st createRuntime status)"
	[ "$(st createContainer status)" = creating ] || fail "createContainer: $(st createContainer status)"
	[ "$(st startContainer status)" = created ] || fail "startContainer: $(st startContainer status)"
	[ "$(st poststart status)" = running ] || [ "$(st poststart status)" = stopped ] || fail "poststart: $(st poststart status)"
	[ "$(st poststop status)" = stopped ] || fail "poststop: $(st poststop status)"
}

@test "hooks: each gets only its own env and its args" {
	all_hooks
	set_args true
	create_ctr
	run -0 carrel start "$ID"
	wait_status "$ID" stopped
	run -0 carrel delete "$ID"
	local ph env
	for ph in prestart createRuntime createContainer startContainer poststart poststop; do
		env=$(cat "$SHARED/$ph.env")
		grep -qx FOO=1 <<<"$env" || fail "$ph: FOO=1 missing: $env"
		! grep -q '^HOME=' <<<"$env" || fail "$ph: host HOME leaked: $env"
		! grep -q '^BATS_' <<<"$env" || fail "$ph: host env leaked: $env"
		! grep -q '^CARREL_TEST_ID=' <<<"$env" || fail "$ph: process.env leaked into the hook: $env"
	done
	for ph in prestart createRuntime createContainer poststart poststop; do
		[ "$(cat "$SHARED/$ph.args")" = "$ph $SHARED" ] || fail "$ph args: $(cat "$SHARED/$ph.args")"
	done
	[ "$(cat "$SHARED/startContainer.args")" = "startContainer /mnt" ]
}

@test "hooks: prestart/createRuntime/poststart/poststop run in the host mount namespace" {
	all_hooks
	set_args sleep 1000
	start_ctr
	wait_file "$SHARED/poststart.mnt"
	local pid
	pid=$(state_of "$ID" pid)
	[ "$(readlink "/proc/$pid/ns/mnt")" != "$HOST_MNT" ]
	run -0 carrel kill "$ID" KILL
	wait_status "$ID" stopped
	run -0 carrel delete "$ID"
	local ph
	for ph in prestart createRuntime poststart poststop; do
		[ "$(cat "$SHARED/$ph.mnt")" = "$HOST_MNT" ] || fail "$ph ran in $(cat "$SHARED/$ph.mnt"), host $HOST_MNT"
	done
}

@test "hooks: createContainer runs in the container's mount namespace" {
	all_hooks
	set_args sleep 1000
	create_ctr
	local pid
	pid=$(state_of "$ID" pid)
	[ "$(cat "$SHARED/createContainer.mnt")" = "$(readlink "/proc/$pid/ns/mnt")" ] ||
		fail "createContainer in $(cat "$SHARED/createContainer.mnt"), init in $(readlink "/proc/$pid/ns/mnt")"
	[ "$(cat "$SHARED/createContainer.mnt")" != "$HOST_MNT" ]
}

@test "hooks: startContainer runs inside the container (path from the rootfs, hostname, pid ns)" {
	all_hooks
	cfg '.hostname = "hooked-host"'
	set_args sleep 1000
	[ ! -e /bin/start-hook ] || skip "the host has a /bin/start-hook"
	create_ctr
	[ ! -e "$SHARED/startContainer.state" ] || fail "startContainer ran at create"
	local pid
	pid=$(state_of "$ID" pid)
	run -0 carrel start "$ID"
	wait_file "$SHARED/startContainer.hostname"
	[ "$(cat "$SHARED/startContainer.hostname")" = hooked-host ]
	[ "$(cat "$SHARED/startContainer.mnt")" = "$(readlink "/proc/$pid/ns/mnt")" ]
	# its pid is one of the container's pid namespace
	[ "$(cat "$SHARED/startContainer.pid")" -lt 100 ] || fail "pid $(cat "$SHARED/startContainer.pid")"
}

@test "hooks: poststop runs on delete of a stopped container and on delete --force" {
	cfg '.hooks = {poststop: [$h]}' --argjson h "$(hook_json poststop)"
	set_args sleep 1000
	start_ctr
	[ ! -e "$SHARED/poststop.state" ]
	run -0 carrel delete --force "$ID"
	[ -s "$SHARED/poststop.state" ] || fail "poststop did not run on delete --force"
	[ "$(st poststop id)" = "$ID" ]
	[ "$(cat "$SHARED/poststop.mnt")" = "$HOST_MNT" ]
}

@test "hooks: timeout kills a slow hook and create fails with 'timed out'" {
	local pf=$BATS_TEST_TMPDIR/slow.pid
	cfg '.hooks = {createRuntime: [{path: "/bin/sh", args: ["sh", "-c", "echo $$ > \($pf); exec sleep 30"], timeout: 1}]}' \
		--arg pf "$pf"
	local t0=$SECONDS
	bad_create 'timed out' 'hooks.createRuntime[0]'
	[ $((SECONDS - t0)) -lt 8 ] || fail "create took $((SECONDS - t0)) s"
	local hp
	hp=$(cat "$pf")
	[ ! -e "/proc/$hp" ] || [ "$(cut -d' ' -f3 "/proc/$hp/stat")" = Z ] || fail "the slow hook $hp still runs"
}

@test "hooks: a failing createRuntime hook (second of two) is named with its index" {
	cfg '.hooks = {createRuntime: [$ok, {path: "/bin/sh", args: ["sh", "-c", "exit 3"]}]}' \
		--argjson ok "$(hook_json createRuntime)"
	bad_create 'hooks.createRuntime[1]'
	[ -s "$SHARED/createRuntime.state" ] || fail "the first hook did not run"
}

@test "hooks: a failing prestart hook stops create and leaves nothing" {
	cfg '.hooks = {prestart: [{path: "/bin/false"}]}'
	bad_create 'hooks.prestart[0]'
}

@test "hooks: a failing createContainer hook stops create and leaves nothing" {
	cfg '.hooks = {createContainer: [{path: "/bin/sh", args: ["sh", "-c", "exit 4"]}]}'
	bad_create 'hooks.createContainer[0]'
}

@test "hooks: a failing startContainer hook (start): the workload never runs, container not running" {
	start_hook_rootfs
	cfg '.hooks = {startContainer: [{path: "/bin/sh", args: ["sh", "-c", "exit 5"]}]}'
	set_sh 'echo ran > /mnt/workload; exec sleep 1000'
	create_ctr
	run carrel start "$ID"
	# start may or may not see the error (the init reports it after the
	# exec.fifo handshake); when it does, it must name the hook
	[ "$status" -eq 0 ] || [[ "$output" == *'hooks.startContainer[0]'* ]] || fail "start: $status: $output"
	local s
	sleep 0.3
	s=$(state_of "$ID" status 2>/dev/null || echo gone)
	[ "$s" = stopped ] || [ "$s" = gone ] || wait_status "$ID" stopped 5
	[ ! -e "$SHARED/workload" ] || fail "the workload ran after a failing startContainer hook"
	[ -z "$(leftover_procs)" ] || fail "processes left: $(leftover_procs)"
}

@test "hooks: a failing startContainer hook (run): run fails naming the hook, nothing left" {
	cfg '.hooks = {startContainer: [{path: "/bin/sh", args: ["sh", "-c", "exit 5"]}]}'
	set_sh 'echo ran > /mnt/workload'
	bad_run 'hooks.startContainer[0]'
	[ ! -e "$SHARED/workload" ] || fail "the workload ran after a failing startContainer hook"
}

@test "hooks: a failing startContainer hook (run -d): the workload never runs" {
	cfg '.hooks = {startContainer: [{path: "/bin/sh", args: ["sh", "-c", "exit 5"]}]}'
	set_sh 'echo ran > /mnt/workload; exec sleep 1000'
	carrel_bg run -d --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ] || fail "run -d succeeded"
	[[ "$output" == *'hooks.startContainer[0]'* ]] || fail "$output"
	[ ! -e "$SHARED/workload" ] || fail "the workload ran"
	assert_no_leftovers
}

@test "hooks: a failing poststart hook is only a warning" {
	cfg '.hooks = {poststart: [{path: "/bin/false"}]}'
	set_args sleep 1000
	create_ctr
	run --separate-stderr carrel start "$ID"
	[ "$status" -eq 0 ] || fail "start: $status: $stderr"
	[[ "$stderr" == *warning* ]] || fail "no warning: $stderr"
	[ "$(state_of "$ID" status)" = running ]
}

@test "hooks: a failing poststop hook is only a warning; delete still removes everything" {
	cfg '.hooks = {poststop: [{path: "/bin/sh", args: ["sh", "-c", "exit 6"]}]}'
	set_sh 'exit 0'
	start_ctr
	wait_status "$ID" stopped
	run --separate-stderr carrel delete "$ID"
	[ "$status" -eq 0 ] || fail "delete: $status: $stderr"
	[[ "$stderr" == *warning* ]] || fail "no warning: $stderr"
	assert_no_leftovers
}

@test "hooks: a startContainer hook's stdout and stderr reach the caller: passed on, and in the error when it fails (as runc)" {
	cfg '.hooks = {startContainer: [{path: "/bin/sh", args: ["sh", "-c", "echo hook-out; echo hook-err >&2"]}]}'
	set_args echo workload
	run_ctr_sep
	[ "$status" -eq 0 ] || fail "$status: $stderr"
	[ "$output" = "$(printf 'hook-out\nworkload')" ] || fail "stdout: $output"
	[ "$stderr" = hook-err ] || fail "stderr: $stderr"
	cfg '.hooks = {startContainer: [{path: "/bin/sh", args: ["sh", "-c", "echo why-out; echo why-err >&2; exit 4"]}]}'
	set_args sleep 1000
	carrel_bg run -d --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ] || fail "run -d succeeded"
	[[ "$output" == *'error running hook hooks.startContainer[0] (/bin/sh): it failed with exit status 4; stderr: why-err; stdout: why-out'* ]] || fail "$output"
	assert_no_leftovers
}

@test "hooks: a failing prestart hook's stderr is in create's error" {
	cfg '.hooks = {prestart: [{path: "/bin/sh", args: ["sh", "-c", "echo no-network-for-you >&2; exit 2"]}]}'
	set_args true
	carrel_bg create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ] || fail "$status: $output"
	[[ "$output" == *'hooks.prestart[0]'*'stderr: no-network-for-you'* ]] || fail "$output"
	assert_no_leftovers
}

@test "startContainer hooks run under the container's seccomp filter (as runc orders them)" {
	cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_KILL"}]}
	     | .hooks = {startContainer: [{path: "/bin/sh", args: ["sh", "-c", "mkdir /tmp/by-hook"]}]}'
	set_args true
	run_ctr
	[ "$status" -ne 0 ] || fail "the hook's mkdir was allowed: $output"
	[[ "$output" == *"error running hook hooks.startContainer[0] (/bin/sh): it was killed by signal 31 (bad system call)"* ]] ||
		fail "$output"
}

@test "createContainer hooks run with the rootfs as their working directory (as runc runs them)" {
	local out=$BATS_TEST_TMPDIR/cc-cwd
	cfg '.hooks = {createContainer: [{path: "/bin/sh", args: ["sh", "-c", ("pwd -P > " + $o)]}]}' --arg o "$out"
	set_args true
	run_ctr
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(cat "$out")" = "$(realpath "$ROOTFS")" ] || fail "cwd $(cat "$out"), rootfs $ROOTFS"
}
