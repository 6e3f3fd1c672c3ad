#!/usr/bin/env bats
# Rootless podman (an unprivileged test user, its own /etc/subuid range)
# driving carrel. podman runs the runtime as root of its own user namespace
# (uid 0 there, not in the initial one): carrel then keeps its state under
# $XDG_RUNTIME_DIR/carrel, binds device nodes instead of mknod, and makes no
# cgroup where it may not. No systemd here: --cgroup-manager cgroupfs.
# Run tests/engines/setup.sh first (or tests/engines/run.sh).

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	engines_require podman conmon newuidmap newgidmap
	T=$(mktemp -d /tmp/carrel-podman-rl.XXXXXX)
	export T
	chmod 755 "$T"
	export PU=crpm$$
	useradd -M -d "$T/home" -s /bin/sh "$PU"
	export PUID
	PUID=$(id -u "$PU")
	sed -i "/^$PU:/d" /etc/subuid /etc/subgid
	export PSUB=$((1400000000 + ($$ % 1000) * 65536))
	echo "$PU:$PSUB:65536" >>/etc/subuid
	echo "$PU:$PSUB:65536" >>/etc/subgid
	mkdir -p "$T/home" "$T/run" "$T/rt" "$T/vol"
	chmod 700 "$T/run"
	cp "$CARREL" "$T/rt/carrel"
	# podman passes --log-format/--log only to runtimes it knows by name.
	ln -s carrel "$T/rt/runc"
	cp "$ENGINES_IMAGE_TAR" "$T/image.tar"
	chown -R "$PU:" "$T/home" "$T/run" "$T/vol" "$T/image.tar"
	cat >"$T/pm" <<-EOF
		#!/bin/sh
		exec setpriv --reuid=$PUID --regid=$(id -g "$PU") --init-groups \\
			env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=$T/home USER=$PU XDG_RUNTIME_DIR=$T/run \\
			podman --root $T/home/storage --runroot $T/run/runroot --tmpdir $T/run/tmp \\
			--storage-driver vfs --cgroup-manager cgroupfs --events-backend file \\
			--runtime $T/rt/runc "\$@"
	EOF
	chmod 755 "$T/pm"
	"$T/pm" load -q -i "$T/image.tar" >/dev/null
}

teardown_file() {
	[ -n "${T:-}" ] && [ -d "$T" ] || return 0
	"$T/pm" rm -fa -t 0 >/dev/null 2>&1 || true
	# podman's pause process (its user namespace) and any conmon of the user.
	engines_remove_user "$PU" "$PUID"
	engines_cleanup_dir "$T"
}

pm() { timeout -k 5 60 "$T/pm" "$@" </dev/null; }

@test "podman rootless: carrel runs the container as root of the user's namespace" {
	run -0 pm info --format '{{.Host.OCIRuntime.Version}} {{.Host.Security.Rootless}}'
	[[ "$output" == *carrel*true* ]] || fail "$output"
	run -0 pm run --rm --net none "$IMAGE" sh -c 'id -u; cat /proc/self/uid_map'
	[ "${lines[0]}" = 0 ] || fail "$output"
	[[ "$output" == *" 0 "*" $PUID "*" 1"* ]] && [[ "$output" == *" $PSUB "*" 65536"* ]] || fail "uid_map: $output"
	# carrel's state went to the user's runtime dir, never to /run/carrel.
	[ -d "$T/run/carrel" ] || fail "no $T/run/carrel"
}

@test "podman rootless: files root writes in a volume belong to the user on the host" {
	run -0 pm run --rm --net none -v "$T/vol:/vol" "$IMAGE" sh -c 'touch /vol/by-root; ls -ln /dev/null'
	[ "$(stat -c %u "$T/vol/by-root")" = "$PUID" ] || fail "owner $(stat -c %u "$T/vol/by-root")"
	[[ "${lines[0]}" == c* ]] || fail "/dev/null is not a device: $output"
}

@test "podman rootless: run -d, exec, stop and rm" {
	run -0 pm run -d --name rl1 --net none "$IMAGE" sleep 1000
	run -0 pm exec rl1 id -u
	[ "$output" = 0 ] || fail "$output"
	run -0 pm stop -t 1 rl1
	run -0 pm rm rl1
	run -0 pm ps -aq
	[ -z "$output" ] || fail "left: $output"
}
