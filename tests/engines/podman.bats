#!/usr/bin/env bats
# podman (with conmon) driving carrel. Run tests/engines/setup.sh first (or
# tests/engines/run.sh, which does both).
#
# Everything podman keeps goes to a private temp dir: --root, --runroot,
# --tmpdir and a containers.conf (CONTAINERS_CONF). The runtime is given as
# $T/rt/runc, a symlink to carrel: podman passes `--log-format=json --log`
# only to runtimes whose base name it knows (runc, crun, ...).
#
# Host notes (Debian 12 VMs used for these tests):
#  * hybrid cgroups: the controllers are on cgroup v1 (carrel's v1 driver
#    serves them), /sys/fs/cgroup/unified tracks; podman's defaults (pids
#    limit 2048) apply as they are;
#  * root lacks CAP_SYS_RESOURCE, so the container's rlimits may not exceed
#    the host's hard limits: default_ulimits sets nofile and nproc;
#  * no systemd: --cgroup-manager cgroupfs, events to a file.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	engines_require podman conmon
	T=$(mktemp -d /tmp/carrel-podman.XXXXXX)
	export T
	mkdir -p "$T/rt" "$T/tmp" "$T/vol"
	ln -s "$CARREL" "$T/rt/runc"
	cat >"$T/containers.conf" <<-'EOF'
		[containers]
		default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
		netns = "none"
		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
	EOF
	export CONTAINERS_CONF=$T/containers.conf
	# A script, not a function, so that `script -qec` can run it too.
	cat >"$T/pm" <<-EOF
		#!/bin/sh
		export CONTAINERS_CONF="$T/containers.conf"
		exec podman --root "$T/root" --runroot "$T/runroot" --tmpdir "$T/tmp" \\
			--storage-driver vfs --cgroup-manager cgroupfs --events-backend file \\
			--runtime "$T/rt/runc" \${PODMAN_FLAGS:-} "\$@"
	EOF
	chmod +x "$T/pm"
	pm load -q -i "$ENGINES_IMAGE_TAR" >/dev/null
}

teardown_file() {
	[ -n "${T:-}" ] && [ -d "$T" ] || return 0
	pm rm -fa -t 0 >/dev/null 2>&1 || true
	engines_cleanup_dir "$T"
}

pm() { "$T/pm" "$@"; }

# The controllers this host has, in cgroup v2 or v1.
host_has() {
	local f
	for f in /sys/fs/cgroup/unified/cgroup.controllers /sys/fs/cgroup/cgroup.controllers; do
		[ -f "$f" ] && grep -qw "$1" "$f" && return 0
	done
	[ "$(stat -fc %T "/sys/fs/cgroup/$1" 2>/dev/null)" = cgroupfs ]
}

# cgfile V2FILE V1CTRL/V1FILE: the container's own cgroup file as it sees it
# (shell text for inside the container).
cgfile() { echo "cat /sys/fs/cgroup/$1 2>/dev/null || cat /sys/fs/cgroup/$2"; }

@test "podman: info shows carrel as the OCI runtime" {
	run pm info --format '{{.Host.OCIRuntime.Version}}'
	[ "$status" -eq 0 ]
	[[ "$output" == *carrel* ]]
}

@test "podman: run --rm prints the output and returns the exit code" {
	run pm run --rm "$IMAGE" sh -c 'echo hello; echo err >&2; exit 3'
	[ "$status" -eq 3 ]
	[[ "$output" == *hello* ]]
	[[ "$output" == *err* ]]
}

@test "podman: command not found is exit 127" {
	run -127 pm run --rm "$IMAGE" /nonexistent
	echo "$output"
	[ "$status" -eq 127 ]
	[[ "$output" == *"no such file or directory"* ]]
}

@test "podman: command not executable is exit 126" {
	run pm run --rm "$IMAGE" /etc/passwd
	echo "$output"
	[ "$status" -eq 126 ]
	[[ "$output" == *"permission denied"* ]]
}

@test "podman: after a failed create, delete --force succeeds (no 'Removing container' error)" {
	# podman calls `delete --force ID` after a failed create; carrel has
	# already removed the container then. runc and crun exit 0 there.
	run -127 pm run --rm "$IMAGE" /nonexistent
	echo "$output"
	[ "$status" -eq 127 ]
	[[ "$output" != *"Removing container"* ]]
	[[ "$output" != *"does not exist"* ]]
}

