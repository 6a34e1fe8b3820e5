#!/usr/bin/env bash
# deb_chroot.sh - the .deb on a pristine Debian 12: builds it (Release, prefix /usr, like
# `make deb`) in its own build folder, installs it with apt into a fresh debootstrap'ed
# bookworm minbase chroot (apt resolves the dependencies the package declares), checks what the
# package set up (user micros, /var/lib/micros, the systemd unit, the man page) and runs the
# installed micros as the user micros: `micros --version`, then a shell `hello` over loopback.
#   tests/package/deb_chroot.sh [--build DIR]
# Needs root (chroot, mounts) and debootstrap (scripts/deps.sh test). Exit 77 (skipped, with the
# reason) only when not root or when debootstrap cannot reach the Debian mirror. The minbase
# tree is cached as a tarball ($MICROS_CHROOT_CACHE, default
# /var/cache/micros-test/bookworm-minbase.tar) after the first run.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build-deb-test
while [ $# -gt 0 ]; do
    case "$1" in
    --build) build=$2; shift 2 ;;
    *) echo "usage: $0 [--build DIR]" >&2; exit 2 ;;
    esac
done
mirror=${MICROS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache=${MICROS_CHROOT_CACHE:-/var/cache/micros-test/bookworm-minbase.tar}
skip() { echo "skipped: $*"; exit 77; }
fail() { echo "deb: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot and mounts)"
command -v debootstrap >/dev/null || fail "debootstrap is missing (scripts/deps.sh test installs it)"
mkdir -p "$build"

# 1. The package.
deb_build=$build/deb
cmake -S "$root" -B "$deb_build" -DCMAKE_BUILD_TYPE=Release -DMICROS_TESTS=OFF \
      -DCMAKE_INSTALL_PREFIX=/usr >"$build/cmake.log" 2>&1 || { cat "$build/cmake.log"; fail "cmake"; }
cmake --build "$deb_build" -j 2 --target micros microsctl >"$build/build.log" 2>&1 ||
    { tail -30 "$build/build.log"; fail "build"; }
rm -f "$deb_build"/micros_*.deb
(cd "$deb_build" && cpack -G DEB >"$build/cpack.log" 2>&1) || { cat "$build/cpack.log"; fail "cpack"; }
deb=$(ls "$deb_build"/micros_*.deb)
echo "deb: built $(basename "$deb"); $(dpkg-deb -f "$deb" Depends | sed 's/^/Depends: /')"

# 2. A fresh bookworm minbase (cached).
if [ ! -f "$cache" ]; then
    mkdir -p "$(dirname "$cache")"
    boot=$(mktemp -d /tmp/micros-debootstrap.XXXXXX)
    if ! debootstrap --variant=minbase bookworm "$boot/root" "$mirror" >"$build/debootstrap.log" 2>&1; then
        rm -rf "$boot"
        if grep -q -i -E "Failed getting release file|Could not resolve|unable to connect|Failure trying to run: .*wget|Temporary failure" "$build/debootstrap.log"; then
            skip "debootstrap cannot reach the Debian mirror $mirror (see $build/debootstrap.log)"
        fi
        tail -20 "$build/debootstrap.log"
        fail "debootstrap (log: $build/debootstrap.log)"
    fi
    tar -C "$boot/root" -cf "$cache.tmp.$$" . && mv "$cache.tmp.$$" "$cache"
    rm -rf "$boot"
fi
work=$(mktemp -d /tmp/micros-deb-chroot.XXXXXX)
r=$work/root
node_pid=""
cleanup() {
    [ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null
    for m in dev/pts dev proc; do umount -l "$r/$m" 2>/dev/null || true; done
    if ! grep -q " $r/" /proc/mounts; then rm -rf "$work"; fi
}
trap cleanup EXIT
mkdir -p "$r"
tar -C "$r" -xf "$cache"
cp /etc/resolv.conf "$r/etc/resolv.conf" 2>/dev/null || true
mount -t proc proc "$r/proc"
mount --bind /dev "$r/dev"
cp "$deb" "$r/tmp/"
in_chroot() { chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }

# 3. Install it as a user would: apt resolves what the package declares.
ok=0
for i in 1 2 3; do
    if in_chroot apt-get update -qq >"$build/apt-update.log" 2>&1; then ok=1; break; fi
    sleep $((i * 5))
done
[ $ok = 1 ] || echo "deb: apt-get update failed 3 times; installing with the indexes there are" >&2
in_chroot apt-get install -y -qq --no-install-recommends "/tmp/$(basename "$deb")" \
    >"$build/apt-install.log" 2>&1 || { tail -30 "$build/apt-install.log"; fail "apt-get install of the .deb"; }
echo "deb: installed into a fresh bookworm minbase chroot"

# 4. What the package set up.
v=$(in_chroot micros --version) || fail "micros --version"
echo "deb: micros --version: $v"
case "$v" in "micros "*) ;; *) fail "unexpected --version output '$v'" ;; esac
in_chroot getent passwd micros >/dev/null || fail "no system user micros"
# Names as the chroot's passwd/group see them (the host's may map the ids to other names).
perm=$(in_chroot stat -c %U:%G:%a /var/lib/micros)
[ "$perm" = "micros:micros:750" ] || fail "/var/lib/micros is $perm, not micros:micros:750"
unit=$r/usr/lib/systemd/system/micros.service
[ -f "$unit" ] || fail "no /usr/lib/systemd/system/micros.service"
for want in "Type=notify" "User=micros" "Restart=on-failure" "ExecStart=/usr/bin/micros --data /var/lib/micros"; do
    grep -qx "$want" "$unit" || fail "micros.service lacks '$want'"
done
[ -f "$r/usr/share/man/man1/micros.1" ] || fail "no man page micros(1)"
in_chroot microsctl --help >/dev/null 2>&1 || fail "microsctl --help"

# 5. The installed micros, as the service would run it (user micros, /var/lib/micros), answers
#    hello on loopback (the chroot shares this machine's network).
ports=$(python3 -c 'import socket
ss=[socket.socket() for _ in range(2)]
[s.bind(("127.0.0.1",0)) for s in ss]
print(*[s.getsockname()[1] for s in ss])')
read -r port webport <<<"$ports"
chroot "$r" /usr/bin/setpriv --reuid=micros --regid=micros --clear-groups \
    /usr/bin/micros --data /var/lib/micros --bind 127.0.0.1 --port "$port" --webport "$webport" \
    >"$build/node.log" 2>&1 &
node_pid=$!
reply=$(python3 - "$port" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
end = time.time() + 20
while True:
    try:
        s = socket.create_connection(("127.0.0.1", port), 1)
        break
    except OSError:
        if time.time() > end:
            sys.exit("no shell on port %d" % port)
        time.sleep(0.1)
def until_prompt():
    d = b""
    s.settimeout(5)
    while not d.endswith(b"$ "):
        c = s.recv(4096)
        if not c:
            break
        d += c
    return d
until_prompt()
s.sendall(b"hello\n")
print(until_prompt().decode(errors="replace").splitlines()[0])
PY
) || { cat "$build/node.log"; fail "the installed micros did not answer on port $port"; }
echo "deb: shell hello: $reply"
case "$reply" in hello:*) ;; *) cat "$build/node.log"; fail "hello answered '$reply'" ;; esac
owner=$(in_chroot stat -c %U /var/lib/micros/config/node_config.json 2>/dev/null || echo none)
[ "$owner" = micros ] || fail "the node's config is owned by '$owner', not micros"
echo "deb: ok"
