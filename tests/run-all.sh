#!/usr/bin/env bash
# Run every test: the C unit tests (meson test) and the bats integration
# suite. Installs what is missing first (as root on Debian 12).
set -uo pipefail
cd "$(dirname "$0")/.."
. contrib/deps.sh
carrel_install_deps $CARREL_BUILD_DEPS $CARREL_TEST_DEPS || exit 1
carrel_build || exit 1

passed=0 failed=0 skipped=0

echo "== unit tests (meson test) =="
if meson test -C build --print-errorlogs > build/unit.log 2>&1; then unit_rc=0; else unit_rc=1; fi
cat build/unit.log | grep -E "^ *[0-9]+/[0-9]+ |Ok:|Fail:|Skipped:" || true
ok=$(awk '/^Ok:/ {print $2}' build/unit.log); bad=$(awk '/^Fail:/ {print $2}' build/unit.log)
sk=$(awk '/^Skipped:/ {print $2}' build/unit.log)
passed=$((passed + ${ok:-0})); failed=$((failed + ${bad:-0})); skipped=$((skipped + ${sk:-0}))
[ $unit_rc -eq 0 ] || { [ "${bad:-0}" -gt 0 ] || failed=$((failed + 1)); cat build/unit.log | tail -40; }

echo "== integration tests (bats) =="
export CARREL="$PWD/build/carrel"
bats --tap tests/integration > build/bats.tap 2>&1
bats_rc=$?
cat build/bats.tap
ok=$(grep -E '^ok [0-9]+' build/bats.tap | grep -vc '# skip' || true)
sk=$(grep -cE '^ok [0-9]+ .*# skip' build/bats.tap || true)
bad=$(grep -cE '^not ok [0-9]+' build/bats.tap || true)
passed=$((passed + ok - sk)); failed=$((failed + bad)); skipped=$((skipped + sk))
if [ $bats_rc -ne 0 ] && [ "$bad" -eq 0 ]; then failed=$((failed + 1)); echo "bats itself failed (rc=$bats_rc)"; fi

echo
echo "carrel: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
