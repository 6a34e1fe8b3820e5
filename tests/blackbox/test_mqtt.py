"""MQTT against a real Debian mosquitto: commands and replies (JSON envelope, MQTT 5 response
topic), retained state, last will on kill -9, reconnect after a broker restart, the bounded
offline buffer, TLS with a password file, and live config changes."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Node, main  # noqa: E402
from mqtt_helpers import Broker, Client, have_mosquitto  # noqa: E402
import stub_http  # noqa: E402

P = b"$ "


def body(reply, prompt):
    return reply[:-len(prompt)].decode().rstrip("\n")


def node_cfg(broker, devfid, **extra):
    cfg = {"mqtt": True, "mqtt_port": broker.port, "devfid": devfid, "mqtt_period": 5}
    cfg.update(extra)
    return cfg


def availability(broker, devfid, want, timeout=20.0, **kw):
    """Waits until <prefix>/<devfid>/availability holds want (retained or live)."""
    c = Client(broker.port, **kw)
    try:
        c.subscribe("micros/%s/availability" % devfid)
        return c.wait_for(lambda t, p, r: p == want.encode(), timeout) is not None
    finally:
        c.close()


@unittest.skipUnless(have_mosquitto(), "mosquitto is not installed")
class MqttTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker()
        cls.node = Node(config=node_cfg(cls.broker, "mq1"))
        cls.prompt = b"mq1 $ "
        assert availability(cls.broker, "mq1", "online")

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()
        cls.broker.close()

    def shell(self, cmd):
        sh = self.node.shell()
        try:
            return body(sh.cmd(cmd), self.prompt)
        finally:
            sh.close()

    def request(self, payload, timeout=10):
        c = Client(self.broker.port)
        try:
            c.subscribe("micros/mq1/reply")
            c.publish("micros/mq1/cmd", payload)
            m = c.wait_for(lambda t, p, r: t == "micros/mq1/reply", timeout)
            self.assertIsNotNone(m, "no reply to %r" % payload)
            return json.loads(m[1])
        finally:
            c.close()

    def test_plain_command_gets_a_json_envelope(self):
        r = self.request("system heartbeat")
        self.assertEqual(r, {"id": None, "result": "<3 heartbeat <3", "state": True})

    def test_json_command_keeps_its_id_and_value_types(self):
        r = self.request(json.dumps({"cmd": "rgb color r=10 g=20 b=30", "id": "req-42"}))
        self.assertEqual(r["id"], "req-42")
        self.assertEqual(r["state"], True)
        self.assertEqual(r["result"]["R"], 10)
        r = self.request(json.dumps({"cmd": "nosuchmodule fn", "id": 7}))
        self.assertEqual(r["id"], 7)
        self.assertFalse(r["state"])

    def test_bad_json_gets_an_error_reply(self):
        r = self.request('{"id": 1}')
        self.assertFalse(r["state"])
        self.assertIn("Bad request", r["result"])

    def test_mqtt5_response_topic_and_correlation_data(self):
        # mosquitto_pub/sub speak MQTT 5: the reply goes to the request's response topic and
        # carries its correlation data (%D), not to .../reply.
        port = str(self.broker.port)
        sub = subprocess.Popen(["mosquitto_sub", "-V", "5", "-p", port, "-t", "client/x/resp",
                                "-F", "%D|%p", "-C", "1", "-W", "25"],
                               stdout=subprocess.PIPE, text=True)
        # mosquitto_sub says nothing when its subscription is in place: publish the
        # (idempotent) request again until the subscriber got its one reply, instead of
        # guessing how long a loaded machine needs to start it.
        end = time.time() + 20
        while sub.poll() is None and time.time() < end:
            subprocess.run(["mosquitto_pub", "-V", "5", "-p", port, "-t", "micros/mq1/cmd", "-m",
                            "system heartbeat", "-D", "publish", "response-topic",
                            "client/x/resp", "-D", "publish", "correlation-data", "corr-123"],
                           check=True)
            try:
                sub.wait(0.5)
            except subprocess.TimeoutExpired:
                pass
        out, _ = sub.communicate(timeout=20)
        corr, _, payload = out.strip().partition("|")
        self.assertEqual(corr, "corr-123")
        self.assertEqual(json.loads(payload)["result"], "<3 heartbeat <3")

    def test_state_is_retained_and_follows_changes(self):
        self.shell("rgb color r=111 g=0 b=222")
        c = Client(self.broker.port)
        try:
            c.subscribe("micros/mq1/state/rgb")
            m = c.wait_for(lambda t, p, r: json.loads(p).get("R") == 111, 10)
            self.assertIsNotNone(m, "rgb state not published after a shell change")
        finally:
            c.close()
        # A newcomer gets it retained.
        c = Client(self.broker.port)
        try:
            c.subscribe("micros/mq1/state/rgb")
            t, p, retained = c.recv(5)
            self.assertTrue(retained)
            self.assertEqual(json.loads(p)["B"], 222)
        finally:
            c.close()

    def test_system_measurements_are_published(self):
        c = Client(self.broker.port)
        try:
            c.subscribe("micros/mq1/state/system")
            t, p, retained = c.recv(10)
            st = json.loads(p)
            for k in ("Mem usage [%]", "FS usage [%]", "CPU load [%]"):
                self.assertIn(k, st)
        finally:
            c.close()

    def test_mqtt_module_reports_the_connection(self):
        st = json.loads(self.shell("mqtt status >json"))
        self.assertTrue(st["enabled"])
        self.assertTrue(st["connected"])
        self.assertEqual(st["protocol"], "5")
        self.assertEqual(st["base"], "micros/mq1")

    def test_oversized_and_garbage_payloads_do_not_hurt(self):
        c = Client(self.broker.port)
        c.publish("micros/mq1/cmd", b"\xff\xfe\x00garbage")
        c.publish("micros/mq1/cmd", "x" * 100000)
        c.publish("micros/mq1/ha/rgb/light/set", "{not json")
        c.publish("micros/mq1/ha/nosuch/thing/set", "ON")
        # Replies to the garbage may still be on their way: wait for ours by its id.
        c.subscribe("micros/mq1/reply")
        c.publish("micros/mq1/cmd", json.dumps({"cmd": "system heartbeat", "id": "after"}))
        m = c.wait_for(lambda t, p, r: json.loads(p).get("id") == "after", 10)
        c.close()
        self.assertIsNotNone(m)
        self.assertEqual(json.loads(m[1])["result"], "<3 heartbeat <3")


@unittest.skipUnless(have_mosquitto(), "mosquitto is not installed")
class MqttLifecycleTest(unittest.TestCase):
    def setUp(self):
        self.broker = Broker(persistence=True)
        self.nodes = []

    def tearDown(self):
        for n in self.nodes:
            try:
                n.stop()
            except AssertionError:
                raise
            except Exception:
                pass
        self.broker.close()

    def start(self, devfid, **extra):
        n = Node(config=node_cfg(self.broker, devfid, **extra))
        self.nodes.append(n)
        return n

    def test_last_will_on_kill_9(self):
        n = self.start("lw1")
        self.assertTrue(availability(self.broker, "lw1", "online"))
        os.kill(n.proc.pid, signal.SIGKILL)
        n.proc.wait()
        self.assertTrue(availability(self.broker, "lw1", "offline"),
                        "the broker did not publish the last will")

    def test_clean_stop_says_offline(self):
        n = self.start("lw2")
        self.assertTrue(availability(self.broker, "lw2", "online"))
        n.proc.terminate()
        n.proc.wait(5)
        self.assertTrue(availability(self.broker, "lw2", "offline"))

    def test_reconnects_after_broker_restart_and_buffers_boundedly(self):
        n = self.start("rc1", mqtt_qos=1)
        self.assertTrue(availability(self.broker, "rc1", "online"))
        # A persistent subscriber session (QoS 1) that the broker keeps across its restart.
        c = Client(self.broker.port, client_id="rc1-watcher", clean=False)
        c.subscribe("micros/rc1/buf", qos=1)
        c.close()
        self.broker.stop()
        sh = n.shell()
        p = b"rc1 $ "
        for i in range(150):
            r = body(sh.cmd('mqtt publish buf "m%d"' % i), p)
            self.assertEqual(r, "Buffered (offline)")
        st = json.loads(body(sh.cmd("mqtt status >json"), p))
        self.assertFalse(st["connected"])
        self.assertEqual(st["buffered"], 100)  # MQTT_OFFLINE_MAX
        self.assertGreaterEqual(st["dropped"], 50)
        # The shell keeps answering while the broker is gone.
        self.assertEqual(body(sh.cmd("system heartbeat"), p), "<3 heartbeat <3")
        self.broker.start()
        self.assertTrue(availability(self.broker, "rc1", "online", timeout=30),
                        "no reconnect after the broker came back")
        st = json.loads(body(sh.cmd("mqtt status >json"), p))
        self.assertTrue(st["connected"])
        self.assertEqual(st["buffered"], 0)
        sh.close()
        c = Client(self.broker.port, client_id="rc1-watcher", clean=False)
        c.subscribe("micros/rc1/buf", qos=1)
        got = [m[1].decode() for m in c.collect(quiet=2.0) if m[0] == "micros/rc1/buf"]
        c.close()
        # The newest 100 survived, in order; the oldest were dropped.
        self.assertEqual(got, ["m%d" % i for i in range(50, 150)])
        # The outage was logged once, not once per retry.
        with open(os.path.join(n.data_dir, "logs", "warn.sys.log")) as f:
            warn = f.read()
        self.assertLessEqual(warn.count("mqtt:"), 2, warn)

    def test_live_config_change_and_rename_clear_old_topics(self):
        n = self.start("rn1")
        self.assertTrue(availability(self.broker, "rn1", "online"))
        c = Client(self.broker.port)
        c.subscribe("homeassistant/#")
        old = [m for m in c.collect(quiet=1.5) if "/rn1/" in m[0] and m[1]]
        self.assertTrue(old, "no discovery configs before the rename")
        sh = n.shell()
        sh.cmd("conf")
        self.assertIn(b"Saved", sh.cmd("devfid rn2"))
        sh.cmd("noconf")
        sh.close()
        # Every old config is emptied (entity removed), the new name announces itself.
        cleared = set()
        fresh = set()
        end = time.time() + 15
        while time.time() < end and (len(cleared) < len(old) or not fresh):
            m = c.recv(1)
            if m is None:
                continue
            if "/rn1/" in m[0] and m[1] == b"":
                cleared.add(m[0])
            if "/rn2/" in m[0] and m[1]:
                fresh.add(m[0])
        c.close()
        self.assertEqual(cleared, {m[0] for m in old})
        self.assertTrue(fresh)
        self.assertTrue(availability(self.broker, "rn2", "online"))

    def test_auth_requires_the_password_in_the_payload(self):
        self.start("au1", auth=True)
        self.assertTrue(availability(self.broker, "au1", "online"))
        c = Client(self.broker.port)
        c.subscribe("micros/au1/reply")
        c.publish("micros/au1/cmd", "system heartbeat")
        r = json.loads(c.wait_for(lambda t, p, r: True, 10)[1])
        self.assertEqual(r, {"id": None, "result": "Auth:Protected", "state": False})
        c.publish("micros/au1/cmd", json.dumps({"cmd": "system heartbeat", "id": 1,
                                                 "pwd": "wrong-Pass1"}))
        r = json.loads(c.wait_for(lambda t, p, r: True, 10)[1])
        self.assertEqual(r["result"], "Auth:Protected")
        c.publish("micros/au1/cmd", json.dumps({"cmd": "system heartbeat", "id": 2,
                                                 "pwd": "ADmin123"}))
        r = json.loads(c.wait_for(lambda t, p, r: True, 10)[1])
        c.close()
        self.assertEqual(r, {"id": 2, "result": "<3 heartbeat <3", "state": True})

    def test_broker_name_is_resolved_without_blocking(self):
        # The harness turns DNS off (no lookups leave the machine): the name cannot resolve,
        # the node says so once and keeps serving.
        n = self.start("dn1", mqtt_host="broker.invalid")
        time.sleep(2.5)
        sh = n.shell()
        self.assertEqual(body(sh.cmd("system heartbeat"), b"dn1 $ "), "<3 heartbeat <3")
        st = json.loads(body(sh.cmd("mqtt status >json"), b"dn1 $ "))
        sh.close()
        self.assertFalse(st["connected"])
        with open(os.path.join(n.data_dir, "logs", "warn.sys.log")) as f:
            warn = f.read()
        self.assertEqual(warn.count("mqtt: cannot resolve broker.invalid"), 1, warn)

    def test_turning_mqtt_off_live(self):
        n = self.start("off1")
        self.assertTrue(availability(self.broker, "off1", "online"))
        sh = n.shell()
        sh.cmd("conf")
        sh.cmd("mqtt False")
        sh.cmd("noconf")
        st = json.loads(body(sh.cmd("mqtt status >json"), b"off1 $ "))
        sh.close()
        self.assertFalse(st["enabled"])


@unittest.skipUnless(have_mosquitto(), "mosquitto is not installed")
class MqttTlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="micros-mqtt-tls-")
        cls.ca, cert, key = stub_http.make_ca(cls.tmp)
        cls.broker = Broker(tls=(cls.ca, cert, key), users={"node": "S3cret-pass"})

    @classmethod
    def tearDownClass(cls):
        cls.broker.close()

    def test_tls_with_login_carries_commands(self):
        n = Node(config=node_cfg(self.broker, "tls1", mqtt_ca=self.ca, mqtt_user="node",
                                 mqtt_pwd="S3cret-pass"))
        try:
            kw = dict(ca=self.ca, user="node", pwd="S3cret-pass")
            self.assertTrue(availability(self.broker, "tls1", "online", **kw))
            c = Client(self.broker.port, **kw)
            c.subscribe("micros/tls1/reply")
            c.publish("micros/tls1/cmd", "system heartbeat")
            m = c.wait_for(lambda t, p, r: t == "micros/tls1/reply", 10)
            c.close()
            self.assertEqual(json.loads(m[1])["result"], "<3 heartbeat <3")
            # The password never shows in the node's logs.
            self.assertNotIn("S3cret-pass", n.output())
        finally:
            n.stop()

    def test_wrong_password_is_refused_and_logged_once(self):
        n = Node(config=node_cfg(self.broker, "tls2", mqtt_ca=self.ca, mqtt_user="node",
                                 mqtt_pwd="wrong-pass"))
        try:
            time.sleep(4)  # a few attempts with back-off
            sh = n.shell()
            st = json.loads(body(sh.cmd("mqtt status >json"), b"tls2 $ "))
            self.assertEqual(body(sh.cmd("system heartbeat"), b"tls2 $ "), "<3 heartbeat <3")
            sh.close()
            self.assertFalse(st["connected"])
            with open(os.path.join(n.data_dir, "logs", "warn.sys.log")) as f:
                warn = f.read()
            self.assertEqual(warn.count("mqtt: cannot connect"), 1, warn)
            self.assertNotIn("wrong-pass", warn)
        finally:
            n.stop()

    def test_plain_client_cannot_talk_to_the_tls_port_but_the_node_survives_a_bad_ca(self):
        n = Node(config=node_cfg(self.broker, "tls3", mqtt_ca="/nonexistent/ca.pem",
                                 mqtt_user="node", mqtt_pwd="S3cret-pass"))
        try:
            time.sleep(1.5)
            sh = n.shell()
            st = json.loads(body(sh.cmd("mqtt status >json"), b"tls3 $ "))
            sh.close()
            self.assertFalse(st["connected"])
        finally:
            n.stop()


if __name__ == "__main__":
    main()
