"""A small lab of network namespaces for the name tests (mDNS, DNS), all on this machine.

Two namespaces joined by a veth pair (10.<a>.<b>.1 and .2, a /24 that only exists inside
them). In each: its own mount namespace (a private /run/avahi-daemon, our nsswitch.conf with
mdns4_minimal and a resolv.conf naming the lab's DNS server), its own D-Bus system bus and
avahi-daemon started here with a private config. Commands run inside with `nsenter`; Python
sockets are opened inside with setns(2). Nothing leaves the machine: the only interfaces the
daemons see are the veth ends and lo."""

import ctypes
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def can_netns():
    """Returns None, or the reason namespaces cannot be made here."""
    if os.geteuid() != 0:
        return "needs root for ip netns"
    for tool in ("ip", "nsenter", "unshare", "avahi-daemon", "dbus-daemon"):
        if not shutil.which(tool):
            return "%s not installed" % tool
    name = "i16probe%d" % os.getpid()
    r = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if r.returncode != 0:
        return "kernel refused a network namespace: " + r.stderr.strip()
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return None


DBUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={bus}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="signal"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
  </policy>
</busconfig>
"""

AVAHI_CONF = """[server]
host-name={host}
use-ipv4=yes
use-ipv6=no
allow-interfaces={ifname}
enable-dbus=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
publish-addresses=yes
publish-hinfo=no
publish-workstation=no
publish-domain=no
[reflector]
enable-reflector=no
[rlimits]
"""

HOLDER = r"""set -e
mkdir -p /run/avahi-daemon
mount -t tmpfs tmpfs /run/avahi-daemon
mount --bind "$T/nsswitch.conf" /etc/nsswitch.conf
mount --bind "$T/resolv.conf" /etc/resolv.conf
ip link set lo up
dbus-daemon --config-file="$T/dbus.conf" --nofork --nopidfile > "$T/dbus.log" 2>&1 &
for i in $(seq 50); do [ -S "$T/bus" ] && break; sleep 0.1; done
DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/bus" avahi-daemon -f "$T/avahi.conf" --no-drop-root \
  --no-chroot --no-rlimits --no-proc-title > "$T/avahi.log" 2>&1 &
