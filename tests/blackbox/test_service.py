"""The node as a service: what it prints once it listens (make run, docs/service.md) and the
systemd readiness protocol (Type=notify: READY=1 on NOTIFY_SOCKET once it listens, STOPPING=1
when it stops), with a real AF_UNIX datagram socket standing in for systemd."""
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import harness
from harness import Shell, free_port, main


class Notified:
    """micros started with NOTIFY_SOCKET set to a datagram socket this test reads."""

    def __init__(self, abstract=False):
        self.tmp = tempfile.mkdtemp(prefix="micros-svc-")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = "micros-test-notify-%d" % os.getpid()
            self.sock.bind("\0" + name)
            env_name = "@" + name
        else:
            path = os.path.join(self.tmp, "notify")
            self.sock.bind(path)
            env_name = path
        self.sock.settimeout(10)
        self.port = free_port()
        self.webport = free_port()
        env = dict(os.environ, NOTIFY_SOCKET=env_name)
        self.proc = subprocess.Popen(
            [harness.MICROS, "--data", os.path.join(self.tmp, "data"), "--port", str(self.port),
             "--webport", str(self.webport), "--bind", "127.0.0.1"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def recv(self):
        return self.sock.recv(4096).decode()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.sock.close()


class TestService(unittest.TestCase):
    def check_node(self, abstract):
        n = Notified(abstract=abstract)
        try:
            msg = n.recv()
            lines = msg.split("\n")
            self.assertIn("READY=1", lines)
            status = [l for l in lines if l.startswith("STATUS=")]
            self.assertEqual(len(status), 1, msg)
            self.assertIn("shell on port %d" % n.port, status[0])
            # READY=1 comes once the shell listens: it answers hello right away.
            sh = Shell(n.port)
            reply = sh.cmd("hello").decode()
            sh.close()
            self.assertTrue(reply.startswith("hello:"), reply)
            n.proc.send_signal(signal.SIGTERM)
            self.assertEqual(n.recv(), "STOPPING=1")
            self.assertEqual(n.proc.wait(10), 0)
            out = n.proc.stdout.read().decode()
            # What make run shows: where the shell, the web UI and the data folder are.
            self.assertRegex(out, r"shell: +127\.0\.0\.1 %d\b" % n.port)
            self.assertIn("web UI:      http://127.0.0.1:%d/" % n.webport, out)
            data = os.path.realpath(os.path.join(n.tmp, "data"))
            self.assertIn("data folder: %s" % data, out)
        finally:
            n.close()

    def test_ready_and_stopping_on_a_path_socket(self):
        self.check_node(abstract=False)

    def test_ready_on_an_abstract_socket(self):
        self.check_node(abstract=True)

    def test_no_notify_socket_no_message(self):
        # Without NOTIFY_SOCKET the node starts as always (the report goes to stdout only).
        node = harness.Node()
        try:
            sh = Shell(node.port)
            self.assertTrue(sh.cmd("hello").startswith(b"hello:"))
            sh.close()
            self.assertIn("micros is running.", node.output())
        finally:
            node.stop()

    def test_bad_notify_socket_is_logged_not_fatal(self):
        tmp = tempfile.mkdtemp(prefix="micros-svc-")
        port = free_port()
        env = dict(os.environ, NOTIFY_SOCKET="relative/path")
        p = subprocess.Popen([harness.MICROS, "--data", tmp, "--port", str(port), "--webport",
                              str(free_port()), "--bind", "127.0.0.1"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.time() + 10
            while True:
                try:
                    sh = Shell(port)
                    break
                except OSError:
                    self.assertLess(time.time(), deadline, "node did not start")
                    time.sleep(0.05)
            self.assertTrue(sh.cmd("hello").startswith(b"hello:"))
            sh.close()
        finally:
            p.terminate()
            err = p.communicate(timeout=10)[1].decode()
        self.assertEqual(p.returncode, 0)
        self.assertRegex(err, re.compile(r"cannot notify systemd.*invalid argument"))


if __name__ == "__main__":
    main()
