#!/usr/bin/env bats
# The container process: args, env, cwd, user, umask, rlimits, oom score,
# no_new_privs, stdio and file descriptors.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() {
	common_setup
	make_bundle
}
teardown() { common_teardown; }

@test "process: is pid 1 of its pid namespace" {
	ctr_sh 'echo $$; cut -d" " -f1 /proc/self/stat'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	# /proc/self of `cut` is a child of pid 1: a small pid in the new namespace
	[ "${lines[1]}" -lt 10 ]
}

@test "process.args: every argument is passed verbatim" {
	set_args printf '%s|' 'a b' '' 'c"d' '$HOME' "it's" '*'
	run_ctr
	[ "$status" -eq 0 ]
	[ "$output" = "a b||c\"d|\$HOME|it's|*|" ]
}

@test "process.args: absolute path and argv[0] as given" {
	set_args /bin/sh -c 'echo "$0"' my-argv0
	run_ctr
	[ "$status" -eq 0 ]
	[ "$output" = my-argv0 ]
	set_args /bin/echo absolute-ok
	carrel delete --force "$ID" >/dev/null 2>&1 || true
	run_ctr
	[ "$status" -eq 0 ]
	[ "$output" = absolute-ok ]
}

@test "process.args: args[0] is looked up in the container's PATH from process.env" {
	mkdir -p "$BATS_TEST_TMPDIR/tools"
	cat >"$BATS_TEST_TMPDIR/tools/only-in-tools" <<-'EOF'
		#!/bin/sh
		echo found-through-path
	EOF
	chmod +x "$BATS_TEST_TMPDIR/tools/only-in-tools"
	add_mount /mnt bind "$BATS_TEST_TMPDIR/tools" bind ro
	cfg '.process.env |= map(select(startswith("PATH=") | not)) + ["PATH=/nonexistent:/mnt:/bin"]'
	set_args only-in-tools
	run_ctr
	[ "$status" -eq 0 ]
	[ "$output" = found-through-path ]
}

@test "process.env: exactly the spec environment, nothing from the host" {
	cfg '.process.env = ["PATH=/bin", "A=1", "B=two words", "EMPTY=", "CARREL_TEST_ID=" + $id]' --arg id "$ID"
	set_args env
	export HOST_ONLY_LEAK_CHECK=leaked
	run_ctr
	unset HOST_ONLY_LEAK_CHECK
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | grep -qx 'A=1'
	printf '%s\n' "$output" | grep -qx 'B=two words'
	printf '%s\n' "$output" | grep -qx 'EMPTY='
	printf '%s\n' "$output" | grep -qx 'PATH=/bin'
	! printf '%s\n' "$output" | grep -q HOST_ONLY_LEAK_CHECK
	! printf '%s\n' "$output" | grep -q "^BATS_"
}

@test "process.env: default spec has PATH and TERM" {
	set_args env
	run_ctr
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | grep -qx 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
	printf '%s\n' "$output" | grep -qx 'TERM=xterm'
}

@test "process.cwd: the process starts in cwd" {
	cfg '.process.cwd = "/etc"'
	ctr_sh 'pwd; ls passwd'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /etc ]
	[ "${lines[1]}" = passwd ]
}

@test "process.cwd: default is /" {
	ctr_sh 'pwd'
	[ "$status" -eq 0 ]
	[ "$output" = / ]
}

@test "process.user: uid and gid (real, effective, saved, fs)" {
	cfg '.process.user = {uid: 1000, gid: 1000}'
	ctr_sh 'id -u; id -g; grep -E "^(Uid|Gid):" /proc/self/status'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 1000 ]
	[[ "${lines[2]}" =~ ^Uid:[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000$ ]]
	[[ "${lines[3]}" =~ ^Gid:[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000$ ]]
}

@test "process.user: uid without a passwd entry works" {
	cfg '.process.user = {uid: 4242, gid: 4343}'
	ctr_sh 'echo $(id -u):$(id -g)'
	[ "$status" -eq 0 ]
	[ "$output" = 4242:4343 ]
}

@test "process.user.additionalGids: supplementary groups are set" {
	cfg '.process.user = {uid: 1000, gid: 1000, additionalGids: [5, 65534]}'
	ctr_sh 'grep "^Groups:" /proc/self/status; id -G'
	[ "$status" -eq 0 ]
	local groups
	groups=$(printf '%s\n' "${lines[0]}" | sed 's/^Groups:[[:space:]]*//' | tr ' ' '\n' | grep . | sort -n | tr '\n' ' ')
	[ "$groups" = "5 65534 " ]
	[[ " ${lines[1]} " == *" 5 "* ]]
	[[ " ${lines[1]} " == *" 65534 "* ]]
}

@test "process.user: no additionalGids -> no supplementary groups" {
	cfg '.process.user = {uid: 1000, gid: 1000}'
	ctr_sh 'grep "^Groups:" /proc/self/status'
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^Groups:[[:space:]]*$ ]]
}

