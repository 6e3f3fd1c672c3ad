# Shared helpers for carrel's integration tests (bats >= 1.5).
#
# Conventions
#   - every .bats file does `load helpers`, and calls `common_setup_file` from
#     setup_file, `common_setup` (+ usually `make_bundle`) from setup and
#     `common_teardown` from teardown;
#   - ONE shared, read-only-safe rootfs per test file: $ROOTFS (or, when
#     CARREL_TEST_ROOTFS names a rootfs that tests/lib/make-rootfs.sh built,
#     that one, shared by every file: the VM tiers build it once);
#   - per test: state root $STATE, bundle $BUNDLE, container id $ID
#     (any extra container in a test must use an id that starts with $ID);
#   - teardown force-deletes everything and then FAILS the test if anything
#     is left over (state entries, processes, host mounts under the test dirs).

bats_require_minimum_version 1.5.0

CARREL=${CARREL:-$BATS_TEST_DIRNAME/../../build/carrel}
CARREL=$(realpath -m -- "$CARREL")
MAKE_ROOTFS=$(realpath -m -- "$BATS_TEST_DIRNAME/../lib/make-rootfs.sh")
ROOTFS=${CARREL_TEST_ROOTFS:-$BATS_FILE_TMPDIR/rootfs}
# Seconds before a hung carrel invocation is killed.
CARREL_TIMEOUT=${CARREL_TIMEOUT:-20}

# Host-side expectation for the default capability masks
# (CAP_KILL | CAP_NET_BIND_SERVICE | CAP_AUDIT_WRITE).
DEFAULT_CAPS=0000000020000420

# --- setup / teardown ---------------------------------------------------------

