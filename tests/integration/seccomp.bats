#!/usr/bin/env bats
# linux.seccomp: default profile, custom rules, actions, argument filters.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() {
	common_setup
	make_bundle
	add_tmp
}
teardown() { common_teardown; }

# seccomp_profile DEFAULT_ACTION RULES_JSON
seccomp_profile() {
	cfg '.linux.seccomp = {defaultAction: $d, architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], syscalls: $r}' \
		--arg d "$1" --argjson r "$2"
}

@test "seccomp: no linux.seccomp -> no filter" {
	cfg 'del(.linux.seccomp)'
	ctr_sh 'grep ^Seccomp: /proc/self/status'
	[ "$status" -eq 0 ] || fail "$output"
	[[ "$output" =~ ^Seccomp:[[:space:]]+0$ ]]
}

@test "seccomp: the default spec's profile is loaded and a shell session works" {
	jq -e '.linux.seccomp' "$BUNDLE/config.json" >/dev/null || skip "default spec has no seccomp profile"
	ctr_sh 'grep ^Seccomp: /proc/self/status; mkdir /tmp/d && echo x > /tmp/d/f && cat /tmp/d/f; ls / >/dev/null && echo ls-ok; sleep 0.01 && echo sleep-ok; kill -0 $$ && echo kill-ok'
	[ "$status" -eq 0 ] || fail "$output"
	[[ "${lines[0]}" =~ ^Seccomp:[[:space:]]+2$ ]]
	[ "${lines[1]}" = x ]
	[ "${lines[2]}" = ls-ok ]
	[ "${lines[3]}" = sleep-ok ]
	[ "${lines[4]}" = kill-ok ]
}

@test "seccomp: SCMP_ACT_ERRNO with errnoRet denies just the listed syscalls" {
	seccomp_profile SCMP_ACT_ALLOW '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]'
	ctr_sh 'mkdir /tmp/d 2>&1 || echo mkdir-denied; touch /tmp/f && echo touch-ok'
	[ "$status" -eq 0 ] || fail "$output"
	printf '%s\n' "$output" | grep -q 'Operation not permitted'
	printf '%s\n' "$output" | grep -qx mkdir-denied
	printf '%s\n' "$output" | grep -qx touch-ok
}

@test "seccomp: errnoRet value is returned (ENOSPC)" {
	seccomp_profile SCMP_ACT_ALLOW '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 28}]'
	ctr_sh 'mkdir /tmp/d 2>&1; exit 0'
	[ "$status" -eq 0 ]
	[[ "$output" == *"No space left on device"* ]]
}

@test "seccomp: SCMP_ACT_KILL_PROCESS kills with SIGSYS" {
	seccomp_profile SCMP_ACT_ALLOW '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"}]'
	ctr_sh 'mkdir /tmp/d; echo rc=$?'
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[-1]}" = rc=159 ]
}

@test "seccomp: argument filter (kill with SIGUSR1 denied, other signals allowed)" {
	seccomp_profile SCMP_ACT_ALLOW '[{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
		"args": [{"index": 1, "value": 10, "op": "SCMP_CMP_EQ"}]}]'
	ctr_sh 'trap "echo got-usr1" USR1; trap "echo got-hup" HUP; kill -USR1 $$ || echo usr1-denied; kill -HUP $$; exit 0'
	[ "$status" -eq 0 ] || fail "$output"
	printf '%s\n' "$output" | grep -qx usr1-denied
	printf '%s\n' "$output" | grep -qx got-hup
	! printf '%s\n' "$output" | grep -qx got-usr1
}

