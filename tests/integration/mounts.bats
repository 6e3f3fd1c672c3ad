#!/usr/bin/env bats
# Mounts: default mounts, bind/rbind/ro, options, propagation, tmpcopyup,
# destination creation, symlink escapes, root.readonly, --no-pivot.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() {
	common_setup
	make_bundle
	T=$BATS_TEST_TMPDIR
	# Where the container sees cgroup2: /sys/fs/cgroup on a pure v2 host; on a
	# host with v1 hierarchies /sys/fs/cgroup is a tmpfs with one directory
	# per hierarchy, the cgroup2 one being "unified" (as runc shows it).
	CG_IN=/sys/fs/cgroup
	v1_hierarchy memory >/dev/null && CG_IN=/sys/fs/cgroup/unified
	true
}
teardown() { common_teardown; }

# mountinfo of the container in $output -> "FSTYPE OPTS SUPEROPTS OPTIONAL" for $1
mi() { printf '%s\n' "$MOUNTINFO" | mnt_info "$1"; }

get_mountinfo() {
	ctr_sh 'cat /proc/self/mountinfo'
	[ "$status" -eq 0 ] || fail "container failed: $output"
	MOUNTINFO=$output
}

@test "default mounts: proc, /dev tmpfs, devpts, shm, mqueue, sysfs ro, cgroup2 ro" {
	get_mountinfo
	local m
	m=$(mi /proc) || fail "no /proc mount"
	[ "${m%% *}" = proc ]

	m=$(mi /dev) || fail "no /dev mount"
	read -r fs opts super _ <<<"$m"
	[ "$fs" = tmpfs ]
	has_opt "$opts" nosuid
	has_opt "$super" mode=755

	m=$(mi /dev/pts) || fail "no /dev/pts mount"
	read -r fs opts super _ <<<"$m"
	[ "$fs" = devpts ]
	has_opt "$opts" nosuid
	has_opt "$opts" noexec
	has_opt "$super" gid=5
	has_opt "$super" mode=620
	has_opt "$super" ptmxmode=666

	m=$(mi /dev/shm) || fail "no /dev/shm mount"
	read -r fs opts super _ <<<"$m"
	[ "$fs" = tmpfs ]
	has_opt "$opts" nodev
	has_opt "$opts" noexec
	has_opt "$opts" nosuid

	m=$(mi /dev/mqueue) || fail "no /dev/mqueue mount"
	[ "${m%% *}" = mqueue ]

	m=$(mi /sys) || fail "no /sys mount"
	read -r fs opts super _ <<<"$m"
	[ "$fs" = sysfs ]
	has_opt "$opts" ro

	m=$(mi "$CG_IN") || fail "no $CG_IN mount"
	read -r fs opts super _ <<<"$m"
	[ "$fs" = cgroup2 ] || fail "$CG_IN is $fs, expected cgroup2"
	has_opt "$opts" ro
	if [ "$CG_IN" != /sys/fs/cgroup ]; then
		read -r fs opts super _ <<<"$(mi /sys/fs/cgroup)"
		[ "$fs" = tmpfs ] && has_opt "$opts" ro || fail "/sys/fs/cgroup: $fs $opts"
		read -r fs opts super _ <<<"$(mi /sys/fs/cgroup/memory)"
		[ "$fs" = cgroup ] && has_opt "$opts" ro || fail "/sys/fs/cgroup/memory: $fs $opts"
	fi
}

@test "default mounts: / is the read-only rootfs and no host mount is visible" {
	get_mountinfo
	local m
	m=$(mi /) || fail "no / mount"
	read -r fs opts super _ <<<"$m"
	has_opt "$opts" ro || fail "/ is not read-only: $m"
	# every mount point must be /, or below /proc, /dev or /sys
	local bad
	bad=$(printf '%s\n' "$MOUNTINFO" | awk '$5 != "/" && $5 !~ "^/(proc|dev|sys)(/|$)" { print $5 }')
	[ -z "$bad" ] || fail "unexpected mounts inside the container: $bad"
	# the host's other mounts (e.g. old root) are gone
	[ "$(printf '%s\n' "$MOUNTINFO" | awk '$5 == "/"' | wc -l)" -eq 1 ]
}

