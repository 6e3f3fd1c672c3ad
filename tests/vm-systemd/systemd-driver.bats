#!/usr/bin/env bats
# The systemd cgroup driver, live: needs systemd as PID 1 (the VM tier that
# boots /lib/systemd/systemd; tests/vm-systemd/README.md). Skips elsewhere.
#   CARREL=$PWD/build/carrel bats tests/vm-systemd/

load ../integration/helpers

setup_file() {
	[ -d /run/systemd/system ] || return 0 # every test skips
	common_setup_file
}
teardown_file() { [ -d /run/systemd/system ] && common_teardown_file; return 0; }

setup() {
	[ -d /run/systemd/system ] || skip "needs systemd as PID 1 (/run/systemd/system is missing)"
	common_setup
	make_bundle
	UNIT=carrel-$ID.scope
}

teardown() {
	common_teardown
	local st=0
	# The scope must be gone (or never made); reset what a failed test left.
	systemctl is-active --quiet "$UNIT" 2>/dev/null && st=1
	systemctl stop "$UNIT" 2>/dev/null || true
	systemctl reset-failed "$UNIT" 2>/dev/null || true
	[ "$st" = 0 ] || { echo "TEARDOWN: $UNIT still active" >&2; return 1; }
}

sd_run_bg() { carrel_bg --systemd-cgroup run -d --bundle "$BUNDLE" "$ID"; }

@test "systemd: the container is in a transient scope of system.slice, seen from inside and by systemctl" {
	# No cgroup namespace, so the full path shows from inside too.
	cfg '.linux.cgroupsPath = "system.slice:carrel:" + $id | .process.args = ["sleep", "100"]
	     | del(.linux.namespaces[] | select(.type == "cgroup"))' --arg id "$ID"
	sd_run_bg
	[ "$status" -eq 0 ] || fail "$output"
	run -0 systemctl status --no-pager "$UNIT"
	[[ "$output" == *"carrel container"* ]] || fail "$output"
	run -0 systemctl show -p Delegate --value "$UNIT"
	[ "$output" = yes ] || fail "Delegate=$output"
	local pid
	pid=$(carrel state "$ID" | jq -r .pid)
	grep -q "^0::/system.slice/$UNIT\$" "/proc/$pid/cgroup" || fail "host view: $(cat "/proc/$pid/cgroup")"
	run -0 carrel exec "$ID" cat /proc/self/cgroup
	[[ "$output" == *"/system.slice/$UNIT"* ]] || fail "inside: $output"
}

@test "systemd: MemoryMax, TasksMax, CPUWeight and the CPU quota are applied to the scope; update changes them; pause and kill --all work" {
	cfg '.linux.cgroupsPath = "system.slice:carrel:" + $id | .process.args = ["sh", "-c", "sleep 100 & exec sleep 100"]
	     | .linux.resources = {memory: {limit: 67108864}, pids: {limit: 42}, cpu: {shares: 512, quota: 50000, period: 100000}}' --arg id "$ID"
	sd_run_bg
	[ "$status" -eq 0 ] || fail "$output"
	local cg=/sys/fs/cgroup/system.slice/$UNIT
	[ "$(systemctl show -p MemoryMax --value "$UNIT")" = 67108864 ] || fail "MemoryMax: $(systemctl show -p MemoryMax "$UNIT")"
	[ "$(systemctl show -p TasksMax --value "$UNIT")" = 42 ] || fail "TasksMax: $(systemctl show -p TasksMax "$UNIT")"
	# shares 512 -> weight 1 + (510 * 9999) / 262142 = 20, as runc maps them
	[ "$(systemctl show -p CPUWeight --value "$UNIT")" = 20 ] || fail "CPUWeight: $(systemctl show -p CPUWeight "$UNIT")"
	[ "$(systemctl show -p CPUQuotaPerSecUSec --value "$UNIT")" = 500ms ] || fail "$(systemctl show -p CPUQuotaPerSecUSec "$UNIT")"
	[ "$(cat "$cg/memory.max")" = 67108864 ] || fail "memory.max: $(cat "$cg/memory.max")"
	[ "$(cat "$cg/cpu.weight")" = 20 ] || fail "cpu.weight: $(cat "$cg/cpu.weight")"
	[ "$(cat "$cg/cpu.max")" = "50000 100000" ] || fail "cpu.max: $(cat "$cg/cpu.max")"
	run -0 carrel --systemd-cgroup update --memory 134217728 --pids-limit 50 "$ID"
	[ "$(systemctl show -p MemoryMax --value "$UNIT")" = 134217728 ] || fail "after update: $(systemctl show -p MemoryMax "$UNIT")"
	[ "$(systemctl show -p TasksMax --value "$UNIT")" = 50 ] || fail "after update: $(systemctl show -p TasksMax "$UNIT")"
	[ "$(cat "$cg/pids.max")" = 50 ]
	# systemd re-applies its unit's properties on a reload: the update must be in them
	systemctl daemon-reload
	[ "$(cat "$cg/memory.max")" = 134217728 ] || fail "after daemon-reload: memory.max $(cat "$cg/memory.max")"
	[ "$(cat "$cg/pids.max")" = 50 ] || fail "after daemon-reload: pids.max $(cat "$cg/pids.max")"
	run -0 carrel --systemd-cgroup pause "$ID"
	[ "$(cat "$cg/cgroup.freeze")" = 1 ]
	[ "$(carrel state "$ID" | jq -r .status)" = paused ]
	run -0 carrel --systemd-cgroup resume "$ID"
	[ "$(cat "$cg/cgroup.freeze")" = 0 ]
	[ "$(carrel state "$ID" | jq -r .status)" = running ]
	[ "$(wc -l <"$cg/cgroup.procs")" -eq 2 ] || fail "procs: $(cat "$cg/cgroup.procs")"
	run -0 carrel --systemd-cgroup kill --all "$ID" KILL
	for _ in $(seq 50); do [ "$(carrel state "$ID" | jq -r .status)" = stopped ] && break; sleep 0.1; done
	[ "$(carrel state "$ID" | jq -r .status)" = stopped ] || fail "still $(carrel state "$ID")"
	[ ! -s "$cg/cgroup.procs" ] || fail "left in the scope: $(cat "$cg/cgroup.procs")"
	run -0 carrel --systemd-cgroup delete "$ID"
	[ ! -d "$cg" ] || fail "the scope's cgroup is left after delete"
}

