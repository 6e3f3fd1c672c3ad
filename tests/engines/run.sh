#!/usr/bin/env bash
# run.sh — carrel under real container engines: installs podman and
# containerd, docker.io and buildah if missing (setup.sh), then runs the
# engine scenario files (podman, containerd, docker, buildah, cri).
# Exit status: 0 all passed, 1 a test failed, 77 the engines cannot be set up.
set -uo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "run.sh: needs root" >&2; exit 77; }
tests/engines/setup.sh
rc=$?
[ $rc -eq 0 ] || exit $rc
bats --tap tests/engines/podman.bats tests/engines/podman-rootless.bats tests/engines/containerd.bats tests/engines/docker.bats tests/engines/buildah.bats tests/engines/cri.bats
