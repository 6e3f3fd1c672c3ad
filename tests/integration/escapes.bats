#!/usr/bin/env bats
# Known container-runtime escapes, one test (or a few) per CVE, each checked
# from inside a real container.  Every test says what a vulnerable runtime
# would do, i.e. why the test fails without the defence.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() {
	common_setup
	make_bundle
	set_args sleep 1000
	T=$BATS_TEST_TMPDIR
}
teardown() { common_teardown; }

# Drop every mount at or below /dev from the spec (the rootfs's /dev is used).
drop_dev_mounts() {
	cfg '.mounts |= map(select(.destination != "/dev" and (.destination | startswith("/dev/") | not)))'
}

# ---------------------------------------------------------------------------
# CVE-2019-5736: while the init of a *created* container is still the runtime
# binary, a process in the container opened /proc/1/exe (the host binary) and
# rewrote it after the runtime exited.  A vulnerable runtime (dumpable init)
# lets `readlink /proc/1/exe` print the host path of carrel and `cat` read it;
# with carrel's non-dumpable init both are EACCES for root without
# CAP_SYS_PTRACE.
@test "CVE-2019-5736: /proc/1/exe of a created container's init is out of reach" {
	local sum
	sum=$(sha256sum "$CARREL" | cut -d' ' -f1)
	create_ctr
	[ "$(state_of "$ID" status)" = created ]
	# the init is still carrel
	[ "$(readlink "/proc/$(state_of "$ID" pid)/exe")" = "$CARREL" ]
	run carrel exec "$ID" sh -c '
		cat /proc/1/exe > /dev/null; echo "cat=$?"
		readlink /proc/1/exe; echo "readlink=$?"
		echo x >> /proc/1/exe; echo "write=$?"
		n=0 k=0; for f in /proc/1/fd/*; do n=$((n + 1)); readlink "$f" >/dev/null 2>&1 && k=$((k + 1)); done
		echo "fds=$n readable=$k"' </dev/null
	[ "$status" -eq 0 ] || fail "$output"
	grep -qx 'cat=1' <<<"$output" || fail "cat /proc/1/exe worked: $output"
	grep -qx 'readlink=1' <<<"$output" || fail "readlink /proc/1/exe worked: $output"
	grep -qx 'write=1' <<<"$output" || fail "write to /proc/1/exe worked: $output"
	# (listing the names is allowed; following them is not)
	grep -qE '^fds=[1-9][0-9]* readable=0$' <<<"$output" || fail "/proc/1/fd/* of the init are readable: $output"
	[[ "$output" == *"ermission denied"* ]] || fail "not EACCES: $output"
	[[ "$output" != *"$CARREL"* ]] || fail "the host path leaked: $output"
	[ "$(sha256sum "$CARREL" | cut -d' ' -f1)" = "$sum" ] || fail "the carrel binary changed"
}

# ---------------------------------------------------------------------------
# CVE-2024-21626: runc leaked an fd of a host directory into the container
# init and chdir'd to process.cwd = /proc/self/fd/N before closing it, so the
# workload started with a host cwd.  A vulnerable runtime accepts these cwds
# (with fd 7 = host /etc open in the caller the process lists the host's
# /etc); carrel must refuse every one of them at create.
@test "CVE-2024-21626: process.cwd /proc/self/fd/N (N = 3..7) is refused at create" {
	local n
	set_sh 'pwd; ls'
	exec 7</etc
	for n in 3 4 5 6 7; do
		cfg '.process.cwd = $c' --arg c "/proc/self/fd/$n"
		bad_create process.cwd "/proc/self/fd/$n" || { exec 7<&-; return 1; }
	done
	cfg '.process.cwd = "/proc/thread-self/fd/7"'
	bad_create process.cwd || { exec 7<&-; return 1; }
	exec 7<&-
}

@test "CVE-2024-21626: exec --cwd /proc/self/fd/N is refused" {
	start_ctr
	exec 7</etc
	run carrel exec --cwd /proc/self/fd/7 "$ID" sh -c 'pwd; ls' </dev/null
	exec 7<&-
	[ "$status" -ne 0 ] || fail "accepted: $output"
	[[ "$output" != *passwd* ]] || fail "reached the host /etc: $output"
}

# A leaked fd shows up as an extra entry (ls's own directory fd is 3).
@test "CVE-2024-21626: no host fd leaks into the container or an exec'd process" {
	set_args ls /proc/self/fd
	exec 7</etc 8>"$T/fd8" 9</
	run_ctr
	local ctr=$output ctr_status=$status
	set_args sleep 1000
	start_ctr "$ID-x"
	run carrel exec "$ID-x" ls /proc/self/fd </dev/null
	exec 7<&- 8>&- 9<&-
	[ "$ctr_status" -eq 0 ] || fail "$ctr"
	[ "$(echo $ctr)" = "0 1 2 3" ] || fail "fds in the container: $ctr"
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(echo $output)" = "0 1 2 3" ] || fail "fds in the exec'd process: $output"
	# and the init itself (sleep), seen from the host
	[ "$(ls "/proc/$(state_of "$ID-x" pid)/fd" | sort -n | xargs)" = "0 1 2" ]
}

# ---------------------------------------------------------------------------
# CVE-2019-16884 / CVE-2019-19921 / CVE-2023-27561 / CVE-2023-28642: /proc (or
# /sys) in the rootfs is a symlink, so the procfs lands elsewhere (inside:
# AppArmor/LSM bypass; absolute host path: a vulnerable runtime that resolves
# in the host context mounts over the host path).  A vulnerable runtime
# follows the link and creates the container; carrel must refuse, naming it.
@test "CVE-2019-19921/CVE-2023-27561: /proc as a symlink in the rootfs is refused" {
	copy_rootfs
	mkdir -p "$T/hostproc"
	rm -rf "$PRIV_ROOTFS/proc"
	ln -s /tmp/x "$PRIV_ROOTFS/proc"
	mkdir -p "$PRIV_ROOTFS/tmp/x"
	bad_create /proc "must be mounted on ordinary directory"
	rm "$PRIV_ROOTFS/proc"
	ln -s "$T/hostproc" "$PRIV_ROOTFS/proc"
	bad_create /proc
	[ -z "$(ls -A "$T/hostproc")" ] && [ -z "$(ls -A "$PRIV_ROOTFS/tmp/x")" ]
	! mountpoint -q "$T/hostproc"
}

@test "CVE-2023-28642: /sys as a symlink in the rootfs is refused" {
	copy_rootfs
	mkdir -p "$T/hostsys"
	rm -rf "$PRIV_ROOTFS/sys"
	ln -s "$T/hostsys" "$PRIV_ROOTFS/sys"
	bad_create /sys
	rm "$PRIV_ROOTFS/sys"
	ln -s ../../../../../../../../../.."$T/hostsys" "$PRIV_ROOTFS/sys"
	bad_create /sys
	[ -z "$(ls -A "$T/hostsys")" ]
	! mountpoint -q "$T/hostsys"
}

# A masked path that is a symlink: a vulnerable runtime follows it (masking
# the target, or with an absolute link a host path in the runtime's
# context).  carrel refuses a symlink at a masked path.
@test "CVE-2023-27561: a masked path that is a symlink in the rootfs is refused" {
	copy_rootfs
	echo host-secret >"$T/hostfile"
	ln -s /etc/passwd "$PRIV_ROOTFS/etc/evil"
	cfg '.linux.maskedPaths += ["/etc/evil"]'
	bad_create /etc/evil
	rm "$PRIV_ROOTFS/etc/evil"
	ln -s "$T/hostfile" "$PRIV_ROOTFS/etc/evil"
	bad_create /etc/evil
	[ "$(cat "$T/hostfile")" = host-secret ]
	! mountpoint -q "$T/hostfile"
}

# ---------------------------------------------------------------------------
# CVE-2021-30465 / CVE-2024-45310: mount destinations that go through symlinks
# pointing outside the rootfs.  A vulnerable runtime resolves them in the
# host context: it creates the missing directories (and mounts) under the
# host's $T/host*, which must stay empty.  Inside, the link resolves within
# the rootfs.
@test "CVE-2021-30465: mount destinations through absolute and ../.. symlinks stay inside the rootfs" {
	copy_rootfs
	mkdir -p "$T/hostabs" "$T/hostrel" "$T/src"
	echo bind-src >"$T/src/file"
	ln -s "$T/hostabs" "$PRIV_ROOTFS/mnt/abs"
	ln -s "../../../../../../../../../..$T/hostrel" "$PRIV_ROOTFS/mnt/rel"
	add_mount /mnt/abs/sub/deeper tmpfs tmpfs size=1m
	add_mount /mnt/rel/sub tmpfs tmpfs size=1m
	add_mount /mnt/abs/bind bind "$T/src" bind ro
	set_sh 'echo inside > /mnt/abs/sub/deeper/f && echo inside > /mnt/rel/sub/f && cat /mnt/abs/bind/file && echo done'
	run_ctr
	[ -z "$(ls -A "$T/hostabs")" ] || fail "created on the host: $(ls -AR "$T/hostabs")"
	[ -z "$(ls -A "$T/hostrel")" ] || fail "created on the host: $(ls -AR "$T/hostrel")"
	! mountpoint -q "$T/hostabs" && ! mountpoint -q "$T/hostrel"
	# either refused, or mounted at the in-rootfs resolution of the links
	if [ "$status" -eq 0 ]; then
		[ "${lines[-1]}" = done ] || fail "$output"
		grep -qx bind-src <<<"$output"
		[ -d "$PRIV_ROOTFS$T/hostabs/sub/deeper" ] || fail "not created inside the rootfs"
	else
		assert_no_leftovers
	fi
}

# The same with a destination component swapped between a real directory and
# a symlink to a host directory while containers are being created (the race
# of CVE-2021-30465).  A runtime that checks a path and then mounts by path
# string eventually creates/mounts under $T/hostrace.
@test "CVE-2021-30465/CVE-2024-45310: racing symlink swaps never reach the host directory" {
	copy_rootfs
	mkdir -p "$T/hostrace" "$PRIV_ROOTFS/mnt/real"
	local r=$PRIV_ROOTFS/mnt
	add_mount /mnt/race/sub tmpfs tmpfs size=1m
	add_mount /mnt/race/sub2/file bind /etc/hostname bind ro
	set_args true
	# shellcheck disable=SC2016
	bg bash -c 'r=$1 h=$2; end=$((SECONDS + 15))
		while [ $SECONDS -lt $end ]; do
			mv -T "$r/real" "$r/race" 2>/dev/null; mv -T "$r/race" "$r/real" 2>/dev/null
			ln -sfn "$h" "$r/race.l"; mv -T "$r/race.l" "$r/race" 2>/dev/null; rm -f "$r/race"
			rm -rf "$r/race" 2>/dev/null; mkdir -p "$r/real"
		done' swapper "$r" "$T/hostrace"
	local i ok=0 t0=$SECONDS
	for ((i = 0; i < 20 && SECONDS - t0 < 8; i++)); do
		run carrel run --bundle "$BUNDLE" "$ID-$i" </dev/null
		[ "$status" -eq 0 ] && ok=$((ok + 1))
		carrel delete --force "$ID-$i" >/dev/null 2>&1 || true
		[ -z "$(ls -A "$T/hostrace")" ] || fail "run $i created on the host: $(ls -AR "$T/hostrace")"
		! mountpoint -q "$T/hostrace" || fail "run $i: a mount on the host dir"
	done
	{ kill -9 "$BG_PID" && wait "$BG_PID"; } 2>/dev/null || true
	echo "# $i runs, $ok succeeded" >&3
	[ "$i" -ge 5 ] || fail "only $i runs in the time budget"
	[ -z "$(leftover_mounts)" ] || fail "host mounts: $(leftover_mounts)"
}

# ---------------------------------------------------------------------------
# CVE-2025-31133: runc masked paths with the container's own /dev/null, which
# the container could replace with a symlink (to a host/procfs file): the
# "mask" then exposes or makes writable the target.  carrel masks with the
# host's /dev/null (verified char 1:3).
@test "CVE-2025-31133: a masked file reads empty and is the char device 1:3" {
	cfg '.linux.maskedPaths += ["/etc/hostname"]'
	ctr_sh 'stat -c "%t:%T:%F" /etc/hostname; wc -c < /etc/hostname'
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = "1:3:character special file" ] || fail "$output"
	[ "${lines[1]}" = 0 ] || fail "$output"
}

# With no /dev tmpfs the rootfs's /dev is used; its `null` is a symlink to a
# host file.  A vulnerable runtime masks with (and leaves) that symlink: the
# masked path shows the host file, writes to /dev/null land in it.
@test "CVE-2025-31133: a rootfs /dev/null symlink is neither used for masking nor kept" {
	copy_rootfs
	drop_dev_mounts
	echo host-secret >"$T/hostsecret"
	mkdir -p "$PRIV_ROOTFS/dev"
	rm -f "$PRIV_ROOTFS/dev/null"
	ln -s "$T/hostsecret" "$PRIV_ROOTFS/dev/null"
	cfg '.linux.maskedPaths += ["/etc/hostname"] | .root.readonly = false'
	ctr_sh 'stat -c "%t:%T:%F" /dev/null; stat -c "%t:%T:%F" /etc/hostname; cat /etc/hostname; echo overwritten > /dev/null; echo end'
	[ "$(cat "$T/hostsecret")" = host-secret ] || fail "the host file changed: $(cat "$T/hostsecret")"
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = "1:3:character special file" ] || fail "/dev/null: $output"
	[ "${lines[1]}" = "1:3:character special file" ] || fail "masked file: $output"
	[[ "$output" != *host-secret* ]] || fail "$output"
	[ "${lines[-1]}" = end ]
}

# ---------------------------------------------------------------------------
# CVE-2025-52565: /dev/console in the rootfs is a symlink; a vulnerable
# runtime bind-mounts the pty over the link's target (a host file in the
# runtime's context, or some sensitive in-rootfs file).
@test "CVE-2025-52565: a rootfs /dev/console symlink does not redirect the console mount" {
	copy_rootfs
	drop_dev_mounts
	add_mount /dev/pts devpts devpts nosuid noexec newinstance ptmxmode=0666 mode=0620
	echo host-console-target >"$T/hosttarget"
	mkdir -p "$PRIV_ROOTFS/dev/pts"
	ln -s /etc/hostname "$PRIV_ROOTFS/dev/console"
	local before
	before=$(cat "$PRIV_ROOTFS/etc/hostname")
	cfg '.process.terminal = true'
	set_sh 't=$(tty); echo "tty=$t"; echo "console=$(stat -c "%t:%T:%F" /dev/console)"; echo "hostname=$(stat -c "%F" /etc/hostname)"; echo end'
	start_console
	create_ctr "$ID" --console-socket "$CONSOLE_SOCK"
	run -0 carrel start "$ID"
	wait_console
	local n
	[[ "$CONSOLE_TEXT" =~ tty=/dev/pts/([0-9]+) ]] || fail "$CONSOLE_TEXT"
	n=${BASH_REMATCH[1]}
	grep -qx "console=$(printf '88:%x' "$n"):character special file" <<<"$CONSOLE_TEXT" || fail "$CONSOLE_TEXT"
	grep -qx "hostname=regular file" <<<"$CONSOLE_TEXT" || fail "/etc/hostname was covered: $CONSOLE_TEXT"
	[ "$(cat "$PRIV_ROOTFS/etc/hostname")" = "$before" ]
	[ "$(cat "$T/hosttarget")" = host-console-target ]
	! mountpoint -q /etc/hostname || fail "a mount on the host's /etc/hostname"
}

@test "CVE-2025-52565: a /dev/console symlink to an absolute host path leaves the host file alone" {
	copy_rootfs
	drop_dev_mounts
	add_mount /dev/pts devpts devpts nosuid noexec newinstance ptmxmode=0666 mode=0620
	echo host-console-target >"$T/hosttarget"
	mkdir -p "$PRIV_ROOTFS/dev/pts"
	ln -s "$T/hosttarget" "$PRIV_ROOTFS/dev/console"
	cfg '.process.terminal = true'
	set_sh 'echo "console=$(stat -c "%t:%F" /dev/console)"; echo end'
	start_console
	create_ctr "$ID" --console-socket "$CONSOLE_SOCK"
	run -0 carrel start "$ID"
	wait_console
	grep -qx "console=88:character special file" <<<"$CONSOLE_TEXT" || fail "$CONSOLE_TEXT"
	[ "$(cat "$T/hosttarget")" = host-console-target ]
	! mountpoint -q "$T/hosttarget"
}

# ---------------------------------------------------------------------------
# CVE-2025-52881: runc's writes to /proc/sys (sysctl, and others) could be
# redirected by mounts the container controls.  carrel writes sysctls through
# a private procfs.  A vulnerable runtime writing through the container's
# /proc/sys either fails (ENOENT on the tmpfs) or writes into the bind-mounted
# host file below.
@test "CVE-2025-52881: linux.sysctl reaches the kernel despite a tmpfs over /proc/sys" {
	add_mount /proc/sys tmpfs tmpfs size=1m
	cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	local host
	host=$(cat /proc/sys/net/ipv4/ip_forward)
	create_ctr
	local pid
	pid=$(state_of "$ID" pid)
	run -0 nsenter --net="/proc/$pid/ns/net" cat /proc/sys/net/ipv4/ip_forward
	[ "$output" = 1 ] || fail "ip_forward in the container's netns: $output"
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host" ]
	run -0 carrel exec "$ID" sh -c 'ls -A /proc/sys | wc -l' </dev/null
	[ "$(echo $output)" = 0 ] || fail "something was written into the tmpfs: $output"
}

@test "CVE-2025-52881: a host file bind-mounted over a sysctl file is not written" {
	echo untouched >"$T/fake-ip-forward"
	add_mount /proc/sys/net/ipv4/ip_forward bind "$T/fake-ip-forward" bind
	cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	create_ctr
	[ "$(cat "$T/fake-ip-forward")" = untouched ] || fail "the sysctl went to the bind-mounted host file"
	local pid
	pid=$(state_of "$ID" pid)
	run -0 nsenter --net="/proc/$pid/ns/net" cat /proc/sys/net/ipv4/ip_forward
	[ "$output" = 1 ] || fail "ip_forward in the container's netns: $output"
}

# ---------------------------------------------------------------------------
# CVE-2022-29162 (runc exec --cap) / CVE-2022-27650 (crun): processes started
# with a non-empty inheritable set; file caps then grant more on exec.  A
# vulnerable runtime shows the bounding/effective caps in CapInh.
@test "CVE-2022-29162/CVE-2022-27650: CapInh is 0 (default spec, custom caps, exec --cap)" {
	add_tmp
	cfg '.process.capabilities = {bounding: ["CAP_CHOWN", "CAP_SETUID", "CAP_NET_RAW"],
	                              effective: ["CAP_CHOWN", "CAP_SETUID", "CAP_NET_RAW"],
	                              permitted: ["CAP_CHOWN", "CAP_SETUID", "CAP_NET_RAW"]}'
	ctr_sh 'grep -E "^Cap(Inh|Amb|Eff)" /proc/self/status'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(status_field CapInh)" = 0000000000000000 ] || fail "$output"
	[ "$(status_field CapAmb)" = 0000000000000000 ] || fail "$output"
	[ "$(status_field CapEff)" = 0000000000002081 ] || fail "$output"
	# default spec
	rm "$BUNDLE/config.json"
	make_bundle
	set_args sleep 1000
	start_ctr "$ID-d"
	run -0 carrel exec "$ID-d" grep -E '^Cap(Inh|Amb)' /proc/self/status </dev/null
	[ "$(status_field CapInh)" = 0000000000000000 ] || fail "$output"
	grep -q '^CapInh:[[:space:]]*0000000000000000$' "/proc/$(state_of "$ID-d" pid)/status"
	run -0 carrel exec --cap CAP_SYS_ADMIN --cap CAP_SYS_PTRACE "$ID-d" grep -E '^Cap(Inh|Amb|Bnd)' /proc/self/status </dev/null
	[ "$(status_field CapInh)" = 0000000000000000 ] || fail "$output"
	[ "$(status_field CapAmb)" = 0000000000000000 ] || fail "$output"
	[ "$(status_field CapBnd)" = 0000000020280420 ] || fail "$output"
}

# ---------------------------------------------------------------------------
# The /dev symlink class: the rootfs's /dev is a symlink to a host directory
# and the spec mounts nothing on /dev.  A vulnerable runtime creates the
# default device nodes, symlinks (fd, stdin, ptmx...) and mount points
# through the link, i.e. on the host.
@test "/dev as a symlink to a host dir: nothing is created outside the rootfs" {
	copy_rootfs
	drop_dev_mounts
	mkdir -p "$T/hostdev" "$T/hostdev2"
	rm -rf "$PRIV_ROOTFS/dev"
	ln -s "$T/hostdev" "$PRIV_ROOTFS/dev"
	set_args true
	run_ctr
	local st1=$status out1=$output
	carrel delete --force "$ID" >/dev/null 2>&1 || true
	[ -z "$(ls -A "$T/hostdev")" ] || fail "created on the host: $(ls -Al "$T/hostdev") ($out1)"
	rm "$PRIV_ROOTFS/dev"
	ln -s "../../../../../../../../..$T/hostdev2" "$PRIV_ROOTFS/dev"
	create_ctr "$ID-2" || true
	[ -z "$(ls -A "$T/hostdev2")" ] || fail "created on the host: $(ls -Al "$T/hostdev2")"
	! mountpoint -q "$T/hostdev" && ! mountpoint -q "$T/hostdev2"
	echo "# run: $st1 $out1" >&3
}

# ---------------------------------------------------------------------------
# CVE-2022-0811 (cr8escape): CRI-O passed sysctl values through to a helper
# that split on '+' and '=', so "1+kernel.core_pattern=|/payload" set the
# host's core_pattern.  A vulnerable runtime accepts these keys/values.
@test "CVE-2022-0811: sysctl keys and values that smuggle other sysctls are refused" {
	local cp
	cp=$(cat /proc/sys/kernel/core_pattern)
	local kv
	for kv in 'kernel.shm_rmid_forced=1+kernel.core_pattern=|/tmp/pwn' \
		'kernel.shm_rmid_forced=1
kernel.core_pattern=|/tmp/pwn' \
		'kernel.shm_rmid_forced=1=2' \
		'kernel.core_pattern=|/tmp/pwn' \
		'kernel/core_pattern=|/tmp/pwn' \
		'net.ipv4/../../kernel/core_pattern=x' \
		'net.ipv4..ip_forward=1' \
		'net/ipv4/ip_forward=1'; do
		cfg '.linux.sysctl = {($k): $v}' --arg k "${kv%%=*}" --arg v "${kv#*=}"
		carrel_bg create --bundle "$BUNDLE" "$ID"
		[ "$status" -ne 0 ] || fail "accepted: $kv"
		[[ "$output" == *sysctl* ]] || fail "error does not name linux.sysctl: $output"
		# refused by the check, before anything is written
		[[ "$output" != *"cannot write"* ]] || fail "$kv reached the kernel: $output"
		assert_no_leftovers
	done
	[ "$(cat /proc/sys/kernel/core_pattern)" = "$cp" ]
}

@test "CVE-2022-0811: a '+' in a sysctl value is refused" {
	cfg '.linux.sysctl = {"kernel.shm_rmid_forced": "1+kernel.core_pattern"}'
	carrel_bg create --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ] || fail "a value with '+' was accepted"
	# refused by the check, not by the kernel rejecting the write
	[[ "$output" == *"invalid value"* ]] || fail "not refused as an invalid value: $output"
	assert_no_leftovers
}

# With CAP_SYS_PTRACE (and no user namespace) non-dumpable is not enough:
# ptrace-capable processes may open /proc/<pid>/exe of non-dumpable tasks.
# carrel then runs from a sealed memfd copy. A runtime without that step
# would show the host path of the carrel binary here, and the write would
# reach it once the init had exec'd.
@test "CVE-2019-5736: with CAP_SYS_PTRACE the init runs from a sealed copy, the host binary stays untouched" {
	cfg '.process.capabilities.bounding += ["CAP_SYS_PTRACE"] | .process.capabilities.effective += ["CAP_SYS_PTRACE"]
	     | .process.capabilities.permitted += ["CAP_SYS_PTRACE"]'
	set_args sleep 100
	local before
	before=$(sha256sum "$CARREL" | cut -d' ' -f1)
	create_ctr
	run carrel exec "$ID" sh -c 'readlink /proc/1/exe; { echo pwned >> /proc/1/exe; } 2>/dev/null && echo wrote || echo refused'
	[ "$status" -eq 0 ] || fail "$output"
	[[ "${lines[0]}" == /memfd:carrel* ]] || fail "the init runs from: ${lines[0]}"
	[ "${lines[1]}" = refused ] || fail "$output"
	[ "$(sha256sum "$CARREL" | cut -d' ' -f1)" = "$before" ]
}
