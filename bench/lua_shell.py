#!/usr/bin/env python3
"""lua_shell.py BUILD_DIR [N] - a Lua function's shell round trip against a C function's on the
same node (loopback, one connection, N calls each, median and p99), and the node's RSS before
and after the four examples of docs/examples are loaded. Prints Markdown for
docs/benchmarks.md. Starts its own node on free ports with a temporary data folder."""
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "..", "docs", "examples")
PROMPT = b"$ "
LUAB = ("local M = {}\nfunction M.ping() return true end\n"
        "function M.spin() while true do end end\nreturn M\n")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Shell:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.read()

    def read(self):
        buf = b""
        while not buf.endswith(PROMPT):
            chunk = self.s.recv(65536)
            if not chunk:
                raise RuntimeError("closed")
            buf += chunk
        return buf

    def cmd(self, text):
        self.s.sendall(text.encode() + b"\n")
        return self.read()


def round_trips(sh, cmd, n):
    sh.cmd(cmd)
    t = []
    for _ in range(n):
        t0 = time.perf_counter()
        sh.cmd(cmd)
        t.append((time.perf_counter() - t0) * 1e6)
    t.sort()
    return statistics.median(t), t[int(len(t) * 0.99) - 1]


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    data = tempfile.mkdtemp(prefix="lua-bench-")
    os.makedirs(os.path.join(data, "modules"))
    os.makedirs(os.path.join(data, "config"))
    with open(os.path.join(data, "config", "node_config.json"), "w") as f:
        f.write('{"cstmpmap": "neop:13;switch_1:16;servo_1:17", "webui": false}')  # esp32's map shares pins between the examples
    with open(os.path.join(data, "modules", "LM_luab.lua"), "w") as f:
        f.write(LUAB)
    port = free_port()
    proc = subprocess.Popen([os.path.join(build, "micros"), "--data", data, "--port", str(port),
                             "--webport", str(free_port()), "--bind", "127.0.0.1", "--quiet"],
                            stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                sh = Shell(port)
                break
            except OSError:
                time.sleep(0.05)
        print("| shell round trip (%d calls, one connection) | median | p99 |" % n)
        print("|---|---|---|")
        c = round_trips(sh, "lua available", n)
        lua = round_trips(sh, "luab ping", n)
        print("| C: `lua available` | %.0f µs | %.0f µs |" % c)
        print("| Lua: `luab ping` | %.0f µs | %.0f µs |" % lua)
        print("| Lua / C | %.2f× | %.2f× |" % (lua[0] / c[0], lua[1] / c[1]))
        spins = []
        for _ in range(5):
            t0 = time.perf_counter()
            r = sh.cmd("luab spin")
            spins.append((time.perf_counter() - t0) * 1e3)
            assert b"stopped after" in r, r
        print("| runaway loop stopped (lua_budget 10000000), median of 5 | %.0f ms | max %.0f ms |"
              % (statistics.median(spins), max(spins)))
        before = rss_kb(proc.pid)
        for f in os.listdir(EXAMPLES):
            if f.endswith(".lua"):
                shutil.copy(os.path.join(EXAMPLES, f), os.path.join(data, "modules"))
        for cmd in ("neoeffects load 24", "rgbcct color 10 20 30", "thermostat control",
                    "pet_feeder portions"):
            r = sh.cmd(cmd)
            if b"Core error" in r:
                raise RuntimeError(r)
        after = rss_kb(proc.pid)
        stats = sh.cmd("lua stats >json").decode()
        print()
        print("| node RSS | KB |")
        print("|---|---|")
        print("| one trivial Lua module loaded | %d |" % before)
        print("| + the four examples loaded and called | %d (+%d) |" % (after, after - before))
        print()
        print("`lua stats`: %s" % stats.rsplit("\n", 1)[0].strip())
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
