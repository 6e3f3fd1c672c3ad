# Shared by podman.bats and containerd.bats.
ENGINES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$ENGINES_DIR/../.." && pwd)
export CARREL=${CARREL:-$REPO/build/carrel}
export ENGINES_ROOT=${ENGINES_ROOT:-$REPO/build/engines}
export ENGINES_IMAGE_TAR=$ENGINES_ROOT/busybox.tar
export IMAGE=localhost/carrel-busybox:latest

# engines_require CMD...: skip the whole file unless setup.sh has run.
engines_require() {
	local c
	[ "$(id -u)" = 0 ] || skip "needs root"
	[ -x "$CARREL" ] || skip "$CARREL not built"
	for c in "$@"; do
		command -v "$c" >/dev/null || skip "$c not installed (run tests/engines/setup.sh)"
	done
	[ -s "$ENGINES_IMAGE_TAR" ] || skip "no $ENGINES_IMAGE_TAR (run tests/engines/setup.sh)"
}

# engines_cleanup_dir DIR: unmount whatever is still mounted below DIR
# (deepest first), then remove it, but never across a mount point.
engines_cleanup_dir() {
	local d=$1 m
	case "$d" in /tmp/carrel-*) ;; *) return 1 ;; esac
	for m in $(awk -v p="$d/" 'index($2, p) == 1 { print $2 }' /proc/self/mounts | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	if awk -v p="$d/" 'index($2, p) == 1 { f = 1 } END { exit !f }' /proc/self/mounts; then
		echo "# left $d in place: still mounted below it" >&3
		return 0
	fi
	rm -rf --one-file-system "$d"
}

# engines_check_run_layers ARCHIVE: ARCHIVE is the docker-archive (docker
# save, podman save, buildah push) of an image built from
#   FROM ...
#   RUN echo one > /one.txt ...
#   RUN echo two > /two.txt && cat /one.txt > /copy.txt
# Its last two layers must be the two RUN steps, each holding exactly what
# its step wrote.
engines_check_run_layers() {
	local dir=$1.d n layers
	mkdir -p "$dir"
	tar -C "$dir" -xf "$1"
	mapfile -t layers < <(jq -r '.[0].Layers[]' "$dir/manifest.json")
	n=${#layers[@]}
	[ "$n" -ge 3 ] || { echo "only $n layers"; return 1; }
	run tar -tf "$dir/${layers[n - 2]}"
	echo "step 1: $output"
	[[ "$output" == *one.txt* ]] && [[ "$output" != *two.txt* ]] || return 1
	run tar -tf "$dir/${layers[n - 1]}"
	echo "step 2: $output"
	[[ "$output" == *two.txt* ]] && [[ "$output" == *copy.txt* ]] && [[ "$output" != *one.txt* ]] || return 1
	[ "$(tar -xOf "$dir/${layers[n - 2]}" --wildcards '*one.txt')" = one ] || return 1
	[ "$(tar -xOf "$dir/${layers[n - 1]}" --wildcards '*copy.txt')" = one ]
}

# engines_remove_cgroup NAME: remove the (empty) cgroup /NAME that a test
# gave its engine as cgroup parent, in every hierarchy: each v1 controller's
# and the unified one. Only directories; rmdir fails on a busy cgroup.
engines_remove_cgroup() {
	local d
	case "$1" in carrel-*) ;; *) return 0 ;; esac
	for d in /sys/fs/cgroup/*/"$1" /sys/fs/cgroup/"$1"; do
		[ -d "$d" ] || continue
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
}

# engines_remove_user USER UID: kill every process of the test user UID
# (podman's pause process, conmon, its systemd instance), drop its
# /etc/subuid and /etc/subgid ranges and the user.
engines_remove_user() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(awk '/^Uid:/ { print $2 }' "$p/status" 2>/dev/null)" = "$2" ] && kill -9 "${p#/proc/}" 2>/dev/null
	done
	sed -i "/^$1:/d" /etc/subuid /etc/subgid
	userdel "$1" 2>/dev/null || true
}

# engines_cgroup PID CONTROLLER: the path of PID's cgroup in CONTROLLER's v1
# hierarchy, or its unified one ("0::") when CONTROLLER is "".
engines_cgroup() {
	awk -F: -v c="$2" 'c == "" && $1 == 0 { print $3 } c != "" && $2 ~ ("(^|,)" c "(,|$)") { print $3 }' "/proc/$1/cgroup"
}
