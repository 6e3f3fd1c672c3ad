#!/usr/bin/env bats
# Command line: version, help, spec, features, global flags, logging.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() { common_setup; }
teardown() { common_teardown; }

COMMANDS="create start run state kill delete list spec features"

@test "--version and -v: version, commit and spec version" {
	local flag
	for flag in --version -v; do
		run -0 "$CARREL" "$flag"
		printf '%s\n' "$output" | grep -q "^$(basename "$CARREL") version "
		printf '%s\n' "$output" | grep -q 'commit:'
		printf '%s\n' "$output" | grep -q 'spec: 1\.2\.0'
	done
}

@test "--help and -h: exit 0 and list the commands, in runc's layout under the name carrel was called by" {
	local flag c me
	me=$(basename "$CARREL")
	for flag in --help -h; do
		run -0 "$CARREL" "$flag"
		[ "${lines[0]}" = NAME: ] && [[ "${lines[1]}" == "   $me - Open Container Initiative runtime" ]] || fail "$output"
		for c in $COMMANDS; do
			[[ "$output" == *"$c"* ]] || fail "$flag does not mention $c"
		done
	done
}

@test "COMMAND --help: usage for every command, exit 0" {
	local c
	for c in $COMMANDS; do
		run "$CARREL" "$c" --help
		[ "$status" -eq 0 ] || fail "$c --help: status $status"
		[[ "${lines[1]}" == "   $(basename "$CARREL") $c - "* ]] || fail "$c --help: $output"
		[[ "$output" == *"$c"* ]] || fail "$c --help does not mention $c: $output"
		[ "${#lines[@]}" -ge 1 ]
	done
}

@test "COMMAND --help: documents the command's flags" {
	run -0 "$CARREL" create --help
	local f
	for f in --bundle --pid-file --console-socket --preserve-fds --no-pivot --no-new-keyring; do
		[[ "$output" == *"$f"* ]] || fail "create --help misses $f"
	done
	run -0 "$CARREL" run --help
	[[ "$output" == *--detach* ]]
	run -0 "$CARREL" kill --help
	[[ "$output" == *--all* ]]
	run -0 "$CARREL" delete --help
	[[ "$output" == *--force* ]]
	run -0 "$CARREL" list --help
	[[ "$output" == *--format* && "$output" == *--quiet* ]]
}

@test "unknown command with -h: runc's 'No help topic' line" {
	run "$CARREL" foo -h
	[ "$status" -ne 0 ] && [[ "$output" == *"No help topic for 'foo'"* ]] || fail "$status $output"
}

