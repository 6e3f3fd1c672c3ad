#!/usr/bin/env bats
# Capabilities, masked and read-only paths, sysctls.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() {
	common_setup
	make_bundle
}
teardown() { common_teardown; }

# caps SET... — process.capabilities.{bounding,effective,permitted} = SET
set_caps() {
	cfg '.process.capabilities = {bounding: $c, effective: $c, permitted: $c}' --argjson c "$(json_array "$@")"
}

# run the container printing the Cap* lines of its pid 1 (the shell itself,
# exec'd directly by carrel), then CAP_xxx=value variables for the checks.
caps_of_ctr() {
	ctr_sh 'grep -E "^(Cap|NoNewPrivs)" /proc/$$/status'
	[ "$status" -eq 0 ] || fail "$output"
	CapInh=$(status_field CapInh)
	CapPrm=$(status_field CapPrm)
	CapEff=$(status_field CapEff)
	CapBnd=$(status_field CapBnd)
	CapAmb=$(status_field CapAmb)
}

@test "capabilities: default spec -> Eff/Prm/Bnd = KILL|NET_BIND_SERVICE|AUDIT_WRITE, Inh/Amb empty" {
	caps_of_ctr
	[ "$CapEff" = "$DEFAULT_CAPS" ]
	[ "$CapPrm" = "$DEFAULT_CAPS" ]
	[ "$CapBnd" = "$DEFAULT_CAPS" ]
	[ "$CapInh" = 0000000000000000 ]
	[ "$CapAmb" = 0000000000000000 ]
}

@test "capabilities: a custom set is applied to every mask" {
	set_caps CAP_CHOWN CAP_SETUID CAP_SYS_ADMIN
	caps_of_ctr
	# CHOWN=0 SETUID=7 SYS_ADMIN=21
	[ "$CapBnd" = 0000000000200081 ]
	[ "$CapPrm" = 0000000000200081 ]
	[ "$CapEff" = 0000000000200081 ]
	[ "$CapInh" = 0000000000000000 ]
}

@test "capabilities: bounding and permitted are distinct sets" {
	cfg '.process.capabilities = {bounding: ["CAP_CHOWN", "CAP_SETUID", "CAP_SYS_ADMIN"],
	                              permitted: ["CAP_CHOWN", "CAP_SETUID"],
	                              effective: ["CAP_CHOWN", "CAP_SETUID"]}'
	caps_of_ctr
	[ "$CapBnd" = 0000000000200081 ]
	# no_new_privs (default) keeps exec from growing permitted beyond the spec's
	[ "$CapPrm" = 0000000000000081 ]
	[ "$CapEff" = 0000000000000081 ]
}

@test "capabilities: empty capabilities object -> no capabilities at all" {
	cfg '.process.capabilities = {}'
	caps_of_ctr
	[ "$CapBnd" = 0000000000000000 ]
	[ "$CapEff" = 0000000000000000 ]
	[ "$CapPrm" = 0000000000000000 ]
}

@test "capabilities: without CAP_SYS_ADMIN root cannot sethostname or mount" {
	add_tmp
	ctr_sh 'hostname changed 2>&1 || echo sethostname-denied; mount -t tmpfs none /tmp 2>&1 || echo mount-denied; hostname'
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | grep -qx sethostname-denied
	printf '%s\n' "$output" | grep -qx mount-denied
	[ "${lines[-1]}" = carrel ]
}

@test "capabilities: with CAP_SYS_ADMIN root can sethostname" {
	set_caps CAP_SYS_ADMIN
	ctr_sh 'hostname changed && hostname'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = changed ]
}

@test "capabilities: without CAP_CHOWN root cannot chown" {
	add_tmp
	ctr_sh 'touch /tmp/f; chown 1000 /tmp/f 2>&1 || echo chown-denied'
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | grep -qx chown-denied
}

@test "capabilities: non-root user without ambient caps has empty Eff/Prm" {
	cfg '.process.user = {uid: 1000, gid: 1000}'
	caps_of_ctr
	[ "$CapEff" = 0000000000000000 ]
	[ "$CapPrm" = 0000000000000000 ]
	[ "$CapBnd" = "$DEFAULT_CAPS" ]
}

@test "capabilities: ambient (with inheritable) survive exec for a non-root user" {
	cfg '.process.user = {uid: 1000, gid: 1000}
	   | .process.capabilities = {bounding: ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
	                              effective: ["CAP_NET_BIND_SERVICE"],
	                              permitted: ["CAP_NET_BIND_SERVICE"],
	                              inheritable: ["CAP_NET_BIND_SERVICE"],
	                              ambient: ["CAP_NET_BIND_SERVICE"]}'
	caps_of_ctr
	[ "$CapAmb" = 0000000000000400 ]
	[ "$CapInh" = 0000000000000400 ]
	[ "$CapPrm" = 0000000000000400 ]
	[ "$CapEff" = 0000000000000400 ]
	[ "$CapBnd" = 0000000000000420 ]
}

