#!/usr/bin/env bats
# Engines on carrel's systemd cgroup driver, live: needs systemd as PID 1
# (the VM tier that boots /lib/systemd/systemd; tests/vm-systemd/README.md),
# and the engines set up on the host (tests/engines/setup.sh: containerd,
# podman and build/engines/busybox.tar). Skips elsewhere.
#
#  * containerd with contrib/engines/containerd/config-systemd.toml
#    (SystemdCgroup = true for the carrel handler), private root, state and
#    sockets; ctr bypasses CRI, so its runs pass what the handler's options
#    make the shim pass: `--runc-systemd-cgroup` (the shim then calls carrel
#    with --systemd-cgroup) and a slice:prefix:name cgroup;
#  * podman with cgroup_manager = "systemd" and carrel as its runtime, as
#    root and (when the user's systemd instance comes up) rootless.
#   CARREL=$PWD/build/carrel bats tests/vm-systemd/engines.bats

bats_require_minimum_version 1.5.0
load ../engines/helpers

fail() { echo "$*" >&2; return 1; }

setup_file() {
	[ -d /run/systemd/system ] || return 0 # every test skips
	export E
	E=$(mktemp -d /tmp/carrel-sdeng.XXXXXX)
	chmod 755 "$E"
}

teardown_file() {
	[ -n "${E:-}" ] && [ -d "$E" ] || return 0
	local pid
	pid=$(cat "$E/containerd.pid" 2>/dev/null || true)
	if [ -n "$pid" ]; then
		for c in $(ctr -a "$E/containerd.sock" task ls -q 2>/dev/null); do
			ctr -a "$E/containerd.sock" task rm -f "$c" >/dev/null 2>&1 || true
		done
		kill "$pid" 2>/dev/null || true
	fi
	[ -x "$E/pm" ] && "$E/pm" rm -fa -t 0 >/dev/null 2>&1
	engines_cleanup_dir "$E"
}

setup() {
	[ -d /run/systemd/system ] || skip "needs systemd as PID 1 (/run/systemd/system is missing)"
}

# sd_unit_gone UNIT [--user-of USER]: UNIT is neither active nor failed.
sd_unit_gone() {
	local s
	s=$(systemctl is-active "$1" 2>/dev/null)
	[ "$s" != active ] && [ "$s" != failed ] && [ "$s" != deactivating ] || { echo "$1 is $s"; return 1; }
}

# --- containerd ---------------------------------------------------------------

containerd_up() {
	engines_require containerd ctr containerd-shim-runc-v2
	[ -S "$E/containerd.sock" ] && return 0
	mkdir -p "$E/cd/root" "$E/cd/state" "$E/cd/runc"
	{
		echo "root = \"$E/cd/root\""
		echo "state = \"$E/cd/state\""
		sed -e "s|/usr/local/bin/carrel|$CARREL|" -e "s|/run/containerd/carrel|$E/cd/runc|" \
			"$REPO/contrib/engines/containerd/config-systemd.toml"
		printf '\n[grpc]\n  address = "%s"\n[ttrpc]\n  address = "%s"\n' "$E/containerd.sock" "$E/containerd.sock.ttrpc"
	} >"$E/containerd.toml"
	containerd --config "$E/containerd.toml" >"$E/containerd.log" 2>&1 3>&- &
	echo $! >"$E/containerd.pid"
	for _ in $(seq 100); do
		ctr -a "$E/containerd.sock" version >/dev/null 2>&1 && break
		sleep 0.2
	done
	ctr -a "$E/containerd.sock" version >/dev/null || fail "containerd did not start: $(tail -20 "$E/containerd.log")"
	ctr -a "$E/containerd.sock" images import "$ENGINES_IMAGE_TAR" >/dev/null
}

c() { timeout -k 5 120 ctr -a "$E/containerd.sock" "$@"; }

