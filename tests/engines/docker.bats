#!/usr/bin/env bats
# Docker (Debian's docker.io 20.10) driving carrel. Run tests/engines/setup.sh
# first (or tests/engines/run.sh).
#
# A private dockerd: --data-root, --exec-root, its -H unix:// socket, its
# pidfile and a cgroup parent of its own all live in a temp dir; no iptables,
# no bridge (every container has only loopback). dockerd starts its own
# containerd below --exec-root (checked below: no system containerd is used).
# Its --config-file is contrib/engines/docker/daemon.json with the path
# pointed at this build: that file registers carrel (the same as
# `--add-runtime carrel=PATH`) and makes it the default runtime, which
# `docker build` uses for its RUN steps. The image comes from `docker load`,
# and every run passes --pull never: no registry is ever contacted.
#
# The docker client is /usr/bin/docker (another one may come first in PATH).

bats_require_minimum_version 1.5.0
load helpers

DOCKER=/usr/bin/docker
DOCKERD=/usr/sbin/dockerd

setup_file() {
	engines_require "$DOCKERD" "$DOCKER" script python3
	[ ! -S /run/containerd/containerd.sock ] ||
		skip "a system containerd runs (/run/containerd/containerd.sock): dockerd would use it instead of its own"
	K=$(mktemp -d /tmp/carrel-docker.XXXXXX)
	export K
	mkdir -p "$K/data" "$K/exec" "$K/bind"
	sed "s|/usr/local/bin/carrel|$CARREL|" "$REPO/contrib/engines/docker/daemon.json" >"$K/daemon.json"
	"$DOCKERD" --config-file "$K/daemon.json" --data-root "$K/data" --exec-root "$K/exec" \
		-H "unix://$K/docker.sock" --pidfile "$K/docker.pid" \
		--iptables=false --ip6tables=false --ip-masq=false --bridge=none \
		--storage-driver vfs --cgroup-parent "/${K##*/}" >"$K/dockerd.log" 2>&1 3>&- &
	local i
	for i in $(seq 100); do
		dk version >/dev/null 2>&1 && break
		sleep 0.2
	done
	dk version >/dev/null
	dk load -q -i "$ENGINES_IMAGE_TAR" >/dev/null
}

teardown_file() {
	[ -n "${K:-}" ] && [ -d "$K" ] || return 0
	local pid c
	if [ -S "$K/docker.sock" ]; then
		for c in $(dk ps -aq 2>/dev/null); do dk rm -f "$c" >/dev/null 2>&1 || true; done
	fi
	pid=$(cat "$K/docker.pid" 2>/dev/null || true)
	if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
	fi
	# Shims of our daemon's containerd that are still there (they name its socket).
	for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $K/exec/" || true); do
		kill "$pid" 2>/dev/null || true
	done
	cp "$K/dockerd.log" "$ENGINES_ROOT/dockerd.log" 2>/dev/null || true
	engines_remove_cgroup "${K##*/}"
	engines_cleanup_dir "$K"
}

dk() { DOCKER_HOST="unix://$K/docker.sock" "$DOCKER" "$@"; }
drun() { dk run --pull never "$@"; }

# ctr_pid NAME: the host pid of a running container's init.
ctr_pid() { dk inspect -f '{{.State.Pid}}' "$1"; }

# wait_state NAME GO-TEMPLATE WANT [SECONDS]
wait_state() {
	local i got
	for ((i = 0; i < ${4:-10} * 10; i++)); do
		got=$(dk inspect -f "$2" "$1" 2>/dev/null) && [ "$got" = "$3" ] && return 0
		sleep 0.1
	done
	echo "container $1: $2 is '$got', want '$3'"
	return 1
}

@test "docker: the private dockerd runs carrel by default, with its own containerd" {
	run dk info --format '{{.DefaultRuntime}} {{.DockerRootDir}}'
	[ "$output" = "carrel $K/data" ]
	# dockerd's child containerd, configured below our --exec-root
	local pid
	pid=$(cat "$K/docker.pid")
	run pgrep -P "$pid" -a containerd
	echo "$output"
	[[ "$output" == *"--config $K/exec/containerd/containerd.toml"* ]]
	[ -S "$K/exec/containerd/containerd.sock" ]
}

