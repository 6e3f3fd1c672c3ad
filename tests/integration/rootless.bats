#!/usr/bin/env bats
# Rootless: an unprivileged user runs carrel with a user namespace that maps
# it to root. State goes under $XDG_RUNTIME_DIR/carrel, a map of more than
# the user's own id goes through newuidmap/newgidmap (/etc/subuid, subgid),
# no cgroup is made where the user may not make one unless a limit needs
# it, and a cgroup delegated to the user is used.

load helpers

setup_file() {
	common_setup_file
	[ "$(id -u)" = 0 ] || skip "needs root to create the test user"
	export RL_USER=crl$$
	useradd -M -d /nonexistent -s /bin/sh "$RL_USER"
	export RL_UID RL_GID
	RL_UID=$(id -u "$RL_USER")
	RL_GID=$(id -g "$RL_USER")
	# A range nothing else on this host uses (useradd may have added one too).
	export RL_SUB=$((1200000000 + ($$ % 1000) * 65536))
	sed -i "/^$RL_USER:/d" /etc/subuid /etc/subgid
	echo "$RL_USER:$RL_SUB:65536" >>/etc/subuid
	echo "$RL_USER:$RL_SUB:65536" >>/etc/subgid
}

teardown_file() {
	if [ -n "${RL_USER:-}" ]; then
		sed -i "/^$RL_USER:/d" /etc/subuid /etc/subgid
		userdel "$RL_USER" 2>/dev/null || true
	fi
	common_teardown_file
}

setup() {
	common_setup
	XDG=$BATS_TEST_TMPDIR/xdg
	mkdir -m 0700 "$XDG"
	chown "$RL_UID:$RL_GID" "$XDG"
	# carrel's default root for the user; root's teardown deletes from there too.
	STATE=$XDG/carrel
	DATA=$BATS_TEST_TMPDIR/data
	mkdir "$DATA"
	chown "$RL_UID:$RL_GID" "$DATA"
}

teardown() { common_teardown; }

# as_user CMD... — CMD as the test user, with its runtime dir (and the
# sanitizer options: LeakSanitizer's exit check hangs in a process that
# joined a container's user namespace, so the ASan tier turns it off).
as_user() {
	timeout -k 5 "$CARREL_TIMEOUT" setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/nonexistent XDG_RUNTIME_DIR="$XDG" \
		${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} ${UBSAN_OPTIONS:+UBSAN_OPTIONS="$UBSAN_OPTIONS"} "$@" </dev/null
}

# rootless_bundle — `carrel spec --rootless`, written by the user.
rootless_bundle() {
	mkdir -p "$BUNDLE"
	chown "$RL_UID:$RL_GID" "$BUNDLE"
	as_user "$CARREL" spec --rootless --bundle "$BUNDLE" || fail "spec --rootless failed"
	cfg '.root.path = $r | .process.terminal = false | .process.env += ["CARREL_TEST_ID=" + $id]
	     | .mounts += [{destination: "/mnt", type: "bind", source: $d, options: ["rbind"]}]' \
		--arg r "$ROOTFS" --arg id "$ID" --arg d "$DATA"
	chmod a+r "$BUNDLE/config.json"
}

@test "rootless: spec --rootless runs as the user, root inside, its files the user's on the host" {
	rootless_bundle
	cfg '.process.args = ["sh", "-c", "id -u; touch /mnt/made; cat /proc/self/uid_map"]'
	run -0 as_user "$CARREL" run --bundle "$BUNDLE" "$ID"
	[ "${lines[0]}" = 0 ] || fail "id -u inside: $output"
	read -r c h n <<<"${lines[1]}"
	[ "$c $h $n" = "0 $RL_UID 1" ] || fail "uid_map: $output"
	[ "$(stat -c %u:%g "$DATA/made")" = "$RL_UID:$RL_GID" ] || fail "owner: $(stat -c %u:%g "$DATA/made")"
}

@test "rootless: the state is under \$XDG_RUNTIME_DIR/carrel, and the lifecycle works there" {
	rootless_bundle
	cfg '.process.args = ["sleep", "100"]'
	# (stdout to a file: a detached container's stdio is not bats' pipe)
	as_user "$CARREL" run -d --bundle "$BUNDLE" "$ID" >"$CTR_OUT" 2>&1 || fail "$(cat "$CTR_OUT")"
	[ -d "$XDG/carrel/$ID" ] || fail "no state in $XDG/carrel: $(ls -la "$XDG")"
	run -0 as_user "$CARREL" state "$ID"
	[ "$(jq -r .status <<<"$output")" = running ] || fail "$output"
	local pid
	pid=$(jq -r .pid <<<"$output")
	[ "$(stat -c %u "/proc/$pid")" = "$RL_UID" ] || fail "the init is not the user's on the host"
	run -0 as_user "$CARREL" exec "$ID" id -u
	[ "$output" = 0 ] || fail "exec: id -u is $output"
	run -0 as_user "$CARREL" kill "$ID" KILL
	for _ in $(seq 50); do
		[ "$(as_user "$CARREL" state "$ID" | jq -r .status)" = stopped ] && break
		sleep 0.1
	done
	run -0 as_user "$CARREL" delete "$ID"
	[ ! -e "$XDG/carrel/$ID" ] || fail "state left after delete"
}

