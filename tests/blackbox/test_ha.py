"""Home Assistant MQTT discovery against a real mosquitto: every config the node publishes
under homeassistant/# is checked against the rules of HA's MQTT integration documentation
(per component: required keys, allowed values, types), and the entities are driven through
their command topics (a switch moves a simulated pin, a light takes a JSON colour)."""
import json
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Node, main  # noqa: E402
from mqtt_helpers import Broker, Client, have_mosquitto  # noqa: E402

P = b"ha1 $ "

# --- the rules, from HA's MQTT integration docs (discovery, switch, light, number, button,
#     sensor, device registry) ---
# Discovery topic: <discovery_prefix>/<component>/[<node_id>/]<object_id>/config, node_id and
# object_id of [a-zA-Z0-9_-].
TOPIC_RE = re.compile(r"^homeassistant/(switch|light|number|button|sensor)/[A-Za-z0-9_-]+/"
                      r"[A-Za-z0-9_-]+/config$")
# Light color modes (JSON schema): onoff, brightness, color_temp, hs, xy, rgb, rgbw, rgbww, white;
# onoff and brightness must be the only mode when present.
COLOR_MODES = {"onoff", "brightness", "color_temp", "hs", "xy", "rgb", "rgbw", "rgbww", "white"}
# Sensor device classes used here and the units HA accepts for them.
SENSOR_UNITS = {
    "temperature": {"°C", "°F", "K"},
    "humidity": {"%"},
    "illuminance": {"lx"},
    "frequency": {"Hz", "kHz", "MHz", "GHz"},
}
STATE_CLASSES = {"measurement", "total", "total_increasing"}
NUMBER_MODES = {"auto", "box", "slider"}


def valid_publish_topic(t):
    return isinstance(t, str) and t and "+" not in t and "#" not in t and "\0" not in t


def check_common(tc, topic, cfg, base):
    tc.assertRegex(topic, TOPIC_RE)
    tc.assertIsInstance(cfg.get("name"), str)
    tc.assertRegex(cfg.get("unique_id", ""), r"^\S+$")
    tc.assertEqual(cfg["availability_topic"], base + "/availability")
    tc.assertEqual(cfg["payload_available"], "online")
    tc.assertEqual(cfg["payload_not_available"], "offline")
    dev = cfg["device"]
    ids = dev["identifiers"]
    tc.assertTrue(isinstance(ids, str) or (isinstance(ids, list) and ids))
    tc.assertEqual(dev["name"], "ha1")
    for k in ("sw_version", "model", "manufacturer"):
        tc.assertIsInstance(dev[k], str)
    tc.assertRegex(dev["configuration_url"], r"^https?://[^/\s]+(:\d+)?/")
    for k, v in cfg.items():
        if k.endswith("_topic"):
            tc.assertTrue(valid_publish_topic(v), "%s %s" % (k, v))


def check_switch(tc, cfg):
    tc.assertIn("command_topic", cfg)  # required
    for k in ("payload_on", "payload_off", "state_on", "state_off"):
        tc.assertIsInstance(cfg.get(k, "x"), str)


def check_light(tc, cfg):
    tc.assertEqual(cfg["schema"], "json")
    tc.assertIn("command_topic", cfg)
    modes = cfg["supported_color_modes"]
    tc.assertTrue(modes and set(modes) <= COLOR_MODES, modes)
    if {"onoff", "brightness"} & set(modes):
        tc.assertEqual(len(modes), 1)
    tc.assertIsInstance(cfg.get("brightness", False), bool)
    if "color_temp" in modes and "min_mireds" in cfg:
        tc.assertLess(cfg["min_mireds"], cfg["max_mireds"])


def check_number(tc, cfg):
    tc.assertIn("command_topic", cfg)
    tc.assertLess(cfg.get("min", 1), cfg.get("max", 100))
    tc.assertGreaterEqual(cfg.get("step", 1), 0.001)
    tc.assertIn(cfg.get("mode", "auto"), NUMBER_MODES)


def check_button(tc, cfg):
    tc.assertIn("command_topic", cfg)
    tc.assertIsInstance(cfg.get("payload_press", "PRESS"), str)


def check_sensor(tc, cfg):
    tc.assertIn("state_topic", cfg)  # required
    dc = cfg.get("device_class")
    if dc is not None:
        tc.assertIn(dc, SENSOR_UNITS)
        tc.assertIn(cfg.get("unit_of_measurement"), SENSOR_UNITS[dc])
    tc.assertIn(cfg.get("state_class", "measurement"), STATE_CLASSES)
    tc.assertIn("value_json", cfg.get("value_template", "{{ value_json }}"))


LUA_LAMP = """local M = {}
local presses = 0
function M.measure() return {temp = 20.5} end
function M.press() presses = presses + 1; return presses end
function M.count() return presses end
local level = 0
function M.set_level(value) level = value; return level end
function M.get_level() return level end
M.__decl = {
    set_level = {params = {{"value", "int", 0, "0-100-5"}}, widget = "SLIDER"},
    measure = {widget = "TEXTBOX", measures = {{"temp", "°C", "temperature"}}},
    press = {widget = "BUTTON"},
}
return M
"""

