#!/usr/bin/env bats
# `carrel run --rootfs DIR [flags] -- CMD`: a virtual server from one line,
# no config.json. Checked from inside the container.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() { common_setup; }
teardown() { common_teardown; }

vs() { run carrel run --rootfs "$ROOTFS" --name "$ID" "$@" </dev/null; }

# A private copy of the rootfs, for profiles that make / writable.
copy_rootfs_dir() {
	cp -a "$ROOTFS" "$BATS_TEST_TMPDIR/rootfs"
	_open_path "$BATS_TEST_TMPDIR/rootfs"
	echo "$BATS_TEST_TMPDIR/rootfs"
}

@test "run --rootfs: pid 1, its own hostname (the name), the rootfs as /" {
	vs -- sh -c 'echo $$; hostname; ls /bin/busybox'
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = "$ID" ]
	[ "${lines[2]}" = /bin/busybox ]
}

@test "run --rootfs: exit status passes through and nothing is left behind" {
	vs -- sh -c 'exit 9'
	[ "$status" -eq 9 ]
	[ ! -e "$STATE/$ID" ] && [ ! -e "$STATE/.bundles/$ID" ] || fail "left: $(ls -a "$STATE" "$STATE/.bundles")"
}

@test "run --rootfs: --hostname, --env, --workdir, --user, --read-only" {
	vs --hostname web --env FOO=bar --env PATH=/bin --workdir /tmp --user 1000:1000 --read-only -- \
		sh -c 'hostname; echo $FOO $PATH; pwd; id -u; id -g; touch /x 2>/dev/null && echo writable || echo ro'
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = web ]
	[ "${lines[1]}" = "bar /bin" ]
	[ "${lines[2]}" = /tmp ]
	[ "${lines[3]}" = 1000 ] && [ "${lines[4]}" = 1000 ]
	[ "${lines[5]}" = ro ]
}

@test "run --rootfs: --bind SRC:DST:ro and --tmpfs DST:size=" {
	mkdir -p "$BATS_TEST_TMPDIR/share"
	echo hello >"$BATS_TEST_TMPDIR/share/f"
	vs --bind "$BATS_TEST_TMPDIR/share:/mnt/share:ro" --tmpfs /scratch:size=1m -- \
		sh -c 'cat /mnt/share/f; { echo x > /mnt/share/g; } 2>/dev/null || echo bind-ro; grep " /scratch " /proc/self/mountinfo'
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = hello ]
	[ "${lines[1]}" = bind-ro ]
	[[ "${lines[2]}" == *tmpfs*size=1024k* ]] || fail "${lines[2]}"
	[ ! -e "$BATS_TEST_TMPDIR/share/g" ]
}

@test "run --rootfs: --cap-add and --cap-drop change the sets, inheritable stays empty" {
	vs --cap-add NET_RAW --cap-drop KILL -- cat /proc/self/status
	[ "$status" -eq 0 ] || fail "$output"
	# default 0x20000420 (AUDIT_WRITE|KILL|NET_BIND_SERVICE) - KILL(5) + NET_RAW(13)
	[ "$(status_field CapEff)" = 0000000020002400 ] || fail "$output"
	[ "$(status_field CapInh)" = 0000000000000000 ] || fail "$output"
}

@test "run --rootfs: --seccomp default filters, unconfined does not" {
	vs -- grep Seccomp: /proc/self/status
	[[ "$output" == *2 ]] || fail "$output"
	run carrel run --rootfs "$ROOTFS" --name "$ID-u" --seccomp unconfined -- grep Seccomp: /proc/self/status
	[[ "$output" == *0 ]] || fail "$output"
}

@test "run --rootfs: --net none has only loopback; --net host shares the host's network namespace" {
	vs --net none -- sh -c 'cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "'
	[ "$output" = lo ] || fail "$output"
	run carrel run --rootfs "$ROOTFS" --name "$ID-h" --net host -- readlink /proc/self/ns/net
	[ "$output" = "$(readlink /proc/self/ns/net)" ] || fail "$output"
}

@test "run --rootfs -d: an ordinary container for list, exec, kill and delete, by name" {
	carrel_bg run --rootfs "$ROOTFS" --name "$ID" -d -- sleep 100
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(cat "$CTR_OUT")" = "$ID" ] || fail "printed: $(cat "$CTR_OUT")"
	run -0 carrel list -q
	[[ "$output" == *"$ID"* ]]
	run carrel exec "$ID" hostname
	[ "$status" -eq 0 ] && [ "$output" = "$ID" ] || fail "exec: $status $output"
	run -0 carrel kill "$ID" KILL
	wait_status "$ID" stopped
	run -0 carrel delete "$ID"
	[ ! -e "$STATE/.bundles/$ID" ] || fail "bundle left"
}

