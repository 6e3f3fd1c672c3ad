#!/bin/bash
# bench.sh [N] — start-up cost of carrel next to crun and runc.
#
# Builds one busybox bundle in a temporary directory, then for each runtime
# starts N containers one after the other, each running /bin/true with a
# foreground `run`.  Prints the median and 90th percentile per container in
# milliseconds, the carrel/crun and carrel/runc ratios of the medians, and the
# peak RSS of one `run` per runtime.
#
# Must run as root.  Environment:
#   CARREL=PATH    carrel binary (default: build/carrel in this repository,
#                  rebuilt with ninja first when build/ exists)
#   WARMUP=K       untimed runs per runtime before the timed ones (default 3)
#   RUNTIMES=LIST  which of "carrel crun runc" to measure (default: all found)
#
# Everything the script creates (temporary directory, containers, runc's
# cgroups under /carrel-bench) is removed on exit.
set -euo pipefail

N=${1:-50}
WARMUP=${WARMUP:-3}
case "$N" in '' | *[!0-9]* | 0) echo "usage: bench.sh [N]  (N > 0, default 50)" >&2; exit 2 ;; esac
case "$WARMUP" in '' | *[!0-9]*) echo "bench.sh: WARMUP must be a number" >&2; exit 2 ;; esac

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CGROUP_PARENT=carrel-bench # runc's cgroups go to /sys/fs/cgroup/<ctrl>/carrel-bench/<id>

die() { echo "bench.sh: $*" >&2; exit 1; }
note() { echo "bench.sh: $*" >&2; }

[ "$(id -u)" -eq 0 ] || die "must run as root"

