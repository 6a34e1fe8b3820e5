"""Hardening (issue 13): password guessing really slowed and shared by shell and HTTP, the
login is the whole line, character-mode typing, InterCon is privileged, secrets never leave,
host-affecting functions need the password, fail-closed config, stored values validated, and
failed writes reported. Each class starts its own node on free loopback ports."""
import glob
import json
import os
import socket
import stat
import threading
import time
import unittest

import harness
from harness import Node
from test_http import Client, get

PWD = "Secr3tPassXyz"


def log_files(node):
    text = ""
    for path in glob.glob(os.path.join(node.data_dir, "logs", "*")):
        with open(path, errors="replace") as f:
            text += f.read()
    return text


def logs_text(node):
    text = node.output()
    for path in glob.glob(os.path.join(node.data_dir, "logs", "*")):
        with open(path, errors="replace") as f:
            text += f.read()
    return text


def login(node, pwd=PWD):
    sh = node.shell()
    reply = sh.cmd(pwd)
    if reply != b"AuthOk\n" + sh.greeting.replace(b"[password] ", b""):
        raise AssertionError("login failed: %r" % reply)
    return sh


def try_password(node, guess, timeout=40):
    sh = node.shell()
    sh.sock.sendall(guess.encode())
    reply = sh.read_until(lambda d: d.endswith(b"$ ") or b"Bye!\n" in d, timeout)
    sh.close()
    return reply


class Guessing(unittest.TestCase):
    """Item 2: per-address back-off that delays the decision itself, shared by shell and
    HTTP (x-micros-auth)."""

    def setUp(self):
        self.node = Node(config={"auth": True, "appwd": PWD, "webui": True})

    def tearDown(self):
        self.node.stop()

    def test_closing_early_does_not_buy_guesses(self):
        # An attacker that gives up on each answer after 50 ms, for 3 s.
        end = time.time() + 3.0
        sent = 0
        while time.time() < end:
            s = socket.create_connection(("127.0.0.1", self.node.port), timeout=2)
            s.recv(64)
            s.sendall(("Wrong%dGuessX" % sent).encode())
            time.sleep(0.05)
            s.close()
            sent += 1
        time.sleep(0.3)
        compared = log_files(self.node).count("failed login from 127.0.0.1")
        print("security: %d guesses sent in 3 s, %d compared" % (sent, compared), flush=True)
        self.assertGreater(sent, 20)
        self.assertLessEqual(compared, 8)

    def test_right_password_refused_inside_the_window(self):
        for g in ("WrongOne1x", "WrongTwo2x"):
            self.assertIn(b"AuthFailed", try_password(self.node, g))
        # the third failure opens a 0.5 s window; the right password inside it is refused
        a = self.node.shell()
        a.sock.sendall(b"WrongThree3x")
        time.sleep(0.05)
        b = self.node.shell()
        b.sock.sendall(PWD.encode())
        self.assertIn(b"AuthFailed", b.read_eof(timeout=10))
        self.assertIn(b"AuthFailed", a.read_eof(timeout=10))
        a.close()
        b.close()
        # after the window the right password works
        time.sleep(1.1)
        login(self.node).close()

    def test_http_header_guesses_are_limited_too(self):
        c = Client(self.node.webport)
        statuses = []
        t0 = time.time()
        for i in range(50):
            r = c.request("GET", "/config", headers={"x-micros-auth": "Bad%dGuessQ" % i})
            statuses.append(r.status)
        print("security: 50 x-micros-auth guesses in %.2f s: %d compared (401), %d refused (429)"
              % (time.time() - t0, statuses.count(401), statuses.count(429)), flush=True)
        self.assertLessEqual(statuses.count(401), 4)
        self.assertEqual(statuses.count(401) + statuses.count(429), 50)
        # the window is shared with the shell: a right shell password is refused now
        self.assertIn(b"AuthFailed", try_password(self.node, PWD))
        c.close()

    def test_http_right_password_after_the_window(self):
        r = get(self.node.webport, "/config", headers={"x-micros-auth": "NotIt123x"})
        self.assertEqual(r.status, 401)
        r = get(self.node.webport, "/config", headers={"x-micros-auth": PWD})
        self.assertEqual(r.status, 200)


class LoginLine(unittest.TestCase):
    """Item 9: the login is the whole line; a password typed in character mode works."""

    @classmethod
    def setUpClass(cls):
        cls.node = Node(config={"auth": True, "appwd": "ADmin123"})

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def test_trailing_junk_does_not_log_in(self):
        for line in ("ADmin123 trailing junk", "ADmin123\tx", "ADmin123 ADmin123"):
            self.assertIn(b"AuthFailed", try_password(self.node, line), line)
        time.sleep(1.2)

    def test_character_mode(self):
        time.sleep(2.5)  # past any window of the other test
        for ending in (b"\r\n", b"\n", b"\r\x00"):
            sh = self.node.shell()
            for ch in b"ADmin123":
                sh.sock.sendall(bytes([ch]))
                time.sleep(0.02)
            sh.sock.sendall(ending)
            self.assertEqual(sh.read_until_prompt(), b"AuthOk\nnode01 $ ", ending)
            self.assertTrue(sh.cmd("hello").startswith(b"hello:node01"))
            sh.close()
        # split in two writes, with and without a line end
        sh = self.node.shell()
        sh.sock.sendall(b"ADmi")
        time.sleep(0.1)
        sh.sock.sendall(b"n123\n")
        self.assertEqual(sh.read_until_prompt(), b"AuthOk\nnode01 $ ")
        sh.close()


if __name__ == "__main__":
    harness.main()
