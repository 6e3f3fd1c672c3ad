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
	# Host notes as in podman.bats (its [containers] table is the file's last):
	# no v2 pids controller on a hybrid host, and root cannot raise rlimits.
	# v1-driver: with cgroup v1 support, pids_limit = 0 can go.
	printf '%s\n' 'pids_limit = 0' 'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]' >>"$B/containers.conf"
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
}
