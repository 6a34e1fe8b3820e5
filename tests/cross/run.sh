#!/usr/bin/env bash
# run.sh - the portable-core and cross builds (issue 8, docs/reliability.md):
#  1. Cortex-M4 (arm-none-eabi-gcc + newlib-nano, -Os): the portable layers (core, svc, net,
#     modules, app) as a static library, linked with port/cortexm into an image; sizes from
#     arm-none-eabi-size. cJSON has no Cortex-M build in Debian (libcjson-dev ships host
#     headers and .so only) and is not vendored: the image is linked with its functions left
#     unresolved, and the script lists them. Lua is not built for Cortex-M (no MICROS_HAVE_LUA:
#     svc/luamod.c answers "this build runs no Lua modules"), rather than leaving lua_* unresolved
#     too: nothing refers to a library the image lacks, and Lua on an MCU is the port's choice
#     (docs/reliability.md section 5).
#  2. micros for arm64 and armhf with Debian's cross compilers and multiarch libraries, with Lua;
#     the black-box shell tests and three Lua tests run against each under qemu-user.
#   tests/cross/run.sh [--build DIR] [--only cortexm|arm64|armhf]...
# scripts/deps.sh cross installs what it needs (root); without the tools it fails and says so.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build-cross
only=()
while [ $# -gt 0 ]; do
    case "$1" in
    --build) build=$2; shift 2 ;;
    --only) only+=("$2"); shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--only cortexm|arm64|armhf]" >&2; exit 2 ;;
    esac
