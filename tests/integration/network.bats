#!/usr/bin/env bats
# Networking with libmnl: loopback in every new netns, veth pairs on a
# bridge, nothing reachable without one. The bridge lives in a network
# namespace this test makes, and carrel runs inside it, so no traffic
# touches the host's own interfaces. Addresses are from 192.0.2.0/24
# (TEST-NET-1), which is never routed anywhere.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() {
	common_setup
	command -v ip >/dev/null || skip "iproute2 is needed to build the test network"
	NETNS=ctest-$$-${BATS_TEST_NUMBER}
	ip netns add "$NETNS"
	ip -n "$NETNS" link set lo up
	ip -n "$NETNS" link add cbr0 type bridge
	ip -n "$NETNS" link set cbr0 up
}
teardown() {
	# carrel must run in the test netns for delete to find the veth
	CARREL_NETNS=$NETNS common_teardown
	local rc=$?
	ip netns del "$NETNS" 2>/dev/null || true
	return $rc
}

# carrel inside the test's network namespace
ncarrel() { ip netns exec "$NETNS" timeout -k 5 "$CARREL_TIMEOUT" "$CARREL" --root "$STATE" "$@"; }
vs() {
	local name=$1
	shift
	ncarrel run --rootfs "$ROOTFS" --name "$name" --cap-add NET_RAW "$@"
}

# vs_bg NAME FLAGS... -- CMD: a detached container, its stdio in a file (as carrel_bg does).
vs_bg() {
	local name=$1
	shift
	status=0
	ncarrel run --rootfs "$ROOTFS" --name "$name" --cap-add NET_RAW -d "$@" </dev/null >>"$CTR_OUT" 2>"$BATS_TEST_TMPDIR/err" 3>&- || status=$?
	output=$(cat "$BATS_TEST_TMPDIR/err")
}

@test "network: every new network namespace has loopback up" {
	run vs "$ID" -- sh -c 'ip link show lo | head -1; ping -c1 -W1 127.0.0.1 >/dev/null && echo lo-ok'
	[ "$status" -eq 0 ] || fail "$output"
	[[ "${lines[0]}" == *"<LOOPBACK,UP"* ]] || fail "$output"
	[ "${lines[1]}" = lo-ok ]
}

@test "network: veth gives eth0 its address and default route; the host end is named after the id" {
	run vs "$ID" --net veth:192.0.2.10/24,gw=192.0.2.1,bridge=cbr0 -- sh -c 'ip -4 addr show eth0 | grep inet; ip route | grep default'
	[ "$status" -eq 0 ] || fail "$output"
	[[ "${lines[0]}" == *"inet 192.0.2.10/24"* ]] || fail "$output"
	[[ "${lines[1]}" == *"default via 192.0.2.1 dev eth0"* ]] || fail "$output"
}

@test "network: two containers on one bridge reach each other by address" {
	vs_bg "$ID-a" --net veth:192.0.2.2/24,bridge=cbr0 -- sleep 100
	[ "$status" -eq 0 ] || fail "$output"
	# the host end is a port of the bridge
	[ "$(ip -n "$NETNS" -o link show master cbr0 | grep -c ' cv')" = 1 ] || fail "$(ip -n "$NETNS" link)"
	run vs "$ID-b" --net veth:192.0.2.3/24,bridge=cbr0 -- ping -c1 -W2 192.0.2.2
	[ "$status" -eq 0 ] || fail "$output"
	[[ "$output" == *"1 packets received"* ]]
	run ncarrel delete --force "$ID-a"
	[ "$status" -eq 0 ] || fail "$output"
	# delete removed the pair
	[ "$(ip -n "$NETNS" -o link show | grep -c ' cv')" = 0 ] || fail "veth left: $(ip -n "$NETNS" -o link show)"
}