@test "default mounts: the cgroup mount shows the container's cgroup ns root" {
	ctr_sh "ls $CG_IN/cgroup.controllers >/dev/null && echo cgroup2-root; cat /proc/self/cgroup"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = cgroup2-root ]
	printf '%s\n' "$output" | grep -qx '0::/'
}

@test "cgroup mount: read-write when the spec asks (no ro), so the container can make sub-cgroups" {
	cfg '(.mounts[] | select(.destination == "/sys/fs/cgroup") | .options) |= map(select(. != "ro")) + ["rw"]'
	ctr_sh "mkdir $CG_IN/child && echo made; grep ' $CG_IN ' /proc/self/mountinfo"
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = made ] || fail "$output"
	[[ "${lines[1]}" == *" rw,"* ]] || fail "$output"
}

@test "cgroup mount in a user namespace without a cgroup namespace: the container's own cgroup, bound read-only" {
	# cgroup2 cannot be mounted there (EPERM); podman --uidmap asks for it.
	add_ns user
	drop_ns cgroup
	cfg '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
	   | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	ctr_sh "cat /proc/self/cgroup; cat /proc/self/mountinfo; cat $CG_IN/cgroup.procs; touch $CG_IN/x 2>&1 || echo touch-refused"
	[ "$status" -eq 0 ] || fail "$output"
	local cg
	cg=$(printf '%s\n' "$output" | sed -n 's/^0:://p')
	[ "$cg" = "/carrel/$ID" ] || fail "cgroup '$cg'"
	MOUNTINFO=$output
	read -r fs opts _ <<<"$(mi "$CG_IN")" || fail "no $CG_IN mount"
	[ "$fs" = cgroup2 ] || fail "$CG_IN is $fs"
	has_opt "$opts" ro || fail "not read-only: $opts"
	# the bound directory is the container's cgroup, not the hierarchy's root
	[ "$(awk -v d="$CG_IN" '$5 == d { r = $4 } END { print r }' <<<"$output")" = "/carrel/$ID" ]
	if [ "$CG_IN" != /sys/fs/cgroup ]; then
		[ "$(awk '$5 == "/sys/fs/cgroup/memory" { r = $4 } END { print r }' <<<"$output")" = "/carrel/$ID" ] ||
			fail "the memory hierarchy is not the container's own cgroup"
	fi
	printf '%s\n' "$output" | grep -qx 1 || fail "pid 1 is not in the bound cgroup.procs"
	[[ "$output" == *"Read-only file system"* ]] || fail "$output"
}

@test "bind: a host directory is visible and writable (rw bind)" {
	mkdir "$T/data"
	echo from-host >"$T/data/hello"
	add_mount /mnt bind "$T/data" bind
	ctr_sh 'cat /mnt/hello; echo from-ctr > /mnt/written'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = from-host ]
	[ "$(cat "$T/data/written")" = from-ctr ]
}

@test "bind ro: writes fail with EROFS, host directory unchanged" {
	mkdir "$T/data"
	echo from-host >"$T/data/hello"
	add_mount /mnt bind "$T/data" bind ro
	ctr_sh 'cat /mnt/hello; echo x > /mnt/hello || echo write-failed; touch /mnt/new || echo create-failed; grep " /mnt " /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = from-host ]
	printf '%s\n' "$output" | grep -qi 'read-only file system'
	printf '%s\n' "$output" | grep -qx write-failed
	printf '%s\n' "$output" | grep -qx create-failed
	[ "$(cat "$T/data/hello")" = from-host ]
	[ ! -e "$T/data/new" ]
}

