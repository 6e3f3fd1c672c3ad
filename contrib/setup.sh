#!/usr/bin/env bash
# One command from a fresh Debian 12 machine (as root): install what is
# missing, build carrel, make a busybox rootfs and start a demo container.
set -euo pipefail
cd "$(dirname "$0")/.."
. contrib/deps.sh
carrel_install_deps $CARREL_BUILD_DEPS jq
carrel_build

demo=build/demo
if [ ! -d "$demo/rootfs/bin" ]; then
        mkdir -p "$demo"
        tests/lib/make-rootfs.sh "$demo/rootfs"
fi
rm -f "$demo/config.json"
build/carrel spec --bundle "$demo"
jq '.hostname = "carrel-demo" | .process.terminal = false
    | .process.args = ["sh", "-c", "echo \"hostname: $(hostname)\"; echo \"my pid: $$\"; echo mounts:; cat /proc/self/mounts"]' \
        "$demo/config.json" > "$demo/config.json.new"
mv "$demo/config.json.new" "$demo/config.json"

echo "== carrel run: a container from $demo =="
build/carrel --root "$PWD/build/demo-state" run --bundle "$demo" "demo-$$"
echo "== done. Try: build/carrel --root /run/carrel run --bundle $demo ID (see README.md) =="