@test "docker: run returns the exit code (0, 3, 127 not found, 126 not executable)" {
	run drun --rm "$IMAGE" sh -c 'echo hello; exit 0'
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
	run drun --rm "$IMAGE" sh -c 'echo err >&2; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = err ]
	run -127 drun --rm "$IMAGE" /nonexistent
	echo "$output"
	[[ "$output" == *'exec: "/nonexistent": no such file or directory'* ]]
	run -126 drun --rm "$IMAGE" /etc/passwd
	echo "$output"
	[[ "$output" == *"permission denied"* ]]
}

@test "docker: the container's state is carrel's (the shim called carrel)" {
	drun -d --name st "$IMAGE" sleep 1000
	local id
	id=$(dk inspect -f '{{.Id}}' st)
	# carrel's state.json (runc's has no init_start_time), in the root the shim passes
	run cat "$K/exec/runtime-runc/moby/$id/state.json"
	dk rm -f st
	[[ "$output" == *'"init_start_time"'* ]]
}

@test "docker: run -it with a terminal (script)" {
	SHELL=/bin/bash run script -qec "DOCKER_HOST=unix://$K/docker.sock $DOCKER run --pull never --rm -it $IMAGE sh -c 'tty; echo \$TERM; exit 7'" /dev/null < <(exec 3>&-; sleep 2)
	echo "$output"
	[ "$status" -eq 7 ]
	[[ "$output" == */dev/pts/0* ]]
	[[ "$output" == *xterm* ]]
}

@test "docker: run -d, logs, stop honours SIGTERM" {
	drun -d --name lg "$IMAGE" sh -c 'trap "echo got-term; exit 0" TERM; echo started; while :; do sleep 0.1; done'
	local i
	for i in $(seq 50); do dk logs lg 2>&1 | grep -q started && break; sleep 0.1; done
	run dk logs lg
	[ "$output" = started ]
	local t0=$SECONDS
	run dk stop -t 20 lg
	[ "$status" -eq 0 ]
	# the trap ran: far quicker than the 20 s before SIGKILL, and exit code 0
	[ $((SECONDS - t0)) -lt 10 ]
	[ "$(dk inspect -f '{{.State.ExitCode}}' lg)" = 0 ]
	run dk logs lg
	[[ "$output" == *got-term* ]]
	dk rm lg
}

