#!/usr/bin/env bash
# deps.sh - install the Debian packages micrOS-C needs, if any are missing.
#   scripts/deps.sh run    packages to build and run the node (make run)
#   scripts/deps.sh test   packages to build and run every test as well (make test), cross included
#   scripts/deps.sh cross  only the cross-build packages (tests/cross/run.sh)
#   scripts/deps.sh list [run|test|cross]   print the packages, one a line, and stop
# As root it installs them with apt-get; otherwise it prints the command and stops.
# Every package is named here, one line each with why: never rely on Recommends
# (the install uses --no-install-recommends, like a minimal Debian does).
set -euo pipefail
if [ "${1:-}" = list ]; then
    DEPS_LIST=1 exec "$0" "${2:-run}"
fi

want=(build-essential cmake pkg-config libcjson-dev libhttp-parser-dev libedit-dev libgpiod-dev)
want+=(zlib1g-dev)  # tools/pack gzips the web UI; micros unpacks .tar.gz update bundles
want+=(libcurl4-openssl-dev)  # hal_httpc: HTTP(S) client for webhooks, Telegram, downloads
want+=(libmosquitto-dev)  # MQTT client (svc/mqtt, Home Assistant discovery)
want+=(liblua5.4-dev)  # Lua Load Modules (svc/luamod.c; optional: MICROS_LUA)
want+=(libavahi-client-dev)  # mDNS: announce <devfid>.local, resolve .local (optional)
want+=(libc-ares-dev)  # asynchronous DNS for InterCon names (optional)
if [ "${1:-run}" = "test" ]; then
    want+=(libcmocka-dev python3 clang)
    want+=(libclang-rt-14-dev)  # fuzz: clang's ASan/UBSan/libFuzzer runtimes (only a Recommends of clang)
    want+=(mosquitto)  # MQTT tests start a real broker
    want+=(mosquitto-clients)  # mosquitto_sub/pub in the MQTT tests and bench
    want+=(openssl)  # tests make a throw-away CA for the TLS broker and HTTPS stubs
    want+=(chromium nodejs npm)  # browser tests (tests/browser, Playwright on Debian's chromium)
    want+=(avahi-daemon)  # test_names: one daemon per network namespace
    want+=(libnss-mdns)  # test_names: getent hosts <devfid>.local
    want+=(dbus)  # test_names: a private system bus per namespace for avahi
    want+=(iproute2)  # test_names: ip netns, veth pairs
    want+=(util-linux)  # test_names: nsenter, unshare
    want+=(avahi-utils)  # docs/names.md checks (avahi-browse, avahi-resolve)
    want+=(prometheus)  # test_metrics: a real Prometheus scrapes nodes and the gateway; promtool
    want+=(clang-format cppcheck git)  # scripts/lint.sh, CI's lint gate (.ci/run)
    want+=(debootstrap)  # tests/package: the .deb installed into a fresh Debian 12 chroot
fi
# cross (part of test): tests/cross/run.sh (Cortex-M build, micros for arm64/armhf under qemu-user).
# libhttp-parser-dev is not multi-arch: the host header serves, with the target's runtime library.
# The libc6-dev-*-cross packages are only Recommends of the cross compilers: named here.
mode=${1:-run}
arches=()
if [ "$mode" = cross ]; then
    want=()
fi
if [ "$mode" = cross ] || [ "$mode" = test ]; then
    arches=(arm64 armhf)
    want+=(gcc-arm-none-eabi libnewlib-arm-none-eabi)  # Cortex-M build of the portable layers
    want+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)  # micros for arm64
    want+=(gcc-arm-linux-gnueabihf libc6-dev-armhf-cross)  # micros for armhf
    want+=(qemu-user file)  # run the arm64/armhf micros under qemu-user; file names the binary
    want+=(libcjson-dev:arm64 libhttp-parser2.9:arm64)  # target libraries (multiarch)
    want+=(libcjson-dev:armhf libhttp-parser2.9:armhf)
    # Lua in the arm64/armhf micros: the runtime library with the host's (Multi-Arch: same) headers;
    # liblua5.4-dev:<arch> would pull libc6-dev:<arch>, co-installable only at the host's exact version.
    want+=(liblua5.4-0:arm64)  # Lua Load Modules in the arm64 micros (tests/cross/run.sh)
    want+=(liblua5.4-0:armhf)  # Lua Load Modules in the armhf micros
fi
case "$mode" in
run | test | cross) ;;
*) echo "usage: $0 run|test|cross|list [run|test|cross]" >&2; exit 2 ;;
esac
if [ -n "${DEPS_LIST:-}" ]; then
    printf '%s\n' "${want[@]}"
    exit 0
fi

missing=()
for p in "${want[@]}"; do
    # A Node.js from another source (which bundles npm) serves as well as Debian's.
    if [ "$p" = nodejs ] || [ "$p" = npm ]; then command -v "$p" >/dev/null && continue; fi
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

addarch=""
for a in "${arches[@]}"; do
    dpkg --print-foreign-architectures | grep -qx "$a" || addarch+="dpkg --add-architecture $a && "
done
cmd="${addarch}apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "micrOS-C needs these Debian packages: ${missing[*]}" >&2
    echo "Install them as root, then run this again:" >&2
    echo "    sudo sh -c '$cmd'" >&2
    exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
for a in "${arches[@]}"; do
    dpkg --print-foreign-architectures | grep -qx "$a" || dpkg --add-architecture "$a"
done
apt=(apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)

# One index that fails to download (a mirror in the middle of a sync, one architecture's
# security index) must not end the run: retry a few times, then go on with what we have and let
# the install say whether the packages can still be had.
for i in 1 2 3 4; do
    if "${apt[@]}" update -qq; then
        break
    fi
    if [ "$i" -eq 4 ]; then
        echo "deps: apt-get update failed 4 times; trying the install with the indexes we have" >&2
    else
        echo "deps: apt-get update failed (try $i of 4); again in $((i * 5)) s" >&2
        sleep $((i * 5))
    fi
done

for i in 1 2 3; do
    if "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}"; then
        exit 0
    fi
    [ "$i" -lt 3 ] && { echo "deps: apt-get install failed (try $i of 3); again in 15 s" >&2; sleep 15; }
done

# Say which packages cannot be had (no installation candidate in the configured sources).
gone=()
for p in "${missing[@]}"; do
    cand=$(apt-cache policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
    if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then
        gone+=("$p")
    fi
done
if [ ${#gone[@]} -gt 0 ]; then
    echo "deps: these packages cannot be had from the apt sources of this machine: ${gone[*]}" >&2
    echo "deps: (is this Debian 12 with the main component? see /etc/apt/sources.list.d/)" >&2
else
    echo "deps: apt-get install failed although every package has a candidate (see the errors above)" >&2
fi
exit 1