@test "containerd SystemdCgroup: config-systemd.toml loads; the container is a systemd scope with MemoryMax; rm removes it" {
	containerd_up
	run -0 containerd --config "$E/containerd.toml" config dump
	[[ "$output" == *'runtimes.carrel.options]'* ]] || fail "$output"
	[[ "$(sed -n '/runtimes.carrel.options]/,/^ *\[/p' <<<"$output")" == *"SystemdCgroup = true"* ]] ||
		fail "no SystemdCgroup = true for carrel: $output"
	run -0 c plugins ls
	[[ "$(grep -E '^io.containerd.grpc.v1 +cri ' <<<"$output")" == *" ok"* ]] || fail "CRI plugin: $output"

	local n=sd$$ unit
	unit=ctr-$n.scope
	run -0 c run -d --runc-binary "$CARREL" --runc-root "$E/cd/runc" --runc-systemd-cgroup \
		--cgroup "system.slice:ctr:$n" --memory-limit 67108864 "$IMAGE" "$n" sleep 1000
	local pid
	pid=$(c task ls | awk -v n="$n" '$1 == n { print $2 }')
	[ -n "$pid" ] || fail "no task: $(c task ls)"
	grep -qx "0::/system.slice/$unit" "/proc/$pid/cgroup" || fail "cgroup: $(cat "/proc/$pid/cgroup")"
	run -0 systemctl status --no-pager "$unit"
	[[ "$output" == *"carrel container"* ]] || fail "$output"
	[ "$(systemctl show -p Delegate --value "$unit")" = yes ] || fail "not delegated"
	[ "$(systemctl show -p MemoryMax --value "$unit")" = 67108864 ] || fail "MemoryMax: $(systemctl show -p MemoryMax "$unit")"
	[ "$(cat "/sys/fs/cgroup/system.slice/$unit/memory.max")" = 67108864 ]
	# (ctr 1.6 has no `task update`: containerd updates through CRI only.)
	# An exec'd process joins the scope too (ctr's spec has no cgroup
	# namespace, and no /sys/fs/cgroup mount: CRI adds that).
	run -0 c task exec --exec-id e1 "$n" cat /proc/self/cgroup
	[ "$output" = "0::/system.slice/$unit" ] || fail "exec: $output"
	run -0 c task kill -s KILL "$n"
	for _ in $(seq 50); do [[ "$(c task ls)" == *"$n "*STOPPED* ]] && break; sleep 0.2; done
	run -0 c task rm "$n"
	run -0 c containers rm "$n"
	run sd_unit_gone "$unit"
	[ "$status" -eq 0 ] || fail "$output"
	[ ! -d "/sys/fs/cgroup/system.slice/$unit" ] || fail "the scope's cgroup is left"
}

# --- podman -------------------------------------------------------------------

podman_up() {
	engines_require podman conmon
	[ -x "$E/pm" ] && return 0
	mkdir -p "$E/pm.d/rt" "$E/pm.d/tmp"
	ln -sf "$CARREL" "$E/pm.d/rt/runc" # podman passes --log-format/--log only to runtimes it knows by name
	cat >"$E/pm.d/containers.conf" <<-'EOF'
		[containers]
		netns = "none"
		[engine]
		cgroup_manager = "systemd"
		events_logger = "file"
	EOF
	cat >"$E/pm" <<-EOF
		#!/bin/sh
		export CONTAINERS_CONF="$E/pm.d/containers.conf"
		exec timeout -k 5 120 podman --root "$E/pm.d/root" --runroot "$E/pm.d/runroot" --tmpdir "$E/pm.d/tmp" \\
			--storage-driver vfs --cgroup-manager systemd --events-backend file \\
			--runtime "$E/pm.d/rt/runc" "\$@"
	EOF
	chmod +x "$E/pm"
	"$E/pm" load -q -i "$ENGINES_IMAGE_TAR" >/dev/null
}