@test "bind vs rbind: only rbind carries submounts" {
	mkdir -p "$T/src/sub"
	echo lower >"$T/src/sub/lower-file"
	mount -t tmpfs -o size=1m tmpfs "$T/src/sub"
	defer umount -l "$T/src/sub"
	echo in-submount >"$T/src/sub/upper-file"
	add_mount /mnt bind "$T/src" bind
	add_mount /run bind "$T/src" rbind
	ctr_sh 'ls /mnt/sub; echo ---; ls /run/sub'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = $'lower-file\n---\nupper-file' ]
}

@test "bind: a file onto an existing file of the (shared) rootfs" {
	echo from-bind-file >"$T/f"
	add_mount /etc/hostname bind "$T/f" bind ro
	ctr_sh 'cat /etc/hostname'
	[ "$status" -eq 0 ]
	[ "$output" = from-bind-file ]
	[ "$(cat "$ROOTFS/etc/hostname")" = rootfs ]
}

@test "tmpfs: options nosuid,nodev,noexec,size,mode are applied and noexec enforced" {
	add_mount /mnt tmpfs tmpfs nosuid nodev noexec size=8m mode=710
	ctr_sh 'grep " /mnt " /proc/self/mountinfo; cp /bin/busybox /mnt/bb && /mnt/bb true; echo rc=$?; stat -c %a /mnt'
	[ "$status" -eq 0 ]
	MOUNTINFO=$(printf '%s\n' "$output" | grep ' /mnt ')
	local m fs opts super
	m=$(mi /mnt)
	read -r fs opts super _ <<<"$m"
	[ "$fs" = tmpfs ]
	has_opt "$opts" nosuid
	has_opt "$opts" nodev
	has_opt "$opts" noexec
	has_opt "$super" size=8192k
	has_opt "$super" mode=710
	[[ "$output" == *"rc=126"* ]] || fail "exec on a noexec tmpfs did not fail: $output"
	printf '%s\n' "$output" | grep -qx 710
}

@test "bind: nosuid,noexec,nodev on a bind mount are applied (remount)" {
	mkdir "$T/data"
	cp /bin/busybox "$T/data/bb"
	add_mount /mnt bind "$T/data" bind nosuid noexec nodev
	ctr_sh 'grep " /mnt " /proc/self/mountinfo; /mnt/bb true; echo rc=$?'
	[ "$status" -eq 0 ]
	MOUNTINFO=$(printf '%s\n' "$output" | grep ' /mnt ')
	local fs opts
	read -r fs opts _ <<<"$(mi /mnt)"
	has_opt "$opts" nosuid
	has_opt "$opts" noexec
	has_opt "$opts" nodev
	[[ "$output" == *"rc=126"* ]]
}

@test "mounts are applied in order: a bind inside an earlier tmpfs" {
	mkdir "$T/data"
	echo nested >"$T/data/f"
	add_mount /mnt tmpfs tmpfs size=1m
	add_mount /mnt/a/b bind "$T/data" bind
	ctr_sh 'cat /mnt/a/b/f'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = nested ]
}

@test "mount destination: a missing directory is created inside the rootfs" {
	copy_rootfs
	add_mount /new/dir/deep tmpfs tmpfs size=1m
	ctr_sh 'grep -c " /new/dir/deep " /proc/self/mountinfo'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = 1 ]
	[ -d "$PRIV_ROOTFS/new/dir/deep" ]
	[ ! -e /new/dir/deep ]
}

@test "mount destination: a missing file for a file bind is created as a file" {
	copy_rootfs
	echo file-content >"$T/f"
	add_mount /newdir/file.txt bind "$T/f" bind
	ctr_sh 'cat /newdir/file.txt; [ -f /newdir/file.txt ] && echo is-file'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = $'file-content\nis-file' ]
	[ -f "$PRIV_ROOTFS/newdir/file.txt" ]
}