CHECKS = {"switch": check_switch, "light": check_light, "number": check_number,
          "button": check_button, "sensor": check_sensor}


def body(reply):
    return reply[:-len(P)].decode()


@unittest.skipUnless(have_mosquitto(), "mosquitto is not installed")
class HaDiscovery(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker()
        cls.node = Node(config={"mqtt": True, "mqtt_port": cls.broker.port, "devfid": "ha1",
                                "mqtt_period": 5})
        # A Lua module (when the build runs Lua) gets entities from its declarations too.
        os.makedirs(os.path.join(cls.node.data_dir, "modules"), exist_ok=True)
        with open(os.path.join(cls.node.data_dir, "modules", "LM_lamp.lua"), "w") as f:
            f.write(LUA_LAMP)
        sh = cls.node.shell()
        cls.has_lua = "temp" in body(sh.cmd("lamp measure"))
        # Load the modules a home node would use (loading is what announces them).
        for cmd in ("rgb status", "switch status", "cct status", "dimmer status",
                    "sim sensor temp=21.5 hum=40", "dht22 measure", "ds18 measure",
                    "light_sensor illuminance", "buzzer list_tones"):
            sh.cmd(cmd)
        sh.close()
        cls.base = "micros/ha1"
        c = Client(cls.broker.port)
        c.subscribe("homeassistant/#")
        time.sleep(2.5)  # the node announces new modules on its next 1 s poll
        cls.configs = {}
        for t, p, r in c.collect(quiet=2.0):
            if p:
                cls.configs[t] = json.loads(p)
            else:
                cls.configs.pop(t, None)
        c.close()

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()
        cls.broker.close()

    def shell(self, cmd):
        sh = self.node.shell()
        try:
            return body(sh.cmd(cmd))
        finally:
            sh.close()

    def find(self, component, object_suffix):
        for t, c in self.configs.items():
            if t.startswith("homeassistant/%s/" % component) and t.endswith(object_suffix +
                                                                             "/config"):
                return c
        self.fail("no %s ...%s in %s" % (component, object_suffix, sorted(self.configs)))

    def test_every_config_follows_ha_rules(self):
        self.assertGreater(len(self.configs), 10)
        uids = set()
        for topic, cfg in self.configs.items():
            with self.subTest(topic=topic):
                check_common(self, topic, cfg, self.base)
                CHECKS[topic.split("/")[1]](self, cfg)
                self.assertNotIn(cfg["unique_id"], uids)
                uids.add(cfg["unique_id"])
        # One device for all.
        devs = {json.dumps(c["device"], sort_keys=True) for c in self.configs.values()}
        self.assertEqual(len(devs), 1)

    def test_expected_entities_from_the_widgets(self):
        self.assertEqual(self.find("light", "rgb_light")["supported_color_modes"], ["rgb"])
        self.assertEqual(self.find("light", "cct_light")["supported_color_modes"],
                         ["color_temp"])
        self.assertEqual(self.find("light", "dimmer_light")["supported_color_modes"],
                         ["brightness"])
        for i in ("", "2", "3", "4"):
            self.find("switch", "switch_toggle" + i)
        self.find("button", "buzzer_bipp")
        self.find("button", "rgb_random")
        t = self.find("sensor", "dht22_measure_0")
        self.assertEqual((t["device_class"], t["unit_of_measurement"]), ("temperature", "°C"))
        h = self.find("sensor", "dht22_measure_1")
        self.assertEqual((h["device_class"], h["unit_of_measurement"]), ("humidity", "%"))
        self.assertEqual(self.find("sensor", "ds18_measure_0")["device_class"], "temperature")
        lx = self.find("sensor", "light_sensor_illuminance_0")
        self.assertEqual((lx["device_class"], lx["unit_of_measurement"]), ("illuminance", "lx"))
        self.assertIn("Mem usage", self.find("sensor", "system_info_0")["value_template"])
        # Nothing for modules that were never loaded.
        self.assertFalse([t for t in self.configs if "neopixel" in t])

    def test_lua_module_gets_entities_too(self):
        if not self.has_lua:
            self.skipTest("this build runs no Lua modules")
        t = self.find("sensor", "lamp_measure_0")
        self.assertEqual((t["device_class"], t["unit_of_measurement"]), ("temperature", "°C"))
        b = self.find("button", "lamp_press")
        c = Client(self.broker.port)
        c.publish(b["command_topic"], "PRESS")
        c.close()
        end = time.time() + 10
        while time.time() < end and self.shell("lamp count") != "1\n":
            time.sleep(0.2)
        self.assertEqual(self.shell("lamp count"), "1\n")

    def test_lua_slider_becomes_a_number(self):
        if not self.has_lua:
            self.skipTest("this build runs no Lua modules")
        n = self.find("number", "lamp_set_level")
        self.assertEqual((n["min"], n["max"], n["step"]), (0, 100, 5))
        c = Client(self.broker.port)
        c.publish(n["command_topic"], "35")
        c.publish(n["command_topic"], "135")  # outside the declared range: refused
        c.close()
        end = time.time() + 10
        while time.time() < end and self.shell("lamp get_level") != "35\n":
            time.sleep(0.2)
        time.sleep(0.5)
        self.assertEqual(self.shell("lamp get_level"), "35\n")

    def test_zz_removed_lua_module_entities_go_away(self):
        if not self.has_lua:
            self.skipTest("this build runs no Lua modules")
        c = Client(self.broker.port)
        c.subscribe("homeassistant/#")
        lamp = {t for t, p, r in c.collect(quiet=1.0) if "/ha1/lamp_" in t and p}
        self.assertTrue(lamp)
        os.remove(os.path.join(self.node.data_dir, "modules", "LM_lamp.lua"))
        cleared = set()
        end = time.time() + 10
        while time.time() < end and cleared != lamp:
            m = c.recv(1)
            if m and m[0] in lamp and m[1] == b"":
                cleared.add(m[0])
        c.close()
        self.assertEqual(cleared, lamp)

    def test_sensor_state_matches_its_template(self):
        t = self.find("sensor", "dht22_measure_0")
        c = Client(self.broker.port)
        c.subscribe(t["state_topic"])
        m = c.wait_for(lambda top, p, r: "temp[C]" in json.loads(p), 10)
        c.close()
        self.assertIsNotNone(m)
        self.assertEqual(float(json.loads(m[1])["temp[C]"]), 21.5)
        self.assertEqual(t["value_template"], "{{ value_json['temp[C]'] }}")

    def test_switch_command_moves_the_simulated_pin(self):
        # Channel 4 (pin 25 on the esp32 map): channel 1 shares pin 26 with cct's cold white.
        cfg = self.find("switch", "switch_toggle4")
        c = Client(self.broker.port)
        c.subscribe(cfg["state_topic"])
        c.publish(cfg["command_topic"], cfg.get("payload_on", "ON"))
        m = c.wait_for(lambda t, p, r: p == b"ON", 10)
        self.assertIsNotNone(m, "switch state did not become ON")
        self.assertEqual(json.loads(self.shell("sim pin 25 >json"))["level"], 1)
        c.publish(cfg["command_topic"], cfg.get("payload_off", "OFF"))
        m = c.wait_for(lambda t, p, r: p == b"OFF", 10)
        c.close()
        self.assertIsNotNone(m, "switch state did not become OFF")
        self.assertEqual(json.loads(self.shell("sim pin 25 >json"))["level"], 0)
        # ON twice stays ON (a command sets the state, it does not toggle blindly).
        c = Client(self.broker.port)
        c.subscribe(cfg["state_topic"])
        c.publish(cfg["command_topic"], "ON")
        c.wait_for(lambda t, p, r: p == b"ON", 10)
        c.publish(cfg["command_topic"], "ON")
        time.sleep(1.5)
        c.close()
        self.assertEqual(json.loads(self.shell("sim pin 25 >json"))["level"], 1)

    def test_light_json_command_sets_colour_and_state_reports_it(self):
        cfg = self.find("light", "rgb_light")
        c = Client(self.broker.port)
        c.subscribe(cfg["state_topic"])
        c.publish(cfg["command_topic"], json.dumps(
            {"state": "ON", "brightness": 255, "color": {"r": 255, "g": 0, "b": 128}}))
        m = c.wait_for(lambda t, p, r: json.loads(p).get("color", {}).get("b") == 128, 10)
        self.assertIsNotNone(m)
        st = json.loads(m[1])
        self.assertEqual(st["state"], "ON")
        self.assertEqual(st["color_mode"], "rgb")
        self.assertEqual(st["brightness"], 255)
        status = json.loads(self.shell("rgb status >json"))
        self.assertEqual((status["R"], status["G"], status["B"]), (1000, 0, 502))
        c.publish(cfg["command_topic"], json.dumps({"state": "OFF"}))
        m = c.wait_for(lambda t, p, r: json.loads(p)["state"] == "OFF", 10)
        c.close()
        self.assertIsNotNone(m)
        self.assertEqual(json.loads(self.shell("rgb status >json"))["S"], 0)

    def test_button_press_runs_the_function(self):
        cfg = self.find("button", "rgb_random")
        before = self.shell("rgb status >json")
        c = Client(self.broker.port)
        c.subscribe(self.base + "/state/rgb")
        c.publish(cfg["command_topic"], cfg.get("payload_press", "PRESS"))
        m = c.wait_for(lambda t, p, r: p.decode() != before, 10)
        c.close()
        self.assertIsNotNone(m, "random did not change the rgb state")

    def test_cct_light_takes_a_colour_temperature(self):
        cfg = self.find("light", "cct_light")
        c = Client(self.broker.port)
        c.subscribe(cfg["state_topic"])
        c.publish(cfg["command_topic"], json.dumps({"state": "ON", "brightness": 255,
                                                    "color_temp": 500}))
        m = c.wait_for(lambda t, p, r: json.loads(p).get("color_temp") == 500, 10)
        c.close()
        self.assertIsNotNone(m)
        st = json.loads(self.shell("cct status >json"))
        self.assertEqual((st["CW"], st["WW"]), (0, 1000))


if __name__ == "__main__":
    main()
