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

SHELL_PORT, WEB_PORT = 19016, 18016


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