@test "tmpcopyup: the tmpfs starts with a copy of the directory below it" {
	add_mount /etc tmpfs tmpfs tmpcopyup mode=755
	add_mount /home tmpfs tmpfs tmpcopyup
	ctr_sh 'cat /etc/hostname; head -n1 /etc/passwd; echo new > /etc/newfile && cat /etc/newfile; stat -c %u:%g /home/app; grep -c " /etc " /proc/self/mountinfo'
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = rootfs ]
	[ "${lines[1]}" = root:x:0:0:root:/root:/bin/sh ]
	[ "${lines[2]}" = new ]
	[ "${lines[3]}" = 1000:1000 ]
	[ "${lines[4]}" = 1 ]
	[ ! -e "$ROOTFS/etc/newfile" ]
}

# -- propagation ----------------------------------------------------------------

# A shared tmpfs on the host at $T/shared; a container binds it at /mnt with
# the given options, then the host adds a submount and we see whether it
# propagated.  Prints the container output.
propagation_case() {
	mkdir -p "$T/shared"
	mount -t tmpfs -o size=1m tmpfs "$T/shared"
	defer umount -l "$T/shared"
	mount --make-shared "$T/shared"
	mkdir "$T/shared/sub"
	add_mount /mnt bind "$T/shared" "$@"
	set_sh 'echo ready; i=0; while [ ! -e /mnt/go ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
		cat /mnt/sub/hello 2>/dev/null || echo absent; grep " /mnt " /proc/self/mountinfo'
	start_ctr
	wait_ctr_output ready
	mount -t tmpfs -o size=1m tmpfs "$T/shared/sub"
	defer umount -l "$T/shared/sub"
	echo propagated >"$T/shared/sub/hello"
	touch "$T/shared/go"
	wait_status "$ID" stopped
	run cat "$CTR_OUT"
}

@test "rro: a read-only bind applies to every submount too (mount_setattr AT_RECURSIVE)" {
	mkdir -p "$T/tree/sub"
	mount -t tmpfs -o size=1m tmpfs "$T/tree/sub"
	defer umount -l "$T/tree/sub"
	add_mount /mnt bind "$T/tree" rbind rro
	ctr_sh 'touch /mnt/a 2>&1 || echo top-ro; touch /mnt/sub/b 2>&1 || echo sub-ro; grep " /mnt/sub " /proc/self/mountinfo'
	[ "$status" -eq 0 ] || fail "$output"
	grep -qx top-ro <<<"$output" || fail "$output"
	grep -qx sub-ro <<<"$output" || fail "the submount stayed writable: $output"
	# with plain ro only the top is read-only
	cfg '.mounts[-1].options = ["rbind", "ro"]'
	ctr_sh 'touch /mnt/sub/b && echo sub-rw'
	grep -qx sub-rw <<<"$output" || fail "$output"
}

@test "rootfsPropagation: the container's root mount gets the asked propagation" {
	# the rootfs on a shared mount of its own (this host's / is private)
	mkdir -p "$T/shroot"
	mount -t tmpfs -o size=16m tmpfs "$T/shroot"
	defer umount -l "$T/shroot"
	mount --make-shared "$T/shroot"
	cp -a "$ROOTFS" "$T/shroot/rootfs"
	cfg '.root.path = $r' --arg r "$T/shroot/rootfs"
	cfg '.linux.rootfsPropagation = "slave"'
	ctr_sh 'awk "\$5 == \"/\"" /proc/self/mountinfo'
	[ "$status" -eq 0 ] || fail "$output"
	[[ "$output" == *" master:"* ]] || fail "root is not a slave: $output"
	cfg '.linux.rootfsPropagation = "private"'
	ctr_sh 'awk "\$5 == \"/\"" /proc/self/mountinfo'
	[[ "$output" != *" master:"* && "$output" != *" shared:"* ]] || fail "root is not private: $output"
}