# Tools the script itself needs; installed from Debian when missing.
need_pkgs=()
command -v jq >/dev/null 2>&1 || need_pkgs+=(jq)
[ -x /usr/bin/time ] || need_pkgs+=(time)
command -v unshare >/dev/null 2>&1 || need_pkgs+=(util-linux)
[ -x /bin/busybox ] || need_pkgs+=(busybox-static)
if [ ${#need_pkgs[@]} -gt 0 ]; then
	note "installing ${need_pkgs[*]}"
	if ! { apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null &&
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${need_pkgs[@]}" >/dev/null; }; then
		die "could not install ${need_pkgs[*]}"
	fi
fi

# ---------------------------------------------------------------- runtimes
if [ -z "${CARREL:-}" ]; then
	CARREL=$TOP/build/carrel
	if [ -f "$TOP/build/build.ninja" ]; then
		ninja -C "$TOP/build" >/dev/null 2>&1 || note "ninja -C build failed; using the existing build/carrel"
	fi
fi
CARREL=$(command -v "$CARREL" 2>/dev/null || echo "$CARREL")
have_carrel=0
[ -x "$CARREL" ] && have_carrel=1
carrel_exe=$have_carrel # used for `carrel spec` even when not measured
have_crun=0
command -v crun >/dev/null 2>&1 && have_crun=1
have_runc=0
command -v runc >/dev/null 2>&1 && have_runc=1

want() { [ -z "${RUNTIMES:-}" ] || [[ " $RUNTIMES " == *" $1 "* ]]; }
want carrel || have_carrel=0
want crun || have_crun=0
want runc || have_runc=0
[ $have_carrel = 1 ] || note "carrel not measured (no executable at $CARREL, or left out by RUNTIMES)"
[ $have_crun = 1 ] || note "crun not measured"
[ $have_runc = 1 ] || note "runc not measured"
[ $((have_carrel + have_crun + have_runc)) -gt 0 ] || die "no runtime to measure"

# crun 1.8.1 refuses a hybrid cgroup host.  There it runs with cgroups off,
# inside a private mount namespace that has cgroup2 on /sys/fs/cgroup (this
# mounts nothing on the host).  The wrapper's own cost is measured too.
crun_wrapped=0
[ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ] || crun_wrapped=1
crun_cmd() {
	if [ $crun_wrapped = 1 ]; then
		unshare -m --propagation private sh -c \
			'mount -t cgroup2 none /sys/fs/cgroup && exec crun --cgroup-manager=disabled "$@"' sh "$@"
	else
		crun --cgroup-manager=disabled "$@"
	fi
}
wrapper_baseline() {
	unshare -m --propagation private sh -c 'mount -t cgroup2 none /sys/fs/cgroup && exec true'
}

# ---------------------------------------------------------------- workspace
WORK=$(mktemp -d /tmp/carrel-bench.XXXXXX)
ROOT_CARREL=$WORK/root-carrel
ROOT_CRUN=$WORK/root-crun
ROOT_RUNC=$WORK/root-runc
BUNDLE=$WORK/bundle           # carrel: config.json from `carrel spec`, and the rootfs
BUNDLE_CRUN=$WORK/bundle-crun # crun: the same config, see below
BUNDLE_RUNC=$WORK/bundle-runc # runc: the same plus linux.cgroupsPath
mkdir -p "$ROOT_CARREL" "$ROOT_CRUN" "$ROOT_RUNC" "$BUNDLE" "$BUNDLE_CRUN" "$BUNDLE_RUNC"

# Remove every container left in one of our --root directories.
sweep_root() {
	local rt=$1 root=$2 d id
	[ -d "$root" ] || return 0
	for d in "$root"/*/; do
		[ -d "$d" ] || continue
		id=$(basename "$d")
		case $rt in
		carrel) "$CARREL" --root "$root" delete --force "$id" >/dev/null 2>&1 || true ;;
		crun) crun_cmd --root "$root" delete --force "$id" >/dev/null 2>&1 || true ;;
		runc) runc --root "$root" delete --force "$id" >/dev/null 2>&1 || true ;;
		esac
	done
}

# runc removes a container's own cgroup on delete but leaves the parent
# directories it made.  rmdir only, and only below carrel-bench.
sweep_cgroups() {
	local d left=0
	for d in /sys/fs/cgroup/*/"$CGROUP_PARENT" /sys/fs/cgroup/"$CGROUP_PARENT"; do
		[ -d "$d" ] || continue
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
		[ -d "$d" ] && left=1
	done
	[ $left = 0 ] || note "WARNING: could not remove every /sys/fs/cgroup/*/$CGROUP_PARENT directory"
	return 0
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	[ $have_carrel = 1 ] && sweep_root carrel "$ROOT_CARREL"
	[ $have_crun = 1 ] && sweep_root crun "$ROOT_CRUN"
	[ $have_runc = 1 ] && sweep_root runc "$ROOT_RUNC"
	sweep_cgroups
	# Containers are gone; the mounts they made lived in their own namespaces.
	rm -rf --one-file-system "$WORK"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- bundle
note "building the busybox bundle in $WORK"
"$TOP/tests/lib/make-rootfs.sh" "$BUNDLE/rootfs" >/dev/null ||
	die "tests/lib/make-rootfs.sh failed"

if [ $carrel_exe = 1 ]; then
	spec_from="carrel spec"
	(cd "$BUNDLE" && "$CARREL" spec) || die "carrel spec failed"
else
	# No carrel yet: borrow crun's or runc's default so the others can run.
	if command -v crun >/dev/null 2>&1; then
		spec_from="crun spec (carrel not available)"
		(cd "$BUNDLE" && crun spec)
	else
		spec_from="runc spec (carrel not available)"
		(cd "$BUNDLE" && runc spec)
	fi
fi
[ -f "$BUNDLE/config.json" ] || die "no config.json was written"

# /bin/true, no terminal, and no linux.resources (carrel refuses it for now).
jq '.process.args = ["/bin/true"] | .process.terminal = false | del(.linux.resources)' \
	"$BUNDLE/config.json" >"$BUNDLE/config.json.new"
mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"

# crun and runc share carrel's rootfs through an absolute root.path (runc
# refuses a symlinked one).  Debian's crun 1.8.1 rejects ociVersion 1.2.0
# ("unknown version specified"), so both get 1.0.2: every field of the
# default config already existed then.
OTHER_VERSION=1.0.2
jq --arg root "$BUNDLE/rootfs" --arg v "$OTHER_VERSION" '.root.path = $root | .ociVersion = $v' \
	"$BUNDLE/config.json" >"$BUNDLE_CRUN/config.json"
# runc, in addition, gets an explicit absolute cgroupsPath.  Without one,
# runc would put the container's cgroups under the caller's own cgroup.
RUNC_TEMPLATE=$(jq --arg cg "/$CGROUP_PARENT/@ID@" '.linux.cgroupsPath = $cg' "$BUNDLE_CRUN/config.json")
runc_config_for() { printf '%s\n' "${RUNC_TEMPLATE//@ID@/$1}" >"$BUNDLE_RUNC/config.json"; }

# ---------------------------------------------------------------- timing
now_ns() { date +%s%N; }

# run_one RT ID: one foreground run, stdout/stderr kept for errors.
run_one() {
	case $1 in
	carrel) "$CARREL" --root "$ROOT_CARREL" run --bundle "$BUNDLE" "$2" ;;
	crun) crun_cmd --root "$ROOT_CRUN" run --bundle "$BUNDLE_CRUN" "$2" ;;
	runc) runc --root "$ROOT_RUNC" run --bundle "$BUNDLE_RUNC" "$2" ;;
	esac
}
delete_one() {
	case $1 in
	carrel) "$CARREL" --root "$ROOT_CARREL" delete "$2" ;;
	crun) crun_cmd --root "$ROOT_CRUN" delete "$2" ;;
	runc) runc --root "$ROOT_RUNC" delete "$2" ;;
	esac
}
# Did the runtime leave container ID behind after its foreground run?
left_behind() {
	case $1 in
	carrel) [ -e "$ROOT_CARREL/$2/state.json" ] ;;
	*) [ -d "$(root_of "$1")/$2" ] ;;
	esac
}
root_of() {
	case $1 in carrel) echo "$ROOT_CARREL" ;; crun) echo "$ROOT_CRUN" ;; runc) echo "$ROOT_RUNC" ;; esac
}