@test "rootless: run --rootfs maps the unprivileged caller to root" {
	run -0 as_user "$CARREL" run --rootfs "$ROOTFS" --name "$ID" --no-tty --bind "$DATA:/mnt" \
		--env "CARREL_TEST_ID=$ID" -- sh -c 'id -u; touch /mnt/one-line'
	[ "${lines[0]}" = 0 ] || fail "id -u inside: $output"
	[ "$(stat -c %u:%g "$DATA/one-line")" = "$RL_UID:$RL_GID" ] || fail "owner: $(stat -c %u "$DATA/one-line")"
	run as_user "$CARREL" run --rootfs "$ROOTFS" --name "$ID" --userns auto -- true
	[ "$status" -ne 0 ] && [[ "$output" == *"--userns auto"*"unprivileged"* ]] || fail "$output"
}

@test "rootless: more than the user's id is mapped through newuidmap/newgidmap and /etc/subuid" {
	command -v newuidmap >/dev/null && command -v newgidmap >/dev/null || skip "needs newuidmap (package uidmap)"
	rootless_bundle
	chmod 1777 "$DATA"
	cfg '.linux.uidMappings = [{containerID: 0, hostID: $u, size: 1}, {containerID: 1, hostID: $s, size: 65536}]
	     | .linux.gidMappings = [{containerID: 0, hostID: $g, size: 1}, {containerID: 1, hostID: $s, size: 65536}]
	     | .process.user.uid = 1000 | .process.user.gid = 1000
	     | .process.args = ["sh", "-c", "touch /mnt/f && wc -l </proc/self/uid_map"]' \
		--argjson u "$RL_UID" --argjson g "$RL_GID" --argjson s "$RL_SUB"
	run -0 as_user "$CARREL" run --bundle "$BUNDLE" "$ID"
	[ "${lines[0]}" = 2 ] || fail "uid_map lines: $output"
	[ "$(stat -c %u:%g "$DATA/f")" = "$((RL_SUB + 999)):$((RL_SUB + 999))" ] || fail "owner: $(stat -c %u:%g "$DATA/f")"
	# A range outside the user's entries is refused by newuidmap, and nothing is left.
	cfg '.linux.uidMappings[1].hostID = 5000'
	run as_user "$CARREL" run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ] && [[ "$output" == *"newuidmap refused linux.uidMappings"*"/etc/subuid"* ]] || fail "$output"
	assert_no_leftovers
}

@test "rootless: a limit that cannot be enforced is a clear error, and nothing is left" {
	rootless_bundle
	cfg '.linux.resources = {memory: {limit: 67108864}}'
	run as_user "$CARREL" run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ] || fail "ran with an unenforceable limit: $output"
	[[ "$output" == *"cannot enforce unprivileged (uid $RL_UID)"*"--systemd-cgroup"* ]] || fail "$output"
	assert_no_leftovers
	run as_user "$CARREL" run --rootfs "$ROOTFS" --name "$ID" --memory 64m -- true
	[ "$status" -ne 0 ] && [[ "$output" == *"cannot enforce unprivileged"* ]] || fail "$output"
}

@test "rootless: a cgroup delegated to the user is used, and its limit applies" {
	local mem
	mem=$(v1_hierarchy memory) || skip "needs a v1 memory hierarchy (v2 delegation is covered through systemd in tests/vm-systemd)"
	local top=/crl$$-${BATS_TEST_NUMBER}
	mkdir "$mem$top"
	defer "rmdir $mem$top/$ID 2>/dev/null; rmdir $mem$top"
	chown "$RL_UID:$RL_GID" "$mem$top" "$mem$top/cgroup.procs" "$mem$top/tasks"
	rootless_bundle
	cfg '.linux.cgroupsPath = $p | .linux.resources = {memory: {limit: 67108864}} | .process.args = ["sleep", "100"]' \
		--arg p "$top/$ID"
	as_user "$CARREL" run -d --bundle "$BUNDLE" "$ID" >"$CTR_OUT" 2>&1 || fail "$(cat "$CTR_OUT")"
	[ "$(cat "$mem$top/$ID/memory.limit_in_bytes")" = 67108864 ] || fail "limit: $(cat "$mem$top/$ID/memory.limit_in_bytes")"
	local pid
	pid=$(as_user "$CARREL" state "$ID" | jq -r .pid)
	grep -qx "$pid" "$mem$top/$ID/cgroup.procs" || fail "the init is not in $mem$top/$ID"
	run -0 as_user "$CARREL" delete --force "$ID"
	[ ! -d "$mem$top/$ID" ] || fail "the cgroup is left after delete"
}
