#!/usr/bin/env python3
"""maxconn_rss.py MICROS [N] [SECONDS]: worst-case memory with --maxconn 1024 (issue 13 item 7).

Starts MICROS with --maxconn 1024 and webui_max_con 1024 (netbuf_kb at its default), opens N
HTTP connections from 127.0.0.2-9 that pipeline requests for a 15 kB file and never read, keeps
them sending for SECONDS, and prints the node's RSS before, its peak, and how many connections
the node-wide output cap closed. Loopback only; bounded in count and time.
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "blackbox"))
import harness  # noqa: E402


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    harness.MICROS = os.path.abspath(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    secs = float(sys.argv[3]) if len(sys.argv) > 3 else 15.0
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    node = harness.Node(config={"webui_max_con": 1024}, extra_args=("--maxconn", "1024"))
    try:
        time.sleep(0.5)
        rss0 = rss_kb(node.proc.pid)
        req = b"GET /dashboard.js HTTP/1.1\r\nHost: x\r\n\r\n" * 64
        socks = []
        for i in range(n):
            try:
                s = socket.socket()
                s.bind(("127.0.0.%d" % (2 + i % 8), 0))
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                s.settimeout(2)
                s.connect(("127.0.0.1", node.webport))
                s.setblocking(False)
                socks.append(s)
            except OSError:
                pass
        peak = rss_kb(node.proc.pid)
        t_end = time.time() + secs
        while time.time() < t_end:
            for s in socks:
                try:
                    s.send(req)
                except (BlockingIOError, OSError):
                    pass
            peak = max(peak, rss_kb(node.proc.pid))
            time.sleep(0.05)
        shed = node.output().count("node-wide cap")
        print("maxconn_rss: %d connections opened; RSS %d kB idle, peak %d kB (+%d kB); %d closed "
              "by the node-wide output cap; node %s" %
              (len(socks), rss0, peak, peak - rss0, shed,
               "alive" if node.proc.poll() is None else "EXITED"))
        for s in socks:
            s.close()
    finally:
        node.stop()


if __name__ == "__main__":
    main()