@test "podman: run -d, stop (SIGTERM handled), rm -f" {
	pm run -d --name stopme "$IMAGE" sh -c 'trap "exit 0" TERM; sleep 1000 & wait'
	run pm inspect -f '{{.State.Status}}' stopme
	[ "$output" = running ]
	run pm stop -t 10 stopme
	[ "$status" -eq 0 ]
	run pm inspect -f '{{.State.Status}} {{.State.ExitCode}}' stopme
	[ "$output" = "exited 0" ]
	pm rm -f stopme
	run pm container exists stopme
	[ "$status" -eq 1 ]
}

@test "podman: stop escalates to SIGKILL (exit 137), rm -f of a running container" {
	pm run -d --name killme "$IMAGE" sleep 1000
	run pm stop -t 1 killme
	[ "$status" -eq 0 ]
	run pm inspect -f '{{.State.Status}} {{.State.ExitCode}}' killme
	[ "$output" = "exited 137" ]
	pm start killme
	run pm rm -f -t 0 killme
	[ "$status" -eq 0 ]
	run pm container exists killme
	[ "$status" -eq 1 ]
}

@test "podman: exec returns the exit code, 127 for a missing command" {
	pm run -d --name ex "$IMAGE" sleep 1000
	run pm exec ex sh -c 'echo in-exec; exit 5'
	[ "$status" -eq 5 ]
	[ "$output" = in-exec ]
	run pm exec --user 1000 -e FOO=bar -w /tmp ex sh -c 'echo $(id -u) $FOO $(pwd)'
	[ "$status" -eq 0 ]
	[ "$output" = "1000 bar /tmp" ]
	run -127 pm exec ex /nonexistent
	echo "$output"
	[ "$status" -eq 127 ]
	pm rm -f -t 0 ex
}

@test "podman: exec -it through a terminal" {
	pm run -d --name ext "$IMAGE" sleep 1000
	run script -qec "$T/pm exec -it ext sh -c 'tty; exit 4'" /dev/null < <(exec 3>&-; sleep 2)
	echo "$output"
	[ "$status" -eq 4 ]
	[[ "$output" == */dev/pts/* ]]
	pm rm -f -t 0 ext
}

@test "podman: kill sends the signal, wait returns the exit code" {
	pm run -d --name kw "$IMAGE" sh -c 'trap "exit 42" USR1; while :; do sleep 0.1; done'
	sleep 0.5
	run pm kill -s USR1 kw
	[ "$status" -eq 0 ]
	run pm wait kw
	[ "$status" -eq 0 ]
	[ "$output" = 42 ]
	pm rm -f kw
}

@test "podman: pause and unpause (the v1 freezer, or cgroup.freeze)" {
	pm run -d --name pz "$IMAGE" sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/n; sleep 0.05; done'
	sleep 0.3
	run pm pause pz
	[ "$status" -eq 0 ]
	run pm inspect -f '{{.State.Status}}' pz
	[ "$output" = paused ]
	run pm unpause pz
	[ "$status" -eq 0 ]
	run pm inspect -f '{{.State.Status}}' pz
	[ "$output" = running ]
	a=$(pm exec pz cat /tmp/n)
	sleep 0.3
	b=$(pm exec pz cat /tmp/n)
	[ "$b" -gt "$a" ]
	pm rm -f -t 0 pz
}

@test "podman: top lists the container's processes" {
	pm run -d --name tp "$IMAGE" sleep 1000
	run pm top tp
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"sleep 1000"* ]]
	pm rm -f -t 0 tp
}

@test "podman: --read-only root with tmpfs (tmpcopyup) on /tmp and --tmpfs /etc" {
	run pm run --rm --read-only "$IMAGE" sh -c 'touch /x 2>&1; touch /tmp/y && echo tmp-ok'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" == *tmp-ok* ]]
	# --tmpfs mounts get tmpcopyup: the image's /etc is copied into the tmpfs.
	run pm run --rm --read-only --tmpfs /etc "$IMAGE" sh -c 'grep -c ^app: /etc/passwd; echo x >/etc/new && echo etc-ok'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = etc-ok ]
}

@test "podman: -v bind mounts, read-write and :ro" {
	echo data >"$T/vol/f"
	run pm run --rm -v "$T/vol:/v" "$IMAGE" sh -c 'cat /v/f; echo w >/v/g'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = data ]
	[ "$(cat "$T/vol/g")" = w ]
	run pm run --rm -v "$T/vol:/v:ro" "$IMAGE" sh -c 'echo w >/v/h'
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	[ ! -e "$T/vol/h" ]
}

@test "podman: --user by number and by name" {
	run pm run --rm --user 1000:1000 "$IMAGE" id
	[ "$status" -eq 0 ]
	[[ "$output" == "uid=1000(app) gid=1000(app)"* ]]
	run pm run --rm --user nobody "$IMAGE" id -u
	[ "$output" = 65534 ]
}

@test "podman: --network=none has only loopback" {
	run pm run --rm --network=none "$IMAGE" sh -c 'ls /sys/class/net'
	[ "$status" -eq 0 ]
	[ "$output" = lo ]
}

@test "podman: bridge network (CNI, network namespace by path)" {
	[ -x /usr/lib/cni/bridge ] || skip "containernetworking-plugins not installed"
	run pm run --rm --network=bridge "$IMAGE" sh -c 'ls /sys/class/net | sort | tr "\n" " "'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *eth0* ]]
}

@test "podman: --uidmap/--gidmap (user namespace, host cgroup namespace)" {
	# Podman on a v1/hybrid host keeps the host cgroup namespace, so the
	# /sys/fs/cgroup mount (type cgroup) happens in a new user namespace
	# that does not own the cgroup namespace: mounting cgroup2 there is
	# EPERM. runc then bind-mounts the cgroup instead.
	run pm run --rm --uidmap 0:100000:65536 --gidmap 0:100000:65536 "$IMAGE" \
		sh -c 'cat /proc/self/uid_map; id -u; ls -ln /bin/busybox'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"0     100000      65536"* ]]
	[ "${lines[1]}" = 0 ]
}

@test "podman: --uidmap with --cgroupns=private" {
	run pm run --rm --cgroupns=private --uidmap 0:100000:65536 --gidmap 0:100000:65536 "$IMAGE" \
		sh -c 'cat /proc/self/uid_map; id -u; touch /tmp/x && echo ok'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"0     100000      65536"* ]]
	[ "${lines[2]}" = ok ]
}

@test "podman: seccomp: default profile, a custom one, unconfined" {
	run pm run --rm "$IMAGE" sh -c 'grep ^Seccomp: /proc/self/status'
	echo "$output"
	[[ "$output" == *2 ]]
	cat >"$T/seccomp.json" <<-'EOF'
		{"defaultAction":"SCMP_ACT_ALLOW",
		 "syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}
	EOF
	run pm run --rm --security-opt seccomp="$T/seccomp.json" "$IMAGE" sh -c 'mkdir /tmp/d'
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
	run pm run --rm --security-opt seccomp=unconfined "$IMAGE" sh -c 'grep ^Seccomp: /proc/self/status'
	[[ "$output" == *0 ]]
}

@test "podman: run -it through a terminal (script), exit code kept" {
	# script's stdin stays open a while (as in terminal.bats): at EOF script
	# puts an EOF char into its pty, and once in CI the output was lost then.
	run script -qec "$T/pm run --rm -it $IMAGE sh -c 'tty; echo \$TERM; exit 7'" /dev/null < <(exec 3>&-; sleep 2)
	echo "$output"
	[ "$status" -eq 7 ]
	[[ "$output" == */dev/pts/0* ]]
	[[ "$output" == *xterm* ]]
}