@test "capabilities: inheritable without ambient is reported in CapInh only" {
	cfg '.process.capabilities.inheritable = ["CAP_KILL"]'
	caps_of_ctr
	[ "$CapInh" = 0000000000000020 ]
	[ "$CapAmb" = 0000000000000000 ]
}

# A capability that cannot be granted is dropped with a warning (runtime-spec:
# SHOULD warn), as runc does: buildah sends ambient caps without inheritable.
@test "capabilities: an unknown name is dropped with a warning in the log, the rest is granted" {
	cfg '.process.capabilities.bounding += ["CAP_NOT_A_CAP"]'
	set_sh 'grep -E "^(Cap|NoNewPrivs)" /proc/$$/status'
	run carrel --log "$BATS_TEST_TMPDIR/log" run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(status_field CapBnd)" = "$DEFAULT_CAPS" ]
	grep -qF 'level=warning msg="config.json: process.capabilities.bounding[3]: unknown capability \"CAP_NOT_A_CAP\" dropped' \
		"$BATS_TEST_TMPDIR/log" || fail "$(cat "$BATS_TEST_TMPDIR/log")"
}

@test "capabilities: ambient without inheritable (buildah's spec) is dropped with a warning" {
	cfg '.process.user = {uid: 1000, gid: 1000}
	   | .process.capabilities = {bounding: ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
	                              effective: ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
	                              permitted: ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
	                              inheritable: ["CAP_KILL"],
	                              ambient: ["CAP_NET_BIND_SERVICE", "CAP_KILL"]}'
	set_sh 'grep -E "^(Cap|NoNewPrivs)" /proc/$$/status'
	run carrel --log "$BATS_TEST_TMPDIR/log" run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 0 ] || fail "$output"
	# CAP_KILL (permitted and inheritable) survives as ambient; NET_BIND_SERVICE is dropped.
	[ "$(status_field CapAmb)" = 0000000000000020 ] || fail "$output"
	grep -q 'process.capabilities.ambient: CAP_NET_BIND_SERVICE dropped: an ambient capability must also be permitted and inheritable' \
		"$BATS_TEST_TMPDIR/log" || fail "$(cat "$BATS_TEST_TMPDIR/log")"
}

# -- masked / read-only paths ---------------------------------------------------

@test "maskedPaths: /proc/kcore, /proc/keys, /proc/timer_list read as empty" {
	# only those the host kernel has (this VM has no /proc/kcore)
	local f files=""
	for f in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug /proc/latency_stats; do
		[ -e "$f" ] && files+="$f "
	done
	[ -n "$files" ] || skip "none of the masked /proc files exist on this host"
	ctr_sh 'for f in '"$files"'; do cat $f >/dev/null && echo "$f $(wc -c < $f)"; done'
	[ "$status" -eq 0 ] || fail "$output"
	local want=""
	for f in $files; do want+="$f 0"$'\n'; done
	[ "$output"$'\n' = "$want" ] || fail "got: $output"
	# timer_list is non-empty on the host: the mask really hides content
	[ ! -e /proc/timer_list ] || [ "$(wc -c </proc/timer_list)" -gt 0 ]
}

@test "maskedPaths: /sys/firmware is an empty directory" {
	[ -n "$(ls -A /sys/firmware)" ] || skip "host /sys/firmware is empty"
	ctr_sh '[ -d /sys/firmware ] && ls -A /sys/firmware | wc -l'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(echo $output)" = 0 ]
}

@test "maskedPaths: custom file and directory entries; missing paths are ignored" {
	cfg '.linux.maskedPaths = ["/etc/hostname", "/home", "/does/not/exist"]'
	ctr_sh 'wc -c < /etc/hostname; ls -A /home | wc -l; head -n1 /etc/passwd'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(echo ${lines[0]})" = 0 ]
	[ "$(echo ${lines[1]})" = 0 ]
	[ "${lines[2]}" = root:x:0:0:root:/root:/bin/sh ]
}

@test "readonlyPaths: /proc/sys (and /proc/sysrq-trigger if present) are read-only" {
	# Opening for writing without writing anything: harmless even if the
	# path were (wrongly) writable.
	# (`true`, not `:`: a failed redirection on a special builtin exits sh)
	ctr_sh 'true > /proc/sys/kernel/printk_ratelimit 2>&1 || echo sys-ro
		if [ -e /proc/sysrq-trigger ]; then true > /proc/sysrq-trigger 2>&1 || echo sysrq-ro; else echo sysrq-ro; fi'
	[ "$status" -eq 0 ] || fail "$output"
	printf '%s\n' "$output" | grep -qx sysrq-ro
	printf '%s\n' "$output" | grep -qx sys-ro
	printf '%s\n' "$output" | grep -q 'Read-only file system'
}

