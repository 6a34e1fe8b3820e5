"""Black-box test harness: starts the real `micros` on free loopback ports with a
temporary data folder and talks to it over real sockets.

Usage from a test file:
    from harness import Node, main
    class T(unittest.TestCase): ...
    if __name__ == "__main__": main()
Run as: python3 test_x.py --micros /path/to/micros
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

MICROS = None


def free_port():
    """Returns a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    """A running micros process with its own data folder and ports."""

    def __init__(self, config=None, data_dir=None, extra_args=(), env=None):
        self.tmp = None
        if data_dir is None:
            self.tmp = tempfile.mkdtemp(prefix="micros-bb-")
            data_dir = self.tmp
        self.data_dir = data_dir
        self.port = free_port()
        self.webport = free_port()
        if config is not None:
            os.makedirs(os.path.join(data_dir, "config"), exist_ok=True)
            with open(os.path.join(data_dir, "config", "node_config.json"), "w") as f:
                json.dump(config, f)
        self.log_path = os.path.join(tempfile.gettempdir(), "micros-bb-%d.log" % self.port)
        self.log = open(self.log_path, "wb")
        # No lookups off the machine: no DNS server from /etc/resolv.conf, no mDNS, unless the
        # test brings its own (test_names runs them inside network namespaces).
        run_env = dict(os.environ, MICROS_DNS="off", MICROS_MDNS="off")
        run_env.update(env or {})
        self.proc = subprocess.Popen(
            [MICROS, "--data", data_dir, "--port", str(self.port), "--webport", str(self.webport),
             "--bind", "127.0.0.1", *extra_args],
            stdout=self.log, stderr=subprocess.STDOUT, env=run_env)
        self.wait_ready()

    def wait_ready(self, timeout=10.0):
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("micros exited with %s:\n%s" % (self.proc.returncode, self.output()))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.recv(256)
                    s.sendall(b"exit")
                    s.recv(64)
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("micros did not start listening:\n" + self.output())

    def output(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        if "ERROR: AddressSanitizer" in self.output() or "runtime error:" in self.output():
            raise AssertionError("sanitizer report:\n" + self.output())
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def shell(self, **kw):
        return Shell(self.port, **kw)


class Shell:
    """One shell connection, read like micrOS's own client: until the prompt."""

    def __init__(self, port, host="127.0.0.1", timeout=5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.greeting = self.read_until_prompt()

    def read_until(self, pred, timeout=5.0):
        data = b""
        end = time.time() + timeout
        while not pred(data):
            left = end - time.time()
            if left <= 0:
                raise TimeoutError("no complete reply, got %r" % data)
            self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data

    def read_until_prompt(self, timeout=5.0):
        return self.read_until(lambda d: d.endswith(b"$ ") or b"Bye!\n" in d, timeout)

    def cmd(self, text, newline=False, timeout=5.0):
        """Sends a command (bytes or str) and returns the raw reply up to the prompt."""
        if isinstance(text, str):
            text = text.encode()
        self.sock.sendall(text + (b"\n" if newline else b""))
        return self.read_until_prompt(timeout)

    def read_eof(self, timeout=5.0):
        return self.read_until(lambda d: False, timeout)

    def close(self):
        self.sock.close()


def main():
    global MICROS
    args = sys.argv[1:]
    if "--micros" in args:
        i = args.index("--micros")
        MICROS = os.path.abspath(args[i + 1])
        del args[i:i + 2]
    else:
        here = os.path.dirname(os.path.abspath(__file__))
        MICROS = os.path.join(here, "..", "..", "build-test", "micros")
    unittest.main(argv=[sys.argv[0]] + args, verbosity=2)