@test "docker: exec and exec -it" {
	drun -d --name ex "$IMAGE" sleep 1000
	run dk exec ex sh -c 'echo in-exec; exit 4'
	[ "$status" -eq 4 ]
	[ "$output" = in-exec ]
	SHELL=/bin/bash run script -qec "DOCKER_HOST=unix://$K/docker.sock $DOCKER exec -it ex sh -c 'tty; exit 5'" /dev/null < <(exec 3>&-; sleep 2)
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == */dev/pts/* ]]
	dk rm -f ex
}

@test "docker: --user 1000:1000" {
	run drun --rm --user 1000:1000 "$IMAGE" sh -c 'echo $(id -u):$(id -g)'
	[ "$output" = 1000:1000 ]
}

@test "docker: --read-only and --tmpfs" {
	run drun --rm --read-only --tmpfs /scratch "$IMAGE" \
		sh -c 'touch /x 2>/dev/null && echo root-writable || echo root-ro; touch /scratch/a && grep " /scratch " /proc/mounts | cut -d" " -f3'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "root-ro
tmpfs" ]
}

@test "docker: -v bind mounts, read-write and read-only" {
	echo from-host >"$K/bind/in"
	run drun --rm -v "$K/bind:/data" "$IMAGE" sh -c 'cat /data/in; echo from-ctr > /data/out'
	[ "$status" -eq 0 ]
	[ "$output" = from-host ]
	[ "$(cat "$K/bind/out")" = from-ctr ]
	run drun --rm -v "$K/bind:/data:ro" "$IMAGE" sh -c 'cat /data/in; echo x > /data/out2'
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	[ ! -e "$K/bind/out2" ]
}

@test "docker: --cap-drop ALL and --security-opt no-new-privileges" {
	run drun --rm --cap-drop ALL "$IMAGE" sh -c 'grep CapEff /proc/self/status | cut -f2; chown 1 /tmp 2>/dev/null && echo chown-ok || echo chown-denied'
	[ "$output" = "0000000000000000
chown-denied" ]
	run drun --rm --security-opt no-new-privileges "$IMAGE" sh -c 'grep NoNewPrivs /proc/self/status | cut -f2'
	[ "$output" = 1 ]
}

@test "docker: top, pause/unpause, kill (137), rm -f" {
	drun -d --name tp "$IMAGE" sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/n; sleep 0.1; done'
	run dk top tp
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"i=0; while"* ]]

	local pid c1 c2
	pid=$(ctr_pid tp)
	run dk pause tp
	[ "$status" -eq 0 ]
	[ "$(dk inspect -f '{{.State.Status}}' tp)" = paused ]
	# frozen: the counter the container writes stands still
	c1=$(cat "/proc/$pid/root/tmp/n")
	sleep 0.5
	c2=$(cat "/proc/$pid/root/tmp/n")
	[ "$c1" = "$c2" ] || { echo "counter moved while paused: $c1 -> $c2"; false; }
	run dk unpause tp
	[ "$status" -eq 0 ]
	[ "$(dk inspect -f '{{.State.Status}}' tp)" = running ]
	sleep 0.5
	[ "$(cat "/proc/$pid/root/tmp/n")" -gt "$c2" ]

	run dk kill tp
	[ "$status" -eq 0 ]
	run dk wait tp
	[ "$output" = 137 ]
	kill -0 "$pid" 2>/dev/null && { echo "pid $pid survived"; false; }

	drun -d --name rf "$IMAGE" sleep 1000
	pid=$(ctr_pid rf)
	run dk rm -f rf
	[ "$status" -eq 0 ]
	! kill -0 "$pid" 2>/dev/null
	run dk ps -aq --filter name=rf
	[ -z "$output" ]
	dk rm tp
}

@test "docker: --restart on-failure:2 restarts twice, then stays exited" {
	drun -d --name rs --restart on-failure:2 "$IMAGE" sh -c 'echo run; exit 1'
	wait_state rs '{{.RestartCount}} {{.State.Status}}' '2 exited' 30
	[ "$(dk inspect -f '{{.State.ExitCode}}' rs)" = 1 ]
	[ "$(dk logs rs | grep -c run)" = 3 ]
	dk rm rs
}

@test "docker: --init runs docker-init as pid 1" {
	[ -x /usr/bin/docker-init ] || skip "no docker-init (Debian: the tini package)"
	run drun --rm --init "$IMAGE" ps -o pid,comm
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 docker-init"* ]]
}

@test "docker: a HEALTHCHECK goes from starting to healthy (runs through exec)" {
	drun -d --name hc --health-cmd 'test -f /tmp/ok' --health-interval 1s --health-retries 1 "$IMAGE" \
		sh -c 'sleep 2; touch /tmp/ok; sleep 1000'
	wait_state hc '{{.State.Health.Status}}' healthy 20
	dk rm -f hc
}

# api PATH: a GET on the private dockerd's API (Docker's raw numbers).
api() {
	python3 - "$K/docker.sock" "$1" <<-'EOF'
		import http.client, socket, sys
		class Unix(http.client.HTTPConnection):
		    def connect(self):
		        self.sock = socket.socket(socket.AF_UNIX)
		        self.sock.connect(sys.argv[1])
		c = Unix("localhost")
		c.request("GET", sys.argv[2])
		r = c.getresponse()
		sys.stdout.write(r.read().decode())
		sys.exit(r.status != 200)
	EOF
}

@test "docker: stats --no-stream matches the container's own v1 cgroups" {
	drun -d --name ss --memory 64m "$IMAGE" sh -c 'sleep 1000 & sleep 1000 & wait'
	local pid mcg pcg ccg
	pid=$(ctr_pid ss)
	mcg=$(engines_cgroup "$pid" memory)
	pcg=$(engines_cgroup "$pid" pids)
	ccg=$(engines_cgroup "$pid" cpuacct)
	# carrel put the container in cgroups of its own below dockerd's parent, in every hierarchy
	[ "$mcg" = "/${K##*/}/$(dk inspect -f '{{.Id}}' ss)" ]
	[ "$pcg" = "$mcg" ] && [ "$ccg" = "$mcg" ] && [ "$(engines_cgroup "$pid" "")" = "$mcg" ]
	run dk stats --no-stream --format '{{.PIDs}} {{.MemUsage}}' ss
	echo "$output"
	# three processes (sh and two sleeps), and the container's own 64 MiB limit
	[[ "$output" =~ ^3\ [0-9.]+(KiB|MiB|B)\ /\ 64MiB$ ]]
	# the raw numbers behind them are the cgroup files'
	run api "/containers/ss/stats?stream=false"
	local mem=/sys/fs/cgroup/memory$mcg usage limit pids
	usage=$(cat "$mem/memory.usage_in_bytes")
	limit=$(cat "$mem/memory.limit_in_bytes")
	pids=$(cat "/sys/fs/cgroup/pids$pcg/pids.current")
	dk rm -f ss >/dev/null
	jq -c '{pids_stats, memory_stats: (.memory_stats | {usage, limit}), cpu: .cpu_stats.cpu_usage.total_usage}' <<<"$output"
	echo "cgroup: pids.current $pids, memory.usage_in_bytes $usage, memory.limit_in_bytes $limit"
	[ "$(jq .pids_stats.current <<<"$output")" = "$pids" ] && [ "$pids" = 3 ]
	[ "$(jq .memory_stats.limit <<<"$output")" = "$limit" ] && [ "$limit" = 67108864 ]
	# usage moves a little between the two reads; dockerd's own would be tens of MiB
	local d=$(($(jq .memory_stats.usage <<<"$output") - usage))
	[ "${d#-}" -lt 1048576 ]
	[ "$(jq .memory_stats.usage <<<"$output")" -lt 16777216 ]
}

