"""Names on a LAN, inside two network namespaces this test creates (tests/blackbox/netns_lab.py):
avahi-daemon and a D-Bus bus in each, a DNS server on the first one's address. node01 runs in
namespace A, node02 in namespace B. Checks: <devfid>.local resolves through nss-mdns
(getent), the web UI answers at http://node01.local:<webport>/, InterCon reaches node02 by
.local (mDNS), by .lan (DNS, c-ares) and by its short name, an unknown name ends with NoHost
within dns_timeout_ms while the node keeps answering, `system mdns` reports the state, and a
node without a daemon says so once. Skips only when the kernel refuses namespaces."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import harness
import netns_lab
from harness import Node, Shell, main

# micrOS's own ports: each node has a private network namespace, so nothing on the host is in
# the way, and micrOS's SystemTest (which connects to <devfid>.local:9008) applies as is.
SHELL_PORT, WEB_PORT = 9008, 8000


class NsShell(Shell):
    def __init__(self, ns, ip, port, timeout=5.0):
        self.sock = ns.socket()
        self.sock.settimeout(timeout)
        try:
            self.sock.connect((ip, port))
        except OSError:
            self.sock.close()
            raise
        self.greeting = self.read_until_prompt()


def wait_for(pred, timeout=10.0, step=0.1):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


class Names(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        why = netns_lab.can_netns()
        if why:
            raise unittest.SkipTest(why)
        cls.lab = netns_lab.Lab({})
        cls.lab.dns.records.update({"node02.lan": cls.lab.ips[1]})
        cls.nodes, cls.logs, cls.dirs = [], [], []
        for k, devfid in enumerate(["node01", "node02"]):
            d = tempfile.mkdtemp(prefix="micros-names-node-")
            os.makedirs(os.path.join(d, "config"))
            with open(os.path.join(d, "config", "node_config.json"), "w") as f:
                json.dump({"devfid": devfid, "dns_timeout_ms": 2000}, f)
            log = open(os.path.join(cls.lab.tmp, devfid + ".log"), "wb")
            p = cls.lab.ns[k].popen(harness.MICROS, "--data", d, "--port", str(SHELL_PORT),
                                    "--webport", str(WEB_PORT), "--bind", "0.0.0.0",
                                    stdout=log, stderr=subprocess.STDOUT)
            log.close()
            cls.nodes.append(p)
            cls.logs.append(log.name)
            cls.dirs.append(d)
        cls.sh = [None, None]
        for k in range(2):
            cls.sh[k] = wait_for(lambda: cls._try_shell(k), 10)
            if not cls.sh[k]:
                cls.tearDownClass()
                raise RuntimeError("node %d did not start" % k)

    @classmethod
    def _try_shell(cls, k):
        try:
            return NsShell(cls.lab.ns[k], cls.lab.ips[k], SHELL_PORT)
        except OSError:
            return None

    @classmethod
    def tearDownClass(cls):
        for s in getattr(cls, "sh", []):
            if s:
                s.close()
        for p in cls.nodes:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        out = b""
        for name in cls.logs:
            with open(name, "rb") as f:
                out += f.read()
        for d in cls.dirs:
            shutil.rmtree(d, ignore_errors=True)
        cls.lab.close()
        if b"ERROR: AddressSanitizer" in out or b"runtime error:" in out:
            raise AssertionError("sanitizer report:\n" + out.decode(errors="replace"))

    def mdns_state(self, k):
        return self.sh[k].cmd("system mdns >json").decode(errors="replace")

    def announced(self, k):
        return wait_for(lambda: '"announced"' in self.mdns_state(k), 15)

    def intercon(self, k, line, tag, timeout=8):
        """Runs `line` on node k and returns the finished task's output."""
        first = self.sh[k].cmd(line)
        self.assertIn(b"'" + tag.encode() + b"': 'Starting'", first)
        show = lambda: self.sh[k].cmd("task show " + tag)
        done = wait_for(lambda: b"[intercon]" in show() or b"hello:" in show(), timeout)
        return show()

    def test_0_announced(self):
        self.assertTrue(self.announced(0), self.mdns_state(0))
        self.assertTrue(self.announced(1), self.mdns_state(1))
        state = json.loads(self.mdns_state(0).split("\n")[0])
        self.assertEqual(state["host"], "node01.local")
        self.assertIn("_micros._tcp:%d" % SHELL_PORT, state["services"])
        self.assertIn("_http._tcp:%d" % WEB_PORT, state["services"])

    def test_1_getent_resolves_devfid_local(self):
        self.announced(0)
        r = wait_for(lambda: self.lab.ns[1].run("getent", "hosts", "node01.local").stdout, 10)
        self.assertIn(self.lab.ips[0], r)
        # On node01's own namespace too (the daemon answers its local records).
        r = self.lab.ns[0].run("getent", "hosts", "node02.local").stdout
        self.assertIn(self.lab.ips[1], r)

    def test_2_web_ui_by_name(self):
        self.announced(0)
        code = ("import urllib.request,sys;"
                "print(urllib.request.urlopen('http://node01.local:%d/rest',timeout=5).read()"
                ".decode())" % WEB_PORT)
        r = self.lab.ns[1].run(sys.executable, "-c", code)
        self.assertEqual(json.loads(r.stdout)["result"]["node"], "node01", r.stderr)
        r = self.lab.ns[1].run(sys.executable, "-c", code.replace("/rest", "/"))
        self.assertIn("<html", r.stdout.lower())

    def test_3_intercon_dns_lan(self):
        self.lab.dns.queries.clear()
        out = self.intercon(0, "hello >>node02.lan", "con.node02.hello")
        self.assertIn(b"hello:node02:", out)
        self.assertIn("node02.lan", self.lab.dns.queries)

    def test_4_intercon_mdns_local(self):
        self.announced(1)
        out = self.intercon(0, "hello >>node02.local", "con.node02.hello")
        self.assertIn(b"hello:node02:", out)
        hosts = self.sh[0].cmd("system hosts")
        self.assertIn(b"'node02.local': '%s'" % self.lab.ips[1].encode(), hosts)

    def test_5_intercon_short_name(self):
        # micrOS's rule: a short name matches a cached full name (node02 -> node02.local).
        self.intercon(0, "hello >>node02.local", "con.node02.hello")
        out = self.intercon(0, "hello >>node02", "con.node02.hello")
        self.assertIn(b"hello:node02:", out)

    def test_6_short_name_by_dns(self):
        # node01 asks node02 (whose cache is empty) for node01: DNS search "lan" has no
        # record, so the short name is tried as node01.local over mDNS.
        self.lab.dns.queries.clear()
        out = self.intercon(1, "hello >>node01", "con.node01.hello")
        self.assertIn(b"hello:node01:", out)
        self.assertTrue(any(q.startswith("node01") for q in self.lab.dns.queries),
                        self.lab.dns.queries)

    def test_7_unknown_name_is_nohost_while_node_answers(self):
        t0 = time.time()
        self.sh[0].sock.sendall(b"hello >>nothere.local")
        self.sh[0].read_until_prompt()
        # The node answers while the lookup is pending.
        r = self.sh[0].cmd("hello")
        self.assertTrue(r.startswith(b"hello:node01:"), r)
        self.assertLess(time.time() - t0, 1.5)
        data = self.sh[0].read_until(lambda d: b"~~~" in d and d.endswith(b"\n"), timeout=6)
        self.assertRegex(data, rb"~~~ \[intercon\] NoHost: nothere\.local: [^\n]+\n")
        self.assertLess(time.time() - t0, 2.0 + 2.0)  # dns_timeout_ms is 2000

    def test_8_devfid_change_is_followed(self):
        s = self.sh[1]
        s.cmd("conf")
        s.cmd("devfid node22")
        s.cmd("noconf")
        r = wait_for(lambda: self.lab.ns[0].run("getent", "hosts", "node22.local").stdout, 15)
        self.assertIn(self.lab.ips[1], r)
        s.cmd("conf")
        s.cmd("devfid node02")
        s.cmd("noconf")
        r = wait_for(lambda: self.lab.ns[0].run("getent", "hosts", "node02.local").stdout, 15)
        self.assertIn(self.lab.ips[1], r)


    def test_9_systemtest_dhcp_hostname_and_conn_metrics(self):
        # What micrOS's SystemTest checks, run from node02's namespace as a LAN client:
        # dhcp_hostname = socket.gethostbyname('<devfid>.local') gives an IPv4 address;
        # conn_metrics = 10 commands on one session, then 10 fresh sessions to
        # <devfid>.local:9008 each running hello: all must succeed.
        code = r"""
import socket, sys, time
ip = socket.gethostbyname('node01.local')
assert '.' in ip, ip
def session():
    s = socket.create_connection(('node01.local', 9008), timeout=5)
    buf = b''
    while not buf.endswith(b'$ '):
        buf += s.recv(4096)
    return s
def cmd(s, c):
    s.sendall(c)
    buf = b''
    while not buf.endswith(b'node01 $ '):
        buf += s.recv(4096)
    return buf
s = session()
single = [cmd(s, b'hello') for _ in range(10)]
s.close()
ok = 0
for _ in range(10):
    t = session()
    ok += cmd(t, b'hello').startswith(b'hello:node01:')
    t.close()
print(ip, sum(r.startswith(b'hello:node01:') for r in single), ok)
"""
        r = self.lab.ns[1].run(sys.executable, "-c", code, timeout=60)
        self.assertEqual(r.stdout.split(), [self.lab.ips[0], "10", "10"], r.stderr)

    def test_9_search_browses_mdns(self):
        ctl = os.path.join(os.path.dirname(harness.MICROS), "microsctl")
        cache = os.path.join(self.lab.tmp, "search-cache.json")
        self.announced(0)
        self.announced(1)
        t0 = time.time()
        r = self.lab.ns[1].run(ctl, "search", "--json", env=dict(
            self.lab.ns[1].env(), MICROS_CTL_CACHE=cache))
        self.assertEqual(r.returncode, 0, r.stderr)
        found = {d["fuid"]: d for d in json.loads(r.stdout)}
        self.assertIn("node01", found, r.stdout)
        self.assertEqual(found["node01"]["ip"], self.lab.ips[0])
        self.assertEqual(found["node01"]["port"], SHELL_PORT)
        self.assertTrue(found["node01"]["uid"].startswith("micr"), found)
        self.assertIn("over mDNS", r.stderr)
        self.assertLess(time.time() - t0, 5)
        with open(cache) as f:
            self.assertIn("node01", f.read())


    def test_9_gateway_search_and_metrics(self):
        # microsctl gateway in node02's namespace: /search/ fills the cache over mDNS, then
        # /status and /metrics reach node01 by the address mDNS gave.
        ctl = os.path.join(os.path.dirname(harness.MICROS), "microsctl")
        cache = os.path.join(self.lab.tmp, "gw-cache.json")
        self.announced(0)
        gw = self.lab.ns[1].popen(ctl, "gateway", "--bind", "127.0.0.1", "--port", "5005",
                                  env=dict(self.lab.ns[1].env(), MICROS_CTL_CACHE=cache),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            def http_get(path):
                s = self.lab.ns[1].socket()
                try:
                    s.settimeout(10)
                    s.connect(("127.0.0.1", 5005))
                    s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
                    data = b""
                    while True:
                        chunk = s.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    return data.split(b"\r\n\r\n", 1)[1].decode()
                except OSError:
                    return None
                finally:
                    s.close()
            found = wait_for(lambda: http_get("/search/"), 10)
            self.assertTrue(found)
            names = {d["fuid"]: d for d in json.loads(found)["devices"]}
            self.assertEqual(names["node01"]["ip"], self.lab.ips[0], found)
            status = json.loads(http_get("/status"))
            self.assertEqual(status["node01"]["status"], "ONLINE", status)
            self.assertIn('up{node="node01"} 1\n', http_get("/metrics"))
        finally:
            gw.terminate()
            gw.wait(5)


class NoDaemon(unittest.TestCase):
    def test_no_daemon_is_reported(self):
        node = Node(env={"MICROS_MDNS": "", "DBUS_SYSTEM_BUS_ADDRESS":
                         "unix:path=/nonexistent/micros-test-bus"})
        try:
            sh = node.shell()
            r = sh.cmd("system mdns >json").decode()
            state = json.loads(r.split("\n")[0])
            self.assertEqual(state["state"], "no daemon", state)
            self.assertIn("not announced", state["detail"])
            sh.close()
            time.sleep(0.3)
            lines = [l for l in node.output().splitlines() if "mdns:" in l]
            self.assertEqual(len(lines), 1, lines)
        finally:
            node.stop()


if __name__ == "__main__":
    main()
