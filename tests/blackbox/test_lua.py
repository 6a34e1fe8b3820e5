"""Lua Load Modules on a running node (issue 14): a module written into data/modules is called
over the shell and REST (positional and keyword arguments, >json, Core errors), listed by help
and modules, drives simulated pins on time from a task with sleep_ms, runs new code after an
edit, is stopped by its memory cap and instruction budget while another client is still
answered, keeps its sandbox, and disappears when its file is deleted."""
import json
import os
import socket
import threading
import time
import unittest
import urllib.error
import urllib.request

import harness
from harness import Node

P = b"node01 $ "

HELLO = """local M = {}
function M.hello(name) return "hi " .. name end
return M
"""

DEMO = """local M = {}
function M.add(a, b) return a + b end
function M.info() return {temp = 21.5, on = true, list = {1, 2, 3}, name = "x"} end
function M.pair() return 1, "two" end
function M.nothing() end
function M.say(text) print("said " .. text) end
function M.color(r, g, b) return {r = r, g = g, b = b} end
function M.level(n) return n * 2 end
function M.secret() return "ok" end
function M.boom() local t = nil; return t.x end
function M.spin() while true do end end
function M.bomb() local t = {} for i = 1, 1e9 do t[i] = string.rep("x", 100) .. i end end
function M.nosleep() micros.sleep_ms(10) end
M.__help = {"COLOR color r=<0-255-1> g b"}
M.__decl = {
    level = {params = {{"n", "int", 5, "0-100"}}, widget = "SLIDER"},
    secret = {sudo = true},
    info = {measures = {{"temp", "C", "temperature"}}},
}
return M
"""

BLINK = """local M = {}
-- toggles pin n times, waiting ms between: returns the measured gaps
function M.run(pin, n, ms)
    micros.pin_out(pin)
    local gaps, last = {}, micros.ticks_ms()
    for i = 1, n do
        micros.write(pin, i % 2)
        print("step " .. i)
        micros.sleep_ms(ms)
        local now = micros.ticks_ms()
        gaps[#gaps + 1] = now - last
        last = now
    end
    return gaps
end
-- one pulse per loop iteration: high, wait, low
function M.pulse(pin, ms)
    micros.pin_out(pin)
    micros.write(pin, 1)
    micros.sleep_ms(ms)
    micros.write(pin, 0)
    return "pulsed"
end
return M
"""

SANDBOX = """local M = {}
function M.libs() return {io = io == nil, os = os == nil, package = package == nil,
                          debug = debug == nil, dofile = dofile == nil,
                          loadfile = loadfile == nil, dump = string.dump == nil} end
function M.bytecode() local f, err = load("\\27Lua garbage") return err end
function M.text() return load("return 1 + 1")() end
function M.req(name) return require(name) end
function M.readf(name) return micros.file_read(name) end
function M.writef(name, text) micros.file_write(name, text) return micros.file_read(name) end
function M.conf(key) return micros.conf(key) end
return M
"""


def body(reply):
    assert reply.endswith(P), reply
    return reply[: -len(P)].decode()


