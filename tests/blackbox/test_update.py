"""Self-update with rollback (svc/update.h, docs/files.md): the real micros copied into a
temporary "install" folder, updated over HTTP with a patched copy of itself (a good build),
/bin/false (a build that exits at once), wrong hashes and a wrong architecture; and a
kill -9 right at the switch."""
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import harness
from harness import free_port, main


def http(port, path, data=None, headers=None, timeout=5):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def our_pids(data_dir):
    """Processes running a micros with this data folder (the node and its watchdog)."""
    pids = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if data_dir.encode() in args and any(a.endswith(b"micros") for a in args[:1]):
            pids.append(int(p))
    return pids


class Update(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="micros-upd-")
        self.bin = os.path.join(self.root, "bin", "micros")
        self.data = os.path.join(self.root, "data")
        os.makedirs(os.path.dirname(self.bin))
        os.makedirs(os.path.join(self.data, "config"))
        shutil.copy2(harness.MICROS, self.bin)
        with open(os.path.join(self.data, "config", "node_config.json"), "w") as f:
            f.write('{"webui": true, "update_deadline": 10}')
        self.port, self.webport = free_port(), free_port()
        self.log = open(os.path.join(self.root, "log"), "ab")
        self.start()

    def start(self):
        self.proc = subprocess.Popen(
            [self.bin, "--data", self.data, "--port", str(self.port), "--webport",
             str(self.webport), "--bind", "127.0.0.1"], stdout=self.log, stderr=subprocess.STDOUT)
        self.wait_answers(10)

    def wait_answers(self, timeout):
        end = time.time() + timeout
        while time.time() < end:
            try:
                st, body = http(self.webport, "/rest/system/update", timeout=1)
                if st == 200:
                    return body
            except OSError:
                pass
            time.sleep(0.1)
        with open(os.path.join(self.root, "log"), "rb") as f:
            raise AssertionError("node does not answer:\n" + f.read().decode(errors="replace"))

    def tearDown(self):
        for pid in our_pids(self.data):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            self.proc.wait(2)
        except subprocess.TimeoutExpired:
            pass
        self.log.close()
        with open(os.path.join(self.root, "log"), "rb") as f:
            out = f.read().decode(errors="replace")
        shutil.rmtree(self.root, ignore_errors=True)
        if "ERROR: AddressSanitizer" in out or "runtime error:" in out:
            raise AssertionError("sanitizer report:\n" + out)

    def send(self, data, sha=None, headers=None):
        h = {"x-sha256": sha or hashlib.sha256(data).hexdigest(),
             "content-type": "application/octet-stream", "x-micros-auth": "ADmin123"}
        h.update(headers or {})
        h = {k: v for k, v in h.items() if v is not None}
        return http(self.webport, "/update", data, h, timeout=30)

    def version(self):
        import json
        return json.loads(self.wait_answers(20))["result"]

    def good_build(self):
        with open(self.bin, "rb") as f:
            b = f.read()
        self.assertIn(b"0.1.0-0", b)
        return b.replace(b"0.1.0-0", b"0.1.0-9")

    def test_good_build_answers_with_the_new_version(self):
        st, body = self.send(self.good_build())
        self.assertEqual(st, 200, body)
        self.assertIn(b"Update accepted", body)
        end = time.time() + 20
        while time.time() < end:
            r = self.version()
            if r.get("state") == "confirmed":
                break
            time.sleep(0.3)
        self.assertEqual(r["version"], "0.1.0-9")
        self.assertEqual(r["previous"], "0.1.0-0")
        self.assertEqual(r["last_result"], "ok: 0.1.0-0 -> 0.1.0-9")
        self.assertTrue(os.path.exists(self.bin + ".prev"))

    def test_build_that_exits_at_once_comes_back_by_itself(self):
        with open("/bin/false", "rb") as f:
            false = f.read()
        t0 = time.time()
        st, body = self.send(false)
        self.assertEqual(st, 200, body)
        time.sleep(0.5)
        r = self.version()
        end = time.time() + 15
        while r.get("state") != "rolledback" and time.time() < end:
            time.sleep(0.2)
            r = self.version()
        self.assertEqual(r["state"], "rolledback")
        self.assertEqual(r["version"], "0.1.0-0")
        self.assertIn("stopped before it confirmed", r["last_result"])
        self.assertLess(time.time() - t0, 10 + 5)  # within the deadline (10 s) and a start
        with open(self.bin, "rb") as f:
            self.assertIn(b"0.1.0-0", f.read())

    def test_build_that_hangs_is_killed_at_the_deadline_and_the_old_one_comes_back(self):
        src = os.path.join(self.root, "hang.c")
        exe = os.path.join(self.root, "hang")
        with open(src, "w") as f:
            f.write("#include <unistd.h>\nint main(void) { for (;;) pause(); }\n")
        cc = shutil.which("cc") or shutil.which("gcc")
        if not cc or subprocess.run([cc, "-o", exe, src]).returncode != 0:
            self.skipTest("no C compiler to make a program that hangs")
        with open(os.path.join(self.data, "config", "node_config.json"), "w") as f:
            f.write('{"webui": true, "update_deadline": 4}')
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(5)
        self.start()
        with open(exe, "rb") as f:
            st, body = self.send(f.read())
        self.assertEqual(st, 200, body)
        t0 = time.time()
        time.sleep(1)
        r = self.version()
        self.assertEqual(r["state"], "rolledback")
        self.assertIn("did not confirm within the deadline", r["last_result"])
        self.assertEqual(r["version"], "0.1.0-0")
        self.assertLess(time.time() - t0, 4 + 10)

    def test_wrong_hash_or_architecture_or_not_a_program_changes_nothing(self):
        with open(self.bin, "rb") as f:
            me = f.read()
        before = os.stat(self.bin)
        st, body = self.send(me, sha="0" * 64)
        self.assertEqual(st, 400)
        self.assertIn(b"SHA-256 mismatch", body)
        other = bytearray(me)
        other[18:20] = (183).to_bytes(2, "little") if me[18] != 183 else (62).to_bytes(2, "little")
        st, body = self.send(bytes(other))
        self.assertEqual(st, 400)
        self.assertIn(b"wrong architecture", body)
        st, body = self.send(b"#!/bin/sh\nexit 0\n")
        self.assertEqual(st, 400)
        st, body = self.send(b"x", sha="nothex")
        self.assertEqual(st, 400)
        self.assertIn(b"x-sha256", body)
        after = os.stat(self.bin)
        self.assertEqual((before.st_ino, before.st_mtime_ns), (after.st_ino, after.st_mtime_ns))
        self.assertFalse(os.path.exists(self.bin + ".upload"))
        self.assertFalse(os.path.exists(self.bin + ".prev"))
        self.assertEqual(self.version()["state"], "never updated")

    def test_update_always_needs_the_password(self):
        st, body = self.send(b"\x7fELF", headers={"x-micros-auth": None})
        self.assertEqual(st, 401)  # auth off: still the password (it runs code on the machine)
        st, body = self.send(b"\x7fELF", headers={"x-micros-auth": "wrong"})
        self.assertEqual(st, 401)
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(5)
        with open(os.path.join(self.data, "config", "node_config.json"), "w") as f:
            f.write('{"webui": true, "auth": true}')
        self.start()
        st, body = self.send(b"\x7fELF", headers={"x-micros-auth": None})
        self.assertEqual(st, 401)
        st, body = self.send(b"\x7fELF" + b"\0" * 60, headers={"x-micros-auth": "ADmin123"})
        self.assertEqual(st, 400)  # past auth: refused as a program of another kind

    def test_microsctl_update_reports_both_outcomes(self):
        exe = os.path.join(os.path.dirname(harness.MICROS), "microsctl")
        env = dict(os.environ, MICROS_CTL_CACHE=os.path.join(self.root, "cache.json"))
        good = os.path.join(self.root, "good")
        with open(good, "wb") as f:
            f.write(self.good_build())
        dev = "127.0.0.1:%d" % self.port
        p = subprocess.run([exe, "update", dev, good, "--webport", str(self.webport), "--password",
                            "ADmin123"],
                           capture_output=True, text=True, timeout=90, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("updated: 0.1.0-0 -> 0.1.0-9", p.stdout)
        p = subprocess.run([exe, "update", dev, "/bin/false", "--webport", str(self.webport),
                            "--password", "ADmin123"],
                           capture_output=True, text=True, timeout=90, env=env)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("not updated, the node is back on 0.1.0-9", p.stdout)

    def test_kill_9_at_the_switch_leaves_a_node_that_starts(self):
        st, body = self.send(self.good_build())
        self.assertEqual(st, 200, body)
        for pid in our_pids(self.data):  # the node in the middle of its switch, the watchdog
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.5)
        for pid in our_pids(self.data):  # whatever a watchdog managed to start
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.3)
        self.assertTrue(os.path.exists(self.bin))
        self.start()
        r = self.version()
        self.assertIn(r["version"], ("0.1.0-0", "0.1.0-9"))


if __name__ == "__main__":
    main()
