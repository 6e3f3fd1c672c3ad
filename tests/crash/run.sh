#!/usr/bin/env bash
# Crash sweep: kill each lifecycle command with SIGKILL at its Nth system call
# (strace's syscall fault injection), as an engine's timeout or the OOM
# killer would, then check that
#   - `carrel state` tells the truth (or says the container does not exist,
#     and then no process of it is left), and
#   - `carrel delete --force` exits 0 and leaves nothing: no state directory,
#     no bundle under --root/.bundles, no cgroup in any hierarchy, no veth,
#     no id-range slot, no host mount, no process; or it exits non-zero
#     naming what it could not remove (that is a failure of this tier too).
# Commands: create, run -d --rootfs with a veth and --userns auto, start,
# exec, delete and kill. Only carrel's own process is traced (no -f): the
# runtime is what an engine kills, the container's init lives on.
#
# Prints TAP. Exits 77 (reason on the last stderr line) when it cannot run.
# By default it samples CARREL_CRASH_SAMPLES (10) kill points per command,
# spread over its whole run, so the tier takes a few minutes; with
# CARREL_CRASH_FULL=1 it kills at every system call. CARREL_CRASH_ONLY
# (say "start exec") limits it to those commands.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
TOP=$PWD
CARREL=$(realpath -m -- "${CARREL:-$TOP/build/carrel}")
SAMPLES=${CARREL_CRASH_SAMPLES:-10}
FULL=${CARREL_CRASH_FULL:-0}

skip_all() { echo "crash sweep skipped: $*" >&2; exit 77; }
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -x "$CARREL" ] || skip_all "no carrel binary at $CARREL (build first)"
command -v jq >/dev/null || skip_all "jq is missing"
if ! command -v strace >/dev/null; then
	. "$TOP/contrib/deps.sh"
	carrel_install_deps strace >&2 || true
	command -v strace >/dev/null || skip_all "strace is missing and could not be installed"
fi
strace -qq -o /dev/null -e inject=getpid:error=EPERM:when=1 true 2>/dev/null ||
	skip_all "this strace cannot inject faults (strace >= 4.16 needed)"

WORK=$(mktemp -d /tmp/carrel-crash.XXXXXX)
TRACE=$WORK/trace
ROOT=$WORK/state
BUNDLE=$WORK/bundle
ROOTFS=$WORK/rootfs
trap 'cleanup_all' EXIT
"$TOP/tests/lib/make-rootfs.sh" "$ROOTFS" >/dev/null 2>&1 || skip_all "cannot build the test rootfs"
chmod -R a+rX "$WORK"
mkdir -p "$BUNDLE" "$ROOT"
"$CARREL" spec --bundle "$BUNDLE"
jq --arg r "$ROOTFS" '.root.path = $r | .process.terminal = false | .process.args = ["sleep", "1000"]
	| .process.env += ["CARREL_CRASH=1"]' "$BUNDLE/config.json" >"$BUNDLE/c" && mv "$BUNDLE/c" "$BUNDLE/config.json"

CARREL_EXE_INO=$(stat -Lc %d:%i "$CARREL")
n=0 failed=0
ID=

# TAP helpers: one test per kill.
ok() { n=$((n + 1)); echo "ok $n $*"; }
not_ok() {
	n=$((n + 1)) failed=$((failed + 1))
	echo "not ok $n $1"
	shift
	local l
	for l in "$@"; do echo "#   $l"; done
}

c() { timeout -k 5 30 "$CARREL" --root "$ROOT" "$@" </dev/null; }