@test "seccomp: defaultAction ERRNO with an allow list" {
	# allow everything a shell + cat needs except the syscalls of mkdir
	local names
	names=$(jq -c '[.linux.seccomp.syscalls[]? | select(.action == "SCMP_ACT_ALLOW") | .names[]] | unique' "$BUNDLE/config.json")
	[ "$names" != "[]" ] && [ "$names" != null ] || skip "no default allow list to start from"
	names=$(jq -c 'map(select(. != "mkdir" and . != "mkdirat"))' <<<"$names")
	cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 1, syscalls: [{names: $n, action: "SCMP_ACT_ALLOW"}]}' \
		--argjson n "$names"
	ctr_sh 'mkdir /tmp/d 2>&1 || echo mkdir-denied; echo still-alive'
	[ "$status" -eq 0 ] || fail "$output"
	printf '%s\n' "$output" | grep -qx mkdir-denied
	printf '%s\n' "$output" | grep -qx still-alive
}

@test "seccomp: loaded also when noNewPrivileges is false" {
	cfg '.process.noNewPrivileges = false'
	seccomp_profile SCMP_ACT_ALLOW '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]'
	ctr_sh 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; mkdir /tmp/d 2>/dev/null || echo mkdir-denied'
	[ "$status" -eq 0 ] || fail "$output"
	printf '%s\n' "$output" | grep -Eq '^Seccomp:[[:space:]]+2$'
	printf '%s\n' "$output" | grep -Eq '^NoNewPrivs:[[:space:]]+0$'
	printf '%s\n' "$output" | grep -qx mkdir-denied
}

@test "seccomp: unknown action is a spec error naming the JSON path" {
	seccomp_profile SCMP_ACT_ALLOW '[{"names": ["mkdir"], "action": "SCMP_ACT_BOGUS"}]'
	set_args true
	carrel_bg create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"linux.seccomp.syscalls[0].action"* ]] || fail "$output"
	[[ "$output" == *SCMP_ACT_BOGUS* ]]
	assert_no_leftovers
}

@test "seccomp: syscall names unknown to libseccomp are skipped, known ones applied (like runc)" {
	seccomp_profile SCMP_ACT_ALLOW '[{"names": ["not_a_syscall_xyz", "mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]'
	ctr_sh 'mkdir /tmp/d 2>/dev/null || echo mkdir-denied'
	[ "$status" -eq 0 ] || fail "$output"
	printf '%s\n' "$output" | grep -qx mkdir-denied
}

@test "seccomp: features reports seccomp support" {
	run -0 "$CARREL" features
	jq -e '.linux.seccomp.enabled == true' <<<"$output" >/dev/null || fail "features: $(jq -c .linux.seccomp <<<"$output")"
	jq -e '.linux.seccomp.actions | index("SCMP_ACT_ERRNO") and index("SCMP_ACT_ALLOW")' <<<"$output" >/dev/null
	jq -e '.linux.seccomp.operators | index("SCMP_CMP_EQ")' <<<"$output" >/dev/null
}

# The probe: a static binary bound into the container at /probe.
use_probe() {
	local probe=$BATS_FILE_TMPDIR/sysprobe
	[ -x "$probe" ] || gcc -static -O1 -o "$probe" "$LIBDIR/sysprobe.c" || skip "cannot build the static probe"
	add_mount /probe bind "$probe" bind ro
}

DENIED="kexec_load init_module finit_module bpf perf_event_open keyctl add_key open_by_handle_at mount umount2 pivot_root unshare setns swapon acct settimeofday iopl userfaultfd io_uring_setup syslog"

@test "seccomp: the default profile denies each call on its list, through its own rule" {
	jq -e '.linux.seccomp' "$BUNDLE/config.json" >/dev/null || skip "default spec has no seccomp profile"
	# Mark the explicit deny rules with an errno of their own (ENOTNAM, 118):
	# an EPERM from a missing capability cannot pass for the filter then.
	cfg '.linux.seccomp.syscalls |= map(if .action == "SCMP_ACT_ERRNO" and .errnoRet == 1 then .errnoRet = 118 else . end)'
	use_probe
	# shellcheck disable=SC2086
	set_args /probe $DENIED getpid uname
	run_ctr
	[ "$status" -eq 0 ] || fail "$output"
	local n bad=""
	for n in $DENIED; do
		grep -qx "$n=118" <<<"$output" || bad+=" $(grep "^$n=" <<<"$output" || echo "$n=missing")"
	done
	[ -z "$bad" ] || fail "not denied by the profile:$bad"
	grep -qx "getpid=0" <<<"$output" || fail "$output"
	grep -qx "uname=14" <<<"$output" || grep -qx "uname=0" <<<"$output" || fail "uname was filtered: $output"
	# without the filter the same calls reach the kernel (some other errno)
	cfg 'del(.linux.seccomp)'
	run_ctr
	! grep -q "=118$" <<<"$output" || fail "ENOTNAM without a filter: $output"
}

