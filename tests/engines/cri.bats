#!/usr/bin/env bats
# The Kubernetes path: containerd 1.6's CRI plugin driving carrel, through
# crictl (from ../shared/tools: Debian has no crictl; its README lists what
# these tests rely on). Run tests/engines/setup.sh first.
#
# Everything is private and stays on this machine:
#  * a registry (Debian's docker-registry) on 127.0.0.1 at a free port, with
#    its storage in the temp dir; the busybox image and a pause image (a
#    static C program that calls pause()) are pushed there with podman, and
#    containerd's registry.config_path sends registry.k8s.io and docker.io
#    to it;
#  * a containerd with its root, state, socket and config in the temp dir,
#    a `carrel` runtime handler (runc v2 shim, BinaryName = this build) and
#    restrict_oom_score_adj (root here lacks CAP_SYS_RESOURCE);
#  * a CNI bridge of its own (Debian's containernetworking-plugins), no
#    gateway, no masquerading, a documentation-range subnet.
#
# Every pod sandbox gets linux.resources.cpu.shares = 2 from the CRI plugin;
# on a hybrid host carrel's cgroup v1 driver serves it (the unified
# hierarchy has no cpu controller), so every scenario runs here.
# CRI_RUNTIME_BINARY replaces the handler's BinaryName (default: this
# build's carrel), to try the scenarios through a wrapper.

bats_require_minimum_version 1.5.0
load helpers

# ../shared/tools next to the main checkout, or next to the worktrees' parent.
cri_tools_dir() {
	local d
	for d in "$REPO/../shared/tools" "$REPO/../../shared/tools"; do
		[ -f "$d/crictl-1.26.1-linux-amd64.gz" ] && { realpath "$d"; return 0; }
	done
	return 1
}

