# Sourced by contrib/setup.sh and tests/run-all.sh: install what is missing.
# Debian 12 package names; runs apt only when something is not installed.
CARREL_BUILD_DEPS="gcc libc6-dev meson ninja-build pkg-config libseccomp-dev libcap-dev libmnl-dev libjansson-dev busybox-static"
CARREL_TEST_DEPS="bats jq iproute2 man-db util-linux clang libclang-rt-14-dev python3"

carrel_install_deps() {
        local missing=() p
        for p in "$@"; do
                dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
        done
        [ ${#missing[@]} -eq 0 ] && return 0
        echo "installing: ${missing[*]}"
        if [ "$(id -u)" != 0 ]; then
                echo "carrel: run as root to install ${missing[*]}" >&2
                return 1
        fi
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

carrel_build() {
        if [ ! -f build/build.ninja ]; then
                meson setup build -Dbuildtype=debugoptimized >/dev/null
        fi
        ninja -C build >/dev/null
}