@test "propagation rslave: host submounts propagate into the container" {
	propagation_case rbind rslave
	[ "${lines[0]}" = ready ]
	[ "${lines[1]}" = propagated ]
	[[ "${lines[2]}" == *" master:"* ]] || fail "/mnt is not a slave: ${lines[2]}"
}

@test "propagation rprivate: host submounts do not propagate" {
	propagation_case rbind rprivate
	[ "${lines[1]}" = absent ]
	[[ "${lines[2]}" != *" master:"* && "${lines[2]}" != *" shared:"* ]] || fail "${lines[2]}"
}

@test "propagation rshared: the container mount is shared" {
	propagation_case rbind rshared
	[[ "${lines[2]}" == *" shared:"* ]] || fail "/mnt is not shared: ${lines[2]}"
}

# Kubernetes' Bidirectional volumes: containerd asks for rootfsPropagation
# rshared and an rshared bind; as with runc, a mount made inside the volume
# reaches the host, and the container's own mounts (rootfs, proc, ...) never do.
@test "rootfsPropagation rshared: an inner mount of an rshared bind reaches the host, nothing else leaks" {
	mkdir -p "$T/shared"
	mount -t tmpfs -o size=1m tmpfs "$T/shared"
	defer umount -l "$T/shared"
	mount --make-shared "$T/shared"
	defer umount -l "$T/shared/inner"
	add_mount /vol bind "$T/shared" rbind rshared
	cfg '.linux.rootfsPropagation = "rshared" | del(.linux.seccomp)
	     | .process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"]
	     | .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
	set_sh 'mkdir -p /vol/inner && mount -t tmpfs inner /vol/inner && echo x >/vol/inner/f && echo ready; sleep 100'
	start_ctr
	wait_ctr_output ready
	grep -q " $T/shared/inner " /proc/self/mountinfo || fail "the inner mount did not reach the host: $(cat "$CTR_OUT")"
	[ "$(cat "$T/shared/inner/f")" = x ]
	local leaked
	leaked=$(awk -v r="$ROOTFS" 'index($5, r) == 1 { print $5 }' /proc/self/mountinfo)
	[ -z "$leaked" ] || fail "container mounts on the host: $leaked"
}

# -- symlink defence --------------------------------------------------------------

symlink_setup() {
	copy_rootfs
	HOSTDIR=$T/hostdir
	mkdir "$HOSTDIR" "$T/src"
	echo canary >"$HOSTDIR/canary"
	echo from-src >"$T/src/from-src"
}

assert_host_untouched() {
	[ "$(ls -A "$HOSTDIR")" = canary ] || fail "host dir changed: $(ls -A "$HOSTDIR")"
	[ "$(cat "$HOSTDIR/canary")" = canary ]
	# Only mounts below this test's dir: the whole host table is not ours to
	# compare (podman, or the machine's own services, may mount meanwhile).
	local m
	m=$(awk -v t="$T/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo)
	[ -z "$m" ] || fail "host mounts below $T: $m"
}

# In these tests the symlink target also exists INSIDE the rootfs (as an
# empty directory / a different file), so a runtime that resolves the path
# on the host mounts somewhere the container cannot see, and the checks fail.

@test "symlink defence: absolute symlink to a host path is resolved inside the rootfs" {
	symlink_setup
	mkdir -p "$PRIV_ROOTFS$HOSTDIR"
	ln -s "$HOSTDIR" "$PRIV_ROOTFS/mnt/escape"
	add_mount /mnt/escape bind "$T/src" bind
	ctr_sh 'ls /mnt/escape/'
	assert_host_untouched
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = from-src ]
}

@test "symlink defence: relative ../../.. symlink cannot leave the rootfs" {
	symlink_setup
	mkdir -p "$PRIV_ROOTFS$HOSTDIR"
	ln -s "../../../../../../../../../../../../..$HOSTDIR" "$PRIV_ROOTFS/mnt/rel"
	add_mount /mnt/rel bind "$T/src" bind
	ctr_sh 'ls /mnt/rel/'
	assert_host_untouched
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = from-src ]
}