@test "unknown command: exit 1 with one error line naming it" {
	run "$CARREL" --root "$STATE" frobnicate
	[ "$status" -eq 1 ]
	[[ "$output" == *frobnicate* ]]
	[ "${#lines[@]}" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
}

@test "unknown flags are errors" {
	run "$CARREL" --no-such-global-flag list
	[ "$status" -ne 0 ]
	run "$CARREL" --root "$STATE" list --no-such-flag
	[ "$status" -ne 0 ]
	run "$CARREL" --root "$STATE" create --bogus-flag x
	[ "$status" -ne 0 ]
}

@test "global flags --debug --systemd-cgroup --rootless are accepted" {
	mkdir -p "$STATE"
	run -0 "$CARREL" --root "$STATE" --debug list -q
	run -0 "$CARREL" --root "$STATE" --systemd-cgroup list -q
	run -0 "$CARREL" --root "$STATE" --rootless list -q
}

# -- spec -------------------------------------------------------------------------

@test "spec: writes a valid default config.json" {
	mkdir "$BUNDLE"
	run -0 "$CARREL" spec --bundle "$BUNDLE"
	local c=$BUNDLE/config.json
	jq -e . "$c" >/dev/null
	[ "$(jq -r .ociVersion "$c")" = 1.2.0 ]
	[ "$(jq -c .process.args "$c")" = '["sh"]' ]
	# a terminal, as runc spec writes it
	[ "$(jq -r .process.terminal "$c")" = true ]
	[ "$(jq -r .process.cwd "$c")" = / ]
	jq -e '.process.env | any(startswith("PATH=")) and any(startswith("TERM="))' "$c" >/dev/null
	local caps='["CAP_AUDIT_WRITE","CAP_KILL","CAP_NET_BIND_SERVICE"]'
	[ "$(jq -c '.process.capabilities.bounding | sort' "$c")" = "$caps" ]
	[ "$(jq -c '.process.capabilities.effective | sort' "$c")" = "$caps" ]
	[ "$(jq -c '.process.capabilities.permitted | sort' "$c")" = "$caps" ]
	[ "$(jq -c '.process.capabilities.inheritable // [] ' "$c")" = '[]' ]
	[ "$(jq -c '.process.capabilities.ambient // [] ' "$c")" = '[]' ]
	[ "$(jq -c '.process.rlimits' "$c")" = '[{"type":"RLIMIT_NOFILE","hard":1024,"soft":1024}]' ]
	[ "$(jq -r .process.noNewPrivileges "$c")" = true ]
	[ "$(jq -c .root "$c")" = '{"path":"rootfs","readonly":true}' ]
	[ "$(jq -r .hostname "$c")" = carrel ]
	[ "$(jq -c '[.mounts[].destination]' "$c")" = '["/proc","/dev","/dev/pts","/dev/shm","/dev/mqueue","/sys","/sys/fs/cgroup"]' ]
	[ "$(jq -c '[.linux.namespaces[].type] | sort' "$c")" = '["cgroup","ipc","mount","network","pid","uts"]' ]
	jq -e '.linux.maskedPaths | index("/proc/kcore") and index("/proc/keys") and index("/proc/timer_list") and index("/sys/firmware")' "$c" >/dev/null
	jq -e '.linux.readonlyPaths | index("/proc/sys") and index("/proc/sysrq-trigger") and index("/proc/bus") and index("/proc/fs") and index("/proc/irq")' "$c" >/dev/null
	jq -e '[.mounts[] | select(.destination == "/sys")][0].options | index("ro")' "$c" >/dev/null
}

@test "spec: defaults to the current directory" {
	mkdir "$BUNDLE"
	cd "$BUNDLE"
	run -0 "$CARREL" spec
	jq -e .ociVersion "$BUNDLE/config.json" >/dev/null
}

@test "spec: refuses to overwrite an existing config.json" {
	mkdir "$BUNDLE"
	echo '{"mine": true}' >"$BUNDLE/config.json"
	run "$CARREL" spec --bundle "$BUNDLE"
	[ "$status" -eq 1 ]
	[[ "$output" == *config.json* ]]
	[ "$(cat "$BUNDLE/config.json")" = '{"mine": true}' ]
}

@test "spec --rootless: user namespace with uid/gid mappings for the caller" {
	mkdir "$BUNDLE"
	run -0 "$CARREL" spec --rootless --bundle "$BUNDLE"
	local c=$BUNDLE/config.json
	jq -e '.linux.namespaces | map(.type) | index("user")' "$c" >/dev/null
	[ "$(jq -c '.linux.uidMappings' "$c")" = "[{\"containerID\":0,\"hostID\":$(id -u),\"size\":1}]" ]
	[ "$(jq -c '.linux.gidMappings' "$c")" = "[{\"containerID\":0,\"hostID\":$(id -g),\"size\":1}]" ]
}

@test "spec --rootless: the generated config runs" {
	make_bundle
	rm "$BUNDLE/config.json"
	run -0 "$CARREL" spec --rootless --bundle "$BUNDLE"
	cfg '.root.path = $r | .process.terminal = false | .process.args = ["sh", "-c", "id -u; cat /proc/self/uid_map"] | .process.env += ["CARREL_TEST_ID=" + $id]' \
		--arg r "$ROOTFS" --arg id "$ID"
	run_ctr
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = 0 ]
	[ "$(echo ${lines[1]})" = "0 0 1" ]
}

@test "spec: the default config runs unchanged (apart from root.path)" {
	make_bundle
	set_sh 'echo default-ok'
	run_ctr
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = default-ok ]
}

# -- features ------------------------------------------------------------------