# Make every directory from / down to $1 traversable by anyone, so that a
# container process running as an unprivileged host uid (user namespaces)
# can still reach the rootfs and bind sources below bats' 0700 temp dirs.
_open_path() {
	local d
	d=$(realpath -m -- "$1")
	while [ -n "$d" ] && [ "$d" != / ]; do
		case "$d" in
		"$BATS_RUN_TMPDIR" | "$BATS_RUN_TMPDIR"/*) chmod a+rx "$d" 2>/dev/null || true ;;
		esac
		d=${d%/*}
	done
	# The temp base dir itself (normally /tmp, already 1777).
	return 0
}

common_setup_file() {
	[ -x "$CARREL" ] || {
		echo "carrel binary not found at $CARREL (build with: meson setup build && ninja -C build)" >&2
		return 1
	}
	# A shared rootfs (CARREL_TEST_ROOTFS) is built once, by whoever set it.
	[ -n "${CARREL_TEST_ROOTFS:-}" ] && [ -x "$ROOTFS/bin/busybox" ] || "$MAKE_ROOTFS" "$ROOTFS"
	_open_path "$ROOTFS"
}

common_teardown_file() {
	# Never leave host mounts below bats' temp dir (bats would rm -rf into them).
	_umount_below "$BATS_FILE_TMPDIR" || true
}

common_setup() {
	[ -x "$CARREL" ] || skip "carrel binary not found at $CARREL"
	STATE=$BATS_TEST_TMPDIR/state
	BUNDLE=$BATS_TEST_TMPDIR/bundle
	# Only [a-z0-9-]: the id is also used as a regex when looking for leftovers.
	ID=ct$$-${BATS_SUITE_TEST_NUMBER:-$BATS_TEST_NUMBER}
	CTR_OUT=$BATS_TEST_TMPDIR/ctr.out
	CLEANUPS=()
	BG_PIDS=()
	_open_path "$BATS_TEST_TMPDIR"
	: >"$CTR_OUT"
}

# Register a shell snippet to run in teardown (before the leftover checks).
defer() { CLEANUPS+=("$*"); }

# Start a host helper process in the background (fd 3 closed so bats does not
# wait for it); its pid is in $BG_PID and it is killed in teardown.
bg() {
	"$@" </dev/null >/dev/null 2>&1 3>&- &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}

common_teardown() {
	local i pid id leftovers=""
	[ -n "${STATE:-}" ] || return 0
	# 1. force-delete every container this test may have created.
	if [ -d "$STATE" ]; then
		for id in $(timeout 10 "$CARREL" --root "$STATE" list -q 2>/dev/null) "$ID"; do
			timeout 10 "$CARREL" --root "$STATE" delete --force "$id" >/dev/null 2>&1 3>&- || true
		done
		for id in "$STATE"/*; do
			[ -e "$id" ] || continue
			timeout 10 "$CARREL" --root "$STATE" delete --force "${id##*/}" >/dev/null 2>&1 3>&- || true
		done
	fi
	# 2. the test's own helpers.
	for i in "${!CLEANUPS[@]}"; do
		eval "${CLEANUPS[$i]}" >/dev/null 2>&1 || true
	done
	for pid in "${BG_PIDS[@]}"; do
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	# 3. nothing may be left.
	if [ -d "$STATE" ]; then
		local ents
		ents=$(timeout 10 "$CARREL" --root "$STATE" list -q 2>/dev/null || true)
		[ -z "$ents" ] || leftovers+="containers still listed after delete --force: $ents; "
		for id in "$STATE"/"$ID"*; do
			[ -e "$id" ] && leftovers+="state entry left: $id; "
		done
	fi
	local procs
	procs=$(leftover_procs)
	if [ -n "$procs" ]; then
		leftovers+="processes left: $procs; "
		# Kill only processes that are verifiably this test's containers.
		for pid in $procs; do kill -9 "$pid" 2>/dev/null || true; done
	fi
	local d
	for d in /sys/fs/cgroup/carrel/"$ID"* /sys/fs/cgroup/*/carrel/"$ID"*; do
		[ -d "$d" ] || continue
		leftovers+="cgroup left: $d ($(cat "$d/cgroup.procs" 2>/dev/null | wc -l) processes); "
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
	local mnts
	mnts=$(leftover_mounts)
	if [ -n "$mnts" ]; then
		leftovers+="host mounts left: $mnts; "
		_umount_below "$BATS_TEST_TMPDIR" || true
		_umount_below "$ROOTFS" || true
	fi
	if [ -n "$leftovers" ]; then
		echo "TEARDOWN: $leftovers" >&2
		return 1
	fi
}

# cg_root — the cgroup2 hierarchy: /sys/fs/cgroup on a pure v2 host, the
# unified one on a hybrid host. Fails when there is none.
cg_root() {
	local d
	for d in /sys/fs/cgroup /sys/fs/cgroup/unified; do
		[ "$(stat -fc %T "$d" 2>/dev/null)" = cgroup2fs ] && { echo "$d"; return 0; }
	done
	return 1
}

# need_controllers NAME... — skip unless the cgroup2 root offers them all.
need_controllers() {
	local root c
	root=$(cg_root) || skip "no cgroup2 hierarchy"
	for c in "$@"; do
		grep -qw "$c" "$root/cgroup.controllers" ||
			skip "needs the cgroup v2 $c controller (hybrid host: run tests/vm/run.sh)"
	done
}

# v1_hierarchy CTRL — the v1 hierarchy of CTRL (/sys/fs/cgroup/memory), or fails.
v1_hierarchy() {
	local d=/sys/fs/cgroup/$1
	[ "$(stat -fc %T "$d" 2>/dev/null)" = cgroupfs ] && grep -qw "$1" <(awk '$5 == "'"$d"'" { print $NF }' /proc/self/mountinfo) &&
		echo "$d"
}

# cg_frozen PATH — whether the container cgroup PATH (/carrel/ID) is frozen
# on the host: by the v1 freezer where there is one, else by cgroup.freeze.
cg_frozen() {
	local f
	if f=$(v1_hierarchy freezer); then
		[ "$(cat "$f$1/freezer.state")" = FROZEN ]
	else
		[ "$(cat "$(cg_root)$1/cgroup.freeze")" = 1 ] && grep -q "^frozen 1" "$(cg_root)$1/cgroup.events"
	fi
}

# --- leftover detection ---------------------------------------------------------

# PIDs of processes that belong to this test's containers: carrel processes
# with the id on their command line, and container processes (marked through
# CARREL_TEST_ID=$ID in process.env).  The id pattern is written as a bracket
# expression so grep does not match its own command line.
leftover_procs() {
	local pat="[${ID:0:1}]${ID:1}"
	{
		grep -laE -- "(^|[^a-z0-9-])${pat}([^a-z0-9]|\$)" /proc/[0-9]*/cmdline 2>/dev/null
		grep -laE -- "CARREL_TEST_ID=${pat}([^a-z0-9]|\$)" /proc/[0-9]*/environ 2>/dev/null
	} | sed -n 's#^/proc/\([0-9]*\)/.*#\1#p' | sort -un |
		while read -r pid; do
			# zombies (already dead, waiting to be reaped) do not count
			[ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null | tail -c 2)" = "Z" ] && continue
			[ -e "/proc/$pid" ] && [ "$pid" != "$$" ] && [ "$pid" != "$BASHPID" ] && echo "$pid"
		done | tr '\n' ' '
}

