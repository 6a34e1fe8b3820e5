#!/usr/bin/env python3
"""bench/metrics_bench.py BUILD_DIR - /metrics and gateway figures for docs/benchmarks.md.

1. A node's GET /metrics: time of a scrape served from the 2 s reading cache and of a scrape
   that runs the measurement functions (dht22, light_sensor, system loaded), and the shell's
   `hello` round trip alone and while another process scrapes /metrics as fast as it can.
2. `microsctl gateway` fleet /metrics for 20, 200 and 1,000 cached nodes on loopback: nodes
   are real micros processes (at most 100; above that each process stands for several cache
   entries, admitted with --maxconn), scraped with the default --parallel 64.
Loopback only. Prints markdown tables."""
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import http.client

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
MICROS = os.path.join(BUILD, "micros")
CTL = os.path.join(BUILD, "microsctl")
ENV = dict(os.environ, MICROS_DNS="off", MICROS_MDNS="off")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_node(tmp, devfid, maxconn=None):
    d = tempfile.mkdtemp(dir=tmp)
    os.makedirs(os.path.join(d, "config"))
    with open(os.path.join(d, "config", "node_config.json"), "w") as f:
        json.dump({"devfid": devfid}, f)
    port, web = free_port(), free_port()
    args = [MICROS, "--data", d, "--port", str(port), "--webport", str(web), "--bind",
            "127.0.0.1", "--quiet"]
    if maxconn:
        args += ["--maxconn", str(maxconn)]
    p = subprocess.Popen(args, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.02)
    return p, port, web


class Shell:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.read()

    def read(self):
        buf = b""
        while not buf.endswith(b"$ "):
            buf += self.s.recv(65536)
        return buf

    def cmd(self, c):
        self.s.sendall(c)
        return self.read()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))]


def hammer(web, stop):
    c = http.client.HTTPConnection("127.0.0.1", web)
    n = 0
    while not stop.is_set():
        c.request("GET", "/metrics")
        c.getresponse().read()
        n += 1
    stop.count = n


def hammer_proc(web, seconds, q):
    c = http.client.HTTPConnection("127.0.0.1", web)
    n, end = 0, time.time() + seconds
    while time.time() < end:
        c.request("GET", "/metrics")
        c.getresponse().read()
        n += 1
    q.put(n)


def hello_rtts(sh, n):
    out = []
    for _ in range(n):
        t = time.perf_counter()
        sh.cmd(b"hello")
        out.append((time.perf_counter() - t) * 1e6)
    return out


def node_bench(tmp):
    p, port, web = start_node(tmp, "bench01")
    try:
        sh = Shell(port)
        for c in (b"dht22 measure", b"light_sensor intensity", b"system info"):
            sh.cmd(c)
        c = http.client.HTTPConnection("127.0.0.1", web)
        cached = []
        size = 0
        for _ in range(500):
            t = time.perf_counter()
            c.request("GET", "/metrics")
            size = len(c.getresponse().read())
            cached.append((time.perf_counter() - t) * 1e6)
        cold = []
        for _ in range(5):
            time.sleep(2.1)  # past METRICS_CACHE_MS: this scrape runs the measurements
            t = time.perf_counter()
            c.request("GET", "/metrics")
            c.getresponse().read()
            cold.append((time.perf_counter() - t) * 1e6)
        alone = hello_rtts(sh, 2000)
        q = multiprocessing.Queue()
        h = multiprocessing.Process(target=hammer_proc, args=(web, 4.0, q))
        h.start()
        time.sleep(0.3)
        t0 = time.time()
        busy = hello_rtts(sh, 2000)
        dt = time.time() - t0
        h.join()
        scrapes = q.get()
        print("| figure | median | p99 |")
        print("|---|---|---|")
        print("| `/metrics` scrape from the reading cache (%d bytes, keep-alive, 500) | %.0f µs | %.0f µs |"
              % (size, statistics.median(cached), pct(cached, 99)))
        print("| `/metrics` scrape that runs the measurement functions (5) | %.0f µs | %.0f µs |"
              % (statistics.median(cold), max(cold)))
        print("| shell `hello` round trip, no scraper (2,000) | %.1f µs | %.1f µs |"
              % (statistics.median(alone), pct(alone, 99)))
        print("| shell `hello` round trip while another process scrapes /metrics nonstop "
              "(%d scrapes in 4 s; 2,000 round trips in %.1f s) | %.1f µs | %.1f µs |"
              % (scrapes, dt, statistics.median(busy), pct(busy, 99)))
    finally:
        p.terminate()
        p.wait()


def gateway_bench(tmp, n):
    procs = min(n, 100)
    per = (n + procs - 1) // procs
    nodes, cache = [], {}
    try:
        for i in range(procs):
            p, port, web = start_node(tmp, "b%04d" % i, maxconn=max(per + 4, 5))
            nodes.append(p)
            for k in range(per):
                idx = i * per + k
                if idx < n:
                    cache["uid%04d" % idx] = ["127.0.0.1", port, "n%04d" % idx]
        cpath = os.path.join(tmp, "cache%d.json" % n)
        with open(cpath, "w") as f:
            json.dump(cache, f)
        gport = free_port()
        g = subprocess.Popen([CTL, "gateway", "--bind", "127.0.0.1", "--port", str(gport)],
                             env=dict(ENV, MICROS_CTL_CACHE=cpath), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        try:
            for _ in range(200):
                try:
                    socket.create_connection(("127.0.0.1", gport), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.02)
            times, size, up = [], 0, 0
            for _ in range(5):
                c = http.client.HTTPConnection("127.0.0.1", gport, timeout=60)
                t = time.perf_counter()
                c.request("GET", "/metrics")
                body = c.getresponse().read()
                times.append(time.perf_counter() - t)
                size = len(body)
                up = body.count(b"} 1\n", 0, body.find(b"# HELP micros_up"))
            print("| %d | %d | %.3f s | %.3f s | %.1f MB | %d |"
                  % (n, procs, statistics.median(times), max(times), size / 1e6, up))
        finally:
            g.terminate()
            g.wait()
    finally:
        for p in nodes:
            p.terminate()
        for p in nodes:
            p.wait()


def main():
    tmp = tempfile.mkdtemp(prefix="micros-metrics-bench-")
    load = open("/proc/loadavg").read().split()[0]
    print("## Metrics (%s, %d cores, load %s)\n" % (time.strftime("%F"), os.cpu_count(), load))
    node_bench(tmp)
    print()
    print("| cached nodes | node processes | fleet /metrics median (5) | max | size | up |")
    print("|---|---|---|---|---|---|")
    for n in (20, 200, 1000):
        gateway_bench(tmp, n)
    subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
