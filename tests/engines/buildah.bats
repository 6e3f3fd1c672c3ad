#!/usr/bin/env bats
# buildah (Debian's 1.28) and `podman build` running their RUN steps with
# carrel. Run tests/engines/setup.sh first (or tests/engines/run.sh).
#
# Private stores only: buildah and podman get --root, --runroot (and podman
# --tmpdir and a containers.conf) in a temp dir, with vfs storage and
# --isolation oci (an OCI runtime, not chroot). The base image comes from the
# docker-archive setup.sh builds; nothing is pulled.
#
# buildah writes ambient capabilities without an inheritable set; carrel
# drops what the kernel cannot raise with a warning (see README, "What carrel
# accepts"), and that warning on stderr is how these tests know that carrel,
# not another runtime, ran the step.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	engines_require buildah podman
	B=$(mktemp -d /tmp/carrel-buildah.XXXXXX)
	export B
	mkdir -p "$B/ctx" "$B/ptmp"
	# podman reads the shipped containers.conf, pointed at this build: `--runtime carrel` by name.
	sed "s|\"/usr/local/bin/carrel\", \"/usr/bin/carrel\"|\"$CARREL\"|" \
		"$REPO/contrib/engines/podman/containers.conf" >"$B/containers.conf"
	grep -q "carrel = \[\"$CARREL\"\]" "$B/containers.conf"
	# Root cannot raise rlimits on this host (as in podman.bats; its [containers]
	# table is the file's last). podman's default pids_limit (2048) stays: the
	# cgroup v1 driver serves it on a hybrid host.
	printf '%s\n' 'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]' >>"$B/containers.conf"
	export CONTAINERS_CONF=$B/containers.conf
	cat >"$B/ctx/Containerfile" <<-EOF
		FROM $IMAGE
		RUN echo one > /one.txt
		RUN echo two > /two.txt && cat /one.txt > /copy.txt
	EOF
	bh pull -q "docker-archive:$ENGINES_IMAGE_TAR" >/dev/null
	pm load -q -i "$ENGINES_IMAGE_TAR" >/dev/null
}

teardown_file() {
	[ -n "${B:-}" ] && [ -d "$B" ] || return 0
	bh rm -a >/dev/null 2>&1 || true
	pm rm -fa -t 0 >/dev/null 2>&1 || true
	engines_cleanup_dir "$B"
}

bh() { buildah --root "$B/root" --runroot "$B/runroot" --storage-driver vfs "$@"; }
pm() {
	podman --root "$B/proot" --runroot "$B/prunroot" --tmpdir "$B/ptmp" --storage-driver vfs \
		--cgroup-manager cgroupfs --events-backend file "$@"
}

@test "buildah: run --runtime carrel --isolation oci, output and exit code" {
	local c
	c=$(bh from --pull-never "$IMAGE")
	run bh run --runtime "$CARREL" --isolation oci "$c" -- sh -c 'echo hi-$(id -u); exit 0'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *hi-0* ]]
	[[ "$output" == *"carrel: warning: config.json: process.capabilities.ambient:"* ]]
	run bh run --runtime "$CARREL" --isolation oci "$c" -- sh -c 'exit 3'
	[ "$status" -eq 3 ]
	# a write in the working container stays there for the next run and for commit
	bh run --runtime "$CARREL" --isolation oci "$c" -- sh -c 'echo kept > /kept.txt'
	run bh run --runtime "$CARREL" --isolation oci "$c" -- cat /kept.txt
	[[ "$output" == *kept* ]]
	bh rm "$c" >/dev/null
}

@test "buildah: from --memory 64m --cpu-shares 512: run applies them in the container's own v1 cgroups" {
	local c pid
	c=$(bh from --pull-never --memory 64m --cpu-shares 512 "$IMAGE")
	mkdir -p "$B/sync"
	rm -f "$B/sync/"*
	# the container reports its memory cgroup, then waits until the host has looked
	bh run --runtime "$CARREL" --isolation oci -v "$B/sync:/sync" "$c" -- sh -c '
		cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.shares > /sync/inside
		awk -F: "\$2 == \"memory\" { print \$3 }" /proc/self/cgroup > /sync/cg.new && mv /sync/cg.new /sync/cg
		i=0; while [ ! -f /sync/done ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done' >"$B/run.out" 2>&1 3>&- &
	pid=$!
	local i cg=
	for i in $(seq 300); do [ -s "$B/sync/cg" ] && break; sleep 0.1; done
	cg=$(cat "$B/sync/cg" 2>/dev/null || true)
	local mem cpu
	mem=$(cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes" 2>&1)
	cpu=$(cat "/sys/fs/cgroup/cpu$cg/cpu.shares" 2>&1)
	touch "$B/sync/done"
	wait "$pid" || { cat "$B/run.out"; false; }
	bh rm "$c" >/dev/null
	echo "cgroup $cg: memory.limit_in_bytes $mem, cpu.shares $cpu; inside: $(cat "$B/sync/inside")"
	[ -n "$cg" ] && [ "$cg" != / ]
	[ "$mem" = 67108864 ] && [ "$cpu" = 512 ]
	[ "$(cat "$B/sync/inside")" = "67108864
512" ]
}

@test "buildah: bud with RUN steps (--layers): each layer holds what its step wrote" {
	run bh bud --pull-never --layers --runtime "$CARREL" --isolation oci -t bud-built "$B/ctx"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"carrel: warning: config.json: process.capabilities.ambient:"* ]]
	rm -f "$B/bud.tar"
	bh push -q bud-built "docker-archive:$B/bud.tar" >/dev/null
	engines_check_run_layers "$B/bud.tar"
}

@test "podman build --runtime carrel (contrib containers.conf, --layers): each layer holds what its step wrote" {
	run pm build --pull=never --layers --runtime carrel -t pm-built "$B/ctx"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"carrel: warning: config.json: process.capabilities.ambient:"* ]]
	rm -f "$B/pm.tar"
	pm save -q --format docker-archive -o "$B/pm.tar" pm-built
	engines_check_run_layers "$B/pm.tar"
	# and the image runs (with carrel too)
	run pm run --rm --runtime carrel pm-built cat /one.txt /two.txt /copy.txt
	echo "$output"
	[ "$output" = "one
two
one" ]
	# with podman's default pids_limit (2048), in its own v1 pids cgroup
	local pid cg
	pm run -d --name lim --runtime carrel pm-built sleep 1000
	pid=$(pm inspect -f '{{.State.Pid}}' lim)
	cg=$(engines_cgroup "$pid" pids)
	run pm exec lim cat /sys/fs/cgroup/pids/pids.max
	local host
	host=$(cat "/sys/fs/cgroup/pids$cg/pids.max" 2>&1)
	pm rm -f -t 0 lim >/dev/null
	echo "inside $output, host $cg: $host"
	[ "$output" = 2048 ] && [ "$host" = 2048 ]
}
