#!/bin/busybox sh
# PID 1 of the carrel test VM (packed into the initramfs by tests/vm/run.sh).
#
#   stage 1 (in the initramfs): load the modules, mount the host's / (9p,
#     read-only) under a tmpfs-backed overlay, give it proc/sys/dev/tmp/run and
#     a pure cgroup v2 hierarchy with every controller enabled (CGROUP=v1:
#     only v1 hierarchies), switch_root.
#   stage 2 (PID 1 in the new root): run /vm-results/cmd.sh from the repo dir
#     with stdout/stderr/exit code into the results share, then power off.
#   INIT=systemd in /results/config (tests/vm/run-systemd.sh): stage 2 is
#     /lib/systemd/systemd instead; it mounts cgroup2 and the /dev file
#     systems itself, and the unit carrel-tests.service (written here into the
#     overlay) runs the command and powers the guest off.
#
# Run with busybox's sh; never exits normally (panic=-1 + qemu -no-reboot turn
# a dying PID 1 into a qemu exit anyway).

BB=/bin/busybox
[ "$1" = stage2 ] && BB=/.carrel-vm/busybox

off() {
	$BB sync
	$BB poweroff -f
	echo o >/proc/sysrq-trigger
	$BB sleep 10
}

fail() {
	echo "carrel-vm init: FATAL: $*"
	[ -d /results ] && echo "init: $*" >>/results/init-error 2>/dev/null
	[ -d /vm-results ] && echo "init: $*" >>/vm-results/init-error 2>/dev/null
	off
}

ninep_opts="trans=virtio,version=9p2000.L,msize=262144"