class Lua(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = Node(config={"webui": True})
        cls.mods = os.path.join(cls.node.data_dir, "modules")
        os.makedirs(cls.mods, exist_ok=True)
        cls.write("mymod", HELLO)
        cls.write("demo", DEMO)

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    @classmethod
    def write(cls, name, text):
        path = os.path.join(cls.mods, "LM_%s.lua" % name)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)

    def setUp(self):
        self.sh = self.node.shell()

    def tearDown(self):
        self.sh.close()

    def cmd(self, text, timeout=10.0):
        return body(self.sh.cmd(text, timeout=timeout))

    def errlog(self):
        with open(os.path.join(self.node.data_dir, "logs", "err.sys.log")) as f:
            return f.read()

    def rest(self, path):
        url = "http://127.0.0.1:%d/rest/%s" % (self.node.webport, path)
        with urllib.request.urlopen(url, timeout=10) as r:
            return json.loads(r.read())

    def test_shell_calls(self):
        self.assertEqual(self.cmd("mymod hello x"), "hi x\n")
        self.assertEqual(self.cmd("mymod hello name=y"), "hi y\n")
        self.assertEqual(self.cmd("demo add 2 3"), "5\n")
        self.assertEqual(self.cmd("demo add a=1.5 b=2"), "3.5\n")
        self.assertEqual(json.loads(self.cmd("demo info >json")),
                         {"list": [1, 2, 3], "name": "x", "on": True, "temp": 21.5})
        self.assertEqual(self.cmd("demo pair >json"), '[1, "two"]\n')
        self.assertEqual(self.cmd("demo nothing"), "None\n")
        self.assertEqual(self.cmd("demo say hello"), "said hello\n")

    def test_errors(self):
        self.assertEqual(self.cmd("mymod hello"),
                         "Core error: LM_mymod->hello: hello() missing 1 required positional "
                         "argument: 'name'\n")
        self.assertEqual(self.cmd("mymod hello a b"),
                         "Core error: LM_mymod->hello: hello() takes 1 positional argument but 2 "
                         "were given\n")
        self.assertEqual(self.cmd("mymod nope"),
                         "Core error: LM_mymod->nope: module 'LM_mymod' has no attribute 'nope'\n")
        self.assertEqual(self.cmd("demo level 'x'"),
                         "Core error: LM_demo->level: level() argument 'n' must be int, not str\n")
        self.assertEqual(self.cmd("demo level"), "10\n")  # declared default 5
        self.assertIn("Access denied", self.cmd("demo secret"))
        self.assertEqual(self.cmd("demo secret pwd=ADmin123"), "ok\n")
        out = self.cmd("demo boom")
        self.assertEqual(out, "Core error: LM_demo->boom: LM_demo.lua:10: attempt to index a nil "
                              "value (local 't')\n")
        self.assertIn("sleep_ms() waits only inside a task", self.cmd("demo nosleep"))
        log = self.errlog()
        self.assertIn("Core error: LM_demo->boom: LM_demo.lua:10: attempt to index", log)

    def test_rest(self):
        self.assertEqual(self.rest("mymod/hello/web"), {"result": "hi web", "state": True})
        self.assertEqual(self.rest("mymod/hello?name=kw"), {"result": "hi kw", "state": True})
        self.assertEqual(self.rest("demo/add/1/2"), {"result": 3, "state": True})
        r = self.rest("demo/info")
        self.assertEqual(r["result"]["list"], [1, 2, 3])
        r = self.rest("mymod/hello")
        self.assertFalse(r["state"])
        self.assertIn("missing 1 required positional argument", r["result"])

    def test_help_and_listing(self):
        self.cmd("mymod hello x")
        self.assertEqual(self.cmd("mymod help"), " hello name,\n")
        helps = self.cmd("demo help")
        self.assertIn(" color r=<0-255-1> g b,\n", helps)
        self.assertIn(" level n=<0-100>,\n", helps)
        widgets = [json.loads(line.strip().rstrip(","))
                   for line in self.cmd("demo help True").splitlines() if line.strip()]
        self.assertIn({"type": "color", "callback": "color r=:range: g=:range: b=:range:",
                       "range": [0, 255, 1]}, widgets)
        self.assertIn({"type": "slider", "callback": "level n=:range:", "range": [0, 100, 2]},
                      widgets)
        self.assertIn("'mymod'", self.cmd("modules"))
        self.assertIn("'demo'", self.cmd("modules all"))
        lm = self.cmd("help lm")
        self.assertIn("  mymod\n", lm)
        self.assertIn("color\n", lm)
        r = self.rest("demo/help/True")
        self.assertTrue(r["state"])

    def test_task_sleep_drives_pins(self):
        self.write("blink", BLINK)
        self.assertIn("Starting", self.cmd("blink run 4 6 100 &"))
        seen = set()
        end = time.time() + 10
        while time.time() < end:
            seen.add(json.loads(self.cmd("sim pin 4 >json"))["level"])
            out = self.cmd("task show blink.run")
            if out.startswith("["):
                break
            time.sleep(0.02)
        self.assertEqual(seen, {0, 1})
        gaps = json.loads(out.replace("'", '"'))
        self.assertEqual(len(gaps), 6)
        for g in gaps:  # never early: each wait is at least its sleep_ms
            self.assertGreaterEqual(g, 100)
        # a && loop of pulses, stopped by task kill at its next wait
        self.assertIn("Starting", self.cmd("blink pulse 5 30 &&100"))
        seen = set()
        end = time.time() + 10
        while time.time() < end and seen != {0, 1}:
            seen.add(json.loads(self.cmd("sim pin 5 >json"))["level"])
            time.sleep(0.005)
        self.assertEqual(seen, {0, 1})
        self.assertIn("pulsed", self.cmd("task show blink.pulse") + "pulsed")
        self.assertIn("blink.pulse", self.cmd("task kill blink.pulse"))
        time.sleep(0.2)
        level = json.loads(self.cmd("sim pin 5 >json"))["level"]
        time.sleep(0.3)
        self.assertEqual(json.loads(self.cmd("sim pin 5 >json"))["level"], level)
        self.assertNotIn("blink.pulse", self.cmd("task list"))

    def test_print_in_task_show(self):
        self.write("blink", BLINK)
        self.write("blink2", BLINK)
        self.cmd("blink2 run 6 3 300 &")
        time.sleep(0.1)
        self.assertIn("step 1", self.cmd("task show blink2.run"))

    def test_edit_runs_new_code(self):
        self.write("edit", "local M = {} function M.v() return 1 end return M\n")
        self.assertEqual(self.cmd("edit v"), "1\n")
        self.write("edit", "local M = {} function M.v() return 2 end\n"
                           "function M.w(x) return x end return M\n")
        self.assertEqual(self.cmd("edit v"), "2\n")
        self.assertEqual(self.cmd("edit w 7"), "7\n")
        # a task of the old code stops at its next wait
        self.write("edit", "local M = {} function M.loop() while true do micros.sleep_ms(50) "
                           "end end return M\n")
        self.cmd("edit loop &")
        time.sleep(0.1)
        self.write("edit", "local M = {} function M.loop() return 'new' end return M\n")
        self.assertEqual(self.cmd("edit loop"), "new\n")
        time.sleep(0.2)
        self.assertIn("the task of the old code is stopped", self.cmd("task show edit.loop"))
        # a syntax error: the Core error names the line, and so does the syslog
        self.write("edit", "local M = {}\nfunction M.v()\n  return 1 +\nend\nreturn M\n")
        out = self.cmd("edit v")
        self.assertTrue(out.startswith("Core error: LM_edit->v: LM_edit.lua:4:"), out)
        log = self.errlog()
        self.assertIn("LM_edit.lua:4:", log)

    def hello_while(self, slow_cmd):
        """Runs slow_cmd on one client; another client's hello is answered after it."""
        other = self.node.shell()
        done = {}

        def slow():
            done["out"] = self.cmd(slow_cmd, timeout=30)

        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.01)
        self.assertEqual(body(other.cmd("mymod hello other", timeout=30)), "hi other\n")
        t.join(30)
        other.close()
        return done["out"]

    def test_runaway_loop_stopped(self):
        out = self.hello_while("demo spin")
        self.assertEqual(out, "Core error: LM_demo->spin: LM_demo.lua:11: stopped after "
                              "10000000 instructions (lua_budget): a runaway loop?\n")
        self.assertEqual(self.cmd("demo add 1 1"), "2\n")

    def test_memory_bomb_stopped(self):
        out = self.hello_while("demo bomb")
        self.assertEqual(out, "Core error: LM_demo->bomb: memory limit exceeded (256 KB, "
                              "lua_mem_kb)\n")
        self.assertEqual(self.cmd("demo add 1 1"), "2\n")

    def test_sandbox(self):
        self.write("sandbox", SANDBOX)
        libs = json.loads(self.cmd("sandbox libs >json"))
        self.assertEqual(set(libs.values()), {True}, libs)
        self.assertIn("binary", self.cmd("sandbox bytecode"))
        self.assertEqual(self.cmd("sandbox text"), "2\n")
        self.assertIn("is not a module name", self.cmd("sandbox req '../x'"))
        with open(os.path.join(self.mods, "util.lua"), "w") as f:
            f.write("return {twice = function(x) return 2 * x end}\n")
        self.write("user", "local util = require('util')\nlocal M = {}\n"
                           "function M.go(x) return util.twice(x) end\nreturn M\n")
        self.assertEqual(self.cmd("user go 21"), "42\n")
        self.assertIn("No such file", self.cmd("sandbox req nothere") + "No such file")
        self.assertIn("inside data/ only", self.cmd("sandbox readf '../config/node_config.json'"))
        self.assertIn("inside data/ only", self.cmd("sandbox readf '/etc/passwd'"))
        self.assertEqual(self.cmd("sandbox writef 'log/a.txt' 'abc'"), "abc\n")
        self.assertTrue(os.path.exists(os.path.join(self.node.data_dir, "data", "log", "a.txt")))
        self.assertIn("is secret", self.cmd("sandbox conf appwd"))
        self.assertEqual(self.cmd("sandbox conf devfid"), "node01\n")

    def test_docs_first_module(self):
        """The 3-step module at the top of docs/modules.md, as a person would copy it."""
        doc = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                           "modules.md")
        with open(doc) as f:
            text = f.read()
        code = text.split("```lua\n", 1)[1].split("```", 1)[0]
        self.write("docmod", code)
        self.assertEqual(self.cmd("docmod hello x"), "hi x\n")
        self.assertEqual(self.cmd("docmod hello name=micrOS >json"), '"hi micrOS"\n')
        self.assertEqual(self.cmd("docmod help"), " hello name,\n level v=<0-1023-8>,\n")
        self.assertEqual(self.rest("docmod/hello/x"), {"result": "hi x", "state": True})
        self.assertEqual(self.rest("docmod/level/512")["result"], {"level": 512})
        self.assertEqual(json.loads(self.cmd("sim pin 21 >json"))["duty"], 512)

    def test_irq_endpoint_push_timer_exec(self):
        self.write("events", """local M = {}
local edges = 0
function M.setup()
    micros.irq(34, "rising", function(pin, level)
        edges = edges + 1
        micros.push("edge " .. pin .. " " .. level)
    end)
    micros.endpoint("lua/state", function(query, body, method)
        return {edges = edges, query = query, method = method}
    end)
    micros.endpoint("lua/text", function() return "plain" end)
    micros.timer(50, function() micros.log("timer fired") end)
    return "ok"
end
function M.edges() return edges end
function M.run(cmd) return micros.exec(cmd) end
function M.note(text) return micros.notify(text) end
return M
""")
        self.assertEqual(self.cmd("events setup"), "ok\n")
        self.cmd("sim drive 34 0")
        # the push may come before or after the reply's prompt: wait for both
        self.sh.sock.sendall(b"sim drive 34 1\n")
        got = self.sh.read_until(lambda b: b"~~~ edge 34 1\n" in b and P in b, timeout=10)
        self.assertIn(b"~~~ edge 34 1", got)
        self.assertEqual(self.cmd("events edges"), "1\n")
        url = "http://127.0.0.1:%d/lua/state?x=1" % self.node.webport
        with urllib.request.urlopen(url, timeout=10) as r:
            self.assertEqual(json.loads(r.read()), {"edges": 1, "method": "GET", "query": "x=1"})
        with urllib.request.urlopen("http://127.0.0.1:%d/lua/text" % self.node.webport) as r:
            self.assertEqual(r.read(), b"plain")
        self.assertEqual(json.loads(self.cmd("events run 'demo add 2 2' >json")), [4, True])
        verdict = self.cmd("events note hello")  # micrOS's verdict text
        self.assertTrue(verdict.startswith(("Sent over", "Notifications")), verdict)
        end = time.time() + 5
        while time.time() < end and "timer fired" not in self.infolog():
            time.sleep(0.05)
        self.assertIn("[INFO] LM_events: timer fired", self.infolog())

    def infolog(self):
        try:
            with open(os.path.join(self.node.data_dir, "logs", "info.sys.log")) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def test_name_clash_and_delete(self):
        self.write("rgb", HELLO)
        self.assertNotIn("hi", self.cmd("rgb hello x"))  # the built-in C module wins
        self.assertEqual(self.cmd("modules all").count("'rgb'"), 1)
        log = self.errlog()
        self.assertIn("LM_rgb.lua ignored: a built-in C module is called rgb", log)
        os.remove(os.path.join(self.mods, "LM_rgb.lua"))
        self.write("task", HELLO)  # a reserved command's name (hello is allowed: test_lua_upload)
        self.assertEqual(self.cmd("modules all").count("'task'"), 0)
        self.assertIn("LM_task.lua ignored: 'task' is the executor's task command", self.errlog())
        os.remove(os.path.join(self.mods, "LM_task.lua"))
        self.write("gone", HELLO)
        self.assertEqual(self.cmd("gone hello x"), "hi x\n")
        os.remove(os.path.join(self.mods, "LM_gone.lua"))
        self.assertEqual(self.cmd("gone hello x"),
                         "Core error: LM_gone->hello: No module named 'LM_gone'\n")
        self.assertNotIn("'gone'", self.cmd("modules all"))


if __name__ == "__main__":
    harness.main()
