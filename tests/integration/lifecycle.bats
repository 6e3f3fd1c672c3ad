#!/usr/bin/env bats
# Container lifecycle: create / start / state / kill / delete / run / list.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() {
	common_setup
	make_bundle
}
teardown() { common_teardown; }

@test "create: state is 'created' with a live init pid and full OCI state" {
	set_args sleep 1000
	create_ctr
	run -0 carrel state "$ID"
	local st=$output
	[ "$(jq -r .id <<<"$st")" = "$ID" ]
	[ "$(jq -r .status <<<"$st")" = created ]
	[ -n "$(jq -r .ociVersion <<<"$st")" ]
	[ "$(jq -r .bundle <<<"$st")" = "$BUNDLE" ]
	[ "$(jq -r .rootfs <<<"$st")" = "$ROOTFS" ]
	# RFC 3339 timestamp
	[[ "$(jq -r .created <<<"$st")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2} ]]
	local pid
	pid=$(jq -r .pid <<<"$st")
	[ "$pid" -gt 0 ]
	[ -d "/proc/$pid" ]
	# the init lives in the container's namespaces, not ours
	[ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ] ||
		[ "$(readlink "/proc/$pid/ns/pid_for_children")" != "$(readlink /proc/self/ns/pid)" ]
	[ "$(readlink "/proc/$pid/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]
}

@test "create: the user process does not run before start" {
	set_sh 'echo started-now'
	create_ctr
	sleep 0.5
	[ ! -s "$CTR_OUT" ] || fail "process ran before start: $(cat "$CTR_OUT")"
	[ "$(state_of "$ID" status)" = created ]
	run -0 carrel start "$ID"
	wait_ctr_output started-now
}

@test "create --pid-file writes the init pid (same as state.pid)" {
	set_args sleep 1000
	create_ctr "$ID" --pid-file "$BATS_TEST_TMPDIR/ctr.pid"
	[ -s "$BATS_TEST_TMPDIR/ctr.pid" ]
	local pid
	pid=$(cat "$BATS_TEST_TMPDIR/ctr.pid")
	[[ "$pid" =~ ^[0-9]+$ ]]
	[ "$pid" = "$(state_of "$ID" pid)" ]
	[ -d "/proc/$pid" ]
}

@test "create --pid-file with a relative path is relative to the cwd" {
	set_args sleep 1000
	cd "$BATS_TEST_TMPDIR"
	create_ctr "$ID" --pid-file rel.pid
	[ -s "$BATS_TEST_TMPDIR/rel.pid" ]
	[ "$(cat "$BATS_TEST_TMPDIR/rel.pid")" = "$(state_of "$ID" pid)" ]
}

@test "create: bundle defaults to the current directory" {
	set_args sleep 1000
	cd "$BUNDLE"
	carrel_bg create "$ID"
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(state_of "$ID" bundle)" = "$BUNDLE" ]
}

@test "create -b with a relative bundle path records an absolute bundle" {
	set_args sleep 1000
	cd "$BATS_TEST_TMPDIR"
	carrel_bg create -b bundle "$ID"
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(state_of "$ID" bundle)" = "$BUNDLE" ]
}

@test "state: annotations from config.json are reported" {
	set_args sleep 1000
	cfg '.annotations = {"org.example.key": "value-1", "other": "x"}'
	create_ctr
	run -0 carrel state "$ID"
	[ "$(jq -r '.annotations["org.example.key"]' <<<"$output")" = value-1 ]
	[ "$(jq -r '.annotations.other' <<<"$output")" = x ]
}

@test "start: created -> running, same pid as at create" {
	set_args sleep 1000
	create_ctr
	local pid
	pid=$(state_of "$ID" pid)
	run -0 carrel start "$ID"
	[ "$(state_of "$ID" status)" = running ]
	[ "$(state_of "$ID" pid)" = "$pid" ]
	# the init has exec'd the user process
	wait_for_comm "$pid" sleep
}

wait_for_comm() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.05
	done
	fail "pid $1 never became '$2' (comm: $(cat "/proc/$1/comm" 2>/dev/null))"
}

@test "state: a process that exits makes the container 'stopped'" {
	set_sh 'exit 0'
	start_ctr
	wait_status "$ID" stopped
}

@test "start: fails on a running container" {
	set_args sleep 1000
	start_ctr
	run carrel start "$ID"
	[ "$status" -ne 0 ]
	[ -n "$output" ]
	[ "$(state_of "$ID" status)" = running ]
}

@test "start: fails on a stopped container" {
	set_sh 'exit 0'
	start_ctr
	wait_status "$ID" stopped
	run carrel start "$ID"
	[ "$status" -ne 0 ]
}

@test "delete: refuses a running container without --force, which keeps running" {
	set_args sleep 1000
	start_ctr
	local pid
	pid=$(state_of "$ID" pid)
	run carrel delete "$ID"
	[ "$status" -ne 0 ]
	[ -n "$output" ]
	[ -d "/proc/$pid" ]
	[ "$(state_of "$ID" status)" = running ]
}

@test "delete --force: kills a running container and removes it" {
	set_args sleep 1000
	start_ctr
	local pid
	pid=$(state_of "$ID" pid)
	run -0 carrel delete --force "$ID"
	run carrel state "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
	[ ! -e "$STATE/$ID" ]
	local i
	for ((i = 0; i < 40; i++)); do [ -d "/proc/$pid" ] || break; sleep 0.05; done
	[ ! -d "/proc/$pid" ] || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ]
}