# host_ifname ROOT ID: carrel's host end name, "cv" + 48 bits of the FNV-1a
# hash of the --root, a NUL byte and the id.
host_ifname() {
	local s=$1 id=$2 h=1469598103934665603 i c
	for ((i = 0; i < ${#s}; i++)); do
		printf -v c '%d' "'${s:i:1}"
		h=$(( (h ^ c) * 1099511628211 ))
	done
	h=$(( h * 1099511628211 ))
	for ((i = 0; i < ${#id}; i++)); do
		printf -v c '%d' "'${id:i:1}"
		h=$(( (h ^ c) * 1099511628211 ))
	done
	printf 'cv%012x\n' $(( h & 0xffffffffffff ))
}

@test "network: the host end's name is derived from the --root and the container id, and stable" {
	vs_bg "$ID-a" --net veth:192.0.2.2/24,bridge=cbr0 -- sleep 100
	[ "$status" -eq 0 ] || fail "$output"
	local want
	want=$(host_ifname "$STATE" "$ID-a")
	ip -n "$NETNS" link show "$want" >/dev/null || fail "no $want: $(ip -n "$NETNS" -o link)"
	# recorded in the state, which delete --force reads after a crash
	[ "$(jq -r .net_host_if "$STATE/$ID-a/state.json")" = "$want" ] || fail "$(cat "$STATE/$ID-a/state.json")"
	run ncarrel delete --force "$ID-a"
	! ip -n "$NETNS" link show "$want" 2>/dev/null || fail "$want left after delete"
}

@test "network: --net netns:PATH joins a network namespace the caller made" {
	ip -n "$NETNS" link add cjoin0 type veth peer name cjoin1
	run vs "$ID" --net "netns:/run/netns/$NETNS" -- sh -c 'ip -o link | grep -c " cjoin0@"; readlink /proc/self/ns/net'
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = 1 ] || fail "not in $NETNS: $output"
	[ "${lines[1]}" = "$(ip netns exec "$NETNS" readlink /proc/self/ns/net)" ]
}

@test "network: --profile minimal has loopback only" {
	run vs "$ID" --profile minimal -- sh -c 'ip -o link | cut -d: -f2; hostname'
	[ "$status" -eq 0 ] || fail "$output"
	[ "${lines[0]}" = " lo" ] && [ "${#lines[@]}" -eq 2 ] || fail "$output"
	# the name (a flag) wins over the profile's hostname
	[ "${lines[1]}" = "$ID" ] || fail "$output"
}

@test "network: a container without --net reaches nothing" {
	vs_bg "$ID-a" --net veth:192.0.2.2/24,bridge=cbr0 -- sleep 100
	[ "$status" -eq 0 ] || fail "$output"
	run vs "$ID-b" -- sh -c 'ip -o link | cut -d: -f2; ping -c1 -W1 192.0.2.2'
	[ "$status" -ne 0 ] || fail "reached the other container: $output"
	[ "${lines[0]}" = " lo" ] || fail "$output"
	run ncarrel delete --force "$ID-a"
}

@test "network: a missing bridge or a bad address is a clear error and leaves no veth" {
	run vs "$ID" --net veth:192.0.2.2/24,bridge=nosuchbr -- true
	[ "$status" -ne 0 ] && [[ "$output" == *nosuchbr* ]] || fail "$output"
	run vs "$ID" --net veth:192.0.2.2 -- true
	[ "$status" -ne 0 ] && [[ "$output" == */PREFIX* ]] || fail "$output"
	[ "$(ip -n "$NETNS" -o link show | grep -c ' cv')" = 0 ] || fail "veth left"
	[ ! -e "$STATE/$ID" ]
}

@test "network: the annotation works from a bundle too" {
	make_bundle
	cfg '.annotations["org.carrel.net"] = "veth:192.0.2.20/24"'
	set_sh 'ip -4 addr show eth0 | grep -o "inet [0-9./]*"'
	run ip netns exec "$NETNS" timeout 20 "$CARREL" --root "$STATE" run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = "inet 192.0.2.20/24" ]
}

# -- linux.netDevices ---------------------------------------------------------------
# One end of a veth pair in the test's namespace stands in for a host NIC (no
# dummy module on every kernel); nothing is sent through it.

netdev_bundle() {
	make_bundle
	ip -n "$NETNS" link add cdev0 type veth peer name cdev0p
	ip -n "$NETNS" addr add 192.0.2.50/24 dev cdev0
	ip -n "$NETNS" addr add 2001:db8::50/64 dev cdev0 nodad
	# not permanent-global: a link-scope address stays behind
	ip -n "$NETNS" addr add 198.51.100.99/24 dev cdev0 scope link
}

@test "netDevices: a host device moves in under its new name, with its global addresses, and up" {
	netdev_bundle
	cfg '.linux.netDevices = {cdev0: {name: "ext0"}}'
	set_sh 'ip -o addr show dev ext0; ip -o link show dev ext0; ip -o link show | grep -c cdev0'
	run ncarrel run --bundle "$BUNDLE" "$ID" </dev/null
	[[ "$output" == *"inet 192.0.2.50/24"* ]] || fail "$output"
	[[ "$output" == *"inet6 2001:db8::50/64"* ]] || fail "$output"
	[[ "$output" != *198.51.100.99* ]] || fail "a link-scope address moved too: $output"
	grep -E '^[0-9]+: ext0(@[^:]*)?: <[^>]*\bUP\b' <<<"$output" || fail "ext0 is not up: $output"
	[ "${lines[-1]}" = 0 ] || fail "the old name is still visible: $output"
	# gone from the host's namespace while it was in the container; a virtual
	# device dies with the container's namespace (physical ones come back)
	! ip -n "$NETNS" link show cdev0 2>/dev/null || fail "cdev0 is back on the host"
	! ip -n "$NETNS" link show ext0 2>/dev/null || fail "ext0 on the host"
}

@test "netDevices: the same name inside when none is given" {
	netdev_bundle
	cfg '.linux.netDevices = {cdev0: {}}'
	set_sh 'ip -o -4 addr show dev cdev0'
	run ncarrel run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 0 ] || fail "$output"
	[[ "$output" == *"cdev0"*"inet 192.0.2.50/24"* ]] || fail "$output"
}

@test "netDevices: a missing device, a taken name or no network namespace fail by name and leave nothing" {
	netdev_bundle
	set_args true
	cfg '.linux.netDevices = {nope0: {}}'
	run ncarrel run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == *"linux.netDevices.nope0: no such network device on the host"* ]] || fail "$output"
	assert_no_leftovers
	cfg '.linux.netDevices = {cdev0: {name: "lo"}}'
	run ncarrel run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == *"linux.netDevices.cdev0: cannot move it into the container as lo: the name is taken there"* ]] ||
		fail "$output"
	assert_no_leftovers
	# a device that could not move is still the host's, with its address
	ip -n "$NETNS" -o -4 addr show dev cdev0 | grep -q 192.0.2.50 || fail "cdev0 changed on the host"
	drop_ns network
	cfg '.linux.netDevices = {cdev0: {}}'
	run ncarrel run --bundle "$BUNDLE" "$ID" </dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == *"config.json: linux.netDevices: moving network devices needs a network namespace"* ]] ||
		fail "$output"
	assert_no_leftovers
}

