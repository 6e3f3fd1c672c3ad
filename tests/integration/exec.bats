#!/usr/bin/env bats
# exec: one more process in a running (or created) container, with the
# container's namespaces and confinement, plus the exec flags.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() {
	common_setup
	make_bundle
	set_args sleep 1000
}
teardown() { common_teardown; }

# ex ARGS... — `carrel exec` with stdin from /dev/null (bats `run`, merged output).
ex() { run carrel exec "$@" </dev/null; }
ex_sep() { run --separate-stderr carrel exec "$@" </dev/null; }

# A running container whose init is `sleep 1000` (or the current args).
running() {
	start_ctr
	INIT_PID=$(state_of "$ID" pid)
}

@test "exec: exit status passes through (exit 7 -> 7)" {
	running
	ex "$ID" sh -c 'exit 7'
	[ "$status" -eq 7 ] || fail "status $status: $output"
	ex "$ID" true
	[ "$status" -eq 0 ] || fail "status $status: $output"
	[ "$(state_of "$ID" status)" = running ]
}

@test "exec: killed by a signal -> 128+N" {
	running
	ex "$ID" sh -c 'kill -9 $$'
	[ "$status" -eq 137 ] || fail "status $status: $output"
	ex "$ID" sh -c 'kill -TERM $$'
	[ "$status" -eq 143 ] || fail "status $status: $output"
}

@test "exec: the process joins every namespace of the container" {
	running
	local kinds="mnt uts ipc net pid cgroup"
	ex "$ID" sh -c 'for n in '"$kinds"'; do echo "$n $(readlink /proc/self/ns/$n) $(readlink /proc/1/ns/$n)"; done'
	[ "$status" -eq 0 ] || fail "$output"
	local n self one
	while read -r n self one; do
		# inside: the exec'd process and the container's pid 1 share the ns
		[ "$self" = "$one" ] || fail "$n: exec'd $self, container pid 1 $one"
		# seen from the host: that is the init's ns, not ours
		[ "$self" = "$(readlink "/proc/$INIT_PID/ns/$n")" ] || fail "$n: exec'd $self, init $(readlink "/proc/$INIT_PID/ns/$n")"
		[ "$self" != "$(readlink "/proc/self/ns/$n")" ] || fail "$n: exec'd process is in the host's namespace"
	done <<<"$output"
	[ "${#lines[@]}" -eq 6 ] || fail "$output"
}

@test "exec: sees the container's pid 1, hostname and mounts" {
	add_tmp
	set_sh 'echo from-init > /tmp/marker; exec sleep 1000'
	running
	ex "$ID" sh -c 'tr "\0" " " < /proc/1/cmdline; echo; hostname; cat /tmp/marker; echo $$'
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = "sleep 1000 " ] || fail "pid 1 is '${lines[0]}'"
	[ "${lines[1]}" = carrel ]
	[ "${lines[2]}" = from-init ] || fail "the init's /tmp tmpfs is not visible: $output"
	# a pid of the container's pid namespace (small), not a host pid
	[ "${lines[3]}" -gt 1 ] && [ "${lines[3]}" -lt 100 ] || fail "pid ${lines[3]}"
	# the host does not see the marker: /tmp is the container's tmpfs
	[ ! -e "$ROOTFS/tmp/marker" ]
}

@test "exec: env is the container's, --env overrides a key and adds one" {
	cfg '.process.env += ["FOO=spec", "KEEP=kept"]'
	running
	ex --env FOO=override -e NEW=added "$ID" env
	[ "$status" -eq 0 ] || fail "$output"
	local env=$output
	grep -qx FOO=override <<<"$env" || fail "FOO not overridden: $env"
	[ "$(grep -c '^FOO=' <<<"$env")" -eq 1 ] || fail "FOO twice: $env"
	grep -qx NEW=added <<<"$env" || fail "NEW missing: $env"
	grep -qx KEEP=kept <<<"$env" || fail "KEEP missing: $env"
	grep -qx TERM=xterm <<<"$env" || fail "TERM missing: $env"
	grep -q '^PATH=/' <<<"$env" || fail "PATH missing: $env"
	grep -qx "CARREL_TEST_ID=$ID" <<<"$env"
	# nothing from carrel's own environment
	! grep -q '^BATS_' <<<"$env" || fail "host env leaked: $env"
}