@test "delete -f: short flag works" {
	set_args sleep 1000
	start_ctr
	run -0 carrel delete -f "$ID"
	[ ! -e "$STATE/$ID" ]
}

@test "delete: a created (never started) container is deleted and its init killed" {
	set_args sleep 1000
	create_ctr
	local pid
	pid=$(state_of "$ID" pid)
	run -0 carrel delete "$ID"
	[ ! -e "$STATE/$ID" ]
	local i
	for ((i = 0; i < 40; i++)); do [ -d "/proc/$pid" ] || break; sleep 0.05; done
	[ ! -d "/proc/$pid" ] || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ]
}

@test "delete: a stopped container is removed; state then says 'does not exist'" {
	set_sh 'exit 0'
	start_ctr
	wait_status "$ID" stopped
	run -0 carrel delete "$ID"
	[ ! -e "$STATE/$ID" ]
	run carrel state "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not exist"* ]]
	run -0 carrel list -q
	[ -z "$output" ]
}

@test "kill: by name KILL, SIGKILL and number 9" {
	set_args sleep 1000
	local sig n=0
	for sig in KILL SIGKILL 9; do
		n=$((n + 1))
		start_ctr "$ID-$n"
		run -0 carrel kill "$ID-$n" "$sig"
		wait_status "$ID-$n" stopped
		run -0 carrel delete "$ID-$n"
	done
}

@test "kill: default signal is TERM (handled by the container's pid 1)" {
	set_sh 'trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.05; done'
	start_ctr
	wait_ctr_output ready
	run -0 carrel kill "$ID"
	wait_status "$ID" stopped
	grep -qx got-term "$CTR_OUT"
}

@test "kill: signal names TERM/SIGUSR1 and numbers are delivered as that signal" {
	set_sh 'trap "echo got-usr1" USR1; trap "echo got-hup" HUP; echo ready; while :; do sleep 0.05; done'
	start_ctr
	wait_ctr_output ready
	run -0 carrel kill "$ID" SIGUSR1
	wait_ctr_output got-usr1
	run -0 carrel kill "$ID" 1
	wait_ctr_output got-hup
	[ "$(state_of "$ID" status)" = running ]
}

@test "kill: TERM to a pid 1 without a handler is ignored (pid namespace), KILL works" {
	set_args sleep 1000
	start_ctr
	run -0 carrel kill "$ID" TERM
	sleep 0.3
	[ "$(state_of "$ID" status)" = running ]
	run -0 carrel kill "$ID" KILL
	wait_status "$ID" stopped
}

@test "kill: an unknown signal is an error" {
	set_args sleep 1000
	start_ctr
	run carrel kill "$ID" SIGNOTASIGNAL
	[ "$status" -ne 0 ]
	run carrel kill "$ID" 99999
	[ "$status" -ne 0 ]
	[ "$(state_of "$ID" status)" = running ]
}

@test "kill: a stopped container -> 'container not running'" {
	set_sh 'exit 0'
	start_ctr
	wait_status "$ID" stopped
	run carrel kill "$ID" KILL
	[ "$status" -eq 1 ]
	[[ "$output" == *"container not running"* ]]
}

