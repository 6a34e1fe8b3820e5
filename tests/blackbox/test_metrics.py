"""Metrics end to end on loopback: a node's GET /metrics, `microsctl gateway` over 20 nodes,
and a real Prometheus (Debian's, started here with a temporary config) scraping both.

Checks: promtool check metrics passes on the node's /metrics and the gateway's /metrics (and
on /metrics/<device>/<cmd> only micrOS's own camelCase prefix is linted); auth when
metrics_auth is set; PromQL through Prometheus's HTTP API returns every node's `up` and a
module gauge; every expression of docs/grafana/micros-fleet.json returns data."""
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

import harness
from harness import Node, free_port, main

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NODES = 20


def get(url, headers=None, timeout=10):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode(), r.headers.get("content-type", "")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers.get("content-type", "")


def promtool(text):
    r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True)
    return r.returncode, (r.stdout + r.stderr).strip()


def wait_for(pred, timeout=20.0, step=0.2):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


class NodeMetrics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = Node(config={"devfid": "metr01", "cron": True,
                                "crontasks": "*:*:*:*!system heartbeat"})

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def test_valid_exposition(self):
        sh = self.node.shell()
        sh.cmd("dht22 measure")
        sh.close()
        st, text, ctype = get("http://127.0.0.1:%d/metrics" % self.node.webport)
        self.assertEqual(st, 200)
        self.assertIn("version=0.0.4", ctype)
        rc, out = promtool(text)
        self.assertEqual(rc, 0, out)
        for family in ("micros_uptime_seconds", "micros_memory_rss_bytes",
                       "micros_cpu_load_percent", "micros_connections_total",
                       "micros_requests_total", "micros_errors_total", "micros_tasks",
                       "micros_cron_runs_total", "micros_cron_lateness_seconds",
                       "micros_auth_failures_total"):
            self.assertIn("# TYPE %s " % family, text)
        self.assertRegex(text, r'micros_measure\{node="metr01",module="dht22",function="measure",'
                               r'key="temp\[C\]",unit="°C"\} 22\.5\n')
        self.assertRegex(text, r'micros_requests_total\{node="metr01",transport="shell"\} [1-9]')
        self.assertNotIn("metrics", get("http://127.0.0.1:%d/rest" % self.node.webport)[1])

    def test_lua_module_measures(self):
        # A Lua module that declares measures (docs/examples/LM_thermostat.lua) is measured
        # once it is loaded, like a C one.
        mods = os.path.join(self.node.data_dir, "modules")
        os.makedirs(mods, exist_ok=True)
        shutil.copy(os.path.join(ROOT, "docs", "examples", "LM_thermostat.lua"), mods)
        sh = self.node.shell()
        r = sh.cmd("thermostat measure")
        sh.close()
        self.assertIn(b"temp", r)
        st, text, _ = get("http://127.0.0.1:%d/metrics" % self.node.webport)
        self.assertRegex(text, r'micros_measure\{node="metr01",module="thermostat",'
                               r'function="measure",key="temp",unit="°C"\} -?[0-9.]+\n')
        self.assertEqual(promtool(text)[0], 0)

    def test_stale_readings_refresh_in_the_background(self):
        url = "http://127.0.0.1:%d/metrics" % self.node.webport
        age = lambda text: float(re.search(r'micros_measure_age_seconds\{node="metr01"\} '
                                           r'([0-9.e+-]+)', text).group(1))
        get(url)
        time.sleep(2.3)
        # The stale readings are served (no measurement inside this scrape) ...
        self.assertGreaterEqual(age(get(url)[1]), 2.0)
        # ... and a refresh, one function per loop pass, replaces them shortly after.
        self.assertTrue(wait_for(lambda: age(get(url)[1]) < 2.0, 3, 0.05))

    def test_cron_runs_counted(self):
        def runs():
            text = get("http://127.0.0.1:%d/metrics" % self.node.webport)[1]
            m = re.search(r'micros_cron_lateness_seconds_count\{node="metr01"\} (\d+)', text)
            return m and int(m.group(1)) >= 2
        self.assertTrue(wait_for(runs, 6))

    def test_shell_text_is_the_same_exposition(self):
        sh = self.node.shell()
        r = sh.cmd("system metrics").decode()
        sh.close()
        body = r[:r.rindex("\n")]
        rc, out = promtool(body + "\n")
        self.assertEqual(rc, 0, out)