@test "exec: --cwd sets the working directory (default /)" {
	running
	ex --cwd /etc "$ID" pwd
	[ "$status" -eq 0 ] && [ "$output" = /etc ] || fail "$status: $output"
	ex "$ID" pwd
	[ "$status" -eq 0 ] && [ "$output" = / ] || fail "$status: $output"
	ex --cwd /no/such/dir "$ID" pwd
	[ "$status" -ne 0 ] || fail "a missing cwd was accepted: $output"
	[[ "$output" == */no/such/dir* ]] || fail "$output"
}

@test "exec: --user 1000:1000 and --additional-gids" {
	running
	ex --user 1000:1000 --additional-gids 10,20 "$ID" grep -E '^(Uid|Gid|Groups):' /proc/self/status
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(status_field Uid | tr -s '\t ' ' ')" = "1000 1000 1000 1000" ] || fail "$output"
	[ "$(status_field Gid | tr -s '\t ' ' ')" = "1000 1000 1000 1000" ] || fail "$output"
	[ "$(status_field Groups | xargs)" = "10 20" ] || fail "$output"
	ex -u 1000 -g 30 "$ID" id
	[ "$status" -eq 0 ] || fail "$output"
	[[ "$output" == "uid=1000"*"gid=0"* ]] || fail "$output"
	[[ "$output" == *"groups="*"30"* ]] || fail "$output"
}

@test "exec: has the container's capabilities; CapInh/CapAmb empty" {
	running
	ex "$ID" sh -c 'grep ^Cap /proc/self/status; echo ---; grep ^Cap /proc/1/status'
	[ "$status" -eq 0 ] || fail "$output"
	local mine init
	mine=$(sed '/^---$/,$d' <<<"$output")
	init=$(sed '1,/^---$/d' <<<"$output")
	[ "$mine" = "$init" ] || fail "exec'd: $mine / init: $init"
	[ "$(status_field CapEff)" = "$DEFAULT_CAPS" ]
	[ "$(status_field CapPrm)" = "$DEFAULT_CAPS" ]
	[ "$(status_field CapBnd)" = "$DEFAULT_CAPS" ]
	[ "$(status_field CapInh)" = 0000000000000000 ]
	[ "$(status_field CapAmb)" = 0000000000000000 ]
}

# CVE-2022-29162: runc's exec --cap also added the capability to the
# inheritable set, so a file with inheritable file caps exec'd later gained
# it.  A runtime with that bug shows CapInh = 0000000000200000 here.
@test "exec --cap CAP_SYS_ADMIN: added to Eff/Prm/Bnd, never to CapInh (CVE-2022-29162)" {
	running
	ex --cap CAP_SYS_ADMIN -c CAP_CHOWN "$ID" grep ^Cap /proc/self/status
	[ "$status" -eq 0 ] || fail "$output"
	# DEFAULT | SYS_ADMIN (21) | CHOWN (0)
	[ "$(status_field CapEff)" = 0000000020200421 ] || fail "$output"
	[ "$(status_field CapPrm)" = 0000000020200421 ] || fail "$output"
	[ "$(status_field CapBnd)" = 0000000020200421 ] || fail "$output"
	[ "$(status_field CapInh)" = 0000000000000000 ] || fail "$output"
	[ "$(status_field CapAmb)" = 0000000000000000 ] || fail "$output"
	# the container's init did not gain anything
	grep -q "^CapEff:.*$DEFAULT_CAPS" "/proc/$INIT_PID/status"
	ex --cap CAP_NO_SUCH "$ID" true
	[ "$status" -ne 0 ] && [[ "$output" == *CAP_NO_SUCH* ]] || fail "$status: $output"
}

@test "exec: NoNewPrivs and the seccomp filter are those of the container" {
	running
	ex "$ID" sh -c 'grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status; grep -E "^(NoNewPrivs|Seccomp):" /proc/1/status'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(printf '%s\n' "$output" | sort -u | tr '\n\t' '  ')" = "NoNewPrivs: 1 Seccomp: 2 " ] || fail "$output"
}