@test "symlink defence: symlink in an intermediate path component" {
	symlink_setup
	mkdir -p "$PRIV_ROOTFS$HOSTDIR"
	ln -s "$HOSTDIR" "$PRIV_ROOTFS/mnt/link"
	add_mount /mnt/link/sub bind "$T/src" bind
	ctr_sh 'ls /mnt/link/sub/'
	assert_host_untouched
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = from-src ]
	[ -d "$PRIV_ROOTFS$HOSTDIR/sub" ]
}

@test "symlink defence: file bind onto a symlink to a host file" {
	symlink_setup
	mkdir -p "$PRIV_ROOTFS$HOSTDIR"
	echo inside-canary >"$PRIV_ROOTFS$HOSTDIR/canary"
	echo from-src-file >"$T/srcfile"
	ln -s "$HOSTDIR/canary" "$PRIV_ROOTFS/etc/evil"
	add_mount /etc/evil bind "$T/srcfile" bind
	ctr_sh 'cat /etc/evil'
	assert_host_untouched
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = from-src-file ]
	[ "$(cat "$PRIV_ROOTFS$HOSTDIR/canary")" = inside-canary ]
}

@test "symlink defence: tmpfs on a symlinked dir, writes stay inside" {
	symlink_setup
	mkdir -p "$PRIV_ROOTFS$HOSTDIR"
	ln -s "$HOSTDIR" "$PRIV_ROOTFS/mnt/escape"
	add_mount /mnt/escape tmpfs tmpfs size=1m
	ctr_sh 'echo pwned > /mnt/escape/pwned; ls /mnt/escape; grep -c " '"$HOSTDIR"' " /proc/self/mountinfo'
	assert_host_untouched
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = $'pwned\n1' ]
	[ ! -e "$PRIV_ROOTFS$HOSTDIR/pwned" ] # it went to the tmpfs
}

@test "symlink defence: dangling symlink -> the missing target is created inside the rootfs" {
	symlink_setup
	ln -s "$HOSTDIR/newdir" "$PRIV_ROOTFS/mnt/escape"
	add_mount /mnt/escape bind "$T/src" bind
	ctr_sh 'ls /mnt/escape/'
	assert_host_untouched
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = from-src ]
	[ -d "$PRIV_ROOTFS$HOSTDIR/newdir" ]
}

@test "symlink defence: '..' in a mount destination stays inside the rootfs" {
	symlink_setup
	add_mount "/../../../../../../../../../..$HOSTDIR/dotdot" bind "$T/src" bind
	ctr_sh "ls $HOSTDIR/dotdot/"
	assert_host_untouched
	# refusing the destination is fine too; mounting outside the rootfs is not
	if [ "$status" -eq 0 ]; then
		[ "$output" = from-src ]
		[ -d "$PRIV_ROOTFS$HOSTDIR/dotdot" ]
	else
		assert_no_leftovers
	fi
}

# -- root ----------------------------------------------------------------------

@test "root.readonly true: writing to / fails with a read-only error" {
	[ "$(jq .root.readonly "$BUNDLE/config.json")" = true ]
	ctr_sh 'touch /foo 2>&1; echo rc=$?; touch /etc/x 2>&1; echo rc=$?'
	[ "$status" -eq 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	[[ "${lines[1]}" == rc=1 ]]
	[ ! -e "$ROOTFS/foo" ]
	[ ! -e "$ROOTFS/etc/x" ]
}

@test "root.readonly false: / is writable" {
	copy_rootfs
	cfg '.root.readonly = false'
	ctr_sh 'echo hi > /foo && cat /foo'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = hi ]
	[ "$(cat "$PRIV_ROOTFS/foo")" = hi ]
}

