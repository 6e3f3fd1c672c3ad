#!/usr/bin/env bash
# setup.sh — prepare this host (Debian 12, root) for the engine tests:
#   * install podman, conmon, containerd, docker.io, buildah (and what they need) with apt, only
#     when missing; no registry is contacted, ever;
#   * build carrel if needed;
#   * build a busybox image from Debian's busybox-static (tests/lib/make-rootfs.sh),
#     tar it, `podman import` it as localhost/carrel-busybox:latest into a
#     throw-away store and save it as a docker-archive, ENGINES_ROOT/busybox.tar
#     (default build/engines), which podman.bats loads (`podman load`) and
#     containerd.bats imports (`ctr images import`) into their private stores.
# Exit status: 0 ready, 77 the engines cannot be installed here, 1 other error.
set -euo pipefail
cd "$(dirname "$0")/../.."
. contrib/deps.sh

ENGINE_DEPS="podman conmon containerd containernetworking-plugins uidmap util-linux docker.io buildah docker-registry python3"
# containerd's package ships ctr and containerd-shim-runc-v2; runc is only a
# dependency of podman/containerd on Debian and is never used by the tests.
# docker.io brings dockerd, the docker client (/usr/bin/docker) and tini as
# docker-init. carrel_apt's policy-rc.d keeps its package scripts from
# starting a system dockerd or containerd: docker.bats runs a private one.
# docker-registry serves cri.bats' images from a private local registry.

if ! carrel_install_deps $CARREL_BUILD_DEPS bats jq $ENGINE_DEPS; then
	echo "setup.sh: cannot install $ENGINE_DEPS" >&2
	exit 77
fi
for b in podman conmon containerd ctr containerd-shim-runc-v2 script /usr/sbin/dockerd /usr/bin/docker buildah; do
	command -v "$b" >/dev/null || { echo "setup.sh: $b missing after install" >&2; exit 77; }
done
carrel_build

ENGINES_ROOT=${ENGINES_ROOT:-$PWD/build/engines}
IMAGE=localhost/carrel-busybox:latest
ARCHIVE=$ENGINES_ROOT/busybox.tar
mkdir -p "$ENGINES_ROOT"

stamp="$ENGINES_ROOT/busybox.stamp"
want="$(sha256sum /bin/busybox | cut -c1-16)-$(sha256sum tests/lib/make-rootfs.sh | cut -c1-16)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || [ ! -s "$ARCHIVE" ]; then
	# A throw-away podman store: the tests load $ARCHIVE into their own.
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	podman_img() {
		podman --root "$tmp/storage" --runroot "$tmp/runroot" --tmpdir "$tmp/tmp" \
			--storage-driver vfs --cgroup-manager cgroupfs --events-backend file "$@"
	}
	tests/lib/make-rootfs.sh "$tmp/rootfs"
	tar -C "$tmp/rootfs" --numeric-owner -cf "$tmp/rootfs.tar" .
	podman_img import -q --change 'CMD ["/bin/sh"]' \
		--change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' "$tmp/rootfs.tar" "$IMAGE" >/dev/null
	rm -f "$ARCHIVE"
	podman_img save -q --format docker-archive -o "$ARCHIVE.new" "$IMAGE"
	mv "$ARCHIVE.new" "$ARCHIVE"
	echo "$want" >"$stamp"
fi
echo "setup.sh: podman $(podman --version | awk '{print $3}'), containerd $(containerd --version | awk '{print $3}')," \
	"docker $(/usr/bin/docker --version | awk '{print $3}' | tr -d ,), buildah $(buildah --version | awk '{print $3}')," \
	"image $IMAGE in $ARCHIVE"