@test "systemd: delete stops the scope; a nested slice is expanded" {
	systemctl start carrel-test.slice 2>/dev/null || true
	cfg '.linux.cgroupsPath = "carrel-test.slice:carrel:" + $id | .process.args = ["sleep", "100"]' --arg id "$ID"
	sd_run_bg
	[ "$status" -eq 0 ] || fail "$output"
	[ -d "/sys/fs/cgroup/carrel.slice/carrel-test.slice/$UNIT" ] || fail "not under carrel.slice/carrel-test.slice"
	run -0 carrel --systemd-cgroup delete --force "$ID"
	run systemctl is-active "$UNIT"
	[ "$output" != active ] || fail "the scope is still active after delete"
	[ ! -d "/sys/fs/cgroup/carrel.slice/carrel-test.slice/$UNIT" ] || fail "the scope's cgroup is left"
	systemctl stop carrel-test.slice carrel.slice 2>/dev/null || true
}

@test "systemd: a container that exits leaves no scope behind after delete" {
	cfg '.linux.cgroupsPath = "system.slice:carrel:" + $id | .process.args = ["true"]'  --arg id "$ID"
	run -0 carrel --systemd-cgroup run --keep --bundle "$BUNDLE" "$ID"
	run -0 carrel --systemd-cgroup delete "$ID"
	run systemctl is-active "$UNIT"
	[ "$output" != active ] && [ "$output" != failed ] || fail "$UNIT is $output after delete"
}

# as_sd_user USER CMD...: CMD as USER, talking to its systemd instance.
as_sd_user() {
	local u=$1 uid
	uid=$(id -u "$u")
	shift
	timeout -k 5 60 setpriv --reuid="$uid" --regid="$(id -g "$u")" --init-groups \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/nonexistent USER="$u" XDG_RUNTIME_DIR="/run/user/$uid" \
		DBUS_SESSION_BUS_ADDRESS="unix:path=/run/user/$uid/bus" "$@" </dev/null
}

@test "systemd: rootless, the scope comes from the user's own systemd instance" {
	command -v loginctl >/dev/null || skip "needs loginctl"
	local u=crsd$$ uid b=$BATS_TEST_TMPDIR/ub
	useradd -M -d /nonexistent -s /bin/sh "$u"
	uid=$(id -u "$u")
	defer "as_sd_user $u $CARREL delete --force $ID; loginctl disable-linger $u; loginctl terminate-user $u; userdel $u"
	loginctl enable-linger "$u"
	for _ in $(seq 100); do [ -S "/run/user/$uid/bus" ] && break; sleep 0.1; done
	[ -S "/run/user/$uid/bus" ] || skip "the user's systemd instance did not come up (no /run/user/$uid/bus)"
	mkdir -p "$b"
	chown "$u" "$b"
	as_sd_user "$u" "$CARREL" spec --rootless --bundle "$b"
	CFG_FILE=$b/config.json cfg '.root.path = $r | .process.terminal = false | .process.args = ["sleep", "100"]
	     | .linux.cgroupsPath = ":carrel:" + $id | .linux.resources = {memory: {limit: 67108864}}
	     | .process.env += ["CARREL_TEST_ID=" + $id]' --arg r "$ROOTFS" --arg id "$ID"
	chmod a+r "$b/config.json"
	as_sd_user "$u" "$CARREL" --systemd-cgroup run -d --bundle "$b" "$ID" >"$CTR_OUT" 2>&1 || fail "$(cat "$CTR_OUT")"
	run -0 as_sd_user "$u" systemctl --user show -p MemoryMax --value "$UNIT"
	[ "$output" = 67108864 ] || fail "MemoryMax: $output"
	local pid
	pid=$(as_sd_user "$u" "$CARREL" state "$ID" | jq -r .pid)
	grep -q "^0::/user.slice/user-$uid.slice/user@$uid.service/user.slice/$UNIT\$" "/proc/$pid/cgroup" ||
		fail "$(cat "/proc/$pid/cgroup")"
	local cg=/sys/fs/cgroup/user.slice/user-$uid.slice/user@$uid.service/user.slice/$UNIT
	[ "$(cat "$cg/memory.max")" = 67108864 ] || fail "memory.max: $(cat "$cg/memory.max")"
	run -0 as_sd_user "$u" "$CARREL" delete --force "$ID"
	run as_sd_user "$u" systemctl --user is-active "$UNIT"
	[ "$output" != active ] || fail "the user's scope is still active"
}