class MetricsAuth(unittest.TestCase):
    def test_token_and_password(self):
        node = Node(config={"metrics_auth": True, "metrics_token": "s3cretTok",
                            "appwd": "Passw0rdX"})
        try:
            url = "http://127.0.0.1:%d/metrics" % node.webport
            self.assertEqual(get(url)[0], 401)
            self.assertEqual(get(url, {"Authorization": "Bearer wrong"})[0], 401)
            self.assertEqual(get(url, {"Authorization": "Bearer s3cretTok"})[0], 200)
            self.assertEqual(get(url, {"x-micros-auth": "Passw0rdX"})[0], 200)
            st, text, _ = get(url, {"x-micros-auth": "Passw0rdX"})
            self.assertRegex(text, r'micros_auth_failures_total\{node="node01",transport="http"\} 2')
        finally:
            node.stop()


class Fleet(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not shutil.which("prometheus") or not shutil.which("promtool"):  # noqa: deps list
            raise unittest.SkipTest("prometheus/promtool not installed (scripts/deps.sh test)")
        cls.tmp = tempfile.mkdtemp(prefix="micros-fleet-")
        cls.nodes, cls.procs = [], []
        try:
            cache = {}
            for i in range(NODES):
                cfg = {"devfid": "fleet%02d" % i}
                if i == 0:
                    cfg.update(cron=True, crontasks="*:*:*:*!system heartbeat")
                n = Node(config=cfg)
                cls.nodes.append(n)
                cache["uid%02d" % i] = ["127.0.0.1", n.port, "fleet%02d" % i]
            cls.cache = os.path.join(cls.tmp, "cache.json")
            with open(cls.cache, "w") as f:
                json.dump(cache, f, indent=4)
            cls.gw_port = free_port()
            ctl = os.path.join(os.path.dirname(harness.MICROS), "microsctl")
            cls.gw_log = open(os.path.join(cls.tmp, "gateway.log"), "wb")
            cls.gw = subprocess.Popen([ctl, "gateway", "--bind", "127.0.0.1", "--port",
                                       str(cls.gw_port)], stdout=cls.gw_log,
                                      stderr=subprocess.STDOUT,
                                      env=dict(os.environ, MICROS_CTL_CACHE=cls.cache))
            cls.procs.append(cls.gw)
            cls.gw_url = "http://127.0.0.1:%d" % cls.gw_port
            if not wait_for(lambda: cls._up(cls.gw_url + "/list/"), 10):
                raise RuntimeError("gateway did not start")
            # Load dht22 on every node (only loaded modules are measured).
            for i in range(NODES):
                st, body, _ = get(cls.gw_url + "/sendcmd/fleet%02d/dht22+measure" % i)
                assert st == 200 and "22.5" in body, body
            cls.prom_port = free_port()
            with open(os.path.join(ROOT, "docs", "prometheus.yml")) as f:
                example = f.read()
            conf = example.replace("node01.local:8000", "127.0.0.1:%d" % cls.nodes[0].webport)
            conf = conf.replace("localhost:5005", "127.0.0.1:%d" % cls.gw_port)
            conf = re.sub(r"scrape_(interval|timeout): \S+", r"scrape_\1: 1s", conf)
            with open(os.path.join(cls.tmp, "prometheus.yml"), "w") as f:
                f.write(conf)
            cls.prom_log = open(os.path.join(cls.tmp, "prometheus.log"), "wb")
            cls.prom = subprocess.Popen(
                ["prometheus", "--config.file=" + os.path.join(cls.tmp, "prometheus.yml"),
                 "--storage.tsdb.path=" + os.path.join(cls.tmp, "tsdb"),
                 "--web.listen-address=127.0.0.1:%d" % cls.prom_port],
                stdout=cls.prom_log, stderr=subprocess.STDOUT)
            cls.procs.append(cls.prom)
            cls.prom_url = "http://127.0.0.1:%d" % cls.prom_port
            if not wait_for(lambda: cls._up(cls.prom_url + "/-/ready"), 30):
                raise RuntimeError("prometheus did not start")
        except Exception:
            cls.tearDownClass()
            raise

    @staticmethod
    def _up(url):
        try:
            return get(url, timeout=2)[0] == 200
        except OSError:
            return False

    @classmethod
    def tearDownClass(cls):
        for p in cls.procs:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        for n in cls.nodes:
            n.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def query(self, expr):
        url = self.prom_url + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        st, body, _ = get(url)
        self.assertEqual(st, 200, body)
        j = json.loads(body)
        self.assertEqual(j["status"], "success", body)
        return j["data"]["result"]

    def test_gateway_endpoints(self):
        st, body, _ = get(self.gw_url + "/list/")
        self.assertEqual(len(json.loads(body)), NODES)
        st, body, _ = get(self.gw_url + "/status")
        status = json.loads(body)
        self.assertEqual(sorted(status), ["fleet%02d" % i for i in range(NODES)])
        self.assertTrue(all(v["status"] == "ONLINE" for v in status.values()), body)
        st, text, _ = get(self.gw_url + "/metrics/fleet03/dht22+measure")
        self.assertEqual(st, 200)
        self.assertIn('micrOS_fleet03__dht22_measure_temp_C{node="fleet03"} 22.5\n', text)
        rc, out = promtool(text)
        # The exposition is valid; promtool's lint only dislikes micrOS's camelCase prefix.
        for line in out.splitlines():
            self.assertIn("camelCase", line, out)
        st, body, _ = get(self.gw_url + "/sendcmd/nosuchdevice/hello")
        self.assertEqual(st, 502)

    def test_gateway_fleet_metrics_valid(self):
        st, text, _ = get(self.gw_url + "/metrics")
        self.assertEqual(st, 200)
        rc, out = promtool(text)
        self.assertEqual(rc, 0, out)
        for i in range(NODES):
            self.assertIn('up{node="fleet%02d"} 1\n' % i, text)
        self.assertEqual(text.count("# TYPE micros_measure gauge\n"), 1)

    def test_prometheus_scrapes_node_and_gateway(self):
        def ups():
            r = self.query('up{node=~"fleet.*"}')
            return len(r) == NODES and all(x["value"][1] == "1" for x in r) and r
        self.assertTrue(wait_for(ups, 30), self.query('up'))
        def temps():
            r = self.query('micros_measure{job="micros-fleet",module="dht22",key="temp[C]"}')
            return len(r) == NODES and r
        r = wait_for(temps, 30)
        self.assertTrue(r)
        self.assertEqual({x["value"][1] for x in r}, {"22.5"})
        node = wait_for(lambda: self.query('micros_uptime_seconds{job="micros-node"}'), 30)
        self.assertEqual(node[0]["metric"]["node"], "fleet00")

    def test_grafana_panels_have_data(self):
        with open(os.path.join(ROOT, "docs", "grafana", "micros-fleet.json")) as f:
            dash = json.load(f)
        panels = []
        for p in dash["panels"]:
            panels += p.get("panels", []) + [p]
        exprs = [(p.get("title"), t["expr"]) for p in panels for t in p.get("targets", [])]
        self.assertGreaterEqual(len(exprs), 6)
        # Let a few scrapes land so rate() has two samples.
        def scraped_enough():
            r = self.query('count_over_time(micros_up{node="fleet00",job="micros-fleet"}[1m])')
            return r and float(r[0]["value"][1]) >= 4
        self.assertTrue(wait_for(scraped_enough, 40))
        for title, expr in exprs:
            q = expr.replace("$node", ".*").replace("$__rate_interval", "1m").replace(
                "$__interval", "15s").replace("$job", "micros-fleet")
            r = wait_for(lambda: self.query(q), 20)
            self.assertTrue(r, "panel %r: %s returned no data" % (title, q))


if __name__ == "__main__":
    main()