@test "podman: run -t without a terminal on our side" {
	run pm run --rm -t "$IMAGE" sh -c 'tty; exit 0'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == */dev/pts/0* ]]
}

@test "podman: --ulimit, --hostname, --env, -w, --cap-add, --privileged" {
	run pm run --rm --ulimit nofile=1024:2048 --ulimit nproc=1000:1000 "$IMAGE" sh -c 'ulimit -n; ulimit -Hn; ulimit -u'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "1024 2048 1000" ]
	run pm run --rm --hostname hh -e FOO=bar -w /tmp --cap-add sys_admin "$IMAGE" \
		sh -c 'hostname; echo $FOO; pwd; grep ^CapEff /proc/self/status'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = hh ]
	[ "${lines[1]}" = bar ]
	[ "${lines[2]}" = /tmp ]
	[[ "${lines[3]}" == *a82425fb ]]
	run pm run --rm --privileged "$IMAGE" sh -c 'grep ^CapEff /proc/self/status; ls /dev/ | grep -c .'
	[ "$status" -eq 0 ]
	[ "${lines[1]}" -gt 20 ]
}

@test "podman: many short containers in a row all start (start vs. a fast-exiting workload)" {
	# `start` polls exec.fifo and the init's pidfd together; a workload that
	# exits right after exec must not be taken for a failed start.
	local i fails=0
	for i in $(seq 25); do
		out=$(pm run --rm "$IMAGE" true 2>&1) || { fails=$((fails + 1)); echo "run $i: $out"; }
	done
	[ "$fails" -eq 0 ]
}

@test "podman: its default pids limit (2048) applies" {
	host_has pids || skip "no pids controller on this host"
	run pm run --rm "$IMAGE" sh -c "$(cgfile pids.max pids/pids.max)"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$output" = 2048 ] || { echo "$output"; false; }
}