# measure RT: fills $WORK/RT.run and $WORK/RT.total with one ns figure per line.
#   run   = the `run` command alone
#   total = run, plus `delete` when the runtime left the container behind
measure() {
	local rt=$1 i id t0 t1 t2 t3 root log=$WORK/$1.log deleted=0
	root=$(root_of "$rt")
	: >"$WORK/$rt.run"
	: >"$WORK/$rt.total"
	for ((i = 0; i < WARMUP + N; i++)); do
		id=bench-$rt-$$-$i
		[ "$rt" = runc ] && runc_config_for "$id"
		t0=$(now_ns)
		run_one "$rt" "$id" >"$log" 2>&1 || {
			cat "$log" >&2
			die "$rt run $id failed"
		}
		t1=$(now_ns)
		t2=0 t3=0
		if left_behind "$rt" "$id"; then
			t2=$(now_ns)
			delete_one "$rt" "$id" >"$log" 2>&1 || {
				cat "$log" >&2
				die "$rt delete $id failed"
			}
			t3=$(now_ns)
			deleted=$((deleted + 1))
		fi
		if ((i >= WARMUP)); then
			echo $((t1 - t0)) >>"$WORK/$rt.run"
			echo $((t1 - t0 + t3 - t2)) >>"$WORK/$rt.total"
		fi
	done
	echo "$deleted" >"$WORK/$rt.deleted"
}

# measure_cmd NAME CMD...: N timed calls of an arbitrary command.
measure_cmd() {
	local name=$1 i t0 t1
	shift
	: >"$WORK/$name.run"
	for ((i = 0; i < WARMUP + N; i++)); do
		t0=$(now_ns)
		"$@" >/dev/null 2>&1 || die "$name: $* failed"
		t1=$(now_ns)
		((i < WARMUP)) || echo $((t1 - t0)) >>"$WORK/$name.run"
	done
	cp "$WORK/$name.run" "$WORK/$name.total"
}

# stat FILE WHICH: median or p90 (nearest rank) in ms, 2 decimals.
stat_ms() {
	sort -n "$1" | awk -v which="$2" '
		{ v[NR] = $1 }
		END {
			if (NR == 0) { print "-"; exit }
			if (which == "median")
				x = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			else {
				r = int(0.9 * NR); if (r < 0.9 * NR) r++; if (r < 1) r = 1
				x = v[r]
			}
			printf "%.2f\n", x / 1e6
		}'
}

# peak_rss RT: kB of one run under /usr/bin/time (max over the process tree it waits for).
peak_rss() {
	local rt=$1 id=bench-$1-$$-rss root out=$WORK/$1.rss
	root=$(root_of "$rt")
	[ "$rt" = runc ] && runc_config_for "$id"
	case $rt in
	carrel) /usr/bin/time -f %M -o "$out" "$CARREL" --root "$root" run --bundle "$BUNDLE" "$id" ;;
	crun)
		if [ $crun_wrapped = 1 ]; then
			/usr/bin/time -f %M -o "$out" unshare -m --propagation private sh -c \
				'mount -t cgroup2 none /sys/fs/cgroup && exec crun --cgroup-manager=disabled "$@"' \
				sh --root "$root" run --bundle "$BUNDLE_CRUN" "$id"
		else
			/usr/bin/time -f %M -o "$out" crun --cgroup-manager=disabled --root "$root" run --bundle "$BUNDLE_CRUN" "$id"
		fi
		;;
	runc) /usr/bin/time -f %M -o "$out" runc --root "$root" run --bundle "$BUNDLE_RUNC" "$id" ;;
	esac >/dev/null 2>&1 || die "$rt: run under /usr/bin/time failed"
	left_behind "$rt" "$id" && delete_one "$rt" "$id" >/dev/null 2>&1
	tail -n 1 "$out"
}

# ---------------------------------------------------------------- run
note "config from: $spec_from"
note "$N timed containers per runtime (+$WARMUP untimed warm-up runs)"

measure_cmd floor /bin/true
[ $have_carrel = 1 ] && { note "carrel ..."; measure carrel; }
if [ $have_crun = 1 ]; then
	if [ $crun_wrapped = 1 ]; then
		note "unshare+mount wrapper baseline ..."
		measure_cmd wrapper wrapper_baseline
	fi
	note "crun ..."
	measure crun
