"""Update bundles (svc/bundle.h, docs/files.md): a .tar.gz / .tar of modules/ and web/ sent to
POST /update/bundle with its SHA-256. Good bundles (made by Python's tarfile in ustar, GNU and pax
formats, by GNU tar and by microsctl) make a new Lua module callable and a new web file served
after the node's restart; bad ones (traversal, absolute paths, links, devices, oversize entries,
folders outside modules/ and web/, wrong hash, truncated, no password) are refused with nothing
changed; a node killed at every step of the apply starts with the complete new set; rollback
puts the previous files back."""
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import harness
from harness import Node, main

PWD = "ADmin123"
MODULE = b'local M = {}\nfunction M.hi() return "hi from the bundle" end\nreturn M\n'


def http(port, path, data=None, headers=None, method=None, timeout=10):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data,
                                 headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def make_tar(entries, gz=True, fmt=tarfile.USTAR_FORMAT):
    """entries: list of (name, bytes) for files, or (name, TarInfo-customiser) callables."""
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w:gz" if gz else "w", format=fmt) as t:
        for name, content in entries:
            ti = tarfile.TarInfo(name)
            ti.mtime = 1764400000
            if callable(content):
                content(ti)
                t.addfile(ti)
            else:
                ti.size = len(content)
                t.addfile(ti, io.BytesIO(content))
    return bio.getvalue()


def tree(root):
    """Every file under root (but logs/ and the bundle status) with its content hash."""
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            rel = os.path.relpath(p, root)
            if rel.startswith("logs") or rel == os.path.join("update", "bundle.state"):
                continue
            with open(p, "rb") as fh:
                out[rel] = hashlib.sha256(fh.read()).hexdigest()
    return out