@test "podman: --pids-limit" {
	host_has pids || skip "no pids controller on this host"
	run pm run --rm --pids-limit 100 "$IMAGE" sh -c "$(cgfile pids.max pids/pids.max)"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$output" = 100 ]
}

@test "podman: --memory" {
	host_has memory || skip "no memory controller on this host"
	run pm run --rm --memory 64m "$IMAGE" sh -c "$(cgfile memory.max memory/memory.limit_in_bytes)"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$output" = 67108864 ]
}

@test "podman: update changes a running container's cpu weight" {
	host_has cpu || skip "no cpu controller on this host"
	pm run -d --name upd "$IMAGE" sleep 1000
	run pm update --cpu-shares 512 upd
	local st=$status out=$output w=
	[ "$st" -ne 0 ] || w=$(pm exec upd sh -c "$(cgfile cpu.weight cpu/cpu.shares)")
	pm rm -f -t 0 upd >/dev/null
	[ "$st" -eq 0 ] || { echo "$out"; false; }
	# shares 512 -> weight 1 + ((512 - 2) * 9999) / 262142 = 20 on v2; 512 as it is on v1
	[ "$w" = 20 ] || [ "$w" = 512 ] || { echo "cpu weight $w"; false; }
}

# podman stats takes the container's cgroup as the longest path among the
# unnamed lines of its init's /proc/PID/cgroup and, on a host whose
# controllers are v1, reads it under /sys/fs/cgroup/{cpu,cpuset,memory,pids,
# blkio}; "cgroup deleted" means the path is in none of them. A container
# placed only in the unified hierarchy (the 0:: line), as carrel did before
# it drove cgroup v1, gave exactly that.
@test "podman: stats reads the container's own cgroups (the v1 ones on a hybrid host)" {
	pm run -d --name st --memory 64m "$IMAGE" sh -c 'sleep 1000 & sleep 1000 & wait'
	local pid cg
	pid=$(pm inspect -f '{{.State.Pid}}' st)
	cg=$(pm inspect -f '{{.State.CgroupPath}}' st)
	cat "/proc/$pid/cgroup"
	# every line, named or not, v1 or unified, is the container's own cgroup
	[ "$(cut -d: -f3 "/proc/$pid/cgroup" | sort -u)" = "$cg" ]
	run pm stats --no-stream --format '{{.ContainerStats.PIDs}} {{.ContainerStats.MemUsage}} {{.MemLimit}} {{.CPUNano}}' st
	local pids usage limit cpu
	if [ "$(stat -fc %T /sys/fs/cgroup/memory 2>/dev/null)" = cgroupfs ]; then # v1 memory
		pids=$(cat "/sys/fs/cgroup/pids$cg/pids.current")
		usage=$(cat "/sys/fs/cgroup/memory$cg/memory.usage_in_bytes")
		limit=$(cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes")
		cpu=$(cat "/sys/fs/cgroup/cpuacct$cg/cpuacct.usage")
	else
		pids=$(cat "/sys/fs/cgroup$cg/pids.current")
		usage=$(cat "/sys/fs/cgroup$cg/memory.current")
		limit=$(cat "/sys/fs/cgroup$cg/memory.max")
		cpu=$(($(awk '$1 == "usage_usec" { print $2 }' "/sys/fs/cgroup$cg/cpu.stat") * 1000))
	fi
	pm rm -f -t 0 st >/dev/null
	echo "podman: $output; cgroup: $pids $usage $limit $cpu"
	[ "$status" -eq 0 ]
	local p u l c
	read -r p u l c <<<"$output"
	[ "$p" = 3 ] && [ "$p" = "$pids" ]
	[ "$l" = 67108864 ] && [ "$l" = "$limit" ]
	[ "$u" -gt 0 ] && [ "$u" -lt 16777216 ]
	local d=$((u - usage))
	[ "${d#-}" -lt 1048576 ]
	d=$((cpu - c))
	[ "$c" -gt 0 ] && [ "$d" -ge 0 ] && [ "$d" -lt 1000000000 ]
}

@test "podman: a limit whose controller is missing fails with a clear error" {
	! host_has pids || skip "the pids controller is available here"
	run pm run --rm --pids-limit 100 "$IMAGE" true
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'"pids" controller'* ]]
}

@test "podman: the container gets only fds 0-2, plus --preserve-fds" {
	pm run -d --name fds "$IMAGE" sleep 1000
	run pm exec fds ls /proc/1/fd
	pm rm -f -t 0 fds
	[ "$(echo $output)" = "0 1 2" ]
	run pm run --rm --preserve-fds 1 "$IMAGE" sh -c 'cat <&3' 3<"$T/containers.conf"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *cgroup_manager* ]]
}