@test "docker: --memory 64m: the limit is the container's, a memory hog is OOM-killed" {
	local pid cg
	drun -d --name lm --memory 64m "$IMAGE" sleep 1000
	pid=$(ctr_pid lm)
	cg=$(engines_cgroup "$pid" memory)
	[ "$cg" = "/${K##*/}/$(dk inspect -f '{{.Id}}' lm)" ]
	# from the host's cgroup files and from inside
	[ "$(cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes")" = 67108864 ]
	run dk exec lm cat /sys/fs/cgroup/memory/memory.limit_in_bytes
	[ "$output" = 67108864 ]
	dk rm -f lm >/dev/null
	# a shell that holds 300 MB in a variable: the kernel's OOM killer ends it
	run drun --name hog --memory 64m "$IMAGE" sh -c 'x=$(head -c 300000000 /dev/zero | tr "\0" a); echo survived ${#x}'
	echo "$output"
	[ "$status" -eq 137 ]
	[[ "$output" != *survived* ]]
	run dk inspect -f '{{.State.OOMKilled}} {{.State.ExitCode}}' hog
	dk rm hog >/dev/null
	[ "$output" = "true 137" ]
}

@test "docker: --pids-limit 10: forks fail at the limit, counted in the container's pids cgroup" {
	local pid cg
	drun -d --name pl --pids-limit 10 "$IMAGE" sleep 1000
	pid=$(ctr_pid pl)
	cg=$(engines_cgroup "$pid" pids)
	[ "$cg" = "/${K##*/}/$(dk inspect -f '{{.Id}}' pl)" ]
	[ "$(cat "/sys/fs/cgroup/pids$cg/pids.max")" = 10 ]
	# pid 1 and the exec's shell are two: eight sleeps fit, the ninth fork fails
	run dk exec pl sh -c 'cat /sys/fs/cgroup/pids/pids.max; i=0; while [ $i -lt 15 ]; do sleep 1000 & i=$((i+1)); echo "forked $i"; done; echo loop-done'
	echo "$output"
	local cur events st
	cur=$(cat "/sys/fs/cgroup/pids$cg/pids.current")
	events=$(cat "/sys/fs/cgroup/pids$cg/pids.events")
	st=$(dk stats --no-stream --format '{{.PIDs}}' pl)
	dk rm -f pl >/dev/null
	[ "$status" -ne 0 ]
	# stdout and stderr come through separate pipes: their order is not kept
	[[ $'\n'"$output"$'\n' == *$'\n'10$'\n'* ]]
	[[ "$output" == *"forked 8"* ]] && [[ "$output" != *"forked 9"* ]] && [[ "$output" != *loop-done* ]]
	[[ "$output" == *"can't fork"* ]]
	# the sleeps stay: pid 1 and eight of them; the kernel counted the refusal
	echo "pids.current $cur, docker stats $st, pids.events $events"
	[ "$cur" = 9 ] && [ "$st" = 9 ]
	[[ "$events" =~ ^max\ [1-9] ]]
}