setup_file() {
	engines_require containerd containerd-shim-runc-v2 podman docker-registry gcc python3
	TOOLS=$(cri_tools_dir) || skip "no ../shared/tools with crictl on this machine"
	[ -x /usr/lib/cni/bridge ] || skip "no CNI plugins in /usr/lib/cni (containernetworking-plugins)"
	C=$(mktemp -d /tmp/carrel-cri.XXXXXX)
	export C
	mkdir -p "$C/bin" "$C/root" "$C/state" "$C/runc" "$C/net.d" "$C/ipam" "$C/registry" "$C/certs.d" \
		"$C/logs" "$C/ptmp" "$C/shared"
	gunzip -c "$TOOLS/crictl-1.26.1-linux-amd64.gz" >"$C/bin/crictl"
	chmod +x "$C/bin/crictl"

	# the registry, on a port nobody listens on
	PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	export PORT
	cat >"$C/registry.yml" <<-EOF
		version: 0.1
		storage:
		  filesystem:
		    rootdirectory: $C/registry
		http:
		  addr: 127.0.0.1:$PORT
	EOF
	docker-registry serve "$C/registry.yml" >"$C/registry.log" 2>&1 3>&- &
	echo $! >"$C/registry.pid"
	local i
	for i in $(seq 50); do
		python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
			"http://127.0.0.1:$PORT/v2/" 2>/dev/null && break
		sleep 0.1
	done

	# images: busybox from setup.sh's archive, and a pause image
	cat >"$C/pause.c" <<-'EOF'
		#include <signal.h>
		#include <stdlib.h>
		#include <unistd.h>
		static void bye(int sig) { (void) sig; exit(0); }
		int main(void)
		{
		        signal(SIGTERM, bye);
		        signal(SIGINT, bye);
		        for (;;)
		                pause();
		}
	EOF
	mkdir -p "$C/pause-root"
	gcc -static -O2 -o "$C/pause-root/pause" "$C/pause.c"
	tar -C "$C/pause-root" -cf "$C/pause.tar" pause
	pmc load -q -i "$ENGINES_IMAGE_TAR" >/dev/null
	pmc import -q --change 'ENTRYPOINT ["/pause"]' "$C/pause.tar" localhost/pause:carrel >/dev/null
	pmc push -q --tls-verify=false "$IMAGE" "docker://127.0.0.1:$PORT/library/busybox:latest"
	pmc push -q --tls-verify=false localhost/pause:carrel "docker://127.0.0.1:$PORT/pause:3.6"
	local h
	for h in registry.k8s.io docker.io; do
		mkdir -p "$C/certs.d/$h"
		printf 'server = "http://127.0.0.1:%s"\n[host."http://127.0.0.1:%s"]\n  capabilities = ["pull", "resolve"]\n' \
			"$PORT" "$PORT" >"$C/certs.d/$h/hosts.toml"
	done

	# the CNI bridge
	BRIDGE=carrelcri$((RANDOM % 1000))
	export BRIDGE
	cat >"$C/net.d/10-carrel.conflist" <<-EOF
		{
		  "cniVersion": "0.4.0",
		  "name": "carrel-cri",
		  "plugins": [
		    { "type": "bridge", "bridge": "$BRIDGE", "isGateway": false, "ipMasq": false,
		      "ipam": { "type": "host-local", "dataDir": "$C/ipam",
		                "ranges": [[{ "subnet": "192.0.2.0/24" }]] } }
		  ]
		}
	EOF

	# containerd
	cat >"$C/config.toml" <<-EOF
		version = 2
		root = "$C/root"
		state = "$C/state"
		[grpc]
		  address = "$C/containerd.sock"
		[ttrpc]
		  address = "$C/containerd.sock.ttrpc"
		[plugins."io.containerd.grpc.v1.cri"]
		  sandbox_image = "registry.k8s.io/pause:3.6"
		  restrict_oom_score_adj = true
		  [plugins."io.containerd.grpc.v1.cri".cni]
		    bin_dir = "/usr/lib/cni"
		    conf_dir = "$C/net.d"
		  [plugins."io.containerd.grpc.v1.cri".registry]
		    config_path = "$C/certs.d"
		  [plugins."io.containerd.grpc.v1.cri".containerd]
		    default_runtime_name = "runc"
		    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
		      runtime_type = "io.containerd.runc.v2"
		    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.carrel]
		      runtime_type = "io.containerd.runc.v2"
		      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.carrel.options]
		        BinaryName = "${CRI_RUNTIME_BINARY:-$CARREL}"
		        Root = "$C/runc"
	EOF
	containerd --config "$C/config.toml" >"$C/containerd.log" 2>&1 3>&- &
	echo $! >"$C/containerd.pid"
	for i in $(seq 100); do cri version >/dev/null 2>&1 && break; sleep 0.1; done
	cri version >/dev/null
	cri pull busybox:latest >/dev/null
	# the pod every scenario shares; runp's outcome decides what can run
	pod_config "$C/pod.json" cri-pod 1
	if cri runp --runtime carrel "$C/pod.json" >"$C/pod.id" 2>"$C/runp.err"; then
		echo ok >"$C/pod.ok"
	fi
}

teardown_file() {
	[ -n "${C:-}" ] && [ -d "$C" ] || return 0
	local p pid
	if [ -S "$C/containerd.sock" ]; then
		for p in $(cri pods -q 2>/dev/null); do
			cri stopp "$p" >/dev/null 2>&1 || true
			cri rmp "$p" >/dev/null 2>&1 || true
		done
	fi
	for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $C/containerd.sock" || true); do
		kill "$pid" 2>/dev/null || true
	done
	for p in containerd registry; do
		pid=$(cat "$C/$p.pid" 2>/dev/null || true)
		if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
			for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
			kill -9 "$pid" 2>/dev/null || true
		fi
	done
	[ -z "${BRIDGE:-}" ] || ip link del "$BRIDGE" 2>/dev/null || true
	engines_remove_cgroup "${C##*/}"
	pmc rmi -fa >/dev/null 2>&1 || true
	cp "$C/containerd.log" "$ENGINES_ROOT/cri-containerd.log" 2>/dev/null || true
	engines_cleanup_dir "$C"
}