@test "features: OCI features JSON" {
	run -0 "$CARREL" features
	local f=$output
	jq -e . <<<"$f" >/dev/null
	[[ "$(jq -r .ociVersionMin <<<"$f")" == 1.* ]]
	[ "$(jq -r .ociVersionMax <<<"$f")" = 1.2.0 ]
	jq -e '.mountOptions | index("rbind") and index("ro") and index("nosuid") and index("rslave") and index("tmpcopyup")' <<<"$f" >/dev/null
	jq -e '.linux.namespaces | index("pid") and index("network") and index("mount") and index("user") and index("cgroup") and index("ipc") and index("uts") and index("time")' <<<"$f" >/dev/null
	jq -e '.linux.capabilities | index("CAP_SYS_ADMIN") and index("CAP_KILL") and index("CAP_CHOWN")' <<<"$f" >/dev/null
	jq -e '.linux.netDevices.enabled == true and .linux.mountExtensions.idmap.enabled == true' <<<"$f" >/dev/null
	# as runc: the support is built in (whether the host enables the LSM is another matter)
	jq -e '.linux.apparmor.enabled == true and .linux.selinux.enabled == true' <<<"$f" >/dev/null
}

@test "features: every mount option it lists is one the decoder knows" {
	# An option carrel did not know would go to tmpfs as data, which tmpfs refuses.
	make_bundle
	local opts
	opts=$("$CARREL" features | jq -c '[.mountOptions[] | select(. != "bind" and . != "rbind" and . != "tmpcopyup" and . != "idmap" and . != "ridmap")]')
	[ "$(jq length <<<"$opts")" -gt 40 ] || fail "$opts"
	cfg '.mounts += [{destination: "/mnt", type: "tmpfs", source: "tmpfs", options: $o}]' --argjson o "$opts"
	ctr_sh 'grep " /mnt " /proc/self/mounts'
	[ "$status" -eq 0 ] || fail "$output"
	[[ "$output" == *tmpfs* ]]
	# and one it does not list is data for the filesystem, which refuses it
	cfg '.mounts[-1].options = ["carrel-no-such-option"]'
	ctr_sh true
	[ "$status" -ne 0 ]
	[[ "$output" == *carrel-no-such-option* || "$output" == *"/mnt"* ]] || fail "$output"
}

@test "features: annotations name carrel and libseccomp, not runc" {
	run -0 "$CARREL" features
	jq -e '.annotations["io.github.carrel.version"] and .annotations["io.github.seccomp.libseccomp.version"]
	       and (.annotations | keys | map(select(startswith("org.opencontainers.runc"))) | length == 0)' <<<"$output" >/dev/null ||
		fail "$output"
}

# -- logging --------------------------------------------------------------------

@test "--log --log-format json: an error is one JSON object with level, msg, time" {
	local log=$BATS_TEST_TMPDIR/carrel.log
	run "$CARREL" --root "$STATE" --log "$log" --log-format json state "$ID-nope"
	[ "$status" -eq 1 ]
	[ -s "$log" ]
	[ "$(grep -c . "$log")" -eq 1 ]
	jq -e --arg id "$ID-nope" '
		.level == "error"
		and (.msg | type == "string" and contains("does not exist") and contains($id))
		and (.time | type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T"))' "$log" >/dev/null ||
		fail "bad log line: $(cat "$log")"
}

@test "--log --log-format json: errors are appended, one line each" {
	local log=$BATS_TEST_TMPDIR/carrel.log
	run "$CARREL" --root "$STATE" --log "$log" --log-format json state "$ID-a"
	run "$CARREL" --root "$STATE" --log "$log" --log-format json kill "$ID-b"
	[ "$(grep -c . "$log")" -eq 2 ]
	jq -se 'length == 2 and all(.level == "error")' "$log" >/dev/null
	jq -se --arg a "$ID-a" --arg b "$ID-b" '(.[0].msg | contains($a)) and (.[1].msg | contains($b))' "$log" >/dev/null
}

@test "--log --log-format json: a config error is logged with its JSON path" {
	make_bundle
	cfg '.linux.namespaces[2].type = "pidd"'
	local log=$BATS_TEST_TMPDIR/carrel.log
	carrel_bg --log "$log" --log-format json create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	jq -e '.level == "error" and (.msg | contains("linux.namespaces[2].type"))' "$log" >/dev/null ||
		fail "log: $(cat "$log")"
	assert_no_leftovers
}

@test "--log with text format: time=\"...\" level=error msg=\"...\" lines, as runc writes them; --debug without --log on stderr" {
	local log=$BATS_TEST_TMPDIR/carrel.log
	run "$CARREL" --root "$STATE" --log "$log" --log-format text state "$ID-nope"
	[ "$status" -eq 1 ]
	grep -qE '^time="[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z" level=error msg="container \\"'"$ID"'-nope\\" does not exist"$' "$log" ||
		fail "$(cat "$log")"
	! jq -e . "$log" >/dev/null 2>&1
	# debug lines go to stderr in the same format when there is no --log
	make_bundle
	set_args true
	run "$CARREL" --root "$STATE" --debug run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 0 ] || fail "$output"
	[[ "$output" == *'level=debug msg="nsexec container setup: init started: pid '* ]] || fail "$output"
	[[ "$output" == *"child process in init()"* && "$output" == *"closing the pipe to signal completion"* ]] || fail "$output"
}

