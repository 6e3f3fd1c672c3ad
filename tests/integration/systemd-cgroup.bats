#!/usr/bin/env bats
# The systemd cgroup driver's D-Bus side, on a host without systemd: a
# private bus with fake-systemd (tests/lib/fake-systemd.c) in systemd's
# place, which logs each call with its properties and makes the scope's
# cgroup as systemd would. The live test against a real systemd is
# tests/vm-systemd/systemd-driver.bats.

load helpers

FAKE_SD=$(dirname "$CARREL")/tests/unit/fake-systemd

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }

setup() {
	common_setup
	[ -x "$FAKE_SD" ] || skip "fake-systemd not built ($FAKE_SD)"
	command -v dbus-daemon >/dev/null || skip "needs dbus-daemon (package dbus)"
	[ -d /run/systemd/system ] && skip "systemd runs here: tests/vm-systemd covers the real one"
	cg_root >/dev/null || skip "no cgroup2 hierarchy for the fake scope"
	make_bundle
	SLICE=crtest$$n${BATS_TEST_NUMBER}.slice
	UNIT=carrel-$ID.scope
	SD_LOG=$BATS_TEST_TMPDIR/sd.log
	local bus=$BATS_TEST_TMPDIR/bus
	bg dbus-daemon --session --nofork --address="unix:path=$bus"
	for _ in $(seq 50); do [ -S "$bus" ] && break; sleep 0.1; done
	FAKE_SD_LOG=$SD_LOG FAKE_SD_BUS=unix:path=$bus FAKE_SD_ROOT=$(cg_root) bg "$FAKE_SD"
	export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$bus
	for _ in $(seq 50); do
		busctl --address="unix:path=$bus" status org.freedesktop.systemd1 >/dev/null 2>&1 && break
		sleep 0.1
	done
	# The scope's directories, in every hierarchy, deepest first.
	defer 'for d in /sys/fs/cgroup/*/"$SLICE"/* /sys/fs/cgroup/*/"$SLICE"; do [ -d "$d" ] && rmdir "$d"; done'
}

teardown() {
	common_teardown
	local left
	left=$(ls -d /sys/fs/cgroup/*/"$SLICE" 2>/dev/null || true)
	[ -z "$left" ] || { echo "TEARDOWN: cgroups left: $left" >&2; return 1; }
}

sd_cfg() {
	cfg '.linux.cgroupsPath = $s + ":carrel:" + $id | .process.args = ["sleep", "100"]' --arg s "$SLICE" --arg id "$ID"
}

@test "systemd driver: a slice:prefix:name path starts a transient scope with Delegate, the init's PID and the limits" {
	sd_cfg
	cfg '.linux.resources = {memory: {limit: 67108864}, pids: {limit: 42}, cpu: {shares: 1024, cpus: "0"}}'
	carrel_bg run -d --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ] || fail "$output"
	local pid line
	pid=$(carrel state "$ID" | jq -r .pid)
	line=$(grep "^start $UNIT " "$SD_LOG") || fail "no StartTransientUnit: $(cat "$SD_LOG")"
	for want in "Slice=$SLICE" Delegate=1 "PIDs=$pid" MemoryMax=67108864 TasksMax=42 CPUWeight=39 AllowedCPUs=0x01; do
		[[ " $line " == *" $want "* ]] || fail "$want not in: $line"
	done
	# The init is in the scope, in every hierarchy, and the limit is in the cgroup too.
	local n
	n=$(grep -vc ":/$SLICE/$UNIT\$" "/proc/$pid/cgroup" || true)
	[ "$n" = 0 ] || fail "not in the scope everywhere: $(cat "/proc/$pid/cgroup")"
	if mem=$(v1_hierarchy memory); then
		[ "$(cat "$mem/$SLICE/$UNIT/memory.limit_in_bytes")" = 67108864 ]
	else
		[ "$(cat "$(cg_root)/$SLICE/$UNIT/memory.max")" = 67108864 ]
	fi
}

@test "systemd driver: update sets the unit's properties; pause, kill --all and delete work through it" {
	sd_cfg
	cfg '.linux.resources = {pids: {limit: 42}}'
	carrel_bg --systemd-cgroup run -d --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ] || fail "$output"
	run -0 carrel --systemd-cgroup update --pids-limit 50 "$ID"
	grep -q "^set $UNIT runtime=1 TasksMax=50\$" "$SD_LOG" || fail "no SetUnitProperties: $(cat "$SD_LOG")"
	local pids
	if pids=$(v1_hierarchy pids); then pids=$pids/$SLICE/$UNIT; else pids=$(cg_root)/$SLICE/$UNIT; fi
	[ "$(cat "$pids/pids.max")" = 50 ] || fail "pids.max: $(cat "$pids/pids.max")"
	run -0 carrel pause "$ID"
	[ "$(carrel state "$ID" | jq -r .status)" = paused ]
	run -0 carrel resume "$ID"
	run -0 carrel kill --all "$ID" KILL
	for _ in $(seq 50); do [ "$(carrel state "$ID" | jq -r .status)" = stopped ] && break; sleep 0.1; done
	[ "$(carrel state "$ID" | jq -r .status)" = stopped ] || fail "kill --all did not stop it"
	run -0 carrel delete "$ID"
	grep -q "^stop $UNIT mode=replace\$" "$SD_LOG" || fail "no StopUnit: $(cat "$SD_LOG")"
	grep -q "^reset-failed $UNIT\$" "$SD_LOG" || fail "no ResetFailedUnit: $(cat "$SD_LOG")"
	[ ! -d "$(cg_root)/$SLICE/$UNIT" ] || fail "the scope's cgroup is left"
	[ -z "$(ls -d /sys/fs/cgroup/*/"$SLICE/$UNIT" 2>/dev/null)" ] || fail "v1 cgroups left"
}

@test "systemd driver: a nested slice lives under its parents" {
	SLICE=crtest$$n${BATS_TEST_NUMBER}-sub.slice
	local top=crtest$$n${BATS_TEST_NUMBER}.slice
	defer "for d in /sys/fs/cgroup/*/$top/$SLICE/* /sys/fs/cgroup/*/$top/$SLICE; do [ -d \"\$d\" ] && rmdir \"\$d\"; done"
	sd_cfg
	carrel_bg run -d --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ] || fail "$output"
	local pid
	pid=$(carrel state "$ID" | jq -r .pid)
	grep -q "^0::/$top/$SLICE/$UNIT\$" "/proc/$pid/cgroup" || fail "$(cat "/proc/$pid/cgroup")"
	run -0 carrel delete --force "$ID"
	SLICE=$top
}

@test "systemd driver: without systemd on the bus, the error says so and names the cgroupfs fallback" {
	sd_cfg
	DBUS_SYSTEM_BUS_ADDRESS=unix:path=$BATS_TEST_TMPDIR/nobus run carrel run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ] || fail "ran without systemd"
	[[ "$output" == *"found no systemd"*"run without --systemd-cgroup"*"cgroupfs"* ]] || fail "$output"
	assert_no_leftovers
	cfg '.linux.cgroupsPath = "/plain/path"'
	run carrel --systemd-cgroup run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ] && [[ "$output" == *"expects slice:prefix:name"* ]] || fail "$output"
	assert_no_leftovers
}