# containerd's shim runs `kill --all ID KILL` after every init exit; runc
# signals what is left in the cgroup and succeeds.
@test "kill --all: a stopped container -> 0, and what is left in its cgroup is killed" {
	cg_root >/dev/null || skip "no cgroup2 hierarchy"
	drop_ns pid # without a pid namespace, the init's child outlives it
	set_sh 'sleep 1000 & echo ready'
	start_ctr
	wait_ctr_output ready
	wait_status "$ID" stopped
	[ "$(leftover_procs | wc -w)" -ge 1 ] || fail "the background sleep is gone already"
	run carrel kill --all "$ID" KILL
	[ "$status" -eq 0 ] || fail "kill --all of a stopped container: $output"
	local i
	for ((i = 0; i < 40; i++)); do [ -z "$(leftover_procs)" ] && break; sleep 0.05; done
	[ -z "$(leftover_procs)" ] || fail "kill --all left: $(leftover_procs)"
	run carrel kill --all "$ID" TERM
	[ "$status" -eq 0 ] || fail "kill --all of an empty stopped container: $output"
}

@test "kill --all: every process of the container gets the signal" {
	set_sh 'sleep 1000 & sleep 1000 & echo ready; wait'
	start_ctr
	wait_ctr_output ready
	local pid
	pid=$(state_of "$ID" pid)
	# three processes marked with our id are alive
	[ "$(leftover_procs | wc -w)" -ge 3 ]
	run -0 carrel kill --all "$ID" KILL
	wait_status "$ID" stopped
	local i
	for ((i = 0; i < 40; i++)); do [ -z "$(leftover_procs)" ] && break; sleep 0.05; done
	[ -z "$(leftover_procs)" ] || fail "processes survived kill --all: $(leftover_procs)"
}

@test "kill -a: short flag works" {
	set_args sleep 1000
	start_ctr
	run -0 carrel kill -a "$ID" 9
	wait_status "$ID" stopped
}

@test "a dead init is detected: kill -9 of the init pid -> stopped, then delete works" {
	set_args sleep 1000
	start_ctr
	local pid
	pid=$(state_of "$ID" pid)
	kill -9 "$pid"
	wait_status "$ID" stopped
	run -0 carrel delete "$ID"
	[ ! -e "$STATE/$ID" ]
}

@test "a recycled pid is not taken for the init: pid plus start time" {
	set_args sleep 1000
	start_ctr
	kill -9 "$(state_of "$ID" pid)"
	wait_status "$ID" stopped
	# Another process now has "the" pid: point the saved state at one of ours.
	bg sleep 100
	local other=$BG_PID
	jq --argjson p "$other" '.pid = $p' "$STATE/$ID/state.json" >"$STATE/$ID/s.tmp"
	mv "$STATE/$ID/s.tmp" "$STATE/$ID/state.json"
	[ "$(state_of "$ID" status)" = stopped ] || fail "a live pid with another start time counts as running"
	run carrel kill "$ID" KILL
	[ "$status" -eq 1 ] && [[ "$output" == *"container not running"* ]] || fail "$output"
	run -0 carrel delete --force "$ID"
	kill -0 "$other" || fail "carrel signalled the process that took the pid"
}

@test "a dead init is detected even before start" {
	set_args sleep 1000
	create_ctr
	local pid
	pid=$(state_of "$ID" pid)
	kill -9 "$pid"
	wait_status "$ID" stopped
	run carrel start "$ID"
	[ "$status" -ne 0 ]
}

@test "run: exit status of the container is carrel's exit status" {
	ctr_sh 'exit 3'
	[ "$status" -eq 3 ]
	carrel delete --force "$ID" >/dev/null 2>&1 || true # in case run keeps it
	ctr_sh 'exit 0'
	[ "$status" -eq 0 ]
}

@test "run: killed by a signal -> 128+N (no pid namespace: kill -9 \$\$)" {
	drop_ns pid
	ctr_sh 'kill -9 $$'
	[ "$status" -eq 137 ]
	carrel delete --force "$ID" >/dev/null 2>&1 || true
	ctr_sh 'kill -TERM $$'
	[ "$status" -eq 143 ]
}

@test "run: container pid 1 killed from the host -> 137" {
	set_sh 'echo ready; exec sleep 1000'
	timeout -k 5 20 "$CARREL" --root "$STATE" run --bundle "$BUNDLE" "$ID" \
		</dev/null >"$CTR_OUT" 2>&1 3>&- &
	local runpid=$!
	wait_ctr_output ready
	local pid
	pid=$(state_of "$ID" pid)
	kill -9 "$pid"
	local rc=0
	wait "$runpid" || rc=$?
	[ "$rc" -eq 137 ]
}

@test "run: the output of the container is passed through" {
	ctr_sh 'echo hello-out; echo hello-err >&2'
	[ "$status" -eq 0 ]
	[[ "$output" == *hello-out* ]]
	[[ "$output" == *hello-err* ]]
}

@test "run: a foreground container is removed after it exits" {
	ctr_sh 'exit 0'
	[ "$status" -eq 0 ]
	run carrel state "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
	[ ! -e "$STATE/$ID" ]
}

