"""Time services on a live node: cron jobs fire within a second of their time and never early
(from node_config.json at boot and live through conf), crontasks/tz/geoloc validation, cron
introspection, system sun/clock in the node's zone, timirq and boothook through the pipe,
irq inputs (with the simulated pin bank only).

The zone is a half-hour one with no DST (<+0530>-5:30), so the expected local times are
computed here independently of the node: local = UTC + 5:30."""
import json
import os
import re
import time
import unittest

import harness
from harness import Node

ZONE = "<+0530>-5:30"
OFFSET = 5 * 3600 + 30 * 60


def local_hms(t):
    """H:M:S fields of the local time (our zone) of the UTC instant t."""
    g = time.gmtime(int(t) + OFFSET)
    return g.tm_hour, g.tm_min, g.tm_sec


def entry_at(t, cmd):
    h, m, s = local_hms(t)
    return "*:%d:%d:%d!%s" % (h, m, s, cmd)


def wait_until(t):
    d = t - time.time()
    if d > 0:
        time.sleep(d)


def logs(node, name):
    path = os.path.join(node.data_dir, "logs", name)
    if not os.path.exists(path):
        return ""
    with open(path) as f:
        return f.read()


class Cron(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # A job from the config file, due a few seconds after start.
        cls.boot_due = int(time.time()) + 4
        cls.node = Node(config={
            "cron": True,
            "crontasks": entry_at(cls.boot_due, "system heartbeat"),
            "tz": ZONE,
            "geoloc": "47.4979,19.0402",
            "timirq": True,
            "timirqcbf": "system heartbeat;#nosuch comment;nosuch timirq",
            "timirqseq": 200,
            "boothook": "robustness func_sudo pwd=$pwd;nosuch boothook;#nosuch skipped",
        })

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def setUp(self):
        self.sh = self.node.shell()

    def tearDown(self):
        self.sh.close()

    def history(self):
        reply = self.sh.cmd("cron history").decode()
        return re.findall(r"^ \d+: (\S+ \S+) \S+ \+(-?\d+) ms (.+?) -> (.*)$", reply, re.M)

    def check_ran_once_on_time(self, entry, due):
        runs = [h for h in self.history() if h[2] == entry]
        self.assertEqual(len(runs), 1, "runs of %s: %r" % (entry, self.history()))
        when, late, _, out = runs[0]
        h, m, s = local_hms(due)
        self.assertTrue(when.endswith("%02d:%02d:%02d" % (h, m, s)), when)
        self.assertGreaterEqual(int(late), 0)
        self.assertLess(int(late), 1000)
        self.assertEqual(out, "<3 heartbeat <3")

    def test_1_job_from_the_config_file_runs_on_time_never_early(self):
        entry = entry_at(self.boot_due, "system heartbeat")
        listing = self.sh.cmd("cron list").decode()
        self.assertIn(" cron: on", listing)
        h, m, s = local_hms(self.boot_due)
        self.assertIn("0 %s: next" % entry, listing)
        self.assertIn("%02d:%02d:%02d" % (h, m, s), listing)
        wait_until(self.boot_due - 0.3)
        self.assertEqual([x for x in self.history() if x[2] == entry], [], "fired early")
        wait_until(self.boot_due + 1.2)
        self.check_ran_once_on_time(entry, self.boot_due)

    def test_2_live_crontasks_change_is_armed_at_once(self):
        due = int(time.time()) + 3
        entry = entry_at(due, "system heartbeat")
        self.assertEqual(self.sh.cmd("conf"), b"[configure] node01 $ ")
        self.assertEqual(self.sh.cmd("crontasks " + entry + ";0-4:7:0:0!system clock"),
                         b"Saved\n[configure] node01 $ ")
        self.sh.cmd("noconf")
        listing = self.sh.cmd("cron list").decode()
        self.assertIn("1 0-4:7:0:0!system clock: next ", listing)
        self.assertIn(" 07:00:00 ", listing)
        wait_until(due - 0.3)
        self.assertEqual([x for x in self.history() if x[2] == entry], [], "fired early")
        wait_until(due + 1.2)
        self.check_ran_once_on_time(entry, due)
        stats = self.sh.cmd("cron stats").decode()
        late_max = int(re.search(r"late max \[ms\]: (\d+)", stats).group(1))
        self.assertLess(late_max, 1000)

    def test_3_invalid_entries_are_refused_with_the_reason(self):
        self.sh.cmd("conf")
        cases = [
            ("crontasks *:8:0:0;*:8:0:0!c d",
             b"cron entry '*:8:0:0': no '!' between time and command\nFailed to save\n"),
            ("crontasks *:25:0:0!a b", b"cron entry '*:25:0:0!a b': hour must be * or 0..23\n"
                                       b"Failed to save\n"),
            ("crontasks sunset-x!a", b"cron entry 'sunset-x!a': sunset offset must be 0..1439 "
                                     b"minutes\nFailed to save\n"),
            ("geoloc here", b"geoloc must be \"<lat>,<lon>\" in degrees, e.g. 47.4979,19.0402\n"
                            b"Failed to save\n"),
        ]
        for cmd, want in cases:
            self.assertEqual(self.sh.cmd(cmd), want + b"[configure] node01 $ ", cmd)
        reply = self.sh.cmd("tz Europe/Budapest")
        self.assertTrue(reply.startswith(b"tz 'Europe/Budapest': "), reply)
        self.assertIn(b"\nFailed to save\n", reply)
        self.assertEqual(self.sh.cmd("tz"), ZONE.encode() + b"\n[configure] node01 $ ")
        self.sh.cmd("noconf")

    def test_4_next_fire_times_of_an_expression(self):
        reply = self.sh.cmd('cron next "0-4:7:0:0" n=3').decode()
        lines = re.findall(r"^ (\d): (\d{4}-\d\d-\d\d) 07:00:00 (\w{3})$", reply, re.M)
        self.assertEqual([l[0] for l in lines], ["1", "2", "3"], reply)
        for _, _, wd in lines:
            self.assertIn(wd, ("Mon", "Tue", "Wed", "Thu", "Fri"))
        reply = self.sh.cmd('cron next "5-1:8:0:0"').decode()
        self.assertEqual(len(re.findall(r"(Sat|Sun|Mon|Tue)$", reply, re.M)), 5, reply)
        self.assertEqual(self.sh.cmd('cron next "*:8:0"'),
                         b"Core error: LM_cron->next: '*:8:0': time must be WD:H:M:S or "
                         b"sunrise/sunset/dawn/dusk[+-minutes]\nnode01 $ ")
        reply = self.sh.cmd('cron next "sunset-30" n=2').decode()
        self.assertEqual(len(re.findall(r"^ \d: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \w{3}$", reply, re.M)),
                         2, reply)

    def test_5_system_sun_in_local_time(self):
        reply = self.sh.cmd("system sun").decode()
        m = re.match(r" sunrise: \((\d+), (\d+), (\d+)\)\n sunset: \((\d+), (\d+), (\d+)\)\n",
                     reply)
        self.assertIsNotNone(m, reply)
        rise = int(m.group(1)) * 60 + int(m.group(2))
        sset = int(m.group(4)) * 60 + int(m.group(5))
        # Budapest seen from UTC+5:30: over a year sunrise 02:46-06:32 UTC = 08:16-12:02,
        # sunset 14:55-18:45 UTC = 20:25-00:15 local.
        self.assertTrue(8 * 60 + 10 <= rise <= 12 * 60 + 10, reply)
        self.assertTrue(sset >= 20 * 60 + 15 or sset <= 25, reply)
        self.assertEqual(self.sh.cmd("system sun >json")[:12], b'{"sunrise": ')

    def test_6_system_clock_is_in_the_tz_zone(self):
        before = time.time()
        reply = self.sh.cmd("system clock").decode()
        m = re.match(r"(\d+)\.(\d+)\.(\d+)  (\d+):(\d+):(\d+)\nWD: (\d) YD: (\d+)\n", reply)
        self.assertIsNotNone(m, reply)
        h, mi = int(m.group(4)), int(m.group(5))
        want = time.gmtime(int(before) + OFFSET)
        self.assertEqual(h, want.tm_hour)
        self.assertIn(mi, (want.tm_min, (want.tm_min + 1) % 60))
        self.assertEqual(int(m.group(7)), want.tm_wday)

    def test_7_timirq_runs_its_pipe(self):
        time.sleep(0.5)
        err = logs(self.node, "err.sys.log")
        self.assertIn("[ERR] timirq: nosuch timirq: Core error: LM_nosuch->timirq", err)
        self.assertNotIn("comment", err)
        stats = self.sh.cmd("cron stats").decode()
        runs = int(re.search(r"timirq runs: (\d+)", stats).group(1))
        self.assertGreaterEqual(runs, 5)

    def test_8_boothook_substitutes_pwd_and_skips_comments(self):
        err = logs(self.node, "err.sys.log")
        self.assertIn("[ERR] boothook: nosuch boothook:", err)
        self.assertNotIn("func_sudo", err)  # $pwd -> 'ADmin123': access granted
        self.assertNotIn("skipped", err)
        # The syslog stamp is local time in the tz zone.
        stamp = re.search(r"^(\d+)\.(\d+)\.(\d+)-(\d+):(\d+):(\d+) \[ERR\] boothook", err, re.M)
        now = time.gmtime(int(time.time()) + OFFSET)
        self.assertIsNotNone(stamp)
        self.assertEqual(int(stamp.group(3)), now.tm_mday)



class Irq(unittest.TestCase):
    """irq1..irq3 on the simulated pin bank, driven with `sim drive <pin> <level>`. Each
    callback is a command that fails, so every run leaves an [ERR] line naming its input."""

    @classmethod
    def setUpClass(cls):
        cls.node = Node(config={
            "irq1": True, "irq1_cbf": "nosuch one", "irq1_trig": "n/a",
            "irq2": True, "irq2_cbf": "nosuch two", "irq2_trig": "down",
            "irq3": True, "irq3_cbf": "nosuch three;#nosuch skipped", "irq3_trig": " Both ",
            "irq4": True,  # no callback: stays off
            "irq_prell_ms": 300,
            "cstmpmap": "irq1:4;irq2:18;irq3:5",
        })

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def setUp(self):
        self.sh = self.node.shell()
        if b"No module named 'LM_sim'" in self.sh.cmd("sim backend"):
            self.sh.close()
            self.skipTest("no `sim` module in this build: the simulated pin bank (hw branch) "
                          "is needed to drive irq inputs")

    def tearDown(self):
        self.sh.close()

    def count(self, what):
        time.sleep(0.1)  # edges reach the callbacks on the next loop pass
        return logs(self.node, "err.sys.log").count("[ERR] irq%s: nosuch" % what)

    def drive(self, pin, level):
        reply = self.sh.cmd("sim drive %d %d" % (pin, level))
        self.assertNotIn(b"Core error", reply)

    def test_trigger_modes_and_debounce(self):
        self.drive(4, 1)  # irq1 rising: fires
        self.drive(4, 0)
        self.assertEqual(self.count("1"), 1)
        self.drive(18, 1)  # irq2 falling: not on the rising edge
        self.assertEqual(self.count("2"), 0)
        self.drive(18, 0)
        self.assertEqual(self.count("2"), 1)
        self.drive(5, 1)  # irq3 both: fires
        self.drive(5, 0)  # within irq_prell_ms: a bounce, dropped
        self.assertEqual(self.count("3"), 1)
        time.sleep(0.4)
        self.drive(5, 1)
        self.assertEqual(self.count("3"), 2)
        self.assertNotIn("skipped", logs(self.node, "err.sys.log"))


if __name__ == "__main__":
    harness.main()