@test "run --rootfs --dry-run prints the config.json it would run, which runs as a bundle" {
	run -0 carrel run --rootfs "$ROOTFS" --name "$ID" --memory 64m --pids 100 --cpus 0.5 --dry-run -- echo hi
	local c=$output
	[ "$(jq -r .root.path <<<"$c")" = "$(realpath "$ROOTFS")" ]
	[ "$(jq -c .process.args <<<"$c")" = '["echo","hi"]' ]
	[ "$(jq -r .linux.resources.memory.limit <<<"$c")" = 67108864 ]
	[ "$(jq -r .linux.resources.pids.limit <<<"$c")" = 100 ]
	[ "$(jq -r .linux.resources.cpu.quota <<<"$c")" = 50000 ]
	[ ! -e "$STATE/$ID" ] && [ ! -e "$STATE/.bundles/$ID" ]
	mkdir -p "$BUNDLE"
	jq 'del(.linux.resources)' <<<"$c" >"$BUNDLE/config.json"
	run -0 carrel run --bundle "$BUNDLE" "$ID"
	[ "$output" = hi ]
}

@test "profile server: /run and /tmp tmpfs, a writable root; profile limits the host cannot give are dropped with a warning" {
	run --separate-stderr carrel run --rootfs "$(copy_rootfs_dir)" --name "$ID" --profile server -- \
		sh -c 'grep -E " /(run|tmp) " /proc/self/mountinfo | cut -d" " -f5; touch /probe && echo root-rw'
	[ "$status" -eq 0 ] || fail "$output $stderr"
	[ "${lines[0]}" = /run ] && [ "${lines[1]}" = /tmp ] || fail "$output"
	[ "${lines[2]}" = root-rw ]
	# the memory controller, in cgroup v2 or v1, serves the profile's limit; without one it is dropped
	if grep -qw memory "$(cg_root)/cgroup.controllers" || v1_hierarchy memory >/dev/null; then
		[[ "$stderr" != *warning*memory* ]] || fail "dropped although the host has it: $stderr"
	else
		[[ "$stderr" == *warning*memory* ]] || fail "no warning: $stderr"
	fi
}

@test "profile FILE: objects merge, 'key+' appends to an array" {
	cat >"$BATS_TEST_TMPDIR/p.json" <<-'EOF2'
	{"hostname": "from-profile", "process": {"env+": ["P=1"]},
	 "mounts+": [{"destination": "/opt", "type": "tmpfs", "source": "tmpfs"}]}
	EOF2
	run carrel run --rootfs "$ROOTFS" --profile "$BATS_TEST_TMPDIR/p.json" --name "$ID" --hostname flag-wins -- \
		sh -c 'hostname; echo $P; echo $TERM; grep -c " /opt " /proc/self/mountinfo'
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = flag-wins ]
	[ "${lines[1]}" = 1 ]
	[ "${lines[2]}" = xterm ] # the default env is still there
	[ "${lines[3]}" = 1 ]
}

@test "run --rootfs: bad flags name the flag and leave nothing" {
	local args
	for args in "--memory lots" "--cpus -1" "--net bogus" "--bind relative:/x" "--profile nosuch" "--user root" "--cap-add NOPE" "--userns bogus"; do
		# shellcheck disable=SC2086
		run carrel run --rootfs "$ROOTFS" --name "$ID" $args -- true
		[ "$status" -ne 0 ] || fail "$args accepted"
		[[ "$output" == *"${args%% *}"* ]] || fail "$args: error does not name the flag: $output"
	done
	[ ! -e "$STATE/$ID" ] && [ ! -e "$STATE/.bundles/$ID" ] || fail "left: $(ls -a "$STATE" "$STATE/.bundles" 2>&1)"
}

@test "run --rootfs: a missing rootfs and a missing command are clear errors" {
	run carrel run --rootfs "$BATS_TEST_TMPDIR/none" -- true
	[ "$status" -ne 0 ] && [[ "$output" == *--rootfs* ]] || fail "$output"
	run carrel run --rootfs "$ROOTFS"
	[ "$status" -ne 0 ] && [[ "$output" == *"no command"* ]] || fail "$output"
}