@test "process.user.umask: umask is applied" {
	cfg '.process.user.umask = 23' # 0027
	add_tmp
	ctr_sh 'umask; touch /tmp/f; stat -c %a /tmp/f'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0027 ]
	[ "${lines[1]}" = 640 ]
}

@test "process.user.umask: 0 is honoured (not treated as unset)" {
	cfg '.process.user.umask = 0'
	ctr_sh 'umask'
	[ "$status" -eq 0 ]
	[ "$output" = 0000 ]
}

@test "process.rlimits: default spec RLIMIT_NOFILE 1024/1024" {
	ctr_sh 'ulimit -Sn; ulimit -Hn'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1024 ]
	[ "${lines[1]}" = 1024 ]
}

@test "process.rlimits: custom soft/hard values for several limits" {
	cfg '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 1000, hard: 2000},
	                         {type: "RLIMIT_CORE", soft: 4096, hard: 8192},
	                         {type: "RLIMIT_MSGQUEUE", soft: 12345, hard: 23456}]'
	ctr_sh 'cat /proc/self/limits'
	[ "$status" -eq 0 ]
	[[ "$(grep '^Max open files' <<<"$output")" =~ [[:space:]]1000[[:space:]]+2000[[:space:]] ]]
	[[ "$(grep '^Max core file size' <<<"$output")" =~ [[:space:]]4096[[:space:]]+8192[[:space:]] ]]
	[[ "$(grep '^Max msgqueue size' <<<"$output")" =~ [[:space:]]12345[[:space:]]+23456[[:space:]] ]]
}

@test "process.rlimits: soft > hard is an error" {
	cfg '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 2000, hard: 1000}]'
	set_args true
	run_ctr
	[ "$status" -ne 0 ]
	assert_no_leftovers
}

@test "process.oomScoreAdj: is applied" {
	cfg '.process.oomScoreAdj = 123'
	ctr_sh 'cat /proc/self/oom_score_adj'
	[ "$status" -eq 0 ]
	[ "$output" = 123 ]
}

@test "process.noNewPrivileges: true -> NoNewPrivs 1" {
	[ "$(jq .process.noNewPrivileges "$BUNDLE/config.json")" = true ]
	ctr_sh 'grep ^NoNewPrivs: /proc/self/status'
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^NoNewPrivs:[[:space:]]+1$ ]]
}

@test "process.noNewPrivileges: false -> NoNewPrivs 0" {
	grep -q '^NoNewPrivs:[[:space:]]*0' /proc/self/status || skip "the test runner itself has no_new_privs"
	cfg '.process.noNewPrivileges = false'
	ctr_sh 'grep ^NoNewPrivs: /proc/self/status'
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^NoNewPrivs:[[:space:]]+0$ ]]
}

@test "stdio: stdin is passed to the container" {
	set_args cat
	run bash -c 'printf "line1\nline2\n" | timeout 20 "$1" --root "$2" run --bundle "$3" "$4" 3>&-' \
		_ "$CARREL" "$STATE" "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = $'line1\nline2' ]
}

@test "stdio: stdout and stderr stay separate" {
	set_sh 'echo to-stdout; echo to-stderr >&2'
	run_ctr_sep
	[ "$status" -eq 0 ]
	[ "$output" = to-stdout ]
	[ "$stderr" = to-stderr ]
}

