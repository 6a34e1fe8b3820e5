"""Hardware Load Modules on the simulated pin bank, through a real node's shell: rgb sets PWM
duties that `sim` reads back, a 500 ms fade ends at its target, switch toggles, neopixel
effects run as tasks and stop on `task kill`, a pin conflict is refused, state survives a
restart, and the libgpiod backend fails cleanly for a missing chip."""
import json
import os
import shutil
import tempfile
import time
import unittest

import harness
from harness import Node

P = b"node01 $ "


def body(reply):
    """The reply without the trailing prompt, as text."""
    assert reply.endswith(P), reply
    return reply[: -len(P)].decode()


def sim_pin(sh, pin):
    """`sim pin N >json` as a dict."""
    return json.loads(body(sh.cmd("sim pin %d >json" % pin)))


class Modules(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = Node()

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def setUp(self):
        self.sh = self.node.shell()

    def tearDown(self):
        self.sh.close()

    def test_1_rgb_color_sets_the_simulated_duties(self):
        out = body(self.sh.cmd("rgb color r=10 g=60 b=100"))
        self.assertEqual(out, " R: 10\n G: 60\n B: 100\n S: 1\n")
        time.sleep(0.4)  # the smooth fade runs in the background for 200 ms
        self.assertEqual(sim_pin(self.sh, 14)["duty"], 10)   # redgb
        self.assertEqual(sim_pin(self.sh, 12)["duty"], 60)   # rgreenb
        self.assertEqual(sim_pin(self.sh, 15)["duty"], 100)  # rgbue
        pins = body(self.sh.cmd("sim pins"))
        self.assertIn(" 14: {'use': 'pwm', 'tag': 'redgb', 'duty': 10, 'freq': 20480}", pins)
        status = json.loads(body(self.sh.cmd("rgb status >json")))
        self.assertEqual(status, {"R": 10, "G": 60, "B": 100, "S": 1})

    def test_2_a_500ms_fade_ends_at_its_target(self):
        self.assertEqual(body(self.sh.cmd("rgb transition r=800 g=0 b=300 sec=0.5")),
                         "Starting transition\n")
        time.sleep(0.2)
        mid = sim_pin(self.sh, 14)["duty"]
        self.assertLess(mid, 800)
        self.assertIn("Yes       rgb._tran", body(self.sh.cmd("task list")))
        time.sleep(0.6)
        self.assertEqual(sim_pin(self.sh, 14)["duty"], 800)
        self.assertEqual(sim_pin(self.sh, 12)["duty"], 0)
        self.assertEqual(sim_pin(self.sh, 15)["duty"], 300)
        self.assertEqual(body(self.sh.cmd("task show rgb._tran")),
                         "Dimming DONE: R:800 G:0 B:300\n")

    def test_3_switch_toggles(self):
        self.assertEqual(body(self.sh.cmd("switch toggle")), "SET STATE: 1\n")
        self.assertEqual(sim_pin(self.sh, 26)["level"], 1)
        self.assertEqual(body(self.sh.cmd("switch toggle")), "SET STATE: 0\n")
        self.assertEqual(sim_pin(self.sh, 26)["level"], 0)

    def test_4_pin_conflict_is_refused(self):
        self.sh.cmd("rgb status")
        self.sh.cmd("rgb color 1 2 3 smooth=False")  # rgb books 14, 12, 15
        out = body(self.sh.cmd("switch toggle2"))  # switch_2 is pin 14 on esp32
        self.assertEqual(out, "Core error: LM_switch->toggle2: [io] Pin switch_2 is busy: "
                              "redgb:14\n")
        info = json.loads(body(self.sh.cmd("system pinmap >json")))
        self.assertEqual(info["map"], "esp32")
        self.assertEqual(info["booked"]["14"], "redgb")
        self.assertEqual(info["booked"]["2"], "builtin")
        self.assertIn("rpi", info["known_maps"])
        self.assertEqual(body(self.sh.cmd("system pinmap 'builtin irq1'")),
                         " builtin: 2\n irq1: 4\n")

    def test_5_neopixel_effect_runs_and_is_killed(self):
        self.assertEqual(body(self.sh.cmd("neopixel load ledcnt=12 pin=16")),
                         "CACHE: True, LED CNT: 12\n")
        self.assertEqual(body(self.sh.cmd("neopixel rainbow speed_ms=20")),
                         "{'neopixel._effect': 'Starting'}\n")
        time.sleep(0.2)
        first = sim_pin(self.sh, 16)["pixels"]
        self.assertEqual(first, 12)
        strip1 = body(self.sh.cmd("sim strip 16"))
        time.sleep(0.1)
        strip2 = body(self.sh.cmd("sim strip 16"))
        self.assertNotEqual(strip1, strip2)  # the animation moves
        self.assertIn("Yes       neopixel._effect", body(self.sh.cmd("task list")))
        self.assertEqual(body(self.sh.cmd("task kill neopixel._effect")),
                         "Kill: neopixel._effect|True\n")
        strip3 = body(self.sh.cmd("sim strip 16"))
        time.sleep(0.15)
        self.assertEqual(body(self.sh.cmd("sim strip 16")), strip3)  # stopped
        self.assertNotIn("neopixel._effect", body(self.sh.cmd("task list")))

    def test_6_widgets_follow_compat_9(self):
        w = body(self.sh.cmd("rgb help True >json"))
        widgets = [json.loads(x) for x in json.loads(w)]
        self.assertEqual(widgets[0], {"type": "color", "callback":
                                      "color r=:range: g=:range: b=:range: smooth=True force=True",
                                      "range": [0, 1000, 10]})
        self.assertEqual(widgets[1], {"type": "button", "callback":
                                      "toggle state=:options: smooth=True", "result": False,
                                      "options": ["True", "False"]})

    def test_7_sensors_read_the_simulator(self):
        self.assertEqual(body(self.sh.cmd("sim sensor temp=19.5 hum=55")),
                         " temp[C]: 19.5\n hum[%]: 55.0\n")
        self.assertEqual(body(self.sh.cmd("dht22 measure")), " temp[C]: 19.5\n hum[%]: 55.0\n")
        self.assertEqual(body(self.sh.cmd("ds18 measure")), " temp[C]: 19.5\n")


class Restart(unittest.TestCase):
    def test_light_state_survives_a_restart(self):
        data = tempfile.mkdtemp(prefix="micros-bb-restart-")
        try:
            node = Node(data_dir=data)
            try:
                sh = node.shell()
                sh.cmd("rgb color r=300 g=200 b=100 smooth=False")
                sh.cmd("switch set_state3 1")
                sh.close()
            finally:
                node.stop()
            node = Node(data_dir=data)
            try:
                sh = node.shell()
                # modules load lazily (micrOS): the first call restores the cached state
                self.assertEqual(body(sh.cmd("rgb status")), " R: 300\n G: 200\n B: 100\n S: 1\n")
                self.assertEqual(sim_pin(sh, 14)["duty"], 300)
                self.assertEqual(body(sh.cmd("switch status")),
                                 " SW1: 0\n SW2: 0\n SW3: 1\n SW4: 0\n")
                self.assertEqual(sim_pin(sh, 27)["level"], 1)
                sh.close()
            finally:
                node.stop()
        finally:
            shutil.rmtree(data, ignore_errors=True)


class GpiodBackend(unittest.TestCase):
    def test_missing_chip_keeps_simulated_pins_and_logs_why(self):
        node = Node(config={"gpiochip": "gpiochip-micros-missing"})
        try:
            sh = node.shell()
            self.assertEqual(body(sh.cmd("sim backend")), "sim\n")
            sh.close()
            with open(os.path.join(node.data_dir, "logs", "err.sys.log")) as f:
                log = f.read()
            self.assertIn("gpio: backend gpiochip-micros-missing:", log)
        finally:
            node.stop()


if __name__ == "__main__":
    harness.main()
