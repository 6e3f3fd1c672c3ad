# Sourced by contrib/setup.sh and tests/run-all.sh: install what is missing.
# Debian 12 package names; runs apt only when something is not installed.
CARREL_BUILD_DEPS="gcc libc6-dev meson ninja-build pkg-config libseccomp-dev libcap-dev libmnl-dev libjansson-dev libsystemd-dev busybox-static"
# debootstrap builds the Debian guest of systemd-guest.bats; systemd-container
# (systemd-nspawn) boots it too, for the time to compare with.
CARREL_TEST_DEPS="bats jq iproute2 man-db util-linux clang libclang-rt-14-dev python3 strace debootstrap systemd-container"

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
        carrel_apt update -qq
        carrel_apt install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# carrel_apt ARGS...: apt-get that waits up to 10 minutes for the dpkg lock and
# never starts a daemon from a package's maintainer scripts (docker.io and
# containerd would start system-wide ones; the tests run private ones).
carrel_apt() {
        local policy=/usr/sbin/policy-rc.d made=0 rc
        if [ ! -e "$policy" ]; then
                printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made=1
        fi
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"
        rc=$?
        [ $made -eq 0 ] || rm -f "$policy"
        return $rc
}

carrel_build() {
        if [ ! -f build/build.ninja ]; then
                meson setup build -Dbuildtype=debugoptimized >/dev/null
        fi
        ninja -C build >/dev/null
}
