"""Security: password guessing is slowed down, nothing runs before authentication, secrets
(appwd, stapwd) never reach the logs or stderr, and oversized or path-like input is refused
without harm, the node answering throughout."""
import glob
import os
import socket
import time
import unittest

import harness
from harness import Node
from test_http import get

PWD = "Secr3tPassXyz"
WIFI = "Wifi5ecretQq77"
GUESSES = ["Guess1Alpha", "Guess2Bravo", "Guess3Charlie", "Guess4Delta"]


def logs_text(node):
    text = node.output()
    for path in glob.glob(os.path.join(node.data_dir, "logs", "*")):
        with open(path, errors="replace") as f:
            text += f.read()
    return text


class BeforeAuth(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = Node(config={"auth": True, "appwd": PWD})

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def login(self):
        sh = self.node.shell()
        self.assertEqual(sh.cmd(PWD), b"AuthOk\nnode01 $ ")
        return sh

    def test_no_command_task_or_conf_before_auth(self):
        for first in ("system heartbeat &&1000", "conf", "system alarms", "task list",
                      "reboot", "version >>127.0.0.1"):
            sh = self.node.shell()
            self.assertEqual(sh.greeting, b"[password] node01 $ ")
            sh.sock.sendall(first.encode())
            self.assertEqual(sh.read_eof(timeout=10), b"AuthFailed\nBye!\n", first)
            sh.close()
        a = self.login()
        self.assertEqual(a.cmd("task list"), a.cmd("task list"))
        self.assertNotIn(b"heartbeat", a.cmd("task list"))
        self.assertIn(b"node01", a.cmd("hello"))  # no reboot happened
        a.close()

    def test_no_push_reaches_a_session_before_auth(self):
        waiting = self.node.shell()  # stays at the password prompt
        a = self.login()
        reply = a.cmd("system alarms")
        self.assertIn(b"node01 $ ", reply)
        waiting.sock.settimeout(1.0)
        try:
            got = waiting.sock.recv(4096)
        except socket.timeout:
            got = b""
        self.assertNotIn(b"~~~", got)
        a.close()
        waiting.close()


class Guessing(unittest.TestCase):
    def test_failures_from_one_address_are_answered_ever_more_slowly(self):
        node = Node(config={"auth": True, "appwd": PWD})
        try:
            times = []
            for g in GUESSES:
                sh = node.shell()
                t0 = time.time()
                sh.sock.sendall(g.encode())
                self.assertEqual(sh.read_eof(timeout=10), b"AuthFailed\nBye!\n")
                times.append(time.time() - t0)
                sh.close()
            print("security: failed login answer delays %s s" % ", ".join("%.2f" % t for t in times),
                  flush=True)
            self.assertLess(times[0], 0.2)
            self.assertGreater(times[1], 0.2)
            self.assertGreater(times[2], 0.45)
            self.assertGreater(times[3], 0.9)
            # other clients are served meanwhile, and the right password still works
            sh = node.shell()
            self.assertTrue(sh.cmd("hello").startswith(b"hello:"))
            self.assertEqual(sh.cmd(PWD), b"AuthOk\nnode01 $ ")
            sh.close()
        finally:
            node.stop()


class Secrets(unittest.TestCase):
    def test_secrets_never_reach_logs_or_stderr(self):
        node = Node(extra_args=("--verbose",))
        try:
            sh = node.shell()
            sh.cmd("conf")
            # without a login (auth off) appwd is set with the current one as pwd= (issue 13
            # follow-up: anyone could take over the node password); the default's here
            self.assertIn(b"Saved", sh.cmd("appwd " + PWD + " pwd=ADmin123"))
            self.assertIn(b"Saved", sh.cmd("stapwd " + WIFI))
            sh.cmd("auth True")
            sh.cmd("dump")
            sh.cmd("dump pwd")
            sh.cmd("appwd")
            sh.cmd("appwd short")  # refused, with the rule, never the value
            sh.cmd("noconf")
            sh.cmd("robustness func_sudo pwd=" + PWD)
            sh.close()
            for g in GUESSES[:2]:
                s = node.shell()
                s.sock.sendall(g.encode())
                s.read_eof(timeout=10)
                s.close()
            s = node.shell()
            s.cmd(PWD)
            s.close()
        finally:
            node.stop()
        text = logs_text(node)
        self.assertIn("failed login", text)  # the logs were written
        for secret in [PWD, WIFI] + GUESSES[:2]:
            self.assertNotIn(secret, text)


class Oversized(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = Node()

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def alive(self):
        sh = self.node.shell()
        self.assertTrue(sh.cmd("hello").startswith(b"hello:node01:"))
        sh.close()

    def test_megabyte_without_newline(self):
        sh = self.node.shell()
        try:
            sh.sock.sendall(b"x" * (1 << 20))
        except OSError:
            pass
        sh.close()
        self.alive()

    def test_long_line_many_tokens_deep_nesting(self):
        sh = self.node.shell()
        self.assertIn(b"line too long", sh.cmd(b"system info " + b"a" * 5000, newline=True))
        reply = sh.cmd("system info " + " ".join(["x"] * 200))
        self.assertTrue(reply.endswith(b"node01 $ "))
        reply = sh.cmd("system heartbeat " + "[" * 900 + "]" * 900)
        self.assertTrue(reply.endswith(b"node01 $ "))
        sh.cmd("conf")
        reply = sh.cmd("devfid " + "n" * 2000)
        self.assertTrue(reply.endswith(b"$ "))
        self.assertIn(b"Saved", sh.cmd("devfid node01"))
        sh.close()
        self.alive()

    def test_path_like_names_are_just_names(self):
        sh = self.node.shell()
        for line in ("../../etc passwd", "system ../../../etc/passwd", "/etc/passwd info",
                     "system info\x00/etc/shadow", "..%2f..%2fetc passwd"):
            reply = sh.cmd(line)
            self.assertNotIn(b"root:", reply)
            self.assertTrue(reply.endswith(b"node01 $ "), reply)
        sh.cmd("conf")
        self.assertIn(b"Invalid key", sh.cmd("../config/node_config.json 1"))
        sh.close()
        self.alive()


class HttpBeforeAuth(unittest.TestCase):
    """auth=True: over REST nothing runs but task, modules and modules loaded already
    (COMPAT 3.3, Auth:Protected), however the module name is spelled or smuggled, and no
    password (header, query, argument) unlocks it."""

    PROTECTED = {"result": "Auth:Protected", "state": True}

    def test_nothing_runs_over_rest_before_auth(self):
        node = Node(config={"auth": True, "appwd": PWD, "webui": True})
        try:
            port = node.webport
            mods = get(port, "/rest/modules").json()["result"]
            self.assertNotIn("robustness", mods)
            for path, headers in (
                    ("/rest/robustness/recursion_limit/2", None),
                    ("/rest/%72obustness/recursion_limit/2", None),
                    ("/rest/ROBUSTNESS/recursion_limit/2", None),
                    ("/rest/robustness/recursion_limit/2/&", None),
                    ("/rest/robustness/recursion_limit/2/&&500", None),
                    ("/rest/robustness/recursion_limit/2", {"x-micros-auth": PWD}),
                    ("/rest/robustness/recursion_limit/2?pwd=" + PWD, None),
                    ("/rest/robustness/func_sudo/pwd=" + PWD, None),
                    ("/rest/reboot", None),
                    ("/rest/conf", None),
                    ("/rest/conf/devfid/evil", None),
                    ("/rest/devfid/evil", None),
                    ("/rest/%20robustness/recursion_limit/2", None),
                    ("/rest/'robustness'/recursion_limit/2", None)):
                r = get(port, path, headers=headers)
                self.assertEqual(r.status, 200, path)
                self.assertEqual(r.json(), self.PROTECTED, path)
            # smuggling a second command behind an allowed one runs only the allowed one
            for path in ("/rest/modules/%3Brobustness/recursion_limit/2",
                         "/rest/modules?x=%3Brobustness%20recursion_limit%202",
                         "/rest/task/list%3Brobustness%20recursion_limit%202",
                         "/rest/task/list/%3B%3Brobustness/recursion_limit/2",
                         "/rest/task/list/%7Crobustness"):
                r = get(port, path)
                self.assertEqual(r.status, 200, path)
                self.assertNotIn(b"Recursion limit", r.body, path)
                self.assertNotIn(b"Auth:Protected", r.body, path)
            # nothing was loaded, started, changed or rebooted
            self.assertNotIn("robustness", get(port, "/rest/modules").json()["result"])
            self.assertNotIn(b"robustness", get(port, "/rest/task/list").body)
            sh = node.shell()
            self.assertEqual(sh.cmd(PWD), b"AuthOk\nnode01 $ ")
            self.assertIn(b"node01", sh.cmd("hello"))
            self.assertNotIn(b"robustness", sh.cmd("task list"))
            sh.close()
            self.assertIsNone(node.proc.poll())
        finally:
            node.stop()


if __name__ == "__main__":
    harness.main()