stage1() {
	$BB --install -s /bin
	export PATH=/bin
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev
	exec </dev/console >/dev/console 2>&1

	while read -r m; do
		insmod "/lib/modules/$m" || fail "insmod $m"
	done </lib/modules/modules.load

	mkdir -p /results /lower /rw /newroot
	mount -t 9p -o "$ninep_opts" results /results || fail "mount results share"
	[ -f /results/config ] || fail "no /results/config"
	. /results/config
	[ -n "$REPO" ] || fail "REPO not set in config"

	mount -t 9p -o "$ninep_opts,cache=${NINEP_CACHE:-loose},ro" hostroot /lower || fail "mount hostroot"
	mount -t tmpfs -o mode=0755 rw /rw || fail "mount tmpfs /rw"
	mkdir /rw/upper /rw/work
	mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot ||
		fail "mount overlay"

	# A repo that lives under /tmp or /run would vanish below the fresh tmpfs:
	# keep it visible through a bind mount.
	keep=
	case "$REPO" in /tmp/* | /run/*)
		mkdir /keep && mount -o bind "/newroot$REPO" /keep && keep=1 ;;
	esac
	mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /newroot/tmp || fail "mount /tmp"
	mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /newroot/run || fail "mount /run"
	if [ -n "$keep" ]; then
		mkdir -p "/newroot$REPO" && mount -o move /keep "/newroot$REPO" || fail "keep $REPO"
	fi

	for d in proc sys dev; do
		mount -o move "/$d" "/newroot/$d" || fail "move /$d"
	done
	mkdir -p /newroot/vm-results /newroot/.carrel-vm
	cp /bin/busybox /init /newroot/.carrel-vm/
	if [ "${INIT:-}" = systemd ]; then
		systemd_setup
		mount -o move /results /newroot/vm-results || fail "move results"
		exec switch_root /newroot /lib/systemd/systemd
		fail "switch_root to systemd"
	fi

	# Pure cgroup v2 (the kernel runs with cgroup_no_v1=all), every controller
	# delegated from the root, as systemd mounts it.
	cg=/newroot/sys/fs/cgroup
	if [ "${CGROUP:-}" = v1 ]; then
		cgroup_v1 $cg
	else
	mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 $cg ||
		mount -t cgroup2 cgroup2 $cg || fail "mount cgroup2"
	for c in $(cat $cg/cgroup.controllers); do
		echo "+$c" >$cg/cgroup.subtree_control || echo "carrel-vm init: cannot enable $c"
	done
	fi

	dev=/newroot/dev
	mkdir -p $dev/pts $dev/shm $dev/mqueue
	mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts $dev/pts
	mount -t tmpfs -o mode=1777,nosuid,nodev shm $dev/shm
	mount -t mqueue mqueue $dev/mqueue
	# A bare devtmpfs has none of these.
	ln -sfn /proc/self/fd $dev/fd
	ln -sfn /proc/self/fd/0 $dev/stdin
	ln -sfn /proc/self/fd/1 $dev/stdout
	ln -sfn /proc/self/fd/2 $dev/stderr
	ln -sfn /proc/kcore $dev/core

	hostname carrel-vm
	ip link set lo up

	mount -o move /results /newroot/vm-results || fail "move results"

	# switch_root, not chroot: a chroot()ed process cannot CLONE_NEWUSER.
	exec switch_root /newroot /.carrel-vm/busybox sh /.carrel-vm/init stage2
	fail "switch_root"
}

# CGROUP=v1 (CARREL_VM_CGROUP=v1): a pure cgroup v1 host, as a distro's init
# leaves it: a tmpfs at /sys/fs/cgroup and one hierarchy per controller the
# kernel has (/proc/cgroups), cpu+cpuacct and net_cls+net_prio together with
# a link per name, then the tmpfs read-only. No cgroup2 anywhere.
cgroup_v1() {
	local cg=$1 h c n
	# /proc has moved to the new root; busybox's remount reads /proc/mounts
	mount -t proc proc /proc || fail "mount /proc again"
	mount -t tmpfs -o mode=0755,nosuid,nodev,noexec tmpfs $cg || fail "mount tmpfs $cg"
	for h in cpu,cpuacct cpuset memory pids blkio devices freezer net_cls,net_prio perf_event hugetlb rdma; do
		n=
		for c in $(echo $h | tr , ' '); do
			awk -v c=$c '$1 == c && $4 == 1 { f = 1 } END { exit !f }' /proc/cgroups && n=${n:+$n,}$c
		done
		[ -n "$n" ] || continue
		mkdir $cg/$n && mount -t cgroup -o nosuid,nodev,noexec,$n cgroup $cg/$n || fail "mount cgroup $n"
		case $n in *,*)
			for c in $(echo $n | tr , ' '); do ln -s $n $cg/$c; done ;;
		esac
	done
	mount -o remount,ro $cg || fail "remount $cg read-only"
	umount /proc
}

# systemd as PID 1: boot to multi-user.target, then carrel-tests.service runs
# the command (as stage 2 does) and powers off. Units that would wait for a
# network or disks, or only cost boot time, are masked in the overlay.
systemd_setup() {
	[ -x /newroot/lib/systemd/systemd ] || fail "no /lib/systemd/systemd on the host (Debian package systemd)"
	local etc=/newroot/etc/systemd/system u
	# The host's marker would make systemd believe it runs in a container
	# (no securityfs, no udev).
	rm -f /newroot/.dockerenv
	mkdir -p $etc/multi-user.target.wants
	ln -sfn /lib/systemd/system/multi-user.target $etc/default.target
	for u in containerd.service docker.service docker.socket docker-registry.service postgresql.service \
		podman.service podman.socket podman-restart.service podman-auto-update.service podman-auto-update.timer \
		e2scrub_reap.service e2scrub_all.timer apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
		fstrim.timer man-db.timer systemd-timesyncd.service systemd-pstore.service apparmor.service \
		getty@tty1.service serial-getty@ttyS0.service getty.target console-getty.service \
		systemd-networkd-wait-online.service networking.service ifupdown-pre.service \
		systemd-udev-settle.service remote-fs.target cron.service ssh.service rsyslog.service \
		systemd-firstboot.service systemd-hwdb-update.service ldconfig.service \
		systemd-journal-catalog-update.service man-db.service logrotate.timer; do
		ln -sfn /dev/null "$etc/$u"
	done
	cat >/newroot/.carrel-vm/systemd-stage2.sh <<'EOS'
#!/bin/bash
R=/vm-results
. $R/config
cd "$REPO" || { echo "init: cd $REPO" >>$R/init-error; exit 1; }
cat /proc/uptime >$R/boot-uptime
env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb LANG=C.UTF-8 \
	CARREL_VM=1 CARREL_VM_INIT=systemd \
	/bin/bash $R/cmd.sh </dev/null >>$R/stdout 2>>$R/stderr
echo $? >$R/rc
cat /proc/uptime >$R/end-uptime
sync
EOS
	chmod 755 /newroot/.carrel-vm/systemd-stage2.sh
	cat >$etc/carrel-tests.service <<'EOS'
[Unit]
Description=carrel VM tests (tests/vm/run-systemd.sh)
After=multi-user.target
SuccessAction=poweroff
FailureAction=poweroff

[Service]
Type=oneshot
ExecStart=/.carrel-vm/systemd-stage2.sh
TimeoutStartSec=infinity
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
EOS
	ln -sfn ../carrel-tests.service $etc/multi-user.target.wants/carrel-tests.service
}

stage2() {
	R=/vm-results
	. $R/config
	cd "$REPO" || fail "cd $REPO"
	$BB cat /proc/uptime >$R/boot-uptime
	$BB env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb LANG=C.UTF-8 \
		CARREL_VM=1 \
		/bin/bash $R/cmd.sh </dev/null >>$R/stdout 2>>$R/stderr
	echo $? >$R/rc
	$BB cat /proc/uptime >$R/end-uptime
	off
}

if [ "$1" = stage2 ]; then stage2; else stage1; fi
fail "unreachable"
