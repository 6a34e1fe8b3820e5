#!/usr/bin/env python3
"""bench/mqtt_fleet.py MICROS [NODES] - a fleet of real micros processes on one loopback
mosquitto. Prints, for docs/benchmarks.md:
  - command round trip (publish {"cmd": "system heartbeat", "id"} to a node's .../cmd, wait for
    its .../reply), sequential over random nodes: p50 / p99 / max;
  - a burst: one command to every node at once, time until every reply is in;
  - the broker's message rate: messages per second a '#' subscriber sees while the fleet runs
    with its periodic state publications (mqtt_period 5 s), and during the burst;
  - node RSS (VmRSS) with MQTT on, and for a smaller group of nodes with MQTT off.
Not a test: it asserts nothing and is never run by ctest.
"""
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "blackbox"))
import harness  # noqa: E402
from mqtt_helpers import Broker, Client  # noqa: E402


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class FleetNode:
    def __init__(self, micros, broker_port, devfid, mqtt=True):
        self.dir = tempfile.mkdtemp(prefix="micros-fleet-")
        os.makedirs(os.path.join(self.dir, "config"))
        cfg = {"devfid": devfid, "mqtt": mqtt, "mqtt_port": broker_port, "webui": False,
               "mqtt_period": 5}
        with open(os.path.join(self.dir, "config", "node_config.json"), "w") as f:
            json.dump(cfg, f)
        self.port = harness.free_port()
        self.proc = subprocess.Popen([micros, "--data", self.dir, "--port", str(self.port),
                                      "--bind", "127.0.0.1"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def wait_online(broker, names, timeout=300):
    c = Client(broker.port)
    c.subscribe("micros/+/availability")
    online = set()
    end = time.time() + timeout
    while len(online) < len(names) and time.time() < end:
        m = c.recv(1)
        if m and m[1] == b"online":
            online.add(m[0].split("/")[1])
    c.close()
    return len(online)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def main():
    micros = os.path.abspath(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    broker = Broker()
    try:
        run(micros, n, broker)
    finally:
        broker.close()  # also when a step fails or the run is interrupted


def run(micros, n, broker):
    nodes = []
    try:
        names = ["fleet%03d" % i for i in range(n)]
        t0 = time.time()
        for name in names:
            nodes.append(FleetNode(micros, broker.port, name))
        up = wait_online(broker, names)
        print("## MQTT fleet: %d nodes on one mosquitto (%s, %d cores, load %s)" % (
            n, time.strftime("%Y-%m-%d", time.gmtime()), os.cpu_count(),
            open("/proc/loadavg").read().split()[0]))
        dead = sum(1 for nd in nodes if nd.proc.poll() is not None)
        print("- online: %d/%d after %.1f s (%d node processes had exited)" % (
            up, n, time.time() - t0, dead))
        time.sleep(6)  # every node through one full state period

        # Broker message rate with the fleet idle (periodic state, availability).
        c = Client(broker.port)
        c.subscribe("#")
        end = time.time() + 3  # drain the retained backlog (3 s at most: the fleet never pauses)
        while time.time() < end and c.recv(0.5):
            pass
        t = time.time()
        count = 0
        while time.time() - t < 10:
            if c.recv(0.5):
                count += 1
        print("- idle fleet: %.0f messages/s through the broker (a '#' subscriber, 10 s)" %
              (count / (time.time() - t)))
        c.close()

        # Sequential round trips.
        cl = Client(broker.port)
        cl.subscribe("micros/+/reply")
        rtts = []
        for i in range(1000):
            name = random.choice(names)
            t = time.perf_counter()
            cl.publish("micros/%s/cmd" % name, json.dumps({"cmd": "system heartbeat", "id": i}))
            m = cl.wait_for(lambda top, p, r: json.loads(p).get("id") == i, 10)
            if m:
                rtts.append((time.perf_counter() - t) * 1000)
        print("- command round trip (system heartbeat, 1000 sequential, random node): "
              "p50 %.2f ms, p99 %.2f ms, max %.2f ms, lost %d" % (
                  pct(rtts, 50), pct(rtts, 99), max(rtts), 1000 - len(rtts)))

        # Burst: every node at once.
        t = time.perf_counter()
        for k, name in enumerate(names):
            cl.publish("micros/%s/cmd" % name, json.dumps({"cmd": "system heartbeat",
                                                             "id": "b%d" % k}))
        got = set()
        while len(got) < n:
            m = cl.recv(10)
            if not m:
                break
            rid = json.loads(m[1]).get("id")
            if isinstance(rid, str) and rid.startswith("b"):
                got.add(rid)
        dt = time.perf_counter() - t
        print("- burst: %d commands to %d nodes at once, %d replies in %.1f ms "
              "(%.0f round trips/s)" % (n, n, len(got), dt * 1000, len(got) / dt))
        cl.close()

        rss_on = [rss_kib(nd.proc.pid) for nd in nodes]
        print("- node RSS with MQTT on: mean %.0f KiB, max %d KiB (%d nodes)" % (
            statistics.mean(rss_on), max(rss_on), len(rss_on)))
    except Exception:
        with open(broker.log_path, errors="replace") as f:
            tail = [l for l in f.read().splitlines() if "Client" in l or "rror" in l][-15:]
        print("broker log:\n" + "\n".join(tail))
        raise
    finally:
        for nd in nodes:
            nd.stop()
    # The same node with MQTT off, for the difference.
    off = []
    try:
        k = min(n, 20)
        for i in range(k):
            off.append(FleetNode(micros, broker.port, "off%03d" % i, mqtt=False))
        time.sleep(3)
        rss_off = [rss_kib(nd.proc.pid) for nd in off]
        print("- node RSS with MQTT off: mean %.0f KiB, max %d KiB (%d nodes)" % (
            statistics.mean(rss_off), max(rss_off), len(rss_off)))
    finally:
        for nd in off:
            nd.stop()
        broker.close()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