@test "--log-format with an unknown value is an error" {
	run "$CARREL" --root "$STATE" --log-format yaml list
	[ "$status" -ne 0 ]
}

@test "--log / --debug do not disturb a working container" {
	make_bundle
	set_sh 'echo still-works'
	local log=$BATS_TEST_TMPDIR/carrel.log
	run timeout 20 "$CARREL" --root "$STATE" --log "$log" --log-format json --debug run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 0 ] || fail "$output"
	[[ "$output" == *still-works* ]]
	# anything logged must still be JSON lines
	if [ -s "$log" ]; then
		jq -e . "$log" >/dev/null
	fi
}

# complete WORD... — what contrib/completion/carrel.bash offers for the last WORD.
complete_words() {
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _carrel; printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$BATS_TEST_DIRNAME/../../contrib/completion/carrel.bash" "$@"
}

@test "bash completion: every command, every flag of every command, container ids, and meson install puts it in place" {
	local cmds c flag
	cmds=$("$CARREL" help | awk '/^COMMANDS:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }')
	[[ "$cmds" == *logs* && "$cmds" == *help* ]] || fail "$cmds"
	run -0 complete_words "$CARREL" ""
	for c in $cmds; do
		grep -qx "$c" <<<"$output" || fail "command $c not offered: $output"
	done
	for c in $cmds; do
		run -0 complete_words "$CARREL" "$c" --
		# every --flag in the command's help (its options lines) is offered
		for flag in $("$CARREL" "$c" --help | grep -E '^[[:space:]]+-' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
			grep -qx -- "$flag" <<<"$output" || fail "$c: $flag not offered: $output"
		done
	done
	run -0 complete_words "$CARREL" run --
	grep -qx -- --rootfs <<<"$output" && grep -qx -- --keep <<<"$output" || fail "$output"
	run -0 complete_words "$CARREL" --ro
	grep -qx -- --root <<<"$output" || fail "$output"
	run -0 complete_words "$CARREL" run --userns ""
	[ "$(echo $output)" = "host auto private" ] || fail "$output"
	# container ids under the --root given on the line
	make_bundle
	set_args sleep 100
	start_ctr
	run -0 complete_words "$CARREL" --root "$STATE" kill ""
	[ "$output" = "$ID" ] || fail "$output"
	run -0 complete_words "$CARREL" --root "$STATE" kill "$ID" KI
	[ "$output" = KILL ] || fail "$output"
	run -0 complete_words "$CARREL" --root "$STATE" console ""
	[ "$output" = "$ID" ] || fail "console: $output"
	run -0 carrel delete -f "$ID"
	# meson install
	local dest=$BATS_TEST_TMPDIR/dest
	run meson install -C "$(dirname "$CARREL")" --no-rebuild --destdir "$dest"
	[ "$status" -eq 0 ] || skip "meson install did not run here: ${output: -300}"
	[ -n "$(find "$dest" -path '*/share/bash-completion/completions/carrel')" ] || fail "not installed: $(find "$dest" | head -50)"
}
