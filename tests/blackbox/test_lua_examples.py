"""The four Lua examples of docs/examples (issue 14) on simulated hardware: neoeffects paints
the strip and plays coroutine effects as tasks, rgbcct drives five PWM channels from one
control, thermostat switches its relay with a hysteresis and logs to data/, pet_feeder moves
its servo and a cron entry feeds on time. Each module's memory stays under 64 KB."""
import json
import os
import shutil
import time
import unittest

import harness
from harness import Node

P = b"node01 $ "
EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                        "examples")
# esp32 pin map (the simulator's default)
NEOP, REDGB, RGREENB, RGBUE, CWHITE, WWHITE, SWITCH, SERVO = 15, 14, 12, 15, 26, 27, 26, 27


def body(reply):
    assert reply.endswith(P), reply
    return reply[: -len(P)].decode()


class Examples(unittest.TestCase):
    def start(self, config=None):
        cfg = {"webui": False}
        cfg.update(config or {})
        node = Node(config=cfg)
        self.addCleanup(node.stop)
        mods = os.path.join(node.data_dir, "modules")
        os.makedirs(mods, exist_ok=True)
        for f in os.listdir(EXAMPLES):
            if f.endswith(".lua"):
                shutil.copy(os.path.join(EXAMPLES, f), mods)
        sh = node.shell()
        self.addCleanup(sh.close)
        return node, sh

    def cmd(self, sh, text):
        return body(sh.cmd(text, timeout=10))

    def jcmd(self, sh, text):
        return json.loads(self.cmd(sh, text + " >json"))

    def test_neoeffects(self):
        node, sh = self.start()
        self.assertEqual(self.jcmd(sh, "neoeffects load 4"), {"ledcnt": 4, "pin": NEOP})
        self.jcmd(sh, "neoeffects color 10 20 30")
        self.assertEqual(self.jcmd(sh, "sim strip %d" % NEOP), [[10, 20, 30]] * 4)
        self.jcmd(sh, "neoeffects brightness 50")
        self.jcmd(sh, "neoeffects color 100 0 200")
        self.assertEqual(self.jcmd(sh, "sim strip %d" % NEOP), [[50, 0, 100]] * 4)
        self.jcmd(sh, "neoeffects brightness 100")
        # a walking pixel: 4 frames, 20 ms apart, as a task
        self.assertIn("Starting", self.cmd(sh, "neoeffects cycle 0 0 255 20 &"))
        seen = set()
        end = time.time() + 10
        while time.time() < end:
            strip = self.jcmd(sh, "sim strip %d" % NEOP)
            if [0, 0, 255] in strip:
                seen.add(strip.index([0, 0, 255]))
            if "done" in self.cmd(sh, "task show neoeffects.cycle"):
                break
            time.sleep(0.005)
        self.assertEqual(self.cmd(sh, "task show neoeffects.cycle"), "done\n")
        self.assertGreaterEqual(len(seen), 2)  # the pixel moved
        # a rainbow loop, stopped by task kill
        self.cmd(sh, "neoeffects rainbow 10 1000 &")
        time.sleep(0.1)
        a = self.jcmd(sh, "sim strip %d" % NEOP)
        self.assertNotEqual(a, [[0, 0, 255], [0, 0, 0], [0, 0, 0], [0, 0, 0]])
        self.cmd(sh, "task kill neoeffects.rainbow")
        time.sleep(0.05)
        a = self.jcmd(sh, "sim strip %d" % NEOP)
        time.sleep(0.1)
        self.assertEqual(self.jcmd(sh, "sim strip %d" % NEOP), a)
        widgets = self.cmd(sh, "neoeffects help True")
        self.assertIn('"type": "color"', widgets)
        self.assertIn('"type": "slider"', widgets)

    def test_rgbcct(self):
        node, sh = self.start()
        st = self.jcmd(sh, "rgbcct color 255 0 51")
        self.assertEqual(st["R"], 255)
        self.assertEqual(self.jcmd(sh, "sim pin %d" % REDGB)["duty"], 1023)
        self.assertEqual(self.jcmd(sh, "sim pin %d" % RGREENB)["duty"], 0)
        self.assertEqual(self.jcmd(sh, "sim pin %d" % RGBUE)["duty"], 205)
        self.jcmd(sh, "rgbcct white 1000 500")
        self.assertEqual(self.jcmd(sh, "sim pin %d" % CWHITE)["duty"], 1023)
        self.assertEqual(self.jcmd(sh, "sim pin %d" % WWHITE)["duty"], 512)
        self.jcmd(sh, "rgbcct brightness 50")
        self.assertEqual(self.jcmd(sh, "sim pin %d" % REDGB)["duty"], 512)
        self.assertEqual(self.jcmd(sh, "rgbcct toggle")["S"], 0)
        for p in (REDGB, RGREENB, RGBUE, CWHITE, WWHITE):
            self.assertEqual(self.jcmd(sh, "sim pin %d" % p)["duty"], 0)
        self.assertEqual(self.jcmd(sh, "rgbcct toggle")["S"], 1)
        self.assertEqual(self.jcmd(sh, "sim pin %d" % REDGB)["duty"], 512)
        help_lines = self.cmd(sh, "rgbcct help")
        self.assertIn(" color r=<0-255-5> g=0 b=0,\n", help_lines)
        widgets = [json.loads(l.strip().rstrip(",")) for l in
                   self.cmd(sh, "rgbcct help True").splitlines() if l.strip()]
        self.assertEqual([w["type"] for w in widgets], ["color", "white", "slider", "button"])

    def test_thermostat(self):
        node, sh = self.start()
        self.jcmd(sh, "thermostat set 21 0.5")
        self.jcmd(sh, "sim sensor temp=19.0 hum=40")
        r = self.jcmd(sh, "thermostat control")
        self.assertTrue(r["heating"])
        self.assertEqual(self.jcmd(sh, "sim pin %d" % SWITCH)["level"], 1)
        self.jcmd(sh, "sim sensor temp=21.2")  # inside the band: keeps heating
        self.assertTrue(self.jcmd(sh, "thermostat control")["heating"])
        self.jcmd(sh, "sim sensor temp=21.6")  # above target + hyst: off
        self.assertFalse(self.jcmd(sh, "thermostat control")["heating"])
        self.assertEqual(self.jcmd(sh, "sim pin %d" % SWITCH)["level"], 0)
        self.jcmd(sh, "sim sensor temp=20.8")  # inside the band: stays off
        self.assertFalse(self.jcmd(sh, "thermostat control")["heating"])
        log = self.jcmd(sh, "thermostat log 10")
        self.assertEqual(len(log), 4)
        self.assertTrue(log[0].endswith(",19.0,40.0,1"), log)
        with open(os.path.join(node.data_dir, "data", "thermostat.csv")) as f:
            self.assertEqual(len(f.read().splitlines()), 4)
        self.assertEqual(self.jcmd(sh, "thermostat measure"), {"hum": 40.0, "temp": 20.8})
        # as a background loop
        self.jcmd(sh, "sim sensor temp=15")
        self.cmd(sh, "thermostat run 50 &")
        end = time.time() + 10
        while time.time() < end and self.jcmd(sh, "sim pin %d" % SWITCH)["level"] != 1:
            time.sleep(0.02)
        self.assertEqual(self.jcmd(sh, "sim pin %d" % SWITCH)["level"], 1)
        self.cmd(sh, "task kill thermostat.run")

    def test_pet_feeder_with_cron(self):
        node, sh = self.start({"cron": True, "crontasks": "*:*:*:*!pet_feeder feed 90 300"})
        end = time.time() + 15
        n = 0
        while time.time() < end and n < 2:
            n = int(self.cmd(sh, "pet_feeder portions"))
            time.sleep(0.1)
        self.assertGreaterEqual(n, 2)  # cron fed once a second
        with open(os.path.join(node.data_dir, "data", "pet_feeder.txt")) as f:
            self.assertGreaterEqual(int(f.read()), 2)
        # the servo opens, and the timer closes it again
        node2, sh2 = self.start()
        self.assertEqual(self.jcmd(sh2, "pet_feeder feed 90 200"), {"portions": 1})
        self.assertEqual(self.jcmd(sh2, "pet_feeder position"), 90)
        end = time.time() + 10
        while time.time() < end and self.jcmd(sh2, "pet_feeder position") != 0:
            time.sleep(0.05)
        self.assertEqual(self.jcmd(sh2, "pet_feeder position"), 0)

    def test_memory_per_module(self):
        node, sh = self.start()
        for c in ("neoeffects load 8", "neoeffects rainbow 1 5 &", "rgbcct color 1 2 3",
                  "thermostat measure", "pet_feeder portions"):
            self.cmd(sh, c)
        time.sleep(0.2)
        mem = self.jcmd(sh, "lua stats")
        for name in ("neoeffects", "rgbcct", "thermostat", "pet_feeder"):
            self.assertLess(mem[name]["mem_kb"], 64, mem)


if __name__ == "__main__":
    harness.main()