# Host mount points that mention this test's dirs or the shared rootfs.
leftover_mounts() {
	awk -v a="$BATS_TEST_TMPDIR" -v b="$ROOTFS" \
		'index($5, a) == 1 || index($5, b) == 1 || index($4, a) == 1 || index($4, b) == 1 { print $5 }' \
		/proc/self/mountinfo | tr '\n' ' '
}

_umount_below() {
	local base=$1 mp
	[ -n "$base" ] || return 0
	# deepest first
	awk -v a="$base" 'index($5, a) == 1 { print length($5), $5 }' /proc/self/mountinfo |
		sort -rn | cut -d' ' -f2- | while read -r mp; do
		umount -l "$mp" 2>/dev/null || true
	done
}

# After a failed create/run: nothing may exist for $1 (default $ID).
assert_no_leftovers() {
	local id=${1:-$ID} procs mnts
	[ ! -e "$STATE/$id" ] || fail "state entry $STATE/$id exists after a failed command"
	if [ -d "$STATE" ]; then
		run -0 "$CARREL" --root "$STATE" list -q
		[[ "$output" != *"$id"* ]] || fail "list still shows $id: $output"
		run "$CARREL" --root "$STATE" state "$id"
		[ "$status" -ne 0 ] || fail "state $id succeeded after a failed command: $output"
	fi
	procs=$(leftover_procs)
	[ -z "$procs" ] || fail "processes left for $id: $procs ($(for p in $procs; do tr '\0' ' ' <"/proc/$p/cmdline"; echo; done))"
	mnts=$(leftover_mounts)
	[ -z "$mnts" ] || fail "host mounts left: $mnts"
}

fail() {
	echo "FAIL: $*" >&2
	return 1
}

# --- bundles --------------------------------------------------------------------

# make_bundle [DIR] [ROOTFS_PATH] — `carrel spec` + absolute root.path + test marker.
make_bundle() {
	local dir=${1:-$BUNDLE} rootfs=${2:-$ROOTFS}
	mkdir -p "$dir"
	"$CARREL" spec --bundle "$dir" || fail "carrel spec --bundle $dir failed"
	[ -f "$dir/config.json" ] || fail "carrel spec did not write $dir/config.json"
	CFG_FILE=$dir/config.json cfg '.root.path = $r | .process.terminal = false | .process.env += ["CARREL_TEST_ID=" + $id]' \
		--arg r "$rootfs" --arg id "$ID"
}

# cfg FILTER [jq args...] — edit $BUNDLE/config.json (or $CFG_FILE) in place.
cfg() {
	local f=${CFG_FILE:-$BUNDLE/config.json} filter=$1
	shift
	# filter first, then options: with --args, everything after is positional
	jq "$filter" "$@" <"$f" >"$f.tmp" || {
		rm -f "$f.tmp"
		fail "jq edit failed: $filter"
		return 1
	}
	mv -f "$f.tmp" "$f"
}

# set_args ARG... — process.args = the given argv.
set_args() { cfg '.process.args = $a' --argjson a "$(json_array "$@")"; }

# json_array ARG... — a JSON array of strings (safe for args like "-c").
json_array() {
	local a
	for a in "$@"; do
		jq -n --arg x "$a" '$x'
	done | jq -sc .
}

# set_sh SCRIPT — process.args = ["sh", "-c", SCRIPT].
set_sh() { set_args sh -c "$1"; }

# Private, writable copy of the shared rootfs (for tests that modify it).
copy_rootfs() {
	local dst=${1:-$BATS_TEST_TMPDIR/rootfs}
	cp -a "$ROOTFS" "$dst"
	_open_path "$dst"
	cfg '.root.path = $r' --arg r "$dst"
	PRIV_ROOTFS=$dst
}