class Bundle(unittest.TestCase):
    def setUp(self):
        self.data = tempfile.mkdtemp(prefix="micros-bundle-")
        os.makedirs(os.path.join(self.data, "web"))
        with open(os.path.join(self.data, "web", "old.html"), "w") as f:
            f.write("<!DOCTYPE html><p>old</p>")
        self.node = Node({"webui": True}, data_dir=self.data)

    def tearDown(self):
        self.node.stop()
        shutil.rmtree(self.data, ignore_errors=True)

    def restart(self, env=None):
        self.node.stop()
        self.node = Node(None, data_dir=self.data, env=env)

    def send(self, body, sha=None, pwd=PWD):
        h = {"x-sha256": sha or hashlib.sha256(body).hexdigest(),
             "content-type": "application/octet-stream"}
        if pwd is not None:
            h["x-micros-auth"] = pwd
        return http(self.node.webport, "/update/bundle", body, h)

    def status(self, timeout=20):
        """system update, once the node answers again (after its restart)."""
        end = time.time() + timeout
        while time.time() < end:
            try:
                st, body = http(self.node.webport, "/rest/system/update", timeout=2,
                                headers={"x-micros-auth": PWD})
                if st == 200:
                    r = json.loads(body)["result"]
                    if r.get("bundle") != "accepted":
                        return r
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("node does not answer:\n" + self.node.output())

    def good_entries(self):
        return [("modules/LM_bundled.lua", MODULE),
                ("web/new.html", b"<!DOCTYPE html><p>new</p>"),
                ("web/css/app.css", b"body { color: red }"),
                ("web/old.html", b"<!DOCTYPE html><p>replaced</p>")]

    def assert_new_set(self):
        st, body = http(self.node.webport, "/new.html")
        self.assertEqual((st, body), (200, b"<!DOCTYPE html><p>new</p>"))
        st, body = http(self.node.webport, "/css/app.css")
        self.assertEqual((st, body), (200, b"body { color: red }"))
        st, body = http(self.node.webport, "/old.html")
        self.assertEqual(body, b"<!DOCTYPE html><p>replaced</p>")
        sh = self.node.shell()
        reply = sh.cmd("bundled hi")
        sh.close()
        self.assertIn(b"hi from the bundle", reply)

    def test_good_bundle_new_module_callable_new_web_file_served_and_rollback(self):
        st, body = self.send(make_tar(self.good_entries()))
        self.assertEqual(st, 200, body)
        self.assertIn(b"Bundle accepted: 4 files (1 modules, 3 web files)", body)
        r = self.status()
        self.assertEqual(r["bundle"], "applied", r)
        self.assertIn("applied: 4 files", r["bundle_result"])
        self.assert_new_set()
        prev = os.path.join(self.data, "update", "bundle.prev")
        with open(os.path.join(prev, "web", "old.html")) as f:
            self.assertEqual(f.read(), "<!DOCTYPE html><p>old</p>")
        self.assertFalse(os.path.exists(os.path.join(self.data, "update", "bundle.ready")))
        # rollback: the replaced file back, the added ones gone
        st, body = http(self.node.webport, "/update/bundle/rollback", b"", {"x-micros-auth": PWD})
        self.assertEqual(st, 200, body)
        self.assertIn(b"1 files back, 3 removed", body)
        r = self.status()
        self.assertIn("rolled back", r["bundle_result"])
        self.assertEqual(http(self.node.webport, "/old.html")[1], b"<!DOCTYPE html><p>old</p>")
        self.assertFalse(os.path.exists(os.path.join(self.data, "web", "new.html")))
        self.assertFalse(os.path.exists(os.path.join(self.data, "modules", "LM_bundled.lua")))
        # rollback again: the bundle's files again
        st, body = http(self.node.webport, "/update/bundle/rollback", b"", {"x-micros-auth": PWD})
        self.assertEqual(st, 200, body)
        self.status()
        self.assert_new_set()

    def test_tar_formats_plain_gnu_pax_long_names(self):
        long = "web/" + "/".join(["d%02d" % i + "x" * 24 for i in range(4)]) + "/page.html"
        self.assertGreater(len(long), 100)
        for fmt, gz in ((tarfile.USTAR_FORMAT, False), (tarfile.GNU_FORMAT, True),
                        (tarfile.PAX_FORMAT, True)):
            entries = [("./modules/LM_bundled.lua", MODULE), (long, b"deep %d" % fmt)]
            st, body = self.send(make_tar(entries, gz=gz, fmt=fmt))
            self.assertEqual(st, 200, (fmt, body))
            self.assertEqual(self.status()["bundle"], "applied")
            st, body = http(self.node.webport, "/" + long[4:])
            self.assertEqual((st, body), (200, b"deep %d" % fmt))

    def test_gnu_tar_and_microsctl_bundles(self):
        src = tempfile.mkdtemp(prefix="micros-bundle-src-")
        try:
            os.makedirs(os.path.join(src, "modules"))
            os.makedirs(os.path.join(src, "web", "css"))
            for name, content in self.good_entries():
                with open(os.path.join(src, name), "wb") as f:
                    f.write(content)
            out = os.path.join(src, "b.tar.gz")
            if shutil.which("tar"):
                subprocess.run(["tar", "-czf", out, "-C", src, "modules", "web"], check=True)
                with open(out, "rb") as f:
                    st, body = self.send(f.read())
                self.assertEqual(st, 200, body)
                self.assertEqual(self.status()["bundle"], "applied")
                self.assert_new_set()
            exe = os.path.join(os.path.dirname(harness.MICROS), "microsctl")
            env = dict(os.environ, MICROS_CTL_CACHE=os.path.join(src, "cache.json"),
                       MICROS_NO_PROGRESS="1")
            mb = os.path.join(src, "m.tar.gz")
            p = subprocess.run([exe, "bundle", src, mb], capture_output=True, text=True, env=env)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("4 files", p.stdout)
            dev = "127.0.0.1:%d" % self.node.port
            web = ["--webport", str(self.node.webport)]
            p = subprocess.run([exe, "update", dev, mb, *web, "--password", PWD],
                               capture_output=True, text=True, env=env, timeout=90)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("applied: 4 files", p.stdout)
            self.assert_new_set()
            p = subprocess.run([exe, "update", dev, mb, *web], capture_output=True, text=True,
                               env=dict(env, MICROS_PASSWORD=""), timeout=30, stdin=subprocess.DEVNULL)
            self.assertNotEqual(p.returncode, 0)
            p = subprocess.run([exe, "rollback", dev, *web, "--password", PWD],
                               capture_output=True, text=True, env=env, timeout=90)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("rolled back", p.stdout)
            # microsctl refuses to pack what the node would refuse
            os.symlink("/etc/passwd", os.path.join(src, "web", "link"))
            p = subprocess.run([exe, "bundle", src, mb], capture_output=True, text=True, env=env)
            self.assertEqual(p.returncode, 1)
            self.assertIn("symbolic link", p.stderr)
        finally:
            shutil.rmtree(src, ignore_errors=True)

    def test_bad_bundles_are_refused_and_change_nothing(self):
        def sym(ti):
            ti.type = tarfile.SYMTYPE
            ti.linkname = "/etc/passwd"

        def hard(ti):
            ti.type = tarfile.LNKTYPE
            ti.linkname = "web/old.html"

        def dev(ti):
            ti.type = tarfile.CHRTYPE
            ti.devmajor, ti.devminor = 1, 3

        ok = ("web/fine.html", b"fine")
        cases = [
            ([ok, ("../x", b"x")], b"'..'"),
            ([ok, ("web/../../x", b"x")], b"'..'"),
            ([ok, ("modules/../config/node_config.json", b"{}")], b"'..'"),
            ([ok, ("/etc/x", b"x")], b"absolute path"),
            ([ok, ("web/link", sym)], b"symbolic link"),
            ([ok, ("web/hard", hard)], b"hard link"),
            ([ok, ("web/null", dev)], b"device"),
            ([ok, ("config/node_config.json", b"{}")], b"outside modules/ and web/"),
            ([ok, ("data/x.dat", b"x")], b"outside modules/ and web/"),
            ([ok, ("web/user_data/x.txt", b"x")], b"user_data"),
            ([ok, ("modules/sub/LM_x.lua", b"x")], b"modules/ is flat"),
            ([ok, ("web/a b.html", b"x")], b"[A-Za-z0-9._-]"),
            ([ok, ("web/fine.html", b"again")], b"appears twice"),
            ([ok, ("web/old.html/x", b"x")], b"is a file on the node"),
            ([ok, ("web/fine.html/x", b"x")], b"is a file in the bundle"),
            ([], b"no files"),
        ]
        before = tree(self.data)
        for entries, why in cases:
            st, body = self.send(make_tar(entries))
            self.assertGreaterEqual(st, 400, (entries, body))
            self.assertIn(why, body, entries)
            self.assertIn(b"nothing changed", body)
        # an entry over the size limit (16 MiB): refused at its header, before its data
        big = bytearray(make_tar([ok, ("web/big.bin", b"")], gz=False))
        hdr = 512 + 512  # ok's header + one data block, then big.bin's header
        big[hdr + 124:hdr + 136] = b"%011o\0" % (17 << 20)
        big[hdr + 148:hdr + 156] = b" " * 8
        big[hdr + 148:hdr + 156] = b"%06o\0 " % sum(big[hdr:hdr + 512])
        st, body = self.send(bytes(big))
        self.assertEqual(st, 413, body)
        self.assertIn(b"more than the 16 MiB", body)
        good = make_tar(self.good_entries())
        st, body = self.send(good, sha="0" * 64)
        self.assertEqual(st, 400)
        self.assertIn(b"SHA-256 mismatch", body)
        st, body = self.send(good[:len(good) // 2])
        self.assertEqual(st, 400, body)
        plain = make_tar(self.good_entries(), gz=False)
        st, body = self.send(plain[:4 * 1024])  # 4 entries of one block each, no end blocks
        self.assertEqual(st, 400, body)
        self.assertIn(b"truncated", body)
        st, body = self.send(b"this is not a tar file" * 40)
        self.assertEqual(st, 400)
        self.assertIn(b"not a valid tar", body)
        st, body = self.send(good, pwd=None)
        self.assertEqual(st, 401)
        st, body = self.send(good, pwd="wrong")
        self.assertEqual(st, 401)
        st, body = self.send(good, sha="xyz")
        self.assertEqual(st, 400)
        self.assertIn(b"x-sha256", body)
        self.assertEqual(tree(self.data), before)
        self.assertFalse(os.path.exists(os.path.join(self.data, "update", "bundle.stage")))
        self.assertFalse(os.path.exists(os.path.join(self.data, "update", "bundle.ready")))
        self.assertEqual(http(self.node.webport, "/old.html")[1], b"<!DOCTYPE html><p>old</p>")

    def test_auth_on_needs_the_password(self):
        self.node.stop()
        with open(os.path.join(self.data, "config", "node_config.json"), "w") as f:
            json.dump({"webui": True, "auth": True}, f)
        self.node = Node(None, data_dir=self.data)
        good = make_tar(self.good_entries())
        self.assertEqual(self.send(good, pwd=None)[0], 401)
        st, body = self.send(good)
        self.assertEqual(st, 200, body)
        # REST answers Auth:Protected for modules not loaded yet with auth on: watch the files
        end = time.time() + 20
        while time.time() < end:
            try:
                if http(self.node.webport, "/new.html", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        self.assertEqual(http(self.node.webport, "/new.html")[1], b"<!DOCTYPE html><p>new</p>")
        with open(os.path.join(self.data, "update", "bundle.state")) as f:
            self.assertIn("phase=applied", f.read())
        # microsctl follows the restart over the shell (REST is protected) and reports it
        exe = os.path.join(os.path.dirname(harness.MICROS), "microsctl")
        bfile = os.path.join(self.data, "b2.tar")
        with open(bfile, "wb") as f:
            f.write(make_tar([("web/two.html", b"two")], gz=False))
        p = subprocess.run([exe, "update", "127.0.0.1:%d" % self.node.port, bfile, "--webport",
                            str(self.node.webport), "--password", PWD], capture_output=True,
                           text=True, timeout=90,
                           env=dict(os.environ, MICROS_CTL_CACHE=bfile + ".json"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("applied: 1 files", p.stdout)
        self.assertEqual(http(self.node.webport, "/two.html")[1], b"two")

    def test_kill_9_at_every_step_of_the_apply_leaves_a_node_that_starts_with_the_new_set(self):
        good = make_tar(self.good_entries())
        # the apply of 4 files (one replacing a file) takes 1 + 5 + 2 steps; step 9 = no kill
        for step in range(1, 10):
            with self.subTest(step=step):
                self.restart(env={"MICROS_TEST_BUNDLE_CRASH_AT": str(step)})
                st, body = self.send(good)
                self.assertEqual(st, 200, body)
                # the node restarts into the apply and is killed at that step
                try:
                    self.node.proc.wait(15)
                except subprocess.TimeoutExpired:
                    self.assertEqual(step, 9, "the node did not die at step %d" % step)
                if step < 9:
                    self.assertEqual(self.node.proc.returncode, -signal.SIGKILL)
                self.restart()
                r = self.status()
                self.assertEqual(r["bundle"], "applied", (step, r))
                self.assert_new_set()
                with open(os.path.join(self.data, "update", "bundle.prev", "web",
                                       "old.html")) as f:
                    self.assertEqual(f.read(), "<!DOCTYPE html><p>old</p>", step)
                # back to the old set for the next step
                st, body = http(self.node.webport, "/update/bundle/rollback", b"",
                                {"x-micros-auth": PWD})
                self.assertEqual(st, 200, body)
                self.status()
                self.assertEqual(http(self.node.webport, "/old.html")[1],
                                 b"<!DOCTYPE html><p>old</p>")
                self.assertFalse(os.path.exists(os.path.join(self.data, "web", "new.html")))

    def test_kill_9_while_uploading_and_at_the_restart(self):
        good = make_tar(self.good_entries() + [("web/pad.bin", os.urandom(3 << 20))])
        before = tree(self.data)
        import socket
        s = socket.create_connection(("127.0.0.1", self.node.webport))
        s.sendall(b"POST /update/bundle HTTP/1.1\r\nhost: x\r\ncontent-length: %d\r\n"
                  b"x-sha256: %s\r\nx-micros-auth: %s\r\n\r\n"
                  % (len(good), hashlib.sha256(good).hexdigest().encode(), PWD.encode()))
        s.sendall(good[:len(good) // 2])
        time.sleep(0.3)
        self.node.proc.send_signal(signal.SIGKILL)
        self.node.proc.wait(5)
        s.close()
        self.restart()
        self.assertEqual(tree(self.data), before)
        self.assertFalse(os.path.exists(os.path.join(self.data, "update", "bundle.stage")))
        # a real kill -9 right after the accept (during the restart into the apply)
        st, body = self.send(good)
        self.assertEqual(st, 200, body)
        self.node.proc.send_signal(signal.SIGKILL)
        self.node.proc.wait(5)
        self.restart()
        self.assertEqual(self.status()["bundle"], "applied")
        self.assert_new_set()


if __name__ == "__main__":
    main()