@test "exec: noNewPrivileges=false -> NoNewPrivs 0 (still filtered); --no-new-privs sets it" {
	cfg '.process.noNewPrivileges = false'
	running
	ex "$ID" grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(status_field NoNewPrivs)" = 0 ] && [ "$(status_field Seccomp)" = 2 ] || fail "$output"
	ex --no-new-privs "$ID" grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(status_field NoNewPrivs)" = 1 ] && [ "$(status_field Seccomp)" = 2 ] || fail "$output"
}

@test "exec: the container's seccomp rules apply to the exec'd process (mkdir denied)" {
	add_tmp
	cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
	                       syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1}]}'
	running
	ex "$ID" sh -c 'mkdir /tmp/d && echo created; grep ^Seccomp: /proc/self/status'
	[[ "$output" == *"Operation not permitted"* ]] || fail "mkdir was not denied: $output"
	[[ "$output" != *created* ]] || fail "$output"
	ex "$ID" sh -c 'test -e /tmp/d && echo exists || echo absent'
	[ "$output" = absent ]
}

@test "exec --process FILE: args, env, cwd and user come from the file" {
	running
	local pf=$BATS_TEST_TMPDIR/process.json
	jq -n --arg id "$ID" '{args: ["sh", "-c", "echo args-ok; id -u; id -g; pwd; echo A=$A; echo FOO=$FOO"],
	      env: ["PATH=/bin", "A=from-file", "CARREL_TEST_ID=" + $id], cwd: "/etc",
	      user: {uid: 1000, gid: 1000}}' >"$pf"
	ex --process "$pf" "$ID"
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = "args-ok
1000
1000
/etc
A=from-file
FOO=" ] || fail "$output"
	# a command together with --process is refused
	ex --process "$pf" "$ID" true
	[ "$status" -ne 0 ] || fail "$output"
	# a broken process file names the file
	echo '{"args": 1}' >"$pf"
	ex -p "$pf" "$ID"
	[ "$status" -ne 0 ] && [[ "$output" == *process.json* ]] || fail "$status: $output"
}

@test "exec --detach returns at once and --pid-file names a live process in the container" {
	running
	local pf=$BATS_TEST_TMPDIR/exec.pid t0 t1
	t0=$(date +%s%N)
	carrel_bg exec --detach --pid-file "$pf" "$ID" sleep 300
	t1=$(date +%s%N)
	[ "$status" -eq 0 ] || fail "$output"
	[ $(((t1 - t0) / 1000000)) -lt 5000 ] || fail "exec -d took $(((t1 - t0) / 1000000)) ms"
	[ -s "$pf" ]
	local pid
	pid=$(cat "$pf")
	[[ "$pid" =~ ^[0-9]+$ ]] || fail "pid file: $pid"
	[ -d "/proc/$pid" ] || fail "pid $pid is not alive"
	[ "$(cat "/proc/$pid/comm")" = sleep ]
	[ "$(readlink "/proc/$pid/ns/pid")" = "$(readlink "/proc/$INIT_PID/ns/pid")" ]
	[ "$(readlink "/proc/$pid/ns/mnt")" = "$(readlink "/proc/$INIT_PID/ns/mnt")" ]
	# also as seen from inside
	ex "$ID" sh -c 'for p in /proc/[0-9]*; do [ "$(cat $p/comm)" = sleep ] && echo ${p#/proc/}; done'
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 2 ] || fail "$output"
	# -d is the short form
	carrel_bg exec -d "$ID" sleep 300
	[ "$status" -eq 0 ] || fail "$output"
}

@test "exec: only fds 0-2 are open in the exec'd process, even with extra fds in the caller" {
	running
	local pf=$BATS_TEST_TMPDIR/exec.pid
	exec 7</etc 8>"$BATS_TEST_TMPDIR/fd8" 9<"$BATS_TEST_TMPDIR/fd8"
	# ls itself is the exec'd process: fd 3 is the directory it reads
	# (a leaked fd would show up as an extra entry or push that to 4)
	ex "$ID" ls /proc/self/fd
	local fg=$output
	carrel_bg exec -d --pid-file "$pf" "$ID" sleep 300
	exec 7<&- 8>&- 9<&-
	[ "$(echo $fg)" = "0 1 2 3" ] || fail "fds open in the exec'd process: $fg"
	# a detached exec'd process, seen from the host
	[ -s "$pf" ] || fail "exec -d failed: $output"
	[ "$(ls "/proc/$(cat "$pf")/fd" | sort -n | xargs)" = "0 1 2" ] ||
		fail "fds of the detached process: $(ls -l "/proc/$(cat "$pf")/fd")"
}

