"""Notifications: `system notify` and a module's notify() reach Telegram (a local HTTPS stub of
the Bot API with a throw-away CA), a webhook and MQTT (a real mosquitto); the Telegram bot runs
/cmd, /ping, /notify from a chat; a hanging or dead channel never holds up the shell and is
logged once per outage."""
import json
import os
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Node, main  # noqa: E402
from mqtt_helpers import Broker, Client, have_mosquitto  # noqa: E402
import stub_http  # noqa: E402

TOKEN = "123:TEST"


def body(reply, prompt):
    return reply[:-len(prompt)].decode().rstrip("\n")


def wait(pred, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    return None


@unittest.skipUnless(have_mosquitto(), "mosquitto is not installed")
class NotifyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="micros-notify-")
        ca, cert, key = stub_http.make_ca(cls.tmp)
        cls.tg = stub_http.Telegram(TOKEN)
        cls.stub = stub_http.StubServer(cert, key, telegram=cls.tg)
        cls.broker = Broker()
        # Every outgoing URL (api.telegram.org, the webhook host) goes to the local stub.
        cls.node = Node(config={
            "devfid": "nt1", "mqtt": True, "mqtt_port": cls.broker.port,
            "httpc_base": cls.stub.url(True), "httpc_ca": ca,
            "webhook_url": "https://hooks.example.org/hook/door"})
        cls.p = b"nt1 $ "
        cls.sh = cls.node.shell()
        out = cls.cmd('telegram load token="%s"' % TOKEN)
        assert out == "Custom commands queued", out
        # The bot learns its chat from the first message someone sends it.
        cls.tg.push_message("hello bot", chat_id=4242)
        cls.cmd("telegram receive")
        assert wait(lambda: any("/getUpdates" in r["path"] for r in cls.stub.requests))

    @classmethod
    def tearDownClass(cls):
        cls.sh.close()
        cls.node.stop()
        cls.stub.release.set()
        cls.stub.stop()
        cls.broker.close()

    @classmethod
    def cmd(cls, c):
        return body(cls.sh.cmd(c), cls.p)

    def sent_texts(self):
        return [m["text"] for m in self.tg.sent]

    def test_1_token_is_cached_and_commands_set(self):
        with open(os.path.join(self.node.data_dir, "config", "telegram.token")) as f:
            self.assertEqual(f.read(), TOKEN)
        cmds = [r for r in self.stub.requests if r["path"].endswith("/setMyCommands")]
        self.assertTrue(cmds)
        self.assertEqual(cmds[0]["path"], "/bot%s/setMyCommands" % TOKEN)
        names = [c["command"] for c in json.loads(cmds[0]["body"])["commands"]]
        self.assertEqual(names, ["ping", "notify", "cmd", "cmd_select"])

    def test_2_system_notify_reaches_every_channel(self):
        c = Client(self.broker.port)
        c.subscribe("micros/nt1/notify")
        out = self.cmd('system notify "door open"')
        self.assertEqual(out, "Sent over Webhook, MQTT, Telegram (3/3) client(s) - errors: (0)")
        m = c.wait_for(lambda t, p, r: True, 10)
        c.close()
        self.assertEqual(json.loads(m[1])["text"], "door open")
        hook = wait(lambda: [r for r in self.stub.requests if r["path"] == "/hook/door"])
        self.assertTrue(hook, "the webhook got nothing")
        msg = json.loads(hook[-1]["body"])
        self.assertEqual((msg["devfid"], msg["text"]), ("nt1", "door open"))
        self.assertEqual(hook[-1]["headers"]["content-type"], "application/json")
        tg = wait(lambda: [m for m in self.tg.sent if "door open" in m["text"]])
        self.assertTrue(tg, "Telegram got nothing")
        self.assertEqual(tg[-1]["chat_id"], 4242)
        self.assertEqual(tg[-1]["text"], "nt1\u2699\ufe0f\ndoor open")

    def test_3_module_notify_does_the_same(self):
        c = Client(self.broker.port)
        c.subscribe("micros/nt1/notify")
        self.assertEqual(self.cmd('sim notify "motion detected"'), "notified")
        m = c.wait_for(lambda t, p, r: True, 10)
        c.close()
        self.assertEqual(json.loads(m[1])["text"], "motion detected")
        self.assertTrue(wait(lambda: [r for r in self.stub.requests
                                      if r["path"] == "/hook/door" and "motion" in r["body"]]))
        self.assertTrue(wait(lambda: [t for t in self.sent_texts() if "motion detected" in t]))

    def test_4_notifications_switches(self):
        self.assertEqual(self.cmd("system notifications"),
                         "Notifications[Webhook, MQTT, Telegram]: enabled")
        self.assertEqual(self.cmd("system notifications False"),
                         "Notifications[Webhook, MQTT, Telegram]: disabled")
        self.assertEqual(self.cmd('system notify "x"'), "Notifications disabled")
        self.cmd("system notifications True")
        # One channel off: the others still get it.
        self.sh.cmd("conf")
        self.sh.cmd("notify_webhook False")
        self.sh.cmd("noconf")
        out = self.cmd('system notify "only two"')
        self.assertEqual(out, "Sent over MQTT, Telegram (2/3) client(s) - errors: (0)")
        self.sh.cmd("conf")
        self.sh.cmd("notify_webhook True")
        self.sh.cmd("noconf")

    def test_5_bot_runs_cmd_ping_and_notify_from_a_chat(self):
        self.cmd("system info")  # /cmd runs only modules loaded already (micrOS's rule)
        out = self.cmd("telegram receiver_loop period=1")
        self.assertIn("telegram.server_bot", out)
        self.tg.push_message("/cmd system info", chat_id=4242)
        reply = wait(lambda: [m for m in self.tg.sent if "Mem usage [%]" in m["text"]])
        self.assertTrue(reply, "no reply to /cmd system info: %r" % self.sent_texts())
        self.assertEqual(reply[-1]["chat_id"], 4242)
        self.assertIn("reply_to_message_id", reply[-1])
        self.tg.push_message("/ping", chat_id=4242)
        ping = wait(lambda: [m for m in self.tg.sent if m["text"].endswith("task")])
        self.assertTrue(ping)
        self.assertIn("system", ping[-1]["text"])
        self.tg.push_message("/cmd gameOfLife next_gen", chat_id=4242)  # not loaded
        self.assertTrue(wait(lambda: "NoAccess: gameOfLife" in self.cmd(
            "task show telegram.server_bot")))
        self.tg.push_message("/cmd_select othernode system info", chat_id=4242)
        self.assertTrue(wait(lambda: "NoSelected: othernode" in self.cmd(
            "task show telegram.server_bot")))
        self.tg.push_message("/notify off", chat_id=4242)
        self.assertTrue(wait(lambda: [m for m in self.tg.sent if "disabled" in m["text"]]))
        self.assertEqual(self.cmd('system notify "y"'), "Notifications disabled")
        self.tg.push_message("/notify on", chat_id=4242)
        self.assertTrue(wait(lambda: self.cmd("system notifications").endswith("enabled")))
        self.cmd("task kill telegram.server_bot")

    def test_6_a_hanging_webhook_never_holds_up_the_shell(self):
        self.sh.cmd("conf")
        self.sh.cmd("webhook_url https://hooks.example.org/hold")
        self.sh.cmd("noconf")
        self.stub.release.clear()
        self.stub.holding.clear()
        out = self.cmd('system notify "slow one"')
        self.assertIn("Webhook", out)
        self.assertTrue(self.stub.holding.wait(10), "the webhook request never arrived")
        # While the webhook request hangs in the stub, the node answers and notifies on.
        self.assertEqual(self.cmd("system heartbeat"), "<3 heartbeat <3")
        for i in range(5):
            self.cmd('system notify "queued %d"' % i)
        self.assertFalse(self.stub.release.is_set())
        self.assertTrue(wait(lambda: [t for t in self.sent_texts() if "queued 4" in t]),
                        "Telegram waited for the webhook")
        self.stub.release.set()
        self.sh.cmd("conf")
        self.sh.cmd("webhook_url https://hooks.example.org/hook/door")
        self.sh.cmd("noconf")

    def test_7_a_dead_channel_is_logged_once(self):
        self.sh.cmd("conf")
        self.sh.cmd("webhook_url https://hooks.example.org/status/500")
        self.sh.cmd("noconf")
        for i in range(6):
            self.assertIn("Webhook", self.cmd('system notify "fail %d"' % i))
        self.assertTrue(wait(lambda: len([r for r in self.stub.requests
                                          if r["path"] == "/status/500"]) >= 6))
        time.sleep(0.3)
        with open(os.path.join(self.node.data_dir, "logs", "err.sys.log")) as f:
            log = f.read()
        self.assertEqual(log.count("notify: webhook: HTTP 500"), 1, log)
        self.assertNotIn(TOKEN, log)
        self.sh.cmd("conf")
        self.sh.cmd("webhook_url https://hooks.example.org/hook/door")
        self.sh.cmd("noconf")
        self.cmd('system notify "back"')
        self.assertTrue(wait(lambda: [r for r in self.stub.requests
                                      if r["path"] == "/hook/door" and "back" in r["body"]]))


if __name__ == "__main__":
    main()
