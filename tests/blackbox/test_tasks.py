"""Background tasks over the shell, byte for byte (COMPAT §2.4, §2.5, hard cases 15-21 and
the `task` transcript), from a client that sends commands without a newline."""
import json
import re
import time
import unittest

import harness
from harness import Node

P = b"node01 $ "
INVALID = b"Invalid task cmd! Help: task list / kill <taskID> / show <taskID>\n" + P


def task_list(queue, active=(), inactive=()):
    rows = b"".join(b"Yes       " + t.encode() + b"\n" for t in ("idle", "server") + tuple(active))
    return (b"---- micrOS  top ----\n#queue: %d #load: 0%%\n\n#Active   #taskID\n" % queue + rows
            + b"\n".join(b"No        " + t.encode() for t in inactive) + b"\n\n" + P)


def load_masked(reply):
    """task list with its #load figure (the node's CPU load, which depends on how busy the machine
    is) set to 0, after checking it is a percentage."""
    m = re.search(rb"#load: (\d+)%", reply)
    assert m and 0 <= int(m.group(1)) <= 100, reply
    return reply[:m.start(1)] + b"0" + reply[m.end(1):]


def wait_for(pred, timeout=5.0, step=0.02):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(step)
    return False


class Tasks(unittest.TestCase):
    """One fresh node per test: the task table is node-wide state."""

    def setUp(self):
        self.node = Node(config={"aioqueue": 5})
        self.sh = self.node.shell()

    def tearDown(self):
        self.sh.close()
        self.node.stop()

    def test_fresh_task_list(self):
        # Hard case 20.
        self.assertEqual(load_masked(self.sh.cmd("task list")), task_list(5))

    def test_fresh_task_list_json(self):
        # Hard case 21.
        reply = self.sh.cmd("task list >json")
        self.assertEqual(reply, b'{"active": ["idle", "server"], "inactive": []}\n' + P)
        json.loads(reply[:-len(P)])

    def test_heartbeat_transcript(self):
        # transcripts.md: `system heartbeat &&1000`, task list, show (empty, then the beat), kill.
        self.assertEqual(self.sh.cmd("system heartbeat &&1000"),
                         b"{'system.heartbeat': 'Starting'}\n" + P)
        self.assertEqual(load_masked(self.sh.cmd("task list")), task_list(4, active=("system.heartbeat",)))
        self.assertEqual(self.sh.cmd("task show system.heartbeat"), b"\n" + P)
        # the first beat (1 s period): polled, a loaded machine may take longer than 2.5 s
        self.assertTrue(wait_for(lambda: self.sh.cmd("task show system.heartbeat") ==
                                 b"<3 heartbeat <3\n" + P, timeout=20, step=0.1))
        self.assertEqual(self.sh.cmd("task kill system.heartbeat"),
                         b"Kill: system.heartbeat|True\n" + P)
        self.assertEqual(load_masked(self.sh.cmd("task list")), task_list(5))

    def test_task_list_json_with_tasks(self):
        self.sh.cmd("system clock &&1000")
        self.sh.cmd("system heartbeat &")
        self.assertTrue(wait_for(lambda: b"No        system.heartbeat" in self.sh.cmd("task list")))
        reply = self.sh.cmd("task list >json")
        self.assertEqual(json.loads(reply[:-len(P)]),
                         {"active": ["idle", "server", "system.clock"],
                          "inactive": ["system.heartbeat"]})

    def test_one_shot_finishes_and_stays_inactive(self):
        # Hard case 15.
        self.assertEqual(self.sh.cmd("system heartbeat &"),
                         b"{'system.heartbeat': 'Starting'}\n" + P)
        self.assertTrue(wait_for(
            lambda: load_masked(self.sh.cmd("task list")) == task_list(5, inactive=("system.heartbeat",))))
        self.assertEqual(self.sh.cmd("task show system.heartbeat"), b"<3 heartbeat <3\n" + P)

    def test_already_running(self):
        # Hard case 16.
        self.assertEqual(self.sh.cmd("system clock &&1000"), b"{'system.clock': 'Starting'}\n" + P)
        self.assertEqual(self.sh.cmd("system clock &&1000"),
                         b"{'system.clock': 'Already running'}\n" + P)

    def test_task_reply_json(self):
        self.assertEqual(self.sh.cmd("system clock >json &&1000"),
                         b'{"system.clock": "Starting"}\n' + P)

    def test_queue_full(self):
        # Hard case 17: aioqueue=5, five LM tasks running.
        for fn in ("heartbeat", "clock", "info", "memory_usage", "disk_usage"):
            self.assertEqual(self.sh.cmd("system %s &&1000" % fn),
                             b"{'system.%s': 'Starting'}\n" % fn.encode() + P)
        self.assertEqual(self.sh.cmd("system top &&1000"),
                         b"{'system.top': '[aio] Task queue full: 5'}\n" + P)
        self.assertIn(b"#queue: 0 ", self.sh.cmd("task list"))
        # The queue check comes before the already-running check.
        self.assertEqual(self.sh.cmd("system clock &&1000"),
                         b"{'system.clock': '[aio] Task queue full: 5'}\n" + P)

    def test_kill_wildcard_and_unknown(self):
        # Hard case 18.
        self.sh.cmd("system heartbeat &&1000")
        self.sh.cmd("system clock &&1000")
        self.assertEqual(self.sh.cmd("task kill system.*"),
                         b"Kill: system.heartbeat|True, system.clock|True\n" + P)
        self.assertEqual(self.sh.cmd("task kill nope"), b"No task found: nope\n" + P)
        self.assertEqual(self.sh.cmd("task show nope"), b"No task found: nope\n" + P)
        self.assertEqual(load_masked(self.sh.cmd("task list")), task_list(5))

    def test_invalid_task_commands(self):
        # Hard case 19.
        for cmd in ("task", "task foo", "task show"):
            self.assertEqual(self.sh.cmd(cmd), INVALID, cmd)

    def test_minimum_period_is_20ms(self):
        # `&&5` is accepted and clamped to 20 ms: system clock's seconds field must follow the
        # wall clock within a few periods (a 1000 ms default would lag up to a second).
        self.assertEqual(self.sh.cmd("system clock &&5"), b"{'system.clock': 'Starting'}\n" + P)
        lags = []
        prev = None
        end = time.time() + 2.5
        while time.time() < end and len(lags) < 2:
            out = self.sh.cmd("task show system.clock")
            now = time.time()
            m = re.match(rb"^\d+\.\d+\.\d+  \d+:\d+:(\d+)\n", out)
            if not m:
                continue
            sec = int(m.group(1))
            if prev is not None and sec != prev:
                lags.append(now - int(now))  # seconds since the wall-clock second began
            prev = sec
            time.sleep(0.002)
        self.assertEqual(len(lags), 2)
        self.assertLess(max(lags), 0.3, lags)

    def test_failing_task_stops_and_says_why(self):
        self.assertEqual(self.sh.cmd("robustness raise_error &&100"),
                         b"{'robustness.raise_error': 'Starting'}\n" + P)
        self.assertTrue(wait_for(
            lambda: b"No        robustness.raise_error" in self.sh.cmd("task list")))
        reply = self.sh.cmd("task show robustness.raise_error")
        # Clients match "Core error: LM_robustness->raise_error: Test exception" (COMPAT §2.6).
        self.assertTrue(reply.startswith(b"Core error: LM_robustness->raise_error: Test exception"))
        self.assertTrue(reply.endswith(b"\n" + P))

    def test_failing_task_with_bad_arguments(self):
        self.sh.cmd("system heartbeat 1 &")
        self.assertTrue(wait_for(
            lambda: b"No        system.heartbeat" in self.sh.cmd("task list")))
        self.assertRegex(self.sh.cmd("task show system.heartbeat"),
                         rb"^Core error: LM_system->heartbeat: .*positional argument.*\n"
                         + re.escape(P) + b"$")


if __name__ == "__main__":
    harness.main()