@test "docker: update changes memory, swap, pids and cpu quota of a running container" {
	drun -d --name up --cpu-shares 512 "$IMAGE" sleep 1000
	local pid cg
	pid=$(ctr_pid up)
	cg=$(engines_cgroup "$pid" memory)
	# Docker's update sends every field, kernel: 0 and cpu.shares: 0 among them ("not set")
	run dk update --memory 32m --memory-swap 64m --pids-limit 20 --cpus 0.25 up
	echo "$output"
	[ "$status" -eq 0 ]
	run dk exec up cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes \
		/sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.shares
	local host
	host=$(cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes" "/sys/fs/cgroup/memory$cg/memory.memsw.limit_in_bytes" \
		"/sys/fs/cgroup/pids$cg/pids.max" "/sys/fs/cgroup/cpu$cg/cpu.cfs_quota_us" "/sys/fs/cgroup/cpu$cg/cpu.shares")
	dk rm -f up >/dev/null
	echo "inside: $output"
	echo "host $cg: $host"
	[ "$output" = "33554432
67108864
20
25000
512" ]
	[ "$host" = "$output" ]
}

@test "docker: build with RUN steps runs them in carrel; each layer holds what its step wrote" {
	mkdir -p "$K/ctx"
	cat >"$K/ctx/Dockerfile" <<-EOF
		FROM $IMAGE
		RUN echo one > /one.txt && sleep 3
		RUN echo two > /two.txt && cat /one.txt > /copy.txt
	EOF
	# the classic builder: it runs RUN steps as containers with the default runtime
	DOCKER_BUILDKIT=0 dk build -q -t carrel-built "$K/ctx" >"$K/build.out" 2>&1 3>&- &
	local bpid=$! seen="" i
	# while the first step sleeps, its container's state is carrel's
	for i in $(seq 100); do
		grep -qs '"init_start_time"' "$K"/exec/runtime-runc/moby/*/state.json && { seen=yes; break; }
		sleep 0.1
	done
	wait "$bpid" || { cat "$K/build.out"; false; }
	[ -n "$seen" ] || { echo "no carrel state seen during the build"; false; }
	run drun --rm carrel-built cat /one.txt /two.txt /copy.txt
	[ "$output" = "one
two
one" ]
	# each layer of the saved image holds what its RUN step wrote
	dk save -o "$K/saved.tar" carrel-built
	engines_check_run_layers "$K/saved.tar"
	dk rmi carrel-built >/dev/null
}

# containerd's shim runs `kill --all ID SIGKILL` after the init of a
# container without a pid namespace of its own exits (runc returns 0 for a
# stopped container); it logs an error for each failure.
@test "docker: --pid host: the shim's kill --all after the exit succeeds" {
	run drun --rm --pid host "$IMAGE" sh -c 'echo in-host-pidns'
	[ "$status" -eq 0 ]
	[ "$output" = in-host-pidns ]
	drun --rm --pid host "$IMAGE" true
	sleep 0.5
	grep -q "starting signal loop" "$K/dockerd.log" # the shim's log does reach dockerd.log
	run grep "failed to kill init's children" "$K/dockerd.log"
	[ -z "$output" ]
}
