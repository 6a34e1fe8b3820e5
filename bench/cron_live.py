"""Firing lateness of cron jobs on a live node (bench; run by bench/cron.sh).

Starts MICROS on a free loopback port with `cron` True and five `*:*:*:*!system heartbeat;#n`
jobs (five runs every second), then reads `cron history` (the node records, per run, the wall
clock in ms when the run started against the second it was due) every 2 s, for 30 s idle and
30 s while two shell clients send `system info` back to back. Prints the distribution.

Usage: python3 cron_live.py path/to/micros [seconds=30]"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Shell:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.read()

    def read(self):
        data = b""
        while not data.endswith(b"$ "):
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            data += chunk
        return data.decode()

    def cmd(self, text):
        self.sock.sendall(text.encode())
        return self.read()


def hammer(port, stop):
    sh = Shell(port)
    while not stop.is_set():
        sh.cmd("system info")


def measure(port, seconds):
    sh = Shell(port)
    seen = {}
    end = time.time() + seconds
    while time.time() < end:
        time.sleep(2)
        for when, late, entry in re.findall(
                r"^ \d+: (\S+ \S+) \S+ \+(-?\d+) ms (.+?) -> ", sh.cmd("cron history"), re.M):
            seen[(when, entry)] = int(late)
    return sorted(seen.values())


def report(name, lat):
    if not lat:
        print("| %s | no runs |" % name)
        return
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    print("| %s | %d | %d ms | %d ms | %d ms |" % (name, len(lat), p(0.5), p(0.99), lat[-1]))


def main():
    micros = sys.argv[1]
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    data = tempfile.mkdtemp(prefix="micros-cron-bench-")
    os.makedirs(os.path.join(data, "config"))
    # ';;' separates entries, so each command can carry a '#n' comment that makes it unique.
    jobs = ";;".join("*:*:*:*!system heartbeat;#%d" % i for i in range(5))
    with open(os.path.join(data, "config", "node_config.json"), "w") as f:
        json.dump({"cron": True, "crontasks": jobs, "aioqueue": 8}, f)
    port = free_port()
    proc = subprocess.Popen([micros, "--data", data, "--port", str(port), "--bind", "127.0.0.1",
                             "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                Shell(port).sock.close()
                break
            except OSError:
                time.sleep(0.02)
        print("| condition | runs | p50 | p99 | max |")
        print("|---|---|---|---|---|")
        report("idle, 5 jobs/s", measure(port, seconds))
        stop = threading.Event()
        threads = [threading.Thread(target=hammer, args=(port, stop)) for _ in range(2)]
        for t in threads:
            t.start()
        report("2 clients hammering `system info`", measure(port, seconds))
        stop.set()
        for t in threads:
            t.join()
        stats = Shell(port).cmd("cron stats")
        print("\nnode's own counters over the whole run:")
        print(stats.rsplit("\n", 1)[0])
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