@test "exec --preserve-fds 1: fd 3 is passed, fd 4 is not" {
	running
	echo preserved-data >"$BATS_TEST_TMPDIR/f3"
	echo other >"$BATS_TEST_TMPDIR/f4"
	# Only shell builtins look at the fds: a pipeline would open its own.
	run carrel exec --preserve-fds 1 "$ID" sh -c 'cat <&3; for f in 0 1 2 3 4 5 6 7 8 9 10 11; do [ -e /proc/$$/fd/$f ] && printf "%s " $f; done; echo' \
		3<"$BATS_TEST_TMPDIR/f3" 4<"$BATS_TEST_TMPDIR/f4" </dev/null
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = preserved-data ] || fail "$output"
	[ "${lines[1]}" = "0 1 2 3 " ] || fail "$output"
}

@test "exec: a missing binary fails with 'executable file not found in \$PATH' and leaves no process" {
	running
	ex_sep "$ID" no-such-binary-xyz
	[ "$status" -ne 0 ]
	[[ "$stderr" == *'executable file not found in $PATH'* ]] || fail "$stderr"
	[[ "$stderr" == *no-such-binary-xyz* ]]
	[ -z "$output" ]
	ex_sep "$ID" /bin/no-such-binary-xyz
	[ "$status" -ne 0 ] && [[ "$stderr" == *no-such-binary-xyz* ]] || fail "$status: $stderr"
	# only the init is left in the container
	[ "$(leftover_procs | xargs)" = "$INIT_PID" ] || fail "processes: $(leftover_procs)"
	ex "$ID" sh -c 'for p in /proc/[0-9]*; do cat $p/comm; done'
	[ "$(grep -vxE 'sh|cat' <<<"$output" | xargs)" = sleep ] || fail "processes in the container: $output"
	[ "$(state_of "$ID" status)" = running ]
}

@test "exec: the container's rlimits apply to the exec'd process" {
	cfg '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 321, hard: 654}, {type: "RLIMIT_NPROC", soft: 777, hard: 888}]'
	running
	ex "$ID" sh -c 'ulimit -n; ulimit -Hn; ulimit -u; ulimit -Hu'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(echo $output)" = "321 654 777 888" ] || fail "$output"
}

@test "exec: a bad --user is a clear error and leaves no process" {
	running
	ex_sep --user nobody "$ID" true
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"--user"*nobody* ]] || fail "$stderr"
	ex_sep --user 1000:x "$ID" true
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"--user"* ]] || fail "$stderr"
	[ "$(leftover_procs | xargs)" = "$INIT_PID" ] || fail "processes: $(leftover_procs)"
}

# CVE-2024-21626: runc leaked a host fd (of /sys/fs/cgroup) into the process
# and chdir'd to a cwd like /proc/self/fd/7 before closing it, leaving the
# process with a host cwd (`cat ../../../etc/shadow` escaped).  Here the caller
# holds fd 7 = the host's /etc; a vulnerable runtime's `pwd` runs in it.
@test "exec --cwd /proc/self/fd/N is refused (CVE-2024-21626)" {
	running
	local cwd n
	exec 7</etc
	for cwd in /proc/self/fd/7 /proc/thread-self/fd/7 /proc//self/fd/7 /proc/self/../self/fd/7 /proc/self/fd/3; do
		ex --cwd "$cwd" "$ID" sh -c 'pwd; ls'
		[ "$status" -ne 0 ] || { exec 7<&-; fail "cwd $cwd was accepted: $output"; }
		[[ "$output" != *passwd* ]] || { exec 7<&-; fail "cwd $cwd reached the host /etc: $output"; }
	done
	exec 7<&-
	[ "$(leftover_procs | xargs)" = "$INIT_PID" ] || fail "processes: $(leftover_procs)"
}

@test "exec into a stopped container fails with 'container not running'" {
	set_sh 'exit 0'
	start_ctr
	wait_status "$ID" stopped
	ex "$ID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"container not running"* ]] || fail "$output"
	[ "$(state_of "$ID" status)" = stopped ]
}