@test "readonlyPaths: every default entry that exists is a read-only mount" {
	ctr_sh 'cat /proc/self/mountinfo'
	[ "$status" -eq 0 ] || fail "$output"
	local p m opts
	for p in /proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger; do
		[ -e "$p" ] || continue
		m=$(printf '%s\n' "$output" | mnt_info "$p") || fail "$p is not a mount point inside"
		read -r _ opts _ <<<"$m"
		has_opt "$opts" ro || fail "$p is not read-only: $m"
	done
}

@test "readonlyPaths: a custom entry (tmpfs /tmp) becomes read-only" {
	add_tmp
	cfg '.linux.readonlyPaths += ["/tmp"]'
	ctr_sh 'touch /tmp/x 2>&1 || echo tmp-ro'
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | grep -qx tmp-ro
	printf '%s\n' "$output" | grep -q 'Read-only file system'
}

# -- sysctl ---------------------------------------------------------------------

@test "sysctl: namespaced net.ipv4.ip_forward is set inside the network namespace" {
	local host_before
	host_before=$(cat /proc/sys/net/ipv4/ip_forward)
	cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	ctr_sh 'cat /proc/sys/net/ipv4/ip_forward'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = 1 ]
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host_before" ]
}

@test "sysctl: ipc and uts keys in their namespaces" {
	cfg '.linux.sysctl = {"kernel.shmmni": "1234", "kernel.domainname": "sysctl.example"}'
	ctr_sh 'cat /proc/sys/kernel/shmmni /proc/sys/kernel/domainname'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = $'1234\nsysctl.example' ]
	[ "$(cat /proc/sys/kernel/shmmni)" != 1234 ]
}

@test "sysctl: kernel.core_pattern (not namespaced) is refused" {
	local before
	before=$(cat /proc/sys/kernel/core_pattern)
	cfg '.linux.sysctl = {"kernel.core_pattern": "|/bin/false"}'
	set_args true
	run_ctr
	[ "$status" -eq 1 ]
	[[ "$output" == *kernel.core_pattern* ]]
	[ "$(cat /proc/sys/kernel/core_pattern)" = "$before" ]
	assert_no_leftovers
}

@test "sysctl: net.* without a new network namespace is refused" {
	local before
	before=$(cat /proc/sys/net/ipv4/ip_forward)
	drop_ns network
	cfg '.linux.sysctl = {"net.ipv4.ip_forward": (if $b == "1" then "0" else "1" end)}' --arg b "$before"
	set_args true
	run_ctr
	[ "$status" -eq 1 ]
	[[ "$output" == *net.ipv4.ip_forward* ]]
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$before" ]
	assert_no_leftovers
}

@test "sysctl: keys with '/' or '..' are refused" {
	local key
	set_args true
	for key in net/ipv4/ip_forward net.ipv4..ip_forward ../../kernel/core_pattern net.ipv4.conf.all/../../../kernel.core_pattern; do
		cfg '.linux.sysctl = {($k): "1"}' --arg k "$key"
		run_ctr
		[ "$status" -eq 1 ] || fail "key $key accepted: $output"
		assert_no_leftovers
	done
}

@test "sysctl: a value with a newline is refused" {
	cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1\n0"}'
	set_args true
	run_ctr
	[ "$status" -eq 1 ]
	assert_no_leftovers
}

@test "LSM labels on a host without that LSM: ignored with a debug line (as runc and crun), for run and exec" {
	[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ] || skip "AppArmor is enabled here"
	[ "$(stat -fc %T /sys/fs/selinux 2>/dev/null)" != selinuxfs ] || skip "SELinux is enabled here"
	cfg '.process.apparmorProfile = "carrel-test" | .process.selinuxLabel = "system_u:system_r:container_t:s0" | .linux.mountLabel = "system_u:object_r:container_file_t:s0"'
	set_args sleep 1000
	local log=$BATS_TEST_TMPDIR/debug.log
	carrel_bg --debug --log "$log" create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ] || fail "$output"
	local f
	for f in process.apparmorProfile process.selinuxLabel linux.mountLabel; do
		grep -q "level=debug msg=\"$f .* ignored: .* is not enabled on this host" "$log" || fail "no debug line for $f: $(cat "$log")"
	done
	run carrel start "$ID"
	[ "$status" -eq 0 ] || fail "$output"
	run carrel exec --apparmor other --process-label "system_u:system_r:spc_t:s0" "$ID" echo exec-ok
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = exec-ok ] || fail "$output"
}
