#!/usr/bin/env bash
# Build the libFuzzer targets with clang (ASan + UBSan) and run each for
# FUZZ_SECONDS (default 60) on its corpus in tests/fuzz/corpus/<name>.
# New inputs that widen coverage land in a temporary directory; pass
# --merge to fold them into the corpus kept in the repository.
set -euo pipefail
cd "$(dirname "$0")/../.."
. contrib/deps.sh
carrel_install_deps clang libclang-rt-14-dev $CARREL_BUILD_DEPS
secs=${FUZZ_SECONDS:-60}
merge=0
[ "${1:-}" = --merge ] && merge=1

if [ ! -f build-fuzz/build.ninja ]; then
        CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C build-fuzz tests/fuzz/fuzz-spec tests/fuzz/fuzz-seccomp >/dev/null

status=0
for name in spec seccomp; do
        work=$(mktemp -d)
        trap 'rm -rf "$work"' EXIT
        echo "== fuzz-$name for ${secs}s =="
        if ! UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp \
                build-fuzz/tests/fuzz/fuzz-$name -max_total_time="$secs" -max_len=65536 -timeout=10 \
                -print_final_stats=1 -artifact_prefix="build-fuzz/" "$work" "tests/fuzz/corpus/$name" >"build-fuzz/fuzz-$name.log" 2>&1; then
                status=1
                tail -40 "build-fuzz/fuzz-$name.log"
        fi
        grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+ +DONE" "build-fuzz/fuzz-$name.log" || true
        if [ $merge = 1 ]; then
                build-fuzz/tests/fuzz/fuzz-$name -merge=1 "tests/fuzz/corpus/$name" "$work" >/dev/null 2>&1 || true
        fi
        rm -rf "$work"
done
exit $status
