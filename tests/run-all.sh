#!/usr/bin/env bash
# Run every test (as root on Debian 12; installs what is missing first):
#   1. C unit tests (meson test)
#   2. the bats integration suite on this host (tests/integration)
#   3. the same unit and bats tests against an ASan+UBSan build
#   4. a short smoke run of each libFuzzer target (tests/fuzz), and the crash
#      sweep: each lifecycle command SIGKILLed at sampled system calls, then
#      state and delete --force checked (tests/crash; CARREL_CRASH_FULL=1: all)
#   5. the engine tier: podman (with conmon), containerd (with its runc v2
#      shim, through ctr and CRI), Docker, buildah and podman build driving
#      carrel (tests/engines; installs them with apt)
#   6. the VM tier: cgroup v2 tests in a qemu guest (tests/vm), or natively
#      on a host that already has pure cgroup v2; the guest also runs podman's
#      resource scenarios with the image the engine tier made
#      (the Debian systemd guest only opt-in: tests/vm/README.md);
#      then a second boot with only cgroup v1 hierarchies (no cgroup2) runs
#      tests/integration/cgroup-v1.bats (stage vm-v1)
#   7. the systemd VM tier: the same guest with systemd as PID 1 and AppArmor
#      on (tests/vm/run-systemd.sh, tests/vm-systemd); it also runs containerd
#      and podman on carrel's systemd cgroup driver with the engine tier's image
# Set CARREL_SKIP="asan fuzz crash vm vm-v1 vm-systemd engines" to leave stages out while developing.
set -uo pipefail
cd "$(dirname "$0")/.."
. contrib/deps.sh
carrel_install_deps $CARREL_BUILD_DEPS $CARREL_TEST_DEPS || exit 1
carrel_build || exit 1

passed=0 failed=0 skipped=0
skip_stage() { [[ " ${CARREL_SKIP:-} " == *" $1 "* ]]; }

# count_tap FILE: add a TAP stream's results to the totals.
count_tap() {
        local ok sk bad
        ok=$(grep -E '^ok [0-9]+' "$1" | grep -vc '# skip' || true)
        sk=$(grep -cE '^ok [0-9]+ .*# skip' "$1" || true)
        bad=$(grep -cE '^not ok [0-9]+' "$1" || true)
        passed=$((passed + ok)); failed=$((failed + bad)); skipped=$((skipped + sk))
        echo "   $ok passed, $bad failed, $sk skipped"
}

# unit BUILDDIR
unit() {
        echo "== unit tests ($1) =="
        meson test -C "$1" --print-errorlogs >"$1/unit.log" 2>&1
        local rc=$?
        grep -E "^ *[0-9]+/[0-9]+ " "$1/unit.log" || true
        local ok bad
        ok=$(awk '/^Ok:/ {print $2}' "$1/unit.log"); bad=$(awk '/^Fail:/ {print $2}' "$1/unit.log")
        passed=$((passed + ${ok:-0})); failed=$((failed + ${bad:-0}))
        if [ $rc -ne 0 ]; then
                [ "${bad:-0}" -gt 0 ] || failed=$((failed + 1))
                tail -60 "$1/unit.log"
        fi
}

# bats_tier NAME BINARY DIR...
bats_tier() {
        local name=$1 bin=$2 log=build/bats-$1.tap
        shift 2
        echo "== integration tests ($name) =="
        CARREL=$bin bats --tap "$@" >"$log" 2>&1
        local rc=$?
        grep -E '^not ok|^# ' "$log" | head -80 || true
        count_tap "$log"
        if [ $rc -ne 0 ] && ! grep -qE '^not ok' "$log"; then
                failed=$((failed + 1))
                echo "bats failed to run (rc=$rc):"; tail -20 "$log"
        fi
}

# script_tier NAME TITLE SCRIPT: a tier whose script prints TAP and exits
# 77 when this machine cannot run it (the reason is its last stderr line).
script_tier() {
        local name=$1 tap=build/bats-$1.tap log=build/$1.log rc
        echo "== $2 =="
        "$3" >"$tap" 2>"$log"
        rc=$?
        grep -E '^not ok|^# ' "$tap" | head -60 || true
        if [ $rc -eq 77 ]; then
                echo "   skipped: $(tail -1 "$log")"; skipped=$((skipped + 1))
                return
        fi
        count_tap "$tap"
        if [ $rc -ne 0 ] && ! grep -qE '^not ok' "$tap"; then
                failed=$((failed + 1)); echo "$name tier failed (rc=$rc):"; tail -30 "$log"
        fi
}

unit build
bats_tier host "$PWD/build/carrel" tests/integration

if ! skip_stage asan; then
        echo "== ASan+UBSan build =="
        [ -f build-asan/build.ninja ] ||
                meson setup build-asan -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
        if ninja -C build-asan >/dev/null; then
                export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
                unit build-asan
                # Containers and carrel exit through _exit and exec; leak reports there are noise.
                # The Debian systemd guest (minutes of booting the guest's own
                # systemd) runs on the normal build only: it adds no carrel code
                # path the other files do not already run under the sanitizers.
                asan_files=()
                for f in tests/integration/*.bats; do
                        [ "$f" = tests/integration/systemd-guest.bats ] || asan_files+=("$f")
                done
                ASAN_OPTIONS=detect_leaks=0 bats_tier asan "$PWD/build-asan/carrel" "${asan_files[@]}"
                unset UBSAN_OPTIONS
        else
                echo "sanitizer build failed"; failed=$((failed + 1))
        fi
fi

if ! skip_stage fuzz; then
        echo "== fuzz smoke =="
        if FUZZ_SECONDS=${FUZZ_SECONDS:-60} tests/fuzz/run.sh; then
                passed=$((passed + 2))
        else
                failed=$((failed + 1))
        fi
fi

if ! skip_stage crash; then
        # CARREL_CRASH_FULL=1 kills at every system call instead of a sample.
        CARREL="$PWD/build/carrel" script_tier crash "crash sweep (SIGKILL at sampled system calls)" tests/crash/run.sh
fi

if ! skip_stage engines; then
        script_tier engines "engine tier (podman, containerd, docker, buildah, cri)" tests/engines/run.sh
fi

if ! skip_stage vm; then
        root=$(stat -fc %T /sys/fs/cgroup 2>/dev/null)
        if [ "$root" = cgroup2fs ] && grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
                bats_tier cgroup-native "$PWD/build/carrel" tests/integration-cgroup
        else
                script_tier vm "VM tier (pure cgroup v2 in qemu)" tests/vm/run.sh
        fi
fi

if ! skip_stage vm-v1; then
        CARREL_VM_CGROUP=v1 script_tier vm-v1 "VM tier (pure cgroup v1 in qemu)" tests/vm/run.sh
fi

if ! skip_stage vm-systemd; then
        script_tier vm-systemd "systemd VM tier (systemd as PID 1, AppArmor, in qemu)" tests/vm/run-systemd.sh
fi

echo
echo "carrel: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