cri() { "$C/bin/crictl" --runtime-endpoint "unix://$C/containerd.sock" --image-endpoint "unix://$C/containerd.sock" --timeout 30s "$@"; }
pmc() {
	podman --root "$C/proot" --runroot "$C/prunroot" --tmpdir "$C/ptmp" --storage-driver vfs \
		--cgroup-manager cgroupfs --events-backend file "$@"
}

# pod_config FILE NAME PIDMODE: a pod sandbox config; PIDMODE 0 = one pid
# namespace for the pod, 1 = one per container (CRI's NamespaceMode). Its
# cgroup parent is named after the temp dir, and removed in teardown_file.
pod_config() {
	jq -n --arg name "$2" --arg uid "uid-$2-$$" --arg logs "$C/logs" --argjson pid "$3" --arg cg "/${C##*/}" '{
		metadata: {name: $name, namespace: "carrel-test", uid: $uid, attempt: 0},
		log_directory: $logs,
		linux: {cgroup_parent: $cg, security_context: {namespace_options: {network: 0, pid: $pid, ipc: 0}}}
	}' >"$1"
}

# ctr_config FILE NAME ARGS-JSON [EXTRA-JQ]: a container config from busybox.
ctr_config() {
	jq -n --arg name "$2" --argjson args "$3" '{
		metadata: {name: $name},
		image: {image: "docker.io/library/busybox:latest"},
		command: $args,
		log_path: ($name + ".log"),
		linux: {security_context: {}}
	}' | jq "${4:-.}" >"$1"
}

# need_pod: the shared pod must run (a failed runp fails every scenario).
need_pod() {
	[ -f "$C/pod.ok" ] && return 0
	echo "runp failed: $(cat "$C/runp.err")"
	return 1
}

POD() { cat "$C/pod.id"; }

# start_in_pod NAME ARGS-JSON [EXTRA-JQ] [POD-ID POD-CONFIG]: create and start
# a container; its id in $CID.
start_in_pod() {
	local pod=${4:-$(POD)} podcfg=${5:-$C/pod.json}
	ctr_config "$C/$1.json" "$1" "$2" "${3:-.}"
	CID=$(cri create "$pod" "$C/$1.json" "$podcfg")
	cri start "$CID" >/dev/null
}

@test "cri: runp of a pod sandbox with the carrel handler runs, with its cpu.shares: 2 in its own cgroup" {
	need_pod
	run cri inspectp "$(POD)"
	[ "$status" -eq 0 ]
	[ "$(jq -r .status.state <<<"$output")" = SANDBOX_READY ]
	[ "$(jq -r .info.runtimeHandler <<<"$output")" = carrel ]
	[[ "$(jq -r .status.network.ip <<<"$output")" == 192.0.2.* ]]
	# the CRI plugin's cpu.shares: 2, served by the cpu controller's v1 hierarchy on this host
	local pid cg file want=2
	pid=$(jq -r .info.pid <<<"$output")
	[ "$(jq -r '.info.runtimeSpec.linux.resources.cpu.shares' <<<"$output")" = 2 ]
	cg=$(engines_cgroup "$pid" cpu)
	file=/sys/fs/cgroup/cpu$cg/cpu.shares
	if [ -z "$cg" ]; then # a cgroup v2 host: shares 2 is weight 1
		cg=$(engines_cgroup "$pid" "")
		file=/sys/fs/cgroup$cg/cpu.weight want=1
	fi
	[[ "$cg" == "/${C##*/}/"* ]] || { echo "the sandbox is in $cg"; false; }
	[ "$(cat "$file")" = "$want" ]
}