@test "run --rootfs: a --root that does not exist yet is made with its parents (with --userns auto too)" {
	local root=$BATS_TEST_TMPDIR/x/y/state
	run timeout 20 "$CARREL" --root "$root" run --rootfs "$ROOTFS" --name "$ID" --userns auto -- sh -c 'exit 3' </dev/null
	[ "$status" -eq 3 ] || fail "status $status: $output"
	[ "$(stat -c %a "$root")" = 700 ]
	[ ! -e "$root/$ID" ] && [ ! -e "$root/.bundles/$ID" ] || fail "left: $(ls -aR "$root")"
}

@test "options are never abbreviated: --root is not --rootfs, --form is not --format" {
	run carrel run --rootfs "$ROOTFS" --root "$BATS_TEST_TMPDIR/other" --name "$ID" -- true
	[ "$status" -ne 0 ] && [[ "$output" == *"unknown option --root"* ]] || fail "$status: $output"
	run carrel list --form json
	[ "$status" -ne 0 ] && [[ "$output" == *"unknown option --form"* ]] || fail "$status: $output"
	run timeout 10 "$CARREL" --roo "$STATE" list
	[ "$status" -ne 0 ] || fail "--roo accepted: $output"
	# the full names, and --name=VALUE, still work
	run -0 carrel list --format=json
	run -0 timeout 10 "$CARREL" --root="$STATE" run --rootfs="$ROOTFS" --name="$ID" -- true
}

@test "run --rootfs: --name is checked like an id; --net errors name the flag, not config.json" {
	local bad
	for bad in 'a/b' '..' 'x y' "$(printf 'n%.0s' {1..201})"; do
		run carrel run --rootfs "$ROOTFS" --name "$bad" -- true
		[ "$status" -ne 0 ] && [[ "$output" == *--name* ]] || fail "--name '$bad': $status $output"
	done
	for bad in veth:10.0.0.1/99 veth:10.0.0.1 veth,bogus=1; do
		run carrel run --rootfs "$ROOTFS" --name "$ID" --net "$bad" -- true
		[ "$status" -ne 0 ] || fail "--net $bad accepted"
		[[ "$output" == *--net* && "$output" != *config.json* ]] || fail "--net $bad: $output"
	done
	[ ! -e "$STATE/$ID" ] && [ ! -e "$STATE/.bundles/$ID" ] || fail "left: $(ls -a "$STATE" "$STATE/.bundles" 2>&1)"
}

@test "an ordinary user is told that carrel must run as root" {
	command -v setpriv >/dev/null || skip "no setpriv"
	run timeout 10 setpriv --reuid 65534 --regid 65534 --clear-groups "$CARREL" --root "$STATE/sub" \
		run --rootfs "$ROOTFS" --name "$ID" -- true
	[ "$status" -ne 0 ] && [[ "$output" == *"carrel must run as root"*ROOTLESS* ]] || fail "$status: $output"
	[ ! -e "$STATE/sub" ]
}

@test "profile server: Docker's default capabilities, NET_RAW included, so ping works" {
	run carrel run --rootfs "$(copy_rootfs_dir)" --name "$ID" --profile server -- \
		sh -c 'grep CapEff /proc/self/status; ping -c1 -W2 127.0.0.1 >/dev/null && echo ping-ok'
	[ "$status" -eq 0 ] || fail "$output"
	# CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE
	# NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP
	[[ "$output" == *"CapEff:	00000000a80425fb"* ]] || fail "$output"
	[[ "$output" == *ping-ok* ]] || fail "$output"
}

@test "run --rootfs -d: detaches from the caller's stdio, prints the name; carrel logs prints the output" {
	local name start
	start=$(date +%s)
	# a pipe, as in name=$(carrel run -d ...): it must not wait for the container
	name=$(timeout 10 "$CARREL" --root "$STATE" run --rootfs "$ROOTFS" --name "$ID" -d -- \
		sh -c 'echo to-stdout; echo to-stderr >&2; exec sleep 100')
	[ "$name" = "$ID" ] || fail "printed: $name"
	[ $(($(date +%s) - start)) -lt 5 ] || fail "run -d waited for the container"
	sleep 0.5
	run -0 carrel logs "$ID"
	[[ "$output" == *to-stdout* && "$output" == *to-stderr* ]] || fail "$output"
	run -0 carrel help logs
	[[ "$output" == *--follow* ]]
	run -0 carrel kill "$ID" KILL
	wait_status "$ID" stopped
	run -0 carrel delete "$ID"
	run carrel logs "$ID"
	[ "$status" -ne 0 ]
}