echo started > "$T/ready"
exec sleep 100000
"""


class Netns:
    """One namespace: its holder process (mount + net namespace), bus and avahi-daemon."""

    def __init__(self, name, ifname, ip, dns_ip, tmp, host):
        self.name, self.ifname, self.ip = name, ifname, ip
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir)
        self.bus = os.path.join(self.dir, "bus")
        with open(os.path.join(self.dir, "dbus.conf"), "w") as f:
            f.write(DBUS_CONF.format(bus=self.bus))
        with open(os.path.join(self.dir, "avahi.conf"), "w") as f:
            f.write(AVAHI_CONF.format(host=host, ifname=ifname))
        with open(os.path.join(self.dir, "nsswitch.conf"), "w") as f:
            f.write("passwd: files\ngroup: files\nhosts: files mdns4_minimal [NOTFOUND=return] dns\n")
        with open(os.path.join(self.dir, "resolv.conf"), "w") as f:
            f.write("nameserver %s\nsearch lan\noptions timeout:1 attempts:1\n" % dns_ip)
        self.holder = subprocess.Popen(
            ["ip", "netns", "exec", name, "unshare", "-m", "--propagation", "private", "sh", "-c",
             HOLDER], env=dict(os.environ, T=self.dir), stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.dir, "holder.log"), "w"))
        self.pid = None

    def wait_ready(self, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if os.path.exists(os.path.join(self.dir, "ready")):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("namespace %s did not start: %s" % (self.name, self.log("holder")))
        # The holder's pid: the `sleep` that sh exec'd into is the Popen child of ip netns exec.
        self.pid = self._find_sleep()
        # avahi-daemon is up when it reports its server as running.
        while time.time() < deadline:
            if "Server startup complete" in self.log("avahi"):
                return
            time.sleep(0.1)
        raise RuntimeError("avahi-daemon in %s did not start:\n%s" % (self.name, self.log("avahi")))

    def _find_sleep(self):
        # ip netns exec execs unshare which execs sh which execs sleep: same pid as Popen.
        return self.holder.pid

    def log(self, what):
        try:
            with open(os.path.join(self.dir, what + ".log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def env(self):
        return dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=" + self.bus)

    def argv(self, *cmd):
        """argv that runs cmd inside this namespace (net + mount)."""
        return ["nsenter", "-t", str(self.pid), "-n", "-m", "--", *cmd]

    def run(self, *cmd, timeout=20, **kw):
        return subprocess.run(self.argv(*cmd), capture_output=True, text=True, timeout=timeout,
                              env=self.env(), **kw)

    def popen(self, *cmd, **kw):
        return subprocess.Popen(self.argv(*cmd), env=kw.pop("env", self.env()), **kw)

    def socket(self, family=socket.AF_INET, kind=socket.SOCK_STREAM):
        """A socket created inside this namespace's network stack."""
        own = os.open("/proc/self/ns/net", os.O_RDONLY)
        target = os.open("/proc/%d/ns/net" % self.pid, os.O_RDONLY)
        try:
            if _libc.setns(target, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns")
            try:
                return socket.socket(family, kind)
            finally:
                _libc.setns(own, CLONE_NEWNET)
        finally:
            os.close(own)
            os.close(target)

    def stop(self):
        if self.holder.poll() is None:
            # The holder's children (dbus, avahi) are in its process group? Kill by pid list.
            kids = subprocess.run(["pgrep", "-P", str(self.holder.pid)], capture_output=True,
                                  text=True).stdout.split()
            for k in kids:
                try:
                    os.kill(int(k), 15)
                except (OSError, ValueError):
                    pass
            self.holder.terminate()
            try:
                self.holder.wait(5)
            except subprocess.TimeoutExpired:
                self.holder.kill()


class DnsServer(threading.Thread):
    """A tiny authoritative UDP DNS responder: A records from a dict, NXDOMAIN otherwise."""

    def __init__(self, sock, records):
        super().__init__(daemon=True)
        self.sock, self.records, self.queries = sock, records, []
        self.sock.settimeout(0.2)
        self.running = True

    def run(self):
        while self.running:
            try:
                data, peer = self.sock.recvfrom(512)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                self.sock.sendto(self.answer(data), peer)
            except Exception:
                pass

    def answer(self, q):
        qid, qflags = q[:2], q[2:4]
        i, labels = 12, []
        while q[i]:
            labels.append(q[i + 1:i + 1 + q[i]].decode("ascii", "replace"))
            i += q[i] + 1
        qname, qtype = ".".join(labels).lower(), int.from_bytes(q[i + 1:i + 3], "big")
        question = q[12:i + 5]
        self.queries.append(qname)
        ip = self.records.get(qname)
        rd = qflags[0] & 1
        if ip is None or qtype != 1:
            rcode = 3 if ip is None else 0
            flags = bytes([0x84 | rd, 0x80 | rcode])
            return qid + flags + b"\x00\x01\x00\x00\x00\x00\x00\x00" + question
        flags = bytes([0x84 | rd, 0x80])
        ans = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + socket.inet_aton(ip)
        return qid + flags + b"\x00\x01\x00\x01\x00\x00\x00\x00" + question + ans

    def stop(self):
        self.running = False
        self.sock.close()


class Lab:
    """Two namespaces nsA (…1) and nsB (…2) on a veth pair; a DNS server on nsA's address."""

    def __init__(self, dns_records):
        tag = os.getpid() % 200 + 20
        self.tmp = tempfile.mkdtemp(prefix="micros-names-")
        self.names = ["i16a%d" % os.getpid(), "i16b%d" % os.getpid()]
        self.ifs = ["va%d" % os.getpid(), "vb%d" % os.getpid()]
        self.ips = ["10.%d.16.1" % tag, "10.%d.16.2" % tag]
        self.ns = []
        self.dns = None
        try:
            for n in self.names:
                self._ip("netns", "add", n)
            self._ip("link", "add", self.ifs[0], "type", "veth", "peer", "name", self.ifs[1])
            for n, ifn, ip in zip(self.names, self.ifs, self.ips):
                self._ip("link", "set", ifn, "netns", n)
                self._ip("-n", n, "addr", "add", ip + "/24", "dev", ifn)
                self._ip("-n", n, "link", "set", ifn, "up", "multicast", "on")
                self._ip("-n", n, "link", "set", "lo", "up")
            for k in range(2):
                self.ns.append(Netns(self.names[k], self.ifs[k], self.ips[k], self.ips[0],
                                     self.tmp, "labhost%d" % k))
            for ns in self.ns:
                ns.wait_ready()
            s = self.ns[0].socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((self.ips[0], 53))
            self.dns = DnsServer(s, dns_records)
            self.dns.start()
        except Exception:
            self.close()
            raise

    @staticmethod
    def _ip(*args):
        subprocess.run(["ip", *args], check=True, capture_output=True)

    def close(self):
        if self.dns:
            self.dns.stop()
        for ns in self.ns:
            ns.stop()
        for n in self.names:
            subprocess.run(["ip", "netns", "del", n], capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)