@test "run --detach: returns at once, container keeps running" {
	set_sh 'echo detached-ok; exec sleep 1000'
	SECONDS=0
	carrel_bg run --detach --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ] || fail "$output"
	[ "$SECONDS" -lt 5 ]
	[ "$(state_of "$ID" status)" = running ]
	wait_ctr_output detached-ok
}

@test "run -d --pid-file: short detach flag and pid file" {
	set_args sleep 1000
	carrel_bg run -d --pid-file "$BATS_TEST_TMPDIR/p" --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(cat "$BATS_TEST_TMPDIR/p")" = "$(state_of "$ID" pid)" ]
	[ "$(state_of "$ID" status)" = running ]
}

@test "list: table, json and -q" {
	set_args sleep 1000
	start_ctr "$ID-a"
	create_ctr "$ID-b"

	run -0 carrel list
	[[ "${lines[0]}" == ID* ]]
	[ "${#lines[@]}" -eq 3 ]
	local l
	l=$(printf '%s\n' "$output" | grep "^$ID-a ")
	[[ "$l" == *running* ]]
	l=$(printf '%s\n' "$output" | grep "^$ID-b ")
	[[ "$l" == *created* ]]

	run -0 carrel list --format json
	[ "$(jq 'length' <<<"$output")" -eq 2 ]
	[ "$(jq -r --arg i "$ID-a" '.[] | select(.id == $i) | .status' <<<"$output")" = running ]
	[ "$(jq -r --arg i "$ID-b" '.[] | select(.id == $i) | .status' <<<"$output")" = created ]
	[ "$(jq -r --arg i "$ID-a" '.[] | select(.id == $i) | .bundle' <<<"$output")" = "$BUNDLE" ]
	[ "$(jq -r --arg i "$ID-a" '.[] | select(.id == $i) | .pid' <<<"$output")" -gt 0 ]
	# as runc prints it: one line, its key order, the owner by name
	[ "${#lines[@]}" -eq 1 ] || fail "$output"
	[ "$(jq -r '.[0] | keys_unsorted | join(",")' <<<"$output")" = ociVersion,id,pid,status,bundle,rootfs,created,owner ] ||
		fail "$output"
	[ "$(jq -r '.[0].owner' <<<"$output")" = "$(id -un)" ]

	run -0 carrel list -f json
	[ "$(jq 'length' <<<"$output")" -eq 2 ]

	run -0 carrel list -q
	[ "$(printf '%s\n' "$output" | sort | tr '\n' ' ')" = "$ID-a $ID-b " ]
	run -0 carrel list --quiet
	[ "${#lines[@]}" -eq 2 ]
}

@test "list: empty state root -> header only / [] / nothing" {
	mkdir -p "$STATE"
	run -0 carrel list
	[[ "${lines[0]}" == ID* ]]
	[ "${#lines[@]}" -eq 1 ]
	run -0 carrel list --format json
	[ "$(jq -c . <<<"$output")" = "[]" ]
	run -0 carrel list -q
	[ -z "$output" ]
}

@test "list: a state root that does not exist yet is an empty list" {
	run -0 "$CARREL" --root "$BATS_TEST_TMPDIR/never-created" list --format json
	[ "$(jq -c . <<<"$output")" = "[]" ]
}

@test "list: a stopped container is listed as stopped" {
	set_sh 'exit 0'
	start_ctr
	wait_status "$ID" stopped
	run -0 carrel list --format json
	[ "$(jq -r '.[0].status' <<<"$output")" = stopped ]
}

@test "state: unknown id -> 'does not exist', exit 1" {
	run carrel state "$ID-nope"
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not exist"* ]]
	[ "${#lines[@]}" -eq 1 ]
}

@test "start/kill/delete: unknown id -> 'does not exist'" {
	local cmd
	for cmd in start kill delete; do
		run carrel "$cmd" "$ID-nope"
		[ "$status" -eq 1 ] || fail "$cmd: status $status"
		[[ "$output" == *"does not exist"* ]] || fail "$cmd: $output"
	done
}

@test "delete --force: an unknown id succeeds, as runc (podman calls it after a failed create)" {
	run carrel delete --force "$ID-nope"
	[ "$status" -eq 0 ] || fail "status $status: $output"
	[ -z "$output" ] || fail "$output"
	# a state directory that a crashed create left without state.json goes too
	mkdir -p "$STATE/$ID-half"
	run carrel delete --force "$ID-half"
	[ "$status" -eq 0 ] || fail "status $status: $output"
	[ ! -e "$STATE/$ID-half" ]
}