fi
if [ $have_runc = 1 ]; then
	note "runc ..."
	measure runc
	sweep_cgroups
fi

declare -A rss
for rt in carrel crun runc; do
	v=have_$rt
	[ "${!v}" = 1 ] || continue
	rss[$rt]=$(peak_rss "$rt")
done
sweep_cgroups

# ---------------------------------------------------------------- report
row() { # name file-prefix rss-kB note
	local rss_txt=-
	[ -n "${3:-}" ] && rss_txt=$(awk -v k="$3" 'BEGIN { printf "%.1f MiB", k / 1024 }')
	printf '%-22s %9s %9s %11s %11s %10s  %s\n' "$1" \
		"$(stat_ms "$WORK/$2.run" median)" "$(stat_ms "$WORK/$2.run" p90)" \
		"$(stat_ms "$WORK/$2.total" median)" "$(stat_ms "$WORK/$2.total" p90)" "$rss_txt" "${4:-}"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }
deleted_note() {
	local d
	d=$(cat "$WORK/$1.deleted")
	if [ "$d" = 0 ]; then echo "run removed the container itself"; else echo "needed delete after run ($d/$((N + WARMUP)))"; fi
}

echo
echo "carrel bench: $N sequential containers per runtime, each running /bin/true from a busybox bundle"
echo "config: $spec_from, args [\"/bin/true\"], no linux.resources;"
echo "        crun and runc get ociVersion $OTHER_VERSION, runc also linux.cgroupsPath /$CGROUP_PARENT/<id>"
echo "timing: date +%s%N around each call, in ms; run = the foreground \`run\` command alone;"
echo "        total = run, plus \`delete\` when the runtime left the container behind"
echo "RSS:    /usr/bin/time -f %M of one run: the largest process in the tree (wrapped crun: includes unshare/sh/mount)"
echo "host:   $(uname -r), $(nproc) cores, cgroups: $([ $crun_wrapped = 1 ] && echo hybrid/v1 || echo v2)"
echo
printf '%-22s %9s %9s %11s %11s %10s\n' runtime "run p50" "run p90" "total p50" "total p90" "peak RSS"
row "timer floor (/bin/true)" floor "" "date + exec of /bin/true, no container"
if [ $have_carrel = 1 ]; then
	row "carrel $("$CARREL" --version 2>/dev/null | head -n 1 | awk '{ print $NF }')" carrel "${rss[carrel]}" "$(deleted_note carrel)"
fi
if [ $have_crun = 1 ]; then
	crun_ver=$(crun --version | awk 'NR == 1 { print $3 }')
	if [ $crun_wrapped = 1 ]; then
		row "crun $crun_ver (wrapped)" crun "${rss[crun]}" "$(deleted_note crun); cgroups disabled"
		row "unshare+mount baseline" wrapper "" "the wrapper alone"
		crun_net=$(minus "$(stat_ms "$WORK/crun.run" median)" "$(stat_ms "$WORK/wrapper.run" median)")
		crun_net_total=$(minus "$(stat_ms "$WORK/crun.total" median)" "$(stat_ms "$WORK/wrapper.run" median)")
		printf '%-22s %9s %9s %11s %11s %10s  %s\n' "crun minus baseline" "$crun_net" - "$crun_net_total" - - \
			"median difference"
	else
		row "crun $crun_ver" crun "${rss[crun]}" "$(deleted_note crun); cgroups disabled"
	fi
fi
if [ $have_runc = 1 ]; then
	row "runc $(runc --version | awk 'NR == 1 { print $3 }')" runc "${rss[runc]}" "$(deleted_note runc); creates v1/v2 cgroups"
fi

if [ $have_carrel = 1 ]; then
	echo
	c_run=$(stat_ms "$WORK/carrel.run" median)
	c_tot=$(stat_ms "$WORK/carrel.total" median)
	if [ $have_crun = 1 ]; then
		echo "carrel/crun  (medians): run $(ratio "$c_run" "$(stat_ms "$WORK/crun.run" median)"), total $(ratio "$c_tot" "$(stat_ms "$WORK/crun.total" median)")"
		if [ $crun_wrapped = 1 ]; then
			echo "carrel/(crun minus baseline): run $(ratio "$c_run" "$crun_net"), total $(ratio "$c_tot" "$crun_net_total")"
		fi
	fi
	if [ $have_runc = 1 ]; then
		echo "carrel/runc  (medians): run $(ratio "$c_run" "$(stat_ms "$WORK/runc.run" median)"), total $(ratio "$c_tot" "$(stat_ms "$WORK/runc.total" median)")"
	fi
fi
