#!/usr/bin/env bats
# The config.json files that Docker 20.10, podman 4.3, buildah 1.28 and
# containerd 1.6 really wrote (tests/data/engine-configs, see its README), run
# by carrel on this host. Only what points into the engine's own machine is
# swapped: root.path becomes a busybox rootfs, missing bind sources become
# files and directories of this test, Docker's prestart hook (which runs
# /proc/DOCKERD_PID/exe) and the cgroupsPath go. Everything else (resources,
# capabilities, seccomp, masks, mounts, user) is as the engine wrote it.
#
# The unit test tests/unit/test-decode-policy.c checks that every file decodes
# and validates; here each one runs, table-driven.

load helpers

CONFIGS=$BATS_TEST_DIRNAME/../data/engine-configs

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() {
	common_setup
	mkdir -p "$BUNDLE"
}
teardown() { common_teardown; }

# engine_bundle FILE — $BUNDLE/config.json from the captured FILE, pointed at
# a private busybox rootfs and at bind sources under $BATS_TEST_TMPDIR.
engine_bundle() {
	local file=$CONFIGS/$1 src dst i n kind
	cp -a "$ROOTFS" "$BATS_TEST_TMPDIR/rootfs"
	jq --arg r "$BATS_TEST_TMPDIR/rootfs" --arg id "$ID" '
		.root.path = $r | del(.hooks) | del(.linux.cgroupsPath)
		| .process.env += ["CARREL_TEST_ID=" + $id]' "$file" >"$BUNDLE/config.json"
	n=$(jq '.mounts | length' "$BUNDLE/config.json")
	for ((i = 0; i < n; i++)); do
		src=$(jq -r ".mounts[$i] | select(.type == \"bind\" or (.options // [] | index(\"bind\") or index(\"rbind\"))) | .source" \
			"$BUNDLE/config.json")
		[ -n "$src" ] && [ ! -e "$src" ] || continue
		dst=$(jq -r ".mounts[$i].destination" "$BUNDLE/config.json")
		case "$dst" in
		/etc/* | /run/.containerenv) kind=file ;;
		*) kind=dir ;;
		esac
		src=$BATS_TEST_TMPDIR/binds/$i
		mkdir -p "$BATS_TEST_TMPDIR/binds"
		if [ "$kind" = file ]; then
			echo "# $dst of $1" >"$src"
		else
			mkdir -p "$src"
			echo "in-from-host" >"$src/in"
		fi
		CFG_FILE=$BUNDLE/config.json cfg ".mounts[$i].source = \$s" --arg s "$src"
	done
	_open_path "$BATS_TEST_TMPDIR"
}

# run_engine_config FILE STATUS OUTPUT [CONTROLLER V1FILE V1VALUE V2FILE V2VALUE]
# — run FILE's config; it must exit with STATUS and print OUTPUT (an
# extended regex). With CONTROLLER, FILE sets a limit of that controller: a
# second container of the same config, created only, must have it in its own
# cgroup on the host, read from V1FILE in the controller's v1 hierarchy where
# the unified one does not offer it (hybrid and v1 hosts), else V2FILE.
run_engine_config() {
	local file=$1 want_status=$2 want=$3 controller=${4:-}
	[ -f "$CONFIGS/$file" ] || fail "$CONFIGS/$file is missing"
	engine_bundle "$file"
	run carrel run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq "$want_status" ] || fail "$file: status $status, want $want_status: $output"
	[[ "$output" =~ $want ]] || fail "$file: output does not match /$want/: $output"
	[ -n "$controller" ] || return 0
	local saved=$output path got root
	create_ctr
	if root=$(cg_root) && grep -qw "$controller" "$root/cgroup.controllers"; then
		path=$root/carrel/$ID/$7 want=$8
	else
		path=$(v1_hierarchy "$controller")/carrel/$ID/$5 want=$6
	fi
	got=$(cat "$path" 2>&1)
	run carrel delete --force "$ID"
	output=$saved
	[ "$got" = "$want" ] || fail "$file: $path is '$got', want '$want'"
}

@test "engine configs: every file in tests/data/engine-configs has a row below" {
	local f rows
	rows=$(grep -o 'run_engine_config [a-z0-9.-]*\.json' "$BATS_TEST_FILENAME" | awk '{print $2}' | sort -u)
	for f in "$CONFIGS"/*.json; do
		grep -qx "${f##*/}" <<<"$rows" || fail "${f##*/} has no test"
	done
}

