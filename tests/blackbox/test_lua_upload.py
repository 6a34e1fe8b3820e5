"""Issue 15's "done when" without a browser: LM_hello.lua arrives over the file server (as
`microsctl put` sends it) and is called over the shell, REST and microsctl, while the bare
`hello` keeps micrOS's wire answer; a second upload is live on the next call; reserved names
are refused with a reason (docs/lua.md, "Names")."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import harness
from harness import Node, main
from test_files import part, request, upload

P = b"node01 $ "
HELLO_LUA = b"""local M = {}
function M.greet(name) return "hi " .. name end
function M.world() return "round" end
M.__help = {"BUTTON world"}
return M
"""


def ctl(*args, timeout=120):
    exe = os.path.join(os.path.dirname(harness.MICROS), "microsctl")
    env = dict(os.environ, MICROS_CTL_CACHE=os.path.join(tempfile.gettempdir(),
                                                          "microsctl-lmhello-cache.json"))
    p = subprocess.run([exe, *args], capture_output=True, text=True, timeout=timeout, env=env)
    return p.returncode, p.stdout, p.stderr


def rest(node, path):
    st, _, body = request(node.webport, "GET", "/rest/" + path)
    assert st == 200, (path, st, body)
    return json.loads(body)


class LmHello(unittest.TestCase):
    def setUp(self):
        self.node = Node(config={"webui": True, "fileserver": True, "fs_mounts_rw": True})
        if not rest(self.node, "lua/available")["result"]:
            self.node.stop()
            self.skipTest("this micros is built without Lua (MICROS_LUA off)")
        self.sh = self.node.shell()
        self.greeting = self.sh.cmd("hello")
        self.assertTrue(self.greeting.startswith(b"hello:node01:micr"), self.greeting)

    def tearDown(self):
        self.sh.close()
        self.node.stop()

    def errlog(self):
        try:
            with open(os.path.join(self.node.data_dir, "logs", "err.sys.log")) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def test_uploaded_lm_hello_is_called_and_bare_hello_stays_micros(self):
        # before the upload: micrOS's behaviour, extra words ignored; REST has no hello
        self.assertEqual(self.sh.cmd("hello greet you"), self.greeting)
        self.assertIn("No module named 'LM_hello'", str(rest(self.node, "hello/greet/you")))
        st, _, rb = upload(self.node.webport, part("$modules/LM_hello.lua", HELLO_LUA))
        self.assertEqual((st, rb), (200, b"ok"))
        # shell: `hello <function>` calls the module, bare `hello` is the greeting
        self.assertEqual(self.sh.cmd("hello greet you"), b"hi you\n" + P)
        self.assertEqual(self.sh.cmd("hello greet name=x >json"), b'"hi x"\n' + P)
        self.assertEqual(self.sh.cmd("hello world"), b"round\n" + P)
        self.assertEqual(self.sh.cmd("hello"), self.greeting)
        self.assertEqual(self.sh.cmd("  hello  "), self.greeting)
        # a word that is not one of its functions: micrOS's greeting, extra words ignored
        self.assertEqual(self.sh.cmd("hello there"), self.greeting)
        self.assertEqual(self.sh.cmd("hello >json"), self.greeting)
        help_ = self.sh.cmd("hello help")
        self.assertIn(b"greet name", help_)
        self.assertIn(b"world", help_)
        self.assertIn(b"'hello'", self.sh.cmd("modules"))
        self.assertIn(b"  hello\n", self.sh.cmd("help"))
        # a task of the module: hello greet ... &
        self.assertIn(b"'hello.greet': 'Starting'", self.sh.cmd("hello greet t &"))
        # REST: /rest/hello is micrOS's hint, /rest/hello/<function> the module
        j = rest(self.node, "hello")
        self.assertFalse(j["state"])
        self.assertEqual(rest(self.node, "hello/greet/you"), {"result": "hi you", "state": True})
        j = rest(self.node, "hello/help/True")
        self.assertTrue(j["state"])
        self.assertIn("world", json.loads(j["result"][0])["callback"])
        # conf mode: hello stays the greeting there (everything else is a config key)
        self.sh.cmd("conf")
        self.assertEqual(self.sh.cmd("hello greet you"),
                         self.greeting[:-len(P)] + b"[configure] " + P)
        self.sh.cmd("noconf")
        # a second upload with changed code is live on the next call
        st, _, _ = upload(self.node.webport,
                          part("$modules/LM_hello.lua", HELLO_LUA.replace(b'"hi "', b'"hey "')))
        self.assertEqual(st, 200)
        # still listed (and on the dashboard) before its next call: in use stays in use
        self.assertIn(b"'hello'", self.sh.cmd("modules"))
        self.assertEqual(self.sh.cmd("hello greet you"), b"hey you\n" + P)
        self.assertEqual(rest(self.node, "hello/greet/you")["result"], "hey you")
        self.assertEqual(self.sh.cmd("hello"), self.greeting)
        # a broken upload: its call says why (not the greeting), the bare word still greets
        upload(self.node.webport, part("$modules/LM_hello.lua", b"local M = {\nreturn M\n"))
        out = self.sh.cmd("hello greet you")
        self.assertTrue(out.startswith(b"Core error: LM_hello->greet: LM_hello.lua:"), out)
        self.assertEqual(self.sh.cmd("hello"), self.greeting)
        # deleted: back to micrOS's behaviour
        st, _, _ = request(self.node.webport, "DELETE", "/fs/files", b"$modules/LM_hello.lua",
                           headers={"content-type": "text/plain"})
        self.assertEqual(st, 200)
        self.assertEqual(self.sh.cmd("hello greet you"), self.greeting)

    def test_hello_module_before_login_answers_the_greeting(self):
        node = Node(config={"auth": True})
        try:
            mods = os.path.join(node.data_dir, "modules")
            os.makedirs(mods, exist_ok=True)
            with open(os.path.join(mods, "LM_hello.lua"), "wb") as f:
                f.write(HELLO_LUA)
            sh = node.shell()
            self.assertEqual(sh.greeting, b"[password] " + P)
            # not logged in: the bare hello greets; `hello greet you` is a login line (the whole
            # line is the password, compat.md), never a module call
            self.assertTrue(sh.cmd("hello").startswith(b"hello:node01:micr"))
            sh.sock.sendall(b"hello greet you")
            self.assertEqual(sh.read_eof(), b"AuthFailed\nBye!\n")
            sh.close()
            sh = node.shell()
            self.assertEqual(sh.cmd("ADmin123"), b"AuthOk\n" + P)
            self.assertEqual(sh.cmd("hello greet you"), b"hi you\n" + P)
            sh.close()
        finally:
            node.stop()

    def test_version_module_and_reserved_names(self):
        mods = os.path.join(self.node.data_dir, "modules")
        os.makedirs(mods, exist_ok=True)
        for name in ("version", "exit", "config", "task", "reboot", "help", "modules", "rgb"):
            with open(os.path.join(mods, "LM_%s.lua" % name), "wb") as f:
                f.write(b'local M = {}\nfunction M.now() return "' + name.encode() +
                        b' module" end\nreturn M\n')
        version = self.sh.cmd("version")
        self.assertEqual(self.sh.cmd("version now"), b"version module\n" + P)
        self.assertEqual(self.sh.cmd("version"), version)
        self.assertEqual(self.sh.cmd("exit now"), b"exit module\n" + P)
        self.assertEqual(self.sh.cmd("config now"), b"config module\n" + P)
        allmods = self.sh.cmd("modules all")
        for ok in (b"'version'", b"'exit'", b"'config'"):
            self.assertIn(ok, allmods)
        for bad in (b"'reboot'", b"'help'", b"'modules', 'task'"):
            self.assertNotIn(bad, allmods.replace(b"'modules', 'task']", b"]"))
        # a reserved name: the file is ignored, and why is in `lua stats` and the syslog
        stats = json.loads(self.sh.cmd("lua stats >json")[:-len(P)])
        self.assertIn("'task' is the executor's task command", stats["task"]["error"])
        self.assertIn("'reboot' is the shell's reboot", stats["reboot"]["error"])
        self.assertIn("a built-in C module is called rgb", stats["rgb"]["error"])
        self.assertNotIn("error", stats["version"])
        log = self.errlog()
        self.assertIn("LM_task.lua ignored: 'task' is the executor's task command", log)
        self.assertIn("LM_help.lua ignored: 'help' is the shell's help", log)
        self.assertEqual(log.count("LM_task.lua ignored"), 1)
        self.sh.cmd("modules all")  # a rescan does not log it again
        self.assertEqual(self.errlog().count("LM_task.lua ignored"), 1)
        self.assertIn(b"Invalid task cmd", self.sh.cmd("task now"))


    def test_microsctl_put_says_whether_the_module_runs(self):
        tmp = tempfile.mkdtemp(prefix="microsctl-lmcheck-")
        try:
            dev = "127.0.0.1:%d" % self.node.port
            web = ["--webport", str(self.node.webport)]
            for name, text in (("LM_hello.lua", HELLO_LUA), ("LM_task.lua", HELLO_LUA),
                               ("LM_bad.lua", b"local M = {\n")):
                with open(os.path.join(tmp, name), "wb") as f:
                    f.write(text)
            rc, out, err = ctl("put", dev, os.path.join(tmp, "LM_hello.lua"), "$modules/", *web)
            self.assertEqual(rc, 0, err)
            self.assertIn("hello is ready: microsctl run %s 'hello help'" % dev, out)
            rc, out, err = ctl("put", dev, os.path.join(tmp, "LM_task.lua"), "$modules/", *web)
            self.assertEqual(rc, 0, err)  # the upload itself worked
            self.assertIn("the node cannot run it: LM_task.lua ignored: 'task' is", err)
            rc, out, err = ctl("put", dev, os.path.join(tmp, "LM_bad.lua"), "$modules/", *web)
            self.assertIn("the node cannot run it: LM_bad.lua:", err)
            # not into $modules: no check
            rc, out, err = ctl("put", dev, os.path.join(tmp, "LM_hello.lua"), *web)
            self.assertEqual(rc, 0, err)
            self.assertNotIn("ready", out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class MicrosctlPut(unittest.TestCase):
    def test_put_then_run_and_rest(self):
        node = Node(config={"webui": True, "fileserver": True, "fs_mounts_rw": True,
                            "auth": True})
        tmp = tempfile.mkdtemp(prefix="microsctl-lmhello-")
        try:
            if not rest(node, "lua/available")["result"]:
                self.skipTest("this micros is built without Lua (MICROS_LUA off)")
            dev = "127.0.0.1:%d" % node.port
            web = ["--webport", str(node.webport), "--password", "ADmin123"]
            src = os.path.join(tmp, "LM_hello.lua")
            with open(src, "wb") as f:
                f.write(HELLO_LUA)
            rc, out, err = ctl("put", dev, src, "$modules/", *web)
            self.assertEqual(rc, 0, err)
            pwd = ["--password", "ADmin123"]
            rc, out, err = ctl("run", dev, "hello greet you", "hello", *pwd)
            self.assertEqual(rc, 0, err)
            self.assertIn("hi you", out)
            self.assertIn("hello:node01:micr", out)
            # --json appends >json to a module call, not to the bare built-in
            rc, out, err = ctl("run", dev, "hello greet you", "hello", "--json", *pwd)
            self.assertEqual(rc, 0, err)
            got = json.loads(out)
            self.assertEqual([g["cmd"] for g in got], ["hello greet you >json", "hello"])
            self.assertEqual(got[0]["reply"], "hi you")
            # the same file changed and put again: the next call runs the new code
            with open(src, "wb") as f:
                f.write(HELLO_LUA.replace(b'"hi "', b'"hey "'))
            rc, out, err = ctl("put", dev, src, "$modules/", *web)
            self.assertEqual(rc, 0, err)
            rc, out, err = ctl("run", dev, "hello greet you", *pwd)
            self.assertIn("hey you", out)
            # REST (what the dashboard calls); with auth on, a module runs once imported
            self.assertEqual(rest(node, "hello/greet/you")["result"], "hey you")
        finally:
            node.stop()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