done
[ ${#only[@]} -eq 0 ] && only=(cortexm arm64 armhf)
mkdir -p "$build"
want() { local x; for x in "${only[@]}"; do [ "$x" = "$1" ] && return 0; done; return 1; }

# Headers only, from the host packages (they are the same on every target).
inc=$build/inc
mkdir -p "$inc/cjson"
ln -sf /usr/include/cjson/cJSON.h "$inc/cjson/cJSON.h"
ln -sf /usr/include/http_parser.h "$inc/http_parser.h"

sources() { # the source files of the named CMake lists in Filelists.cmake
    local l
    for l in "$@"; do
        sed -n "/^set($l\$/,/^)/p" "$root/Filelists.cmake" | grep '\.c$' | sed 's/^ *//'
    done
}

# tools/pack runs on this machine: build it natively once, for the web UI every image carries.
if [ ! -x "$build/pack" ]; then
    cc -O2 -o "$build/pack" "$root/tools/pack.c" -lz
fi

# ccache when the machine has it: a rerun of this test then compiles only what changed.
ccache=()
launcher=()
if command -v ccache >/dev/null; then
    ccache=(ccache)
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi

fail=0
if want cortexm; then
    out=$build/cortexm
    rm -rf "$out" && mkdir -p "$out/obj"
    # newlib's headers first: Debian's arm-none-eabi gcc would otherwise take its freestanding
    # <stdint.h>, without which newlib's <inttypes.h> has no PRId64.
    cflags=(-mcpu=cortex-m4 -mthumb -Os -std=c11 -ffunction-sections -fdata-sections
            -Wall -Wextra -Wshadow -Wundef -Wmissing-prototypes -Werror
            -isystem /usr/include/newlib -isystem "$inc" -I "$root")
    objs=()
    for s in $(sources CORE_SOURCES SVC_SOURCES NET_SOURCES MODULE_SOURCES APP_SOURCES); do
        o=$out/obj/$(echo "$s" | tr / _).o
        "${ccache[@]}" arm-none-eabi-gcc "${cflags[@]}" -c "$root/$s" -o "$o"
        objs+=("$o")
    done
    web=$(sed -n '/^set(WEB_FILES$/,/^)/p' "$root/Filelists.cmake" | grep '^ *web/' | sed 's|^ *web/||')
    # shellcheck disable=SC2086
    "$build/pack" "$out/web_assets.c" "$root/web" $web
    "${ccache[@]}" arm-none-eabi-gcc "${cflags[@]}" -c "$out/web_assets.c" -o "$out/obj/web_assets.o"
    objs+=("$out/obj/web_assets.o")
    arm-none-eabi-ar rcs "$out/libmicros_portable.a" "${objs[@]}"
    port=()
    # port/none: the hal of optional clients (HTTP, MQTT) for a build without their library
    for s in "$root"/port/cortexm/*.c "$root"/port/none/*.c; do
        o=$out/obj/port_$(basename "$s" .c).o
        "${ccache[@]}" arm-none-eabi-gcc "${cflags[@]}" -c "$s" -o "$o"
        port+=("$o")
    done
    lflags=(-mcpu=cortex-m4 -mthumb --specs=nano.specs --specs=nosys.specs -Wl,--gc-sections)
    arm-none-eabi-gcc "${lflags[@]}" "${port[@]}" "$out/libmicros_portable.a" -lm \
        -o "$out/undef.elf" >"$out/link.log" 2>&1 || true
    missing=$(grep -o "undefined reference to \`[A-Za-z_0-9]*'" "$out/link.log" |
              sed "s/.*\`\(.*\)'/\1/" | sort -u)
    # cJSON and http_parser: Debian ships them for the host only (ESP-IDF ships both for MCUs)
    other=$(echo "$missing" | grep -v -e '^cJSON_' -e '^http_parser_' -e '^http_should_keep_alive$' -e '^http_errno_' -e '^http_method_str$' -e '^http_body_is_final$' || true)
    if [ -n "$other" ]; then
        echo "cross: cortexm: unresolved symbols besides cJSON and http_parser: $other" >&2
        fail=1
    fi
    arm-none-eabi-gcc "${lflags[@]}" -Wl,--unresolved-symbols=ignore-in-object-files \
        "${port[@]}" "$out/libmicros_portable.a" -lm -o "$out/micros-cortexm.elf" \
        >"$out/link2.log" 2>&1
    lib=$(arm-none-eabi-size -t "$out/libmicros_portable.a" | tail -1)
    img=$(arm-none-eabi-size "$out/micros-cortexm.elf" | tail -1)
    read -r lt ld lb _ <<<"$lib"
    read -r it id ib _ <<<"$img"
    echo "cross: cortexm: portable layers (${#objs[@]} objects, -Os Thumb-2): text $lt, data $ld, bss $lb bytes"
    fs=$((16#$(arm-none-eabi-nm -S "$out/micros-cortexm.elf" | awk '$4=="s_files"{print $2}')))
    echo "cross: cortexm: image with port/cortexm + newlib-nano: flash $((it + id)) bytes (text $it + data $id), static RAM $((id + ib)) bytes (data $id + bss $ib, of which the RAM file system $fs)"
    echo "cross: cortexm: left unresolved (no Cortex-M build in Debian): $(echo "$missing" | grep -c '^cJSON_') cJSON and $(echo "$missing" | grep -c -e '^http_parser_' -e '^http_should_keep_alive$' -e '^http_errno_' -e '^http_method_str$' -e '^http_body_is_final$') http_parser functions"
fi

cross_node() { # arch triplet qemu
    local arch=$1 triplet=$2 qemu=$3 out=$build/$1
    if ! command -v "$triplet-gcc" >/dev/null || ! command -v "$qemu" >/dev/null; then
        echo "cross: $arch: $triplet-gcc or $qemu missing (scripts/deps.sh cross)" >&2
        return 1
    fi
    local hp
    hp=$(ls /usr/lib/"$triplet"/libhttp_parser.so* 2>/dev/null | head -1)
    [ -n "$hp" ] || { echo "cross: $arch: libhttp-parser2.9:$arch missing" >&2; return 1; }
    rm -rf "$out"
    # Lua 5.4 from the target's runtime library (liblua5.4-0:<arch>) and the host's headers, through
    # a .pc file of our own. liblua5.4-dev is Multi-Arch: same, so its headers are the same file on
    # every architecture (only lua5.4-deb-multiarch.h, the C-module search path we never use, is per
    # architecture: written here). The :<arch> -dev package itself pulls libc6-dev:<arch>, which apt
    # co-installs only when it has the very same version as the host's: not when the mirror's
    # security index for the foreign architectures lags (as on this machine), so we do not need it.
    local lua=/usr/lib/$triplet/liblua5.4.so.0
    [ -e "$lua" ] || { echo "cross: $arch: liblua5.4-0:$arch missing (scripts/deps.sh cross)" >&2; return 1; }
    mkdir -p "$out/lua"
    ln -sf "$lua" "$out/lua/liblua5.4.so"
    printf '#define DEB_HOST_MULTIARCH "%s"\n' "$triplet" >"$out/lua/lua5.4-deb-multiarch.h"
    cat >"$out/lua/lua5.4.pc" <<EOP
Name: Lua
Description: Lua 5.4 (host headers, $arch runtime library)
Version: $(pkg-config --modversion lua5.4)
Libs: -L$out/lua -llua5.4
Cflags: -I/usr/include/lua5.4 -I$out/lua
EOP
    # pkg-config sees the target's .pc files only (never the host's), plus our lua5.4.pc. The other
    # optional libraries are off here: libcurl, libmosquitto and avahi-client's :<arch> packages pull
    # libssl3/libsystemd0:<arch>, which must match the host's security-updated versions (see above);
    # c-ares and libgpiod would co-install but test_shell does not use them. Their "not built" paths
    # answer as they do in a host build without them.
    PKG_CONFIG_LIBDIR=$out/lua:/usr/lib/$triplet/pkgconfig:/usr/share/pkgconfig \
    cmake -S "$root" -B "$out" -DCMAKE_BUILD_TYPE=Release -DMICROS_TESTS=OFF -DMICROS_WERROR=ON \
        -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR="$arch" \
        -DCMAKE_C_COMPILER="$triplet-gcc" "${launcher[@]}" \
        -DCMAKE_FIND_ROOT_PATH="/usr/$triplet;/usr/lib/$triplet" \
        -DHTTP_PARSER_INCLUDE="$inc" -DHTTP_PARSER_LIB="$hp" -DMICROS_PACK_TOOL="$build/pack" -DMICROS_CTL=OFF \
        -DMICROS_LUA=ON -DMICROS_CURL=OFF -DMICROS_MQTT=OFF -DMICROS_NAMES=OFF -DMICROS_GPIOD=OFF \
        -DCMAKE_INSTALL_PREFIX=/usr \
        >"$out.cmake.log" 2>&1 || { cat "$out.cmake.log"; return 1; }
    cmake --build "$out" -j 2 --target micros >"$out.build.log" 2>&1 || { cat "$out.build.log"; return 1; }
    grep -q 'Found lua5.4' "$out.cmake.log" || { echo "cross: $arch: built without Lua" >&2; return 1; }
    file "$out/micros" 2>/dev/null | sed "s|^|cross: $arch: |" || true
    # the black-box tests start this wrapper as if it were micros
    cat >"$out/micros-qemu" <<EOS
#!/bin/sh
exec $qemu -L /usr/$triplet "$out/micros" "\$@"
EOS
    chmod +x "$out/micros-qemu"
    local t0=$SECONDS
    # MICROS_QEMU: reboot re-executes /proc/self/exe, which under qemu-user is qemu itself
    if MICROS_QEMU=1 python3 "$root/tests/blackbox/test_shell.py" --micros "$out/micros-qemu" >"$out.test.log" 2>&1; then
        echo "cross: $arch: test_shell under $qemu: $(grep -E '^Ran ' "$out.test.log"), OK in $((SECONDS - t0)) s"
    else
        echo "cross: $arch: test_shell under $qemu FAILED:" >&2
        tail -30 "$out.test.log" >&2
        return 1
    fi
    # Lua on the target: calls, the sandbox and the memory cap (the allocator) under qemu-user
    t0=$SECONDS
    if MICROS_QEMU=1 python3 "$root/tests/blackbox/test_lua.py" --micros "$out/micros-qemu" \
        Lua.test_shell_calls Lua.test_sandbox Lua.test_memory_bomb_stopped >"$out.lua.log" 2>&1; then
        echo "cross: $arch: test_lua (calls, sandbox, memory cap) under $qemu: $(grep -E '^Ran ' "$out.lua.log"), OK in $((SECONDS - t0)) s"
    else
        echo "cross: $arch: test_lua under $qemu FAILED:" >&2
        tail -30 "$out.lua.log" >&2
        return 1
    fi
    # The .deb for this architecture (cpack; dpkg-shlibdeps reads the target's multiarch
    # libraries for its Depends). microsctl is left out of cross builds (libedit for the target).
    if (cd "$out" && cpack -G DEB >"$out.cpack.log" 2>&1); then
        local deb
        deb=$(ls "$out"/micros_*_"$arch".deb 2>/dev/null | head -1)
        [ -n "$deb" ] || { echo "cross: $arch: cpack made no micros_*_$arch.deb" >&2; return 1; }
        echo "cross: $arch: $(basename "$deb"), Depends: $(dpkg-deb -f "$deb" Depends)"
    else
        echo "cross: $arch: cpack -G DEB FAILED:" >&2
        tail -20 "$out.cpack.log" >&2
        return 1
    fi
}
if want arm64; then cross_node arm64 aarch64-linux-gnu qemu-aarch64 || fail=1; fi
if want armhf; then cross_node armhf arm-linux-gnueabihf qemu-arm || fail=1; fi
exit $fail