@test "create: a --root that does not exist yet is made with its parents" {
	set_args true
	local root=$BATS_TEST_TMPDIR/a/b/state
	timeout 20 "$CARREL" --root "$root" create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$CTR_OUT" 3>&- ||
		fail "create: $(cat "$CTR_OUT")"
	[ "$(stat -c %a "$root")" = 700 ]
	run -0 timeout 20 "$CARREL" --root "$root" delete --force "$ID"
}

@test "start: a workload that exits at once is still a successful start" {
	# start watches exec.fifo and the init's pidfd together: both are ready
	# when `true` exits right after the exec.
	set_args true
	local i
	for i in $(seq 30); do
		create_ctr "$ID-$i"
		run carrel start "$ID-$i"
		[ "$status" -eq 0 ] || fail "start $i: $output"
		run -0 carrel delete --force "$ID-$i"
	done
}

@test "create: a duplicate id -> 'already exists', original untouched" {
	set_args sleep 1000
	create_ctr
	local pid
	pid=$(state_of "$ID" pid)
	carrel_bg create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"already exists"* ]]
	[ "$(state_of "$ID" pid)" = "$pid" ]
	[ "$(state_of "$ID" status)" = created ]
	[ -d "/proc/$pid" ]
}

@test "create: concurrent creates of the same id -> exactly one wins" {
	set_args sleep 1000
	local round
	for round in 1 2 3; do
		local id=$ID-r$round i
		for i in 1 2 3; do
			(
				rc=0
				"$CARREL" --root "$STATE" create --bundle "$BUNDLE" "$id" \
					</dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err.$round.$i" 3>&- || rc=$?
				echo "$rc" >"$BATS_TEST_TMPDIR/rc.$round.$i"
			) 3>&- &
		done
		wait
		local ok=0
		for i in 1 2 3; do
			[ "$(cat "$BATS_TEST_TMPDIR/rc.$round.$i")" = 0 ] && ok=$((ok + 1))
		done
		[ "$ok" -eq 1 ] || fail "round $round: $ok creates succeeded: $(cat "$BATS_TEST_TMPDIR"/err.$round.*)"
		[ "$(state_of "$id" status)" = created ]
		run -0 carrel list -q
		[ "$(printf '%s\n' "$output" | grep -cx "$id")" -eq 1 ]
		run -0 carrel delete --force "$id"
		# the losers must not have left an init behind
		local j
		for ((j = 0; j < 40; j++)); do [ -z "$(leftover_procs)" ] && break; sleep 0.05; done
		[ -z "$(leftover_procs)" ] || fail "round $round: processes left: $(leftover_procs)"
	done
}

@test "create then delete many times leaves nothing behind" {
	set_args sleep 1000
	local i
	for i in 1 2 3 4 5; do
		create_ctr "$ID-$i"
	done
	run -0 carrel list -q
	[ "${#lines[@]}" -eq 5 ]
	for i in 1 2 3 4 5; do
		run -0 carrel delete "$ID-$i"
	done
	run -0 carrel list -q
	[ -z "$output" ]
	[ -z "$(ls -A "$STATE" | grep "^$ID")" ]
}

@test "kill ID 0: succeeds while the container is alive (created or running), fails once it stopped, as kill(2)" {
	set_args sleep 1000
	create_ctr
	run carrel kill "$ID" 0
	[ "$status" -eq 0 ] || fail "created: $status: $output"
	run carrel start "$ID"
	run carrel kill "$ID" 0
	[ "$status" -eq 0 ] || fail "running: $status: $output"
	[ "$(state_of "$ID" status)" = running ]
	run carrel kill "$ID" KILL
	wait_status "$ID" stopped
	run carrel kill "$ID" 0
	[ "$status" -eq 1 ] || fail "stopped: $status: $output"
	[[ "$output" == *"container not running"* ]] || fail "$output"
}

@test "list: sorted by id, whatever order they were created in" {
	set_args sleep 1000
	local id
	# six: a directory's own order matching by chance is unlikely
	for id in "$ID-c" "$ID-a" "$ID-f" "$ID-d" "$ID-b" "$ID-e"; do
		create_ctr "$id"
	done
	run -0 carrel list -q
	[ "$output" = "$(printf '%s\n' "$ID"-{a..f})" ] || fail "$output"
	run -0 carrel list --format json
	[ "$(jq -r '.[].id' <<<"$output" | tr '\n' ' ')" = "$(printf '%s ' "$ID"-{a..f})" ] || fail "$output"
}