# Add a mount entry: add_mount DEST TYPE SOURCE [OPTION...]
add_mount() {
	local dest=$1 type=$2 src=$3
	shift 3
	cfg '.mounts += [{destination: $d, type: $t, source: $s, options: $o}]' \
		--arg d "$dest" --arg t "$type" --arg s "$src" --argjson o "$(json_array "$@")"
}

# A tmpfs on /tmp, so tests can write without touching the shared rootfs.
add_tmp() { add_mount /tmp tmpfs tmpfs nosuid nodev mode=1777 size=4m; }

# Remove a namespace type from linux.namespaces.
drop_ns() { cfg '.linux.namespaces |= map(select(.type != $t))' --arg t "$1"; }
add_ns() {
	if [ $# -ge 2 ]; then
		cfg '.linux.namespaces = (.linux.namespaces | map(select(.type != $t))) + [{type: $t, path: $p}]' \
			--arg t "$1" --arg p "$2"
	else
		cfg '.linux.namespaces = (.linux.namespaces | map(select(.type != $t))) + [{type: $t}]' --arg t "$1"
	fi
}

# --- running carrel -------------------------------------------------------------

# carrel ARGS... — the binary with this test's state root.
carrel() { timeout -k 5 "$CARREL_TIMEOUT" "$CARREL" --root "$STATE" "$@"; }

# run_ctr [FLAGS...] — foreground `carrel run` of $BUNDLE as $ID (bats `run`,
# stdout and stderr merged into $output).  Use run_ctr_sep for separate stderr.
run_ctr() { run carrel run --bundle "$BUNDLE" "$@" "$ID" </dev/null; }
run_ctr_sep() { run --separate-stderr carrel run --bundle "$BUNDLE" "$@" "$ID" </dev/null; }

# ctr_sh SCRIPT [FLAGS...] — run `sh -c SCRIPT` in a fresh container.
ctr_sh() {
	local s=$1
	shift
	set_sh "$s"
	run_ctr "$@"
}

# carrel_bg ARGS... — for commands whose container keeps the caller's stdio
# (create, run --detach): stdio goes to files so bats does not wait for the
# container to close a pipe.  Sets $status and $output (carrel's stderr);
# the container's stdout/stderr accumulate in $CTR_OUT.
carrel_bg() {
	local err=$BATS_TEST_TMPDIR/carrel.err
	status=0
	timeout -k 5 "$CARREL_TIMEOUT" "$CARREL" --root "$STATE" "$@" \
		</dev/null >>"$CTR_OUT" 2>"$err" 3>&- || status=$?
	output=$(cat "$err")
	# (IFS must stay local: `IFS=x var=(...)` alone would set it for the caller)
	local IFS=$'\n'
	# shellcheck disable=SC2206
	lines=($output)
	return 0
}

# create_ctr [ID] [FLAGS...] — create and require success.
create_ctr() {
	local id=${1:-$ID}
	shift || true
	carrel_bg create --bundle "$BUNDLE" "$@" "$id"
	[ "$status" -eq 0 ] || fail "create $id failed ($status): $output"
}

# start_ctr [ID] — create + start a container, require success.
start_ctr() {
	local id=${1:-$ID}
	create_ctr "$id"
	run carrel start "$id"
	[ "$status" -eq 0 ] || fail "start $id failed ($status): $output"
}

# bad_create SUBSTRING... — `create` must fail with one stderr line containing
# every SUBSTRING, print nothing on stdout, and leave nothing behind.
bad_create() {
	carrel_bg create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ] || fail "create: status $status (want 1); stderr: $output"
	[ "${#lines[@]}" -eq 1 ] || fail "create: want exactly one stderr line, got: $output"
	[ ! -s "$CTR_OUT" ] || fail "create printed on stdout: $(cat "$CTR_OUT")"
	local s
	for s in "$@"; do
		[[ "$output" == *"$s"* ]] || fail "error '$output' does not contain '$s'"
	done
	assert_no_leftovers
}

# bad_run SUBSTRING... — same for a foreground `run`.
bad_run() {
	run_ctr_sep
	[ "$status" -eq 1 ] || fail "run: status $status (want 1); stderr: $stderr"
	[ -z "$output" ] || fail "run printed on stdout: $output"
	local s
	for s in "$@"; do
		[[ "$stderr" == *"$s"* ]] || fail "error '$stderr' does not contain '$s'"
	done
	assert_no_leftovers
}