@test "engine configs: the copy matches ../shared/engine-configs where that exists" {
	local shared d
	# ../shared next to the main checkout, or next to the worktrees' parent.
	for d in "$BATS_TEST_DIRNAME"/../../../shared "$BATS_TEST_DIRNAME"/../../../../shared; do
		[ -d "$d/engine-configs" ] && shared=$(realpath "$d/engine-configs") && break
	done
	[ -n "${shared:-}" ] || skip "no ../shared/engine-configs on this machine"
	diff -r "$shared" "$CONFIGS" || fail "tests/data/engine-configs differs from $shared"
}

@test "docker-20.10-run-echo (blockIO.weight 0, cpu.shares 0, disableOOMKiller false)" {
	run_engine_config docker-20.10-run-echo.json 0 '^hello$'
}

@test "docker-20.10-run-init (docker-init as pid 1)" {
	[ -x /usr/bin/docker-init ] || skip "no /usr/bin/docker-init (Debian: apt-get install tini)"
	run_engine_config docker-20.10-run-init.json 0 '1 docker-init'
}

@test "docker-20.10-run-user (--user 1000:1000)" {
	run_engine_config docker-20.10-run-user.json 0 '^1000:1000$'
}

@test "docker-20.10-run-read-only (--read-only)" {
	run_engine_config docker-20.10-run-read-only.json 0 '^ro$'
}

@test "docker-20.10-run-tmpfs (--tmpfs /scratch on a read-only root)" {
	run_engine_config docker-20.10-run-tmpfs.json 0 '^tmpfs$'
}

@test "docker-20.10-run-bind (-v DIR:/data, read and write)" {
	run_engine_config docker-20.10-run-bind.json 0 '^in-from-host$'
	local out
	out=$(grep -l from-ctr "$BATS_TEST_TMPDIR"/binds/*/out) || fail "the container's write did not reach the host"
}

@test "docker-20.10-run-cap-drop-all (--cap-drop ALL)" {
	run_engine_config docker-20.10-run-cap-drop-all.json 0 '^0000000000000000.chown-denied$'
}

@test "docker-20.10-run-no-new-privileges" {
	run_engine_config docker-20.10-run-no-new-privileges.json 0 '^1$'
}

@test "docker-20.10-run-pids-limit (--pids-limit 10: the shell cannot fork past 10)" {
	run_engine_config docker-20.10-run-pids-limit.json 2 "^10.sh: can't fork" pids pids.max 10 pids.max 10
}

@test "docker-20.10-run-memory (--memory 64m)" {
	run_engine_config docker-20.10-run-memory.json 0 '^67108864.ran$' memory memory.limit_in_bytes 67108864 memory.max 67108864
}

@test "docker-20.10-build-run-step (a RUN step of docker build)" {
	run_engine_config docker-20.10-build-run-step.json 0 '^$'
	[ "$(cat "$BATS_TEST_TMPDIR/rootfs/built.txt")" = built-by-run ]
}

@test "podman-4.3-run (pids.limit 2048)" {
	run_engine_config podman-4.3-run.json 0 '^ran$' pids pids.max 2048 pids.max 2048
}

@test "podman-4.3-run-pids-limit (the shell cannot fork past 10)" {
	run_engine_config podman-4.3-run-pids-limit.json 2 "^10.sh: can't fork" pids pids.max 10 pids.max 10
}

@test "podman-4.3-run-memory" {
	run_engine_config podman-4.3-run-memory.json 0 '^67108864.ran$' memory memory.limit_in_bytes 67108864 memory.max 67108864
}

@test "buildah-1.28-run (ambient capabilities without inheritable: dropped with a warning)" {
	run_engine_config buildah-1.28-run.json 0 'hi-0'
	[[ "$output" == *"warning: config.json: process.capabilities.ambient: CAP_CHOWN"*"dropped: an ambient capability must also be permitted and inheritable"* ]] ||
		fail "no warning about the dropped ambient capabilities: $output"
}

@test "buildah-1.28-bud-run-step (a RUN step of buildah bud)" {
	run_engine_config buildah-1.28-bud-run-step.json 0 'warning'
	[ "$(cat "$BATS_TEST_TMPDIR/rootfs/built.txt")" = built-by-run-carrel ]
}

@test "containerd-1.6-ctr-run (ctr's default spec: cpu.shares 1024)" {
	run_engine_config containerd-1.6-ctr-run.json 7 'hi-from-ctr' cpu cpu.shares 1024 cpu.weight 39
}