# Processes of container $1: whatever has the test marker in its environment
# and is in its cgroup, plus carrel processes naming it.
procs_of() {
	local id=$1
	{
		grep -lzxF -- "carrel-crash-id=$id" /proc/[0-9]*/environ 2>/dev/null
		grep -lzxF -- "$id" /proc/[0-9]*/cmdline 2>/dev/null
	} | sed -n 's#^/proc/\([0-9]*\)/.*#\1#p' | sort -un | while read -r p; do
		[ "$p" = $$ ] && continue
		[ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" = Z ] && continue
		[ -e "/proc/$p" ] && echo "$p"
	done
}

# Everything that can be left of container $1 (one line per piece).
leftovers() {
	local id=$1 d
	[ -e "$ROOT/$id" ] && echo "state dir $ROOT/$id ($(ls -A "$ROOT/$id" 2>/dev/null | tr '\n' ' '))"
	[ -e "$ROOT/.bundles/$id" ] && echo "bundle dir $ROOT/.bundles/$id"
	for d in /sys/fs/cgroup/carrel/"$id" /sys/fs/cgroup/*/carrel/"$id"; do
		[ -d "$d" ] && echo "cgroup $d (processes: $(cat "$d/cgroup.procs" 2>/dev/null | tr '\n' ' ')children: $(find "$d" -mindepth 1 -type d 2>/dev/null | tr '\n' ' '))"
	done
	if [ -d "$ROOT/.userns" ]; then
		grep -lxF -- "$id" "$ROOT"/.userns/* 2>/dev/null | sed 's/^/id-range slot /'
		find "$ROOT/.userns" -type f -empty 2>/dev/null | sed 's/^/empty id-range slot /'
	fi
	ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -xF -f <(printf '%s\n' "${VETHS_BEFORE[@]}") -v |
		grep '^cv' | sed 's/^/veth /'
	awk -v a="$WORK" 'index($5, a) == 1 && $5 != a { print "mount " $5 }' /proc/self/mountinfo | grep -v "$ROOTFS" || true
	for d in $(procs_of "$id"); do
		echo "process $d: $(tr '\0' ' ' <"/proc/$d/cmdline" 2>/dev/null)"
	done
}

# state_truth ID: does `state` agree with the processes?
state_truth() {
	local id=$1 out status pid exe
	if ! out=$(c state "$id" 2>&1); then
		[[ "$out" == *"does not exist"* ]] || { echo "state failed: $out"; return 1; }
		# Nothing recorded: then nothing of it may run.
		local p
		p=$(procs_of "$id" | tr '\n' ' ')
		[ -z "$p" ] || { echo "state says it does not exist, but processes run: $p"; return 1; }
		return 0
	fi
	status=$(jq -r .status <<<"$out") pid=$(jq -r .pid <<<"$out")
	case $status in
	stopped)
		[ "$pid" = 0 ] || { echo "stopped with pid $pid"; return 1; } ;;
	created | running | paused)
		[ -d "/proc/$pid" ] || { echo "$status, but pid $pid is gone"; return 1; }
		exe=$(stat -Lc %d:%i "/proc/$pid/exe" 2>/dev/null)
		if [ "$status" = created ] && [ "$exe" != "$CARREL_EXE_INO" ]; then
			echo "created, but the init (pid $pid) has exec'd the workload"; return 1
		fi
		if [ "$status" = running ] && [ "$exe" = "$CARREL_EXE_INO" ]; then
			echo "running, but the init (pid $pid) has not exec'd the workload"; return 1
		fi ;;
	*) echo "unexpected status $status"; return 1 ;;
	esac
	return 0
}

# points TOTAL: the kill points to try.
points() {
	local total=$1 k
	if [ "$FULL" = 1 ] || [ "$total" -le "$SAMPLES" ]; then
		seq 1 "$total"
		return
	fi
	# evenly spread, from a per-run random offset, plus the last call
	local off=$((RANDOM % (total / SAMPLES + 1)))
	for ((k = 0; k < SAMPLES; k++)); do
		echo $((1 + off + k * total / SAMPLES))
	done | awk -v t="$total" '$1 <= t' | sort -un
	echo "$total"
}

# kill_at N CMD...: run CMD with SIGKILL at its Nth system call. strace
# counts invocations per system call, so the Nth call of the counting run
# ($TRACE) becomes "the Kth call of NAME".
kill_at() {
	local at=$1 sc k
	shift
	sc=$(grep -vE '^\+\+\+|^---' "$TRACE" | sed -n "${at}p" | sed 's/(.*//')
	k=$(grep -vE '^\+\+\+|^---' "$TRACE" | head -n "$at" | grep -c "^$sc(")
	KILLED_AT="$sc #$k"
	timeout -k 5 60 strace -qq -o /dev/null -e "inject=$sc:signal=KILL:when=$k" \
		"$CARREL" --root "$ROOT" "$@" </dev/null >/dev/null 2>"$WORK/cmd.err"
	# killed by SIGKILL: strace reports it as 128+9
	[ $? -eq 137 ] || KILLED_AT="$KILLED_AT (not reached)"
}

# check NAME ID: after a kill, state must tell the truth and delete --force
# must leave nothing.
check() {
	local name=$1 id=$2 why out left
	why=$(state_truth "$id") || {
		not_ok "$name: state lies" "$why"
		c delete --force "$id" >/dev/null 2>&1
		return
	}
	if ! out=$(c delete --force "$id" 2>&1); then
		not_ok "$name: delete --force failed" "$out" "$(leftovers "$id")"
		return
	fi
	left=$(leftovers "$id")
	if [ -n "$left" ]; then
		not_ok "$name: delete --force exited 0 but left pieces" "${left//$'\n'/; }"
		# clean up by hand so the next case starts clean
		cleanup_id "$id"
		return
	fi
	# and the id can be used again
	# (the init keeps create's stdio: files, not a pipe $(...) would wait on)
	if ! c create --bundle "$BUNDLE" "$id" >/dev/null 2>"$WORK/recreate.err"; then
		not_ok "$name: the id cannot be created again after delete --force" "$(cat "$WORK/recreate.err")"
		cleanup_id "$id"
		return
	fi
	if ! out=$(c delete --force "$id" 2>&1); then
		not_ok "$name: delete --force of the re-created container failed" "$out" "$(leftovers "$id")"
		cleanup_id "$id"
		return
	fi
	ok "$name"
}

cleanup_id() {
	local id=$1 p d
	for p in $(procs_of "$id"); do kill -9 "$p" 2>/dev/null; done
	for d in /sys/fs/cgroup/unified/carrel/"$id" /sys/fs/cgroup/*/carrel/"$id"; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	rm -rf "${ROOT:?}/$id" "$ROOT/.bundles/$id"
	[ -d "$ROOT/.userns" ] && grep -lxF -- "$id" "$ROOT"/.userns/* 2>/dev/null | xargs -r rm -f
}

cleanup_all() {
	local d
	for d in "$ROOT"/*; do
		[ -e "$d" ] && timeout 20 "$CARREL" --root "$ROOT" delete --force "${d##*/}" >/dev/null 2>&1
	done
	rm -rf "$WORK"
}

