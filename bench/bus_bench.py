#!/usr/bin/env python3
"""bench/bus_bench.py MICROS [N] - the bus modules' costs on a running node (simulated bank):

1. Round trip of a sensor read through the whole module path: shell command -> exec ->
   lm_bme280 -> hal_i2c_xfer (sim: register model with the compensation inverted by bisection)
   -> compensation -> reply, N times over one shell connection; compared with `system
   heartbeat` on the same connection (the cost of the shell path alone) and `oled show`
   (a 1025-byte framebuffer transfer).
2. The UART reader's CPU use: the node's ld2410 module reads a pty (the Linux termios backend)
   that this script feeds with ld2410 report frames at the radar's 256000 baud (25600 bytes/s,
   10 bits per byte) for 10 s; CPU time from /proc/<pid>/stat, frames counted by `ld2410 stats`.
Prints markdown table rows for docs/benchmarks.md."""
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "blackbox"))
import harness  # noqa: E402

FRAME = bytes.fromhex("f4f3f2f10d0002aa034f00644c006432005500f8f7f6f5")  # 23 bytes


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def round_trips(sh, cmd, n):
    sh.cmd(cmd)  # load / warm up
    lat = []
    for _ in range(n):
        t = time.perf_counter()
        sh.cmd(cmd)
        lat.append((time.perf_counter() - t) * 1e6)
    lat.sort()
    return statistics.mean(lat), lat[len(lat) // 2], lat[int(len(lat) * 0.99) - 1]


def main():
    harness.MICROS = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    master, slave = os.openpty()
    tty = os.ttyname(slave)
    node = harness.Node(config={"uartdev": tty})
    try:
        sh = node.shell()
        print("| command (%d round trips, one shell connection) | mean µs | p50 µs | p99 µs |" % n)
        print("|---|---|---|---|")
        for cmd in ("system heartbeat", "bme280 measure", "aht10 measure", "oled show"):
            m, p50, p99 = round_trips(sh, cmd, n)
            print("| `%s` | %.0f | %.0f | %.0f |" % (cmd, m, p50, p99))
        sh.cmd("ld2410 load")
        rate = 256000 / 10  # bytes per second on the wire
        secs = 10.0
        c0, t0 = cpu_s(node.proc.pid), time.monotonic()
        sent = 0
        while time.monotonic() - t0 < secs:
            due = int((time.monotonic() - t0) * rate / len(FRAME))
            while sent < due:
                os.write(master, FRAME)
                sent += 1
            time.sleep(0.002)
        time.sleep(0.2)
        c1, t1 = cpu_s(node.proc.pid), time.monotonic()
        st = json.loads(sh.cmd("ld2410 stats >json")[:-len(b"node01 $ ")])
        print()
        print("| UART reader, ld2410 frames at 256 kbaud | value |")
        print("|---|---|")
        print("| frames sent / parsed / bad | %d / %d / %d |" % (sent, st["frames"], st["bad_frames"]))
        print("| bytes per second | %.0f |" % (sent * len(FRAME) / (t1 - t0)))
        print("| node CPU (user+sys) | %.1f %% of one core |" % ((c1 - c0) / (t1 - t0) * 100))
        sh.close()
    finally:
        node.stop()
        os.close(master)
        os.close(slave)


if __name__ == "__main__":
    main()