# state_of ID FIELD — one field from `carrel state`.
state_of() {
	carrel state "$1" | jq -r ".$2"
}

# wait_status ID WANT [SECONDS] — poll until the container has status WANT.
wait_status() {
	local id=$1 want=$2 secs=${3:-10} i s
	for ((i = 0; i < secs * 20; i++)); do
		s=$(carrel state "$id" 2>/dev/null | jq -r .status 2>/dev/null || true)
		[ "$s" = "$want" ] && return 0
		sleep 0.05
	done
	fail "container $id: status is '$s', wanted '$want' after ${secs}s"
}

# wait_file FILE [SECONDS]
wait_file() {
	local f=$1 secs=${2:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		[ -s "$f" ] && return 0
		sleep 0.05
	done
	fail "timed out waiting for $f"
}

# wait_output_line TEXT — wait until the container output file has a line TEXT
# (or the log of a `run --rootfs -d` container, which `carrel logs` prints).
wait_ctr_output() {
	local want=$1 secs=${2:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		grep -qxF -- "$want" "$CTR_OUT" "$STATE"/.bundles/*/console.log 2>/dev/null && return 0
		sleep 0.05
	done
	fail "container never printed '$want'; output so far: $(cat "$CTR_OUT" "$STATE"/.bundles/*/console.log 2>/dev/null)"
}

# --- parsing helpers -------------------------------------------------------------

# mnt_info MOUNTPOINT < mountinfo — prints "FSTYPE MOUNTOPTS SUPEROPTS OPTIONAL"
# for the last (topmost) mount at MOUNTPOINT.
mnt_info() {
	awk -v mp="$1" '
		$5 == mp {
			opt = ""
			for (i = 7; i <= NF && $i != "-"; i++) opt = opt (opt == "" ? "" : ",") $i
			res = $(i + 1) " " $6 " " $(i + 3) " " (opt == "" ? "-" : opt)
		}
		END { if (res != "") print res; else exit 1 }'
}

# has_opt OPTLIST OPT — comma-separated option list contains OPT.
has_opt() { [[ ",$1," == *",$2,"* ]]; }

# status_field FIELD — extract "FIELD:\tvalue" from /proc/PID/status text in $output.
status_field() { printf '%s\n' "$output" | awk -v f="$1:" '$1 == f { $1 = ""; sub(/^ /, ""); print; exit }'; }

# --- terminals ------------------------------------------------------------------

LIBDIR=$(realpath -m -- "$BATS_TEST_DIRNAME/lib")

# start_console [NAME] — start a --console-socket receiver (lib/console_recv.py)
# in the background.  Sets CONSOLE_SOCK (pass to --console-socket),
# CONSOLE_OUT (what the container wrote to the pty), CONSOLE_INFO (payload
# name + master rdev) and CONSOLE_PID.
start_console() {
	local name=${1:-console}
	CONSOLE_SOCK=$BATS_TEST_TMPDIR/$name.sock
	CONSOLE_OUT=$BATS_TEST_TMPDIR/$name.out
	CONSOLE_INFO=$BATS_TEST_TMPDIR/$name.info
	: >"$CONSOLE_OUT"
	python3 "$LIBDIR/console_recv.py" "$CONSOLE_SOCK" "$CONSOLE_OUT" "$CONSOLE_INFO" 15 \
		</dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/$name.err" 3>&- &
	CONSOLE_PID=$!
	BG_PIDS+=("$CONSOLE_PID")
	wait_socket "$CONSOLE_SOCK" "$BATS_TEST_TMPDIR/$name.err"
}

# wait_socket SOCK ERRFILE: until a receiver started in the background listens on SOCK.
wait_socket() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ -S "$1" ] && return 0
		sleep 0.025
	done
	fail "the receiver on $1 did not start: $(cat "$2")"
}

# wait_console — wait for the receiver to see the pty close; CONSOLE_TEXT is
# the pty output without carriage returns, CONSOLE_NAME the payload.
wait_console() {
	wait "$CONSOLE_PID" || true
	CONSOLE_TEXT=$(tr -d '\r' <"$CONSOLE_OUT")
	CONSOLE_NAME=$(sed -n 's/^name=//p' "$CONSOLE_INFO" 2>/dev/null)
}