mapfile -t VETHS_BEFORE < <(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//')
[ ${#VETHS_BEFORE[@]} -gt 0 ] || VETHS_BEFORE=(lo)

# The process marker is per id: a bundle per sweep id is made on the fly.
bundle_for() {
	local id=$1 b=$WORK/bundle-$1
	mkdir -p "$b"
	jq --arg id "$id" '.process.env += ["carrel-crash-id=" + $id]' "$BUNDLE/config.json" >"$b/config.json"
	echo "$b"
}

# sweep NAME SETUP CMD...: SETUP (a shell function, or :) makes the
# container the command acts on; ID is fresh for every kill point.
sweep() {
	local name=$1 setup=$2 total at i=0 cmd=()
	shift 2
	# CARREL_CRASH_ONLY="start exec": only those commands
	[ -z "${CARREL_CRASH_ONLY:-}" ] || [[ " $CARREL_CRASH_ONLY " == *" $name "* ]] || return 0
	# Counted on the second run: the first fills caches (the seccomp
	# program) and takes a longer path.
	for i in 1 2; do
		ID=crash-$name-count$i
		$setup "$ID" || { not_ok "$name: setup failed"; return; }
		mapfile -t cmd < <(subst "$@")
		total=$(count_syscalls "${cmd[@]}")
		c delete --force "$ID" >/dev/null 2>&1; cleanup_id "$ID"
	done
	echo "# $name: $total system calls"
	for at in $(points "$total"); do
		i=$((i + 1))
		ID=crash-$name-$at
		$setup "$ID" || { not_ok "$name at $at: setup failed"; continue; }
		mapfile -t cmd < <(subst "$@")
		kill_at "$at" "${cmd[@]}"
		check "$name killed at system call $at/$total ($KILLED_AT)" "$ID"
		rm -rf "$WORK/bundle-$ID"
	done
}

# subst ARG...: the command with @ID@ and @BUNDLE@ filled in.
subst() {
	local a
	for a in "$@"; do
		a=${a//@ID@/$ID}
		a=${a//@BUNDLE@/$WORK/bundle-$ID}
		a=${a//@ROOTFS@/$ROOTFS}
		printf '%s\n' "$a"
	done
}

# count_syscalls CMD...: how many system calls carrel makes for CMD (one
# full run, traced into $TRACE).
count_syscalls() {
	strace -qq -o "$TRACE" "$CARREL" --root "$ROOT" "$@" </dev/null >/dev/null 2>&1 || true
	grep -cvE '^\+\+\+|^---' "$TRACE"
}

set_bundle() { bundle_for "$1" >/dev/null; }
made() { bundle_for "$1" >/dev/null && c create --bundle "$WORK/bundle-$1" "$1" >/dev/null 2>&1; }
running() { made "$1" && c start "$1" >/dev/null 2>&1; }

sweep create set_bundle create --bundle @BUNDLE@ @ID@
sweep run-rootfs : run --rootfs @ROOTFS@ --name @ID@ --no-tty -d --net veth:10.254.77.2/30 --userns auto \
	--env carrel-crash-id=@ID@ -- sleep 1000
sweep start made start @ID@
sweep exec running exec -d @ID@ sleep 1000
sweep kill running kill @ID@ KILL
sweep delete running delete --force @ID@

echo "1..$n"
[ "$failed" -eq 0 ]
