#!/usr/bin/env bats
# Tenants: --userns auto gives each container its own 65536-id range from
# the pool, never id 0 of the host, and an idmapped rootfs so one rootfs
# serves every tenant without a chown.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() { common_setup; }
teardown() { common_teardown; }

tenant_bg() {
	local name=$1
	shift
	carrel_bg run --rootfs "$ROOTFS" --name "$name" -d --no-tty --userns auto "$@"
	[ "$status" -eq 0 ] || fail "$name: $output"
}

host_start() { carrel exec "$1" cat /proc/self/uid_map | awk '{print $2}'; }

@test "userns auto: two tenants get disjoint host ranges, never host id 0" {
	tenant_bg "$ID-a" -- sleep 100
	tenant_bg "$ID-b" -- sleep 100
	local a b
	run -0 carrel exec "$ID-a" cat /proc/self/uid_map /proc/self/gid_map
	read -r c0 a n <<<"${lines[0]}"
	[ "$c0" = 0 ] && [ "$n" = 65536 ] || fail "$output"
	[ "$a" -gt 0 ] || fail "host id 0 is mapped: $output"
	b=$(host_start "$ID-b")
	[ "$b" -gt 0 ]
	# [a, a+65536) and [b, b+65536) do not overlap
	[ $((a + 65536)) -le "$b" ] || [ $((b + 65536)) -le "$a" ] || fail "ranges overlap: $a $b"
}

@test "userns auto: root inside is the range's first id outside; the shared rootfs still looks root-owned inside" {
	local dir=$BATS_TEST_TMPDIR/data
	mkdir -m 0777 "$dir"
	carrel_bg run --rootfs "$ROOTFS" --name "$ID" --no-tty --userns auto --bind "$dir:/data" -- \
		sh -c 'id -u; stat -c %u /bin/busybox; touch /data/made-by-root; read -r in out n </proc/self/uid_map; echo $out'
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(sed -n 1p "$CTR_OUT")" = 0 ]
	[ "$(sed -n 2p "$CTR_OUT")" = 0 ] || fail "rootfs not idmapped: $(cat "$CTR_OUT")"
	local owner
	owner=$(stat -c %u "$dir/made-by-root")
	[ "$owner" -ge 65536 ] || fail "the file is owned by host uid $owner"
	# exactly the tenant's first host id, as its uid_map says
	[ "$owner" = "$(sed -n 3p "$CTR_OUT")" ] || fail "owner $owner, uid_map $(sed -n 3p "$CTR_OUT")"
	# and the rootfs on disk was never chowned
	[ "$(stat -c %u "$ROOTFS/bin/busybox")" = 0 ]
}

@test "userns auto: parallel creates never share a range, and delete frees it" {
	local i
	for i in 1 2 3 4 5; do
		timeout 20 "$CARREL" --root "$STATE" run --rootfs "$ROOTFS" --name "$ID-$i" -d --no-tty --userns auto -- sleep 100 \
			</dev/null >/dev/null 2>&1 &
	done
	wait
	local starts=()
	for i in 1 2 3 4 5; do starts+=("$(host_start "$ID-$i")"); done
	[ "$(printf '%s\n' "${starts[@]}" | sort -u | grep -c .)" = 5 ] || fail "ranges: ${starts[*]}"
	[ "$(ls "$STATE/.userns" | wc -l)" = 5 ]
	for i in 1 2 3 4 5; do run -0 carrel delete --force "$ID-$i"; done
	[ "$(ls "$STATE/.userns" | wc -l)" = 0 ] || fail "ranges left: $(ls "$STATE/.userns")"
}

@test "userns auto: a tenant cannot see the other's processes, mounts, network or hostname" {
	tenant_bg "$ID-a" --hostname tenant-a --tmpfs /only-a -- sleep 100
	tenant_bg "$ID-b" --hostname tenant-b -- sleep 100
	run -0 carrel exec "$ID-b" sh -c 'hostname; for p in /proc/[0-9]*; do tr "\0" " " <$p/cmdline; echo; done | grep -c "^sleep"; grep -c only-a /proc/self/mountinfo; ls /sys/class/net'
	[ "${lines[0]}" = tenant-b ]
	[ "${lines[1]}" = 1 ] || fail "sees other processes: $output"
	[ "${lines[2]}" = 0 ] || fail "sees the other's mounts: $output"
	[ "${lines[3]}" = lo ] || fail "$output"
	local t
	for t in pid net mnt uts user ipc; do
		[ "$(carrel exec "$ID-a" readlink /proc/self/ns/$t)" != "$(carrel exec "$ID-b" readlink /proc/self/ns/$t)" ] ||
			fail "$t namespace shared"
	done
}

@test "userns: bad values are refused with the flag named, and nothing is reserved" {
	run carrel run --rootfs "$ROOTFS" --name "$ID" --userns bogus -- true
	[ "$status" -ne 0 ] && [[ "$output" == *--userns* ]] || fail "$output"
	run carrel run --rootfs "$ROOTFS" --name "$ID" --userns auto --net host -- true
	[ "$status" -ne 0 ] && [[ "$output" == *--userns* ]] || fail "$output"
	[ ! -d "$STATE/.userns" ] || [ "$(ls "$STATE/.userns" | wc -l)" = 0 ]
}