@test "cri: two containers share the pod's network and IPC namespaces" {
	need_pod
	# (the kubelet copies the pod's pid mode into each container's config)
	start_in_pod c1 '["sh", "-c", "echo shared > /dev/shm/x; sleep 1000"]' '.linux.security_context.namespace_options = {pid: 1}'
	local c1=$CID
	start_in_pod c2 '["sleep", "1000"]' '.linux.security_context.namespace_options = {pid: 1}'
	local c2=$CID
	local sp p1 p2
	sp=$(cri inspectp "$(POD)" | jq -r .info.pid)
	p1=$(cri inspect "$c1" | jq -r .info.pid)
	p2=$(cri inspect "$c2" | jq -r .info.pid)
	[ "$(readlink /proc/$p1/ns/net)" = "$(readlink /proc/$sp/ns/net)" ]
	[ "$(readlink /proc/$p2/ns/net)" = "$(readlink /proc/$sp/ns/net)" ]
	[ "$(readlink /proc/$p1/ns/ipc)" = "$(readlink /proc/$sp/ns/ipc)" ]
	[ "$(readlink /proc/$p2/ns/ipc)" = "$(readlink /proc/$sp/ns/ipc)" ]
	# the pod's pid mode is CONTAINER: each its own pid namespace
	[ "$(readlink /proc/$p1/ns/pid)" != "$(readlink /proc/$p2/ns/pid)" ]
	# IPC shared in fact: c2 reads what c1 put in /dev/shm
	run cri exec "$c2" cat /dev/shm/x
	[ "$output" = shared ]
	cri rm -f "$c1" "$c2" >/dev/null
}

@test "cri: a pod asking for one pid namespace shares it with its containers" {
	need_pod
	pod_config "$C/pidpod.json" pid-pod 0
	local pod
	pod=$(cri runp --runtime carrel "$C/pidpod.json")
	start_in_pod p1 '["sleep", "1000"]' . "$pod" "$C/pidpod.json"
	local sp p1
	sp=$(cri inspectp "$pod" | jq -r .info.pid)
	p1=$(cri inspect "$CID" | jq -r .info.pid)
	[ "$(readlink /proc/$p1/ns/pid)" = "$(readlink /proc/$sp/ns/pid)" ]
	# the pause process is pid 1 of the pod
	run cri exec "$CID" cat /proc/1/cmdline
	[[ "$output" == /pause* ]]
	cri stopp "$pod" >/dev/null
	cri rmp "$pod" >/dev/null
}