@test "root.path relative to the bundle" {
	cp -a "$ROOTFS" "$BUNDLE/rootfs"
	cfg '.root.path = "rootfs"'
	ctr_sh 'cat /etc/hostname'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = rootfs ]
}

@test "--no-pivot: the container runs in the rootfs" {
	ctr_sh 'cat /etc/hostname; ls -d /home/app; touch /foo 2>/dev/null || echo ro' --no-pivot
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = $'rootfs\n/home/app\nro' ]
}

@test "--no-pivot: default mounts and pid 1 still work" {
	ctr_sh 'echo $$; grep -c " /proc proc " /proc/self/mountinfo >/dev/null; cat /proc/1/comm; ls /dev/null' --no-pivot
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = 1 ]
	[ "${lines[2]}" = /dev/null ]
}

@test "rootfsPropagation rshared: an rbind,rshared volume stays in the host's peer group (set before the binds, as runc)" {
	mkdir -p "$T/vol"
	mount -t tmpfs -o size=1m tmpfs "$T/vol"
	defer umount -R -l "$T/vol"
	mount --make-shared "$T/vol"
	local host_peer
	host_peer=$(awk -v mp="$T/vol" '$5 == mp { for (i = 7; $i != "-"; i++) if ($i ~ /^shared:/) print $i }' /proc/self/mountinfo)
	[ -n "$host_peer" ] || fail "the host mount is not shared"
	add_tmp
	add_mount /vol bind "$T/vol" rbind rshared
	cfg 'del(.linux.seccomp) | .linux.rootfsPropagation = "rshared" | .process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"] | .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
	ctr_sh 'grep " /vol " /proc/self/mountinfo; mkdir -p /vol/sub && mount -t tmpfs -o size=1m tmpfs /vol/sub && echo mounted'
	[ "$status" -eq 0 ] || fail "$output"
	[[ "${lines[0]}" == *" $host_peer "* ]] || fail "/vol is not in the host's peer group $host_peer: ${lines[0]}"
	grep -qx mounted <<<"$output" || fail "$output"
	# Bidirectional: the container's mount reached the host.
	awk -v mp="$T/vol/sub" '$5 == mp { found = 1 } END { exit !found }' /proc/self/mountinfo ||
		fail "the mount made in the container did not reach the host"
}

@test "bind: strictatime, relatime, noatime and nodiratime are applied to a bind mount" {
	mkdir -p "$T/at"
	mount -t tmpfs -o size=1m,noatime tmpfs "$T/at"
	defer umount -l "$T/at"
	local o want
	for o in strictatime relatime noatime nodiratime; do
		cfg 'del(.mounts[] | select(.destination == "/mnt"))'
		add_mount /mnt bind "$T/at" bind "$o"
		ctr_sh 'grep " /mnt " /proc/self/mountinfo | cut -d" " -f6'
		[ "$status" -eq 0 ] || fail "$o: $output"
		case $o in
		strictatime) [[ ",$output," != *atime,* ]] || fail "$o: $output" ;;
		relatime) [[ ",$output," == *,relatime,* ]] || fail "$o: $output" ;;
		noatime) [[ ",$output," == *,noatime,* ]] || fail "$o: $output" ;;
		nodiratime) [[ ",$output," == *,nodiratime,* && ",$output," == *,noatime,* ]] || fail "$o: $output" ;;
		esac
		carrel delete --force "$ID" >/dev/null 2>&1 || true
	done
}

# -- idmapped mounts and bind mounts made by carrel --------------------------------

userns_100000() {
	add_ns user
	cfg '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
	   | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
}

