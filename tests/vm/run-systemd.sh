#!/usr/bin/env bash
# The VM tier with systemd as the guest's PID 1 (and AppArmor on): boots
# /lib/systemd/systemd in the same overlay root as tests/vm/run.sh, and
# runs the command from carrel-tests.service once multi-user.target is up.
#
#   tests/vm/run-systemd.sh [COMMAND [ARG...]]   (default: tests/vm/guest-systemd-tests.sh)
#
# Exit status as tests/vm/run.sh (77: qemu, the kernel or systemd unavailable).
HERE=$(cd "$(dirname "$0")" && pwd)
# The guest runs the host's userland: systemd, and apparmor_parser for the
# AppArmor tests (neither is started on the host).
. "$HERE/../../contrib/deps.sh"
carrel_install_deps systemd apparmor >&2 || { echo "vm: SKIP: cannot install systemd and apparmor" >&2; exit 77; }
[ $# -gt 0 ] || set -- tests/vm/guest-systemd-tests.sh
CARREL_VM_INIT=systemd exec "$HERE/run.sh" "$@"
