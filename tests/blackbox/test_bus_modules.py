"""The bus and motor Load Modules on the simulated bank, through a real node's shell and REST:
I2C sensors read what `sim` sets, bus errors are clear Core errors, an OLED text call is checked
pixel by pixel against our font, a rotary encoder is turned by edge interrupts, a stepper task
is stopped midway by `task kill`, H-bridge drivers set duties and levels, the ld2410 reads the
simulated radar over the UART, and modules run from tasks, cron and IRQ callbacks."""
import http.server
import importlib.util
import threading
import json
import os
import time
import unittest
import urllib.request

import harness
from harness import Node

P = b"node01 $ "
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def body(reply):
    assert reply.endswith(P), reply
    return reply[: -len(P)].decode()


def font():
    """The glyph drawings of tools/font5x7.py (the font the firmware is generated from)."""
    spec = importlib.util.spec_from_file_location("font5x7", os.path.join(ROOT, "tools",
                                                                          "font5x7.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.G


def fb_pixels(hexfb):
    """The 128x64 picture of an SSD1306-layout framebuffer as rows of 0/1."""
    fb = bytes.fromhex(hexfb)
    return [[(fb[(y // 8) * 128 + x] >> (y % 8)) & 1 for x in range(128)] for y in range(64)]


def expected_text(text, x0, y0):
    g = font()
    rows = [[0] * 128 for _ in range(64)]
    for i, ch in enumerate(text):
        art = g[ch].split("|")
        for r in range(7):
            for c in range(5):
                x, y = x0 + 8 * i + c, y0 + r
                if art[r][c] == "#" and x < 128 and y < 64:
                    rows[y][x] = 1
    return rows


class Buses(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = Node(config={"cstmpmap": "rot_sw:19;haptic:23", "irq1": True,
                                "irq1_trig": "up", "irq1_cbf": "oled_sh1106 text 'IRQ' 0 8"})

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def setUp(self):
        self.sh = self.node.shell()

    def tearDown(self):
        self.sh.close()

    def cmd(self, text):
        return body(self.sh.cmd(text))

    def js(self, text):
        return json.loads(self.cmd(text + " >json"))

    def rest(self, path):
        url = "http://127.0.0.1:%d/rest/%s" % (self.node.webport, path)
        with urllib.request.urlopen(url, timeout=5) as r:
            return json.loads(r.read())

    def test_01_i2c_scan_lists_the_simulated_kit(self):
        self.assertEqual(self.cmd("i2c scan"),
                         "['0x10', '0x38', '0x3c', '0x3d', '0x6b', '0x76']\n")
        d = self.js("i2c discover")
        self.assertEqual(d["BME280"], "0x76")
        self.assertEqual(d["unknown"], ["0x38", "0x3d"])
        self.assertEqual(self.rest("i2c/scan")["result"][0], "0x10")

    def test_02_bme280_reads_the_simulated_climate(self):
        self.cmd("sim sensor temp=27.35 hum=51.5")
        self.cmd("sim env pressure=998.4")
        self.assertEqual(self.js("bme280 measure"),
                         {"temp[C]": 27.35, "hum[%]": 51.5, "pressure[hPa]": 998.4})
        r = self.rest("bme280/measure")["result"]
        self.assertEqual(r["temp[C]"], 27.35)

    def test_03_aht10_veml7700_qmi8658_dht11(self):
        self.cmd("sim sensor temp=18.25 hum=40")
        self.assertEqual(self.js("aht10 measure"), {"temp [ºC]": 18.25, "hum [%]": 40.0})
        self.cmd("sim env lux=2500")
        # 2500 lx at 1.8432 lx per count reads 1356 counts: 2499.4 lx
        self.assertEqual(self.js("veml7700 read_lux"), {"LUX": 2499})
        self.cmd("sim imu ax=0.5 az=-1 gz=90")
        m = self.js("qmi8658 measure")
        self.assertEqual(m["accel"], [0.5, 0.0, -1.0])
        self.assertEqual(m["gyro"], [0.0, 0.0, 90.0])
        self.assertEqual(m["temp"], 18.25)
        self.assertEqual(self.js("dht11 measure"), {"temp[C]": 18.0, "hum[%]": 40.0})

    def test_04_bus_errors_are_clear_core_errors(self):
        self.assertEqual(self.cmd("sim unplug 0x76"), "unplugged 0x76\n")
        self.assertEqual(self.cmd("bme280 measure"),
                         "Core error: LM_bme280->measure: bme280 at 0x76 on i2c bus 0: no ACK "
                         "(nothing at this address, or no such bus)\n")
        self.cmd("sim plug qmi8658 0x76")
        self.assertEqual(self.cmd("bme280 load"),
                         "Core error: LM_bme280->load: bme280 at 0x76: wrong chip id 0x00 (a "
                         "BME280 has 0x60)\n")
        self.cmd("sim unplug 0x76")
        self.cmd("sim plug bme280 0x76")
        self.assertIn("temp[C]", self.cmd("bme280 measure"))

    def test_05_oled_text_is_on_the_glass_pixel_by_pixel(self):
        self.assertEqual(self.cmd("oled clean"), "True\n")
        self.assertEqual(self.cmd("oled text 'Hi micrOS!' 4 20"), "True\n")
        before = self.js("sim display 0x3c")
        self.assertEqual(self.cmd("oled show"), "True\n")
        d = self.js("sim display 0x3c")
        self.assertTrue(d["on"])
        self.assertGreater(d["writes"], before["writes"])
        self.assertEqual(fb_pixels(d["fb"]), expected_text("Hi micrOS!", 4, 20))
        mine = self.js("oled framebuffer")  # the module's copy of what it sent (real displays)
        self.assertEqual((mine["fb"], mine["addr"], mine["model"]), (d["fb"], "0x3c", "ssd1306"))
        self.cmd("oled rect 0 0 128 64")
        self.cmd("oled show")
        px = fb_pixels(self.js("sim display 0x3c")["fb"])
        self.assertEqual(px[0], [1] * 128)
        self.assertEqual([row[127] for row in px], [1] * 64)
        self.assertEqual(self.cmd("oled invert"), "True\n")
        self.assertTrue(self.js("sim display 0x3c")["inverted"])
        self.cmd("oled poweroff")
        self.assertFalse(self.js("sim display 0x3c")["on"])
        self.cmd("oled poweron")
        w = [json.loads(x) for x in self.js("oled help True")]
        self.assertIn({"type": "button", "callback": "invert ", "result": False,
                       "options": ["None"]}, w)

    def test_06_oled_sh1106_and_an_irq_callback(self):
        # micrOS's default address is 0x3c (taken here by the ssd1306): the sh1106 sits at 0x3d
        self.assertEqual(self.cmd("oled_sh1106 load addr=0x3d"), "sh1106 128x64 loaded\n")
        self.cmd("oled_sh1106 clean")
        self.cmd("oled_sh1106 text 'SH' 0 0")
        self.cmd("oled_sh1106 show")
        self.assertEqual(fb_pixels(self.js("sim display 0x3d")["fb"]),
                         expected_text("SH", 0, 0))
        # irq1 (pin 4 on esp32) runs "oled_sh1106 text 'IRQ' 0 8" on a rising edge
        self.cmd("sim drive 4 1")
        time.sleep(0.3)
        self.cmd("oled_sh1106 show")
        want = expected_text("SH", 0, 0)
        irq = expected_text("IRQ", 0, 8)
        merged = [[a | b for a, b in zip(r1, r2)] for r1, r2 in zip(want, irq)]
        self.assertEqual(fb_pixels(self.js("sim display 0x3d")["fb"]), merged)
        self.cmd("sim drive 4 0")

    def click(self, cw, bounce=False):
        """One detent of the encoder on rot_dt (13) / rot_clk (12), from rest (both high)."""
        seq = [(12, 0), (13, 0), (12, 1), (13, 1)] if cw else [(13, 0), (12, 0), (13, 1),
                                                               (12, 1)]
        if bounce:
            seq = seq[:1] + [(seq[0][0], 1), seq[0]] + seq[1:]
        for pin, level in seq:
            self.cmd("sim drive %d %d" % (pin, level))

    def test_07_rotary_encoder_turned_by_edges(self):
        self.assertEqual(self.cmd("rencoder load min_val=0 max_val=20"),
                         "Init RotaryEncoder with IRQs.\n")
        self.cmd("sim drive 13 1")
        self.cmd("sim drive 12 1")  # at rest: settling counts nothing
        time.sleep(0.1)
        self.assertEqual(self.cmd("rencoder read_state"), "RotaryState: 0\n")
        for _ in range(3):
            self.click(True)
        self.click(True, bounce=True)
        self.click(False)
        time.sleep(0.2)
        self.assertEqual(self.cmd("rencoder read_state"), "RotaryState: 3\n")
        self.click(False)
        self.click(False)
        self.click(False)
        self.click(False)
        time.sleep(0.2)
        self.assertEqual(self.cmd("rencoder read_state"), "RotaryState: 20\n")  # wrapped
        self.assertEqual(self.cmd("rencoder reset_state"), "Reset state 20 -> 0\n")
        self.cmd("sim drive 19 0")
        self.cmd("sim drive 19 1")
        time.sleep(0.1)
        self.assertEqual(self.js("rencoder read_button"), {"pressed": False, "presses": 1})

    def test_08_stepper_task_is_killed_midway(self):
        self.assertEqual(self.cmd("stepper load mode=HALF"), "Stepper loaded: HALF step\n")
        self.assertEqual(self.cmd("stepper step 2000 speed=2 &"),
                         "{'stepper.step': 'Starting'}\n")
        time.sleep(0.4)
        self.assertIn("Yes       stepper.step", self.cmd("task list"))
        self.assertEqual(self.cmd("task kill stepper.step"), "Kill: stepper.step|True\n")
        pos = self.js("stepper status")["position"]
        self.assertGreater(pos, 0)
        self.assertLess(pos, 2000)
        coils = [self.js("sim pin %d" % p)["level"] for p in (33, 25, 26, 27)]
        time.sleep(0.2)
        self.assertEqual(self.js("stepper status")["position"], pos)  # stopped
        self.assertEqual([self.js("sim pin %d" % p)["level"] for p in (33, 25, 26, 27)], coils)
        self.assertEqual(self.cmd("stepper standby"), "Standby\n")
        self.assertEqual([self.js("sim pin %d" % p)["level"] for p in (33, 25, 26, 27)],
                         [0, 0, 0, 0])
        # called directly, the move runs on a loop timer and the call returns at once
        self.assertEqual(self.cmd("stepper step -3"), "Move -3 step (2 ms)\n")
        time.sleep(0.3)
        self.assertEqual(self.js("stepper status")["position"], pos - 3)
        self.assertIn("No        stepper.move", self.cmd("task list"))  # finished
        # a long direct move is the native task stepper.move: killing it switches coils off
        self.cmd("stepper step 3000")
        time.sleep(0.2)
        self.assertIn("Yes       stepper.move", self.cmd("task list"))
        self.assertEqual(self.cmd("task kill stepper.move"), "Kill: stepper.move|True\n")
        at = self.js("stepper status")
        self.assertFalse(at["moving"])
        self.assertGreater(at["position"], pos - 3)
        self.assertEqual([self.js("sim pin %d" % p)["level"] for p in (33, 25, 26, 27)],
                         [0, 0, 0, 0])

    def test_09_haptic_and_ld2410(self):
        self.assertEqual(self.cmd("haptic tap"), "Tap: low\n")
        self.assertEqual(self.js("sim pin 23")["duty"], 700)
        time.sleep(0.3)
        self.assertEqual(self.js("sim pin 23")["duty"], 0)
        self.cmd("ld2410 load")
        self.cmd("sim radar state=3 moving=79 moving_energy=100 static=76 static_energy=100 "
                 "detect=50")
        time.sleep(0.35)
        r = self.rest("ld2410/read")["result"]
        self.assertEqual(r["state"], "combined")
        self.assertEqual(r["measure"], {"state": 3, "moving_distance": 79, "moving_energy": 100,
                                        "stationary_distance": 76, "stationary_energy": 100,
                                        "detection_distance": 50})
        st = self.js("ld2410 stats")
        self.assertGreater(st["frames"], 2)
        self.assertEqual(st["bad_frames"], 0)

    def test_10_measurements_run_as_periodic_tasks(self):
        self.cmd("sim sensor temp=21 hum=50")
        self.assertEqual(self.cmd("bme280 measure &&200"), "{'bme280.measure': 'Starting'}\n")
        time.sleep(0.5)
        self.assertIn(" temp[C]: 21.0\n", self.cmd("task show bme280.measure"))
        self.cmd("sim sensor temp=24 hum=50")
        time.sleep(0.5)
        self.assertIn(" temp[C]: 24.0\n", self.cmd("task show bme280.measure"))
        self.cmd("task kill bme280.measure")


class Motors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # l298n_INA's default (12) is servo_2 on esp32: move it so roboarm fits too
        cls.node = Node(config={"cstmpmap": "l298n_INA:14"})

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def setUp(self):
        self.sh = self.node.shell()

    def tearDown(self):
        self.sh.close()

    def js(self, text):
        return json.loads(body(self.sh.cmd(text + " >json")))

    def test_l298n_speed_direction_brake(self):
        self.assertEqual(self.js("L298N speed 1 600"),
                         {"motor1": {"speed": 600, "state": "coast"}})
        self.assertEqual(self.js("sim pin 10")["duty"], 600)
        self.assertEqual(self.js("L298N direction 1 forward=False"),
                         {"motor1": {"speed": 600, "state": "backward"}})
        self.assertEqual((self.js("sim pin 14")["level"], self.js("sim pin 11")["level"]), (0, 1))
        self.assertEqual(self.js("L298N brake 2"), {"motor2": {"speed": 0, "state": "brake"}})
        self.assertEqual((self.js("sim pin 9")["level"], self.js("sim pin 40")["level"]), (1, 1))
        self.assertEqual(self.js("L298N speed 1 2000"), {"speed": "value range error"})
        # micrOS's older module name drives the same motors
        self.assertEqual(self.js("L298N_DCmotor speed 2 300"),
                         {"motor2": {"speed": 300, "state": "brake"}})
        self.assertEqual(self.js("L298N speed 2 0")["motor2"]["speed"], 0)
        self.assertEqual(self.js("L298N state"),
                         {"motor1": {"speed": 600, "state": "backward"},
                          "motor2": {"speed": 0, "state": "brake"}})
        self.assertIn("motor must be 1 or 2", body(self.sh.cmd("L298N coast 3")))

    def test_l9110_forward_backward(self):
        self.assertEqual(self.js("L9110_DCmotor motor_control 0 500"),
                         {"speed": 500, "direc": "forward"})
        self.assertEqual((self.js("sim pin 33")["duty"], self.js("sim pin 25")["duty"]), (500, 0))
        self.assertEqual(self.js("L9110_DCmotor motor_control 1 300"),
                         {"speed": 300, "direc": "backward"})
        self.assertEqual((self.js("sim pin 33")["duty"], self.js("sim pin 25")["duty"]), (0, 300))
        self.assertEqual(body(self.sh.cmd("L9110_DCmotor motor_control 2 300")),
                         "invalid parameters\n")

    def test_roboarm_smooth_moves_and_a_killed_task(self):
        self.assertEqual(body(self.sh.cmd("roboarm load")), "Init and Move to home X77, Y77\n")
        self.assertEqual(body(self.sh.cmd("roboarm control 100 60 speed_ms=5")),
                         "Move X77->100 Y77->60\n")
        time.sleep(0.05)
        mid = self.js("roboarm status")
        self.assertTrue(77 < mid["X"] < 100, mid)  # on its way, not jumped
        time.sleep(0.4)
        self.assertEqual(self.js("roboarm status"), {"X": 100, "Y": 60})
        self.assertEqual((self.js("sim pin 27")["duty"], self.js("sim pin 12")["duty"]), (100, 60))
        self.assertEqual(body(self.sh.cmd("roboarm control 40 40 speed_ms=10 &")),
                         "{'roboarm.control': 'Starting'}\n")
        time.sleep(0.2)
        self.assertEqual(body(self.sh.cmd("task kill roboarm.control")),
                         "Kill: roboarm.control|True\n")
        stopped = self.js("roboarm status")
        self.assertTrue(40 < stopped["X"] < 100, stopped)
        time.sleep(0.2)
        self.assertEqual(self.js("roboarm status"), stopped)
        self.assertEqual(body(self.sh.cmd("roboarm control 200 50")),
                         "X200/Y50 out of range... range: 40-115\n")
        w = [json.loads(x) for x in self.js("roboarm help True")]
        self.assertEqual(w[0]["type"], "joystick")
        # record two positions, replay them
        self.assertEqual(body(self.sh.cmd("roboarm record clean=True")), "Record was cleaned\n")
        self.sh.cmd("roboarm control 50 60 smooth=False")
        self.assertEqual(body(self.sh.cmd("roboarm record")), "Record[0]: X:50 Y:60\n")
        self.sh.cmd("roboarm control 110 90 smooth=False")
        self.assertEqual(body(self.sh.cmd("roboarm record")), "Record[1]: X:110 Y:90\n")
        self.sh.cmd("roboarm control 77 77 smooth=False")
        self.assertEqual(self.js("roboarm play s=2"), {"roboarm._play": "Starting", "Play steps": 2})
        time.sleep(0.6)
        self.assertEqual(self.js("roboarm status"), {"X": 110, "Y": 90})
        time.sleep(1.2)  # the record reaches data/ (write-behind)
        with open(os.path.join(self.node.data_dir, "data", "rarm.cache")) as f:
            self.assertEqual(f.read(), "50,60,110,90")

    def test_presence_level_trigger_with_timer(self):
        self.assertEqual(body(self.sh.cmd("presence load threshold=50 timer=1")),
                         "Presence: threshold 50%, timer 1s\n")
        self.sh.cmd("sim adc 39 100")
        self.sh.cmd("presence motion_trig sample_ms=10 buff_size=5")
        time.sleep(0.2)
        self.assertEqual(self.js("presence status")["S"], 0)
        self.sh.cmd("sim adc 39 3000")  # 73 % of full scale
        time.sleep(0.2)
        st = self.js("presence status")
        self.assertEqual(st["S"], 1)
        self.assertGreater(st["triggers"], 0)
        self.sh.cmd("sim adc 39 100")
        time.sleep(1.4)
        self.assertEqual(self.js("presence status")["S"], 0)  # the OFF timer ran out
        samples = self.js("presence get_samples")
        self.assertEqual(len(samples), 5)
        self.assertEqual(samples[-1][1:], [2, 0])
        self.sh.cmd("presence stop")


class Gateway(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/webhooks/template":
            data, ctype, code = b'{"ok": true, "n": [1, 2.5]}', "application/json", 200
        else:
            data, ctype, code = b"nope", "text/plain", 404
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class Rest(unittest.TestCase):
    """`rest` against a small HTTP server on loopback, through the non-blocking client."""

    @classmethod
    def setUpClass(cls):
        cls.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
        threading.Thread(target=cls.http.serve_forever, daemon=True).start()
        cls.node = Node()

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()
        cls.http.shutdown()

    def setUp(self):
        self.sh = self.node.shell()

    def tearDown(self):
        self.sh.close()

    def cmd(self, text):
        return body(self.sh.cmd(text))

    def wait_show(self, tag, want):
        end = time.time() + 5
        while time.time() < end:
            out = self.cmd("task show " + tag)
            if want in out:
                return out
            time.sleep(0.05)
        self.fail("task %s never showed %r: %r" % (tag, want, out))

    def test_rest_get_as_task_and_native_task(self):
        self.assertEqual(self.cmd("rest load"), "Missing Gateway url\n")
        self.assertEqual(self.cmd("rest url /webhooks/template &"), "{'rest.url': 'Starting'}\n")
        self.wait_show("rest.url", "Missing Gateway url")
        base = "http://127.0.0.1:%d" % self.http.server_address[1]
        self.assertEqual(self.cmd("rest load " + base), "Gateway url: %s\n" % base)
        self.assertEqual(self.cmd("rest url /webhooks/template &"), "{'rest.url': 'Starting'}\n")
        self.wait_show("rest.url", " status: 200\n response: {'ok': True, 'n': [1, 2.5]}\n")
        self.assertEqual(self.cmd("rest aurl /nothing"), " rest./nothing: Starting\n")
        self.wait_show("rest./nothing", "status: 404, response: nope")
        self.assertEqual(self.cmd("rest url http://127.0.0.1:1/x &"), "{'rest.url': 'Starting'}\n")
        self.wait_show("rest.url", "Core error: LM_rest->url: GET failed:")


class Cron(unittest.TestCase):
    """A bus module run by cron: the stepper turns and the OLED gets text at a set second."""

    def test_cron_runs_bus_modules(self):
        node = Node(config={"cron": True, "tz": "UTC0"})
        try:
            sh = node.shell()
            due = int(time.time()) + 3
            h, m, s = time.gmtime(due)[3:6]
            entries = ";".join("*:%d:%d:%d!%s" % (h, m, s, c) for c in
                               ("stepper step 2", "oled text 'CRON' 0 40"))
            self.assertEqual(sh.cmd("conf"), b"[configure] node01 $ ")
            self.assertEqual(sh.cmd("crontasks " + entries), b"Saved\n[configure] node01 $ ")
            sh.cmd("noconf")
            time.sleep(max(0, due - time.time()) + 1.2)
            self.assertEqual(json.loads(body(sh.cmd("stepper status >json")))["position"], 2)
            sh.cmd("oled show")
            d = json.loads(body(sh.cmd("sim display 0x3c >json")))
            self.assertEqual(fb_pixels(d["fb"]), expected_text("CRON", 0, 40))
            sh.close()
        finally:
            node.stop()


if __name__ == "__main__":
    harness.main()