@test "podman cgroup_manager=systemd: the container is a libpod scope in machine.slice with MemoryMax; rm removes it" {
	podman_up
	run -0 "$E/pm" run -d --memory 64m --pids-limit 99 "$IMAGE" sleep 1000
	local id=$output pid unit
	unit=libpod-$id.scope
	pid=$("$E/pm" inspect -f '{{.State.Pid}}' "$id")
	grep -qx "0::/machine.slice/$unit" "/proc/$pid/cgroup" || fail "cgroup: $(cat "/proc/$pid/cgroup")"
	run -0 systemctl status --no-pager "$unit"
	[[ "$output" == *"carrel container"* ]] || fail "$output"
	[ "$(systemctl show -p MemoryMax --value "$unit")" = 67108864 ] || fail "MemoryMax: $(systemctl show -p MemoryMax "$unit")"
	[ "$(systemctl show -p TasksMax --value "$unit")" = 99 ] || fail "TasksMax: $(systemctl show -p TasksMax "$unit")"
	run -0 "$E/pm" exec "$id" cat /sys/fs/cgroup/memory.max
	[ "$output" = 67108864 ] || fail "inside: $output"
	run -0 "$E/pm" update --memory 128m "$id"
	[ "$(systemctl show -p MemoryMax --value "$unit")" = 134217728 ] || fail "after update: $(systemctl show -p MemoryMax "$unit")"
	run -0 "$E/pm" rm -f -t 0 "$id"
	run sd_unit_gone "$unit"
	[ "$status" -eq 0 ] || fail "$output"
}

# as_user CMD...: CMD as $PU with its systemd user session.
as_user() {
	timeout -k 5 120 setpriv --reuid="$PUID" --regid="$(id -g "$PU")" --init-groups \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$E/home" USER="$PU" XDG_RUNTIME_DIR="/run/user/$PUID" \
		DBUS_SESSION_BUS_ADDRESS="unix:path=/run/user/$PUID/bus" "$@" </dev/null
}

@test "podman rootless, cgroup_manager=systemd: a user's container is a scope of its systemd instance with MemoryMax" {
	engines_require podman conmon newuidmap newgidmap loginctl
	export PU=crsdp$$ PUID
	useradd -M -d "$E/home" -s /bin/sh "$PU"
	PUID=$(id -u "$PU")
	echo "$PU:1500000000:65536" >>/etc/subuid
	echo "$PU:1500000000:65536" >>/etc/subgid
	mkdir -p "$E/home" "$E/rl/rt"
	ln -s "$CARREL" "$E/rl/rt/runc"
	cp "$ENGINES_IMAGE_TAR" "$E/rl/image.tar"
	chown -R "$PU:" "$E/home" "$E/rl"
	loginctl enable-linger "$PU"
	for _ in $(seq 150); do [ -S "/run/user/$PUID/bus" ] && break; sleep 0.2; done
	[ -S "/run/user/$PUID/bus" ] || skip "the user's systemd instance did not come up (no /run/user/$PUID/bus)"
	pmu() {
		as_user podman --root "$E/home/storage" --runroot "/run/user/$PUID/pm-runroot" \
			--storage-driver vfs --cgroup-manager systemd --events-backend file \
			--runtime "$E/rl/rt/runc" "$@"
	}
	run -0 pmu load -q -i "$E/rl/image.tar"
	run -0 pmu run -d --net none --memory 64m "$IMAGE" sleep 1000
	local id=$output pid unit cg
	unit=libpod-$id.scope
	pid=$(pmu inspect -f '{{.State.Pid}}' "$id")
	cg=$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
	[[ "$cg" == "/user.slice/user-$PUID.slice/user@$PUID.service/"*"/$unit" ]] || fail "cgroup: $cg"
	run -0 as_user systemctl --user show -p MemoryMax -p Delegate -p Description "$unit"
	[[ "$output" == *"MemoryMax=67108864"* ]] && [[ "$output" == *"Delegate=yes"* ]] &&
		[[ "$output" == *"Description=carrel container $unit"* ]] || fail "$output"
	[ "$(cat "/sys/fs/cgroup$cg/memory.max")" = 67108864 ] || fail "memory.max: $(cat "/sys/fs/cgroup$cg/memory.max")"
	run -0 pmu rm -f -t 0 "$id"
	run as_user systemctl --user is-active "$unit"
	[ "$output" != active ] || fail "the user's scope is still active"
}

# The rootless test's user, if it made one (bats runs teardown per test).
teardown() {
	[ -n "${PU:-}" ] || return 0
	as_user podman --root "$E/home/storage" --runroot "/run/user/$PUID/pm-runroot" --storage-driver vfs \
		rm -fa -t 0 >/dev/null 2>&1 || true
	loginctl disable-linger "$PU" 2>/dev/null || true
	loginctl terminate-user "$PU" 2>/dev/null || true
	engines_remove_user "$PU" "$PUID"
	return 0
}