@test "idmapped mount: mounts[].uidMappings/gidMappings (mount_setattr MOUNT_ATTR_IDMAP) shift the owners" {
	mkdir -p "$T/idm"
	touch "$T/idm/f"
	chown 0:0 "$T/idm/f"
	cfg '.mounts += [{destination: "/mnt", type: "bind", source: $s, options: ["bind"],
	                  uidMappings: [{containerID: 0, hostID: 1234, size: 1}],
	                  gidMappings: [{containerID: 0, hostID: 4321, size: 1}]}]' --arg s "$T/idm"
	ctr_sh 'stat -c %u:%g /mnt/f; grep " /mnt " /proc/self/mountinfo'
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = 1234:4321 ] || fail "$output"
	[[ "${lines[1]}" == *idmapped* ]] || fail "$output"
	# the host's view is unchanged
	[ "$(stat -c %u:%g "$T/idm/f")" = 0:0 ]
}

@test "idmapped mount: the idmap option alone maps the mount into the container's user namespace" {
	mkdir -p "$T/idm"
	touch "$T/idm/f"
	chown 0:0 "$T/idm/f"
	userns_100000
	add_mount /mnt bind "$T/idm" bind idmap
	add_mount /home bind "$T/idm" bind
	ctr_sh 'stat -c %u /mnt/f /home/f'
	[ "$status" -eq 0 ] || fail "$output"
	# host root is container root through the idmapped mount, nobody without it
	[ "${lines[0]}" = 0 ] || fail "$output"
	[ "${lines[1]}" = 65534 ] || fail "$output"
}

@test "idmapped mount: a filesystem that cannot be idmapped is an error naming the mount" {
	cfg '.mounts += [{destination: "/mnt", type: "bind", source: "/proc/sys", options: ["rbind"],
	                  uidMappings: [{containerID: 0, hostID: 1234, size: 1}],
	                  gidMappings: [{containerID: 0, hostID: 1234, size: 1}]}]'
	set_args true
	bad_create "(/mnt)" "cannot idmap the bind mount of /proc/sys"
}

@test "idmapped mount: bad input is refused by its path" {
	set_args true
	cfg '.mounts += [{destination: "/mnt", type: "bind", source: "/tmp", options: ["bind"],
	                  uidMappings: [{containerID: 0, hostID: 1234, size: 1}]}]'
	bad_create "mounts[" "needs both uidMappings and gidMappings"
	cfg 'del(.mounts[-1])'
	add_mount /mnt tmpfs tmpfs idmap
	bad_create "mounts[" "bind mounts only"
	cfg 'del(.mounts[-1])'
	add_mount /mnt bind /tmp bind idmap
	bad_create "mounts[" "idmap without uidMappings and gidMappings needs a new user namespace"
}

@test "user namespace: a bind source the container's root cannot reach is mounted by carrel (as runc)" {
	# a 0700 directory of the host's root on the way: uid 100000 cannot pass it
	mkdir -p "$T/private/vol"
	chmod 0700 "$T/private"
	chmod 0755 "$T/private/vol"
	echo reached >"$T/private/vol/file"
	chmod 0644 "$T/private/vol/file"
	userns_100000
	add_mount /mnt bind "$T/private/vol" bind ro
	ctr_sh 'cat /mnt/file; touch /mnt/x 2>/dev/null || echo ro'
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = reached ] || fail "$output"
	[ "${lines[1]}" = ro ] || fail "$output"
}

@test "mounts: a read-only /dev still gets its devices, /dev/pts and /dev/shm, then is read-only (as runc)" {
	cfg '.mounts |= map((select(.destination == "/dev") | .options += ["ro"]) // .)'
	set_sh 'grep "^tmpfs /dev " /proc/mounts; ls /dev/null /dev/pts/ptmx; grep -c " /dev/shm " /proc/mounts; touch /dev/x 2>&1 || echo ro-ok'
	run_ctr
	[ "$status" -eq 0 ] || fail "$output"
	[[ "${lines[0]}" == "tmpfs /dev tmpfs ro,"* ]] || fail "$output"
	[[ "$output" == *"/dev/null"* && "$output" == *"/dev/pts/ptmx"* && "$output" == *ro-ok* ]] || fail "$output"
}