@test "stdio: 1 MiB of output arrives complete" {
	set_sh 'dd if=/dev/zero bs=1024 count=1024 2>/dev/null'
	run bash -c 'timeout 20 "$1" --root "$2" run --bundle "$3" "$4" </dev/null 3>&- | wc -c' \
		_ "$CARREL" "$STATE" "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" -eq 1048576 ]
}

@test "fds: only 0, 1, 2 are open inside, even with extra fds open in carrel's caller" {
	exec 5</dev/null 7>/dev/null
	# `ls` must not be the last command: sh would exec it in place of pid 1
	# and we would see ls's own directory fd.
	ctr_sh 'ls /proc/$$/fd; exit 0'
	exec 5<&- 7>&-
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | sort -n | tr '\n' ' ')" = "0 1 2 " ] ||
		fail "open fds inside: $(tr '\n' ' ' <<<"$output")"
}

@test "fds: --preserve-fds 1 passes fd 3 (and only fd 3)" {
	echo preserved-content >"$BATS_TEST_TMPDIR/fd3"
	echo not-preserved >"$BATS_TEST_TMPDIR/fd4"
	set_sh 'ls /proc/$$/fd; cat <&3'
	local out rc=0
	out=$(timeout 20 "$CARREL" --root "$STATE" run --preserve-fds 1 --bundle "$BUNDLE" "$ID" \
		</dev/null 3<"$BATS_TEST_TMPDIR/fd3" 4<"$BATS_TEST_TMPDIR/fd4" 2>&1) || rc=$?
	[ "$rc" -eq 0 ] || fail "rc=$rc: $out"
	[ "$(printf '%s\n' "$out" | grep -x '[0-9]*' | sort -n | tr '\n' ' ')" = "0 1 2 3 " ] ||
		fail "fds inside: $out"
	[ "$(printf '%s\n' "$out" | tail -n1)" = preserved-content ]
}

@test "fds: --preserve-fds 2 passes fds 3 and 4 to a created+started container" {
	echo three >"$BATS_TEST_TMPDIR/fd3"
	echo four >"$BATS_TEST_TMPDIR/fd4"
	set_sh 'cat <&3; cat <&4; ls /proc/$$/fd; exit 0'
	local rc=0
	timeout 20 "$CARREL" --root "$STATE" create --preserve-fds 2 --bundle "$BUNDLE" "$ID" \
		</dev/null >"$CTR_OUT" 2>"$BATS_TEST_TMPDIR/err" 3<"$BATS_TEST_TMPDIR/fd3" 4<"$BATS_TEST_TMPDIR/fd4" 5</dev/null || rc=$?
	[ "$rc" -eq 0 ] || fail "create: $(cat "$BATS_TEST_TMPDIR/err")"
	run -0 carrel start "$ID"
	wait_status "$ID" stopped
	run cat "$CTR_OUT"
	[ "${lines[0]}" = three ]
	[ "${lines[1]}" = four ]
	[ "$(printf '%s\n' "${lines[@]:2}" | sort -n | tr '\n' ' ')" = "0 1 2 3 4 " ]
}

@test "process.env: HOME comes from the rootfs's /etc/passwd when unset, / without an entry, kept when set" {
	cfg '.process.user = {uid: 1000, gid: 1000}'
	ctr_sh 'echo "home=$HOME"'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = home=/home/app ] || fail "$output"
	carrel delete --force "$ID" >/dev/null 2>&1 || true
	cfg '.process.user = {uid: 4242, gid: 4242}'
	ctr_sh 'echo "home=$HOME"'
	[ "$output" = home=/ ] || fail "$output"
	carrel delete --force "$ID" >/dev/null 2>&1 || true
	cfg '.process.user = {uid: 0, gid: 0} | .process.env += ["HOME=/given"]'
	ctr_sh 'echo "home=$HOME"'
	[ "$output" = home=/given ] || fail "$output"
}

@test "process.cwd: a missing cwd is created (0755), as runc does" {
	add_tmp
	cfg '.process.cwd = "/tmp/made/by/carrel"'
	ctr_sh 'pwd; stat -c %a .'
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = /tmp/made/by/carrel ] || fail "$output"
	[ "${lines[1]}" = 755 ] || fail "$output"
}
