#!/usr/bin/env bats
# Hostile input: configs and rootfs shapes that once crashed carrel, hung it,
# or ran the workload as root by mistake. Each case is a clear error naming
# the file, the JSON path and the reason, a non-zero exit, and nothing left
# behind (state entry, process, host mount, cgroup). This file runs on the
# normal and on the sanitizer build (tests/run-all.sh, asan stage), so a
# memory error in any of these paths fails the suite. The large cases are
# generated here, at test time.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() {
	common_setup
	make_bundle
	set_args true
}
teardown() {
	# A writer we started for a FIFO case must not outlive the test.
	common_teardown
}

# no_cgroup_left — no cgroup named after $ID in any hierarchy.
no_cgroup_left() {
	local d
	for d in /sys/fs/cgroup/*/carrel/"$ID"* /sys/fs/cgroup/carrel/"$ID"*; do
		[ -e "$d" ] && fail "cgroup left: $d"
	done
	return 0
}

# bad SUBSTRING... — create fails with one stderr line naming every SUBSTRING,
# exit 1, not a crash, nothing left (bad_create, plus cgroups).
bad() {
	bad_create "$@"
	no_cgroup_left
}

userns_maps() {
	# $1 uid lines of $2 ids each; gid: one plain range
	cfg '.linux.namespaces += [{type: "user"}]
	     | .linux.uidMappings = [range($n) as $i | {containerID: ($i * $s), hostID: (200000 + $i * $s), size: $s}]
	     | .linux.gidMappings = [{containerID: 0, hostID: 200000, size: 65536}]' \
		--argjson n "$1" --argjson s "$2"
}

# -- defects ----------------------------------------------------------------------

@test "id maps: 300 lines of 10 ids are refused by JSON path (was a stack overflow in write_idmap)" {
	userns_maps 300 10
	bad 'config.json: linux.uidMappings' 'the kernel accepts less than'
}

@test "id maps: more than 340 lines are refused at decode time" {
	userns_maps 341 1
	bad 'config.json: linux.uidMappings: 341 mappings; the kernel accepts at most 340'
}

@test "id maps: 250 lines (below the kernel's limits) work" {
	userns_maps 250 10
	ctr_sh 'wc -l </proc/self/uid_map'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(tail -1 <<<"$output" | tr -d ' ')" = 250 ] || fail "$output"
}

@test "ids: process.user.uid and gid 4294967295 are refused, never run as root" {
	cfg '.process.user.uid = 4294967295'
	bad 'config.json: process.user.uid: 4294967295 is not a valid id'
	cfg '.process.user.uid = 0 | .process.user.gid = 4294967295'
	bad 'config.json: process.user.gid: 4294967295 is not a valid id'
	cfg '.process.user.gid = 0 | .process.user.additionalGids = [4294967295]'
	bad 'config.json: process.user.additionalGids[0]: 4294967295 is not a valid id'
}

@test "ids: an id map reaching (uid_t)-1 is refused" {
	userns_maps 1 65536
	cfg '.linux.uidMappings[0].hostID = 4294967295'
	bad 'config.json: linux.uidMappings[0].hostID: 4294967295 is not a valid id'
	cfg '.linux.uidMappings[0] = {containerID: 4294901760, hostID: 200000, size: 65536}'
	bad 'config.json: linux.uidMappings[0]: containerID 4294901760 + size 65536 goes past id 4294967294'
}

@test "ids: run --user 4294967295 is refused" {
	run carrel run --rootfs "$ROOTFS" --name "$ID" --no-tty --user 4294967295 -- id -u
	[ "$status" -eq 1 ] || fail "$output"
	[[ "$output" == *"--user"*"4294967294"* ]] || fail "$output"
	run carrel run --rootfs "$ROOTFS" --name "$ID" --no-tty --user 0:4294967295 -- id -u
	[ "$status" -eq 1 ] || fail "$output"
	assert_no_leftovers
	[ ! -e "$STATE/.bundles/$ID" ] || fail "bundle dir left"
}

@test "ids: exec --user 4294967295 and --additional-gids 4294967295 are refused" {
	set_args sleep 100
	start_ctr
	run carrel exec --user 4294967295 "$ID" id -u
	[ "$status" -eq 255 ] || fail "$output"
	[[ "$output" == *"--user 4294967295"* ]] || fail "$output"
	run carrel exec --user 1000:4294967295 "$ID" id -u
	[ "$status" -eq 255 ] || fail "$output"
	run carrel exec --additional-gids 4294967295 "$ID" id -u
	[ "$status" -eq 255 ] || fail "$output"
	[[ "$output" == *"--additional-gids"* ]] || fail "$output"
	local pf=$BATS_TEST_TMPDIR/process.json
	jq -n '{args: ["id", "-u"], cwd: "/", user: {uid: 4294967295, gid: 0}}' >"$pf"
	run carrel exec --process "$pf" "$ID"
	[ "$status" -eq 255 ] || fail "$output"
	[[ "$output" == *"process.json: user.uid: 4294967295 is not a valid id"* ]] || fail "$output"
}

@test "files: a config.json that is a FIFO is refused at once (create used to hang)" {
	rm "$BUNDLE/config.json"
	mkfifo "$BUNDLE/config.json"
	bad "$BUNDLE/config.json: not a regular file"
}

@test "files: a config.json that is a directory or /dev/zero is refused" {
	rm "$BUNDLE/config.json"
	mkdir "$BUNDLE/config.json"
	bad "$BUNDLE/config.json: not a regular file"
	rmdir "$BUNDLE/config.json"
	ln -s /dev/zero "$BUNDLE/config.json"
	bad "$BUNDLE/config.json: not a regular file"
}

@test "files: a hook path that is a FIFO is refused with 'not a regular file'" {
	local fifo=$BATS_TEST_TMPDIR/hook
	mkfifo "$fifo"
	cfg '.hooks.prestart = [{path: $p}]' --arg p "$fifo"
	bad "config.json: hooks.prestart[0].path: $fifo: not a regular file"
}

@test "files: exec --process from a FIFO without a writer fails clearly; a pipe with data works" {
	set_args sleep 100
	start_ctr
	local fifo=$BATS_TEST_TMPDIR/proc.fifo
	mkfifo "$fifo"
	run timeout 30 "$CARREL" --root "$STATE" exec --process "$fifo" "$ID"
	[ "$status" -eq 255 ] || fail "status $status: $output"
	[[ "$output" == *"$fifo: a FIFO with no writer"* ]] || fail "$output"
	# a pipe that has data (process substitution) is read like a file
	run carrel exec --process <(jq -n '{args: ["echo", "from-a-pipe"], cwd: "/"}') "$ID"
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = from-a-pipe ] || fail "$output"
}

@test "output: state and list with stdout closed or full exit 1" {
	set_args sleep 100
	start_ctr
	run bash -c '"$0" --root "$1" state "$2" >&-' "$CARREL" "$STATE" "$ID"
	[ "$status" -eq 1 ] || fail "state with stdout closed: status $status"
	run bash -c '"$0" --root "$1" state "$2" >/dev/full' "$CARREL" "$STATE" "$ID"
	[ "$status" -eq 1 ] || fail "state >/dev/full: status $status"
	[[ "$output" == *"cannot write the output"* ]] || fail "$output"
	run bash -c '"$0" --root "$1" list >&-' "$CARREL" "$STATE"
	[ "$status" -eq 1 ] || fail "list with stdout closed: status $status"
	run bash -c '"$0" --root "$1" list --format json >/dev/full' "$CARREL" "$STATE"
	[ "$status" -eq 1 ] || fail "list >/dev/full: status $status"
	# with stdout open both still work
	run -0 carrel state "$ID"
}

@test "root.path that resolves to / names root.path" {
	ln -s / "$BATS_TEST_TMPDIR/slash"
	cfg '.root.path = $p' --arg p "$BATS_TEST_TMPDIR/slash"
	bad 'config.json: root.path:' 'resolves to /'
}

@test "an unknown mount option names the mount and the options" {
	add_mount /mnt tmpfs tmpfs carrel-no-such-option
	bad 'config.json: mounts[' '(/mnt)' 'carrel-no-such-option'
}

# -- the corpus ---------------------------------------------------------------------
# Generated from carrel's own default spec at test time (jq), so every field it
# has is covered and nothing large is committed.

# try_config FILE: create from FILE. Prints "ok", or the error; fails on a
# crash (signal, sanitizer report), a hang, a stdout line or a leftover.
try_config() {
	local f=$1 st
	cp "$f" "$BUNDLE/config.json"
	st=0
	timeout -k 5 60 "$CARREL" --root "$STATE" create --bundle "$BUNDLE" "$ID" \
		</dev/null >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- || st=$?
	if grep -qE 'Sanitizer|runtime error:' "$BATS_TEST_TMPDIR/err"; then
		echo "SANITIZER: $(head -5 "$BATS_TEST_TMPDIR/err")"
		return 1
	fi
	if [ "$st" -eq 0 ]; then
		"$CARREL" --root "$STATE" delete --force "$ID" >/dev/null 2>&1
		echo ok
	elif [ "$st" -ne 1 ]; then
		echo "EXIT $st: $(head -3 "$BATS_TEST_TMPDIR/err")"
		return 1
	else
		[ "$(wc -l <"$BATS_TEST_TMPDIR/err")" -eq 1 ] || { echo "MULTI-LINE: $(cat "$BATS_TEST_TMPDIR/err")"; return 1; }
		cat "$BATS_TEST_TMPDIR/err"
	fi
	[ ! -e "$STATE/$ID" ] || { echo "LEFTOVER state dir"; return 1; }
	[ -z "$(no_cgroup_left 2>&1)" ] || { echo "LEFTOVER cgroup"; return 1; }
}

# names_path ERROR PATH: the error names config.json and PATH or one of its
# ancestors (a check may fail on the enclosing object: "process.rlimits[0]:
# soft limit ... is above hard limit").
names_path() {
	local res=$1 p=$2
	while [ -n "$p" ]; do
		[[ "$res" == *"config.json: $p"* ]] && return 0
		case $p in
		*\]) p=${p%\[*} ;;
		*.*) p=${p%.*} ;;
		*) p= ;;
		esac
	done
	return 1
}

# corpus KIND: from the default spec, one case per JSON path (array elements
# past the second are left out: they repeat the first two) with its value
# replaced as KIND says (generated by python3 in one pass). Carrel must accept
# the change, or refuse it with one line naming config.json and the path.
corpus() {
	local kind=$1 dir=$BATS_TEST_TMPDIR/corpus n=0 bad=0 res name value f
	mkdir -p "$dir"
	python3 - "$kind" "$BUNDLE/config.json" "$dir" <<'PY' || fail "cannot generate the corpus"
import json, sys
kind, base, out = sys.argv[1], sys.argv[2], sys.argv[3]
spec = json.load(open(base))

def walk(v, path):
    yield path, v
    if isinstance(v, dict):
        for k, x in v.items():
            yield from walk(x, path + [k])
    elif isinstance(v, list):
        for i, x in enumerate(v[:2]):
            yield from walk(x, path + [i])

def name(path):
    s = ""
    for k in path:
        s += "[%d]" % k if isinstance(k, int) else (k if not s else "." + k)
    return s

def other_type(v):
    if isinstance(v, bool): return "true"
    if isinstance(v, str): return 12345
    if isinstance(v, (int, float)): return "12345"
    if isinstance(v, list): return {"x": 1}
    return [1]

def replacements(v):
    if kind == "types":
        return [other_type(v)] if v is not None else []
    if kind == "numbers":
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return [-1, 4294967295, 4294967296, 2147483648, -2147483649, 1.5, 1e300]
        return []
    if kind == "nul":
        return ["a\u0000b"] if isinstance(v, str) else []

def setpath(doc, path, value):
    if not path: return value
    cur = doc
    for k in path[:-1]: cur = cur[k]
    cur[path[-1]] = value
    return doc

n = 0
with open(out + "/index", "w") as idx:
    for path, v in list(walk(spec, [])):
        if not path: continue
        for r in replacements(v):
            doc = setpath(json.loads(json.dumps(spec)), path, r)
            n += 1
            json.dump(doc, open("%s/%d.json" % (out, n), "w"))
            idx.write("%d\t%s\t%s\n" % (n, name(path), json.dumps(r)))
PY
	while IFS=$'\t' read -r f name value; do
		n=$((n + 1))
		if ! res=$(try_config "$dir/$f.json"); then
			echo "case $name = $value: $res" >&2
			bad=$((bad + 1))
		elif [ "$res" != ok ] && ! names_path "$res" "$name"; then
			echo "case $name = $value: the error does not name the path: $res" >&2
			bad=$((bad + 1))
		fi
	done <"$dir/index"
	echo "# $n cases" >&3
	[ "$bad" -eq 0 ] || fail "$bad of $n cases failed"
	[ "$n" -gt 20 ] || fail "only $n cases generated"
}

@test "corpus: type confusion at every level of the spec" {
	# Every value replaced by one of another type.
	corpus types
}

@test "corpus: huge, negative and fractional numbers in every numeric field" {
	corpus numbers
	# beyond 64 bits the JSON parser refuses it, naming the file, line and column
	jq '.process.user.uid = 123456789' "$BUNDLE/config.json" | sed 's/123456789/99999999999999999999999/' \
		>"$BATS_TEST_TMPDIR/big.json"
	run try_config "$BATS_TEST_TMPDIR/big.json"
	[ "$status" -eq 0 ] && [[ "$output" == *"config.json: invalid JSON at line"*"too big integer"* ]] || fail "$output"
}

@test "corpus: NUL bytes and invalid UTF-8 in strings" {
	corpus nul
	# invalid UTF-8 is refused by the JSON parser, naming the file
	printf '{"ociVersion": "1.2.0", "process": {"args": ["\xff\xfe"]}}' >"$BATS_TEST_TMPDIR/utf8.json"
	run try_config "$BATS_TEST_TMPDIR/utf8.json"
	[ "$status" -eq 0 ] && [[ "$output" == *"config.json: invalid JSON"* ]] || fail "$output"
	# and so is a raw NUL byte
	printf '{"ociVersion": "1.2.0\0"}' >"$BATS_TEST_TMPDIR/nul.json"
	run try_config "$BATS_TEST_TMPDIR/nul.json"
	[ "$status" -eq 0 ] && [[ "$output" == *"config.json: invalid JSON"* ]] || fail "$output"
}

@test "corpus: nesting 100,000 deep" {
	python3 -c 'import sys; sys.stdout.write("{\"ociVersion\": \"1.2.0\", \"annotations\": " + "[" * 100000 + "]" * 100000 + "}")' \
		>"$BATS_TEST_TMPDIR/deep.json"
	run try_config "$BATS_TEST_TMPDIR/deep.json"
	[ "$status" -eq 0 ] && [[ "$output" == *"config.json: invalid JSON"* ]] || fail "$output"
	python3 -c 'import sys; sys.stdout.write("{\"ociVersion\": \"1.2.0\", \"process\": " + "{\"a\": " * 100000 + "1" + "}" * 100000 + "}")' \
		>"$BATS_TEST_TMPDIR/deep.json"
	run try_config "$BATS_TEST_TMPDIR/deep.json"
	[ "$status" -eq 0 ] && [[ "$output" == *"config.json: invalid JSON"* ]] || fail "$output"
}

@test "corpus: 10,000 mounts work and leave nothing; a bad 10,000th names its index" {
	cfg '.mounts += [range(10000) | {destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["size=64k"]}]'
	set_args true
	run_ctr
	[ "$status" -eq 0 ] || fail "$(tail -3 <<<"$output")"
	assert_no_leftovers
	cfg '.mounts[-1].destination = "tmp"'
	local last
	last=$(jq '.mounts | length - 1' "$BUNDLE/config.json")
	bad "config.json: mounts[$last].destination: \"tmp\" is not an absolute path"
}

@test "corpus: 100,000 env entries are run or refused clearly" {
	cfg '.process.env += [range(100000) | "CARREL_HOSTILE_\(.)=x"]'
	set_sh 'env | grep -c CARREL_HOSTILE_'
	run_ctr_sep
	if [ "$status" -eq 0 ]; then
		[ "$output" = 100000 ] || fail "$output"
	else
		[ "$status" -eq 1 ] || [ "$status" -eq 126 ] || fail "status $status: $stderr"
		[[ "$stderr" == *"Argument list too long"* ]] || fail "$stderr"
	fi
	assert_no_leftovers
}

# rootfs_shape PATH KIND: a private rootfs whose PATH is a file, a symlink to
# / or a FIFO.
rootfs_shape() {
	copy_rootfs
	rm -rf "${PRIV_ROOTFS:?}/$1"
	case $2 in
	file) : >"$PRIV_ROOTFS/$1" ;;
	symlink) ln -s / "$PRIV_ROOTFS/$1" ;;
	fifo) mkfifo "$PRIV_ROOTFS/$1" ;;
	esac
}

# host_unchanged CMD...: the host's mount table is the same after CMD.
host_mounts() { awk '{print $5, $9, $10}' /proc/self/mountinfo | sort; }

@test "corpus: /proc, /sys and /dev as files, symlinks to / or FIFOs" {
	local d k before after
	before=$(host_mounts)
	for d in proc sys dev; do
		for k in file symlink fifo; do
			rootfs_shape "$d" "$k"
			set_args true
			run_ctr_sep
			if [ "$status" -ne 0 ]; then
				[ "$status" -eq 1 ] || fail "/$d as $k: status $status: $stderr"
				[[ "$stderr" == *"/$d"* ]] || fail "/$d as $k: the error does not name /$d: $stderr"
			fi
			assert_no_leftovers
			no_cgroup_left
			rm -rf "$PRIV_ROOTFS"
		done
	done
	after=$(host_mounts)
	[ "$before" = "$after" ] || fail "the host's mounts changed: $(diff <(echo "$before") <(echo "$after"))"
}

@test "corpus: mount destinations that are symlinks out of the rootfs stay inside it" {
	local outside=$BATS_TEST_TMPDIR/outside before after
	mkdir -p "$outside"
	copy_rootfs
	ln -s "$outside" "$PRIV_ROOTFS/mnt/escape"
	ln -s ../../../../../../../.. "$PRIV_ROOTFS/mnt/up"
	add_mount /mnt/escape tmpfs tmpfs size=64k
	add_mount /mnt/up/tmp/carrel-hostile-escape tmpfs tmpfs size=64k
	set_sh 'touch /mnt/escape/inside; echo done'
	before=$(host_mounts)
	run_ctr_sep
	after=$(host_mounts)
	[ "$before" = "$after" ] || fail "the host's mounts changed"
	[ ! -e "$outside/inside" ] || fail "a file was written through the symlink on the host"
	[ ! -e /tmp/carrel-hostile-escape ] || fail "a host directory was made through the symlink"
	if [ "$status" -ne 0 ]; then
		[ "$status" -eq 1 ] && [[ "$stderr" == *"mounts["* ]] || fail "status $status: $stderr"
	fi
	assert_no_leftovers
}

@test "corpus: /etc/passwd as a FIFO does not hang a non-root user" {
	copy_rootfs
	rm -f "$PRIV_ROOTFS/etc/passwd"
	mkfifo "$PRIV_ROOTFS/etc/passwd"
	cfg '.process.user = {uid: 1000, gid: 1000, additionalGids: [1001]} | .process.cwd = "/"'
	# (a workload that reads /etc/passwd would hang on it: carrel must not)
	set_sh 'echo "$(cat /proc/self/status | grep ^Uid:)"'
	run_ctr_sep
	[ "$status" -eq 0 ] || fail "status $status: $stderr"
	[[ "$output" == *1000* ]] || fail "$output"
	assert_no_leftovers
}
