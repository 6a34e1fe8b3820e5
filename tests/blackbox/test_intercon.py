"""InterCon (`<cmd> >>host`, COMPAT §10.1, hard cases 29-31) between real micros processes
on loopback, plus a refused port and a silent peer. Commands are sent without a newline."""
import re
import socket
import threading
import time
import unittest

import harness
from harness import Node

P = b"node01 $ "
PWD = "ADmin123"  # the default appwd: both nodes share it


def wait_for(pred, timeout=10.0, step=0.05):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(step)
    return False


def show(sh, tag):
    return sh.cmd("task show " + tag)


def finished(sh, tag):
    return re.search(rb"\nNo        " + re.escape(tag.encode()) + b"\n", sh.cmd("task list"))


class InterCon(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.a = Node()
        cls.b = Node(config={"devfid": "node02"})
        cls.c = Node(config={"devfid": "node03", "auth": True})

    @classmethod
    def tearDownClass(cls):
        for n in (cls.a, cls.b, cls.c):
            n.stop()

    def setUp(self):
        self.sh = self.a.shell()

    def tearDown(self):
        self.sh.close()

    def hwuid(self, node):
        import json
        import os
        with open(os.path.join(node.data_dir, "config", "node_config.json")) as f:
            return json.load(f)["hwuid"]

    def test_hello_on_ourselves(self):
        # Hard case 29: no port -> our own shell port.
        self.assertEqual(self.sh.cmd("hello >>127.0.0.1"), b"{'con.0.1.hello': 'Starting'}\n" + P)
        expect = b"hello:node01:" + self.hwuid(self.a).encode() + b":dev \n" + P
        self.assertTrue(wait_for(lambda: show(self.sh, "con.0.1.hello") == expect),
                        show(self.sh, "con.0.1.hello"))
        self.assertTrue(finished(self.sh, "con.0.1.hello"))

    def test_system_info_on_another_node(self):
        cmd = "system info >>127.0.0.1:%d" % self.b.port
        self.assertEqual(self.sh.cmd(cmd), b"{'con.0.1.system': 'Starting'}\n" + P)
        # node 2's own reply, lines joined with spaces, ends with the board line and a space.
        local = self.b.shell()
        direct = local.cmd("system info")
        local.close()
        self.assertTrue(wait_for(lambda: finished(self.sh, "con.0.1.system")))
        got = show(self.sh, "con.0.1.system")
        want_keys = [l.split(b":")[0] for l in direct[:-len(b"node02 $ ")].split(b"\n") if l]
        self.assertTrue(got.endswith(b" \n" + P), got)
        self.assertNotIn(b"node02 $", got)
        for k in want_keys:
            self.assertIn(k + b":", got)
        self.assertEqual(got.count(b"\n"), 1)

    def test_json_is_kept_for_the_peer(self):
        self.sh.cmd("system heartbeat >json >>127.0.0.1:%d" % self.b.port)
        self.assertTrue(wait_for(lambda: finished(self.sh, "con.0.1.system")))
        # The peer rendered a JSON string.
        self.assertEqual(show(self.sh, "con.0.1.system"), b'"<3 heartbeat <3" \n' + P)

    def test_peer_with_auth(self):
        self.sh.cmd("hello >>127.0.0.1:%d" % self.c.port)
        self.assertTrue(wait_for(lambda: finished(self.sh, "con.0.1.hello")))
        self.assertEqual(show(self.sh, "con.0.1.hello"),
                         b"hello:node03:" + self.hwuid(self.c).encode() + b":dev \n" + P)
        # A command that needs the password really ran past the auth gate.
        self.sh.cmd("system heartbeat >>127.0.0.1:%d" % self.c.port)
        self.assertTrue(wait_for(lambda: finished(self.sh, "con.0.1.system")))
        self.assertEqual(show(self.sh, "con.0.1.system"), b"<3 heartbeat <3 \n" + P)

    def test_no_host_line_after_the_prompt(self):
        # Hard case 30.
        self.sh.sock.sendall(b"system heartbeat >>nohost")
        data = self.sh.read_until(lambda d: d.endswith(b"\n") and b"~~~" in d, timeout=5)
        self.assertTrue(data.startswith(b"{'con.nohost.system': 'Starting'}\n" + P), data)
        self.assertRegex(data[len(b"{'con.nohost.system': 'Starting'}\n" + P):],
                         rb"^~~~ \[intercon\] NoHost: nohost: [^\n]+\n$")
        self.assertTrue(wait_for(lambda: finished(self.sh, "con.nohost.system")))
        self.assertRegex(show(self.sh, "con.nohost.system"),
                         rb"^\[intercon\] NoHost: nohost: [^\n]+\n" + re.escape(P) + b"$")

    def test_target_of_a_dotted_name(self):
        # node02.local is in no hosts file here: the call ends with NoHost, after the prompt.
        self.sh.sock.sendall(b"hello >>node02.local")
        data = self.sh.read_until(lambda d: b"~~~" in d and d.endswith(b"\n"), timeout=5)
        self.assertTrue(data.startswith(b"{'con.node02.hello': 'Starting'}\n" + P), data)
        self.assertRegex(data[len(b"{'con.node02.hello': 'Starting'}\n" + P):],
                         rb"^~~~ \[intercon\] NoHost: node02.local: not an IP, not in the host "
                         rb"cache or /etc/hosts, [^\n]+\n$")
        self.assertTrue(wait_for(lambda: finished(self.sh, "con.node02.hello")))

    def test_bare_remote_is_a_core_error(self):
        # Hard case 31.
        self.assertRegex(self.sh.cmd("version >>"), rb"^Core error: LM_version->>>: [^\n]+\n"
                         + re.escape(P) + b"$")

    def test_prompt_mismatch(self):
        # localhost (from /etc/hosts) is a name: node02's prompt does not match it.
        self.sh.sock.sendall(b"hello >>localhost:%d" % self.b.port)
        data = self.sh.read_until(lambda d: b"~~~" in d and d.endswith(b"\n"), timeout=5)
        self.assertEqual(data, b"{'con.localhost.hello': 'Starting'}\n" + P +
                         b"~~~ [intercon] prompt mismatch, hostname: localhost prompt: node02 $\n")
        hosts = self.sh.cmd("system hosts")
        self.assertIn(b"'localhost': '127.0.0.1'", hosts)

    def test_refused(self):
        port = harness.free_port()  # nothing listens there
        self.sh.sock.sendall(b"hello >>127.0.0.1:%d" % port)
        data = self.sh.read_until(lambda d: b"~~~" in d and d.endswith(b"\n"), timeout=5)
        self.assertEqual(data, b"{'con.0.1.hello': 'Starting'}\n" + P +
                         b"~~~ [intercon] ConnectionRefused: 127.0.0.1:%d\n" % port)
        self.assertTrue(finished(self.sh, "con.0.1.hello"))

    def test_silent_peer_times_out(self):
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(4)
        port = srv.getsockname()[1]
        accepted = []
        t = threading.Thread(target=lambda: accepted.append(srv.accept()), daemon=True)
        t.start()
        try:
            t0 = time.time()
            self.assertEqual(self.sh.cmd("hello >>127.0.0.1:%d" % port),
                             b"{'con.0.1.hello': 'Starting'}\n" + P)
            # The node stays responsive while the call waits.
            self.assertIn(b"Yes       con.0.1.hello", self.sh.cmd("task list"))
            data = self.sh.read_until(lambda d: b"~~~" in d and d.endswith(b"\n"), timeout=15)
            elapsed = time.time() - t0
            self.assertRegex(data, rb"^~~~ \[intercon\] Timeout: no prompt from 127\.0\.0\.1:\d+ "
                                   rb"within \d+ ms\n$")
            self.assertLess(elapsed, 10)
            self.assertTrue(finished(self.sh, "con.0.1.hello"))
            self.assertTrue(accepted)
        finally:
            for conn, _ in accepted:
                conn.close()
            srv.close()

    def test_kill_a_call_in_flight(self):
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(4)
        port = srv.getsockname()[1]
        try:
            self.sh.cmd("hello >>127.0.0.1:%d" % port)
            self.assertEqual(self.sh.cmd("task kill con.0.1.hello"),
                             b"Kill: con.0.1.hello|True\n" + P)
            self.assertEqual(show(self.sh, "con.0.1.hello"), b"No task found: con.0.1.hello\n" + P)
        finally:
            srv.close()


if __name__ == "__main__":
    harness.main()