@test "cri: exec, exec -s, logs, stats, stop, rm" {
	need_pod
	# the kubelet's limits for a container: cpu.shares and a memory limit
	start_in_pod l1 '["sh", "-c", "echo to-the-log; trap \"exit 0\" TERM; while :; do sleep 0.1; done"]' \
		'.linux.resources = {cpu_shares: 512, memory_limit_in_bytes: 67108864}'
	run cri exec "$CID" sh -c 'echo in-exec; exit 3'
	echo "$output"
	# crictl itself exits 1 and reports the code
	[ "$status" -ne 0 ]
	[[ "$output" == "in-exec"*"command terminated with exit code 3"* ]]
	run cri exec -s "$CID" sh -c 'echo sync'
	[ "$status" -eq 0 ]
	[ "$output" = sync ]
	local i
	for i in $(seq 30); do cri logs "$CID" 2>&1 | grep -q to-the-log && break; sleep 0.1; done
	run cri logs "$CID"
	[ "$output" = to-the-log ]
	# the limits, from inside and in the container's own v1 cgroups on the host
	run cri exec -s "$CID" cat /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/memory/memory.limit_in_bytes
	echo "$output"
	[ "$output" = "512
67108864" ]
	local pid cg
	pid=$(cri inspect "$CID" | jq -r .info.pid)
	cg=$(engines_cgroup "$pid" memory)
	[[ "$cg" == "/${C##*/}/"* ]] && [ "$(engines_cgroup "$pid" cpu)" = "$cg" ] && [ "$(engines_cgroup "$pid" cpuacct)" = "$cg" ]
	[ "$(cat "/sys/fs/cgroup/cpu$cg/cpu.shares")" = 512 ]
	[ "$(cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes")" = 67108864 ]
	# stats: containerd's numbers are the cgroup files' (working set = usage - inactive file)
	local ws cpu
	ws=$(($(cat "/sys/fs/cgroup/memory$cg/memory.usage_in_bytes") -
		$(awk '$1 == "total_inactive_file" { print $2 }' "/sys/fs/cgroup/memory$cg/memory.stat")))
	cpu=$(cat "/sys/fs/cgroup/cpuacct$cg/cpuacct.usage")
	run cri stats -o json --id "$CID"
	echo "$output"
	echo "cgroup: working set $ws, cpuacct.usage $cpu"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.stats[0].attributes.id' <<<"$output")" = "$CID" ]
	# the loop keeps running between the reads: a small margin
	local d got
	got=$(jq -r '.stats[0].memory.workingSetBytes.value' <<<"$output")
	[ "$got" -gt 0 ] && [ "$ws" -gt 0 ]
	d=$((got - ws))
	[ "${d#-}" -lt $((ws / 4 + 262144)) ]
	d=$(($(jq -r '.stats[0].cpu.usageCoreNanoSeconds.value' <<<"$output") - cpu))
	[ "$d" -ge 0 ] && [ "$d" -lt 2000000000 ]
	run cri stop --timeout 10 "$CID"
	[ "$status" -eq 0 ]
	[ "$(cri inspect "$CID" | jq -r .status.state)" = CONTAINER_EXITED ]
	[ "$(cri inspect "$CID" | jq -r .status.exitCode)" = 0 ]
	run cri rm "$CID"
	[ "$status" -eq 0 ]
	run cri ps -a -q --id "$CID"
	[ -z "$output" ]
	# after every exit the shim ran `kill --all ID 9`, which must succeed
	run grep "failed to kill init's children" "$C/containerd.log"
	[ -z "$output" ]
}

@test "cri: a Bidirectional (rshared) volume: a mount made inside reaches the host" {
	need_pod
	mkdir -p "$C/shared/vol"
	mount --bind "$C/shared/vol" "$C/shared/vol"
	mount --make-rshared "$C/shared/vol"
	start_in_pod b1 '["sh", "-c", "mkdir -p /vol/inner && mount -t tmpfs inner-tmpfs /vol/inner && echo x > /vol/inner/f && sleep 1000"]' \
		'.mounts = [{container_path: "/vol", host_path: "'"$C/shared/vol"'", propagation: 2}]
		 | .linux.security_context.capabilities = {add_capabilities: ["SYS_ADMIN"]}'
	local i
	for i in $(seq 50); do grep -q " $C/shared/vol/inner " /proc/self/mounts && break; sleep 0.1; done
	grep -q "inner-tmpfs $C/shared/vol/inner tmpfs" /proc/self/mounts
	[ "$(cat "$C/shared/vol/inner/f")" = x ]
	# and nothing the container mounted on its rootfs (proc, dev, ...) shows on the host
	run awk -v s="$C/state/" 'index($5, s) == 1 && $5 ~ /\/rootfs\// { print $5 }' /proc/self/mountinfo
	[ -z "$output" ]
	cri rm -f "$CID" >/dev/null
	umount "$C/shared/vol/inner" 2>/dev/null || true
	umount "$C/shared/vol"
}

@test "cri: RuntimeDefault seccomp and a read-only rootfs" {
	need_pod
	start_in_pod s1 '["sleep", "1000"]' \
		'.linux.security_context.seccomp = {profile_type: 0} | .linux.security_context.readonly_rootfs = true'
	run cri exec "$CID" sh -c 'grep Seccomp: /proc/self/status | cut -f2; touch /x 2>/dev/null && echo rw || echo ro'
	echo "$output"
	[ "$output" = "2
ro" ]
	cri rm -f "$CID" >/dev/null
}

@test "cri: stopp and rmp remove the pod" {
	need_pod
	run cri stopp "$(POD)"
	[ "$status" -eq 0 ]
	run cri rmp "$(POD)"
	[ "$status" -eq 0 ]
	run cri pods -q
	[[ "$output" != *"$(POD)"* ]]
}