@test "seccomp: SCMP_ACT_TRAP (SIGSYS), SCMP_ACT_KILL_THREAD, SCMP_ACT_LOG and SCMP_ACT_TRACE" {
	use_probe
	seccomp_profile SCMP_ACT_ALLOW '[{"names": ["acct"], "action": "SCMP_ACT_TRAP"}]'
	set_args /probe acct
	run_ctr
	[ "$status" -eq $((128 + 31)) ] || fail "TRAP: status $status: $output"
	seccomp_profile SCMP_ACT_ALLOW '[{"names": ["acct"], "action": "SCMP_ACT_KILL_THREAD"}]'
	run_ctr
	[ "$status" -eq $((128 + 31)) ] || fail "KILL_THREAD: status $status: $output"
	# LOG allows (the kernel logs): the call reaches the kernel
	seccomp_profile SCMP_ACT_ALLOW '[{"names": ["acct"], "action": "SCMP_ACT_LOG"}]'
	run_ctr
	[ "$status" -eq 0 ] || fail "LOG: $output"
	[[ "$output" == acct=* && "$output" != "acct=38" ]] || fail "LOG: $output"
	# TRACE without a tracer: the call fails with ENOSYS
	seccomp_profile SCMP_ACT_ALLOW '[{"names": ["acct"], "action": "SCMP_ACT_TRACE"}]'
	run_ctr
	[ "$output" = "acct=38" ] || fail "TRACE: $output"
}

@test "seccomp: argument filter with SCMP_CMP_MASKED_EQ (value under a mask)" {
	use_probe
	# unshare(flags): the probe passes 0; deny when (flags & 0x10000000) == 0,
	# i.e. no CLONE_NEWUSER bit: so unshare(0) is denied, getpid is not
	seccomp_profile SCMP_ACT_ALLOW '[{"names": ["unshare"], "action": "SCMP_ACT_ERRNO", "errnoRet": 118,
		"args": [{"index": 0, "value": 268435456, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]}]'
	set_args /probe unshare getpid
	run_ctr
	[ "$status" -eq 0 ] || fail "$output"
	grep -qx "unshare=118" <<<"$output" || fail "$output"
	# a mask that does not match lets it through to the kernel
	seccomp_profile SCMP_ACT_ALLOW '[{"names": ["unshare"], "action": "SCMP_ACT_ERRNO", "errnoRet": 118,
		"args": [{"index": 0, "value": 268435456, "valueTwo": 268435456, "op": "SCMP_CMP_MASKED_EQ"}]}]'
	run_ctr
	grep -qx "unshare=0" <<<"$output" || fail "$output"
}

@test "seccomp: loaded after the cwd is entered, so a profile denying chdir and getcwd works (noNewPrivileges false and true)" {
	local nnp
	for nnp in false true; do
		cfg '.process.noNewPrivileges = ($n == "true") | .process.cwd = "/bin"' --arg n "$nnp"
		seccomp_profile SCMP_ACT_ALLOW '[{"names": ["chdir", "fchdir", "getcwd"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]'
		set_args /bin/ls ./busybox
		run_ctr
		[ "$status" -eq 0 ] || fail "noNewPrivileges $nnp: status $status: $output"
		[ "$output" = ./busybox ] || fail "noNewPrivileges $nnp: $output"
		carrel delete --force "$ID" >/dev/null 2>&1 || true
	done
}