@test "carrel logs --follow prints until the container stops" {
	carrel_bg run --rootfs "$ROOTFS" --name "$ID" -d -- sh -c 'echo one; sleep 1; echo two'
	[ "$status" -eq 0 ] || fail "$output"
	run -0 carrel logs -f "$ID"
	[ "$output" = "one
two" ] || fail "$output"
	run -0 carrel delete "$ID"
}

@test "run --rootfs --keep: the stopped container stays until delete" {
	vs --keep -- sh -c 'exit 4'
	[ "$status" -eq 4 ] || fail "$status $output"
	run -0 carrel state "$ID"
	[ "$(jq -r .status <<<"$output")" = stopped ]
	run -0 carrel delete "$ID"
	[ ! -e "$STATE/.bundles/$ID" ]
}

@test "kill without a signal stops the container: its stop signal, then KILL after --timeout" {
	run -0 carrel help kill
	[[ "$output" == *"stop signal"* && "$output" == *"--timeout"* && "$output" == *KILL* ]] || fail "$output"
	# pid 1 that handles its stop signal: exits at once
	carrel_bg run --rootfs "$ROOTFS" --name "$ID" -d --stop-signal USR1 -- \
		sh -c 'trap "exit 0" USR1; while :; do sleep 0.1; done'
	[ "$status" -eq 0 ] || fail "$output"
	run -0 carrel kill --timeout 5 "$ID"
	[[ "$output" != *"did not stop"* ]] || fail "$output"
	wait_status "$ID" stopped 2
	run -0 carrel delete "$ID"
	# pid 1 that ignores it: KILL after the timeout
	carrel_bg run --rootfs "$ROOTFS" --name "$ID-2" -d -- sh -c 'trap "" TERM; while :; do sleep 0.1; done'
	[ "$status" -eq 0 ] || fail "$output"
	local start=$SECONDS
	run -0 carrel kill --timeout 1 "$ID-2"
	[[ "$output" == *"did not stop"* ]] || fail "$output"
	wait_status "$ID-2" stopped 2
	[ $((SECONDS - start)) -le 4 ]
	run -0 carrel delete "$ID-2"
}

@test "carrel help [COMMAND] is the same as --help" {
	run -0 carrel help
	[[ "$output" == *"COMMANDS:"* && "$output" == *logs* && "$output" == *help* ]] || fail "$output"
	local a
	a=$(timeout 10 "$CARREL" update --help)
	run -0 carrel help update
	[ "$output" = "$a" ]
	run carrel help nosuch
	[ "$status" -ne 0 ] && [[ "$output" == *nosuch* ]]
}

@test "update -r FILE and update -r - (stdin) replace the device rules live" {
	carrel_bg run --rootfs "$(copy_rootfs_dir)" --name "$ID" -d --profile server -- sleep 100
	[ "$status" -eq 0 ] || fail "$output"
	run carrel exec "$ID" sh -c 'mknod /tmp/a c 10 200 && echo made'
	[[ "$output" != *made* ]] || fail "mknod allowed before update: $output"
	echo '{"devices": [{"allow": true, "type": "c", "major": 10, "minor": 200, "access": "rwm"}]}' >"$BATS_TEST_TMPDIR/res.json"
	run -0 carrel update -r "$BATS_TEST_TMPDIR/res.json" "$ID"
	run -0 carrel exec "$ID" sh -c 'mknod /tmp/a c 10 200 && echo made'
	[ "$output" = made ] || fail "$output"
	run carrel exec "$ID" sh -c 'mknod /tmp/b c 10 229 && echo made'
	[[ "$output" != *made* ]] || fail "$output"
	echo '{"devices": [{"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rwm"}]}' |
		timeout 10 "$CARREL" --root "$STATE" update -r - "$ID"
	run -0 carrel exec "$ID" sh -c 'mknod /tmp/b c 10 229 && echo made'
	[ "$output" = made ] || fail "$output"
	run -0 carrel kill "$ID" KILL
	wait_status "$ID" stopped
	run -0 carrel delete "$ID"
}

@test "profile server: pid 1's command line is carrel-init, not the host's carrel command line" {
	local rootfs
	rootfs=$(copy_rootfs_dir)
	run --separate-stderr carrel run --rootfs "$rootfs" --name "$ID" --profile server -- sh -c 'tr "\0" "|" </proc/1/cmdline; echo; cat /proc/1/comm'
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = "carrel-init|" ] || fail "cmdline: ${lines[0]}"
	[ "${lines[1]}" = carrel-init ]
	[[ "$output" != *"$rootfs"* ]] || fail "host path visible: $output"
}