@test "network: without a bridge the host end is the container's peer, so the host reaches the README's httpd" {
	cp -a "$ROOTFS" "$BATS_TEST_TMPDIR/web"
	echo hello-from-web >"$BATS_TEST_TMPDIR/web/index.html"
	# the README's example, as written (plus --root and the test's network namespace)
	ncarrel run --rootfs "$BATS_TEST_TMPDIR/web" --name "$ID" -d --profile server --net veth:192.0.2.10/24 -- \
		/sbin/httpd -f -p 80 </dev/null >>"$CTR_OUT" 2>"$BATS_TEST_TMPDIR/err" 3>&- ||
		fail "$(cat "$BATS_TEST_TMPDIR/err")"
	local host_if
	host_if=$(ip -n "$NETNS" -o link show | awk -F': ' '$2 ~ /^cv/ {sub(/@.*/, "", $2); print $2}')
	run -0 ip -n "$NETNS" -4 -o addr show dev "$host_if"
	[[ "$output" == *"inet 192.0.2.1/24"* ]] || fail "host end: $output"
	local i
	for i in $(seq 50); do
		run ip netns exec "$NETNS" curl -s --max-time 2 http://192.0.2.10/
		[ "$output" = hello-from-web ] && break
		sleep 0.1
	done
	[ "$output" = hello-from-web ] || fail "curl: $status $output"
	# and the container reaches the host end
	run ncarrel exec "$ID" ping -c1 -W2 192.0.2.1
	[ "$status" -eq 0 ] || fail "$output"
	run -0 ncarrel kill "$ID" KILL
	run -0 ncarrel delete "$ID"
}