@test "exec into an unknown id fails with 'does not exist'" {
	mkdir -p "$STATE"
	ex "$ID-nope" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]] || fail "$output"
	[[ "$output" == *"$ID-nope"* ]] || fail "$output"
}

@test "exec into a created (not yet started) container works" {
	create_ctr
	ex "$ID" sh -c 'echo exec-in-created; hostname'
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = exec-in-created ]
	[ "${lines[1]}" = carrel ]
	[ "$(state_of "$ID" status)" = created ]
	# the container still starts normally afterwards
	run -0 carrel start "$ID"
	[ "$(state_of "$ID" status)" = running ]
}

@test "exec: HOME comes from the container's /etc/passwd for the exec user, / without an entry" {
	running
	ex --user 1000:1000 "$ID" sh -c 'echo "home=$HOME"'
	[ "$output" = home=/home/app ] || fail "$output"
	ex --user 4242 "$ID" sh -c 'echo "home=$HOME"'
	[ "$output" = home=/ ] || fail "$output"
	ex --env HOME=/x "$ID" sh -c 'echo "home=$HOME"'
	[ "$output" = home=/x ] || fail "$output"
}

@test "exec: the process leads its own process group and session, as with runc" {
	running
	ex "$ID" sh -c 'read -r pid comm st ppid pgrp sid rest </proc/$$/stat; echo "$pid $pgrp $sid"'
	[ "$status" -eq 0 ] || fail "$output"
	local pid pgrp sid
	read -r pid pgrp sid <<<"$output"
	[ "$pgrp" = "$pid" ] || fail "pgrp $pgrp, pid $pid"
	[ "$sid" = "$pid" ] || fail "sid $sid, pid $pid"
}

@test "exec --process /dev/fd/N (a pipe) is read like a file" {
	running
	local json
	json=$(jq -c '.process | .args = ["sh", "-c", "echo from-pipe"] | .terminal = false' "$BUNDLE/config.json")
	run carrel exec --process <(printf '%s' "$json") "$ID" </dev/null
	[ "$status" -eq 0 ] || fail "status $status: $output"
	[ "$output" = from-pipe ] || fail "$output"
}

@test "exec --cap: added to the ambient set too when the container's inheritable set has it (runc 1.2)" {
	cfg '.process.capabilities.bounding += ["CAP_NET_ADMIN"] | .process.capabilities.inheritable = ["CAP_NET_ADMIN"] | .process.user = {uid: 1000, gid: 1000}'
	running
	ex --cap CAP_NET_ADMIN "$ID" grep ^Cap /proc/self/status
	[ "$status" -eq 0 ] || fail "$output"
	# CAP_NET_ADMIN is 12: a non-root process keeps it only through the ambient set
	[ "$(status_field CapAmb)" = 0000000000001000 ] || fail "$output"
	[ "$(status_field CapEff)" = 0000000000001000 ] || fail "$output"
	# one that is not inheritable cannot be ambient (the kernel refuses it): not added
	ex --cap CAP_SYS_ADMIN "$ID" grep ^CapAmb /proc/self/status
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(status_field CapAmb)" = 0000000000000000 ] || fail "$output"
}

@test "exec: the process's exit status passes through; carrel's own failures exit 255, as runc's exec" {
	set_args sleep 1000
	start_ctr
	run carrel exec "$ID" false
	[ "$status" -eq 1 ] || fail "$status $output"
	run carrel exec "$ID" sh -c 'exit 42'
	[ "$status" -eq 42 ] || fail "$status $output"
	run carrel exec --pid-file /non-existent/directory "$ID" true
	[ "$status" -eq 255 ] || fail "$status $output"
	run carrel exec "$ID" no-such-binary
	[ "$status" -eq 255 ] && [[ "$output" == *"executable file not found"* ]] || fail "$status $output"
	run carrel exec "$ID-nope" true
	[ "$status" -eq 255 ] && [[ "$output" == *"does not exist"* ]] || fail "$status $output"
}

@test "exec --additional-gids is repeatable and takes lists" {
	set_args sleep 1000
	start_ctr
	run -0 carrel exec --user 1000:1000 --additional-gids 100 --additional-gids 65534,5 "$ID" id -G
	[ "$output" = "1000 5 100 65534" ] || fail "$output"
}
