#!/usr/bin/env bash
# deps.sh - install the Debian packages micrOS-C needs, if any are missing.
#   scripts/deps.sh run    packages to build and run the node
#   scripts/deps.sh test   packages to build and run every test as well
# As root it installs them with apt-get; otherwise it prints the command and stops.
set -euo pipefail

want=(build-essential cmake pkg-config libcjson-dev libhttp-parser-dev libedit-dev libgpiod-dev)
want+=(zlib1g-dev)  # tools/pack gzips the web UI
want+=(libavahi-client-dev)  # mDNS: announce <devfid>.local, resolve .local (optional)
want+=(libc-ares-dev)  # asynchronous DNS for InterCon names (optional)
if [ "${1:-run}" = "test" ]; then
    want+=(libcmocka-dev python3 clang)
    want+=(chromium nodejs npm)  # browser tests (tests/browser, Playwright on Debian's chromium)
    want+=(avahi-daemon)  # test_names: one daemon per network namespace
    want+=(libnss-mdns)  # test_names: getent hosts <devfid>.local
    want+=(dbus)  # test_names: a private system bus per namespace for avahi
    want+=(iproute2)  # test_names: ip netns, veth pairs
    want+=(util-linux)  # test_names: nsenter, unshare
    want+=(avahi-utils)  # docs/names.md checks (avahi-browse, avahi-resolve)
    want+=(prometheus)  # test_metrics: a real Prometheus scrapes nodes and the gateway; promtool
fi
# cross: tests/cross/run.sh (Cortex-M build, micros for arm64/armhf run under qemu-user).
# libhttp-parser-dev is not multi-arch: the host header serves, with the target's runtime library.
arches=()
if [ "${1:-run}" = "cross" ]; then
    arches=(arm64 armhf)
    want=(gcc-arm-none-eabi libnewlib-arm-none-eabi gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf
          qemu-user file libcjson-dev:arm64 libhttp-parser2.9:arm64 libcjson-dev:armhf
          libhttp-parser2.9:armhf)
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
echo "Installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
for a in "${arches[@]}"; do
    dpkg --print-foreign-architectures | grep -qx "$a" || dpkg --add-architecture "$a"
done
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
